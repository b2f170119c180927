package transports_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// above lists the packages above the transport layer: the harness manages
// processes, and the conformance suite runs transports through it.
var above = []string{
	"github.com/ipcbench/ipcbench/harness",
	"github.com/ipcbench/ipcbench/conformance",
}

// TestNoImportOfHarness fails, naming the file, if any Go file under
// transports/ (tests included) imports the harness or the conformance
// suite: the transport layer and its tests need no process management.
func TestNoImportOfHarness(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			for _, a := range above {
				if p == a || strings.HasPrefix(p, a+"/") {
					t.Errorf("transports/%s imports %s, which is above the transport layer", filepath.ToSlash(path), p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no Go files found under transports/")
	}
}
