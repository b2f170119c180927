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
	if err := verifyHead(msg, size, seq); err != nil {
		return err
	}
	if size < 16 {
		if !bytes.Equal(msg[from:], pat[from:size]) {
			return &VerifyError{seq &^ endFlag, "payload differs from the pattern"}
		}
		return nil
	}
	if tail := binary.LittleEndian.Uint64(msg[size-8:]); tail != seq {
		return &VerifyError{seq &^ endFlag, fmt.Sprintf("tail sequence number %d, want %d (torn or truncated message)", tail&^endFlag, seq&^endFlag)}
	}
	if !bytes.Equal(msg[from:size-8], pat[from:size-8]) {
		i := from
		for i < size-8 && msg[i] == pat[i] {
			i++
		}
		return &VerifyError{seq &^ endFlag, fmt.Sprintf("payload differs from the pattern at byte %d", i)}
	}
	return nil
}
