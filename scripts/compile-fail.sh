#!/bin/bash
# compile-fail.sh - API misuse the compiler must refuse, proved both ways:
# each case is a tiny C file using include/pcpupool/pcpupool.h, compiled
# as a module object against the cached debug kernel (`make M=... t.o`,
# no link).  A "refused" case must fail to build with the stated message
# (not some other error); its "ok" twin must build, so that the failure is
# the misuse's and not the harness's.  Prints one line per case and
# "compile-fail: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
kdir=$("$here/kernel.sh" "$here/debug.config" | tail -1) || exit 1
out=$repo/build/compile-fail
rm -rf "$out"
mkdir -p "$out"
pass=0 fail=0

# try NAME ok|refused REGEX BODY: BODY is the body of a function with
# "struct pcpupool_mempool *pool", an untyped handle "struct pcpupool_mem
# e", a counter handle "struct pcpupool_u64 c" and a kernel percpu pointer
# "u64 __percpu *k" in scope; struct u32_pcpu is a handle type of u32.
try() {
	local name=$1 want=$2 why=$3 body=$4 dir=$out/$1 rc
	mkdir -p "$dir"
	cat > "$dir/t.c" <<EOC
#include <linux/module.h>
#include <pcpupool/pcpupool.h>

DEFINE_PCPUPOOL_TYPE(u32_pcpu, u32);
void t_use(struct pcpupool_mempool *pool, struct pcpupool_mem e, struct pcpupool_u64 c,
	   u64 __percpu *k);
void t_use(struct pcpupool_mempool *pool, struct pcpupool_mem e, struct pcpupool_u64 c,
	   u64 __percpu *k)
{
	$body
}
MODULE_LICENSE("GPL");
EOC
	printf 'obj-m := t.o\nccflags-y := -I%s/include\n' "$repo" > "$dir/Kbuild"
	make -C "$kdir" M="$dir" t.o > "$dir/build.log" 2>&1
	rc=$?
	if [ "$want" = ok ]; then
		if [ $rc = 0 ]; then
			pass=$((pass + 1)); echo "compile-fail: ok $name builds"
		else
			fail=$((fail + 1)); echo "compile-fail: FAIL $name does not build:"
			grep -m5 error "$dir/build.log"
		fi
	elif [ $rc != 0 ] && grep -qE -- "$why" "$dir/build.log"; then
		pass=$((pass + 1)); echo "compile-fail: ok $name refused ($why)"
	elif [ $rc != 0 ]; then
		fail=$((fail + 1)); echo "compile-fail: FAIL $name refused, but not for '$why':"
		grep -m5 error "$dir/build.log"
	else
		fail=$((fail + 1)); echo "compile-fail: FAIL $name built: the misuse compiles"
	fi
}

# pcpupool memory is a handle, not a __percpu pointer: the kernel's percpu
# accessors refuse it, and pcpupool's refuse the kernel's percpu memory,
# with gcc (no sparse needed).  Each refused case beside its correct twin.
try kernel_ptr_of_handle_ok ok '' '*pcpupool_ptr(c, 0) = 1;'
try per_cpu_ptr_of_handle refused 'invalid operands to binary \+' '*per_cpu_ptr(c, 0) = 1;'
try this_cpu_inc_ok ok '' 'pcpupool_this_cpu_inc(c); this_cpu_inc(*k);'
try this_cpu_inc_of_handle refused "incompatible types when assigning to type .struct pcpupool_u64." 'this_cpu_inc(c);'
try this_cpu_inc_of_deref refused "invalid type argument of unary .\*." 'this_cpu_inc(*c);'
try free_ok ok '' 'pcpupool_free(e); pcpupool_free(c); free_percpu(k);'
try free_percpu_of_handle refused "incompatible type for argument 1 of .free_percpu." 'free_percpu(e);'
try pcpupool_free_of_percpu refused "request for member .__p. in something not a structure" 'pcpupool_free(k);'
try old_pointer_api refused 'incompatible types when initializing' \
	'void __percpu *p = pcpupool_alloc(8, 8, GFP_KERNEL); free_percpu(p);'
# A handle keeps its element type: an untyped handle may become any type,
# a typed one only its own.
try cast_ok ok '' 'struct u32_pcpu x = pcpupool_cast(struct u32_pcpu, e); pcpupool_free(x);'
try cast_other_type refused 'negative width in bit-field' \
	'struct u32_pcpu x = pcpupool_cast(struct u32_pcpu, c); pcpupool_free(x);'
try assign_other_type refused 'invalid initializer' \
	'struct u32_pcpu x = pcpupool_new(struct pcpupool_u64, GFP_KERNEL); pcpupool_free(x);'
# A member of struct elements is a handle of the member's type.
try member_ok ok '' 'struct io { u32 f; u64 n; }; struct io_pcpu { struct io __pcpupool *__p; } h = pcpupool_cast(struct io_pcpu, e);
	pcpupool_this_cpu_inc(pcpupool_field(h, n)); pcpupool_counter_add(pcpupool_member(struct pcpupool_u64, h, n), 1);'
try member_other_type refused 'incompatible pointer type' 'struct io { u32 f; u64 n; }; struct io_pcpu { struct io __pcpupool *__p; } h = pcpupool_cast(struct io_pcpu, e);
	pcpupool_counter_add(pcpupool_member(struct pcpupool_u64, h, f), 1);'
# pcpupool_mempool_free() takes mempool_free()'s order (element, pool);
# swapped, the element is not a pointer and the pool is not a handle.
try mempool_free_order ok '' 'pcpupool_mempool_free(e, pool); pcpupool_mempool_free(c, pool);'
try mempool_free_swapped refused "request for member .__p. in something not a structure|incompatible type for argument 2" \
	'pcpupool_mempool_free(pool, e);'

echo "compile-fail: $pass passed, $fail failed"
[ $fail = 0 ]
