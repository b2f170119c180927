package transports

import "time"

// SetNetConnectTimeout sets how long the network mode waits for the peer
// (netConnectTimeout), for a test; it returns a function that restores it.
func SetNetConnectTimeout(d time.Duration) (restore func()) {
	was := netConnectTimeout
	netConnectTimeout = d
	return func() { netConnectTimeout = was }
}
