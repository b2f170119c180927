package harness

import (
	"encoding/json"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports"
)

// FuzzControl feeds arbitrary packets through the control channel's
// decoding (ctl.recv) as a request and as a response. Nothing may panic;
// a decoded message must survive a send/recv round trip unchanged; and the
// peer's request dispatch (serve, before any attach) must answer a
// decoded request with an error response rather than fail.
func FuzzControl(f *testing.F) {
	spec := &transports.Spec{Transport: "fifo", API: transports.Raw, MaxMessage: 64,
		Params: map[string]string{"p2c": "/tmp/ipcbench-1-x/p2c", "c2p": "/tmp/ipcbench-1-x/c2p"}}
	for _, v := range []any{
		request{Op: "attach", Spec: spec, CPU: 1},
		request{Op: "pingpong", Size: 64, Seed: 42},
		request{Op: "stream", Size: 1 << 20, Window: 64},
		request{Op: "echo", Count: 3},
		request{Op: "func", Func: "nope", Args: json.RawMessage(`{"a":[1,2,3]}`)},
		response{PID: 7, TID: 8, Reply: map[string]string{"tid": "8"}},
		response{Received: 10, Lost: 1, Acks: 2, Result: json.RawMessage(`"x"`)},
		response{Error: "boom"},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"op":"attach","spec":{"transport":"shm-futex","max_message":-1,"params":{"size":"9e99"}},"cpu":-5}`))
	f.Add([]byte(`{"op":"attach","spec":null}`))
	f.Add([]byte(`{"result":{},"usage":{"user_ns":1e400}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		f.Fatal(err)
	}
	w, r := newCtl(fds[0]), newCtl(fds[1])
	f.Cleanup(func() { w.close(); r.close() })

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > maxCtlMsg {
			return // an empty packet reads as end of file; a larger one is never sent
		}
		var req request
		if ctlDecodeRaw(t, w, r, data, &req) {
			ctlRoundTrip(t, w, r, &req, &request{})
			if req.Op != "attach" && req.Op != "close" {
				p := &peerState{ctl: r}
				if resp := p.serve(req); resp.Error == "" {
					t.Fatalf("serve(%+v) before attach answered without error: %+v", req, resp)
				}
			}
		}
		var resp response
		if ctlDecodeRaw(t, w, r, data, &resp) {
			ctlRoundTrip(t, w, r, &resp, &response{})
		}
	})
}

// ctlDecodeRaw writes data as one packet and decodes it with ctl.recv.
func ctlDecodeRaw(t *testing.T, w, r *ctl, data []byte, v any) bool {
	if _, err := unix.Write(w.fd, data); err != nil {
		t.Fatalf("write %d bytes: %v", len(data), err)
	}
	return r.recv(v) == nil
}

// ctlRoundTrip sends v with ctl.send and checks recv gives it back.
func ctlRoundTrip(t *testing.T, w, r *ctl, v, back any) {
	if err := w.send(v); err != nil {
		return // e.g. NaN or a message grown beyond maxCtlMsg: refused, not sent
	}
	if err := r.recv(back); err != nil {
		t.Fatalf("re-decoding %+v: %v", v, err)
	}
	b1, _ := json.Marshal(v)
	b2, _ := json.Marshal(back)
	if !reflect.DeepEqual(b1, b2) {
		t.Fatalf("round trip changed the message:\n%s\n%s", b1, b2)
	}
}
