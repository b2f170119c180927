//go:build !amd64

package wait

// pause stands in for a CPU spin-wait hint on architectures without an
// assembly version: a short empty loop the compiler keeps.
func pause(n uint32) {
	for i := uint32(0); i < n; i++ {
		pauseSink++
	}
}

var pauseSink uint32
