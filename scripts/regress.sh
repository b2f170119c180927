#!/usr/bin/env bash
# regress.sh: the regression gate. Exit 0 no significant regression,
# 1 regression, 2 unusable input (no baseline, build or run failure).
#
#   scripts/regress.sh              quick profile now vs baselines/<fingerprint>.txt
#   scripts/regress.sh <git-rev>    interleaved A/B: the test binaries of <git-rev>
#                                   and of the work tree, run alternately in one job
#
# With CONFIRM=1 (default) a regression must reproduce in an independent
# rerun (same mode) to fail the gate. Results are kept in $OUT.
. "$(dirname "$0")/lib.sh"

base_rev=${1:-${BASE:-}}
cli=$(ipcbench_cli)
mkdir -p "$OUT"
rm -f "$OUT"/old*.txt "$OUT"/new*.txt

compare() { # compare [flags] OLD NEW → exit status of ipcbench compare
	local rc=0
	# shellcheck disable=SC2086
	"$cli" compare $COMPARE_FLAGS "$@" || rc=$?
	return $rc
}

if [ -z "$base_rev" ]; then
	build_test_binary "$ROOT" "$WORK/new.test"
	log "running the quick profile (count $QUICK_COUNT, benchtime $QUICK_BENCHTIME)"
	run_profile "$WORK/new.test" "$ROOT" "$QUICK_COUNT" "$OUT/new.txt"
	slug=$("$cli" fingerprint "$OUT/new.txt")
	baseline="$BASELINES/$slug.txt"
	if [ ! -f "$baseline" ]; then
		# shellcheck disable=SC2012
		other=$(ls -t "$BASELINES"/*.txt 2>/dev/null | head -n 1 || true)
		[ -n "$other" ] || die "no baseline in ${BASELINES#"$ROOT"/}/ (run make baseline, then commit it)"
		log "no baseline for this machine ($slug); comparing with ${other#"$ROOT"/} for information only"
		baseline=$other
	fi
	cp "$baseline" "$OUT/old.txt"
	rc=0
	compare "$baseline" "$OUT/new.txt" >"$OUT/compare.txt" || rc=$?
	if [ "$rc" = 1 ] && [ "$CONFIRM" = 1 ]; then
		log "regression flagged; confirming with an independent rerun"
		run_profile "$WORK/new.test" "$ROOT" "$QUICK_COUNT" "$OUT/new2.txt"
		rc=0
		compare -confirm-new "$OUT/new2.txt" "$baseline" "$OUT/new.txt" >"$OUT/compare.txt" || rc=$?
	fi
	cat "$OUT/compare.txt"
	exit "$rc"
fi

# Interleaved A/B against a git revision.
rev=$(git -C "$ROOT" rev-parse --verify "$base_rev^{commit}") || die "unknown revision $base_rev"
wt="$WORK/base"
remove_worktree() { git -C "$ROOT" worktree remove --force "$wt" >/dev/null 2>&1 || true; git -C "$ROOT" worktree prune || true; cleanup_work; }
trap remove_worktree EXIT
git -C "$ROOT" worktree add --detach "$wt" "$rev" >/dev/null || die "git worktree add $rev failed"
log "base $base_rev = $rev; building both test binaries"
build_test_binary "$wt" "$WORK/old.test"
build_test_binary "$ROOT" "$WORK/new.test"
AB_OLD_DIR=$wt AB_NEW_DIR=$ROOT "$ROOT/scripts/ab.sh" "$WORK/old.test" "$WORK/new.test" "$OUT/old.txt" "$OUT/new.txt"
rc=0
compare "$OUT/old.txt" "$OUT/new.txt" >"$OUT/compare.txt" || rc=$?
if [ "$rc" = 1 ] && [ "$CONFIRM" = 1 ]; then
	log "regression flagged; confirming with an independent interleaved rerun"
	AB_OLD_DIR=$wt AB_NEW_DIR=$ROOT "$ROOT/scripts/ab.sh" "$WORK/old.test" "$WORK/new.test" "$OUT/old2.txt" "$OUT/new2.txt"
	rc=0
	compare -confirm-old "$OUT/old2.txt" -confirm-new "$OUT/new2.txt" "$OUT/old.txt" "$OUT/new.txt" >"$OUT/compare.txt" || rc=$?
fi
cat "$OUT/compare.txt"
exit "$rc"
