// Package benchtext holds helpers for results in Go's benchmark text
// format shared by the tests of several packages (the fuzz tests of
// reports and regress seed themselves with it).
package benchtext

import "bytes"

// Head returns b up to and including its n-th benchmark line (all of b if
// it has fewer): a small seed keeps a fuzzer's minimisation of new inputs
// short.
func Head(b []byte, n int) []byte {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		if bytes.HasPrefix(b[i:], []byte("Benchmark")) {
			if n--; n == 0 {
				return b[:i+j+1]
			}
		}
		i += j + 1
	}
	return b
}
