package transports_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// zeroCopyTransports are the transports the in-process zero-copy tests
// use: each backing, sleeping and polling waits.
var zeroCopyTransports = []string{"shm-futex", "shm-spin", "shm-hybrid", "mmap-futex", "sysvshm-spin"}

// zcPair returns both ends of an api=zerocopy channel in this process.
func zcPair(t *testing.T, name string, maxMsg int) (parent, peer transports.ZeroCopyConn) {
	t.Helper()
	a, b := transporttest.Pair(t, name, transports.Options{API: transports.ZeroCopy, MaxMessage: maxMsg})
	za, ok1 := a.(transports.ZeroCopyConn)
	zb, ok2 := b.(transports.ZeroCopyConn)
	if !ok1 || !ok2 {
		t.Fatalf("%s api=zerocopy: Conns %T and %T do not both implement ZeroCopyConn", name, a, b)
	}
	return za, zb
}

// TestZeroCopyRegistered: every shared-memory transport offers api=zerocopy
// after raw, with raw's limits; raw Conns do not implement ZeroCopyConn.
func TestZeroCopyRegistered(t *testing.T) {
	n := 0
	for _, name := range transports.Names() {
		info, _ := transports.Lookup(name)
		if info.Family != "shm" {
			continue
		}
		n++
		i := slices.Index(info.APIs, transports.ZeroCopy)
		if i < 0 || i < slices.Index(info.APIs, transports.Raw) {
			t.Errorf("%s: APIs %v: want zerocopy after raw", name, info.APIs)
		}
		if r, z := info.Limits(transports.Raw), info.Limits(transports.ZeroCopy); r.MaxMessage != z.MaxMessage || r.Lossy != z.Lossy {
			t.Errorf("%s: limits raw %+v, zerocopy %+v", name, r, z)
		}
	}
	if n < 11 {
		t.Errorf("%d shared-memory transports, want at least 11", n)
	}
	a, b := transporttest.Pair(t, "shm-futex", transports.Options{API: transports.Raw, MaxMessage: 64})
	for _, c := range []transports.Conn{a, b} {
		if _, ok := c.(transports.ZeroCopyConn); ok {
			t.Errorf("api=raw Conn %T implements ZeroCopyConn", c)
		}
	}
}

// TestZeroCopyMisuse: each breach of the contract fails with
// ErrZeroCopyMisuse, changes nothing, and the channel goes on working.
func TestZeroCopyMisuse(t *testing.T) {
	for _, name := range zeroCopyTransports {
		t.Run(name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			p, q := zcPair(t, name, 1024)
			misuse := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, transports.ErrZeroCopyMisuse) || !strings.Contains(err.Error(), name) {
					t.Errorf("%s: %v, want an error naming %s and wrapping ErrZeroCopyMisuse", what, err, name)
				}
			}
			misuse("commit without a borrow", p.Commit(0))
			misuse("release without a view", q.Release())
			_, err := p.Borrow(-1)
			misuse("negative borrow", err)
			var le *transports.LimitError
			if _, err := p.Borrow(1025); !errors.As(err, &le) || le.Max != 1024 {
				t.Errorf("borrow over the capacity: %v, want a *LimitError of 1024", err)
			}
			b, err := p.Borrow(100)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Borrow(1)
			misuse("borrow while a borrow is open", err)
			misuse("send while a borrow is open", p.Send([]byte("x")))
			misuse("commit of more than was borrowed", p.Commit(101))
			copy(b, "hello, in place")
			if err := p.Commit(15); err != nil {
				t.Fatalf("commit after refused calls: %v", err)
			}
			misuse("commit twice", p.Commit(15))
			v, err := q.View()
			if err != nil || string(v) != "hello, in place" {
				t.Fatalf("view: %q, %v", v, err)
			}
			_, err = q.View()
			misuse("view while a view is open", err)
			_, err = q.Recv(make([]byte, 1024))
			misuse("recv while a view is open", err)
			if string(v) != "hello, in place" {
				t.Fatalf("view changed by refused calls: %q", v)
			}
			if err := q.Release(); err != nil {
				t.Fatal(err)
			}
			misuse("release twice", q.Release())
			// Copying and in-place paths mixed, after the misuse.
			if err := p.Send([]byte("copied")); err != nil {
				t.Fatal(err)
			}
			if v, err := q.View(); err != nil || string(v) != "copied" {
				t.Fatalf("view of a sent message: %q, %v", v, err)
			}
			q.Release()
			b, _ = p.Borrow(6)
			copy(b, "placed")
			p.Commit(6)
			buf := make([]byte, 1024)
			if n, err := q.Recv(buf); err != nil || string(buf[:n]) != "placed" {
				t.Fatalf("recv of a committed message: %q, %v", buf[:n], err)
			}
			// After Close: ErrClosed, not a fault.
			p.Close()
			if _, err := p.Borrow(1); !errors.Is(err, transports.ErrClosed) {
				t.Errorf("borrow after close: %v", err)
			}
			if err := p.Commit(1); !errors.Is(err, transports.ErrClosed) {
				t.Errorf("commit after close: %v", err)
			}
			if _, err := p.View(); !errors.Is(err, transports.ErrClosed) {
				t.Errorf("view after close: %v", err)
			}
			if err := p.Release(); !errors.Is(err, transports.ErrClosed) {
				t.Errorf("release after close: %v", err)
			}
		})
	}
}

type borrowResult struct {
	b   []byte
	err error
}

// borrowAsync runs Borrow on a goroutine of its own (the conn is used by
// nobody else meanwhile).
func borrowAsync(c transports.ZeroCopyConn, n int) chan borrowResult {
	ch := make(chan borrowResult, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b, err := c.Borrow(n)
		ch <- borrowResult{b, err}
	}()
	return ch
}

// fillRing commits messages of n bytes until a Borrow blocks, and
// returns how many went in and the pending Borrow.
func fillRing(t *testing.T, p transports.ZeroCopyConn, n int) (int, chan borrowResult) {
	t.Helper()
	for k := 0; k < 10000; k++ {
		ch := borrowAsync(p, n)
		select {
		case r := <-ch:
			if r.err != nil {
				t.Fatalf("borrow %d: %v", k, r.err)
			}
			r.b[0] = byte(k)
			if err := p.Commit(n); err != nil {
				t.Fatal(err)
			}
		case <-time.After(200 * time.Millisecond):
			return k, ch
		}
	}
	t.Fatal("the ring never filled")
	return 0, nil
}

// awaitBorrowError waits up to 5 s for the blocked Borrow behind pending to
// end with an error wrapping want, after what happened.
func awaitBorrowError(t *testing.T, pending chan borrowResult, want error, what string) {
	t.Helper()
	select {
	case r := <-pending:
		if !errors.Is(r.err, want) {
			t.Fatalf("borrow after %s: %v, want %v", what, r.err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not end a blocked Borrow", what)
	}
}

// TestZeroCopyHoldEverySlot: a receiver that holds its view and receives
// no more blocks the sender's Borrow once the ring is full; nothing is
// overwritten; the Borrow returns when space is released, or with
// ErrInterrupted on Interrupt, or ErrPeerGone when the receiver closes.
func TestZeroCopyHoldEverySlot(t *testing.T) {
	for _, name := range zeroCopyTransports {
		t.Run(name, func(t *testing.T) {
			const size = 64 << 10
			p, q := zcPair(t, name, size)
			k, pending := fillRing(t, p, size)
			if k < 2 {
				t.Fatalf("%d messages of the largest size in flight, want at least 2", k)
			}
			v, err := q.View() // held: message 0
			if err != nil || v[0] != 0 {
				t.Fatalf("view: %v", err)
			}
			select {
			case r := <-pending:
				t.Fatalf("borrow returned while the ring is full and a view is held: %v", r.err)
			case <-time.After(100 * time.Millisecond):
			}
			// Releasing messages in order frees space: the Borrow ends
			// before the ring is empty.
			got := 0
			var r borrowResult
		release:
			for ; got < k; got++ {
				if got > 0 {
					if v, err = q.View(); err != nil {
						t.Fatal(err)
					}
				}
				if v[0] != byte(got) {
					t.Fatalf("message %d reads %d: overwritten", got, v[0])
				}
				if err := q.Release(); err != nil {
					t.Fatal(err)
				}
				select {
				case r = <-pending:
					break release
				case <-time.After(100 * time.Millisecond):
				}
			}
			if r.err != nil || r.b == nil {
				t.Fatalf("borrow after %d releases: %v", got+1, r.err)
			}
			if got+1 >= k {
				t.Logf("the borrow needed all %d messages released", k)
			}
			r.b[0] = byte(k)
			p.Commit(size)

			// Fill again, then Interrupt ends the blocked Borrow.
			_, pending = fillRing(t, p, size)
			p.(transports.Interrupter).Interrupt()
			awaitBorrowError(t, pending, transports.ErrInterrupted, "Interrupt")
		})
	}
}

// TestZeroCopyReceiverCloses: a Borrow blocked on a full ring ends with
// ErrPeerGone when the receiver closes.
func TestZeroCopyReceiverCloses(t *testing.T) {
	for _, name := range zeroCopyTransports {
		t.Run(name, func(t *testing.T) {
			p, q := zcPair(t, name, 64<<10)
			_, pending := fillRing(t, p, 64<<10)
			if _, err := q.View(); err != nil { // held, never released
				t.Fatal(err)
			}
			q.Close()
			awaitBorrowError(t, pending, transports.ErrPeerGone, "the receiver's Close")
		})
	}
}

// TestZeroCopyCheckMode: with IPCBENCH_ZEROCOPY_CHECK=1 a write through a
// slice after its Commit is reported to the receiver, at View when it came
// before, at Release when it came during the view, as ErrZeroCopyMisuse and
// ErrCorrupt; borrowed space is poisoned.
func TestZeroCopyCheckMode(t *testing.T) {
	t.Setenv(transports.ZeroCopyCheckEnv, "1")
	for _, name := range []string{"shm-futex", "shm-spin"} {
		t.Run(name, func(t *testing.T) {
			p, q := zcPair(t, name, 4096)
			b, err := p.Borrow(256)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, bytes.Repeat([]byte{0xA5}, 256)) {
				t.Fatalf("borrowed space not poisoned: % x…", b[:8])
			}
			copy(b, "checked")
			p.Commit(256)
			v, err := q.View()
			if err != nil || string(v[:7]) != "checked" {
				t.Fatalf("view of a clean message: %v", err)
			}
			b[100] = 1 // the sender writes during the view
			err = q.Release()
			if !errors.Is(err, transports.ErrZeroCopyMisuse) || !errors.Is(err, transports.ErrCorrupt) {
				t.Fatalf("release of a message written during the view: %v", err)
			}
			b, _ = p.Borrow(256)
			p.Commit(256)
			b[0] = 1 // the sender writes after Commit, before the view
			_, err = q.View()
			if !errors.Is(err, transports.ErrZeroCopyMisuse) || !errors.Is(err, transports.ErrCorrupt) {
				t.Fatalf("view of a message written after its commit: %v", err)
			}
			t.Log(err)
		})
	}
}

// TestZeroCopyLargeMixed: messages up to 1 MiB, in place and copied,
// through an in-process pair with the receiver on its own goroutine.
func TestZeroCopyLargeMixed(t *testing.T) {
	const maxMsg = 1 << 20
	p, q := zcPair(t, "shm-hybrid", maxMsg)
	sizes := []int{0, 1, 7, 8, 4095, 4096, 65536, maxMsg - 1, maxMsg}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		buf := make([]byte, maxMsg)
		for i := range 3 * len(sizes) {
			n := sizes[i%len(sizes)]
			var got []byte
			if i%2 == 0 {
				v, err := q.View()
				if err != nil {
					done <- err
					return
				}
				got = v
			} else {
				m, err := q.Recv(buf)
				if err != nil {
					done <- err
					return
				}
				got = buf[:m]
			}
			if len(got) != n {
				done <- fmt.Errorf("message %d: %d bytes, want %d", i, len(got), n)
				return
			}
			for j := range got {
				if got[j] != byte(i+j) {
					done <- fmt.Errorf("message %d: byte %d is %d, want %d", i, j, got[j], byte(i+j))
					return
				}
			}
			if i%2 == 0 {
				if err := q.Release(); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	msg := make([]byte, maxMsg)
	for i := range 3 * len(sizes) {
		n := sizes[i%len(sizes)]
		if i%3 == 0 {
			for j := range n {
				msg[j] = byte(i + j)
			}
			if err := p.Send(msg[:n]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := p.Borrow(maxMsg)
		if err != nil {
			t.Fatal(err)
		}
		for j := range n {
			b[j] = byte(i + j)
		}
		if err := p.Commit(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
