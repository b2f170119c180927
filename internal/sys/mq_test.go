package sys

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// testMqName returns a queue name with the project's prefix.
func testMqName(t *testing.T) string {
	return fmt.Sprintf("/ipcbench-%d-systest-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
}

// openTestMq creates a small queue that the test removes at its end.
func openTestMq(t *testing.T, flags int, attr *MqAttr) (string, int) {
	t.Helper()
	name := testMqName(t)
	fd, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|flags, 0o600, attr)
	if errors.Is(err, unix.ENOSYS) {
		t.Skipf("mq_open: %v (CONFIG_POSIX_MQUEUE?)", err)
	}
	if err != nil {
		t.Fatalf("mq_open %s: %v", name, err)
	}
	t.Cleanup(func() {
		unix.Close(fd)
		MqUnlink(name)
	})
	return name, fd
}

func hasCapSysResource() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[0].Effective&(1<<unix.CAP_SYS_RESOURCE) != 0
}

func readProcInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skip(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMqRoundTrip(t *testing.T) {
	name, fd := openTestMq(t, 0, &MqAttr{Maxmsg: 4, Msgsize: 64})
	a, err := MqGetAttr(fd)
	if err != nil {
		t.Fatal(err)
	}
	if a.Maxmsg != 4 || a.Msgsize != 64 || a.Curmsgs != 0 || a.Flags != 0 {
		t.Fatalf("attr = %+v, want maxmsg 4, msgsize 64, empty, blocking", a)
	}
	if err := MqTimedSend(fd, []byte("low"), 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := MqTimedSend(fd, []byte("high"), 5, nil); err != nil {
		t.Fatal(err)
	}
	if err := MqTimedSend(fd, nil, 0, nil); err != nil {
		t.Fatalf("zero-length send: %v", err)
	}
	if err := MqTimedSend(fd, make([]byte, 65), 0, nil); err != unix.EMSGSIZE {
		t.Fatalf("65-byte send on a 64-byte queue: %v, want EMSGSIZE", err)
	}
	if a, _ := MqGetAttr(fd); a.Curmsgs != 3 {
		t.Fatalf("curmsgs = %d, want 3", a.Curmsgs)
	}
	// The kernel wants room for mq_msgsize, not for the message.
	if _, _, err := MqTimedReceive(fd, make([]byte, 63), nil); err != unix.EMSGSIZE {
		t.Fatalf("receive into 63 bytes: %v, want EMSGSIZE", err)
	}
	buf := make([]byte, 64)
	for _, want := range []struct {
		msg  string
		prio uint
	}{{"high", 5}, {"low", 0}, {"", 0}} {
		n, prio, err := MqTimedReceive(fd, buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:n]) != want.msg || prio != want.prio {
			t.Fatalf("got %q prio %d, want %q prio %d", buf[:n], prio, want.msg, want.prio)
		}
	}
	// An expired absolute timeout on an empty queue fails at once.
	if _, _, err := MqTimedReceive(fd, buf, &unix.Timespec{}); err != unix.ETIMEDOUT {
		t.Fatalf("receive on empty queue with past timeout: %v, want ETIMEDOUT", err)
	}
	if _, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, nil); err != unix.EEXIST {
		t.Fatalf("second O_EXCL open: %v, want EEXIST", err)
	}
	// The name works with and without the leading slash.
	fd2, err := MqOpen(strings.TrimPrefix(name, "/"), unix.O_WRONLY, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd2)
	if err := MqTimedSend(fd2, []byte("x"), 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := MqUnlink(name); err != nil {
		t.Fatal(err)
	}
	if err := MqUnlink(name); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("second unlink: %v, want ENOENT", err)
	}
	if _, err := MqOpen(name, unix.O_RDONLY, 0, nil); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("open after unlink: %v, want ENOENT", err)
	}
	// Open descriptors outlive the name.
	if n, _, err := MqTimedReceive(fd, buf, nil); err != nil || string(buf[:n]) != "x" {
		t.Fatalf("receive after unlink: %q, %v", buf[:n], err)
	}
}

func TestMqNonblock(t *testing.T) {
	_, fd := openTestMq(t, unix.O_NONBLOCK, &MqAttr{Maxmsg: 1, Msgsize: 8})
	if _, _, err := MqTimedReceive(fd, make([]byte, 8), nil); err != unix.EAGAIN {
		t.Fatalf("receive on empty non-blocking queue: %v, want EAGAIN", err)
	}
	if err := MqTimedSend(fd, []byte("a"), 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := MqTimedSend(fd, []byte("b"), 0, nil); err != unix.EAGAIN {
		t.Fatalf("send on full non-blocking queue: %v, want EAGAIN", err)
	}
	old, err := MqSetFlags(fd, 0)
	if err != nil || old.Flags&unix.O_NONBLOCK == 0 {
		t.Fatalf("MqSetFlags: old %+v, %v", old, err)
	}
	if a, _ := MqGetAttr(fd); a.Flags != 0 {
		t.Fatalf("flags after clearing O_NONBLOCK: %#x", a.Flags)
	}
	// Blocking now: a past timeout turns "full" into ETIMEDOUT.
	if err := MqTimedSend(fd, []byte("b"), 0, &unix.Timespec{}); err != unix.ETIMEDOUT {
		t.Fatalf("send on full blocking queue with past timeout: %v, want ETIMEDOUT", err)
	}
}

// TestMqMsgsizeLimit checks which mq_msgsize the kernel accepts: up to
// msgsize_max without CAP_SYS_RESOURCE (uid 0 alone is not enough), up to
// HardMsgsizeMax with it.
func TestMqMsgsizeLimit(t *testing.T) {
	max := readProcInt(t, "/proc/sys/fs/mqueue/msgsize_max")
	if hasCapSysResource() {
		max = HardMsgsizeMax
	}
	name := testMqName(t)
	fd, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &MqAttr{Maxmsg: 1, Msgsize: int64(max)})
	if err != nil {
		t.Fatalf("msgsize %d (the limit): %v", max, err)
	}
	unix.Close(fd)
	MqUnlink(name)
	if _, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &MqAttr{Maxmsg: 1, Msgsize: int64(max + 1)}); err != unix.EINVAL {
		MqUnlink(name)
		t.Fatalf("msgsize %d (limit+1): %v, want EINVAL", max+1, err)
	}
}

// TestMqBudget checks the RLIMIT_MSGQUEUE accounting that MqMsgOverhead
// describes: Maxmsg*(Msgsize+MqMsgOverhead) bytes per queue.
func TestMqBudget(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl); err != nil {
		t.Fatal(err)
	}
	const depth, size = 4, 1000
	need := uint64(depth * (size + MqMsgOverhead))
	if rl.Max != unix.RLIM_INFINITY && rl.Max < need {
		t.Skipf("RLIMIT_MSGQUEUE hard limit %d < %d", rl.Max, need)
	}
	if err := unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &unix.Rlimit{Cur: need, Max: rl.Max}); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &rl)
	name := testMqName(t)
	if _, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &MqAttr{Maxmsg: depth, Msgsize: size + 1}); err != unix.EMFILE {
		MqUnlink(name)
		t.Fatalf("queue one byte per message over the budget: %v, want EMFILE", err)
	}
	fd, err := MqOpen(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600, &MqAttr{Maxmsg: depth, Msgsize: size})
	if err != nil {
		t.Fatalf("queue exactly at the budget: %v", err)
	}
	unix.Close(fd)
	MqUnlink(name)
}

func TestMqLargeMessage(t *testing.T) {
	max := readProcInt(t, "/proc/sys/fs/mqueue/msgsize_max")
	_, fd := openTestMq(t, 0, &MqAttr{Maxmsg: 1, Msgsize: int64(max)})
	msg := bytes.Repeat([]byte{0xa5, 0x5a, 0x33}, max/3+1)[:max]
	if err := MqTimedSend(fd, msg, 0, nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, max)
	n, _, err := MqTimedReceive(fd, buf, nil)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("received %d bytes, %v; want the %d bytes sent", n, err, max)
	}
}
