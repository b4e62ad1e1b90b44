#!/bin/bash
# build-memhog.sh - build the swap test's memory hog (scripts/guest/memhog.c) as a
# static binary on the host, and optionally add it to a guest initramfs.
#
# Usage: scripts/build-memhog.sh OUTDIR [INITRD.cpio.gz]
#
# Writes OUTDIR/pcpupool-memhog (gcc -static -O2; rebuilt when the source
# is newer).  With INITRD, appends a second gzipped newc cpio holding
# /guest/pcpupool-memhog to it: the kernel unpacks concatenated archives in
# order, so scripts/mkinitramfs.sh's output needs no change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUTDIR [INITRD.cpio.gz]" >&2; exit 2; }
out=$1
mkdir -p "$out"
bin=$out/pcpupool-memhog
if [ ! -x "$bin" ] || [ "$here/guest/memhog.c" -nt "$bin" ]; then
	gcc -static -O2 -Wall -Werror -o "$bin.tmp" "$here/guest/memhog.c"
	mv "$bin.tmp" "$bin"
fi
if [ $# = 2 ]; then
	initrd=$2
	[ -f "$initrd" ] || { echo "$0: no $initrd" >&2; exit 1; }
	stage=$(mktemp -d "${TMPDIR:-/tmp}/pcpupool-memhog.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/guest"
	install -m 0755 "$bin" "$stage/guest/pcpupool-memhog"
	(cd "$stage" && printf '%s\n' guest/pcpupool-memhog |
		cpio -o -H newc --owner=0:0 --quiet) | gzip -9n >> "$initrd"
fi
