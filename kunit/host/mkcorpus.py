#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# mkcorpus.py - write the seed corpus of the host fuzz targets
# (kunit/host/corpus/<target>/), each file a "# ..." comment naming what it
# is, then the input bytes.  The encoders here mirror the decoders of
# fuzz_area_map.cpp and fuzz_pool.cpp byte for byte; change both together.
#
#   kunit/host/mkcorpus.py            rewrite the generated seeds
#
# Files named regress-* are regression inputs: each reproduces a bug the
# fuzzer or the host tests found (README.md lists them) and fails until it
# is fixed.  Crash inputs the fuzzer finds later are copied in as they are
# (libFuzzer's artifact), under a regress-<what> name, and are not touched
# by this script.
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, comment, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    head = "".join("# %s\n" % line for line in comment.strip().split("\n"))
    with open(os.path.join(d, name), "wb") as f:
        f.write(head.encode() + bytes(data))


# ---- fuzz_area_map ---------------------------------------------------------

BLOCK_BITS = [1, 2, 3, 7, 8, 16, 31, 32, 63, 64, 65, 96, 100, 128, 129, 255,
              256, 1000, 1024, 2048]


class Area:
    def __init__(self, block_bits, nr_blocks, init_faults=0):
        self.b = bytearray()
        max_blocks = min(64, 16384 // block_bits)
        assert 1 <= nr_blocks <= max_blocks
        self.b += bytes([BLOCK_BITS.index(block_bits), nr_blocks - 1, init_faults])

    def bits(self, n):  # pick_bits: classes 0/1 -> 1 + v % 16, 2 -> % 256, 3 -> % (nr_bits + 8)
        if n <= 16:
            self.b += bytes([0]) + struct.pack("<H", n - 1)
        elif n <= 256:
            self.b += bytes([2]) + struct.pack("<H", n - 1)
        else:
            self.b += bytes([3]) + struct.pack("<H", n - 1)

    def fit(self, n, align_log=0, pop=0):
        self.b += bytes([0])
        self.bits(n)
        self.b += bytes([align_log, pop])

    def place(self, n, at):
        self.b += bytes([3])
        self.bits(n)
        self.b += struct.pack("<I", at)

    def free(self, idx):
        self.b += bytes([4]) + struct.pack("<I", idx)

    def bad(self, how, arg):
        self.b += bytes([6, how])
        if how == 0:
            self.b += struct.pack("<I", arg) + struct.pack("<I", 0)
        elif how == 1:
            self.b += bytes([arg])
        else:
            self.b += struct.pack("<I", arg)

    def pop(self, block, on=True):
        self.b += bytes([7]) + struct.pack("<I", block) + bytes([1 if on else 0])

    def query(self, off, nbits=1):
        self.b += bytes([8]) + struct.pack("<I", off) + struct.pack("<I", nbits - 1)

    def drain(self):
        self.b += bytes([9])


def area_seeds():
    a = Area(1024, 16)
    for i in range(16):
        a.pop(i)
    for n in (2, 16, 1, 300, 7, 1024, 5):
        a.fit(n)
    a.free(0)
    a.fit(1)
    a.fit(2)
    a.query(2)
    a.drain()
    write("area_map", "page-basic", "AreaMap: the kernel geometry (4 KiB blocks, 64 KiB unit), "
          "first fits, a free, reuse of the hole, stats, drain.", a.b)

    a = Area(1024, 8)
    for i in range(8):
        a.pop(i)
    a.fit(1)
    for log in range(11):
        a.fit(3, log)
    a.query(0, 1024)
    write("area_map", "align", "AreaMap: every alignment from 4 B to 4 KiB after a 1-granule allocation.", a.b)

    a = Area(256, 8)
    for i in range(64):
        a.fit(32)
    for i in range(0, 64, 2):
        a.free(i)  # indices shift as entries move: a scattered set of frees
    a.fit(33)
    a.drain()
    a.fit(248)
    a.fit(24)
    write("area_map", "coalesce-cross-block", "AreaMap: 32-granule allocations, every other freed, a "
          "33-granule request past the holes, then a run across a block boundary.", a.b)

    a = Area(1024, 4)
    a.pop(1)
    a.pop(2)
    a.fit(10, 0, 1)
    a.fit(1025, 0, 1)
    a.fit(2048, 0, 1)
    a.pop(1, False)
    a.fit(4, 10, 1)
    a.fit(4, 10, 0)
    write("area_map", "populated-only", "AreaMap: populated_only fits inside and across populated "
          "blocks, an aligned fit past an unpopulated hole.", a.b)

    a = Area(1024, 2)
    a.fit(10)
    a.bad(0, 0)
    a.bad(1, 5)
    a.bad(2, 2047)
    a.free(0)
    a.bad(2, 0)
    write("area_map", "bad-frees", "AreaMap: frees inside an allocation, past the unit, of a free "
          "granule and a double free: all refused.", a.b)

    for bb, nb in ((1, 64), (3, 40), (7, 20), (63, 9), (65, 9), (100, 11), (129, 7), (255, 5),
                   (2048, 4), (31, 33)):
        a = Area(bb, nb)
        for i in range(0, nb, 2):
            a.pop(i)
        for n in (1, 2, bb, bb + 1, 3, 2 * bb - 1, 5):
            a.fit(n, 0, 0)
            a.fit(n, 2, 1)
        a.free(3)
        a.free(1)
        a.place(bb // 2 + 1, bb)
        a.query(bb)
        a.fit(bb * 2, 1)
        write("area_map", "geometry-%d-x%d" % (bb, nb), "AreaMap: %d-granule blocks x %d: fits of "
              "block-straddling sizes, populated-only, placed allocations." % (bb, nb), a.b)

    a = Area(1024, 16, init_faults=0x82)
    a.fit(100)
    write("area_map", "init-failure", "AreaMap: init() with its 3rd allocation failing returns false "
          "and leaks nothing; then a normal map.", a.b)

    a = Area(1024, 2)
    for n in range(300):
        a.fit(7)
    write("area_map", "exhaustion", "AreaMap: 7-granule allocations until a 2-block unit is full.", a.b)


# ---- fuzz_pool -------------------------------------------------------------

SITES = ["META", "VM_RANGE", "PAGES_ARRAY", "BACKING", "ATOMIC", "KMALLOC", "PAGE", "MAP",
         "PORT_OBJ"]
GFP = {"atomic": 0, "nowait": 1, "kernel": 2, "noio": 3, "nofs": 4, "nofail": 5,
       "scope_noio": 6, "scope_nofs": 7}
UNITS = {32: 0, 36: 1, 64: 2}


class Pool:
    def __init__(self, cpus=4, possible=0, unit=64, trace=0):
        self.nr = cpus
        self.unit = unit * 1024
        self.b = bytearray([cpus - 1, possible, UNITS[unit], trace])

    def op(self, kind, cpu=0):
        for v in range(256):
            if v % 20 == kind and (v >> 5) % self.nr == cpu:
                self.b.append(v)
                return
        raise ValueError("no opcode for %d on CPU %d" % (kind, cpu))

    @staticmethod
    def align_byte(align):
        if align == 0:
            return 13
        e = align.bit_length() - 1
        assert 1 << e == align
        for a in range(256):
            if a % 13 == e and a % 14 != 13 and a % 32 != 31:
                return a
        raise ValueError(align)

    def alloc(self, size, align=8, gfp="kernel", cpu=0):
        self.op(0, cpu)
        if size == 0:
            self.b += bytes([2]) + struct.pack("<H", 0)
        elif size <= 128:
            self.b += bytes([5]) + struct.pack("<H", size - 1)
        elif size <= 2048:
            self.b += bytes([3]) + struct.pack("<H", size - 1)
        elif size in (4096 * k + r for k in (1, 2, 3) for r in range(8)):
            k, r = divmod(size, 4096)
            v = next(v for v in range(24) if v % 3 == k - 1 and v % 8 == r)
            self.b += bytes([1]) + struct.pack("<H", v)
        elif self.unit - 63 <= size <= self.unit:
            self.b += bytes([0]) + struct.pack("<H", self.unit - size)
        else:
            raise ValueError(size)
        self.b += bytes([self.align_byte(align), GFP[gfp]])

    def free(self, idx, cpu=0):
        self.op(4, cpu)
        self.b += struct.pack("<I", idx)

    def bad_free(self, how, cpu=0):
        # 0 interior, 1 unaligned, 2 another CPU's copy (of live[0]);
        # 3 a stack address, 4 a low address
        self.op(6, cpu)
        self.b.append(how)
        if how < 3:
            self.b += struct.pack("<I", 0) + struct.pack("<I", 1)
        elif how == 4:
            self.b += struct.pack("<H", 0x234)

    def work(self, delayed=0):
        self.op(7)
        self.b.append(delayed)

    def wm(self, which, value):
        self.op(8)
        f = ["low", "high", "cap"].index(which)
        if value == 4097:
            self.b += bytes([f, 0])
        else:
            assert value < 64
            self.b += bytes([f, 1, value])

    def kill(self):
        self.op(9)
        self.b.append(0)

    def fault(self, site, skip=0, nr=1, forever=False):
        self.op(9)
        s = SITES.index(site)
        if site == "ATOMIC" and forever:
            self.b += bytes([1, s, skip])
        else:
            self.b += bytes([2, s, skip, nr - 1])

    def migrate(self, nth, to):
        self.op(10)
        self.b += bytes([1, nth - 1, to])

    def irq(self, nth, action, arg):
        self.op(10)
        self.b += bytes([0, nth - 1, action]) + struct.pack("<H", arg)

    def mp_create(self, k, size, align=8, min_nr=8, big=False):
        self.op(11)
        self.b += bytes([k]) + struct.pack("<H", size - 1) + bytes([0 if big else 1])
        self.b += bytes([align.bit_length() - 1, min_nr])

    def mp_alloc(self, k, gfp="nowait", cpu=0):
        self.op(12, cpu)
        self.b += bytes([k, GFP[gfp]])

    def mp_free(self, k, idx=0, cpu=0):
        self.op(14, cpu)
        self.b += bytes([k]) + struct.pack("<I", idx)

    def mp_resize(self, k, n):
        self.op(16)
        self.b += bytes([k, n])

    def mp_destroy(self, k, keep=0):
        self.op(17)
        self.b += bytes([k, keep])

    def hotplug(self, cpu):
        self.op(18)
        self.b.append(cpu)

    def debugfs(self, what):
        self.op(19)
        self.b.append(what)


def pool_seeds():
    p = Pool(4, 0, 64, trace=1)
    for s in (1, 8, 100, 2000, 4096, 8193):
        p.alloc(s, 8, "kernel")
    p.free(1)
    p.free(0)
    p.work(0)
    for s in (16, 64, 24):
        p.alloc(s, 8, "atomic", cpu=2)
    p.debugfs(0)
    p.debugfs(1)
    write("pool", "basic", "Pool: sleepable allocations of every size class, frees, the balance "
          "work, atomic allocations from populated pages, the debugfs views; tracepoints on.", p.b)

    p = Pool(3, 0x5, 32)
    p.alloc(64, 64, "atomic")
    p.work(0)
    p.alloc(64, 64, "atomic")
    p.alloc(4096 * 2, 4096, "nofs")
    p.alloc(32 * 1024, 4096, "noio")
    p.alloc(0, 8)
    p.alloc(8, 4096, "scope_noio")
    p.bad_free(0)
    p.bad_free(1)
    p.bad_free(2)
    p.bad_free(3)
    p.bad_free(4)
    write("pool", "holes-atomic-misuse", "Pool: CPU 1 not possible; atomic failure then refill, "
          "alignment to a page, a whole unit, NOFS/NOIO and a NOIO scope, a size-0 request, and "
          "interior, unaligned, other-CPU, foreign and bad frees.", p.b)

    # cap 16: the adaptive target stays within one 16-page chunk (above
    # it, see regress-balance-churn)
    p = Pool(2, 0, 64)
    p.wm("cap", 16)
    p.wm("high", 12)
    p.wm("low", 6)
    p.wm("low", 13)
    p.wm("cap", 4097)
    p.work(0)
    for i in range(30):
        p.alloc(512, 8, "atomic", cpu=i % 2)
    p.work(0)
    for i in range(30):
        p.free(0)
    p.work(1)
    p.work(1)
    write("pool", "watermarks", "Pool: watermark writes (valid and refused), an atomic burst, "
          "refill, frees and the delayed trims.", p.b)

    for site in SITES:
        p = Pool(4, 0, 64)
        p.alloc(100, 8, "kernel")
        p.fault(site, 0, 2)
        p.alloc(8195, 8, "kernel")
        p.fault(site, 1, 1)
        p.alloc(64 * 1024, 8, "nofail")
        p.alloc(8195, 8, "kernel")
        write("pool", "fault-" + site.lower(), "Pool: the %s fault site failing during chunk "
              "creation/population; a NOFAIL request retries through it." % site, p.b)

    p = Pool(2, 0, 64)
    p.kill()
    p.alloc(64, 8, "noio")
    p.kill()
    p.alloc(64, 8, "nofail")
    write("pool", "killed", "Pool: a task with a fatal signal gets NULL from a sleepable request; "
          "a NOFAIL one still succeeds.", p.b)

    p = Pool(4, 0, 64)
    p.mp_create(0, 48, 16, 12)
    p.mp_create(1, 300, 64, 4, big=True)
    for i in range(6):
        p.mp_alloc(0, "nowait", cpu=i % 4)
    p.fault("ATOMIC", forever=True)
    p.mp_alloc(0, "noio", cpu=1)
    p.fault("ATOMIC", forever=True)
    p.mp_alloc(0, "atomic", cpu=1)
    p.mp_free(0, 0, cpu=2)
    p.mp_free(0, 0, cpu=1)
    p.mp_resize(0, 30)
    p.mp_alloc(1, "kernel", cpu=3)
    p.hotplug(3)
    p.mp_alloc(0, "scope_nofs", cpu=0)
    p.hotplug(3)
    p.work(0)
    p.mp_destroy(1, keep=1)
    p.debugfs(2)
    write("pool", "mempool-lifecycle", "Mempool: two pools, allocator first, the reserve with the "
          "allocator failing, frees on other CPUs, resize, a CPU offline and back, destroy with "
          "an element out.", p.b)

    p = Pool(2, 0, 64)
    p.mp_create(0, 32, 8, 40)
    for i in range(12):
        p.fault("ATOMIC", forever=True)
        p.mp_alloc(0, "nowait", cpu=1)
    for i in range(6):
        p.mp_free(0, 0, cpu=1)
    p.fault("ATOMIC", forever=True)
    p.mp_alloc(0, "nowait", cpu=0)
    p.irq(3, 1, 0)
    p.alloc(64, 8, "kernel")
    p.migrate(2, 1)
    p.alloc(64, 8, "atomic")
    write("pool", "mempool-magazines", "Mempool: reserve elements through CPU 1's magazine and the "
          "depot, frees back into the magazine, an interrupt that frees during an allocation, "
          "a migration during another.", p.b)

    # ---- regression inputs: bugs found on the host (README.md) ----
    p = Pool(2, 0, 64)
    p.fault("PORT_OBJ", 0, 1)
    p.mp_create(0, 32, 8, 4)
    write("pool", "regress-mempool-create-lock", "REGRESSION bug 1: Mempool::create() fails its "
          "refill work item; destroy() calls get_stats(), which takes depot_lock_, never "
          "initialized (NULL lock: BUG/oops).", p.b)

    p = Pool(2, 0, 64)
    p.fault("META", 0, 1)
    p.mp_create(0, 32, 8, 4)
    write("pool", "regress-mempool-create-mags", "REGRESSION bug 1b: Mempool::create() fails to "
          "allocate its magazines (chunk metadata fault) but not its counters; destroy() calls "
          "get_stats(), which reads the magazines through a NULL pointer.", p.b)

    p = Pool(2, 0, 64)
    p.mp_create(0, 32, 8, 40)
    for i in range(18):
        p.fault("ATOMIC", forever=True)
        p.mp_alloc(0, "nowait", cpu=1)
    for i in range(16):
        p.mp_free(0, 0, cpu=1)
    p.fault("ATOMIC", forever=True)
    p.migrate(4, 1)
    p.mp_alloc(0, "nowait", cpu=0)
    write("pool", "regress-take-reserve-migrate", "REGRESSION bug 2: CPU 0 finds its magazine "
          "empty, migrates to CPU 1 (16 elements in its magazine) before the depot lock; "
          "take_reserve() computes kMagSize/2 - count < 0 as u32 and overruns elems[].", p.b)

    p = Pool(1, 0, 64)
    p.mp_create(0, 32, 8, 40)
    for i in range(18):
        p.fault("ATOMIC", forever=True)
        p.mp_alloc(0, "nowait")
    p.fault("ATOMIC", forever=True)
    # arg: pool arg % 3 == 0, 1 + (arg >> 12) % 12 == 12 frees
    p.irq(4, 2, (11 << 12) + 1)
    p.mp_alloc(0, "nowait")
    write("pool", "regress-take-reserve-irq", "REGRESSION bug 2b: an interrupt frees 12 elements "
          "into this CPU's magazine between take_reserve()'s magazine check and the depot lock: "
          "the same u32 underflow, on one CPU.", p.b)

    p = Pool(1, 0, 64)
    p.wm("high", 35)
    p.work(0)
    write("pool", "regress-balance-churn", "REGRESSION bug 3: high watermark 35 > one chunk's 16 "
          "pages; every balance run destroys the spare chunks it populated for the target "
          "(balance_free_chunks) and creates them again (balance_populate).", p.b)


def main():
    area_seeds()
    pool_seeds()
    for t in ("area_map", "pool"):
        print("%s: %d files" % (t, len(os.listdir(os.path.join(HERE, "corpus", t)))))


if __name__ == "__main__":
    sys.exit(main())
