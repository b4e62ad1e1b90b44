#!/bin/bash
# build-kernel.sh - build (or reuse) a pcpupool test kernel from Debian's
# linux-source package.
#
# Usage: scripts/build-kernel.sh <fragment.config>
# Prints the kernel build directory (KDIR) on stdout as its last line.
#
# The tree is unpacked and built under $PCPUPOOL_CACHE (default
# ~/.cache/pcpupool), keyed by the source package version and the hash of
# the config fragment plus this script, so a second run reuses it.  The build
# runs `make all` (not just bzImage + modules_prepare) so that Module.symvers
# exists and external modules pass modpost.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
frag=$(realpath "$1")
series=${PCPUPOOL_KSERIES:-6.12}
cache=${PCPUPOOL_CACHE:-$HOME/.cache/pcpupool}
"$here/deps.sh" >&2

tarball=/usr/src/linux-source-$series.tar.xz
[ -f "$tarball" ] || { echo "missing $tarball" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
key=$(cat "$frag" "$0" | sha256sum | cut -c1-12)
name=$(basename "$frag" .config)
dir=$cache/linux-$ver-$name-$key
if [ -f "$dir/.pcpupool-built" ]; then
	echo "$dir/linux-source-$series"
	exit 0
fi
mkdir -p "$dir"
# One build per tree: a second caller (make while a build runs) waits.
exec 9> "$dir/.lock"
flock 9
if [ -f "$dir/.pcpupool-built" ]; then
	echo "$dir/linux-source-$series"
	exit 0
fi
src=$dir/linux-source-$series
if [ ! -d "$src" ]; then
	echo "unpacking $tarball into $dir" >&2
	tar -C "$dir" -xf "$tarball"
fi
cd "$src"
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$frag" >&2
make -s olddefconfig >&2
# Every option of the fragment must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	opt=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		if grep -q "^$opt=" .config; then
			echo "config: $opt should be unset" >&2; missing=1
		fi
	elif ! grep -qx "$opt=$val" .config; then
		echo "config: $line did not stick (got: $(grep "^$opt=" .config || echo unset))" >&2
		missing=1
	fi
done < "$frag"
[ $missing = 0 ] || exit 1
jobs=$(( $(nproc) + 1 ))
echo "building kernel in $src with -j$jobs (takes minutes)" >&2
make -s -j$jobs all >&2
[ -f Module.symvers ] || { echo "no Module.symvers" >&2; exit 1; }
touch "$dir/.pcpupool-built"
echo "$src"
