package results

// DefaultSizes are the message sizes of the default suite (bench), in
// bytes: a reader tells by them a size that a run left out from one that
// is no size of the suite (the claim C5 names the sizes under a queue's
// limit that were not run).
var DefaultSizes = []int{64, 1024, 4096, 65536, 1048576}
