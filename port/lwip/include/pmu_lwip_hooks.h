/* Hook declarations lwIP includes (LWIP_HOOK_FILENAME). Implemented in port/lwip/src. */
#ifndef PMU_LWIP_HOOKS_H
#define PMU_LWIP_HOOKS_H

#include "lwip/ip_addr.h"

#ifdef __cplusplus
extern "C" {
#endif
u32_t pmu_lwip_tcp_isn(const ip_addr_t* local_ip, u16_t local_port, const ip_addr_t* remote_ip,
                       u16_t remote_port);
#ifdef __cplusplus
}
#endif

#endif
