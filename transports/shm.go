package transports

// Shared-memory transports: one ring per direction (internal/ring) in one
// shared mapping, named "<backing>-<wait>":
//
//	shm-<wait>      memfd (memfd_create), inherited by the peer as a file;
//	                one transport per wait strategy: spin, futex, hybrid,
//	                sem, sysvsem, eventfd, signal (internal/wait)
//	mmap-<wait>     an ordinary file in a private 0700 directory under the
//	                temporary directory, opened by the peer by path
//	                (Params "path"); futex and spin
//	sysvshm-<wait>  a System V segment (shmget IPC_PRIVATE, Params
//	                "shmid"); futex and spin
//
// Mapping: [ring parent→peer][ring peer→parent], each ring.Size(capacity)
// bytes (room for ring.Records messages of the largest size, and at least ring.StreamCap: a megabyte of stream ahead). The four events of the channel (data and space of each ring) have
// their slots in the ring headers; the wait strategy adds its own kernel
// objects (a System V semaphore set, Params "semid"; four eventfds, files
// after the backing's).
//
// Payload: Send copies the message into the ring, Recv copies it out; the
// bytes really cross, written by one process and read by the other. APIs:
// raw (the calls never enter the Go runtime's poller) and zerocopy, the
// same channel whose Conn also implements ZeroCopyConn (zerocopy.go):
// Borrow/Commit are ring.Producer.Reserve/Commit, View/Release are
// ring.Consumer.Peek/Release.
//
// Cleanup: the parent's Connect removes what both sides have attached by
// now: the mmap file and its directory, the System V segment (IPC_RMID;
// the kernel frees it at the last detach). The parent's Close removes
// everything still there, also if the peer died or never attached:
// semaphore set (IPC_RMID), eventfds, file, segment; it unmaps, and the
// memfd lives only as long as a mapping or a descriptor of it. The peer's
// Close unmaps and closes its descriptors. Either Close marks its side of
// both rings closed and wakes the other side, whose Recv then returns
// ErrPeerGone once the ring is drained.
//
// Interrupt sets a flag the waits check and wakes this side's waits
// through the strategy itself (futex wake, semaphore post, eventfd write,
// a signal to its own thread; a spinner just sees the flag): no timeout
// on the hot path. Interrupt is final: later blocking calls fail too.
// Close must not run concurrently with Send or Recv (Interrupt first, and
// wait for them to return).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/shm"
	"github.com/ipcbench/ipcbench/transports/internal/ring"
	"github.com/ipcbench/ipcbench/transports/internal/wait"
)

const (
	// shmMaxMessage is ipcbench's bound on one message of a shared-memory
	// channel: each direction's ring then takes 128 MiB of address space
	// (pages are only used when touched).
	shmMaxMessage = 64 << 20
	shmmaxPath    = "/proc/sys/kernel/shmmax"
	shmRingSource = "ipcbench's ring sizing (transports/internal/ring): each direction's ring holds four records of the largest message and at least 1 MiB, rounded to pages; ipcbench bounds a message at 64 MiB"

	shmParamSize      = "size"
	shmParamPath      = "path"
	shmParamShmID     = "shmid"
	shmParamWaitFiles = "wait_files" // index of the strategy's first file
)

type shmBacking int

const (
	shmMemfd shmBacking = iota
	shmFile
	shmSysv
)

func (b shmBacking) prefix() string {
	return [...]string{"shm", "mmap", "sysvshm"}[b]
}

func (b shmBacking) doc() string {
	return [...]string{
		"a ring per direction in a memfd (memfd_create) mapped by both processes",
		"a ring per direction in an mmap of an ordinary file in a private temporary directory",
		"a ring per direction in a System V shared memory segment (shmget/shmat)",
	}[b]
}

func init() {
	for _, w := range wait.Strategies() {
		registerShm(shmMemfd, w)
	}
	for _, b := range []shmBacking{shmFile, shmSysv} {
		for _, name := range []string{"futex", "spin"} {
			w, err := wait.Lookup(name)
			if err != nil {
				panic(err)
			}
			registerShm(b, w)
		}
	}
}

func registerShm(b shmBacking, w wait.Strategy) {
	name := b.prefix() + "-" + w.Name()
	Register(Info{
		Name:   name,
		Family: "shm",
		Wait:   shmWait(w),
		Order:  shmOrder(b, w),
		Doc:    b.doc() + ", wait strategy " + w.Name(),
		APIs:   []API{Raw, ZeroCopy},
		Limits: func(API) Limits { return shmLimits(b) },
		New:    func() Transport { return &shmTransport{name: name, backing: b, wait: w} },
	})
}

// shmWait is how a side of a ring with wait strategy w waits.
func shmWait(w wait.Strategy) Wait {
	if w.Spins() {
		return WaitSpin
	}
	return WaitSleep
}

// shmOrder places a shared-memory transport in reports: by backing
// (memfd, file, System V), then the spinning waits before the sleeping
// ones, each in wait.Strategies order.
func shmOrder(b shmBacking, w wait.Strategy) int {
	all := wait.Strategies()
	i := slices.IndexFunc(all, func(s wait.Strategy) bool { return s.Name() == w.Name() })
	if !w.Spins() {
		i += len(all)
	}
	return 1 + int(b)*2*len(all) + i
}

// shmLimits reports the largest message: ipcbench's ring bound and, for
// System V segments, what /proc/sys/kernel/shmmax allows for the two
// rings.
func shmLimits(b shmBacking) Limits {
	lim := Limits{MaxMessage: shmMaxMessage, Source: shmRingSource}
	if b != shmSysv {
		return lim
	}
	data, err := os.ReadFile(shmmaxPath)
	if err != nil {
		return lim
	}
	shmmax, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || shmmax >= uint64(2*ring.Size(shmMaxMessage)) {
		return lim
	}
	// The segment holds two rings of ring.Size(m) bytes each.
	m := max(int(shmmax/2)/ring.Records-2*ring.HeaderSize, 0)
	for m > 0 && uint64(2*ring.Size(m)) > shmmax {
		m -= 4096
	}
	if m < 0 || uint64(2*ring.Size(0)) > shmmax {
		m = 0
	}
	return Limits{MaxMessage: m, Source: fmt.Sprintf("%s (%d bytes: a segment holds both rings; root may raise it) and %s", shmmaxPath, shmmax, shmRingSource)}
}

type shmTransport struct {
	name    string
	backing shmBacking
	wait    wait.Strategy
}

var (
	_ Transport   = (*shmTransport)(nil)
	_ Connector   = (*shmConn)(nil)
	_ Interrupter = (*shmConn)(nil)
)

// shmSlots returns the channel's four event slots: 0 data and 1 space of
// the parent→peer ring, 2 data and 3 space of the peer→parent ring.
func shmSlots(a, b *ring.Ring) []wait.Slot {
	return []wait.Slot{
		{Mem: a.DataSlot(), PerMessage: true}, {Mem: a.SpaceSlot()},
		{Mem: b.DataSlot(), PerMessage: true}, {Mem: b.SpaceSlot()},
	}
}

func (t *shmTransport) Create(opts Options) (_ Conn, _ Endpoint, err error) {
	info, err := Lookup(t.name)
	if err != nil {
		return nil, Endpoint{}, err
	}
	if opts, err = info.Resolve(opts); err != nil {
		return nil, Endpoint{}, err
	}
	capacity := opts.MaxMessage
	rs := ring.Size(capacity)
	size := 2 * rs
	c := &shmConn{name: t.name, capacity: capacity, lim: info.Limits(opts.API), owner: true}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	params := map[string]string{shmParamSize: strconv.Itoa(size)}
	var files []*os.File
	switch t.backing {
	case shmMemfd:
		m, f, err := shm.CreateMemfd(size)
		if err != nil {
			return nil, Endpoint{}, fmt.Errorf("%s: create: %w", t.name, err)
		}
		c.m = m
		files = append(files, f)
		defer func() {
			if err != nil {
				f.Close()
			}
		}()
	case shmFile:
		m, path, remove, err := shm.CreateFile(size)
		if err != nil {
			return nil, Endpoint{}, fmt.Errorf("%s: create: %w", t.name, err)
		}
		c.m = m
		c.removers = append(c.removers, remove)
		params[shmParamPath] = path
	case shmSysv:
		m, id, err := shm.CreateSysv(size)
		if err != nil {
			return nil, Endpoint{}, fmt.Errorf("%s: create: %w", t.name, err)
		}
		c.m = m
		c.removers = append(c.removers, func() error { return shm.RemoveSysv(id) })
		params[shmParamShmID] = strconv.Itoa(id)
	}
	a, err := ring.Init(c.m.Mem[:rs], capacity)
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", t.name, err)
	}
	b, err := ring.Init(c.m.Mem[rs:], capacity)
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", t.name, err)
	}
	set, h, err := t.wait.Create(shmSlots(a, b))
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", t.name, err)
	}
	c.set = set
	for k, v := range h.Params {
		params[k] = v
	}
	params[shmParamWaitFiles] = strconv.Itoa(len(files))
	files = append(files, h.Files...)
	c.out = a.Producer(ring.Events{Data: set.Event(0), Space: set.Event(1)}, &c.stop)
	c.in = b.Consumer(ring.Events{Data: set.Event(2), Space: set.Event(3)}, &c.stop)
	spec := Spec{Transport: t.name, API: opts.API, MaxMessage: capacity, Params: params}
	if opts.API == ZeroCopy {
		return newShmZeroCopy(c), Endpoint{Spec: spec, Files: files}, nil
	}
	return c, Endpoint{Spec: spec, Files: files}, nil
}

func (t *shmTransport) Attach(spec Spec, files []*os.File) (_ Conn, err error) {
	owned := files
	defer func() {
		if err != nil {
			for _, f := range owned {
				f.Close()
			}
		}
	}()
	info, err := Lookup(t.name)
	if err != nil {
		return nil, err
	}
	capacity := spec.MaxMessage
	rs := ring.Size(capacity)
	size, err := strconv.Atoi(spec.Params[shmParamSize])
	if err != nil || capacity < 0 || size != 2*rs {
		return nil, fmt.Errorf("%s: attach: bad geometry: capacity %d, size %q", t.name, capacity, spec.Params[shmParamSize])
	}
	nb, err := strconv.Atoi(spec.Params[shmParamWaitFiles])
	if err != nil || nb < 0 || nb > len(files) {
		return nil, fmt.Errorf("%s: attach: bad %s %q for %d files", t.name, shmParamWaitFiles, spec.Params[shmParamWaitFiles], len(files))
	}
	c := &shmConn{name: t.name, capacity: capacity, lim: info.Limits(spec.API)}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	switch t.backing {
	case shmMemfd:
		if nb != 1 {
			return nil, fmt.Errorf("%s: attach: want the memfd as first file, got %d backing files", t.name, nb)
		}
		c.m, err = shm.MapFile(files[0], size)
		files[0].Close()
	case shmFile:
		c.m, err = shm.OpenFile(spec.Params[shmParamPath], size)
	case shmSysv:
		var id int
		if id, err = strconv.Atoi(spec.Params[shmParamShmID]); err == nil {
			c.m, err = shm.AttachSysv(id, size)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: attach: %w", t.name, err)
	}
	a, err := ring.Open(c.m.Mem[:rs])
	if err != nil {
		return nil, fmt.Errorf("%s: attach: %w", t.name, err)
	}
	b, err := ring.Open(c.m.Mem[rs:])
	if err != nil {
		return nil, fmt.Errorf("%s: attach: %w", t.name, err)
	}
	if a.MaxMessage() != capacity || b.MaxMessage() != capacity {
		return nil, fmt.Errorf("%s: attach: rings carry %d bytes, spec says %d", t.name, a.MaxMessage(), capacity)
	}
	owned = nil // the strategy owns its files from here on
	c.set, err = t.wait.Attach(shmSlots(a, b), wait.Handoff{Params: spec.Params, Files: files[nb:]})
	if err != nil {
		return nil, fmt.Errorf("%s: attach: %w", t.name, err)
	}
	c.out = b.Producer(ring.Events{Data: c.set.Event(2), Space: c.set.Event(3)}, &c.stop)
	c.in = a.Consumer(ring.Events{Data: c.set.Event(0), Space: c.set.Event(1)}, &c.stop)
	if spec.API == ZeroCopy {
		return newShmZeroCopy(c), nil
	}
	return c, nil
}

// shmConn is one side of a shared-memory channel.
type shmConn struct {
	name     string
	capacity int
	lim      Limits
	owner    bool

	out  *ring.Producer
	in   *ring.Consumer
	stop atomic.Bool // Interrupt
	set  wait.Set
	m    *shm.Mapping

	removers []func() error // parent: what Connect and Close remove

	mu     sync.Mutex // Interrupt against Close
	closed bool
}

func (c *shmConn) Send(msg []byte) error {
	if c.closed {
		return fmt.Errorf("%s: send: %w", c.name, ErrClosed)
	}
	if len(msg) > c.capacity {
		return CheckSize(c.name, len(msg), c.capacity, c.lim)
	}
	if err := c.out.Send(msg); err != nil {
		return c.mapErr("send", err)
	}
	return nil
}

func (c *shmConn) Recv(buf []byte) (int, error) { return c.recv(buf, nil) }

// RecvPieces implements PieceRecver.
func (c *shmConn) RecvPieces(buf []byte, fn func(off int, piece []byte)) (int, error) {
	if fn == nil {
		return 0, fmt.Errorf("%s: recv: no function for the pieces", c.name)
	}
	return c.recv(buf, fn)
}

// recv is Recv, and RecvPieces when fn is set.
func (c *shmConn) recv(buf []byte, fn func(off int, piece []byte)) (int, error) {
	if c.closed {
		return 0, fmt.Errorf("%s: recv: %w", c.name, ErrClosed)
	}
	n, err := c.in.RecvPieces(buf, fn)
	if err != nil {
		if errors.Is(err, ring.ErrShortBuffer) {
			return 0, fmt.Errorf("%s: recv: message of %d bytes into %d: %w", c.name, n, len(buf), io.ErrShortBuffer)
		}
		return 0, c.mapErr("recv", err)
	}
	return n, nil
}

// mapErr turns the ring's and the strategies' errors into the package's.
func (c *shmConn) mapErr(op string, err error) error {
	switch {
	case errors.Is(err, ring.ErrInterrupted):
		return fmt.Errorf("%s: %s: %w", c.name, op, ErrInterrupted)
	case errors.Is(err, ring.ErrPeerClosed):
		return fmt.Errorf("%s: %s: %w", c.name, op, ErrPeerGone)
	case errors.Is(err, ring.ErrCorrupt):
		return fmt.Errorf("%s: %s: %w: %w", c.name, op, ErrCorrupt, err)
	case errors.Is(err, ring.ErrModified):
		// Check mode (zerocopy.go): written after its Commit.
		return fmt.Errorf("%s: %s: %w: %w: %w", c.name, op, ErrZeroCopyMisuse, ErrCorrupt, err)
	case errors.Is(err, ring.ErrReserved):
		return fmt.Errorf("%s: %s: %w: a borrow is open (Commit it first)", c.name, op, ErrZeroCopyMisuse)
	case errors.Is(err, unix.EIDRM), errors.Is(err, unix.EINVAL):
		// The parent removed the semaphore set: it has closed.
		return fmt.Errorf("%s: %s: %w: %w", c.name, op, ErrPeerGone, err)
	}
	return fmt.Errorf("%s: %s: %w", c.name, op, err)
}

// Connect runs on the parent once the peer has attached: both map the
// memory now, so the file and the segment can go.
func (c *shmConn) Connect(map[string]string) error {
	return c.remove("connect")
}

func (c *shmConn) remove(op string) error {
	var first error
	for _, r := range c.removers {
		if err := r(); err != nil && first == nil {
			first = fmt.Errorf("%s: %s: %w", c.name, op, err)
		}
	}
	return first
}

// Interrupt makes blocked and later blocking Send and Recv calls return
// ErrInterrupted.
func (c *shmConn) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.set == nil {
		return
	}
	c.stop.Store(true)
	c.set.Event(c.waitsOn(1)).Wake()
	c.set.Event(c.waitsOn(2)).Wake()
}

// waitsOn returns the events this side waits on: space of its outgoing
// ring (i=1), data of its incoming ring (i=2).
func (c *shmConn) waitsOn(i int) int {
	if c.owner {
		return i // 1: parent→peer space, 2: peer→parent data
	}
	if i == 1 {
		return 3 // peer→parent space
	}
	return 0 // parent→peer data
}

func (c *shmConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.stop.Store(true)
	if c.out != nil {
		c.out.Close()
	}
	if c.in != nil {
		c.in.Close()
	}
	var errs []error
	if c.set != nil {
		if err := c.set.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: close: %w", c.name, err))
		}
	}
	if err := c.m.Close(); err != nil {
		errs = append(errs, fmt.Errorf("%s: close: %w", c.name, err))
	}
	if err := c.remove("close"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
