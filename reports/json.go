package reports

import (
	"slices"

	"github.com/ipcbench/ipcbench/reports/resultsjson"
	"github.com/ipcbench/ipcbench/results"
)

// Document returns what the report shows as data, in the schema of
// results.json (package resultsjson): the run's config and catalogue
// lines, every case's units (local, across a link and under load, told
// apart by their path and load keys) summarised as the report summarises them
// (Results.Stat), the disturbed rounds, the verdicts, the rankings and,
// with Options.Base, the changes since the base.
func (rep *Report) Document() *resultsjson.Document {
	res := rep.res
	d := &resultsjson.Document{
		Version:      resultsjson.Version,
		Source:       rep.opts.Source,
		Statistics:   resultsjson.Statistics{Alpha: Alpha, MinCIRounds: MinCISamples, DriftFactor: DriftFactor},
		Context:      map[string]string{},
		Cases:        []resultsjson.Case{},
		Disturbances: []resultsjson.Disturbance{},
		Unprobed:     []resultsjson.Cluster{},
		Verdicts:     []resultsjson.Verdict{},
		Rankings:     []resultsjson.Ranking{},
		Warnings:     append([]string{}, res.Warnings...),
	}
	for _, c := range res.Config {
		d.Context[c.Key] = c.Value()
	}
	for _, t := range res.catalogue {
		d.Context[t.ConfigKey()] = t.ConfigValue()
	}
	all := append(append(slices.Clone(res.Series), res.Links...), res.Load...) // local, across a link, under load
	sortSeries(all)
	for i, s := range all { // sorted by Key, then unit
		if i == 0 || s.Key != all[i-1].Key {
			d.Cases = append(d.Cases, res.jsonCase(s.Key))
		}
		res.addUnit(&d.Cases[len(d.Cases)-1], s)
	}
	for _, dist := range res.Disturbances() {
		d.Disturbances = append(d.Disturbances, resultsjson.Disturbance{
			Cluster: jsonCluster(dist.Cluster), Round: dist.Round,
			BeforeNs: dist.Before, AfterNs: dist.After, MedianNs: dist.Median,
		})
	}
	for _, cl := range res.Unprobed() {
		d.Unprobed = append(d.Unprobed, jsonCluster(cl))
	}
	for _, v := range rep.Verdicts {
		d.Verdicts = append(d.Verdicts, resultsjson.Verdict{
			ID: v.ID, Claim: v.Claim, Status: v.Status.String(), Condition: v.Condition,
			Figures: append([]string{}, v.Figures...),
		})
	}
	for _, k := range Rankings(res) {
		d.Rankings = append(d.Rankings, resultsjson.Ranking{
			ID: k.ID(), Pin: k.Pin, Size: k.Size, Column: k.Column, Best: k.Best, Set: k.Set,
		})
	}
	if rep.Changes != nil {
		d.Changes = rep.Changes.document()
	}
	return d
}

// JSON is the report's Document encoded as results.json.
func (rep *Report) JSON() ([]byte, error) { return rep.Document().Marshal() }

// jsonCase is case k without its units (addUnit adds them): its keys and
// the rounds its cluster's drift probes mark as disturbed.
func (r *Results) jsonCase(k Key) resultsjson.Case {
	c := resultsjson.Case{
		ID: k.String(), Bench: k.Bench, Transport: k.Transport, API: k.API, Path: k.Path, Pin: k.Pin, Op: k.Op, Kind: k.Kind,
		Size: jsonSize(k.Size), Rate: k.Rate, Pairs: k.Pairs, Clients: k.Clients, Iterations: []int{}, Units: map[string]resultsjson.Unit{},
	}
	for round := range r.disturbances()[k.Cluster()] {
		c.DisturbedRounds = append(c.DisturbedRounds, round)
	}
	slices.Sort(c.DisturbedRounds)
	return c
}

// addUnit adds series s of case c, summarised by Stat, and takes the
// iterations of the case's longest series as the case's rounds.
func (r *Results) addUnit(c *resultsjson.Case, s *results.Series) {
	if len(s.Iters) > len(c.Iterations) {
		c.Iterations, c.Rounds = s.Iters, len(s.Iters)
	}
	sum, ok := r.Stat(s.Key, s.Unit)
	if !ok {
		return
	}
	u := resultsjson.Unit{Median: sum.Median, Lo: sum.Lo, Hi: sum.Hi, Interval: resultsjson.IntervalRange, N: sum.N, Values: s.Values}
	if sum.CI {
		u.Interval, u.Confidence = resultsjson.IntervalCI, sum.CIConfidence
	}
	c.Units[s.Unit] = u
}

// jsonCluster is cl in the schema of results.json.
func jsonCluster(cl results.Cluster) resultsjson.Cluster {
	return resultsjson.Cluster{Name: cl.String(), Workload: cl.Workload, Pin: cl.Pin, Size: jsonSize(cl.Size)}
}

// jsonSize is a size for results.json: nil for results.NoSize.
func jsonSize(size int) *int {
	if size == results.NoSize {
		return nil
	}
	return &size
}
