#!/bin/bash
# mkinitramfs.sh - build the busybox initramfs of a pcpupool test guest.
#
# Usage: scripts/mkinitramfs.sh OUT.cpio.gz MODE [KO_FILE...]
#
# Contents: /bin/busybox (Debian's busybox-static) with every applet as a
# symlink, /init (scripts/guest/init.sh), every file of scripts/guest/ in
# /guest/, MODE in /guest/mode (init.sh runs /guest/MODE.sh), the given .ko
# files in /modules/, and /dev/console.  The blkcg mode also gets Debian's
# fio with every shared library it loads (about 80 MB: fio links the
# libraries of all its engines), at their paths.  Written as a gzipped newc
# cpio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
	echo "usage: $0 OUT.cpio.gz MODE [KO_FILE...]" >&2
	exit 2
fi
out=$1 mode=$2
shift 2
busybox=/bin/busybox
[ -f "$here/guest/$mode.sh" ] || { echo "$0: no guest mode script $here/guest/$mode.sh" >&2; exit 2; }
[ -x "$busybox" ] || { echo "$0: no $busybox (install busybox-static)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/pcpupool-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,modules,guest}
install -m 0755 "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$here/guest/init.sh" "$stage/init"
cp -a "$here/guest/." "$stage/guest/"
printf '%s\n' "$mode" > "$stage/guest/mode"
for ko in "$@"; do
	case "$ko" in *.ko) ;; *) echo "$0: not a .ko file: $ko" >&2; exit 2 ;; esac
	[ -f "$ko" ] || { echo "$0: missing $ko" >&2; exit 1; }
	install -m 0644 "$ko" "$stage/modules/"
done
if [ "$mode" = blkcg ]; then
	fio=$(command -v fio) || { echo "$0: no fio (install fio)" >&2; exit 1; }
	install -D -m 0755 "$fio" "$stage/usr/bin/fio"
	ldd "$fio" | awk '/=> \//{ print $3 } /^[[:space:]]*\/[^ ]*ld-linux/{ print $1 }' |
		while read -r lib; do
			install -D -m 0755 "$(readlink -f "$lib")" "$stage$lib"
		done
fi
# The kernel opens /dev/console for /init before init.sh mounts devtmpfs.
if [ "$(id -u)" = 0 ]; then
	mknod -m 0600 "$stage/dev/console" c 5 1
	mknod -m 0666 "$stage/dev/null" c 1 3
fi
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
