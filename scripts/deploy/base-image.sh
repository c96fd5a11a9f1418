#!/usr/bin/env bash
# Makes the base image docker.io/library/debian:bookworm-slim locally, for machines that
# cannot pull from a registry: debootstrap (minbase) from this host's own Debian mirror,
# trimmed like the official slim image, imported into podman. Nothing to do when the image
# is already there (`podman image exists`), so it is cheap to call before every build.
#
# Usage: base-image.sh [IMAGE]          (default docker.io/library/debian:bookworm-slim)
# Env:   DEBIAN_MIRROR=http://…/debian  mirror to bootstrap from (default: read from
#                                       /etc/apt/sources.list.d/*.sources or sources.list)
#        PODMAN="podman --runtime runc" the podman command
set -euo pipefail

IMAGE="${1:-docker.io/library/debian:bookworm-slim}"
SUITE=bookworm
read -r -a PODMAN_CMD <<<"${PODMAN:-podman --runtime runc}"
log() { echo "[base-image $(date +%T)] $*"; }

if "${PODMAN_CMD[@]}" image exists "$IMAGE"; then
	log "$IMAGE is present"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "building $IMAGE with debootstrap needs root" >&2; exit 4; }
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 4; }

# The first deb822 "URIs:" (or one-line "deb") entry that ends in /debian; not -security.
mirror_from_host() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		for uri in $(sed -n 's/^URIs:[[:space:]]*//p' "$f"); do
			case "$uri" in */debian | */debian/) echo "${uri%/}"; return 0 ;; esac
		done
	done
	if [ -f /etc/apt/sources.list ]; then
		uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' /etc/apt/sources.list)"
		case "$uri" in */debian | */debian/) echo "${uri%/}"; return 0 ;; esac
	fi
	return 1
}
security_from_host() {
	sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n' | grep -m1 -- '-security/\?$' || true
}

MIRROR="${DEBIAN_MIRROR:-$(mirror_from_host || true)}"
[ -n "$MIRROR" ] || { echo "no Debian mirror found in /etc/apt; set DEBIAN_MIRROR" >&2; exit 3; }
SECURITY="$(security_from_host)"
SECURITY="${SECURITY%/}"

ROOT="$(mktemp -d "${TMPDIR:-/var/tmp}/debian-rootfs.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT
T0=$(date +%s)
log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || {
	tail -30 "$ROOT.log" >&2
	exit 5
}
rm -f "$ROOT.log"

# What the official slim image does: keep docs, man pages and translations out of every
# later apt-get install, and keep apt's caches out of image layers.
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-no-languages" <<'CFG'
Acquire::Languages "none";
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-autoremove-suggests" <<'CFG'
Apt::AutoRemove::SuggestsImportant "false";
CFG
# Same sources as the official image (main, updates, security), from this host's mirror.
rm -f "$ROOT/etc/apt/sources.list"
{
	printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$SUITE" "$SUITE"
	if [ -n "$SECURITY" ]; then
		printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$SECURITY" "$SUITE"
	fi
} >"$ROOT/etc/apt/sources.list.d/debian.sources"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/var/log/* "$ROOT"/tmp/* \
	"$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/*
: >"$ROOT/etc/machine-id"
echo 'debian' >"$ROOT/etc/hostname"

log "importing as $IMAGE"
tar -C "$ROOT" --numeric-owner -c . | "${PODMAN_CMD[@]}" import --quiet \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'CMD ["bash"]' \
	--message "debootstrap --variant=minbase $SUITE" \
	- "$IMAGE" >/dev/null
log "$IMAGE ready in $(($(date +%s) - T0)) s ($("${PODMAN_CMD[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes)"
