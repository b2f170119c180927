package wait

// pause executes the CPU's spin-wait hint (PAUSE) n times (n > 0): it
// tells the core that this is a busy-wait loop, which saves power, frees
// the sibling hyperthread and avoids the memory-order mis-speculation
// penalty when the awaited cache line changes.
//
//go:noescape
func pause(n uint32)
