// Package regress is ipcbench's regression gate: it compares two sets of
// benchmark results (Go benchmark format) per benchmark and metric, and
// says whether the new set is significantly slower than the old one by
// more than a threshold. `ipcbench compare`, `make regress` and CI all use
// it.
//
// # Statistics
//
// For every benchmark present in both files and every gated metric, the
// samples (one per result line; `-count N` gives N) are compared with
// golang.org/x/perf/benchmath under AssumeNothing: the medians with 95%
// confidence intervals, and the Mann–Whitney U test at alpha 0.05. A row
// is a regression only when all of these hold:
//
//   - the U test is significant (p ≤ 0.05);
//   - both sides have at least 5 samples and benchmath raises no warning
//     (otherwise: "too few samples", a warning, never a verdict);
//   - the medians moved the worse way by more than the metric's
//     effect-size threshold.
//
// Default thresholds: ns/op 10%, MB/s 10%, cpu-ns/op 15% (CPU accounting
// of two processes is coarser), p99-ns 30% (tails move with every
// scheduler hiccup). Change them with -threshold unit=pct; other units
// (p50-ns, ctxsw/op, …) can be added the same way. The direction comes from
// the unit: the file's "Unit X better=lower|higher" lines, else benchfmt's
// defaults (MB/s higher is better), else higher for "…/s" units and lower
// for the rest. For higher-is-better units the threshold applies to the
// inverse (old/new), so "10% worse" means the same on ns/op and MB/s.
// A significant change below the threshold is reported ("slower, within
// 10%"); a speed-up is reported as improved and never fails.
//
// Benchmarks present on one side only (removed, renamed, or skipped
// because a size exceeds a transport's limit) are listed, not compared.
//
// # Machines
//
// A results file carries config lines; cpu, cpus-online, kernel and go
// form the machine fingerprint. When they differ between the two files
// the comparison is printed in full but is information only: it cannot
// fail the gate (unless -ignore-machine). Baselines are stored as
// baselines/<slug>.txt, the slug being Fingerprint.Slug, so `make regress`
// finds the baseline of the machine it runs on; with none, it compares
// with the newest baseline for information and says so.
//
// # Modes
//
//	make baseline            quick profile, QUICK_COUNT=10 samples, into baselines/<slug>.txt
//	make regress             quick profile now vs that baseline
//	make regress BASE=<rev>  interleaved A/B: git worktree of <rev>, both test
//	                         binaries built with go test -c and run alternately
//	                         (ABBA order, AB_ROUNDS x AB_COUNT samples a side)
//	make history             charts over commits of baselines/history/<slug>.txt
//
// A baseline compared with a run made hours later measures the machine's
// drift as much as the code; on a shared or virtual machine prefer the
// interleaved A/B, where both sides see the same noise. Either way a
// flagged regression must show again in an independent rerun
// (Report.Confirm; CONFIRM=0 turns it off) before the gate fails.
//
// # The gate in CI
//
// CI runs on a shared 2-core virtual machine, where a benchmark of the
// same code can move by 10–30% from one minute to the next. A gate that
// compared CI's numbers with anything stored would cry wolf; comparing
// HEAD with HEAD~1 in every CI run would gate on noise most of the time
// and cost minutes per run. So CI checks the gate itself, with outcomes
// fixed by construction, and leaves judging real slowdowns to
// `make regress BASE=<rev>` on a quiet machine:
//
//  1. Unit tests on synthetic results (go test ./regress ./cmd/ipcbench):
//     a 20% slowdown with 10 samples a side is flagged, 3% noise is not
//     (50 seeds), a speed-up never fails, too few samples warn, missing
//     benchmarks are listed, a different machine downgrades to
//     information, exit statuses 0/1/2. Deterministic.
//  2. scripts/ci-gate.sh, about 10 seconds: the calibration benchmark
//     BenchmarkPlant (a fixed CPU loop in this package's tests) is built
//     once and run through the real pipeline (ab.sh interleaving,
//     compare, confirmation rerun). Against itself the gate must pass; with
//     IPCBENCH_PLANT_FACTOR=2 on the new side (twice the work) it must
//     fail. The planted effect is 100% against a 10% threshold, and a false
//     alarm of the self pair needs a >10% shift of interleaved medians, p ≤
//     0.05, twice in a row: neither outcome depends on the machine's noise.
//  3. The same script then runs the real quick profile's test binary
//     against itself, interleaved (3 rounds, about a minute): broken or
//     unparsable output fails CI (exit 2), a flagged "regression" is
//     printed as a warning only, never a failure.
package regress
