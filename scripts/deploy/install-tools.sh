#!/usr/bin/env bash
# What the deployment test (npm run test:deploy) needs from Debian's apt, installed when
# missing: podman and runc to build and run the image, debootstrap to make the base image
# (base-image.sh), python3-yaml to check the compose file (compose-env.py), coturn to relay
# a call with the compose file's coturn flags.
set -euo pipefail
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
command -v turnserver >/dev/null || need+=(coturn)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing: ${need[*]}; run as root: apt-get install -y ${need[*]}" >&2
	exit 4
fi
echo "[install-tools] apt-get install ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
