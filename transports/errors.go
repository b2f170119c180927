package transports

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownTransport is wrapped by Lookup for a name that is not registered.
	ErrUnknownTransport = errors.New("unknown transport")
	// ErrUnsupportedAPI is wrapped when a transport is asked for an API it lacks.
	ErrUnsupportedAPI = errors.New("unsupported api")
	// ErrMessageTooLarge is wrapped (by *LimitError) when a message exceeds
	// a mechanism's or a channel's limit.
	ErrMessageTooLarge = errors.New("message too large")
	// ErrClosed is returned by Send and Recv after Close.
	ErrClosed = errors.New("transport closed")
	// ErrPeerGone is wrapped when the other process has closed its side or
	// died: end of file, a reset connection, a removed queue.
	ErrPeerGone = errors.New("peer gone")
	// ErrInterrupted is wrapped by a blocked Send or Recv that Interrupt ended.
	ErrInterrupted = errors.New("interrupted")
	// ErrCorrupt is wrapped when a transport detects a malformed frame.
	ErrCorrupt = errors.New("corrupt message")
)

// A LimitError reports a kernel or mechanism limit that a request exceeds,
// and where the limit comes from, so the user knows what to change.
type LimitError struct {
	Transport string // e.g. "posix-mq"
	What      string // e.g. "message size"
	Got, Max  int
	Source    string // e.g. "/proc/sys/fs/mqueue/msgsize_max"
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s %d exceeds the limit of %d (%s)", e.Transport, e.What, e.Got, e.Max, e.Source)
}

// Unwrap makes errors.Is(err, ErrMessageTooLarge) hold.
func (e *LimitError) Unwrap() error { return ErrMessageTooLarge }

// CheckSize returns a *LimitError if n exceeds capacity. When capacity is
// below the mechanism's own limit, the error names the channel's capacity
// (Options.MaxMessage) as the source; otherwise it names lim.Source.
func CheckSize(transport string, n, capacity int, lim Limits) error {
	if n <= capacity {
		return nil
	}
	src := lim.Source
	if capacity < lim.MaxMessage {
		src = fmt.Sprintf("capacity chosen at Create (Options.MaxMessage); the mechanism allows %d: %s", lim.MaxMessage, lim.Source)
	}
	return &LimitError{Transport: transport, What: "message size", Got: n, Max: capacity, Source: src}
}
