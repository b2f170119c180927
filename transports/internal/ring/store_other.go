//go:build !amd64 || race

package ring

import "sync/atomic"

// storeRelease is atomic.StoreUint64 where no cheaper release store is
// written (other architectures, race builds).
func storeRelease(addr *uint64, v uint64) { atomic.StoreUint64(addr, v) }

// touchAhead is whether Consumer.poll also reads the next cache line: not
// here (measured on amd64 only; and under the race detector the read would
// race with the producer's plain payload stores in heap-backed tests).
const touchAhead = false
