//go:build ignore

// genfixture writes a synthetic but realistic results file in the ipcbench
// format, for the reports tests until a real run replaces it:
//
//	go run ./reports/testdata/genfixture.go > reports/testdata/results.txt
//
// Numbers are modelled (per-message overhead + bytes / bandwidth, with
// deterministic noise), not measured.
package main

import (
	"fmt"
	"math/rand"
	"os"
)

type tr struct {
	name    string
	apis    []string // first is primary
	lat     float64  // round-trip ns at 0 bytes, pin=split
	bw      float64  // bytes per ns for one copy path
	over    float64  // per-message ns when streaming
	maxSize int
	spin    bool
}

var fd = []string{"raw", "runtime"}

var trs = []tr{
	{"pipe", fd, 9000, 3, 1500, 1 << 20, false},
	{"fifo", fd, 9200, 3, 1550, 1 << 20, false},
	{"vmsplice", []string{"zerocopy"}, 12000, 25, 3000, 1 << 20, false},
	{"unix-stream", fd, 10000, 3.5, 2000, 1 << 20, false},
	{"unix-dgram", fd, 9500, 3.5, 1900, 65536, false},
	{"unix-seqpacket", fd, 10500, 3.5, 2100, 65536, false},
	{"tcp", fd, 22000, 2.5, 3500, 1 << 20, false},
	{"udp", fd, 18000, 2.5, 3000, 4096, false},
	{"posix-mq", []string{"raw"}, 8500, 2, 2000, 4096, false},
	{"sysv-mq", []string{"raw"}, 9000, 2, 2100, 4096, false},
	{"shm-spin", []string{"raw"}, 400, 8, 80, 1 << 20, true},
	{"shm-hybrid", []string{"raw"}, 600, 8, 100, 1 << 20, true},
	{"shm-futex", []string{"raw"}, 6000, 8, 300, 1 << 20, false},
	{"shm-sem", []string{"raw"}, 6500, 8, 1200, 1 << 20, false},
	{"shm-sysvsem", []string{"raw"}, 9000, 8, 2500, 1 << 20, false},
	{"shm-eventfd", []string{"raw"}, 8000, 8, 900, 1 << 20, false},
	{"shm-signal", []string{"raw"}, 12000, 8, 4000, 1 << 20, false},
	{"mmap-spin", []string{"raw"}, 420, 8, 85, 1 << 20, true},
	{"mmap-futex", []string{"raw"}, 6100, 8, 310, 1 << 20, false},
	{"sysvshm-spin", []string{"raw"}, 410, 8, 82, 1 << 20, true},
	{"sysvshm-futex", []string{"raw"}, 6050, 8, 305, 1 << 20, false},
	{"cma", []string{"raw"}, 14000, 7, 3000, 1 << 20, false},
}

var sizes = []int{64, 1024, 4096, 65536, 1 << 20}

const count = 6

var rng = rand.New(rand.NewSource(1))

func noise() float64 { return 1 + 0.03*(rng.Float64()*2-1) }

func main() {
	w := os.Stdout
	fmt.Fprint(w, `goos: linux
goarch: amd64
pkg: github.com/ipcbench/ipcbench
cpu: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
kernel: 6.1.0-28-amd64
go: go1.26.8
gomaxprocs: 2
cpus-online: 2
virtualized: kvm
commit: 0000000 (synthetic fixture)
cgo: 0
cpu-pin-split: parent=0 peer=1
cpu-pin-same: 0
mq-msgsize-max: 8192
mq-msg-max: 10
msgmax: 8192
msgmnb: 16384
pipe-max-size: 1048576
rlimit-msgqueue: 819200
euid: 0
Unit p50-ns better=lower
Unit p90-ns better=lower
Unit p99-ns better=lower
Unit p999-ns better=lower
Unit max-ns better=lower
Unit cpu-ns/op better=lower
Unit ctxsw/op better=lower
Unit lost-% better=lower
`)
	for _, t := range trs {
		for _, size := range sizes {
			if size > t.maxSize {
				continue
			}
			base := t.lat + 2*float64(size)/t.bw
			pp := func(api, pin string, ns float64) {
				for i := 0; i < count; i++ {
					v := ns * noise()
					cpu := 0.9 * v
					ctx := 2.0
					tail := 2.5
					if t.spin {
						cpu, ctx, tail = 2*v, 0.002, 3
					}
					fmt.Fprintf(w, "BenchmarkPingPong/transport=%s/api=%s/pin=%s/size=%d-2 \t%8d\t%10.0f ns/op\t%10.2f MB/s\t%10.0f p50-ns\t%10.0f p90-ns\t%10.0f p99-ns\t%10.0f p999-ns\t%10.0f max-ns\t%10.0f cpu-ns/op\t%6.3f ctxsw/op\n",
						t.name, api, pin, size, int(1e9/v), v, 2*float64(size)/v*1e3, 0.95*v, 1.3*v, tail*v, 6*v, 60*v*noise(), cpu, ctx)
				}
			}
			pp(t.apis[0], "split", base)
			if len(t.apis) > 1 && (size == 64 || size == 4096) {
				pp(t.apis[1], "split", base+3000)
			}
			if size == 64 {
				same := 0.8 * base
				if t.spin {
					same = 25000
					if t.name == "shm-hybrid" {
						same = 7000
					}
				}
				pp(t.apis[0], "same", same)
			}
			per := t.over + float64(size)/t.bw
			for i := 0; i < count; i++ {
				v := per * noise()
				cpu := 1.1 * v
				if t.spin {
					cpu = 2 * v
				}
				extra := ""
				if t.name == "udp" {
					extra = fmt.Sprintf("\t%6.3f lost-%%", 0.1*rng.Float64())
				}
				fmt.Fprintf(w, "BenchmarkStream/transport=%s/api=%s/pin=split/size=%d-2 \t%8d\t%10.0f ns/op\t%10.2f MB/s\t%10.0f p50-ns\t%10.0f p90-ns\t%10.0f p99-ns\t%10.0f p999-ns\t%10.0f max-ns\t%10.0f cpu-ns/op\t%6.3f ctxsw/op%s\n",
					t.name, t.apis[0], size, int(1e9/v), v, float64(size)/v*1e3, 0.95*v, 1.3*v, 2.5*v, 6*v, 60*v, cpu, 0.5, extra)
			}
		}
	}
	for i := 0; i < count; i++ {
		v := 11000 * noise()
		fmt.Fprintf(w, "BenchmarkPingPong/transport=signal/api=raw/pin=split/size=8-2 \t%8d\t%10.0f ns/op\t%10.2f MB/s\t%10.0f p50-ns\t%10.0f p90-ns\t%10.0f p99-ns\t%10.0f p999-ns\t%10.0f max-ns\t%10.0f cpu-ns/op\t%6.3f ctxsw/op\n",
			int(1e9/v), v, 16/v*1e3, 0.95*v, 1.3*v, 2.5*v, 6*v, 60*v, 0.9*v, 2.0)
	}
	for i := 0; i < count; i++ {
		fmt.Fprintf(w, "BenchmarkFloor/op=cacheline/pin=split/size=64-2 \t%8d\t%10.1f ns/op\n", 5000000, 180*noise())
		for _, s := range sizes {
			bw := map[int]float64{64: 8000, 1024: 20000, 4096: 25000, 65536: 18000, 1 << 20: 12000}[s] * noise()
			fmt.Fprintf(w, "BenchmarkFloor/op=memcpy/pin=split/size=%d-2 \t%8d\t%10.1f ns/op\t%10.2f MB/s\n", s, 1000000, float64(s)/bw*1e3, bw)
		}
		fmt.Fprintf(w, "BenchmarkFloor/op=syscall/pin=split/size=0-2 \t%8d\t%10.1f ns/op\n", 10000000, 95*noise())
		fmt.Fprintf(w, "BenchmarkFloor/op=futex/pin=split/size=0-2 \t%8d\t%10.1f ns/op\n", 200000, 5200*noise())
		lost := 65 * noise()
		fmt.Fprintf(w, "BenchmarkSignalFlood/kind=standard-2 \t%8d\t%10.0f ns/op\t%6.3f sent/op\t%6.3f received/op\t%6.3f lost/op\t%6.2f lost-%%\n", 100000, 900*noise(), 1.0, 1-lost/100, lost/100, lost)
		fmt.Fprintf(w, "BenchmarkSignalFlood/kind=realtime-2 \t%8d\t%10.0f ns/op\t%6.3f sent/op\t%6.3f received/op\t%6.3f lost/op\t%6.2f lost-%%\n", 100000, 1400*noise(), 1.0, 1.0, 0.0, 0.0)
		fmt.Fprintf(w, "BenchmarkBaseline/op=rawpipe/pin=split/size=64-2 \t%8d\t%10.0f ns/op\n", 150000, 8700*noise())
	}
	fmt.Fprintln(w, "PASS")
	fmt.Fprintln(w, "ok  \tgithub.com/ipcbench/ipcbench\t312.4s")
}
