package reports

import (
	"image/color"
	"sort"
	"strings"
)

// Family names, in the order reports group them.
var Families = []string{"pipe", "socket", "mq", "shm", "signal", "other"}

// A style is the fixed look of one transport in every chart.
type style struct {
	family string
	color  color.RGBA
	glyph  int // index into glyphs()
	dashed bool
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// transportOrder lists the known transports grouped by family; charts,
// legends and tables follow this order. Colours are fixed per transport
// (one hue family per transport family) so a transport looks the same in
// every chart; glyph and dash tell neighbours of one family apart.
var transportOrder = []string{
	"pipe", "fifo", "vmsplice",
	"unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp",
	"posix-mq", "sysv-mq",
	"shm-spin", "shm-hybrid", "shm-futex", "shm-sem", "shm-sysvsem", "shm-eventfd", "shm-signal",
	"mmap-spin", "mmap-futex", "sysvshm-spin", "sysvshm-futex",
	"signal",
	"cma",
}

var palette = map[string]style{
	// pipes: blues
	"pipe":     {"pipe", rgb(0x1f77b4), 0, false},
	"fifo":     {"pipe", rgb(0x6baed6), 1, true},
	"vmsplice": {"pipe", rgb(0x08306b), 2, false},
	// sockets: greens and olives
	"unix-stream":    {"socket", rgb(0x2ca02c), 0, false},
	"unix-dgram":     {"socket", rgb(0x74c476), 1, true},
	"unix-seqpacket": {"socket", rgb(0x00441b), 2, false},
	"tcp":            {"socket", rgb(0x9a9a1a), 3, false},
	"udp":            {"socket", rgb(0x6b8e23), 4, true},
	// message queues: purples
	"posix-mq": {"mq", rgb(0x6a3d9a), 0, false},
	"sysv-mq":  {"mq", rgb(0xb07aa1), 1, true},
	// shared memory: reds, oranges, browns, pinks
	"shm-spin":      {"shm", rgb(0xd62728), 0, false},
	"shm-hybrid":    {"shm", rgb(0xff9896), 1, true},
	"shm-futex":     {"shm", rgb(0xff7f0e), 2, false},
	"shm-sem":       {"shm", rgb(0x8c564b), 3, false},
	"shm-sysvsem":   {"shm", rgb(0x5c1a0b), 4, true},
	"shm-eventfd":   {"shm", rgb(0xe6a117), 5, false},
	"shm-signal":    {"shm", rgb(0xe377c2), 6, true},
	"mmap-spin":     {"shm", rgb(0xa50f15), 1, false},
	"mmap-futex":    {"shm", rgb(0xc46c00), 3, true},
	"sysvshm-spin":  {"shm", rgb(0xfa5c5c), 4, false},
	"sysvshm-futex": {"shm", rgb(0x9e6a38), 5, true},
	// signals: cyan
	"signal": {"signal", rgb(0x17becf), 0, false},
	// beyond the article: grey
	"cma": {"other", rgb(0x555555), 0, false},
}

// Reference lines (floors) are drawn in black, dashed.
var refColor = color.RGBA{A: 255}

// Family returns the family of transport: pipe, socket, mq, shm, signal
// or other (also for names this package does not know).
func Family(transport string) string {
	if s, ok := palette[transport]; ok {
		return s.family
	}
	for _, p := range []string{"shm-", "mmap-", "sysvshm-"} {
		if strings.HasPrefix(transport, p) {
			return "shm"
		}
	}
	return "other"
}

// IsSharedMemory reports whether transport moves data through shared memory.
func IsSharedMemory(transport string) bool { return Family(transport) == "shm" }

// styleOf returns the fixed style of transport; unknown transports get a
// grey derived from their name, stable across charts.
func styleOf(transport string) style {
	if s, ok := palette[transport]; ok {
		return s
	}
	var h uint32 = 2166136261
	for i := 0; i < len(transport); i++ {
		h = (h ^ uint32(transport[i])) * 16777619
	}
	g := uint8(60 + h%120)
	return style{family: Family(transport), color: color.RGBA{R: g, G: g, B: uint8(60 + (h>>8)%120), A: 255}, glyph: int(h % 7), dashed: h&1 == 1}
}

func orderIndex(t string) int {
	for i, n := range transportOrder {
		if n == t {
			return i
		}
	}
	return len(transportOrder)
}

func familyIndex(f string) int {
	for i, n := range Families {
		if n == f {
			return i
		}
	}
	return len(Families)
}

// SortTransports sorts names by family, then in the fixed palette order,
// unknown names last within their family, alphabetically.
func SortTransports(names []string) {
	sort.SliceStable(names, func(i, j int) bool {
		a, b := names[i], names[j]
		fa, fb := familyIndex(Family(a)), familyIndex(Family(b))
		if fa != fb {
			return fa < fb
		}
		oa, ob := orderIndex(a), orderIndex(b)
		if oa != ob {
			return oa < ob
		}
		return a < b
	})
}
