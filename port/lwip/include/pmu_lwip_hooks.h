/* Hook declarations lwIP includes (LWIP_HOOK_FILENAME). Implemented in port/lwip/src. */
#ifndef PMU_LWIP_HOOKS_H
#define PMU_LWIP_HOOKS_H

#include "lwip/ip_addr.h"

#ifdef __cplusplus
extern "C" {
#endif
u32_t pmu_lwip_tcp_isn(const ip_addr_t* local_ip, u16_t local_port, const ip_addr_t* remote_ip,
                       u16_t remote_port);
/* The TCP guard's look at plain SYNs (port/lwip/src/tcp_guard.cc); 0: not eaten. */
struct pbuf;
struct netif;
int pmu_lwip_ip4_input(struct pbuf* p, struct netif* inp);
int pmu_lwip_ip6_input(struct pbuf* p, struct netif* inp);
#ifdef __cplusplus
}
#endif

#endif
