# SPDX-License-Identifier: GPL-2.0
#
# kunit/host/host.mk - the C++ core built and tested as a userspace program
# (included by the top-level Makefile).  No kernel, no QEMU: seconds.
#
#   make host-check   unit tests (GoogleTest) under ASan+UBSan, the
#                     ThreadSanitizer stresses, and each fuzz target for
#                     FUZZ_SECONDS (default 60) from its corpus; prints
#                     "N passed, N failed"
#   make fuzz         the fuzz targets for FUZZ_SECONDS=600 each (override
#                     FUZZ_SECONDS, FUZZ_TARGETS, FUZZ_JOBS)
#   make host-cov     line coverage of module/*.cpp by the fuzz corpora
#                     (llvm-cov), from build/host/cov/
#   make host-build   only build
#
# Builds go to build/host/<variant>/: asan (g++, ASan+UBSan: unit tests),
# tsan (g++, TSan: stresses), fuzz (clang, libFuzzer+ASan+UBSan), cov
# (clang, source coverage), plain (g++ -O2 without sanitizers: the core
# alone, warnings at the kernel's optimization level and no global
# constructors, as Kbuild's CHKCTOR step checks).
#
# The core is compiled with the kernel build's C++ flags (Kbuild:
# pcpupool_cxxflags): -std=gnu++20 -fno-exceptions -fno-rtti -ffreestanding
# ... -Werror, plus -DPCPUPOOL_TEST as in test builds.  module/rt.cpp is
# replaced by kunit/host/rt_host.cpp (see there); module/port/*.c by
# kunit/host/port_host.cpp.

HOST_DIR := kunit/host
HOST_OUT ?= $(BUILD)/host
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
# Fuzz binaries, and the targets check.sh runs (pool_cache: fuzz_pool with
# the per-CPU front end on).
FUZZ_BINS := area_map pool
FUZZ_TARGETS ?= area_map pool pool_cache
HOST_CXX ?= g++
HOST_CLANGXX ?= clang++

HOST_CORE_SRCS := module/area_map.cpp module/allocator.cpp module/cache.cpp module/balance.cpp \
	module/stats.cpp module/mempool.cpp module/api.cpp
HOST_GLUE_SRCS := $(HOST_DIR)/rt_host.cpp $(HOST_DIR)/host_core.cpp
HOST_TEST_SRCS := $(sort $(wildcard $(HOST_DIR)/test_*.cpp)) \
	$(HOST_DIR)/fuzz_area_map.cpp $(HOST_DIR)/fuzz_pool.cpp
HOST_STD_SRCS := $(HOST_DIR)/port_host.cpp

HOST_WARN := -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-sign-compare -Wno-pointer-arith
# The kernel build's C++ flags (see Kbuild), for the core and everything
# compiled against its headers.
HOST_CORE_FLAGS := -std=gnu++20 -fno-exceptions -fno-rtti -ffreestanding \
	-fno-threadsafe-statics -fno-use-cxa-atexit -fcheck-new $(HOST_WARN) \
	-Imodule -Iinclude -I$(HOST_DIR) -DPCPUPOOL_TEST -g
# Ordinary C++ (the port, gtest glue).
HOST_STD_FLAGS := -std=gnu++20 $(HOST_WARN) -I$(HOST_DIR) -g

host_cxx_asan := $(HOST_CXX)
host_flags_asan := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
host_cxx_tsan := $(HOST_CXX)
host_flags_tsan := -O1 -fsanitize=thread -fno-omit-frame-pointer
host_cxx_fuzz := $(HOST_CLANGXX)
host_san_fuzz := -O1 -fsanitize=address,undefined -fno-sanitize=vptr \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -DHOST_LIBFUZZER
# Coverage feedback comes from the core only: the harness, the model and the
# port are not instrumented, nor the core's debug recounts (fuzz-ignore.txt).
host_flags_fuzz := $(host_san_fuzz) -fsanitize=fuzzer-no-link \
	-fsanitize-coverage-ignorelist=$(HOST_DIR)/fuzz-ignore.txt
host_hflags_fuzz := $(host_san_fuzz)
host_cxx_cov := $(HOST_CLANGXX)
host_flags_cov := -O0 -fprofile-instr-generate -fcoverage-mapping -DHOST_LIBFUZZER
host_hflags_cov := -O0 -DHOST_LIBFUZZER
host_cxx_plain := $(HOST_CXX)
host_flags_plain := -O2
# Clang's thread-safety analysis on the core (module/thread_safety.h): a
# field touched without the lock that guards it fails the clang builds.
host_tsa_fuzz := -Wthread-safety
host_tsa_cov := -Wthread-safety

# $(call host_objs,variant,sources)
host_objs = $(patsubst %.cpp,$(HOST_OUT)/$(1)/%.o,$(2))

# Objects depend on this file too: a change of flags rebuilds them.
define host_variant
$(HOST_OUT)/$(1)/module/%.o: module/%.cpp $(HOST_DIR)/host.mk $(HOST_DIR)/fuzz-ignore.txt
	@mkdir -p $$(@D)
	$$(host_cxx_$(1)) $$(HOST_CORE_FLAGS) $$(host_flags_$(1)) $$(host_tsa_$(1)) -MMD -MP -c $$< -o $$@
$(HOST_OUT)/$(1)/$(HOST_DIR)/port_host.o: $(HOST_DIR)/port_host.cpp $(HOST_DIR)/host.mk
	@mkdir -p $$(@D)
	$$(host_cxx_$(1)) $$(HOST_STD_FLAGS) $$(or $$(host_hflags_$(1)),$$(host_flags_$(1))) -MMD -MP -c $$< -o $$@
$(HOST_OUT)/$(1)/$(HOST_DIR)/gtest_main.o: $(HOST_DIR)/gtest_main.cpp $(HOST_DIR)/host.mk
	@mkdir -p $$(@D)
	$$(host_cxx_$(1)) $$(HOST_STD_FLAGS) $$(or $$(host_hflags_$(1)),$$(host_flags_$(1))) -MMD -MP -c $$< -o $$@
$(HOST_OUT)/$(1)/$(HOST_DIR)/%.o: $(HOST_DIR)/%.cpp $(HOST_DIR)/host.mk
	@mkdir -p $$(@D)
	$$(host_cxx_$(1)) $$(HOST_CORE_FLAGS) $$(or $$(host_hflags_$(1)),$$(host_flags_$(1))) -MMD -MP -c $$< -o $$@
endef
$(foreach v,asan tsan fuzz cov plain,$(eval $(call host_variant,$(v))))

HOST_LIB_SRCS := $(HOST_CORE_SRCS) $(HOST_GLUE_SRCS) $(HOST_STD_SRCS)

# Unit tests (ASan+UBSan): the HT_CASEs of test_*.cpp, plus the fuzz
# targets' entry points so that tests can replay inputs.
HOST_UNIT := $(HOST_OUT)/asan/unit_tests
$(HOST_UNIT): $(call host_objs,asan,$(HOST_LIB_SRCS) $(HOST_TEST_SRCS) $(HOST_DIR)/gtest_main.cpp)
	$(host_cxx_asan) $(host_flags_asan) -o $@ $^ -lgtest -lpthread

# ThreadSanitizer stresses.
HOST_STRESS := $(HOST_OUT)/tsan/stress
$(HOST_STRESS): $(call host_objs,tsan,$(HOST_LIB_SRCS) $(HOST_DIR)/stress.cpp)
	$(host_cxx_tsan) $(host_flags_tsan) -o $@ $^ -lpthread

# libFuzzer targets, and their coverage builds.
$(HOST_OUT)/fuzz/fuzz_%: $(call host_objs,fuzz,$(HOST_LIB_SRCS)) $(HOST_OUT)/fuzz/$(HOST_DIR)/fuzz_%.o
	$(host_cxx_fuzz) -fsanitize=fuzzer,address,undefined -o $@ $^ -lpthread
$(HOST_OUT)/cov/fuzz_%: $(call host_objs,cov,$(HOST_LIB_SRCS)) $(HOST_OUT)/cov/$(HOST_DIR)/fuzz_%.o
	$(host_cxx_cov) -fsanitize=fuzzer -fprofile-instr-generate -o $@ $^ -lpthread

HOST_FUZZ := $(foreach t,$(FUZZ_BINS),$(HOST_OUT)/fuzz/fuzz_$(t))
HOST_PLAIN := $(call host_objs,plain,$(HOST_CORE_SRCS))

.PHONY: host-deps host-build host-check fuzz host-cov host-clean
# Objects built through the fuzz_% pattern are not intermediates to delete.
.SECONDARY: $(foreach v,fuzz cov,$(call host_objs,$(v),$(HOST_LIB_SRCS) $(HOST_DIR)/fuzz_area_map.cpp $(HOST_DIR)/fuzz_pool.cpp))

host-deps:
	@$(HOST_DIR)/deps.sh

# The plain objects: the core alone at -O2, and no global constructors.
$(HOST_OUT)/plain.stamp: $(HOST_PLAIN)
	@if nm $^ | grep -E ' _GLOBAL__sub_I_'; then \
		echo "host: global constructors in the core (see module/rt.h)" >&2; exit 1; fi
	@touch $@

host-build: host-deps
	@$(MAKE) --no-print-directory $(HOST_OUT)/plain.stamp $(HOST_UNIT) $(HOST_STRESS) $(HOST_FUZZ)

host-check: host-build
	@HOST_OUT=$(HOST_OUT) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" \
		$(HOST_DIR)/check.sh

fuzz: host-deps
	@$(MAKE) --no-print-directory $(HOST_FUZZ)
	@HOST_OUT=$(HOST_OUT) FUZZ_SECONDS=$(if $(filter command line environment,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),600) \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_JOBS=$(FUZZ_JOBS) $(HOST_DIR)/check.sh fuzz

host-cov: host-deps
	@$(MAKE) --no-print-directory $(foreach t,$(FUZZ_BINS),$(HOST_OUT)/cov/fuzz_$(t))
	@HOST_OUT=$(HOST_OUT) FUZZ_TARGETS="$(FUZZ_TARGETS)" $(HOST_DIR)/check.sh cov

host-clean:
	rm -rf $(HOST_OUT)

-include $(shell find $(HOST_OUT) -name '*.d' 2>/dev/null)
