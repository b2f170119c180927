//go:build !race

package ring

// storeRelease stores v at addr with release semantics only: on amd64 a
// plain MOV. x86-TSO never makes a store visible before earlier stores or
// lets it pass earlier loads, and the Go compiler keeps memory operations
// in program order around it: every store takes the memory state the
// previous one produced, a load is scheduled before the store that follows
// it, and nothing moves across the payload copy (a call). Go's
// atomic.StoreUint64 is an XCHG (a full fence), which the spin strategy
// does not need: nobody sleeps, so there is no store-then-load handshake to
// order. This inlines, where the assembly MOV it replaced cost a call on
// each side of every message (docs/tuning.md). Race builds use the atomic
// instead, so that the
// race detector sees the synchronisation.
func storeRelease(addr *uint64, v uint64) { *addr = v }

// touchAhead is whether Consumer.poll also reads the next cache line.
const touchAhead = true
