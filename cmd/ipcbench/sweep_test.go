package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSweepCommand(t *testing.T) {
	// A leftover of a process that cannot exist (pid above pid_max).
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("ipcbench-%d-sweeptest", 1<<23))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"sweep", "-n"}); code != 0 {
		t.Fatalf("sweep -n: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "would remove temp "+dir) {
		t.Errorf("sweep -n does not list %s:\n%s", dir, out.String())
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("sweep -n removed %s", dir)
	}
	if code := run(&out, &errb, []string{"sweep", "extra"}); code != 2 {
		t.Errorf("sweep with an argument: exit %d, want 2", code)
	}
}
