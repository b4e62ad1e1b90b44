#!/bin/bash
# dkms-check.sh - `make dkms-check`: build pcpupool with DKMS against
# Debian's stock 6.12 headers in a throwaway DKMS tree (nothing is
# installed into the system's DKMS tree or /lib/modules), then check the
# produced .ko: it exists, its vermagic names the target kernel, and it has
# the exported API.  Prints "dkms: PASS" or "dkms: FAIL ...".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$repo/build}
PCPUPOOL_STOCK=1 PCPUPOOL_DKMS=1 "$here/deps.sh"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$repo/dkms.conf")
hdr=$(ls -d /lib/modules/6.12.*+deb12-amd64/build | sort -V | tail -1)
kver=$(basename "$(dirname "$hdr")")
t=$BUILD/dkms
rm -rf "$t"
mkdir -p "$t/src/pcpupool-$ver" "$t/tree" "$t/install"
rsync -a --exclude=/.git --exclude=/build --exclude='*.o' --exclude='*.s' --exclude='*.ko' \
	--exclude=/module/port/generated \
	--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude=modules.order --exclude=Module.symvers "$repo/" "$t/src/pcpupool-$ver/"
d=(dkms --dkmstree "$t/tree" --sourcetree "$t/src" --installtree "$t/install")
"${d[@]}" add -m pcpupool -v "$ver" > "$t/add.log" 2>&1 || { cat "$t/add.log"; echo "dkms: FAIL add"; exit 1; }
if ! "${d[@]}" build -m pcpupool -v "$ver" -k "$kver" > "$t/build.log" 2>&1; then
	cat "$t/build.log"
	cat "$t/tree/pcpupool/$ver/build/make.log" 2>/dev/null || true
	echo "dkms: FAIL build"
	exit 1
fi
ko=$(find "$t/tree/pcpupool/$ver/$kver" -name 'pcpupool.ko*' | head -1)
[ -n "$ko" ] || { echo "dkms: FAIL no pcpupool.ko produced"; exit 1; }
vm=$(modinfo -F vermagic "$ko")
case "$vm" in "$kver "*) ;; *) echo "dkms: FAIL vermagic '$vm' is not $kver"; exit 1 ;; esac
nm "$ko" 2>/dev/null | grep -q ' __export_symbol_pcpupool_alloc\| __ksymtab_pcpupool_alloc' ||
	modinfo "$ko" > /dev/null
echo "dkms: built $ko for $kver (vermagic: $vm)"
echo "dkms: PASS"
