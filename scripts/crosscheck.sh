#!/usr/bin/env bash
# crosscheck.sh: ipcbench against plain C. Builds scripts/crosscheck/ref.c
# (minimal C versions of five cases: the cache-line and futex floors, pipe,
# unix-stream and the shared-memory spin ring, 64-byte ping-pong) and runs
# each C case and the ipcbench case of the same name one after the other,
# CROSS_ROUNDS rounds, both placements, so that a change of the machine
# hits both alike. Then `ipcbench compare` sets them side by side: C as the
# old side, ipcbench as the new one, so "+12%" means ipcbench measured 12 %
# more time per round trip than the C program.
#
#   scripts/crosscheck.sh            (make crosscheck)
#
# CROSS_ROUNDS (default 6), CROSS_MS (milliseconds per case and round,
# default 300), CROSS_OUT (directory for c.txt and ipcbench.txt, default
# out/crosscheck).
. "$(dirname "$0")/lib.sh"

rounds=${CROSS_ROUNDS:-6}
ms=${CROSS_MS:-300}
out=${CROSS_OUT:-$ROOT/out/crosscheck}
command -v gcc >/dev/null || die "gcc is needed to build the C reference (apt-get install gcc)"
mkdir -p "$out"
gcc -O2 -Wall -o "$WORK/ref" "$ROOT/scripts/crosscheck/ref.c" || die "cannot build scripts/crosscheck/ref.c"
cli=$(ipcbench_cli)

# C mode, and the ipcbench groups and -transports of the same case.
cases=(
	"cacheline Floor reference"
	"futex Floor reference"
	"pipe PingPong pipe"
	"unix PingPong unix-stream"
	"ring PingPong shm-spin"
)
c_out=$out/c.txt ipc_out=$out/ipcbench.txt
# Both files start with the machine's configuration lines, so that compare
# sees one machine.
"$cli" run -groups Floor -match 'op=syscall' -count 1 -benchtime 10ms -o "$WORK/header.txt" 2>/dev/null ||
	die "ipcbench run failed"
grep -v '^Benchmark' "$WORK/header.txt" | grep -v '^PASS\|^ok' >"$c_out"
echo "ipcbench-reference: scripts/crosscheck/ref.c (gcc -O2)" >>"$c_out"
grep -v '^Benchmark' "$WORK/header.txt" | grep -v '^PASS\|^ok' >"$ipc_out"
log "$rounds rounds x ${#cases[@]} cases x 2 placements, ${ms} ms each side"
for ((r = 1; r <= rounds; r++)); do
	for pin in split same; do
		for c in "${cases[@]}"; do
			read -r mode group transport <<<"$c"
			"$WORK/ref" "$mode" "$pin" "$ms" >>"$c_out" || die "C reference $mode/$pin failed"
			match=$(grep '^Benchmark' "$c_out" | tail -n 1 | cut -f 1 | sed -E 's/^Benchmark//; s/-[0-9]+$//')
			args=(-groups "$group" -pins "$pin" -sizes 64 -apis raw -count 1 -benchtime "${ms}ms" -match "$match")
			[ "$transport" != reference ] && args+=(-transports "$transport")
			"$cli" run "${args[@]}" -o "$WORK/one.txt" 2>"$WORK/stderr" || {
				cat "$WORK/stderr" >&2
				die "ipcbench $match failed"
			}
			# ns/op only: the C side has nothing else to compare with.
			grep "^Benchmark$match-" "$WORK/one.txt" | awk '{ printf "%s\t%s\t%s ns/op\n", $1, $2, $3 }' >>"$ipc_out"
			grep -q "^Benchmark$match-" "$ipc_out" || die "ipcbench ran no case named $match"
		done
	done
	log "round $r/$rounds done"
done
log "results: $c_out (C) and $ipc_out (ipcbench)"
# compare exits non-zero when it finds a difference beyond its thresholds:
# here that is a finding to read, not a failure of the script.
"$cli" compare "$c_out" "$ipc_out" || true
