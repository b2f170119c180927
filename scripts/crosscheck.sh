#!/usr/bin/env bash
# crosscheck.sh: ipcbench against plain programs that do the same without
# ipcbench, run in pairs so that a change of the machine hits both alike.
#
#   c   scripts/crosscheck/ref.c (gcc -O2): minimal C versions of five
#       64-byte cases (the cache-line and futex floors, pipe, unix-stream
#       and the shared-memory spin ring) and of the 64 KiB stream ring
#       floor, against ipcbench's api=raw or Floor case of the same name;
#       ns/op only (for the stream, ns per message). At pin=split the
#       64 KiB shm-spin streams (api=raw and api=zerocopy) run right after
#       ipcbench's ring floor, so that issue 18's stream targets are judged
#       against the C ring as well, round by round (`ipcbench targets` on
#       stream.txt: the C ring stands in for Floor/op=ring there). The
#       1 MiB shm-hybrid streams (api=zerocopy and api=raw, pin=split only)
#       run against ref.c's zcstream and cpstream, which verify every byte
#       as ipcbench does; `ipcbench targets` on c-stream.txt gives the C
#       programs' own zero-copy ÷ copying ratio (target zerocopy-raw), next
#       to ipcbench's from the same rounds in stream.txt.
#   go  scripts/crosscheck/goref (CGO_ENABLED=0, standard library only):
#       plain Go ping-pong the way an ordinary Go program writes it
#       (net.UnixConn, os.Pipe, TCP on 127.0.0.1; no LockOSThread), 64 B
#       and 64 KiB, against ipcbench's api=runtime case of the same name;
#       ns/op, p50-ns and p99-ns. goref is placed from outside, as an
#       operator would: the parent under taskset on ipcbench's parent CPU,
#       the child under taskset on ipcbench's peer CPU (the cpu-pin-split
#       and cpu-pin-same lines of ipcbench's own results).
#
# Each round runs every case of both parts at both placements, the
# reference and the ipcbench case of the same name one right after the
# other, the reference first in odd rounds and second in even ones. Then,
# for each part, `ipcbench compare` (the reference as the old side,
# ipcbench as the new one, so "+12%" means ipcbench measured 12 % more time
# per round trip than the reference) and `ipcbench compare -paired`: run i
# of ipcbench divided by run i of the reference, the median of those
# ratios and its interval (a ratio above 1: ipcbench is slower).
#
#   scripts/crosscheck.sh            (make crosscheck)
#
# CROSS_ROUNDS (default 6), CROSS_MS (milliseconds per case and round,
# default 300), CROSS_PARTS (comma-separated: c, go; default c,go),
# CROSS_OUT (directory for the results, default out/crosscheck): c.txt,
# ipcbench.txt, stream.txt and c-stream.txt (part c), goref.txt and ipcbench-runtime.txt
# (part go).
. "$(dirname "$0")/lib.sh"

rounds=${CROSS_ROUNDS:-6}
ms=${CROSS_MS:-300}
out=${CROSS_OUT:-$ROOT/out/crosscheck}
parts=${CROSS_PARTS:-c,go}
part() { [[ ",$parts," == *",$1,"* ]]; }
for p in ${parts//,/ }; do
	[[ $p == c || $p == go ]] || die "CROSS_PARTS=$parts: unknown part $p (valid: c, go)"
done
[[ $ms =~ ^[1-9][0-9]*$ ]] || die "CROSS_MS=$ms: want a positive whole number of milliseconds"
mkdir -p "$out"
if part c; then
	command -v gcc >/dev/null || die "gcc is needed to build the C reference (apt-get install gcc; or CROSS_PARTS=go)"
	gcc -O2 -Wall -o "$WORK/ref" "$ROOT/scripts/crosscheck/ref.c" || die "cannot build scripts/crosscheck/ref.c"
fi
if part go; then
	command -v taskset >/dev/null || die "taskset is needed to place the Go reference (apt-get install util-linux)"
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$WORK/goref" ./scripts/crosscheck/goref) ||
		die "cannot build scripts/crosscheck/goref"
fi
cli=$(ipcbench_cli)

# Every results file starts with the machine's configuration lines, so
# that compare sees one machine.
"$cli" run -groups Floor -match 'op=syscall' -count 1 -benchtime 10ms -o "$WORK/header.txt" 2>/dev/null ||
	die "ipcbench run failed"
header() { grep -v '^Benchmark' "$WORK/header.txt" | grep -v '^PASS\|^ok'; }
c_out=$out/c.txt ipc_out=$out/ipcbench.txt stream_out=$out/stream.txt cstream_out=$out/c-stream.txt
go_out=$out/goref.txt rt_out=$out/ipcbench-runtime.txt
if part c; then
	{ header; echo "ipcbench-reference: scripts/crosscheck/ref.c (gcc -O2)"; } >"$c_out"
	header >"$ipc_out"
	{ header; echo "ipcbench-reference: Floor/op=ring/pin=split/size=65536 is scripts/crosscheck/ref.c's ringstream (gcc -O2)"; } >"$stream_out"
	{ header; echo "ipcbench-reference: scripts/crosscheck/ref.c's zcstream and cpstream (gcc -O2), named as the ipcbench streams they mirror"; } >"$cstream_out"
fi
if part go; then
	{ header; echo "ipcbench-reference: scripts/crosscheck/goref (go build, CGO_ENABLED=0; framing ${GOREF_FRAMING:-length})"; } >"$go_out"
	header >"$rt_out"
	# ipcbench's placement (harness.Place): split = its first two allowed
	# CPUs, parent on the first; same = both on the last.
	split_parent=$(sed -nE 's/^cpu-pin-split: parent=([0-9]+) peer=([0-9]+)$/\1/p' "$WORK/header.txt")
	split_peer=$(sed -nE 's/^cpu-pin-split: parent=([0-9]+) peer=([0-9]+)$/\2/p' "$WORK/header.txt")
	same_cpu=$(sed -nE 's/^cpu-pin-same: ([0-9]+)$/\1/p' "$WORK/header.txt")
	[ -n "$split_parent" ] && [ -n "$split_peer" ] && [ -n "$same_cpu" ] ||
		die "ipcbench's results name no cpu-pin-split or cpu-pin-same placement (one CPU only?)"
fi

# C mode, the ipcbench groups and -transports of the same case, its name.
cases=(
	"cacheline Floor reference Floor/op=cacheline/pin=%s/size=64"
	"futex Floor reference Floor/op=futex/pin=%s/size=0"
	"pipe PingPong pipe PingPong/transport=pipe/api=raw/pin=%s/size=64"
	"unix PingPong unix-stream PingPong/transport=unix-stream/api=raw/pin=%s/size=64"
	"ring PingPong shm-spin PingPong/transport=shm-spin/api=raw/pin=%s/size=64"
	"ringstream Floor reference Floor/op=ring/pin=%s/size=65536"
	"zcstream Stream shm-hybrid Stream/transport=shm-hybrid/api=zerocopy/pin=%s/size=1048576"
	"cpstream Stream shm-hybrid Stream/transport=shm-hybrid/api=raw/pin=%s/size=1048576"
)
# goref mode and the ipcbench transport it mirrors; sizes.
go_cases=("unix unix-stream" "pipe pipe" "tcp tcp")
go_sizes=(64 65536)

# one_line NAME FILE DEST: append FILE's result line of NAME to DEST; fail
# unless there is exactly one.
one_line() {
	local n
	n=$(grep -c "^Benchmark$1-[0-9]*[[:space:]]" "$2" || true)
	[ "$n" = 1 ] || {
		cat "$2" >&2
		die "expected one result named $1, got $n"
	}
	grep "^Benchmark$1-[0-9]*[[:space:]]" "$2" >>"$3"
}

# ipcbench_case NAME UNITS DEST ARGS...: run ipcbench's case NAME (ARGS
# select it) and append its result with only UNITS (comma-separated).
ipcbench_case() {
	local name=$1 units=$2 dest=$3
	shift 3
	"$cli" run "$@" -count 1 -benchtime "${ms}ms" -match "$name" -o "$WORK/one.txt" 2>"$WORK/stderr" || {
		cat "$WORK/stderr" >&2
		die "ipcbench $name failed"
	}
	awk -v units="$units" '
		BEGIN { n = split(units, u, ","); for (i = 1; i <= n; i++) keep[u[i]] = 1 }
		/^Benchmark/ {
			line = $1 "\t" $2
			for (i = 3; i < NF; i += 2) if ($(i + 1) in keep) line = line "\t" $i " " $(i + 1)
			print line
		}' "$WORK/one.txt" >"$WORK/kept.txt"
	one_line "$name" "$WORK/kept.txt" "$dest"
}

# c_case R PIN CASE: one C case and its ipcbench case, in round R's order.
c_case() {
	local r=$1 pin=$2 mode group transport tmpl name
	read -r mode group transport tmpl <<<"$3"
	# shellcheck disable=SC2059
	name=$(printf "$tmpl" "$pin")
	local size=${name##*size=}
	[ "$size" -lt 64 ] && size=64 # the futex floor is named size=0 and runs at any size
	local api=raw
	[[ $name =~ /api=([a-z]+)/ ]] && api=${BASH_REMATCH[1]}
	local args=(-groups "$group" -pins "$pin" -sizes "$size" -apis "$api")
	[ "$transport" != reference ] && args+=(-transports "$transport")
	local streams=false big=false
	if [ "$mode" = ringstream ] && [ "$pin" = split ]; then streams=true; fi
	if [ "$group" = Stream ]; then
		[ "$pin" = split ] || return 0 # the 1 MiB streams: pin=split only
		big=true
	fi
	local order=(ref ipcbench)
	[ $((r % 2)) = 0 ] && order=(ipcbench ref)
	for side in "${order[@]}"; do
		case $side in
		ref)
			"$WORK/ref" "$mode" "$pin" "$ms" >"$WORK/ref.txt" || die "C reference $mode/$pin failed"
			one_line "$name" "$WORK/ref.txt" "$c_out"
			if $streams; then one_line "$name" "$WORK/ref.txt" "$stream_out"; fi
			if $big; then one_line "$name" "$WORK/ref.txt" "$cstream_out"; fi
			;;
		ipcbench)
			# ns/op only (and MB/s for the 1 MiB streams, which the C side
			# prints too): the C side has nothing else to compare with.
			local units=ns/op
			$big && units=ns/op,MB/s
			ipcbench_case "$name" "$units" "$ipc_out" "${args[@]}"
			if $big; then one_line "$name" "$WORK/kept.txt" "$stream_out"; fi
			if $streams; then
				local api
				for api in raw zerocopy; do
					ipcbench_case "Stream/transport=shm-spin/api=$api/pin=split/size=$size" ns/op,MB/s "$stream_out" \
						-groups Stream -transports shm-spin -apis "$api" -pins split -sizes "$size"
				done
			fi
			;;
		esac
	done
}

# go_case R PIN MODE TRANSPORT SIZE: one Go reference case and its
# ipcbench case, in round R's order.
go_case() {
	local r=$1 pin=$2 mode=$3 transport=$4 size=$5 parent peer
	local name="PingPong/transport=$transport/api=runtime/pin=$pin/size=$size"
	if [ "$pin" = split ]; then
		parent=$split_parent peer=$split_peer
	else
		parent=$same_cpu peer=$same_cpu
	fi
	local order=(goref ipcbench)
	[ $((r % 2)) = 0 ] && order=(ipcbench goref)
	for side in "${order[@]}"; do
		case $side in
		goref)
			GOREF_PEER_CPU=$peer taskset -c "$parent" "$WORK/goref" "$mode" "$pin" "$size" "$ms" >"$WORK/goref.txt" ||
				die "Go reference $mode/$pin/$size failed"
			one_line "$name" "$WORK/goref.txt" "$go_out"
			;;
		ipcbench)
			ipcbench_case "$name" ns/op,p50-ns,p99-ns "$rt_out" \
				-groups PingPong -transports "$transport" -apis runtime -pins "$pin" -sizes "$size"
			;;
		esac
	done
}

n_c=0 n_go=0
if part c; then
	for c in "${cases[@]}"; do
		read -r _ group _ <<<"$c"
		if [ "$group" = Stream ]; then n_c=$((n_c + 1)); else n_c=$((n_c + 2)); fi
	done
fi
part go && n_go=$((${#go_cases[@]} * ${#go_sizes[@]} * 2))
log "$rounds rounds x $((n_c + n_go)) pairs ($n_c C, $n_go Go), ${ms} ms each side"
for ((r = 1; r <= rounds; r++)); do
	if part c; then
		for pin in split same; do
			for c in "${cases[@]}"; do
				c_case "$r" "$pin" "$c"
			done
		done
	fi
	if part go; then
		for g in "${go_cases[@]}"; do
			read -r mode transport <<<"$g"
			for size in "${go_sizes[@]}"; do
				for pin in split same; do
					go_case "$r" "$pin" "$mode" "$transport" "$size"
				done
			done
		done
	fi
	log "round $r/$rounds done"
done

# compare exits non-zero when it finds a difference beyond its thresholds:
# here that is a finding to read, not a failure of the script. compare
# -paired is a report: it fails only on unusable input.
if part c; then
	log "results: $c_out (C) and $ipc_out (ipcbench api=raw)"
	echo "== C reference (old) against ipcbench (new): compare"
	"$cli" compare "$c_out" "$ipc_out" || true
	echo "== C reference (old) against ipcbench (new): paired, ipcbench ÷ C per round"
	"$cli" compare -paired "$c_out" "$ipc_out" || die "paired comparison of the C part failed"
	# The targets whose two sides stream.txt holds: those whose floor is the
	# ring, with the C ring as the floor (the others print "—"). Each round
	# ran the C ring and the streams next to each other, which the warning
	# about files of other profiles cannot know; any other message shows.
	echo "== issue 18's stream targets against the C ring (stream.txt): ipcbench ÷ C ring per round"
	"$cli" targets "$stream_out" 2> >(grep -v '^warning: .* is not a run of -profile targets' >&2) | grep -v ' — ' ||
		die "targets on $stream_out failed"
	echo "== the C programs alone (c-stream.txt): their zero-copy ÷ copying ratio at 1 MiB, per round"
	"$cli" targets "$cstream_out" 2> >(grep -v '^warning: .* is not a run of -profile targets' >&2) | grep -v ' — ' ||
		die "targets on $cstream_out failed"
fi
if part go; then
	log "results: $go_out (Go reference) and $rt_out (ipcbench api=runtime)"
	echo "== Go reference (old) against ipcbench api=runtime (new): compare"
	"$cli" compare "$go_out" "$rt_out" || true
	echo "== Go reference (old) against ipcbench api=runtime (new): paired, ipcbench ÷ Go per round"
	"$cli" compare -paired -units ns/op,p50-ns,p99-ns "$go_out" "$rt_out" || die "paired comparison of the Go part failed"
fi
