package reports

import (
	"image/color"
	"sort"

	"github.com/ipcbench/ipcbench/results"
)

// Family names, in the order reports group them; a family the results
// name that is not here comes last.
var Families = []string{"pipe", "socket", "mq", "shm", "signal", FamilyRPC, "other"}

// A style is the fixed look of one transport in every chart.
type style struct {
	color  color.RGBA
	glyph  int // index into glyphs()
	dashed bool
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// palette fixes the colours of the transports, one hue family per
// transport family, so that a transport looks the same in every chart;
// glyph and dash tell neighbours of one family apart. A transport without
// an entry gets a grey derived from its name (styleOf).
var palette = map[string]style{
	// pipes: blues
	"pipe":     {rgb(0x1f77b4), 0, false},
	"fifo":     {rgb(0x6baed6), 1, true},
	"vmsplice": {rgb(0x08306b), 2, false},
	// sockets: greens and olives
	"unix-stream":    {rgb(0x2ca02c), 0, false},
	"unix-dgram":     {rgb(0x74c476), 1, true},
	"unix-seqpacket": {rgb(0x00441b), 2, false},
	"tcp":            {rgb(0x9a9a1a), 3, false},
	"udp":            {rgb(0x6b8e23), 4, true},
	// message queues: purples
	"posix-mq": {rgb(0x6a3d9a), 0, false},
	"sysv-mq":  {rgb(0xb07aa1), 1, true},
	// shared memory: reds, oranges, browns, pinks
	"shm-spin":      {rgb(0xd62728), 0, false},
	"shm-hybrid":    {rgb(0xff9896), 1, true},
	"shm-futex":     {rgb(0xff7f0e), 2, false},
	"shm-sem":       {rgb(0x8c564b), 3, false},
	"shm-sysvsem":   {rgb(0x5c1a0b), 4, true},
	"shm-eventfd":   {rgb(0xe6a117), 5, false},
	"shm-signal":    {rgb(0xe377c2), 6, true},
	"mmap-spin":     {rgb(0xa50f15), 1, false},
	"mmap-futex":    {rgb(0xc46c00), 3, true},
	"sysvshm-spin":  {rgb(0xfa5c5c), 4, false},
	"sysvshm-futex": {rgb(0x9e6a38), 5, true},
	// signals: cyan
	"signal": {rgb(0x17becf), 0, false},
	// RPC libraries over a Unix socket: teals
	"grpc-unix": {rgb(0x00827f), 0, false},
	"http-unix": {rgb(0x4fb3aa), 1, true},
	// beyond the article: grey
	"cma": {rgb(0x555555), 0, false},
}

// Reference lines (floors) are drawn in black, dashed.
var refColor = color.RGBA{A: 255}

// transport returns what the results say of transport t: its catalogue
// line, or for a file without one what the versions before catalogue
// lines made of the name (results.Catalogue.Lookup).
func (r *Results) transport(t string) results.Transport {
	if r == nil {
		return results.Catalogue(nil).Lookup(t)
	}
	return r.catalogue.Lookup(t)
}

// Family returns the family of transport as the results describe it:
// pipe, socket, mq, shm, signal, rpc or other.
func (r *Results) Family(transport string) string { return r.transport(transport).Family }

// IsSharedMemory reports whether transport moves data through shared memory.
func (r *Results) IsSharedMemory(transport string) bool { return r.Family(transport) == "shm" }

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
	return style{color: color.RGBA{R: g, G: g, B: uint8(60 + (h>>8)%120), A: 255}, glyph: int(h % 7), dashed: h&1 == 1}
}

func familyIndex(f string) int {
	for i, n := range Families {
		if n == f {
			return i
		}
	}
	return len(Families)
}

// SortTransports sorts names by family, then by their order within it,
// then alphabetically, as the results describe them.
func (r *Results) SortTransports(names []string) {
	sort.SliceStable(names, func(i, j int) bool {
		a, b := r.transport(names[i]), r.transport(names[j])
		fa, fb := familyIndex(a.Family), familyIndex(b.Family)
		if fa != fb {
			return fa < fb
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.Name < b.Name
	})
}

// knownTransports returns every transport the results describe (for a
// file without catalogue lines, every transport of the versions before
// them), sorted.
func (r *Results) knownTransports() []string {
	ts := r.catalogue.Names()
	r.SortTransports(ts)
	return ts
}
