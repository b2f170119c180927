package main

import (
	"slices"
	"testing"

	"github.com/ipcbench/ipcbench/bench"
	"github.com/ipcbench/ipcbench/internal/targets"
)

// TestTargetsProfile checks that the targets profile generates every case
// of every target, in the order targets.Cases gives (the two sides of a
// target next to each other), and that a narrowing flag drops cases from
// the list instead of failing.
func TestTargetsProfile(t *testing.T) {
	p, err := bench.LookupProfile("targets")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := profileCases(p, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cases {
		got = append(got, c.full)
	}
	if want := targets.Cases(); !slices.Equal(got, want) {
		t.Errorf("targets profile runs\n%v\nwant\n%v", got, want)
	}
	for _, tg := range targets.All {
		if !slices.Contains(got, tg.Num) || !slices.Contains(got, tg.Den) {
			t.Errorf("target %s: a side is not run", tg.ID)
		}
	}
	narrowed, err := profileCases(p, "pin=same")
	if err != nil {
		t.Fatal(err)
	}
	if len(narrowed) == 0 || len(narrowed) >= len(cases) {
		t.Errorf("-match pin=same kept %d of %d cases", len(narrowed), len(cases))
	}
	for _, c := range narrowed {
		if !slices.Contains(got, c.full) {
			t.Errorf("-match added %s", c.full)
		}
	}
}

func TestRoundOrder(t *testing.T) {
	cs := []namedCase{{full: "a"}, {full: "b"}, {full: "c"}}
	names := func(round int, alt bool) (out []string) {
		for _, c := range roundOrder(cs, round, alt) {
			out = append(out, c.full)
		}
		return out
	}
	for _, tc := range []struct {
		round int
		alt   bool
		want  []string
	}{
		{1, true, []string{"a", "b", "c"}},
		{2, true, []string{"c", "b", "a"}},
		{3, true, []string{"a", "b", "c"}},
		{2, false, []string{"a", "b", "c"}},
	} {
		if got := names(tc.round, tc.alt); !slices.Equal(got, tc.want) {
			t.Errorf("round %d alternate=%v: %v, want %v", tc.round, tc.alt, got, tc.want)
		}
	}
	if cs[0].full != "a" {
		t.Errorf("roundOrder reversed its input")
	}
}
