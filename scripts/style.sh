#!/bin/bash
# style.sh - `make style` (and a group of `make check`): the C++ core must
# match .clang-format exactly, and the C files (the port, the public
# headers, the KUnit and driver C) must pass the kernel's own
# scripts/checkpatch.pl --no-tree -f with no error and no warning.  The
# kernel tree comes from the cached debug kernel (scripts/build-kernel.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"
command -v clang-format > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-format > /dev/null
kdir=$("$here/kernel.sh" "$here/debug.config" | tail -1)
fail=0
mapfile -t cxx < <(git ls-files 'module/*.cpp' 'module/*.h' 'kunit/*.cpp' 'kunit/area_model.h' 'module/port/*_cxx.h' |
	grep -v -e '^module/blk/' -e '^module/core_api.h$' -e '^module/port/port.h$' -e '^module/port/pcpupool_trace.h$' -e '^module/port/port_internal.h$' -e '^kunit/host/')
mapfile -t c < <(git ls-files 'module/port/*.c' 'module/port/port.h' 'module/port/port_internal.h' 'module/port/pcpupool_trace.h' \
	'module/core_api.h' 'include/*.h' 'kunit/*.c' 'kunit/kt.h' 'kunit/util.h' 'module/blk/*.c' 'module/blk/*.h' 'scripts/guest/*.c')
if clang-format --dry-run --Werror "${cxx[@]}" 2> build-style.log; then
	echo "style: clang-format: ${#cxx[@]} C++ files clean"
else
	head -40 build-style.log
	echo "style: clang-format: FAIL"
	fail=1
fi
rm -f build-style.log
out=$("$kdir/scripts/checkpatch.pl" --no-tree -f --terse --show-types \
	"${c[@]}" 2>&1 | grep -v '^total:')
if [ -z "$out" ]; then
	echo "style: checkpatch: ${#c[@]} C files clean"
else
	echo "$out" | head -40
	echo "style: checkpatch: FAIL"
	fail=1
fi
# kernel-doc on the public API and on the port: every function documented,
# parameters, Return: and a short description included (the kernel tree's
# own scripts/kernel-doc), and a Context: section in every block.
for h in include/pcpupool/pcpupool.h module/port/port.h; do
	out=$("$kdir/scripts/kernel-doc" -none -Wall -Wreturn -Wshort-desc "$h" 2>&1)
	# A block without Context: (from "/**" to its closing "*/").
	out+=$(awk -v f="$h" '/^\/\*\*/ { start = FNR; ctx = 0; inblk = 1; next }
		inblk && /Context:/ { ctx = 1 }
		inblk && /\*\// { if (!ctx) printf "%s:%d: kernel-doc block without Context:\n", f, start; inblk = 0 }' "$h")
	if [ -z "$out" ]; then
		echo "style: kernel-doc: $h clean"
	else
		echo "$out" | head -20
		echo "style: kernel-doc: FAIL ($h)"
		fail=1
	fi
done
[ $fail = 0 ] && echo "style: PASS" || echo "style: FAIL"
exit $fail
