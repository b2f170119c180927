package sys

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestFutexWaitMismatch(t *testing.T) {
	var w uint32 = 1
	if err := FutexWait(&w, 0); !errors.Is(err, unix.EAGAIN) {
		t.Errorf("FutexWait on a changed word: %v, want EAGAIN", err)
	}
}

func TestFutexWakeWakes(t *testing.T) {
	var w uint32
	done := make(chan error, 1)
	go func() {
		for atomic.LoadUint32(&w) == 0 {
			if err := FutexWait(&w, 0); err != nil && err != unix.EAGAIN && err != unix.EINTR {
				done <- err
				return
			}
		}
		done <- nil
	}()
	time.Sleep(20 * time.Millisecond)
	atomic.StoreUint32(&w, 1)
	if _, err := FutexWake(&w, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FutexWake did not wake the waiter")
	}
	if n, err := FutexWake(&w, 1); err != nil || n != 0 {
		t.Errorf("FutexWake with nobody waiting: %d, %v", n, err)
	}
}

func TestFutexWaitvMismatch(t *testing.T) {
	var a, b uint32 = 0, 1
	ws := make([]FutexWaiter, 2)
	ws[0].SetWord(&a, 0)
	ws[1].SetWord(&b, 0)
	if _, err := FutexWaitv(ws); !errors.Is(err, unix.EAGAIN) {
		t.Errorf("FutexWaitv with a changed word: %v, want EAGAIN", err)
	}
}

func TestFutexWaitvWakes(t *testing.T) {
	words := make([]uint32, 3)
	done := make(chan int, 1)
	go func() {
		ws := make([]FutexWaiter, len(words))
		for i := range words {
			ws[i].SetWord(&words[i], 0)
		}
		for atomic.LoadUint32(&words[2]) == 0 {
			if _, err := FutexWaitv(ws); err != nil && err != unix.EAGAIN && err != unix.EINTR {
				t.Error(err)
				break
			}
		}
		done <- 2
	}()
	time.Sleep(20 * time.Millisecond)
	atomic.StoreUint32(&words[2], 1)
	if _, err := FutexWake(&words[2], 1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("FutexWaitv not woken by FUTEX_WAKE on its third word")
	}
}
