#!/usr/bin/env bash
# Air-gapped build of mediasoup-worker: compiles the worker from the pinned
# mediasoup npm tarball against Debian 12's system libraries, so it needs only
# the npm registry and Debian's apt (no prebuilt download, no PyPI, no meson
# wraps). The patch beside this script swaps meson subprojects for system
# dependencies, ports libsrtp3 calls to libsrtp2 and fixes a DTLS BIO callback
# that crashes the worker on a real handshake with Debian's OpenSSL.
#
# Usage: build-debian.sh MEDIASOUP_VERSION OUTFILE
# Env:   JOBS=N   parallel compile jobs (default: nproc)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 MEDIASOUP_VERSION OUTFILE" >&2; exit 2; }
VERSION="$1"
OUTFILE="$(realpath -m "$2")"
PATCH="$HERE/mediasoup-${VERSION}-debian12.patch"
JOBS="${JOBS:-$(nproc)}"
APT_PACKAGES=(g++ make patch meson ninja-build pkg-config libuv1-dev libssl-dev
	libsrtp2-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler)

log() { echo "[worker-build $(date +%T)] $*"; }

[ -f "$PATCH" ] || { echo "no Debian patch for mediasoup $VERSION ($PATCH)" >&2; exit 3; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" = "0" ]; then
		log "installing build dependencies from apt: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "missing Debian packages; run as root:" >&2
		echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 4
	fi
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

log "fetching mediasoup@${VERSION} source tarball from the npm registry"
npm pack --silent "mediasoup@${VERSION}" >/dev/null 2>&1
mkdir src
tar xzf "mediasoup-${VERSION}.tgz" -C src --strip-components=1
(cd src && patch -p1 --quiet --no-backup-if-mismatch <"$PATCH")

log "meson + ninja (release, -j${JOBS}); about 7 minutes on 2 cores"
T0=$(date +%s)
(
	cd src/worker
	meson setup --buildtype release -Db_ndebug=true build >"$WORK/meson.log" 2>&1 ||
		{ cat "$WORK/meson.log" >&2; exit 5; }
	ninja -C build -j "$JOBS" mediasoup-worker >"$WORK/ninja.log" 2>&1 ||
		{ tail -50 "$WORK/ninja.log" >&2; exit 6; }
)
mkdir -p "$(dirname "$OUTFILE")"
# Write then rename, so a concurrent reader never sees half a binary.
cp src/worker/build/mediasoup-worker "$OUTFILE.tmp.$$"
chmod 755 "$OUTFILE.tmp.$$"
mv -f "$OUTFILE.tmp.$$" "$OUTFILE"
log "built $OUTFILE ($(stat -c %s "$OUTFILE") bytes) in $(($(date +%s) - T0)) s"
