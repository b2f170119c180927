package transports_test

// Other users: a channel's kernel objects must be out of reach of a second,
// unprivileged user. TestOtherUser creates each transport's channel (in
// this process, on two locked threads), then runs this test binary again
// as uid 65534 (TestOtherUserHelper), which tries to open, attach to,
// read, write, signal and remove every object named in the Spec and every
// descriptor of this process through /proc. It runs the attempts twice:
// after Create, while the names still exist, and after Connect. Each
// attempt must fail with EACCES, EPERM or ENOENT (or EINVAL/EIDRM for an
// id already removed, ECONNREFUSED for a closed listener; a named Unix
// socket is tried by connecting to it); then one
// message each way must still arrive intact, first in line, so nothing
// was injected (UDP datagrams from other sockets are dropped by the
// connected socket: that is checked this way, since sending one succeeds).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
	"github.com/ipcbench/ipcbench/transports"
)

const (
	otherUserEnv = "IPCBENCH_OTHER_USER_ATTEMPTS"
	otherUID     = 65534
)

// An attempt is one thing the other user tries.
type attempt struct {
	What string `json:"what"`
	Op   string `json:"op"`
	Path string `json:"path,omitempty"`
	ID   int    `json:"id,omitempty"`
	PID  int    `json:"pid,omitempty"`
	TID  int    `json:"tid,omitempty"`
	Addr uint64 `json:"addr,omitempty"`
	// SendOK says the call itself may succeed (a UDP datagram can always
	// be sent); the in-band check decides.
	SendOK bool `json:"send_ok,omitempty"`
}

// An outcome is what an attempt gave: "" for success, else the errno name.
type outcome struct {
	What  string `json:"what"`
	Errno string `json:"errno"`
	Err   string `json:"err"`
}

// TestOtherUserHelper is the other user's side: it runs only in the
// process TestOtherUser starts.
func TestOtherUserHelper(t *testing.T) {
	in := os.Getenv(otherUserEnv)
	if in == "" {
		t.Skip("helper process of TestOtherUser")
	}
	var atts []attempt
	if err := json.Unmarshal([]byte(in), &atts); err != nil {
		t.Fatal(err)
	}
	var outs []outcome
	for _, a := range atts {
		err := try(a)
		o := outcome{What: a.What}
		if err != nil {
			o.Err = err.Error()
			var en syscall.Errno
			if errors.As(err, &en) {
				o.Errno = errnoName(en)
			} else {
				o.Errno = "?"
			}
		}
		outs = append(outs, o)
	}
	b, _ := json.Marshal(outs)
	fmt.Printf("\nOUTCOMES %s\n", b)
}

func errnoName(e syscall.Errno) string {
	for _, n := range []struct {
		e syscall.Errno
		s string
	}{{unix.EACCES, "EACCES"}, {unix.EPERM, "EPERM"}, {unix.ENOENT, "ENOENT"}, {unix.EINVAL, "EINVAL"},
		{unix.EIDRM, "EIDRM"}, {unix.ECONNREFUSED, "ECONNREFUSED"}, {unix.ESRCH, "ESRCH"}, {unix.ENXIO, "ENXIO"},
		{unix.EAGAIN, "EAGAIN"}, {unix.ENOMSG, "ENOMSG"}} {
		if n.e == e {
			return n.s
		}
	}
	return fmt.Sprintf("errno %d", int(e))
}

// try makes one attempt; nil means it got through.
func try(a attempt) error {
	closeFD := func(fd int, err error) error {
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	switch a.Op {
	case "open-read":
		return closeFD(unix.Open(a.Path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0))
	case "open-write":
		return closeFD(unix.Open(a.Path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0))
	case "open-rdwr":
		return closeFD(unix.Open(a.Path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0))
	case "readdir":
		_, err := os.ReadDir(a.Path)
		var pe *os.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	case "mq-read":
		return closeFD(sys.MqOpen(a.Path, unix.O_RDONLY|unix.O_NONBLOCK, 0, nil))
	case "mq-write":
		return closeFD(sys.MqOpen(a.Path, unix.O_WRONLY|unix.O_NONBLOCK, 0, nil))
	case "mq-unlink":
		return sys.MqUnlink(a.Path)
	case "msgsnd":
		msg := make([]byte, sys.MsgHdr+8)
		msg[0] = 1 // mtype 1 (little-endian)
		return sys.Msgsnd(a.ID, msg, unix.IPC_NOWAIT)
	case "msgrcv":
		buf := make([]byte, sys.MsgHdr+1<<16)
		_, err := sys.Msgrcv(a.ID, buf, 0, unix.IPC_NOWAIT|020000) // MSG_NOERROR
		return err
	case "msg-stat":
		var ds sys.MsqidDs
		return sys.Msgctl(a.ID, unix.IPC_STAT, &ds)
	case "msg-rmid":
		return sys.Msgctl(a.ID, unix.IPC_RMID, nil)
	case "shmat":
		b, err := unix.SysvShmAttach(a.ID, 0, 0)
		if err == nil {
			unix.SysvShmDetach(b)
		}
		return err
	case "shm-rmid":
		_, err := unix.SysvShmCtl(a.ID, unix.IPC_RMID, nil)
		return err
	case "semop":
		return sys.Semop(a.ID, []sys.Sembuf{{Num: 0, Op: 1, Flg: unix.IPC_NOWAIT}})
	case "sem-getval":
		_, err := sys.SemctlInt(a.ID, 0, 12, 0) // GETVAL
		return err
	case "sem-rmid":
		return sys.SemRemove(a.ID)
	case "kill0":
		return unix.Kill(a.PID, 0)
	case "tgkill0":
		return unix.Tgkill(a.PID, a.TID, 0)
	case "vm-read":
		var b [1]byte
		local := []unix.Iovec{{Base: &b[0], Len: 1}}
		_, err := unix.ProcessVMReadv(a.PID, local, []unix.RemoteIovec{{Base: uintptr(a.Addr), Len: 1}}, 0)
		return err
	case "tcp-connect", "udp-send", "unix-connect":
		network := map[string]string{"tcp-connect": "tcp", "udp-send": "udp", "unix-connect": "unix"}[a.Op]
		c, err := net.DialTimeout(network, a.Path, time.Second)
		if err != nil {
			var en syscall.Errno
			if errors.As(err, &en) {
				return en
			}
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("injected by another user"))
		return err
	}
	return fmt.Errorf("unknown op %q", a.Op)
}

// otherUserExe copies this test binary where uid 65534 can run it (go
// test's build directory is private to us).
func otherUserExe(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ipcbench.otheruser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(dir, "transports.test")
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// runAsOther runs the attempts as uid 65534 and returns the outcomes.
func runAsOther(t *testing.T, exe string, atts []attempt) []outcome {
	t.Helper()
	in, _ := json.Marshal(atts)
	cmd := exec.Command(exe, "-test.run=^TestOtherUserHelper$", "-test.count=1")
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = []string{otherUserEnv + "=" + string(in), "PATH=/usr/bin:/bin", "HOME=/"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as uid %d: %v\n%s", otherUID, err, out)
	}
	_, js, ok := bytes.Cut(out, []byte("\nOUTCOMES "))
	if !ok {
		t.Fatalf("helper printed no outcomes:\n%s", out)
	}
	js, _, _ = bytes.Cut(js, []byte("\n"))
	var outs []outcome
	if err := json.Unmarshal(js, &outs); err != nil {
		t.Fatalf("helper outcomes: %v\n%s", err, out)
	}
	return outs
}

// specAttempts lists what the other user tries against the objects named
// in spec (and in the peer's reply).
func specAttempts(spec transports.Spec, reply map[string]string) []attempt {
	var atts []attempt
	p := spec.Params
	add := func(a attempt) { atts = append(atts, a) }
	id := func(k string) int { n, _ := strconv.Atoi(p[k]); return n }
	switch {
	case spec.Transport == "fifo":
		for _, k := range []string{"p2c", "c2p"} {
			add(attempt{What: "open FIFO " + k + " for writing", Op: "open-write", Path: p[k]})
			add(attempt{What: "open FIFO " + k + " for reading", Op: "open-read", Path: p[k]})
		}
		add(attempt{What: "list the FIFOs' directory", Op: "readdir", Path: filepath.Dir(p["p2c"])})
	case spec.Transport == "posix-mq":
		for _, k := range []string{"p2c", "c2p"} {
			add(attempt{What: "mq_open " + k + " for writing", Op: "mq-write", Path: p[k]})
			add(attempt{What: "mq_open " + k + " for reading", Op: "mq-read", Path: p[k]})
			add(attempt{What: "mq_unlink " + k, Op: "mq-unlink", Path: p[k]})
		}
	case spec.Transport == "sysv-mq":
		for _, k := range []string{"p2c", "c2p"} {
			add(attempt{What: "msgsnd to " + k, Op: "msgsnd", ID: id(k)})
			add(attempt{What: "msgrcv from " + k, Op: "msgrcv", ID: id(k)})
			add(attempt{What: "msgctl IPC_STAT " + k, Op: "msg-stat", ID: id(k)})
			add(attempt{What: "msgctl IPC_RMID " + k, Op: "msg-rmid", ID: id(k)})
		}
	}
	if v, ok := p["shmid"]; ok {
		n, _ := strconv.Atoi(v)
		add(attempt{What: "shmat the segment", Op: "shmat", ID: n})
		add(attempt{What: "shmctl IPC_RMID the segment", Op: "shm-rmid", ID: n})
	}
	if v, ok := p["path"]; ok {
		add(attempt{What: "open the mapped file", Op: "open-rdwr", Path: v})
		add(attempt{What: "list the mapped file's directory", Op: "readdir", Path: filepath.Dir(v)})
	}
	if v, ok := p["semid"]; ok {
		n, _ := strconv.Atoi(v)
		add(attempt{What: "semop +1", Op: "semop", ID: n})
		add(attempt{What: "semctl GETVAL", Op: "sem-getval", ID: n})
		add(attempt{What: "semctl IPC_RMID", Op: "sem-rmid", ID: n})
	}
	if spec.Transport == "signal" {
		pid, _ := strconv.Atoi(p["pid"])
		tid, _ := strconv.Atoi(p["tid"])
		add(attempt{What: "signal the receiving process", Op: "kill0", PID: pid})
		add(attempt{What: "signal the receiving thread", Op: "tgkill0", PID: pid, TID: tid})
	}
	if spec.Transport == "cma" {
		for _, m := range []map[string]string{p, reply} {
			pid, _ := strconv.Atoi(m["pid"])
			addr, _ := strconv.ParseUint(m["addr"], 10, 64)
			if pid > 0 {
				add(attempt{What: "process_vm_readv the receive mapping", Op: "vm-read", PID: pid, Addr: addr})
			}
		}
	}
	return atts
}

// procAttempts tries every descriptor of this process through /proc, and
// its memory.
func procAttempts(t *testing.T) []attempt {
	pid := os.Getpid()
	atts := []attempt{
		{What: "list /proc/<pid>/fd", Op: "readdir", Path: fmt.Sprintf("/proc/%d/fd", pid)},
		{What: "open /proc/<pid>/mem", Op: "open-read", Path: fmt.Sprintf("/proc/%d/mem", pid)},
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n, _ := strconv.Atoi(e.Name())
		if n < 3 {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		atts = append(atts, attempt{What: fmt.Sprintf("open fd %d (%s) through /proc", n, target),
			Op: "open-rdwr", Path: fmt.Sprintf("/proc/%d/fd/%d", pid, n)})
	}
	return atts
}

// socketAttempts connects or sends to the addresses of the peer's
// loopback socket and of its counterpart.
func socketAttempts(ep transports.Endpoint) []attempt {
	var atts []attempt
	for _, f := range ep.Files {
		fd := int(f.Fd())
		typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		if err != nil {
			continue
		}
		for _, get := range []func(int) (unix.Sockaddr, error){unix.Getsockname, unix.Getpeername} {
			sa, err := get(fd)
			in4, ok := sa.(*unix.SockaddrInet4)
			if err != nil || !ok {
				continue
			}
			addr := net.JoinHostPort(net.IP(in4.Addr[:]).String(), strconv.Itoa(in4.Port))
			if typ == unix.SOCK_STREAM {
				atts = append(atts, attempt{What: "connect to " + addr, Op: "tcp-connect", Path: addr})
			} else {
				atts = append(atts, attempt{What: "send a datagram to " + addr, Op: "udp-send", Path: addr, SendOK: true})
			}
		}
	}
	return atts
}

// unixSocketAttempts connects to the named Unix sockets among the files
// handed to the peer (the rpc family's listener) and lists their
// directories: while the name exists, and after Connect has removed it.
func unixSocketAttempts(ep transports.Endpoint) []attempt {
	var atts []attempt
	for _, f := range ep.Files {
		sa, err := unix.Getsockname(int(f.Fd()))
		if su, ok := sa.(*unix.SockaddrUnix); err == nil && ok && su.Name != "" && su.Name[0] != '@' {
			atts = append(atts,
				attempt{What: "connect to the Unix socket " + su.Name, Op: "unix-connect", Path: su.Name},
				attempt{What: "list the Unix socket's directory", Op: "readdir", Path: filepath.Dir(su.Name)})
		}
	}
	return atts
}

// allowed are the errors that show an attempt was refused (or found
// nothing to attack).
var allowed = map[string]bool{"EACCES": true, "EPERM": true, "ENOENT": true, "EINVAL": true, "EIDRM": true, "ECONNREFUSED": true}

func checkOutcomes(t *testing.T, phase string, atts []attempt, outs []outcome) {
	t.Helper()
	if len(outs) != len(atts) {
		t.Fatalf("%s: %d outcomes for %d attempts", phase, len(outs), len(atts))
	}
	seen := map[string]int{}
	for i, o := range outs {
		switch {
		case o.Errno == "" && atts[i].SendOK:
			seen["sent (checked in band)"]++
		case o.Errno == "":
			t.Errorf("%s: uid %d could %s", phase, otherUID, o.What)
		case !allowed[o.Errno]:
			t.Errorf("%s: uid %d: %s: unexpected error %s (%s)", phase, otherUID, o.What, o.Errno, o.Err)
		default:
			seen[o.Errno]++
		}
	}
	var keys []string
	for k, n := range seen {
		keys = append(keys, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(keys)
	t.Logf("%s: %d attempts refused: %v", phase, len(outs), keys)
}

func TestOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a helper as another user (uid 65534)")
	}
	exe := otherUserExe(t)
	t.Run("control", func(t *testing.T) { testOtherUserControl(t, exe) })
	for _, name := range transports.Names() {
		info, _ := transports.Lookup(name)
		api := info.APIs[0]
		lim := info.Limits(api)
		if lim.MaxMessage <= 0 {
			continue
		}
		t.Run("transport="+name, func(t *testing.T) { testOtherUser(t, exe, name, api, lim) })
	}
}

func testOtherUser(t *testing.T, exe, name string, api transports.API, lim transports.Limits) {
	info, _ := transports.Lookup(name)
	tr := info.New()
	p, q := newLockedThread(t), newLockedThread(t)
	var (
		parent, peer transports.Conn
		ep           transports.Endpoint
		err          error
	)
	size := min(lim.MaxMessage, 64)
	p.run(func() { parent, ep, err = tr.Create(transports.Options{API: api, MaxMessage: size}) })
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("not available here: %v", err)
	}
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() {
		p.run(func() { parent.Close() })
		if peer != nil {
			q.run(func() { peer.Close() })
		}
	})

	unixAtts := unixSocketAttempts(ep)
	atts := append(append(append(specAttempts(ep.Spec, nil), procAttempts(t)...), socketAttempts(ep)...), unixAtts...)
	checkOutcomes(t, "after Create", atts, runAsOther(t, exe, atts))

	q.run(func() { peer, err = tr.Attach(ep.Spec, ep.Files) })
	if err != nil {
		for _, f := range ep.Files {
			f.Close()
		}
		t.Fatalf("attach: %v", err)
	}
	var reply map[string]string
	if r, ok := peer.(transports.Replier); ok {
		reply = r.Reply()
	}
	if c, ok := parent.(transports.Connector); ok {
		if err := c.Connect(reply); err != nil {
			t.Fatalf("connect: %v", err)
		}
	}
	atts = append(append(specAttempts(ep.Spec, reply), procAttempts(t)...), unixAtts...)
	checkOutcomes(t, "after Connect", atts, runAsOther(t, exe, atts))

	// In band: the first message each way is the one its sender sent.
	buf := make([]byte, size)
	for i, dir := range []struct {
		from, to         *lockedThread
		sender, receiver *transports.Conn
	}{{p, q, &parent, &peer}, {q, p, &peer, &parent}} {
		msg := bytes.Repeat([]byte{byte('a' + i)}, size)
		var sendErr, recvErr error
		var n int
		sent := dir.from.start(func() { sendErr = (*dir.sender).Send(msg) })
		got := dir.to.start(func() { n, recvErr = (*dir.receiver).Recv(buf) })
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("direction %d: no message within 10s", i)
		}
		<-sent
		if sendErr != nil || recvErr != nil {
			t.Fatalf("direction %d: send: %v, recv: %v", i, sendErr, recvErr)
		}
		if !bytes.Equal(buf[:n], msg) {
			t.Errorf("direction %d: received %q, not the message sent: something was injected", i, buf[:min(n, 40)])
		}
	}
}

// testOtherUserControl shows that the helper does get through where the
// permissions let it: a queue of mode 0666 and a world-writable file.
func testOtherUserControl(t *testing.T, exe string) {
	id, err := sys.Msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|unix.IPC_EXCL|0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Msgctl(id, unix.IPC_RMID, nil)
	f, err := os.CreateTemp("", "ipcbench.control-")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := os.Chmod(f.Name(), 0o666); err != nil {
		t.Fatal(err)
	}
	atts := []attempt{{What: "msgsnd to a 0666 queue", Op: "msgsnd", ID: id}, {What: "open a 0666 file", Op: "open-write", Path: f.Name()}}
	for i, o := range runAsOther(t, exe, atts) {
		if o.Errno != "" {
			t.Errorf("control: uid %d could not %s: %s (%s); the test would prove nothing", otherUID, atts[i].What, o.Errno, o.Err)
		}
	}
}
