#!/usr/bin/env bash
# Runs the test suite as an ordinary user (uid 65534, "nobody"), where the
# kernel's limits are an ordinary user's: POSIX queue size and depth,
# RLIMIT_MSGQUEUE, RLIMIT_MEMLOCK, no CAP_IPC_OWNER, no ptrace of others.
# Tests must adapt or skip naming the limit; a failure here is a real one.
#
# It must be run as root (to switch user). It copies the module to a
# directory the user owns and works offline: the modules come from root's
# module cache through a file:// GOPROXY, copied where the user can read
# them. The user's build cache is kept between runs (UNPRIV_CACHE) so that
# the standard library is not rebuilt each time.
#
# usage: scripts/unprivileged.sh [go test flags and packages]   (default: -p 1 -count=1 ./...)
# exit status: go test's (non-zero only if a test or build failed), 2 on set-up errors.
set -euo pipefail
cd "$(dirname "$0")/.."

UID_RUN=${UNPRIV_UID:-65534}
GID_RUN=${UNPRIV_GID:-65534}
CACHE=${UNPRIV_CACHE:-/var/tmp/ipcbench.unpriv-cache}

if [ "$(id -u)" != 0 ]; then
	echo "unprivileged.sh: must run as root to switch to uid $UID_RUN; as an ordinary user just run go test ./..." >&2
	exit 2
fi
command -v setpriv >/dev/null || { echo "unprivileged.sh: setpriv (util-linux) is missing" >&2; exit 2; }
GO=$(command -v go) || { echo "unprivileged.sh: go not in PATH" >&2; exit 2; }
GOROOT=$("$GO" env GOROOT)
if ! setpriv --reuid="$UID_RUN" --regid="$GID_RUN" --clear-groups test -x "$GOROOT/bin/go"; then
	echo "unprivileged.sh: uid $UID_RUN cannot run $GOROOT/bin/go" >&2
	exit 2
fi

# Modules for offline use: make sure root's cache has them, then copy the
# download cache (zips, go.mod files and checksums; small) where the user
# can read it.
"$GO" mod download
MODDL=$("$GO" env GOMODCACHE)/cache/download

WORK=$(mktemp -d /tmp/ipcbench.unpriv.XXXXXX)
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/src" "$WORK/proxy" "$WORK/modcache" "$WORK/home" "$CACHE"
tar --exclude=./.git --exclude='./results/*/*' --exclude='./results/*.txt' --exclude=./bin -cf - . | tar -xf - -C "$WORK/src"
cp -a "$MODDL/." "$WORK/proxy/"
chown -R "$UID_RUN:$GID_RUN" "$WORK" "$CACHE"
chmod 0755 "$WORK"

if [ $# -eq 0 ]; then
	set -- -p 1 -count=1 ./...
fi
echo "unprivileged.sh: go test $* as uid $UID_RUN in $WORK/src (offline, GOPROXY=file://…)"
set +e
(
	cd "$WORK/src"
	# No capabilities at all, and an ordinary user's environment.
	setpriv --reuid="$UID_RUN" --regid="$GID_RUN" --clear-groups --inh-caps=-all --bounding-set=-all \
		env -i \
		PATH="$GOROOT/bin:/usr/local/bin:/usr/bin:/bin" \
		HOME="$WORK/home" TMPDIR=/tmp \
		GOROOT="$GOROOT" GOTOOLCHAIN=local GOPATH="$WORK/home/go" \
		GOCACHE="$CACHE" GOMODCACHE="$WORK/modcache" \
		GOPROXY="file://$WORK/proxy" GOSUMDB=off GOFLAGS="-mod=mod -buildvcs=false" \
		CGO_ENABLED=0 \
		go test "$@"
)
rc=$?
set -e
echo "unprivileged.sh: go test as uid $UID_RUN exited with status $rc"
exit $rc
