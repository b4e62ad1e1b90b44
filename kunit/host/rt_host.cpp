// SPDX-License-Identifier: GPL-2.0
//
// rt_host.cpp - the core's C++ runtime on the host, in place of
// module/rt.cpp.  Only the Gfp forms of new are defined here: they go to
// the port (host_new: the gfp checks, fault injection) and then to the
// C++ runtime's nothrow operator new, so that the core's plain `delete`
// and `delete[]` land in the matching global operator delete that ASan
// (or libstdc++) provides and ASan sees matched pairs.  module/rt.cpp is
// not linked: its operator delete would replace the global one of the
// whole test program (gtest included) and pair with malloc-based new.
#include "rt.h"
#include "host.h"

void* operator new(__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept
{
	return host_new(bytes, gfp.raw(), 0);
}

void* operator new[](__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept
{
	return host_new(bytes, gfp.raw(), 1);
}
