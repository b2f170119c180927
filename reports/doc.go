// Package reports turns an ipcbench results file into charts and a
// verdict on the article's claims. It never runs a benchmark: it reads Go
// benchmark format text (go test -bench, ipcbench run) and writes files.
//
// The pipeline, one file per step:
//
//   - parse.go: Load reads results with package results (the one reader
//     of the format: keys, units, config lines, the transport catalogue)
//     and indexes the samples by Key and unit (units kept as written:
//     ns/op, MB/s, p99-ns, cpu-ns/op, …); config lines are kept for the
//     environment section; syntax errors become Results.Warnings. It is
//     also the one place that keeps the local run local: a series with a
//     path (a socket across a link: path=veth, netem, remote) goes to
//     Results.Links, every other to Results.Series, and every section,
//     table, chart, ranking, recommendation and verdict is built on
//     Series (Keys, Transports, Sizes, pins), so that a tcp across veth
//     is never a second "tcp" among the local candidates.
//   - stats.go: medians and quartiles with github.com/montanaflynn/stats
//     (type-7 percentiles), 95 % confidence intervals of the median with
//     golang.org/x/perf/benchmath.
//   - pairing.go: every comparison within one file (verdicts, rankings,
//     crossovers, floors, targets) is Results.Pair: the ratio of two
//     series round by round, leaving out the rounds of a cluster that
//     the drift probes mark as disturbed (DriftFactor); a ratio whose
//     interval contains 1 is "not distinguishable".
//   - stability.go: the report's account of the drift probes, of n
//     (rounds, ops per round) and of the paired method.
//   - palette.go: what the results say of each transport (family, wait
//     class, order: the catalogue lines the harness writes from the
//     registry, or for an older file what its version's reports knew),
//     and one fixed colour, glyph and dash per transport, the same in
//     every chart.
//   - charts.go: gonum.org/v1/plot charts rendered to PNG with the legend
//     beside the data.
//   - verdict.go: one rule per claim C1–C10 of seed/CLAIMS.md.
//   - paired.go, targets.go: ratios of runs made in pairs, run i of one
//     side divided by run i of the other (PairRatios): the speed targets
//     (through Pair), and ComparePaired for two files (ipcbench compare
//     -paired).
//   - link.go: the section "Local versus across a link", the only one
//     that reads Results.Links: per workload (the round trip, p50; the
//     throughput, MB/s), pin, api and size, unix-stream, tcp and udp over
//     loopback and tcp and udp across each path, each with its network
//     tax (÷ unix-stream of the same api, pin and size, paired), and the
//     path config lines (ipcbench-path-<path>); and what each transport
//     delivered across each path, for C8's cross-host half (claims.go).
//   - changes.go: the run against an earlier one (Options.Base), case by
//     case, by the regression gate of ipcbench compare (regress.Compare):
//     the section "Changes since <base>".
//   - report.go, render.go, anchors.go: the report as Markdown (the PNGs
//     beside it) and as one self-contained HTML page (the PNGs embedded
//     as data: URIs, a table of contents, ids from the headings' text as
//     GitHub makes them); Write puts report.md, report.html, results.json
//     and the PNGs in a directory.
//   - json.go: the report as data (Report.Document), in the schema of
//     package resultsjson (docs/results-json.md): results.json.
package reports
