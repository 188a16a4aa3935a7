/*
 * lwIP architecture glue (the porting contract of lwIP's arch.h): compiler, byte order
 * and diagnostics. Same file for the simulator and the Cortex-M3 board.
 */
#ifndef PMU_ARCH_CC_H
#define PMU_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif
/* Implemented in port/lwip/src/sys_arch.cc: log through the device log, then halt. */
void pmu_lwip_assert(const char* message, const char* file, int line) __attribute__((noreturn));
void pmu_lwip_diag(const char* format, ...) __attribute__((format(printf, 1, 2)));
#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_ASSERT(x)  pmu_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_PLATFORM_DIAG(x)    do { pmu_lwip_diag x; } while (0)

/* Both targets are little-endian. */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

#define LWIP_NO_INTTYPES_H 0

#endif /* PMU_ARCH_CC_H */
