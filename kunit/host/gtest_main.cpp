// SPDX-License-Identifier: GPL-2.0
//
// gtest_main.cpp - GoogleTest glue for the host unit tests: registers
// every HT_CASE (ht.h) as a gtest, resets the userspace port before each,
// and fails a case that left port violations, live pages or vm ranges, or
// pending gfp violations behind.  Ordinary C++ (libstdc++, gtest).
#include <cstdarg>
#include <cstdio>

#include <gtest/gtest.h>

#include "ht.h"

namespace {

ht_case* g_head;
ht_case** g_tail = &g_head;

class HtTest : public testing::Test {
public:
	explicit HtTest(ht_fn fn) : fn_(fn) {}

protected:
	void SetUp() override { host_reset(nullptr); }
	void TestBody() override
	{
		fn_();
		host_counters c;
		host_get_counters(&c);
		// A case that expects violations resets the port itself.
		EXPECT_EQ(c.violations, 0ul) << "port violation: " << host_last_violation();
		EXPECT_EQ(c.pages_live, 0) << "backing pages leaked";
		EXPECT_EQ(c.ranges_live, 0) << "vm ranges leaked";
		EXPECT_EQ(c.port_objs_live, 0) << "locks/work items leaked";
	}

private:
	ht_fn fn_;
};

} // namespace

extern "C" void ht_register(ht_case* c)
{
	*g_tail = c;
	g_tail = &c->next;
}

extern "C" ht_case* ht_cases(void) { return g_head; }

extern "C" void ht_fail(const char* file, int line, const char* fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ADD_FAILURE_AT(file, line) << buf;
}

extern "C" int ht_failed(void) { return testing::Test::HasFailure(); }

int main(int argc, char** argv)
{
	testing::InitGoogleTest(&argc, argv);
	for (ht_case* c = g_head; c; c = c->next) {
		ht_fn fn = c->fn;
		testing::RegisterTest(c->suite, c->name, nullptr, nullptr, c->file, c->line,
				      [fn]() -> testing::Test* { return new HtTest(fn); });
	}
	return RUN_ALL_TESTS();
}
