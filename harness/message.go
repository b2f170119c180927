package harness

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// endFlag marks the last message of a workload in the sequence number.
const endFlag = uint64(1) << 63

// MinWorkloadSize is the smallest message a ping-pong or stream workload
// can use: the sequence number takes 8 bytes.
const MinWorkloadSize = 8

// pattern is the content every workload message is made of: bytes from a
// xorshift generator seeded by the parent, reproduced by the peer.
func pattern(seed uint64, n int) []byte {
	p := make([]byte, n)
	x := seed | 1
	for i := 0; i < n; i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], x)
		copy(p[i:], w[:])
	}
	return p
}

// stamp writes seq into the first 8 bytes of msg and, from 16 bytes on, into
// the last 8.
func stamp(msg []byte, seq uint64) {
	binary.LittleEndian.PutUint64(msg, seq)
	if n := len(msg); n >= 16 {
		binary.LittleEndian.PutUint64(msg[n-8:], seq)
	}
}

// seqOf returns the sequence number at the head of msg (len(msg) >= 8).
func seqOf(msg []byte) uint64 { return binary.LittleEndian.Uint64(msg) }

// A VerifyError says what was wrong with a received message.
type VerifyError struct {
	Seq    uint64 // the message number expected
	Reason string
}

func (e *VerifyError) Error() string { return fmt.Sprintf("message %d: %s", e.Seq, e.Reason) }

// verifyHead checks the length and the head sequence number.
func verifyHead(msg []byte, size int, seq uint64) error {
	if len(msg) != size {
		return &VerifyError{seq &^ endFlag, fmt.Sprintf("length %d, want %d", len(msg), size)}
	}
	if got := seqOf(msg); got != seq {
		return &VerifyError{seq &^ endFlag, fmt.Sprintf("sequence number %d (end=%v), want %d", got&^endFlag, got&endFlag != 0, seq&^endFlag)}
	}
	return nil
}

// verifyFull checks the length, both sequence stamps and every other byte
// against the pattern.
func verifyFull(msg, pat []byte, size int, seq uint64) error {
	return verifyFrom(msg, pat, size, seq, 8)
}

// verifyFrom is verifyFull for a message whose bytes from 8 up to from
// carry stamps of their own (the rate workload's send times): it checks
// the length, both sequence stamps and every byte from from on against
// the pattern.
func verifyFrom(msg, pat []byte, size int, seq uint64, from int) error {
	if err := verifyStamps(msg, size, seq); err != nil {
		return err
	}
	hi := patternEnd(size)
	if !bytes.Equal(msg[from:hi], pat[from:hi]) {
		i := from
		for i < hi && msg[i] == pat[i] {
			i++
		}
		return &VerifyError{seq &^ endFlag, fmt.Sprintf("payload differs from the pattern at byte %d", i)}
	}
	return nil
}

// patternEnd is where the pattern bytes of a size-byte message end: before
// the tail stamp from 16 bytes on, else at the end.
func patternEnd(size int) int {
	if size >= 16 {
		return size - 8
	}
	return size
}

// verifyStamps checks the length and both sequence stamps: what
// verifyFull checks besides the pattern bytes.
func verifyStamps(msg []byte, size int, seq uint64) error {
	if err := verifyHead(msg, size, seq); err != nil {
		return err
	}
	if size < 16 {
		return nil
	}
	if tail := binary.LittleEndian.Uint64(msg[size-8:]); tail != seq {
		return &VerifyError{seq &^ endFlag, fmt.Sprintf("tail sequence number %d, want %d (torn or truncated message)", tail&^endFlag, seq&^endFlag)}
	}
	return nil
}

// A pieceCheck compares the pattern bytes of size-byte messages with the
// pattern piece by piece, as a transports.PieceRecver copies each message
// out: the part of verifyFull that reads every byte, done while each piece
// is in cache. ok stays true while every piece seen since reset matched;
// verifyStamps does the rest, and verifyFull on the whole message says
// where it differs when ok is false.
type pieceCheck struct {
	pat    []byte
	lo, hi int // the pattern bytes: from 8 to patternEnd(size)
	ok     bool
	fn     func(off int, piece []byte) // piece, made once (a method value passed on each call would be allocated each time)
}

func newPieceCheck(pat []byte, size int) *pieceCheck {
	c := &pieceCheck{pat: pat, lo: 8, hi: patternEnd(size), ok: true}
	c.fn = c.piece
	return c
}

func (c *pieceCheck) reset() { c.ok = true }

// piece compares the pattern bytes within the piece at off; bytes past
// the expected size are the length check's business.
func (c *pieceCheck) piece(off int, b []byte) {
	lo, hi := max(off, c.lo), min(off+len(b), c.hi)
	if lo < hi && !bytes.Equal(b[lo-off:hi-off], c.pat[lo:hi]) {
		c.ok = false
	}
}
