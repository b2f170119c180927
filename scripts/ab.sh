#!/usr/bin/env bash
# ab.sh: interleaved A/B. Runs two test binaries alternately, AB_ROUNDS
# rounds of AB_COUNT samples each, in ABBA order (A B, B A, A B, ...) so
# that drift of the machine (thermal, noisy neighbours) hits both sides
# alike; appends the samples to OLD_OUT and NEW_OUT.
#
#   scripts/ab.sh OLD_BIN NEW_BIN OLD_OUT NEW_OUT
#
# AB_OLD_DIR / AB_NEW_DIR: source trees to run each binary in (default the
# repository root). AB_ENV_OLD / AB_ENV_NEW: space-separated VAR=value
# settings for one side (e.g. a planted slowdown in the gate's self-test).
. "$(dirname "$0")/lib.sh"

[ $# = 4 ] || die "usage: ab.sh OLD_BIN NEW_BIN OLD_OUT NEW_OUT"
old_bin=$1 new_bin=$2 old_out=$3 new_out=$4
old_dir=${AB_OLD_DIR:-$ROOT} new_dir=${AB_NEW_DIR:-$ROOT}
read -r -a env_old <<<"${AB_ENV_OLD:-}"
read -r -a env_new <<<"${AB_ENV_NEW:-}"
: >"$old_out"
: >"$new_out"
log "interleaved A/B: $AB_ROUNDS rounds x $AB_COUNT samples a side (benchtime $QUICK_BENCHTIME)"
for ((i = 0; i < AB_ROUNDS; i++)); do
	if ((i % 2 == 0)); then
		run_profile "$old_bin" "$old_dir" "$AB_COUNT" "$old_out" "${env_old[@]}"
		run_profile "$new_bin" "$new_dir" "$AB_COUNT" "$new_out" "${env_new[@]}"
	else
		run_profile "$new_bin" "$new_dir" "$AB_COUNT" "$new_out" "${env_new[@]}"
		run_profile "$old_bin" "$old_dir" "$AB_COUNT" "$old_out" "${env_old[@]}"
	fi
	log "round $((i + 1))/$AB_ROUNDS done"
done
