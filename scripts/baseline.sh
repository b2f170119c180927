#!/usr/bin/env bash
# baseline.sh: run the quick profile QUICK_COUNT times and store it as
# baselines/<fingerprint>.txt, the fingerprint being a slug of the machine
# (CPU model, cores, kernel, Go version; see `ipcbench fingerprint`).
# Commit the file to keep it. Usage: scripts/baseline.sh
. "$(dirname "$0")/lib.sh"

cli=$(ipcbench_cli)
build_test_binary "$ROOT" "$WORK/bench.test"
log "running the quick profile (count $QUICK_COUNT, benchtime $QUICK_BENCHTIME)"
run_profile "$WORK/bench.test" "$ROOT" "$QUICK_COUNT" "$WORK/new.txt"
slug=$("$cli" fingerprint "$WORK/new.txt")
mkdir -p "$BASELINES"
dest="$BASELINES/$slug.txt"
{
	echo "# ipcbench baseline: quick profile, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(commit_id)"
	echo "# bench: $QUICK_BENCH  benchtime: $QUICK_BENCHTIME  count: $QUICK_COUNT"
	cat "$WORK/new.txt"
} >"$dest"
log "baseline written: ${dest#"$ROOT"/}"
"$cli" fingerprint -v "$dest" >&2
