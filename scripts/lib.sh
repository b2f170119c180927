# shellcheck shell=bash
# Shared settings and helpers of the regression scripts (sourced, not run).
# Every setting can be overridden from the environment (or make VAR=...).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The quick profile: a -bench regexp over the benchmark names, kept to a
# couple of minutes on 2 cores (12 benchmarks x QUICK_COUNT samples).
QUICK_BENCH=${QUICK_BENCH:-'^Benchmark(PingPong|Stream)$/^transport=(pipe|unix-stream|shm-futex)$/^api=raw$/^pin=same$/^size=(64|65536)$'}
QUICK_BENCHTIME=${QUICK_BENCHTIME:-100ms}
# Samples per benchmark for `make baseline` / `make regress` (>= 5 a side
# for a verdict; 10 gives the U test room).
QUICK_COUNT=${QUICK_COUNT:-10}
# Package holding the benchmarks, relative to the repository root.
BENCH_PKG=${BENCH_PKG:-.}
# Interleaved A/B: rounds, and samples per side per round (rounds*count a side).
AB_ROUNDS=${AB_ROUNDS:-5}
AB_COUNT=${AB_COUNT:-2}
# A regression must show again in an independent rerun to fail (0: off).
CONFIRM=${CONFIRM:-1}
# Extra flags for `ipcbench compare` (e.g. "-threshold p99-ns=40%").
COMPARE_FLAGS=${COMPARE_FLAGS:-}
BASELINES=${BASELINES:-$ROOT/baselines}
OUT=${OUT:-$ROOT/out/regress}

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "$*"; exit 2; }

# WORK: a scratch directory removed on exit.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipcbench-regress.XXXXXX")
cleanup_work() { rm -rf "$WORK"; }
trap cleanup_work EXIT

# ipcbench_cli builds the CLI of the work tree once and prints its path.
ipcbench_cli() {
	if [ ! -x "$WORK/ipcbench" ]; then
		(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/ipcbench" ./cmd/ipcbench) || die "cannot build ./cmd/ipcbench"
	fi
	echo "$WORK/ipcbench"
}

# build_test_binary SRC_DIR OUT_BIN: go test -c of the benchmark package.
build_test_binary() {
	(cd "$1" && CGO_ENABLED=0 go test -c -o "$2" "$BENCH_PKG") || die "cannot build the test binary in $1"
	[ -x "$2" ] || die "$1: package $BENCH_PKG has no test binary (no test files?)"
}

# run_profile BIN DIR COUNT OUTFILE [VAR=value...]: run the quick profile
# with the test binary BIN in the package directory under DIR and append
# the results to OUTFILE. A failing benchmark is unusable input (exit 2).
run_profile() {
	local bin=$1 dir=$2 count=$3 out=$4
	shift 4
	if ! (cd "$dir/$BENCH_PKG" && env "$@" "$bin" -test.run '^$' -test.bench "$QUICK_BENCH" \
		-test.benchtime "$QUICK_BENCHTIME" -test.count "$count") >>"$out" 2>"$WORK/stderr"; then
		cat "$WORK/stderr" >&2
		tail -n 20 "$out" >&2
		die "benchmark run of $bin failed"
	fi
}

# commit_id [DIR]: HEAD of DIR's checkout, with "-dirty" for local changes.
commit_id() {
	local dir=${1:-$ROOT} c
	c=$(git -C "$dir" rev-parse HEAD 2>/dev/null) || { echo unknown; return; }
	if [ -n "$(git -C "$dir" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		c="$c-dirty"
	fi
	echo "$c"
}
