/* SPDX-License-Identifier: GPL-2.0 */
/*
 * host_core.h - bring the whole core up and down on the host, as the
 * module's init/exit do (module/port/main.c), for tests, fuzz targets and
 * stresses.  C, no libstdc++, like host.h.
 */
#ifndef PCPUPOOL_HOST_CORE_H
#define PCPUPOOL_HOST_CORE_H

#ifdef __cplusplus
extern "C" {
#endif

/* pcpupool_core_init(@unit_bytes) plus the debugfs files; 0 or -errno.
 * On failure the core is already torn down and reset. */
int host_core_init(unsigned int unit_bytes);
/* pcpupool_core_exit(), then the Pool global is reconstructed so that the
 * next init starts from the state of a freshly loaded module. */
void host_core_exit(void);

#ifdef __cplusplus
}
#endif
#endif
