//go:build !amd64 || race

package ring

import "sync/atomic"

// storeRelease is atomic.StoreUint64 where no cheaper release store is
// written (other architectures, race builds).
func storeRelease(addr *uint64, v uint64) { atomic.StoreUint64(addr, v) }
