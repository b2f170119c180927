//go:build !race

package ring

// storeRelease stores v at addr with release semantics only: on amd64 a
// plain MOV, since x86-TSO never makes a store visible before earlier
// stores, and the call keeps the compiler from moving earlier memory
// operations after it. Go's atomic.StoreUint64 is an XCHG (a full fence),
// which the spin strategy does not need: nobody sleeps, so there is no
// store-then-load handshake to order. Race builds use the atomic instead,
// so that the race detector sees the synchronisation.
//
//go:noescape
func storeRelease(addr *uint64, v uint64)
