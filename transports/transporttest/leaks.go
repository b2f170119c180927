package transporttest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Snapshot is the set of kernel objects and process resources a test can
// leak: this process's descriptors, its children, System V objects,
// /dev/shm and /dev/mqueue entries, and ipcbench's temporary files.
type Snapshot struct {
	FDs      []string
	Children []string
	SysV     []string
	Shm      []string
	Mqueue   []string
	Temp     []string
}

// MqueueDir is where POSIX queues are listed, if mqueue is mounted
// (/dev/mqueue normally; TestMain may mount it elsewhere).
var MqueueDir = "/dev/mqueue"

// Take records the current state.
func Take() Snapshot {
	var s Snapshot
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range ents {
			if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
				s.FDs = append(s.FDs, e.Name()+" -> "+target)
			}
		}
	}
	s.Children = children()
	for _, kind := range []string{"msg", "shm", "sem"} {
		s.SysV = append(s.SysV, sysvIDs(kind)...)
	}
	// Named objects are recognised by the prefix every transport gives
	// them, ipcbench-<pid>-, so that tests running in parallel in other
	// processes are not taken for leaks.
	prefix := fmt.Sprintf("ipcbench-%d-", os.Getpid())
	s.Shm = list("/dev/shm", prefix)
	s.Mqueue = list(MqueueDir, prefix)
	s.Temp = list(os.TempDir(), prefix)
	return s
}

func list(dir, prefix string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	return names
}

// sysvIDs lists the ids of System V objects of one kind that this process
// created (the cpid column of segments) or, for queues and semaphore sets
// whose table has no creator pid, that our uid created.
func sysvIDs(kind string) []string {
	f, err := os.Open("/proc/sysvipc/" + kind)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	header := strings.Fields(sc.Text())
	idCol, ownerCol := slices.Index(header, "msqid"), slices.Index(header, "cpid")
	owner := strconv.Itoa(os.Getpid())
	if ownerCol < 0 {
		ownerCol, owner = slices.Index(header, "cuid"), strconv.Itoa(os.Getuid())
	}
	if kind == "shm" {
		idCol = slices.Index(header, "shmid")
	} else if kind == "sem" {
		idCol = slices.Index(header, "semid")
	}
	var ids []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if idCol < 0 || ownerCol < 0 || len(f) <= max(idCol, ownerCol) || f[ownerCol] != owner {
			continue
		}
		ids = append(ids, kind+":"+f[idCol])
	}
	return ids
}

// children lists processes whose parent is this process.
func children() []string {
	me := strconv.Itoa(os.Getpid())
	ents, _ := os.ReadDir("/proc")
	var kids []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces; cut after ')'.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == me {
			kids = append(kids, e.Name()+" "+string(b[:i+1]))
		}
	}
	return kids
}

// Diff describes what is in s but not in before.
func (s Snapshot) Diff(before Snapshot) []string {
	var out []string
	d := func(what string, now, was []string) {
		for _, x := range now {
			if !slices.Contains(was, x) {
				out = append(out, fmt.Sprintf("%s: %s", what, x))
			}
		}
	}
	d("fd", s.FDs, before.FDs)
	d("child process", s.Children, before.Children)
	d("System V object", s.SysV, before.SysV)
	d("/dev/shm entry", s.Shm, before.Shm)
	d("POSIX queue", s.Mqueue, before.Mqueue)
	d("temporary file", s.Temp, before.Temp)
	return out
}

// CheckLeaks registers a cleanup that fails t if, after the test and its
// other cleanups, anything is left that was not there when CheckLeaks was
// called. Call it first so that its cleanup runs last.
func CheckLeaks(t testing.TB) {
	t.Helper()
	before := Take()
	t.Cleanup(func() {
		// A reaped child may take a moment to leave /proc.
		var left []string
		for range 20 {
			if left = Take().Diff(before); len(left) == 0 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, l := range left {
			t.Errorf("left behind: %s", l)
		}
	})
}
