package targets

import (
	"slices"
	"testing"
)

func TestMet(t *testing.T) {
	atMost := Target{Bound: 2, AtMost: true}
	atLeast := Target{Bound: 0.8}
	for _, c := range []struct {
		t     Target
		ratio float64
		want  bool
	}{
		{atMost, 1.9, true}, {atMost, 2, true}, {atMost, 2.01, false},
		{atLeast, 0.81, true}, {atLeast, 0.8, true}, {atLeast, 0.79, false},
	} {
		if got := c.t.Met(c.ratio); got != c.want {
			t.Errorf("%s: Met(%v) = %v", c.t.BoundText(), c.ratio, got)
		}
	}
}

func TestAll(t *testing.T) {
	ids := map[string]bool{}
	for _, tg := range All {
		if ids[tg.ID] {
			t.Errorf("target %s twice", tg.ID)
		}
		ids[tg.ID] = true
		if tg.Num == tg.Den || tg.Bound <= 0 || (tg.Unit != "ns/op" && tg.Unit != "MB/s") || tg.Doc == "" || tg.Issue == 0 {
			t.Errorf("target %s is malformed: %+v", tg.ID, tg)
		}
	}
	cases := Cases()
	for i, c := range cases {
		if slices.Contains(cases[:i], c) {
			t.Errorf("Cases lists %s twice", c)
		}
	}
	// Each target's sides are neighbours in Cases where the first of them
	// to appear was new: the pairs run back to back.
	if i := slices.Index(cases, All[0].Num); i < 0 || cases[i+1] != All[0].Den {
		t.Errorf("first target's sides are not adjacent: %v", cases)
	}
}
