// SPDX-License-Identifier: GPL-2.0
//
// rt_link.cpp - the C++ runtime compiled into the KUnit module (see
// port_link.c for why the module has its own copy).
#include "../module/rt.cpp"
