package sys

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestMsqidDsLayout(t *testing.T) {
	if s := unsafe.Sizeof(MsqidDs{}); s != 120 {
		t.Fatalf("sizeof(MsqidDs) = %d, want 120 (struct msqid64_ds)", s)
	}
	if o := unsafe.Offsetof(MsqidDs{}.Qbytes); o != 88 {
		t.Fatalf("offsetof(Qbytes) = %d, want 88", o)
	}
}

// newTestQueue makes a private queue that the test removes at its end.
func newTestQueue(t *testing.T) int {
	t.Helper()
	id, err := Msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err == unix.ENOSYS {
		t.Skipf("msgget: %v (CONFIG_SYSVIPC?)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Msgctl(id, unix.IPC_RMID, nil) })
	return id
}

func msgbuf(mtype int64, payload string) []byte {
	b := make([]byte, MsgHdr+len(payload))
	binary.NativeEndian.PutUint64(b, uint64(mtype))
	copy(b[MsgHdr:], payload)
	return b
}

// inProcSysvipcMsg reports whether id is listed in /proc/sysvipc/msg.
func inProcSysvipcMsg(t *testing.T, id int) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/sysvipc/msg")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

func TestMsgRoundTrip(t *testing.T) {
	id := newTestQueue(t)
	var ds MsqidDs
	if err := Msgctl(id, unix.IPC_STAT, &ds); err != nil {
		t.Fatal(err)
	}
	mnb := readProcInt(t, "/proc/sys/kernel/msgmnb")
	if ds.Perm.Mode&0o777 != 0o600 || ds.Perm.Uid != uint32(os.Getuid()) || ds.Qbytes != uint64(mnb) || ds.Qnum != 0 {
		t.Fatalf("IPC_STAT: mode %o uid %d qbytes %d qnum %d; want 600, %d, %d (msgmnb), 0",
			ds.Perm.Mode, ds.Perm.Uid, ds.Qbytes, ds.Qnum, os.Getuid(), mnb)
	}
	if !inProcSysvipcMsg(t, id) {
		t.Fatalf("queue %d not in /proc/sysvipc/msg", id)
	}
	for _, m := range []struct {
		typ int64
		s   string
	}{{1, "one"}, {2, "two"}, {1, ""}} {
		if err := Msgsnd(id, msgbuf(m.typ, m.s), 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := Msgctl(id, unix.IPC_STAT, &ds); err != nil || ds.Qnum != 3 || ds.Cbytes != 6 || int(ds.Lspid) != os.Getpid() {
		t.Fatalf("IPC_STAT: %v qnum %d cbytes %d lspid %d", err, ds.Qnum, ds.Cbytes, ds.Lspid)
	}
	buf := make([]byte, MsgHdr+16)
	// A message longer than the buffer stays queued (E2BIG)...
	if _, err := Msgrcv(id, buf[:MsgHdr+2], 0, 0); err != unix.E2BIG {
		t.Fatalf("receive into 2 bytes: %v, want E2BIG", err)
	}
	// ...unless MSG_NOERROR truncates it. Type 2 selects the second one.
	if n, err := Msgrcv(id, buf[:MsgHdr+2], 2, MSG_NOERROR); err != nil || n != 2 || string(buf[MsgHdr:MsgHdr+n]) != "tw" {
		t.Fatalf("truncating receive of type 2: %d %q %v", n, buf[MsgHdr:MsgHdr+n], err)
	}
	for _, want := range []string{"one", ""} {
		n, err := Msgrcv(id, buf, 0, 0)
		if err != nil || string(buf[MsgHdr:MsgHdr+n]) != want || binary.NativeEndian.Uint64(buf) != 1 {
			t.Fatalf("receive: %q type %d %v; want %q type 1", buf[MsgHdr:MsgHdr+n], binary.NativeEndian.Uint64(buf), err, want)
		}
	}
	if _, err := Msgrcv(id, buf, 0, unix.IPC_NOWAIT); err != unix.ENOMSG {
		t.Fatalf("receive on empty queue with IPC_NOWAIT: %v, want ENOMSG", err)
	}
	if err := Msgctl(id, unix.IPC_RMID, nil); err != nil {
		t.Fatal(err)
	}
	if err := Msgctl(id, unix.IPC_RMID, nil); err != unix.EINVAL {
		t.Fatalf("second IPC_RMID: %v, want EINVAL", err)
	}
	if inProcSysvipcMsg(t, id) {
		t.Fatalf("queue %d still in /proc/sysvipc/msg after IPC_RMID", id)
	}
}

// TestMsgLimits checks that msgmax binds every process and that only
// CAP_SYS_RESOURCE may raise msg_qbytes above msgmnb.
func TestMsgLimits(t *testing.T) {
	id := newTestQueue(t)
	msgmax := readProcInt(t, "/proc/sys/kernel/msgmax")
	mnb := readProcInt(t, "/proc/sys/kernel/msgmnb")
	if msgmax > mnb {
		t.Skipf("msgmax %d > msgmnb %d", msgmax, mnb)
	}
	if err := Msgsnd(id, make([]byte, MsgHdr+msgmax+1), unix.IPC_NOWAIT); err != unix.EINVAL {
		t.Fatalf("message of msgmax+1 = %d bytes: %v, want EINVAL", msgmax+1, err)
	}
	b := make([]byte, MsgHdr+msgmax)
	b[0] = 1
	if err := Msgsnd(id, b, unix.IPC_NOWAIT); err != nil {
		t.Fatalf("message of msgmax = %d bytes: %v", msgmax, err)
	}
	var ds MsqidDs
	if err := Msgctl(id, unix.IPC_STAT, &ds); err != nil {
		t.Fatal(err)
	}
	// Lowering msg_qbytes is allowed to the owner; read it back.
	ds.Qbytes = uint64(mnb / 2)
	if err := Msgctl(id, unix.IPC_SET, &ds); err != nil {
		t.Fatal(err)
	}
	ds = MsqidDs{}
	if err := Msgctl(id, unix.IPC_STAT, &ds); err != nil || ds.Qbytes != uint64(mnb/2) {
		t.Fatalf("qbytes after IPC_SET: %d %v, want %d", ds.Qbytes, err, mnb/2)
	}
	ds.Qbytes = uint64(2 * mnb)
	err := Msgctl(id, unix.IPC_SET, &ds)
	if hasCapSysResource() {
		if err != nil {
			t.Fatalf("raising qbytes with CAP_SYS_RESOURCE: %v", err)
		}
	} else if err != unix.EPERM {
		t.Fatalf("raising qbytes above msgmnb without CAP_SYS_RESOURCE: %v, want EPERM", err)
	}
}

func TestMsgRmidWakesReceiver(t *testing.T) {
	id := newTestQueue(t)
	done := make(chan error, 1)
	go func() {
		_, err := Msgrcv(id, make([]byte, MsgHdr+8), 0, 0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := Msgctl(id, unix.IPC_RMID, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != unix.EIDRM {
			t.Fatalf("blocked msgrcv after IPC_RMID: %v, want EIDRM", err)
		}
	case <-time.After(time.Second):
		t.Fatal("IPC_RMID did not wake the blocked msgrcv")
	}
}
