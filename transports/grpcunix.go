package transports

// grpc-unix: gRPC (google.golang.org/grpc, HTTP/2) over one connection of
// a Unix stream socket in a private directory (rpcsock.go: how the socket
// is made, named, connected and removed). The parent is the gRPC client,
// the peer the server of one service, ipcbench.Echo, registered by hand
// (a grpc.ServiceDesc: no generated code). Its codec (grpcCodec) carries
// a message's bytes as they are: Send copies them into one buffer of
// gRPC's pool, as a generated protobuf codec copies its encoding, and
// Recv copies them out of the buffers gRPC read them into, so that the
// figure is gRPC's framing, HTTP/2 and scheduling, not a serialiser.
//
// What each workload measures (the harness tells the parent's Conn which
// flow comes next: FlowSetter):
//
//   - Ping-pong and echo (RoundTrips): every message is one unary call,
//     /ipcbench.Echo/Echo, whose reply is the echo. Send starts the call
//     and returns once the request is handed to gRPC's transport; Recv
//     waits for the reply (what grpc.ClientConn.Invoke does in one step,
//     split in two: cc.NewStream with a unary StreamDesc, SendMsg, then
//     RecvMsg, which also reads the trailers). In the peer, the unary
//     handler hands the request to the peer's Recv and returns what the
//     peer's Send gives it as the reply.
//   - Stream (OneWay): one client-streaming call, /ipcbench.Echo/Stream,
//     opened by SetFlow; each Send is one message on it (SendMsg), and the
//     peer's Recv takes each from the handler's RecvMsg. SetFlow back to
//     RoundTrips (or Close) half-closes the stream and waits for its
//     empty response.
//
// The peer's messages are the replies to the parent's calls: a peer Send
// with no call to answer fails. The server allows one call at a time
// (grpc.MaxConcurrentStreams(1)), so that calls reach the peer in the
// order they were made: a parent Send made while an earlier call waits
// for its reply waits in gRPC until that call has completed (the
// workloads make one call at a time).
//
// Limits: gRPC's receive limit is 4 MiB by default on both sides
// (grpc.MaxRecvMsgSize and grpc.MaxCallRecvMsgSize); ipcbench raises it,
// and the send limits (grpc.MaxSendMsgSize, grpc.MaxCallSendMsgSize), to
// the channel's capacity (Options.MaxMessage), which is at most
// ipcbench's own limit of 16 MiB (rpcMaxMessage). HTTP/2 flow control,
// frame and buffer sizes are gRPC's defaults.
//
// A peer that dies ends the connection: the parent's call fails with
// status Unavailable (ErrPeerGone), the peer's Recv with ErrPeerGone when
// the parent dies.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

var grpcInfo = Info{
	Name:   "grpc-unix",
	Family: "rpc",
	Wait:   WaitSleep,
	Order:  1,
	Doc:    "gRPC over a Unix socket: a unary call per round trip, a client stream for a stream, raw-bytes codec",
	APIs:   []API{Runtime},
	Limits: func(API) Limits {
		return Limits{MaxMessage: rpcMaxMessage, Source: fmt.Sprintf(
			"ipcbench's limit on a message (%d MiB); gRPC's default receive limit of 4 MiB "+
				"(grpc.MaxRecvMsgSize, grpc.MaxCallRecvMsgSize) is raised by ipcbench, with the send limits, to the channel's capacity (Options.MaxMessage)",
			rpcMaxMessage>>20)}
	},
	New: func() Transport { return grpcTransport{} },
}

func init() { Register(grpcInfo) }

// The service: its methods' full names and its description.
const (
	grpcEchoMethod   = "/ipcbench.Echo/Echo"
	grpcStreamMethod = "/ipcbench.Echo/Stream"
)

var grpcService = grpc.ServiceDesc{
	ServiceName: "ipcbench.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Echo", Handler: grpcEchoHandler}},
	Streams:     []grpc.StreamDesc{{StreamName: "Stream", Handler: grpcStreamHandler, ClientStreams: true}},
}

// grpcUnary is the StreamDesc of a unary call (what Invoke uses).
var grpcUnary = grpc.StreamDesc{StreamName: "Echo"}

// grpcMsg is what grpcCodec marshals and unmarshals: a message's bytes in
// gRPC's buffers. To send, data holds the bytes copied into gRPC's pool
// (grpcEncode), which gRPC frees once written; received, data holds a
// reference to the buffers gRPC read them into, until Recv copies them
// out and frees it.
type grpcMsg struct {
	data mem.BufferSlice
}

// grpcEncode copies msg into a buffer of gRPC's pool.
func grpcEncode(msg []byte) mem.BufferSlice {
	return mem.BufferSlice{mem.Copy(msg, mem.DefaultBufferPool())}
}

// grpcCodec is the raw-bytes codec (encoding.CodecV2): no serialisation.
type grpcCodec struct{}

// Marshal hands gRPC the encoded message.
func (grpcCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*grpcMsg)
	if !ok {
		return nil, fmt.Errorf("grpc-unix codec: cannot marshal %T", v)
	}
	data := m.data
	m.data = nil
	return data, nil
}

// Unmarshal keeps a reference to the received buffers.
func (grpcCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*grpcMsg)
	if !ok {
		return fmt.Errorf("grpc-unix codec: cannot unmarshal into %T", v)
	}
	data.Ref()
	m.data = data
	return nil
}

// Name is the codec's content subtype.
func (grpcCodec) Name() string { return "ipcbench-raw" }

// grpcCopyOut copies a received message into buf and frees it.
func grpcCopyOut(name string, data mem.BufferSlice, buf []byte) (int, error) {
	defer data.Free()
	if n := data.Len(); n > len(buf) {
		return 0, fmt.Errorf("%s: recv: message of %d bytes longer than the buffer of %d bytes (discarded): %w", name, n, len(buf), io.ErrShortBuffer)
	}
	return data.CopyTo(buf), nil
}

// grpcError maps a gRPC error: Unavailable (the connection ended) is
// ErrPeerGone; Canceled after Close is ErrClosed.
func grpcError(name, op string, err error, closed bool) error {
	if s, ok := status.FromError(err); ok && !closed {
		switch s.Code() {
		case codes.Unavailable, codes.Canceled:
			return fmt.Errorf("%s: %s: %w: %w", name, op, ErrPeerGone, err)
		}
	}
	return rpcError(name, op, err, closed)
}

// grpcConnectTimeout bounds Connect's wait for the HTTP/2 handshake.
const grpcConnectTimeout = 10 * time.Second

type grpcTransport struct{}

var _ Transport = grpcTransport{}

// Create makes the socket. Files: [0] the peer's listening socket. The
// parent's Conn is usable after Connect.
func (grpcTransport) Create(opts Options) (Conn, Endpoint, error) {
	c := &grpcClient{}
	ep, err := c.create(grpcInfo, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	return c, ep, nil
}

// Attach serves the service on the inherited listener.
func (grpcTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	cfg, ln, err := attachRPC(grpcInfo, spec, files)
	if err != nil {
		return nil, err
	}
	p := &grpcPeer{cfg: cfg, ln: ln, box: newRPCBox[grpcItem](ln.gone), reply: make(chan grpcReply), served: make(chan struct{})}
	p.srv = grpc.NewServer(
		grpc.ForceServerCodecV2(grpcCodec{}),
		grpc.MaxRecvMsgSize(cfg.capacity),
		grpc.MaxSendMsgSize(cfg.capacity),
		grpc.MaxConcurrentStreams(1),
	)
	p.srv.RegisterService(&grpcService, p)
	go func() {
		defer close(p.served)
		p.srv.Serve(ln)
	}()
	return p, nil
}

// grpcClient is the parent's Conn: the gRPC client.
type grpcClient struct {
	rpcClient
	cc *grpc.ClientConn

	flow   Flow
	calls  []grpc.ClientStream // unary calls sent, oldest first, whose replies Recv has not taken
	stream grpc.ClientStream   // OneWay: the client stream
}

var (
	_ Connector  = (*grpcClient)(nil)
	_ FlowSetter = (*grpcClient)(nil)
)

// Connect dials the peer, removes the socket's name and waits until the
// HTTP/2 connection is ready.
func (c *grpcClient) Connect(map[string]string) error {
	if c.closed.Load() {
		return rpcError(c.cfg.name, "connect", nil, true)
	}
	if c.cc != nil {
		return nil
	}
	if err := c.sock.connect(); err != nil {
		return err
	}
	cc, err := grpc.NewClient("passthrough:///ipcbench",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return c.sock.dial(ctx) }),
		grpc.WithIdleTimeout(0), // never idle: the one connection must stay
		grpc.WithDefaultCallOptions(
			grpc.ForceCodecV2(grpcCodec{}),
			grpc.MaxCallRecvMsgSize(c.cfg.capacity),
			grpc.MaxCallSendMsgSize(c.cfg.capacity),
		),
	)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", c.cfg.name, err)
	}
	c.cc = cc
	ctx, cancel := context.WithTimeout(c.ctx, grpcConnectTimeout)
	defer cancel()
	cc.Connect()
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			return fmt.Errorf("%s: connect: %w: the gRPC channel is %v", c.cfg.name, ErrPeerGone, s)
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("%s: connect: the gRPC channel still %v after %v: %w", c.cfg.name, s, grpcConnectTimeout, ctx.Err())
		}
	}
}

func (c *grpcClient) notReady(op string) error { return c.check(op, c.cc != nil) }

// SetFlow opens the client stream for OneWay, or ends it for RoundTrips.
func (c *grpcClient) SetFlow(f Flow) error {
	if err := c.notReady("set flow"); err != nil {
		return err
	}
	if f == c.flow {
		return nil
	}
	switch f {
	case OneWay:
		if len(c.calls) > 0 {
			return fmt.Errorf("%s: set flow %v: %d calls still wait for their replies", c.cfg.name, f, len(c.calls))
		}
		s, err := c.cc.NewStream(c.ctx, &grpcService.Streams[0], grpcStreamMethod)
		if err != nil {
			return grpcError(c.cfg.name, "open stream", err, c.closed.Load())
		}
		c.stream = s
	case RoundTrips:
		if err := c.endStream(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: set flow: unknown flow %v", c.cfg.name, f)
	}
	c.flow = f
	return nil
}

// endStream half-closes the client stream and waits for its response:
// the server's handler has then handed every message to the peer.
func (c *grpcClient) endStream() error {
	s := c.stream
	c.stream = nil
	if err := s.CloseSend(); err != nil {
		return grpcError(c.cfg.name, "end stream", err, c.closed.Load())
	}
	var m grpcMsg
	if err := s.RecvMsg(&m); err != nil {
		return grpcError(c.cfg.name, "end stream", err, c.closed.Load())
	}
	m.data.Free()
	return nil
}

// Send makes a unary call with msg (RoundTrips) or sends it on the
// client stream (OneWay). It returns once gRPC has the message.
func (c *grpcClient) Send(msg []byte) error {
	if err := c.notReady("send"); err != nil {
		return err
	}
	if len(msg) > c.cfg.capacity {
		return CheckSize(c.cfg.name, len(msg), c.cfg.capacity, c.cfg.lim)
	}
	if c.flow == OneWay {
		if err := c.stream.SendMsg(&grpcMsg{data: grpcEncode(msg)}); err != nil {
			if err == io.EOF { // the stream has ended: its status says why
				err = c.stream.RecvMsg(&grpcMsg{})
			}
			return grpcError(c.cfg.name, "send", err, c.closed.Load())
		}
		return nil
	}
	s, err := c.cc.NewStream(c.ctx, &grpcUnary, grpcEchoMethod)
	if err != nil {
		return grpcError(c.cfg.name, "send", err, c.closed.Load())
	}
	if err := s.SendMsg(&grpcMsg{data: grpcEncode(msg)}); err != nil {
		if err == io.EOF {
			err = s.RecvMsg(&grpcMsg{})
		}
		return grpcError(c.cfg.name, "send", err, c.closed.Load())
	}
	if len(c.calls) == 0 {
		c.calls = c.calls[:0:cap(c.calls)]
	}
	c.calls = append(c.calls, s)
	return nil
}

// Recv waits for the reply of the oldest call and copies it into buf.
func (c *grpcClient) Recv(buf []byte) (int, error) {
	if err := c.notReady("recv"); err != nil {
		return 0, err
	}
	if c.flow == OneWay {
		return 0, fmt.Errorf("%s: recv: a stream (one client-streaming call) carries no messages back", c.cfg.name)
	}
	if len(c.calls) == 0 {
		return 0, fmt.Errorf("%s: recv: no call waits for its reply: the peer's messages are the replies to the parent's calls", c.cfg.name)
	}
	s := c.calls[0]
	c.calls[0] = nil
	c.calls = c.calls[1:]
	var m grpcMsg
	if err := s.RecvMsg(&m); err != nil {
		return 0, grpcError(c.cfg.name, "recv", err, c.closed.Load())
	}
	return grpcCopyOut(c.cfg.name, m.data, buf)
}

// Close ends every call, closes the client and removes the socket's
// directory if Connect has not.
func (c *grpcClient) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.cancel()
	var errs []error
	if c.cc != nil {
		errs = append(errs, c.cc.Close())
	}
	errs = append(errs, c.sock.close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", c.cfg.name, err)
	}
	return nil
}

// grpcItem is what a handler hands the peer: a message, and whether it
// is a unary call waiting for the peer's reply.
type grpcItem struct {
	data mem.BufferSlice
	call bool
}

// grpcReply is the peer's answer to a unary call.
type grpcReply struct {
	data mem.BufferSlice
	err  error
}

// grpcPeer is the peer's Conn: the gRPC server.
type grpcPeer struct {
	cfg    fdConfig
	ln     *rpcListener
	srv    *grpc.Server
	served chan struct{} // closed when Serve has returned
	box    *rpcBox[grpcItem]
	reply  chan grpcReply
	// pending: the message Recv returned last is a call that waits for
	// the peer's Send.
	pending bool
	closed  atomic.Bool
}

// grpcEchoHandler is the unary method: it hands the request to the
// peer's Recv and returns the peer's Send as the reply.
func grpcEchoHandler(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	p := srv.(*grpcPeer)
	var m grpcMsg
	if err := dec(&m); err != nil {
		return nil, err
	}
	if err := p.box.put(ctx, grpcItem{data: m.data, call: true}); err != nil {
		m.data.Free()
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	select {
	case r := <-p.reply:
		if r.err != nil {
			return nil, r.err
		}
		return &grpcMsg{data: r.data}, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	case <-p.box.closed:
		return nil, status.Error(codes.Unavailable, errBoxClosed.Error())
	}
}

// grpcStreamHandler is the client-streaming method: it hands each
// message to the peer's Recv; at the end of the stream it sends the
// empty response.
func grpcStreamHandler(srv any, stream grpc.ServerStream) error {
	p := srv.(*grpcPeer)
	for {
		var m grpcMsg
		err := stream.RecvMsg(&m)
		if err == io.EOF {
			return stream.SendMsg(&grpcMsg{})
		}
		if err != nil {
			return err
		}
		if err := p.box.put(stream.Context(), grpcItem{data: m.data}); err != nil {
			m.data.Free()
			return status.Error(codes.Unavailable, err.Error())
		}
	}
}

// Recv takes the next message from a handler and copies it into buf.
func (p *grpcPeer) Recv(buf []byte) (int, error) {
	if p.closed.Load() {
		return 0, rpcError(p.cfg.name, "recv", nil, true)
	}
	if p.pending {
		return 0, fmt.Errorf("%s: recv: the call received last waits for its reply (Send)", p.cfg.name)
	}
	it, err := p.box.take(p.cfg.name)
	if err != nil {
		return 0, err
	}
	n, err := grpcCopyOut(p.cfg.name, it.data, buf)
	if err != nil && it.call {
		p.answer(grpcReply{err: status.Error(codes.ResourceExhausted, err.Error())})
		return 0, err
	}
	p.pending = it.call
	return n, err
}

// Send answers the call Recv returned last with msg.
func (p *grpcPeer) Send(msg []byte) error {
	if p.closed.Load() {
		return rpcError(p.cfg.name, "send", nil, true)
	}
	if !p.pending {
		return fmt.Errorf("%s: send: no call to answer: the peer's messages are the replies to the parent's unary calls: %w", p.cfg.name, errors.ErrUnsupported)
	}
	if len(msg) > p.cfg.capacity {
		return CheckSize(p.cfg.name, len(msg), p.cfg.capacity, p.cfg.lim)
	}
	return p.answer(grpcReply{data: grpcEncode(msg)})
}

// answer hands r to the handler of the pending call.
func (p *grpcPeer) answer(r grpcReply) error {
	p.pending = false
	select {
	case p.reply <- r:
		return nil
	case <-p.ln.gone:
		r.data.Free()
		return fmt.Errorf("%s: send: %w: the parent's connection has ended", p.cfg.name, ErrPeerGone)
	}
}

// Close stops the server: its connection, listener and handlers.
func (p *grpcPeer) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.box.close()
	p.srv.Stop()
	p.ln.Close()
	<-p.served
	return nil
}
