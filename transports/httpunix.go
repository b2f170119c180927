package transports

// http-unix: net/http over one keep-alive connection of a Unix stream
// socket in a private directory (rpcsock.go: how the socket is made,
// named, connected and removed). The parent is an http.Client (its own
// http.Transport, keep-alive on, no compression, HTTP/1.1), the peer an
// http.Server with two routes.
//
// What each workload measures (the harness tells the parent's Conn which
// flow comes next: FlowSetter):
//
//   - Ping-pong and echo (RoundTrips): every message is one
//     "POST /echo" with the message as its body (Content-Length), and the
//     echo is the response's body (200, Content-Length). The client's Do
//     runs on a goroutine of the Conn, so that Send returns once the
//     request's body has been written (the http.Transport closes it) and
//     Recv waits for the response and reads its body into the caller's
//     buffer. In the peer, the handler hands the request to the peer's
//     Recv, which reads the body into its buffer, and waits while the
//     peer's Send writes the response. HTTP/1.1 carries one request at a
//     time on a connection: a Send made while an earlier reply has not
//     been received first reads that reply (Recv then returns it).
//   - Stream (OneWay): one "POST /stream" whose body is chunked
//     (Transfer-Encoding: chunked, from an io.Pipe): SetFlow starts it,
//     each Send writes one message into it framed as on every byte stream
//     (internal/frame: a length, then the payload), which the
//     http.Transport sends as one chunk or two (header, payload) and
//     splits into chunks of 32 KiB at most (io.Copy's buffer); the peer's
//     Recv reads the frames from the request body. SetFlow back to
//     RoundTrips (or Close) ends the body; the handler answers 204 once
//     the peer's Recv has read it to its end, and the next request, which
//     waits for that answer, goes out after it.
//
// The peer's messages are the responses to the parent's requests: a peer
// Send with no request to answer fails.
//
// Limits: net/http sets none on a body; ipcbench's own limit of 16 MiB
// (rpcMaxMessage, the framing limit the stream's frames use) applies.
//
// A peer that dies ends the connection: the parent's request fails
// (ErrPeerGone; the http.Transport does not retry a POST, and a new
// connection is refused, rpcParent.dial), and the peer's Recv fails with
// ErrPeerGone when the parent dies.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

var httpInfo = Info{
	Name:   "http-unix",
	Family: "rpc",
	Wait:   WaitSleep,
	Order:  2,
	Doc:    "net/http over a Unix socket, keep-alive: a POST per round trip, a chunked POST body for a stream",
	APIs:   []API{Runtime},
	Limits: func(API) Limits {
		return Limits{MaxMessage: rpcMaxMessage, Source: fmt.Sprintf(
			"ipcbench's limit on a message (%d MiB; the stream's frames, internal/frame.MaxMessage); net/http sets none on a request or response body",
			rpcMaxMessage>>20)}
	},
	New: func() Transport { return httpTransport{} },
}

func init() { Register(httpInfo) }

// The routes and their URLs (the host is a name only: the Transport
// dials the socket).
const (
	httpEchoPath   = "/echo"
	httpStreamPath = "/stream"
	httpBaseURL    = "http://ipcbench"
)

type httpTransport struct{}

var _ Transport = httpTransport{}

// Create makes the socket. Files: [0] the peer's listening socket. The
// parent's Conn is usable after Connect.
func (httpTransport) Create(opts Options) (Conn, Endpoint, error) {
	c := &httpClient{}
	ep, err := c.create(httpInfo, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	return c, ep, nil
}

// Attach serves the routes on the inherited listener.
func (httpTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	cfg, ln, err := attachRPC(httpInfo, spec, files)
	if err != nil {
		return nil, err
	}
	p := &httpPeer{cfg: cfg, ln: ln, box: newRPCBox[httpItem](ln.gone), answered: make(chan struct{}), served: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+httpEchoPath, p.serveEcho)
	mux.HandleFunc("POST "+httpStreamPath, p.serveStream)
	p.srv = &http.Server{Handler: mux, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		defer close(p.served)
		p.srv.Serve(ln)
	}()
	return p, nil
}

// httpError maps an error of the client's Do: a request that failed on
// the connection (a *url.Error not caused by Close's cancellation: the
// peer closed the connection, reset it, or it is gone) is ErrPeerGone.
func httpError(name, op string, err error, closed bool) error {
	var ue *url.Error
	if !closed && errors.As(err, &ue) && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrPeerGone) {
		return fmt.Errorf("%s: %s: %w: %w", name, op, ErrPeerGone, err)
	}
	return rpcError(name, op, err, closed)
}

// readBody reads r to its end into buf and returns the length. A body
// longer than buf is read to its end and discarded (io.ErrShortBuffer),
// so that the connection stays in step. one is a byte of scratch.
func readBody(name, op string, r io.Reader, buf []byte, one *[1]byte) (int, error) {
	n := 0
	for {
		p := buf[n:]
		if len(p) == 0 {
			p = one[:] // is there more than fits?
		}
		m, err := r.Read(p)
		if len(buf[n:]) == 0 && m > 0 {
			rest, _ := io.Copy(io.Discard, r)
			return 0, fmt.Errorf("%s: %s: message of %d bytes longer than the buffer of %d bytes (discarded): %w", name, op, int64(n+m)+rest, len(buf), io.ErrShortBuffer)
		}
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// httpBody is a request's body in the ping-pong: done is closed when the
// http.Transport has written it and closed it (or given up on it).
type httpBody struct {
	bytes.Reader
	once sync.Once
	done chan struct{}
}

// Close tells Send the body has been written.
func (b *httpBody) Close() error {
	b.once.Do(func() { close(b.done) })
	return nil
}

// httpResult is what the client's Do returned.
type httpResult struct {
	resp *http.Response
	err  error
}

// httpAhead is a reply read ahead of Recv.
type httpAhead struct {
	body []byte
	err  error
}

// httpClient is the parent's Conn: the HTTP client.
type httpClient struct {
	rpcClient
	tr     *http.Transport
	client *http.Client

	calls      chan *http.Request // to the goroutine that runs Do
	results    chan httpResult    // its results, one at a time
	callerDone chan struct{}

	flow      Flow
	inFlight  bool        // a request's result has not been taken from results
	streamEnd bool        // that request is a stream whose body has ended
	ahead     []httpAhead // replies read ahead of Recv, oldest first
	one       [1]byte

	pw *io.PipeWriter // OneWay: the stream's body
	fw *frame.Writer
}

var (
	_ Connector  = (*httpClient)(nil)
	_ FlowSetter = (*httpClient)(nil)
)

// Connect dials the peer, removes the socket's name and starts the
// goroutine that runs the client's requests.
func (c *httpClient) Connect(map[string]string) error {
	if c.closed.Load() {
		return rpcError(c.cfg.name, "connect", nil, true)
	}
	if c.client != nil {
		return nil
	}
	if err := c.sock.connect(); err != nil {
		return err
	}
	c.tr = &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return c.sock.dial(ctx) },
		DisableCompression:  true,
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
	}
	c.client = &http.Client{Transport: c.tr}
	c.calls, c.results, c.callerDone = make(chan *http.Request), make(chan httpResult, 1), make(chan struct{})
	go c.caller()
	return nil
}

// caller runs the requests one after the other.
func (c *httpClient) caller() {
	defer close(c.callerDone)
	for req := range c.calls {
		resp, err := c.client.Do(req)
		req.Body.Close() // the Transport has; done for Send in any case
		c.results <- httpResult{resp, err}
	}
}

func (c *httpClient) notReady(op string) error { return c.check(op, c.client != nil) }

// newRequest makes a request of the Conn's context.
func (c *httpClient) newRequest(path string, body io.ReadCloser, n int64) *http.Request {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPost, httpBaseURL+path, nil)
	if err != nil {
		panic(err) // a constant URL
	}
	req.Body, req.ContentLength = body, n
	req.Header.Set("Content-Type", "application/octet-stream")
	return req
}

// SetFlow starts the chunked stream for OneWay, or ends it for
// RoundTrips.
func (c *httpClient) SetFlow(f Flow) error {
	if err := c.notReady("set flow"); err != nil {
		return err
	}
	if f == c.flow {
		return nil
	}
	switch f {
	case OneWay:
		if err := c.finishStream(); err != nil {
			return err
		}
		if c.inFlight || len(c.ahead) > 0 {
			return fmt.Errorf("%s: set flow %v: a reply has not been received", c.cfg.name, f)
		}
		pr, pw := io.Pipe()
		c.calls <- c.newRequest(httpStreamPath, pr, 0) // 0 with a body: chunked
		c.inFlight = true
		c.pw, c.fw = pw, frame.NewWriter(frame.WriterWritev(pw), c.cfg.capacity)
	case RoundTrips:
		c.pw.Close()
		c.pw, c.fw, c.streamEnd = nil, nil, true
	default:
		return fmt.Errorf("%s: set flow: unknown flow %v", c.cfg.name, f)
	}
	c.flow = f
	return nil
}

// finishStream waits for the response to a stream whose body has ended:
// the peer has then read every message, and the connection is free.
func (c *httpClient) finishStream() error {
	if !c.streamEnd {
		return nil
	}
	c.streamEnd = false
	r := <-c.results
	c.inFlight = false
	if r.err != nil {
		return httpError(c.cfg.name, "end stream", r.err, c.closed.Load())
	}
	defer r.resp.Body.Close()
	io.Copy(io.Discard, r.resp.Body)
	if r.resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%s: end stream: response %s, want %d", c.cfg.name, r.resp.Status, http.StatusNoContent)
	}
	return nil
}

// Send posts msg (RoundTrips) or writes it into the stream's body
// (OneWay). It returns once the message has been written.
func (c *httpClient) Send(msg []byte) error {
	if err := c.notReady("send"); err != nil {
		return err
	}
	if len(msg) > c.cfg.capacity {
		return CheckSize(c.cfg.name, len(msg), c.cfg.capacity, c.cfg.lim)
	}
	if c.flow == OneWay {
		if err := c.fw.WriteFrame(msg); err != nil {
			// The Transport closed the body: the request failed.
			c.pw.Close()
			c.pw, c.fw, c.flow = nil, nil, RoundTrips
			r := <-c.results
			c.inFlight = false
			if r.err == nil {
				r.resp.Body.Close()
				r.err = fmt.Errorf("response %s before the end of the stream", r.resp.Status)
			}
			return httpError(c.cfg.name, "send", r.err, c.closed.Load())
		}
		return nil
	}
	if err := c.finishStream(); err != nil {
		return err
	}
	if c.inFlight {
		c.ahead = append(c.ahead, c.readAhead())
	}
	var body io.ReadCloser = http.NoBody
	var written chan struct{}
	if len(msg) > 0 {
		b := &httpBody{done: make(chan struct{})}
		b.Reset(msg)
		body, written = b, b.done
	}
	c.calls <- c.newRequest(httpEchoPath, body, int64(len(msg)))
	c.inFlight = true
	if written != nil {
		<-written
	}
	return nil
}

// readAhead takes the pending reply and reads its body into a buffer of
// its own, so that the connection is free for the next request.
func (c *httpClient) readAhead() httpAhead {
	buf := make([]byte, c.cfg.capacity)
	n, err := c.reply(buf)
	return httpAhead{body: buf[:n], err: err}
}

// reply takes the pending request's result and reads its body into buf.
func (c *httpClient) reply(buf []byte) (int, error) {
	r := <-c.results
	c.inFlight = false
	if r.err != nil {
		return 0, httpError(c.cfg.name, "recv", r.err, c.closed.Load())
	}
	defer r.resp.Body.Close()
	if r.resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, r.resp.Body)
		return 0, fmt.Errorf("%s: recv: response %s", c.cfg.name, r.resp.Status)
	}
	n, err := readBody(c.cfg.name, "recv", r.resp.Body, buf, &c.one)
	if err != nil && !errors.Is(err, io.ErrShortBuffer) {
		return 0, rpcError(c.cfg.name, "recv", err, c.closed.Load())
	}
	return n, err
}

// Recv returns the reply of the oldest request.
func (c *httpClient) Recv(buf []byte) (int, error) {
	if err := c.notReady("recv"); err != nil {
		return 0, err
	}
	if c.flow == OneWay {
		return 0, fmt.Errorf("%s: recv: a stream (one chunked request body) carries no messages back", c.cfg.name)
	}
	if err := c.finishStream(); err != nil {
		return 0, err
	}
	if len(c.ahead) > 0 {
		a := c.ahead[0]
		c.ahead = c.ahead[1:]
		if a.err != nil {
			return 0, a.err
		}
		if len(a.body) > len(buf) {
			return 0, fmt.Errorf("%s: recv: message of %d bytes longer than the buffer of %d bytes (discarded): %w", c.cfg.name, len(a.body), len(buf), io.ErrShortBuffer)
		}
		return copy(buf, a.body), nil
	}
	if !c.inFlight {
		return 0, fmt.Errorf("%s: recv: no request waits for its reply: the peer's messages are the responses to the parent's requests", c.cfg.name)
	}
	return c.reply(buf)
}

// Close ends every request, stops the client and removes the socket's
// directory if Connect has not.
func (c *httpClient) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.cancel()
	if c.client != nil {
		if c.pw != nil {
			c.pw.CloseWithError(ErrClosed)
		}
		close(c.calls)
		<-c.callerDone
		select {
		case r := <-c.results:
			if r.resp != nil {
				r.resp.Body.Close()
			}
		default:
		}
		c.tr.CloseIdleConnections()
	}
	if err := c.sock.close(); err != nil {
		return fmt.Errorf("%s: close: %w", c.cfg.name, err)
	}
	return nil
}

// httpItem is what a handler hands the peer: a request to answer
// (ping-pong), or a stream's request whose body the peer reads, done
// closed once it has read it to its end.
type httpItem struct {
	w    http.ResponseWriter
	r    *http.Request
	done chan struct{} // stream only
}

// httpPeer is the peer's Conn: the HTTP server.
type httpPeer struct {
	cfg      fdConfig
	ln       *rpcListener
	srv      *http.Server
	served   chan struct{} // closed when Serve has returned
	box      *rpcBox[httpItem]
	answered chan struct{} // the peer's Send has written the pending response
	closed   atomic.Bool
	one      [1]byte

	pending *httpItem     // the request Recv returned last, until Send answers it
	item    httpItem      // its storage
	stream  *frame.Reader // the stream being read, with its item
	sitem   httpItem
}

// serveEcho hands the request to the peer's Recv and waits until the
// peer's Send has written the response.
func (p *httpPeer) serveEcho(w http.ResponseWriter, r *http.Request) {
	if p.box.put(r.Context(), httpItem{w: w, r: r}) != nil {
		return
	}
	// The peer uses w and r now: wait for it to be done with them.
	select {
	case <-p.answered:
	case <-p.box.closed:
	}
}

// serveStream hands the stream's request to the peer's Recv and answers
// 204 once the peer has read its body to the end.
func (p *httpPeer) serveStream(w http.ResponseWriter, r *http.Request) {
	done := make(chan struct{})
	if p.box.put(r.Context(), httpItem{w: w, r: r, done: done}) != nil {
		return
	}
	select {
	case <-done:
		w.WriteHeader(http.StatusNoContent)
	case <-p.box.closed:
	}
}

// Recv returns the next message: the body of the next request, or the
// next frame of the stream being read.
func (p *httpPeer) Recv(buf []byte) (int, error) {
	if p.closed.Load() {
		return 0, rpcError(p.cfg.name, "recv", nil, true)
	}
	for {
		if p.stream != nil {
			n, err := p.stream.ReadFrame(buf)
			switch {
			case err == nil:
				return n, nil
			case errors.Is(err, io.ErrShortBuffer):
				return 0, fmt.Errorf("%s: recv: %w", p.cfg.name, err)
			case err == io.EOF: // the stream's end, at a frame boundary
				close(p.sitem.done)
				p.stream, p.sitem = nil, httpItem{}
				continue
			}
			return 0, rpcError(p.cfg.name, "recv", err, p.closed.Load())
		}
		if p.pending != nil {
			return 0, fmt.Errorf("%s: recv: the request received last waits for its response (Send)", p.cfg.name)
		}
		it, err := p.box.take(p.cfg.name)
		if err != nil {
			return 0, err
		}
		if it.done != nil {
			p.sitem = it
			p.stream = frame.NewReader(it.r.Body.Read, p.cfg.capacity, frame.DefaultBufferSize)
			continue
		}
		n, err := readBody(p.cfg.name, "recv", it.r.Body, buf, &p.one)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, io.ErrShortBuffer) {
				status = http.StatusRequestEntityTooLarge
			}
			it.w.WriteHeader(status)
			p.item, p.pending = it, &p.item
			p.answer()
			if errors.Is(err, io.ErrShortBuffer) {
				return 0, err
			}
			return 0, rpcError(p.cfg.name, "recv", err, p.closed.Load())
		}
		p.item, p.pending = it, &p.item
		return n, nil
	}
}

// Send writes msg as the response to the request Recv returned last.
func (p *httpPeer) Send(msg []byte) error {
	if p.closed.Load() {
		return rpcError(p.cfg.name, "send", nil, true)
	}
	if p.pending == nil {
		return fmt.Errorf("%s: send: no request to answer: the peer's messages are the responses to the parent's requests: %w", p.cfg.name, errors.ErrUnsupported)
	}
	if len(msg) > p.cfg.capacity {
		return CheckSize(p.cfg.name, len(msg), p.cfg.capacity, p.cfg.lim)
	}
	w := p.pending.w
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	_, err := w.Write(msg)
	if aerr := p.answer(); aerr != nil {
		return aerr
	}
	if err != nil {
		return rpcError(p.cfg.name, "send", err, p.closed.Load())
	}
	return nil
}

// answer tells the pending request's handler the peer is done with it.
func (p *httpPeer) answer() error {
	p.pending, p.item = nil, httpItem{}
	select {
	case p.answered <- struct{}{}:
		return nil
	case <-p.box.closed:
		return rpcError(p.cfg.name, "send", nil, true)
	}
}

// Close stops the server: its connection, listener and handlers.
func (p *httpPeer) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.box.close()
	p.srv.Close()
	<-p.served
	return nil
}
