#!/usr/bin/env bash
# Air-gapped build of mediasoup-worker: compiles the worker from the pinned
# mediasoup npm tarball against Debian 12's system libraries, so it needs only
# the npm registry and Debian's apt (no prebuilt download, no PyPI, no meson
# wraps). The patch beside this script swaps meson subprojects for system
# dependencies, ports libsrtp3 calls to libsrtp2 and fixes a DTLS BIO callback
# that crashes the worker on a real handshake with Debian's OpenSSL.
#
# libsrtp is linked in statically, built from Debian's own libsrtp2 source package
# (fetched with apt, verified against the signed Sources index) with OpenSSL as its crypto
# backend, as mediasoup's own build does: Debian's libsrtp2-1 uses NSS, whose per-packet
# PKCS#11 calls cost about 8 % more worker CPU per forwarded packet with AES-GCM
# (bench:media's SRTP scenario, README "Performance").
#
# Usage: build-debian.sh MEDIASOUP_VERSION OUTFILE
# Env:   JOBS=N   parallel compile jobs (default: nproc)
#        DEBIAN_SOURCE_MIRROR   where libsrtp2's source package comes from
#                               (default http://deb.debian.org/debian; a local mirror works)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 MEDIASOUP_VERSION OUTFILE" >&2; exit 2; }
VERSION="$1"
OUTFILE="$(realpath -m "$2")"
PATCH="$HERE/mediasoup-${VERSION}-debian12.patch"
JOBS="${JOBS:-$(nproc)}"
APT_PACKAGES=(g++ make patch meson ninja-build pkg-config libuv1-dev libssl-dev
	libabsl-dev libflatbuffers-dev flatbuffers-compiler)
SRTP_VERSION=2.5.0
MIRROR="${DEBIAN_SOURCE_MIRROR:-http://deb.debian.org/debian}"
CODENAME="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"

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

log "fetching libsrtp2 ${SRTP_VERSION}'s source package from ${MIRROR} (${CODENAME})"
# A private apt configuration: the system's sources and lists are left as they are.
mkdir -p apt/lists/partial apt/cache/archives/partial apt/sources.list.d srtp-src
echo "deb-src ${MIRROR} ${CODENAME} main" >apt/sources.list
APT_OPTS=(-o "Dir::Etc::sourcelist=$WORK/apt/sources.list" -o "Dir::Etc::sourceparts=$WORK/apt/sources.list.d"
	-o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache" -o "APT::Sandbox::User=$(id -un)")
apt-get "${APT_OPTS[@]}" update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; exit 7; }
(cd srtp-src && apt-get "${APT_OPTS[@]}" source --download-only -qq libsrtp2 >>"$WORK/apt.log" 2>&1) ||
	{ cat "$WORK/apt.log" >&2; exit 7; }
tar xzf srtp-src/libsrtp2_${SRTP_VERSION}.orig.tar.gz -C srtp-src
log "libsrtp2 ${SRTP_VERSION} with OpenSSL crypto (static)"
(
	cd "srtp-src/libsrtp-${SRTP_VERSION}"
	meson setup --buildtype release -Db_ndebug=true -Ddefault_library=static -Dcrypto-library=openssl \
		-Dtests=disabled -Ddoc=disabled -Dpcap-tests=disabled --prefix "$WORK/srtp" --libdir lib build >"$WORK/srtp-meson.log" 2>&1 ||
		{ cat "$WORK/srtp-meson.log" >&2; exit 8; }
	ninja -C build -j "$JOBS" install >"$WORK/srtp-ninja.log" 2>&1 || { tail -50 "$WORK/srtp-ninja.log" >&2; exit 8; }
)
# The worker's meson finds this libsrtp2 (a static library only) before the system's.
export PKG_CONFIG_PATH="$WORK/srtp/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

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
if ldd src/worker/build/mediasoup-worker | grep -Eq 'libsrtp2|libnss3'; then
	echo "the worker links a shared libsrtp2 or NSS; expected the static OpenSSL-backed libsrtp2" >&2
	exit 9
fi
mkdir -p "$(dirname "$OUTFILE")"
# Write then rename, so a concurrent reader never sees half a binary.
cp src/worker/build/mediasoup-worker "$OUTFILE.tmp.$$"
chmod 755 "$OUTFILE.tmp.$$"
mv -f "$OUTFILE.tmp.$$" "$OUTFILE"
log "built $OUTFILE ($(stat -c %s "$OUTFILE") bytes) in $(($(date +%s) - T0)) s"
