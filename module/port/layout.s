	.file	"layout.c"
# GNU C11 (Debian 12.2.0-14+deb12u1) version 12.2.0 (x86_64-linux-gnu)
#	compiled by GNU C version 12.2.0, GMP version 6.2.1, MPFR version 4.2.0, MPC version 1.3.1, isl version isl-0.25-GMP

# GGC heuristics: --param ggc-min-expand=100 --param ggc-min-heapsize=131072
# options passed: -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -m64 -mno-80387 -mno-fp-ret-in-387 -mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic -mno-red-zone -mcmodel=kernel -march=x86-64 -Os -std=gnu11 -fshort-wchar -funsigned-char -fno-common -fno-PIE -fno-strict-aliasing -fcf-protection=branch -fno-jump-tables -falign-jumps=1 -falign-loops=1 -fno-asynchronous-unwind-tables -fno-delete-null-pointer-checks -fno-allow-store-data-races -fno-stack-protector -fomit-frame-pointer -ftrivial-auto-var-init=zero -fno-stack-clash-protection -falign-functions=16 -fno-strict-overflow -fstack-check=no -fconserve-stack -fno-builtin-wcslen -fno-builtin-wcslen -fno-builtin
	.text
	.type	pcpu_layout, @function
pcpu_layout:
	endbr64	
# /work/main/module/port/layout.c:28: 	DEFINE(PCPU_SPINLOCK_SIZE, sizeof(spinlock_t));
#APP
# 28 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_SPINLOCK_SIZE $64 sizeof(spinlock_t)"	#
# 0 "" 2
# /work/main/module/port/layout.c:29: 	DEFINE(PCPU_SPINLOCK_ALIGN, __alignof__(spinlock_t));
# 29 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_SPINLOCK_ALIGN $8 __alignof__(spinlock_t)"	#
# 0 "" 2
# /work/main/module/port/layout.c:30: 	DEFINE(PCPU_MUTEX_SIZE, sizeof(struct mutex));
# 30 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_MUTEX_SIZE $144 sizeof(struct mutex)"	#
# 0 "" 2
# /work/main/module/port/layout.c:31: 	DEFINE(PCPU_MUTEX_ALIGN, __alignof__(struct mutex));
# 31 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_MUTEX_ALIGN $8 __alignof__(struct mutex)"	#
# 0 "" 2
# /work/main/module/port/layout.c:32: 	DEFINE(PCPU_WORK_SIZE, sizeof(struct pcpu_work));
# 32 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_WORK_SIZE $184 sizeof(struct pcpu_work)"	#
# 0 "" 2
# /work/main/module/port/layout.c:33: 	DEFINE(PCPU_WORK_ALIGN, __alignof__(struct pcpu_work));
# 33 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_WORK_ALIGN $8 __alignof__(struct pcpu_work)"	#
# 0 "" 2
# /work/main/module/port/layout.c:34: 	DEFINE(PCPU_CACHE_LINE, SMP_CACHE_BYTES);
# 34 "/work/main/module/port/layout.c" 1
	
.ascii "->PCPU_CACHE_LINE $64 SMP_CACHE_BYTES"	#
# 0 "" 2
# /work/main/module/port/layout.c:35: }
#NO_APP
	ret	
	.size	pcpu_layout, .-pcpu_layout
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
	.section	.note.gnu.property,"a"
	.align 8
	.long	1f - 0f
	.long	4f - 1f
	.long	5
0:
	.string	"GNU"
1:
	.align 8
	.long	0xc0000002
	.long	3f - 2f
2:
	.long	0x1
3:
	.align 8
4:
