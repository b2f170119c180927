package sys

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSem(t *testing.T) {
	id, err := Semget(unix.IPC_PRIVATE, 2, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		t.Fatal(err)
	}
	removed := false
	defer func() {
		if !removed {
			SemRemove(id)
		}
	}()
	if err := Semop(id, []Sembuf{{Num: 1, Op: 2}}); err != nil {
		t.Fatal(err)
	}
	if v, err := SemctlInt(id, 1, GETVAL, 0); err != nil || v != 2 {
		t.Fatalf("GETVAL: %d, %v; want 2", v, err)
	}
	if err := Semop(id, []Sembuf{{Num: 1, Op: -2}}); err != nil {
		t.Fatal(err)
	}
	if err := Semop(id, []Sembuf{{Num: 0, Op: -1, Flg: unix.IPC_NOWAIT}}); !errors.Is(err, unix.EAGAIN) {
		t.Errorf("semop -1 on zero with IPC_NOWAIT: %v, want EAGAIN", err)
	}
	if _, err := SemctlInt(id, 0, SETVAL, SEMVMX); err != nil {
		t.Fatal(err)
	}
	if err := Semop(id, []Sembuf{{Num: 0, Op: 1}}); !errors.Is(err, unix.ERANGE) {
		t.Errorf("semop past SEMVMX: %v, want ERANGE", err)
	}
	// A blocked semop wakes with EIDRM when the set goes.
	done := make(chan error, 1)
	go func() { done <- Semop(id, []Sembuf{{Num: 1, Op: -1}}) }()
	time.Sleep(20 * time.Millisecond)
	if err := SemRemove(id); err != nil {
		t.Fatal(err)
	}
	removed = true
	select {
	case err := <-done:
		if !errors.Is(err, unix.EIDRM) {
			t.Errorf("semop on a removed set: %v, want EIDRM", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("semop not woken by IPC_RMID")
	}
	if err := SemRemove(id); !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
		t.Errorf("second IPC_RMID: %v", err)
	}
}
