// Package sweep finds and removes what crashed ipcbench runs left behind:
// temporary files and directories, /dev/shm entries, POSIX message queues,
// System V segments, queues and semaphore sets, and orphaned peer
// processes.
//
// It is conservative: an object is removed only when it belongs to this
// user AND carries ipcbench's mark AND the process that made it is gone.
//
//   - Named objects (os.TempDir() entries, /dev/shm entries, POSIX
//     queues) must be named "ipcbench-<pid>-…", be owned by our uid, and
//     <pid> must be dead. A live process with that pid that started after
//     the object was last modified is not its creator (the pid was
//     reused), so the creator counts as dead then.
//   - System V objects have no name. A segment, queue or set is a leftover
//     when it was made the way ipcbench makes them (key IPC_PRIVATE, mode
//     exactly 0600, owner and creator our uid) and nothing alive uses it:
//     for a segment, no process has it attached (nattch 0) and its
//     creator (cpid) and last attacher (lpid) are dead; for a queue, the
//     last sender and receiver (lspid, lrpid) are dead or none, and it was
//     neither used nor changed for MinAge; for a semaphore set, the last
//     process to operate on each semaphore (GETPID) is dead or none, no
//     process waits on it, and it was neither used nor changed for
//     MinAge. Queues and sets record no creator, hence the idle time: a
//     live run uses its queues and semaphores continuously.
//   - Processes: a peer (IPCBENCH_ROLE=peer/… in its environment) of our
//     uid whose parent is not running the same executable (the harness
//     re-executes itself, so a live parent always does): its parent died
//     and it was re-parented to init or a subreaper. It is killed.
//   - Network namespaces of the path=veth cases are anonymous (no name
//     under /run/netns): the kernel removes one, with its veth end and
//     qdisc, when its last process and descriptor are gone, so a crashed
//     run can leave one only through an orphaned peer running in it. The
//     report names the namespace such a peer runs in; killing the peer
//     removes it.
//
// POSIX queues can only be listed through an mqueue mount. When none is
// mounted, Sweep mounts one in a private mount namespace of one thread
// (needs CAP_SYS_ADMIN) and says so in the report when it cannot.
package sweep

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// Kinds of leftovers, as Item.Kind.
const (
	KindTemp    = "temp"     // file, directory, FIFO or Unix socket under os.TempDir()
	KindShm     = "shm"      // /dev/shm entry
	KindMqueue  = "posix-mq" // POSIX message queue
	KindSysvShm = "sysv-shm" // System V shared-memory segment
	KindSysvMsg = "sysv-msg" // System V message queue
	KindSysvSem = "sysv-sem" // System V semaphore set
	KindProcess = "process"  // orphaned peer process
)

// DefaultMinAge is how long a System V queue or semaphore set must have
// been idle before it may be taken for a leftover.
const DefaultMinAge = time.Minute

// Options select where Sweep looks and what it does. The zero value sweeps
// the usual places for the calling user.
type Options struct {
	// DryRun reports what would be removed without removing anything.
	DryRun bool
	// TempDir defaults to os.TempDir().
	TempDir string
	// ShmDir defaults to /dev/shm.
	ShmDir string
	// MqueueDir is an mqueue mount; empty means find one in
	// /proc/self/mountinfo or mount one privately.
	MqueueDir string
	// MinAge is the idle time System V queues and semaphore sets need
	// (DefaultMinAge if zero; negative means none).
	MinAge time.Duration
	// Filter, if set, restricts Sweep to the items it accepts (tests use
	// it to touch only their own objects).
	Filter func(Item) bool
}

// An Item is one leftover.
type Item struct {
	Kind string
	// Name is the path, queue name, System V id or process id.
	Name string
	// ID is the System V id or process id (0 for named objects).
	ID int
	// Why says what makes it a leftover.
	Why string
}

func (it Item) String() string { return fmt.Sprintf("%s %s (%s)", it.Kind, it.Name, it.Why) }

// A Failure is a leftover that could not be removed.
type Failure struct {
	Item Item
	Err  error
}

// A Report says what Sweep found.
type Report struct {
	// Removed lists what was removed (with DryRun: what would be).
	Removed []Item
	// Failed lists leftovers whose removal failed.
	Failed []Failure
	// Notes say what could not be checked, and why.
	Notes []string
}

// Sweep finds leftovers of dead ipcbench runs of the calling user and
// removes them unless opts.DryRun.
func Sweep(opts Options) *Report {
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.ShmDir == "" {
		opts.ShmDir = "/dev/shm"
	}
	if opts.MinAge == 0 {
		opts.MinAge = DefaultMinAge
	}
	s := &sweeper{opts: opts, uid: os.Getuid(), self: os.Getpid(), now: time.Now(), rep: &Report{}}
	s.named(KindTemp, opts.TempDir)
	s.named(KindShm, opts.ShmDir)
	s.mqueues()
	s.sysvShm()
	s.sysvMsg()
	s.sysvSem()
	s.processes()
	return s.rep
}

type sweeper struct {
	opts Options
	uid  int
	self int
	now  time.Time
	rep  *Report
}

func (s *sweeper) note(format string, args ...any) {
	s.rep.Notes = append(s.rep.Notes, fmt.Sprintf(format, args...))
}

// take removes it with remove (unless it is filtered out or this is a dry
// run) and records the outcome.
func (s *sweeper) take(it Item, remove func() error) {
	if s.opts.Filter != nil && !s.opts.Filter(it) {
		return
	}
	if !s.opts.DryRun {
		if err := remove(); err != nil {
			s.rep.Failed = append(s.rep.Failed, Failure{it, err})
			return
		}
	}
	s.rep.Removed = append(s.rep.Removed, it)
}

// ParseName returns the pid in a name "ipcbench-<pid>-…".
func ParseName(name string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(name, "ipcbench-")
	if !found {
		return 0, false
	}
	digits, _, found := strings.Cut(rest, "-")
	if !found || digits == "" || len(digits) > 10 {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 || strconv.Itoa(pid) != digits {
		return 0, false
	}
	return pid, true
}

// named sweeps entries named ipcbench-<pid>-… of dir.
func (s *sweeper) named(kind, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.note("%s: not checked: %v", dir, err)
		}
		return
	}
	for _, e := range ents {
		pid, ok := ParseName(e.Name())
		if !ok || pid == s.self {
			continue
		}
		path := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil || int(st.Uid) != s.uid {
			continue
		}
		mtime := time.Unix(st.Mtim.Unix())
		if alive, _ := s.alive(pid, mtime); alive {
			continue
		}
		it := Item{Kind: kind, Name: path, Why: fmt.Sprintf("creator pid %d is gone", pid)}
		s.take(it, func() error {
			if e.IsDir() {
				return os.RemoveAll(path)
			}
			return os.Remove(path)
		})
	}
}

// alive reports whether pid is a live process that may be the one that
// made or used an object last modified at t (zero: unknown). A process
// that started after t is another process with a reused pid.
func (s *sweeper) alive(pid int, t time.Time) (bool, string) {
	if pid <= 0 {
		return false, "none"
	}
	if pid == s.self {
		return true, "this process"
	}
	if err := unix.Kill(pid, 0); err == unix.ESRCH {
		return false, "gone"
	}
	if !t.IsZero() {
		if start, ok := startTime(pid); ok && start.After(t.Add(2*time.Second)) {
			return false, "gone (pid reused)"
		}
	}
	return true, "alive"
}

// bootTime is when the system booted (btime in /proc/stat).
var bootTime = func() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(n, 0)
			}
		}
	}
	return time.Time{}
}()

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// statFields returns the fields of /proc/<pid>/stat after the command
// name: field 3 (state) is element 0.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// startTime is when process pid started.
func startTime(pid int) (time.Time, bool) {
	f := statFields(pid)
	if len(f) < 20 || bootTime.IsZero() {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22, starttime
	if err != nil {
		return time.Time{}, false
	}
	return bootTime.Add(time.Duration(ticks) * time.Second / clockTicks), true
}

// mqueues sweeps POSIX queues through an mqueue mount.
func (s *sweeper) mqueues() {
	if s.opts.MqueueDir != "" {
		s.named(KindMqueue, s.opts.MqueueDir)
		return
	}
	if dir := findMount("mqueue"); dir != "" {
		s.named(KindMqueue, dir)
		return
	}
	if err := withPrivateMqueue(func(dir string) {
		// Names are reported as queue names, not paths of the private
		// mount.
		n := len(s.rep.Removed)
		s.named(KindMqueue, dir)
		for i := n; i < len(s.rep.Removed); i++ {
			s.rep.Removed[i].Name = "/" + filepath.Base(s.rep.Removed[i].Name)
		}
		for i := range s.rep.Failed {
			if it := &s.rep.Failed[i].Item; it.Kind == KindMqueue && strings.HasPrefix(it.Name, dir) {
				it.Name = "/" + filepath.Base(it.Name)
			}
		}
	}); err != nil {
		s.note("POSIX queues: not checked: no mqueue file system is mounted and mounting one privately failed (%v); mount one with `mount -t mqueue none /dev/mqueue` and sweep again", err)
	}
}

// findMount returns the mount point of the first file system of type
// fstype in /proc/self/mountinfo.
func findMount(fstype string) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent maj:min root mountpoint options [optional…] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) >= 5 && len(qf) >= 1 && qf[0] == fstype {
			return unescapeMount(pf[4])
		}
	}
	return ""
}

func unescapeMount(s string) string {
	// mountinfo escapes space, tab, newline and backslash as \ooo.
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// withPrivateMqueue runs f with an mqueue file system of this IPC
// namespace mounted on a temporary directory, in a mount namespace private
// to one OS thread, so that nobody else ever sees the mount. The thread is
// never unlocked, so the runtime discards it afterwards.
func withPrivateMqueue(f func(dir string)) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return os.NewSyscallError("unshare(CLONE_NEWNS)", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return os.NewSyscallError("mount(MS_PRIVATE)", err)
			}
			dir, err := os.MkdirTemp("", "ipcbench.sweep-mqueue-")
			if err != nil {
				return err
			}
			defer os.Remove(dir)
			if err := unix.Mount("mqueue", dir, "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
				return os.NewSyscallError("mount mqueue", err)
			}
			defer unix.Unmount(dir, unix.MNT_DETACH)
			f(dir)
			return nil
		}()
	}()
	return <-errc
}

// sysvTable reads /proc/sysvipc/<kind> as one map per row, by header.
func sysvTable(kind string) ([]map[string]string, error) {
	b, err := os.ReadFile("/proc/sysvipc/" + kind)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 0 {
		return nil, nil
	}
	head := strings.Fields(lines[0])
	var rows []map[string]string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < len(head) {
			continue
		}
		row := make(map[string]string, len(head))
		for i, h := range head {
			row[h] = f[i]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// ipcbenchLike reports whether a System V row was made the way ipcbench
// makes its objects: IPC_PRIVATE, mode 0600, owner and creator our uid.
func (s *sweeper) ipcbenchLike(row map[string]string) bool {
	perms, err := strconv.ParseUint(row["perms"], 8, 32)
	return err == nil && row["key"] == "0" && perms&0o777 == 0o600 &&
		atoi(row["uid"]) == s.uid && atoi(row["cuid"]) == s.uid
}

// idle reports whether all times are older than MinAge.
func (s *sweeper) idle(times ...time.Time) bool {
	if s.opts.MinAge < 0 {
		return true
	}
	for _, t := range times {
		if s.now.Sub(t) < s.opts.MinAge {
			return false
		}
	}
	return true
}

func (s *sweeper) sysvShm() {
	rows, err := sysvTable("shm")
	if err != nil {
		s.note("System V segments: not checked: %v", err)
		return
	}
	for _, r := range rows {
		id := atoi(r["shmid"])
		if id < 0 || !s.ipcbenchLike(r) || r["nattch"] != "0" {
			continue
		}
		ctime := unixTime(r["ctime"])
		if a, _ := s.alive(atoi(r["cpid"]), ctime); a {
			continue
		}
		if a, _ := s.alive(atoi(r["lpid"]), maxTime(unixTime(r["atime"]), unixTime(r["dtime"]))); a {
			continue
		}
		it := Item{Kind: KindSysvShm, Name: "shmid " + r["shmid"], ID: id,
			Why: fmt.Sprintf("private 0600 segment of %s bytes, not attached, creator pid %s gone", r["size"], r["cpid"])}
		s.take(it, func() error { return shmRemove(id) })
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (s *sweeper) sysvMsg() {
	rows, err := sysvTable("msg")
	if err != nil {
		s.note("System V queues: not checked: %v", err)
		return
	}
	for _, r := range rows {
		id := atoi(r["msqid"])
		if id < 0 || !s.ipcbenchLike(r) {
			continue
		}
		stime, rtime, ctime := unixTime(r["stime"]), unixTime(r["rtime"]), unixTime(r["ctime"])
		if a, _ := s.alive(atoi(r["lspid"]), stime); a {
			continue
		}
		if a, _ := s.alive(atoi(r["lrpid"]), rtime); a {
			continue
		}
		if !s.idle(stime, rtime, ctime) {
			continue
		}
		it := Item{Kind: KindSysvMsg, Name: "msqid " + r["msqid"], ID: id,
			Why: fmt.Sprintf("private 0600 queue, last sender %s and receiver %s gone, idle", pidOrNone(r["lspid"]), pidOrNone(r["lrpid"]))}
		s.take(it, func() error { return msgRemove(id) })
	}
}

func (s *sweeper) sysvSem() {
	rows, err := sysvTable("sem")
	if err != nil {
		s.note("System V semaphore sets: not checked: %v", err)
		return
	}
rows:
	for _, r := range rows {
		id, nsems := atoi(r["semid"]), atoi(r["nsems"])
		if id < 0 || nsems < 0 || !s.ipcbenchLike(r) {
			continue
		}
		otime, ctime := unixTime(r["otime"]), unixTime(r["ctime"])
		if !s.idle(otime, ctime) {
			continue
		}
		for i := range nsems {
			pid, err1 := semctl(id, i, sys.GETPID)
			ncnt, err2 := semctl(id, i, sys.GETNCNT)
			zcnt, err3 := semctl(id, i, sys.GETZCNT)
			if err := errors.Join(err1, err2, err3); err != nil || ncnt != 0 || zcnt != 0 {
				continue rows
			}
			if a, _ := s.alive(pid, maxTime(otime, ctime)); a {
				continue rows
			}
		}
		it := Item{Kind: KindSysvSem, Name: "semid " + r["semid"], ID: id,
			Why: fmt.Sprintf("private 0600 set of %d semaphores, no waiters, last users gone, idle", nsems)}
		s.take(it, func() error { return semRemove(id) })
	}
}

// processes kills orphaned peers.
func (s *sweeper) processes() {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		s.note("processes: not checked: %v", err)
		return
	}
	for _, e := range ents {
		pid := atoi(e.Name())
		if pid <= 0 || pid == s.self {
			continue
		}
		role, ok := peerRole(pid)
		if !ok || procUID(pid) != s.uid {
			continue
		}
		f := statFields(pid)
		if len(f) < 2 {
			continue
		}
		ppid := atoi(f[1])
		if ppid > 0 && sameExe(pid, ppid) {
			continue // its harness parent is alive
		}
		it := Item{Kind: KindProcess, Name: "pid " + e.Name(), ID: pid,
			Why: fmt.Sprintf("ipcbench peer (%s) whose parent is gone (now pid %d)", role, ppid)}
		if ns, own := netnsOf(pid), netnsOf(s.self); ns != "" && own != "" && ns != own {
			it.Why += "; it runs in network namespace " + ns + " (a path=veth link, which goes with its last process)"
		}
		s.take(it, func() error {
			if err := unix.Kill(pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
				return os.NewSyscallError("kill", err)
			}
			return nil
		})
	}
}

// netnsOf is the network namespace pid runs in ("net:[<inode>]"), or ""
// if it cannot be read.
func netnsOf(pid int) string {
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return ""
	}
	return l
}

// peerRole returns the IPCBENCH_ROLE=peer/… value of pid's environment.
func peerRole(pid int) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return "", false
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("IPCBENCH_ROLE=")); ok && bytes.HasPrefix(v, []byte("peer/")) {
			return string(v), true
		}
	}
	return "", false
}

// procUID is the real uid of pid, or -1.
func procUID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Uid:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				return atoi(f[0])
			}
		}
	}
	return -1
}

// sameExe reports whether two processes run the same executable file.
func sameExe(a, b int) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(fmt.Sprintf("/proc/%d/exe", a), &sa) != nil || syscall.Stat(fmt.Sprintf("/proc/%d/exe", b), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

func pidOrNone(pid string) string {
	if pid == "0" {
		return "none"
	}
	return pid
}
