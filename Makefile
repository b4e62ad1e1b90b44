# SPDX-License-Identifier: GPL-2.0
#
# Makefile - pcpupool's commands.
#
#   make            build the modules against KDIR (default: the cached
#                   debug test kernel, built on first use)
#   make run        main job: boot the debug kernel in QEMU, load pcpupool,
#                   show /sys/kernel/debug/pcpupool/, unload
#   make check      every test: KUnit suites in the debug kernel (log scanned
#                   for splats), the negative controls, the stock-kernel smoke
#   make shell      interactive guest with the modules loaded
#   make kernel     only build (or find) the debug test kernel
#   make stress     the long stress run (STRESS_MS=120000): all CPUs and
#                   contexts, hotplug, tunables, canaries
#   make dkms-check dkms build against Debian's stock 6.12 headers, checked
#   make style      clang-format (C++) and checkpatch.pl (C) on the sources
#   make bench      pcpupool vs the kernel's allocator and mempool (bench
#                   kernel: scripts/bench.config), table + build/bench/
#   make stock      build pcpupool.ko against Debian's stock 6.12 headers and
#                   smoke-test it on that kernel in QEMU
#
# KDIR=/lib/modules/<ver>/build builds against another kernel.

SHELL := /bin/bash
PWD_ := $(shell pwd)
BUILD ?= $(PWD_)/build

ifeq ($(KDIR),)
KDIR = $(shell scripts/kernel.sh scripts/debug.config | tail -1)
endif

.PHONY: all modules clean kernel run check shell stock deps bench stress dkms-check style

all: modules

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel.sh scripts/debug.config

modules: deps
	$(MAKE) -C $(KDIR) M=$(PWD_) modules

clean:
	rm -rf $(BUILD)
	$(MAKE) -C $(KDIR) M=$(PWD_) clean 2>/dev/null || \
	  find . -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' | xargs rm -f

stock: deps
	@scripts/run.sh smoke

run: deps
	@scripts/run.sh run

shell: deps
	@scripts/run.sh shell

check: deps
	@scripts/check.sh

bench: deps
	@scripts/bench.sh

dkms-check:
	@scripts/dkms-check.sh

style:
	@scripts/style.sh

# The long stress run (make check runs a 4 s one inside the kunit boot).
STRESS_MS ?= 120000
stress: deps
	@PCPUPOOL_TAG=stress PCPUPOOL_TIMEOUT=$$(( $(STRESS_MS) / 1000 + 300 )) \
	  PCPUPOOL_APPEND="kunit.filter_glob=pcpupool_stress pcpupool_kunit.stress_ms=$(STRESS_MS)" \
	  scripts/run.sh kunit

include kunit/host/host.mk
