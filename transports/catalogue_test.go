package transports

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestInfoDescribesWhatReportsNeed: the results files describe every
// registered transport for the reports (family, wait class, order; see
// package results), from its Info. A registration that lacks one fails
// here with the line to add to it.
func TestInfoDescribesWhatReportsNeed(t *testing.T) {
	var infos []Info
	orders := map[string][]string{} // family → "name=order" of those that have one
	next := map[string]int{}        // family → an order after theirs
	for _, name := range Names() {
		info, _ := Lookup(name)
		infos = append(infos, info)
		if info.Order > 0 {
			orders[info.Family] = append(orders[info.Family], fmt.Sprintf("%s=%d", name, info.Order))
			next[info.Family] = max(next[info.Family], info.Order+1)
		}
	}
	for _, info := range infos {
		where := registeredIn(info)
		switch info.Wait {
		case WaitSleep, WaitSpin:
		default:
			t.Errorf("%s: the Info of %q has Wait %q: add the line\n\tWait: WaitSleep,\n(or WaitSpin if a side polls memory, keeping its CPU busy, while it waits for its peer)", where, info.Name, info.Wait)
		}
		if info.Order <= 0 {
			t.Errorf("%s: the Info of %q has no Order: add the line\n\tOrder: %d,\n(its place among the %s transports in reports, lower first; the others: %s)", where, info.Name, max(next[info.Family], 1), info.Family, strings.Join(orders[info.Family], ", "))
		}
	}
}

// registeredIn names the file that registers info: the file of its New.
func registeredIn(info Info) string {
	if info.New == nil {
		return "?"
	}
	f := runtime.FuncForPC(reflect.ValueOf(info.New).Pointer())
	if f == nil {
		return "?"
	}
	file, _ := f.FileLine(f.Entry())
	return filepath.Join("transports", filepath.Base(file))
}
