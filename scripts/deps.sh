#!/bin/bash
# deps.sh - install the Debian packages pcpupool's build, tests and guest
# runs need.  Idempotent: does nothing when everything is already there.
set -euo pipefail
pkgs=(build-essential g++ bc flex bison libelf-dev libssl-dev cpio xz-utils
      kmod dwarves python3 qemu-system-x86 busybox-static rsync fio
      "linux-source-${PCPUPOOL_KSERIES:-6.12}")
# Debian's stock kernel and its headers, newest 6.12 build in the archive.
stock_pkgs() {
	local v
	v=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)-unsigned .*/\1/p' | sort -V | tail -1)
	[ -n "$v" ] && echo "linux-image-$v-unsigned linux-headers-$v"
}
[ "${PCPUPOOL_DKMS:-0}" = 1 ] && pkgs+=(dkms)
# Debian's 6.1 LTS kernel (the second supported line), newest in the archive.
stock61_pkgs() {
	local v
	v=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null |
		sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)-unsigned .*/\1/p' | sort -V | tail -1)
	[ -n "$v" ] && echo "linux-image-$v-unsigned linux-headers-$v"
}
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${PCPUPOOL_STOCK:-0}" = 1 ] && ! ls -d /lib/modules/6.12.*+deb12-amd64/build >/dev/null 2>&1; then
	missing+=(STOCK)
fi
if [ "${PCPUPOOL_STOCK61:-0}" = 1 ] && ! ls -d /lib/modules/6.1.0-*-amd64/build >/dev/null 2>&1; then
	missing+=(STOCK61)
fi
[ ${#missing[@]} = 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
# apt's output goes to a log; the terminal gets one line per step.
repo=$(cd "$(dirname "$0")/.." && pwd)
log=${BUILD:-$repo/build}/apt.log
mkdir -p "$(dirname "$log")"
apt_step() { # WHAT COMMAND...
	local what=$1
	shift
	echo "deps: $what (log: $log)" >&2
	"$@" >> "$log" 2>&1 || { echo "deps: $what FAILED; the end of $log:" >&2; tail -30 "$log" >&2; exit 1; }
}
if [ ! -f /var/lib/apt/lists/.pcpupool-updated ] || [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock)" ]; then
	apt_step "apt-get update" apt-get update -q
	touch /var/lib/apt/lists/.pcpupool-updated
fi
inst=()
for p in "${missing[@]}"; do
	case "$p" in
	STOCK) inst+=($(stock_pkgs)) ;;
	STOCK61) inst+=($(stock61_pkgs)) ;;
	*) inst+=("$p") ;;
	esac
done
apt_step "installing ${inst[*]}" apt-get install -y -q --no-install-recommends "${inst[@]}"
