package transports

import (
	"errors"
	"fmt"
	"os"
)

// ErrZeroCopyMisuse is wrapped when a ZeroCopyConn is used against its
// contract (see the package doc): a second borrow or view, a commit or
// release without one, or, in check mode, a message changed after its
// commit.
var ErrZeroCopyMisuse = errors.New("zero-copy misuse")

// ZeroCopyCheckEnv is the environment variable that turns check mode on
// (value "1") for zero-copy conns created or attached while it is set.
const ZeroCopyCheckEnv = "IPCBENCH_ZEROCOPY_CHECK"

// A ZeroCopyConn is a Conn whose messages can be written and read in place
// in the shared mapping, without a copy (API ZeroCopy). Its contract:
//
// Send and Recv copy: the message goes into the channel and out again, two
// copies, as many as a pipe makes. A shared-memory channel can do without
// both: the sender writes the message where the receiver will read it.
// ZeroCopyConn is that path. Transports that offer it list API ZeroCopy in
// Info.APIs (the shared-memory transports: memfd, mmap and System V
// backings with every wait strategy); Create and Attach with API ZeroCopy
// return a Conn that also implements ZeroCopyConn. Conns of other APIs do
// not, so a type assertion tells which path a peer must take. Limits are
// those of api=raw: it is the same ring.
//
// Sending: Borrow(n) waits until n bytes fit in the outgoing ring and
// returns them, in the shared mapping; the sender writes its message into
// them and calls Commit(m), m ≤ n, which publishes the first m bytes as one
// message (borrow the largest size, commit the actual one). Receiving:
// View waits for the next message and returns it in place; the receiver
// reads it and calls Release, which gives the space back to the sender.
//
// Who may touch which bytes when:
//
//   - Between Borrow and Commit the borrowed bytes belong to the sender
//     alone: the receiver cannot see them. Their content is whatever an
//     earlier message left (or poison in check mode): write all of it.
//   - From Commit on, the sender must not touch them again: the receiver
//     may be reading them, and after its Release they become part of a
//     later Borrow. The slice Borrow returned is dead after Commit.
//   - Between View and Release the viewed bytes are the receiver's, read
//     only: the sender keeps off them (it never borrows space that has not
//     been released). After Release the slice View returned is dead: the
//     sender may overwrite it at any moment.
//   - Slices from Borrow and View point into the mapping: after Close they
//     point at unmapped memory and touching them faults (a crash, not an
//     error). Copy out what must outlive the view.
//
// Limits of each side, enforced: one borrow at a time (Borrow or Send
// while a borrow is open, Commit without one, a second Commit, Commit of
// more than was borrowed, all fail with ErrZeroCopyMisuse); one view at a
// time (View or Recv while a view is open, Release without one, a second
// Release, fail likewise). A failed call changes nothing: the open borrow
// or view stays open and can still be committed or released. Borrow of
// more than the channel's capacity fails with a *LimitError as Send does.
// Send and Recv keep working on a ZeroCopyConn (copying), and the two paths
// may be mixed message by message: the receiver cannot tell how a message
// was sent.
//
// In flight: the sender may commit messages until the ring is full; the
// ring holds at least one message of the channel's capacity (two when
// MaxMessage is the size used, unless the ring has to wrap), and about
// Capacity/(n+8) messages of n bytes. A receiver that holds a view (or
// simply does not receive) blocks the sender's next Borrow once the ring
// is full, exactly as Send blocks: nothing is ever overwritten or dropped.
// The blocked Borrow returns when the receiver releases, when the receiver
// closes (ErrPeerGone), or on Interrupt (ErrInterrupted); a view held
// forever blocks the sender forever, which is what the harness's hang
// watchdog is for.
//
// What cannot be detected cheaply: a write through a dead slice (after
// Commit or Release). Go cannot revoke a slice, and protecting pages per
// message (mprotect) would cost system calls and TLB shootdowns on every
// message, more than the copy it saves. Check mode finds such writes after
// the fact: with IPCBENCH_ZEROCOPY_CHECK=1 in the environment at Create or
// Attach, that side's Borrow fills the borrowed bytes with 0xA5 and its
// Commit stores a 29-bit CRC-32C of the message in the record header; the
// receiving side verifies the checksum at View (and Recv) and again at
// Release, and reports a difference as an error wrapping ErrZeroCopyMisuse
// and ErrCorrupt (a message written after its Commit, or during the view).
// A mismatch at View leaves the channel unusable: close it. Check mode
// costs two passes over each message and is for tests and debugging, never
// for measurements.
type ZeroCopyConn interface {
	Conn
	// Borrow waits until n bytes fit in the outgoing channel and returns
	// them for the caller to write the next message into. It fails with
	// ErrZeroCopyMisuse while a borrow is open, with a *LimitError above
	// the channel's capacity.
	Borrow(n int) ([]byte, error)
	// Commit publishes the first n bytes of the open borrow as one
	// message and ends the borrow. It fails with ErrZeroCopyMisuse
	// without an open borrow or for n larger than the borrow.
	Commit(n int) error
	// View waits for the next message and returns it in place, read-only,
	// valid until Release. It fails with ErrZeroCopyMisuse while a view is
	// open.
	View() ([]byte, error)
	// Release ends the view and hands its space back to the sender. It
	// fails with ErrZeroCopyMisuse without an open view.
	Release() error
}

// zeroCopyCheck reports whether check mode was asked for.
func zeroCopyCheck() bool { return os.Getenv(ZeroCopyCheckEnv) == "1" }

// shmZeroCopyConn is a shared-memory Conn with the zero-copy path
// (API ZeroCopy).
type shmZeroCopyConn struct {
	*shmConn
	viewing bool // a View awaits Release
}

var (
	_ ZeroCopyConn = (*shmZeroCopyConn)(nil)
	_ Connector    = (*shmZeroCopyConn)(nil)
	_ Interrupter  = (*shmZeroCopyConn)(nil)
)

func newShmZeroCopy(c *shmConn) *shmZeroCopyConn {
	c.out.SetCheck(zeroCopyCheck())
	return &shmZeroCopyConn{shmConn: c}
}

func (c *shmZeroCopyConn) misuse(op, what string) error {
	return fmt.Errorf("%s: %s: %w: %s", c.name, op, ErrZeroCopyMisuse, what)
}

// Borrow implements ZeroCopyConn.
func (c *shmZeroCopyConn) Borrow(n int) ([]byte, error) {
	if c.closed {
		return nil, fmt.Errorf("%s: borrow: %w", c.name, ErrClosed)
	}
	if n < 0 {
		return nil, c.misuse("borrow", fmt.Sprintf("negative size %d", n))
	}
	if n > c.capacity {
		return nil, CheckSize(c.name, n, c.capacity, c.lim)
	}
	if c.out.Reserved() {
		return nil, c.misuse("borrow", "a borrow is already open (Commit it first)")
	}
	b, err := c.out.Reserve(n)
	if err != nil {
		return nil, c.mapErr("borrow", err)
	}
	return b, nil
}

// Commit implements ZeroCopyConn.
func (c *shmZeroCopyConn) Commit(n int) error {
	if c.closed {
		return fmt.Errorf("%s: commit: %w", c.name, ErrClosed)
	}
	if err := c.out.Commit(n); err != nil {
		return c.misuse("commit", err.Error()+" (commit without a borrow, a second commit, or more than was borrowed)")
	}
	return nil
}

// View implements ZeroCopyConn.
func (c *shmZeroCopyConn) View() ([]byte, error) {
	if c.closed {
		return nil, fmt.Errorf("%s: view: %w", c.name, ErrClosed)
	}
	if c.viewing {
		return nil, c.misuse("view", "a view is already open (Release it first)")
	}
	b, err := c.in.Peek()
	if err != nil {
		return nil, c.mapErr("view", err)
	}
	c.viewing = true
	return b, nil
}

// Release implements ZeroCopyConn.
func (c *shmZeroCopyConn) Release() error {
	if c.closed {
		return fmt.Errorf("%s: release: %w", c.name, ErrClosed)
	}
	if !c.viewing {
		return c.misuse("release", "no view is open (release without a view, or a second release)")
	}
	c.viewing = false
	if err := c.in.Release(); err != nil {
		return c.mapErr("release", err)
	}
	return nil
}

// Recv implements Conn; it refuses while a view is open, which it would
// otherwise release behind the caller's back.
func (c *shmZeroCopyConn) Recv(buf []byte) (int, error) {
	if c.viewing {
		return 0, c.misuse("recv", "a view is open (Release it first)")
	}
	return c.shmConn.Recv(buf)
}
