package shm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	n, err := Name()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(fmt.Sprintf(`^ipcbench-%d-[0-9a-f]{16}$`, os.Getpid())).MatchString(n) {
		t.Errorf("Name() = %q", n)
	}
}

// both maps a backing twice, as the two processes do, and checks that
// writes through one mapping show through the other.
func both(t *testing.T, a, b *Mapping) {
	t.Helper()
	copy(a.Mem[100:], "hello")
	if !bytes.Equal(b.Mem[100:105], []byte("hello")) {
		t.Error("write through one mapping not seen through the other")
	}
	copy(b.Mem[len(b.Mem)-5:], "world")
	if !bytes.Equal(a.Mem[len(a.Mem)-5:], []byte("world")) {
		t.Error("write at the end not seen")
	}
	for _, m := range []*Mapping{a, b} {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	}
}

func TestMemfd(t *testing.T) {
	const size = 1 << 20
	a, f, err := CreateMemfd(size)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Name(), "ipcbench-") {
		t.Errorf("memfd name %q", f.Name())
	}
	b, err := MapFile(f, size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MapFile(f, size+4096); err == nil {
		t.Error("mapping beyond the memfd's size succeeded")
	}
	f.Close()
	both(t, a, b)
}

func TestFile(t *testing.T) {
	const size = 256 << 10
	a, path, remove, err := CreateFile(size)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir %s: %v", dir, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != size {
		t.Errorf("file %s: %v", path, err)
	}
	b, err := OpenFile(path, size)
	if err != nil {
		t.Fatal(err)
	}
	if err := remove(); err != nil {
		t.Fatal(err)
	}
	if err := remove(); err != nil {
		t.Errorf("second remove: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dir still there after remove: %v", err)
	}
	if _, err := OpenFile("/etc/passwd", 10); err == nil {
		t.Error("OpenFile of a foreign path succeeded")
	}
	both(t, a, b) // still mapped after removal
}

func TestSysv(t *testing.T) {
	const size = 128 << 10
	a, id, err := CreateSysv(size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := AttachSysv(id, size)
	if err != nil {
		RemoveSysv(id)
		t.Fatal(err)
	}
	if err := RemoveSysv(id); err != nil {
		t.Fatal(err)
	}
	// Linux (unlike POSIX) still lets a process attach a segment marked
	// for removal by its id; the segment goes at the last detach anyway.
	if c, err := AttachSysv(id, size); err == nil {
		c.Close()
	}
	both(t, a, b) // still attached after IPC_RMID
	if data, _ := os.ReadFile("/proc/sysvipc/shm"); regexp.MustCompile(fmt.Sprintf(`(?m)^\s*\d+\s+%d\s`, id)).Match(data) {
		t.Errorf("segment %d still listed after the last detach", id)
	}
	if err := RemoveSysv(id); err != nil {
		t.Errorf("second remove: %v", err)
	}
}
