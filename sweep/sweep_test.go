package sweep

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the processes the test needs, chosen by
// sweepRoleEnv: "dead" makes leftovers and exits as a crashed run would,
// "live" makes the same objects and waits for its stdin to close, "sleep"
// just sleeps (an orphaned peer, with IPCBENCH_ROLE set).
const sweepRoleEnv = "SWEEP_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(sweepRoleEnv) {
	case "":
		os.Exit(m.Run())
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "dead", "live":
		objs, err := makeObjects()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(objs)
		if os.Getenv(sweepRoleEnv) == "live" {
			io.Copy(io.Discard, os.Stdin)
		}
		os.Exit(0) // no cleanup: a crash
	}
}

// objects is what a helper process made.
type objects struct {
	PID                       int
	Temp                      []string // paths
	Shm                       []string
	Mqueue                    []string // queue names; empty if mqueue cannot be mounted here
	SysvShm, SysvMsg, SysvSem int
	Orphan                    int // a peer process whose parent will be gone
}

func makeObjects() (o objects, err error) {
	o.PID = os.Getpid()
	prefix := fmt.Sprintf("ipcbench-%d-", o.PID)
	dir := filepath.Join(os.TempDir(), prefix+"dir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return o, err
	}
	if err := unix.Mkfifo(filepath.Join(dir, "p2c"), 0o600); err != nil {
		return o, err
	}
	// A bound Unix socket, as the rpc family's directory holds until Connect.
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return o, err
	}
	err = unix.Bind(sock, &unix.SockaddrUnix{Name: filepath.Join(dir, "sock")})
	unix.Close(sock)
	if err != nil {
		return o, err
	}
	fifo := filepath.Join(os.TempDir(), prefix+"fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		return o, err
	}
	o.Temp = []string{dir, fifo}
	shm := filepath.Join("/dev/shm", prefix+"ring")
	if err := os.WriteFile(shm, []byte("x"), 0o600); err == nil {
		o.Shm = []string{shm}
	}
	withPrivateMqueue(func(mq string) {
		f, err := os.OpenFile(filepath.Join(mq, prefix+"q-p2c"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
		if err == nil {
			f.Close()
			o.Mqueue = []string{prefix + "q-p2c"}
		}
	})
	if o.SysvShm, err = unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o600); err != nil {
		return o, fmt.Errorf("shmget: %w", err)
	}
	if os.Getenv(sweepRoleEnv) == "live" {
		if _, err := unix.SysvShmAttach(o.SysvShm, 0, 0); err != nil {
			return o, err
		}
	}
	if o.SysvMsg, err = msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|unix.IPC_EXCL|0o600); err != nil {
		return o, err
	}
	if o.SysvSem, err = semget(unix.IPC_PRIVATE, 2, unix.IPC_CREAT|unix.IPC_EXCL|0o600); err != nil {
		return o, err
	}
	if _, err := semctlVal(o.SysvSem, 1, semSETVAL, 1); err != nil { // records this pid as last user
		return o, err
	}
	exe, err := os.Executable()
	if err != nil {
		return o, err
	}
	orphan := exec.Command(exe)
	orphan.Env = append(os.Environ(), sweepRoleEnv+"=sleep", "IPCBENCH_ROLE=peer/1")
	if err := orphan.Start(); err != nil {
		return o, err
	}
	o.Orphan = orphan.Process.Pid
	return o, nil
}

const semSETVAL = 16

func msgget(key, flag int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_MSGGET, uintptr(key), uintptr(flag), 0)
	if e != 0 {
		return -1, os.NewSyscallError("msgget", e)
	}
	return int(r), nil
}

func semget(key, n, flag int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_SEMGET, uintptr(key), uintptr(n), uintptr(flag))
	if e != 0 {
		return -1, os.NewSyscallError("semget", e)
	}
	return int(r), nil
}

func semctlVal(id, num, cmd, val int) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), uintptr(val), 0, 0)
	if e != 0 {
		return -1, os.NewSyscallError("semctl", e)
	}
	return int(r), nil
}

// helper starts this test binary in role and returns what it made, and
// the running command (live) or nil (dead, already reaped).
func helper(t *testing.T, role string) (objects, *exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), sweepRoleEnv+"="+role)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var o objects
	if err := json.NewDecoder(out).Decode(&o); err != nil {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("%s helper: %v", role, err)
	}
	if role == "dead" {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("dead helper: %v", err)
		}
		return o, nil, nil
	}
	return o, cmd, stdin
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func sysvExists(kind string, id int) bool {
	rows, _ := sysvTable(kind)
	col := map[string]string{"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]
	for _, r := range rows {
		if r[col] == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

func procExists(pid int) bool {
	f := statFields(pid)
	return len(f) > 0 && f[0] != "Z"
}

func TestSweep(t *testing.T) {
	dead, _, _ := helper(t, "dead")
	live, liveCmd, liveIn := helper(t, "live")
	// A peer of a live parent: this test process runs the same binary.
	peer := exec.Command(os.Args[0])
	peer.Env = append(os.Environ(), sweepRoleEnv+"=sleep", "IPCBENCH_ROLE=peer/1")
	if err := peer.Start(); err != nil {
		t.Fatal(err)
	}
	// Objects not made the ipcbench way, in the dead helper's name or by
	// its pid: a key that is not IPC_PRIVATE, and a name not ipcbench's.
	otherShm, err := unix.SysvShmGet(int(0x1bcb0000+dead.PID%0xffff), 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	openShm, err := unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|unix.IPC_EXCL|0o644)
	if err != nil {
		t.Fatal(err)
	}
	notOurs := filepath.Join(os.TempDir(), fmt.Sprintf("ipcbench-x%d-notapid", dead.PID))
	if err := os.Mkdir(notOurs, 0o700); err != nil {
		t.Fatal(err)
	}
	var otherUser string
	if os.Getuid() == 0 {
		otherUser = filepath.Join(os.TempDir(), fmt.Sprintf("ipcbench-%d-nobody", dead.PID))
		if err := os.Mkdir(otherUser, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(otherUser, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		liveIn.Close()
		liveCmd.Wait()
		peer.Process.Kill()
		peer.Wait()
		for _, o := range []objects{dead, live} {
			for _, p := range append(o.Temp, o.Shm...) {
				os.RemoveAll(p)
			}
			withPrivateMqueue(func(dir string) {
				for _, q := range o.Mqueue {
					os.Remove(filepath.Join(dir, q))
				}
			})
			shmRemove(o.SysvShm)
			msgRemove(o.SysvMsg)
			semRemove(o.SysvSem)
			unix.Kill(o.Orphan, unix.SIGKILL)
		}
		shmRemove(otherShm)
		shmRemove(openShm)
		os.RemoveAll(notOurs)
		if otherUser != "" {
			os.RemoveAll(otherUser)
		}
	})

	// Only this test's objects may be touched: other tests may be running.
	// System V ids are matched within their kind (each kind numbers its
	// own from 0: on a fresh machine this test's segment is shmid 0).
	mine := func(it Item) bool {
		ids := map[string][]int{KindSysvShm: {otherShm, openShm}, KindProcess: {peer.Process.Pid}}
		for _, o := range []objects{dead, live} {
			if strings.Contains(it.Name, fmt.Sprintf("ipcbench-%d-", o.PID)) {
				return true
			}
			ids[KindSysvShm] = append(ids[KindSysvShm], o.SysvShm)
			ids[KindSysvMsg] = append(ids[KindSysvMsg], o.SysvMsg)
			ids[KindSysvSem] = append(ids[KindSysvSem], o.SysvSem)
			ids[KindProcess] = append(ids[KindProcess], o.Orphan)
		}
		return slices.Contains(ids[it.Kind], it.ID)
	}
	waitOrphaned(t, dead.Orphan)

	dry := Sweep(Options{DryRun: true, MinAge: -1, Filter: mine})
	if len(dry.Removed) == 0 || !exists(dead.Temp[0]) || !sysvExists("shm", dead.SysvShm) {
		t.Fatalf("dry run: found %v and should have removed nothing", dry.Removed)
	}

	rep := Sweep(Options{MinAge: -1, Filter: mine})
	for _, f := range rep.Failed {
		t.Errorf("failed: %s: %v", f.Item, f.Err)
	}
	for _, n := range rep.Notes {
		t.Logf("note: %s", n)
	}
	t.Logf("removed:\n%v", rep.Removed)
	if len(dry.Removed) != len(rep.Removed) {
		t.Errorf("dry run found %d items, sweep removed %d", len(dry.Removed), len(rep.Removed))
	}

	// The dead run's objects are gone.
	for _, p := range append(dead.Temp, dead.Shm...) {
		if exists(p) {
			t.Errorf("%s of the dead run is still there", p)
		}
	}
	for kind, id := range map[string]int{"shm": dead.SysvShm, "msg": dead.SysvMsg, "sem": dead.SysvSem} {
		if sysvExists(kind, id) {
			t.Errorf("System V %s %d of the dead run is still there", kind, id)
		}
	}
	if len(dead.Mqueue) == 0 {
		t.Logf("POSIX queues not tested: mqueue cannot be mounted here")
	}
	mqLeft := func(o objects) (left []string) {
		withPrivateMqueue(func(dir string) {
			for _, q := range o.Mqueue {
				if exists(filepath.Join(dir, q)) {
					left = append(left, q)
				}
			}
		})
		return left
	}
	if left := mqLeft(dead); len(left) > 0 {
		t.Errorf("POSIX queues of the dead run still there: %v", left)
	}
	deadline := time.Now().Add(5 * time.Second)
	for procExists(dead.Orphan) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if procExists(dead.Orphan) {
		t.Errorf("orphaned peer %d still running", dead.Orphan)
	}

	// The live run's objects, the live peer and the objects that are not
	// ipcbench's stay.
	for _, p := range append(live.Temp, live.Shm...) {
		if !exists(p) {
			t.Errorf("%s of the live run was removed", p)
		}
	}
	if left := mqLeft(live); len(left) != len(live.Mqueue) {
		t.Errorf("POSIX queues of the live run removed: have %v of %v", left, live.Mqueue)
	}
	// The live run's queue and set record no live pid (nothing was sent);
	// with MinAge they would be kept as not idle: check that rule apart.
	if !sysvExists("shm", live.SysvShm) {
		t.Errorf("attached segment %d of the live run was removed", live.SysvShm)
	}
	if !sysvExists("sem", live.SysvSem) {
		t.Errorf("semaphore set %d last used by a live process was removed", live.SysvSem)
	}
	for _, id := range []int{otherShm, openShm} {
		if !sysvExists("shm", id) {
			t.Errorf("segment %d, not made the ipcbench way, was removed", id)
		}
	}
	if !exists(notOurs) {
		t.Errorf("%s, not an ipcbench name, was removed", notOurs)
	}
	if otherUser != "" && !exists(otherUser) {
		t.Errorf("%s, owned by another user, was removed", otherUser)
	}
	if !procExists(peer.Process.Pid) || !procExists(live.Orphan) {
		t.Errorf("a peer with a live parent was killed")
	}
}

// waitOrphaned waits until pid's parent no longer runs its executable.
func waitOrphaned(t *testing.T, pid int) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f := statFields(pid)
		if len(f) > 1 && !sameExe(pid, atoi(f[1])) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("peer %d not orphaned", pid)
}

// TestMinAge checks that a private queue nobody has used yet is kept
// while it is younger than MinAge.
func TestMinAge(t *testing.T) {
	id, err := msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer msgRemove(id)
	only := func(it Item) bool { return it.Kind == KindSysvMsg && it.ID == id }
	if rep := Sweep(Options{DryRun: true, MinAge: time.Hour, Filter: only}); len(rep.Removed) != 0 {
		t.Errorf("fresh queue taken for a leftover: %v", rep.Removed)
	}
	if rep := Sweep(Options{DryRun: true, MinAge: -1, Filter: only}); len(rep.Removed) != 1 {
		t.Errorf("unused queue with no minimum age not found: %v", rep.Removed)
	}
}

func TestParseName(t *testing.T) {
	for name, want := range map[string]int{
		"ipcbench-123-abc":      123,
		"ipcbench-1-":           1,
		"ipcbench-0-x":          0,
		"ipcbench--x":           0,
		"ipcbench-0123-x":       0,
		"ipcbench-12a-x":        0,
		"ipcbench-123":          0,
		"ipcbench.sweep-1-x":    0,
		"xipcbench-5-x":         0,
		"ipcbench-99999999999-": 0,
	} {
		got, ok := ParseName(name)
		if ok != (want != 0) || got != want {
			t.Errorf("ParseName(%q) = %d, %v; want %d", name, got, ok, want)
		}
	}
}
