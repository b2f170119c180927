package transports

// What the transports of the rpc family (grpc-unix, http-unix) share: a
// client library in the parent and a server library in the peer, talking
// over one connection of a Unix stream socket that has a name in a
// private directory.
//
//   - Create makes the directory (os.MkdirTemp, mode 0700, name
//     "ipcbench-<pid>-<random>" under os.TempDir) and a listening socket
//     bound in it (socket(2), bind(2), listen(2)); the peer inherits the
//     listening socket (Endpoint.Files[0]) and the parent keeps no copy.
//   - The peer's server library serves on that listener (rpcListener),
//     which hands out one connection, the parent's, and then closes the
//     listening socket: nobody else can connect, and the peer sees the
//     parent's death as the end of that connection.
//   - Connect dials the path once and removes the socket file and the
//     directory at once: both sides hold the connection, the name is no
//     longer needed. The client library gets that connection from
//     rpcParent.dial; a later dial (a library reconnecting after the peer
//     went away) fails with ErrPeerGone. Close removes the directory if
//     Connect did not.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

// rpcMaxMessage is the limit of the rpc family's channels: ipcbench's own
// limit on a message (the framing limit), as neither library imposes one
// that ipcbench does not raise to the channel's capacity.
const rpcMaxMessage = frame.MaxMessage

// rpcSocketName is the socket's name in its private directory.
const rpcSocketName = "sock"

// rpcClient is what the parent's Conns of the rpc family share: the
// channel's configuration, the socket, and the context that Close
// cancels to end every call.
type rpcClient struct {
	cfg    fdConfig
	sock   *rpcParent
	ctx    context.Context
	cancel context.CancelFunc
	closed atomic.Bool
}

// create resolves opts against info and makes the socket. Files of the
// Endpoint: [0] the peer's listening socket.
func (c *rpcClient) create(info Info, opts Options) (Endpoint, error) {
	cfg, err := resolveCreate(info, opts)
	if err != nil {
		return Endpoint{}, err
	}
	sock, file, err := listenRPC(cfg.name)
	if err != nil {
		return Endpoint{}, err
	}
	c.cfg, c.sock = cfg, sock
	c.ctx, c.cancel = context.WithCancel(context.Background())
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity}
	return Endpoint{Spec: spec, Files: []*os.File{file}}, nil
}

// check fails a call on a closed Conn, or on one that Connect has not
// connected yet.
func (c *rpcClient) check(op string, connected bool) error {
	if c.closed.Load() {
		return rpcError(c.cfg.name, op, nil, true)
	}
	if !connected {
		return fmt.Errorf("%s: %s: not connected (Connect has not run)", c.cfg.name, op)
	}
	return nil
}

// attachRPC resolves spec against info and makes the peer's listener from
// the inherited file. It owns (and closes) files.
func attachRPC(info Info, spec Spec, files []*os.File) (fdConfig, *rpcListener, error) {
	cfg, err := resolveAttach(info, spec)
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return cfg, nil, err
	}
	ln, err := listenAttach(cfg.name, files)
	return cfg, ln, err
}

// rpcParent is the parent's end of the socket of an rpc transport.
type rpcParent struct {
	name string
	dir  string // private directory, "" once removed
	path string

	mu   sync.Mutex
	conn net.Conn // dialed by connect, until the client library takes it
	used bool     // the library has taken it
}

// listenRPC makes the private directory and the listening socket in it,
// and returns the parent's end and the peer's file (the listener).
func listenRPC(name string) (*rpcParent, *os.File, error) {
	dir, err := os.MkdirTemp("", fmt.Sprintf("ipcbench-%d-", os.Getpid()))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: create: %w", name, err)
	}
	p := &rpcParent{name: name, dir: dir, path: filepath.Join(dir, rpcSocketName)}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		p.removeDir()
		return nil, nil, fmt.Errorf("%s: create: %w", name, os.NewSyscallError("socket", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: p.path}); err != nil {
		unix.Close(fd)
		p.removeDir()
		return nil, nil, fmt.Errorf("%s: create: %w", name, &os.PathError{Op: "bind", Path: p.path, Err: err})
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		p.removeDir()
		return nil, nil, fmt.Errorf("%s: create: %w", name, os.NewSyscallError("listen", err))
	}
	return p, peerFile(fd, "ipcbench-"+name+"-listener"), nil
}

// connect dials the peer's listener and removes the socket's name and
// directory.
func (p *rpcParent) connect() error {
	if p.dir == "" {
		return fmt.Errorf("%s: connect: the socket's directory is gone (connected already, or closed)", p.name)
	}
	c, err := net.Dial("unix", p.path)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", p.name, err)
	}
	if err := p.removeDir(); err != nil {
		c.Close()
		return err
	}
	p.mu.Lock()
	p.conn = c
	p.mu.Unlock()
	return nil
}

// errOneConnection is what a client library gets when it dials again:
// the one connection to the peer has ended.
var errOneConnection = fmt.Errorf("%w: the one connection to the peer has ended and is not made again", ErrPeerGone)

// dial hands the client library the connection connect made, once.
func (p *rpcParent) dial(context.Context) (net.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil || p.used {
		return nil, fmt.Errorf("%s: dial: %w", p.name, errOneConnection)
	}
	p.used = true
	return p.conn, nil
}

// close closes the connection if the library never took it and removes
// the directory if connect did not.
func (p *rpcParent) close() error {
	p.mu.Lock()
	if p.conn != nil && !p.used {
		p.conn.Close()
	}
	p.used = true
	p.mu.Unlock()
	return p.removeDir()
}

func (p *rpcParent) removeDir() error {
	if p.dir == "" {
		return nil
	}
	if err := os.RemoveAll(p.dir); err != nil {
		return fmt.Errorf("%s: remove: %w", p.name, err)
	}
	p.dir = ""
	return nil
}

// rpcListener is the peer's listener: it accepts one connection, closes
// the listening socket, and then blocks in Accept until Close. Gone is
// closed once that connection has been closed (the server library closes
// it when the parent has gone, or at Close).
type rpcListener struct {
	ln     net.Listener
	first  chan struct{} // closed once a connection was handed out
	closed chan struct{}
	gone   chan struct{}
	once   sync.Once // closes closed
	acc    sync.Once
}

// listenAttach makes the peer's listener from the inherited file (owned
// and closed here).
func listenAttach(name string, files []*os.File) (*rpcListener, error) {
	if len(files) != 1 || files[0] == nil {
		for _, f := range files {
			f.Close()
		}
		return nil, fmt.Errorf("%s: attach: got %d files, want the listening socket", name, len(files))
	}
	ln, err := net.FileListener(files[0])
	files[0].Close()
	if err != nil {
		return nil, fmt.Errorf("%s: attach: %w", name, err)
	}
	return &rpcListener{ln: ln, first: make(chan struct{}), closed: make(chan struct{}), gone: make(chan struct{})}, nil
}

// Accept returns the first connection; later calls wait for Close.
func (l *rpcListener) Accept() (net.Conn, error) {
	select {
	case <-l.first:
		<-l.closed
		return nil, net.ErrClosed
	default:
	}
	c, err := l.ln.Accept()
	if err != nil {
		return nil, err
	}
	l.acc.Do(func() { close(l.first) })
	l.ln.Close()
	return &rpcServerConn{Conn: c, gone: l.gone}, nil
}

// Close closes the listener (not the connection: the server does that).
func (l *rpcListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.ln.Close()
}

// Addr is the listener's address.
func (l *rpcListener) Addr() net.Addr { return l.ln.Addr() }

// rpcServerConn is the accepted connection; closing it closes gone.
type rpcServerConn struct {
	net.Conn
	once sync.Once
	gone chan struct{}
}

// Close closes the connection and tells the peer's Conn it has gone.
func (c *rpcServerConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { close(c.gone) })
	return err
}

// rpcBox hands what the server library's handler goroutines receive to
// the peer's Conn, one item at a time: a handler puts an item and waits
// for the peer to take it; the peer's Recv takes it.
type rpcBox[T any] struct {
	items  chan T
	closed chan struct{} // closed by the peer's Close
	gone   <-chan struct{}
}

func newRPCBox[T any](gone <-chan struct{}) *rpcBox[T] {
	return &rpcBox[T]{items: make(chan T), closed: make(chan struct{}), gone: gone}
}

// errBoxClosed is what a handler gets when the peer's Conn has closed.
var errBoxClosed = errors.New("the peer's end is closed")

// put hands v to the peer, unless ctx ends or the peer's Conn closes.
func (b *rpcBox[T]) put(ctx context.Context, v T) error {
	select {
	case b.items <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.closed:
		return errBoxClosed
	}
}

// take waits for the next item. It fails with ErrPeerGone once the
// parent's connection has ended, and with ErrClosed after close.
func (b *rpcBox[T]) take(name string) (T, error) {
	var zero T
	select {
	case v := <-b.items:
		return v, nil
	case <-b.gone:
		return zero, fmt.Errorf("%s: recv: %w: the parent's connection has ended", name, ErrPeerGone)
	case <-b.closed:
		return zero, fmt.Errorf("%s: recv: %w", name, ErrClosed)
	}
}

// close makes take fail with ErrClosed and every waiting handler return.
func (b *rpcBox[T]) close() { close(b.closed) }

// rpcError maps an error of a client or server library to the package's
// errors: end of the connection (end of file, reset, the one connection
// gone) is ErrPeerGone, as for every socket (fdError).
func rpcError(name, op string, err error, closed bool) error {
	if !closed && !errors.Is(err, ErrPeerGone) && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return fmt.Errorf("%s: %s: %w: %w", name, op, ErrPeerGone, err)
	}
	if errors.Is(err, ErrPeerGone) && !closed {
		return fmt.Errorf("%s: %s: %w", name, op, err)
	}
	return fdError(name, op, err, closed, false)
}
