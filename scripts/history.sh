#!/usr/bin/env bash
# history.sh: results over commits.
#
#   scripts/history.sh append [RESULTS]   append RESULTS (default: a fresh quick
#                                         profile run) to baselines/history/<fingerprint>.txt,
#                                         keyed by the work tree's commit
#   scripts/history.sh chart              one PNG per metric and machine in out/history/<fingerprint>/
#
# HISTORY_COUNT (default 5) samples per benchmark for a fresh run;
# HISTORY_METRICS (default ns/op,p99-ns,MB/s,cpu-ns/op), HISTORY_BENCH (a
# regexp over benchmark names, default: the first 10) select what is charted.
. "$(dirname "$0")/lib.sh"

cli=$(ipcbench_cli)
hist_dir="$BASELINES/history"
case ${1:-} in
append)
	results=${2:-}
	if [ -z "$results" ]; then
		build_test_binary "$ROOT" "$WORK/bench.test"
		run_profile "$WORK/bench.test" "$ROOT" "${HISTORY_COUNT:-5}" "$WORK/run.txt"
		results="$WORK/run.txt"
	fi
	slug=$("$cli" fingerprint "$results")
	"$cli" history append -commit "$(commit_id)" -o "$hist_dir/$slug.txt" "$results"
	;;
chart)
	shopt -s nullglob
	files=("$hist_dir"/*.txt)
	[ ${#files[@]} -gt 0 ] || die "no history in ${hist_dir#"$ROOT"/}/ (scripts/history.sh append)"
	for f in "${files[@]}"; do
		name=$(basename "$f" .txt)
		"$cli" history chart -metric "${HISTORY_METRICS:-ns/op,p99-ns,MB/s,cpu-ns/op}" \
			-bench "${HISTORY_BENCH:-}" -o "$ROOT/out/history/$name" "$f"
	done
	;;
*)
	die "usage: history.sh append [RESULTS] | chart"
	;;
esac
