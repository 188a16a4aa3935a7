/*
 * lwIP configuration for the PMU firmware (both targets).
 *
 * One owner of the stack: NO_SYS=1, the raw/altcp API and a single main loop
 * (firmware/device). Every option below that differs from lwIP's opt.h default says
 * why. The memory sizes (PMU_LWIP_*) are each target's, in its pmu_target_config.h;
 * the figures below are the simulator's.
 *
 * Sizing for at least 8 concurrent TCP connections (see docs/ARCHITECTURE.md):
 *   - MEMP_NUM_TCP_PCB 64: every TCP service's PCB budget (its sessions plus 4 for
 *     refusals and handshakes, port/tcp_guard.h) fits at once: 8 echo + 8 command + 8
 *     WebSocket + 3 TLS command + 2 console + 4 C37 sessions = 33, plus 6 x 4 = 57;
 *     the rest holds TIME_WAIT PCBs (lwIP reuses the oldest when the pool runs out).
 *   - Send data is copied into PBUF_RAM segments from the MEM_SIZE heap. Each
 *     connection may queue up to TCP_SND_BUF (16 MSS, 23 KiB: measured in
 *     docs/BENCHMARKS.md, 8 MSS cost 10% of floodme throughput); the shared 64 KiB
 *     heap bounds the total, and beyond it tcp_write returns ERR_MEM and the services
 *     wait for acknowledgements (back-pressure, not failure).
 *   - PBUF_POOL 32 x 1536 B for received frames and out-of-order segments.
 */
#ifndef PMU_LWIPOPTS_H
#define PMU_LWIPOPTS_H

/* ---- system ------------------------------------------------------------------ */
#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define LWIP_TIMERS                 1

#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
#define MEM_ALIGNMENT               8   /* pools hold structs with pointers */
#else
#define MEM_ALIGNMENT               4
#endif

/* Randomness (TCP ports, IPv6 DAD delays) comes from the HAL through the port. */
#ifdef __cplusplus
extern "C" {
#endif
unsigned int pmu_lwip_rand(void);
#ifdef __cplusplus
}
#endif
#define LWIP_RAND()                 ((u32_t)pmu_lwip_rand())

/* ---- memory ------------------------------------------------------------------ */
/* The sizes are the target's (targets/<target>/include/pmu_target_config.h). */
#include "pmu_target_config.h"
#if !defined(PMU_LWIP_MEM_SIZE) || !defined(PMU_LWIP_PBUF_POOL_SIZE) || !defined(PMU_LWIP_TCP_PCBS) || \
    !defined(PMU_LWIP_TCP_SEGS) || !defined(PMU_LWIP_SND_BUF_MSS) || !defined(PMU_LWIP_APP_TIMEOUTS) || \
    !defined(PMU_LWIP_TCP_OVERSIZE)
#error "the target's pmu_target_config.h must define every PMU_LWIP_* size"
#endif

#define MEM_SIZE                    PMU_LWIP_MEM_SIZE
#define MEMP_NUM_PBUF               16
#define MEMP_NUM_UDP_PCB            8
#define MEMP_NUM_TCP_PCB            PMU_LWIP_TCP_PCBS
#define MEMP_NUM_TCP_PCB_LISTEN     8
/* Every TCP PCB, and every listener (a TLS one is two), has its altcp PCB: the
 * default (as many as TCP PCBs) ran out with 24 sessions and 6 listeners. Without TLS
 * every listener is one. */
#if PMU_WITH_TLS
#define MEMP_NUM_ALTCP_PCB          (MEMP_NUM_TCP_PCB + 2 * MEMP_NUM_TCP_PCB_LISTEN)
#else
#define MEMP_NUM_ALTCP_PCB          (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN)
#endif
#define MEMP_NUM_TCP_SEG            PMU_LWIP_TCP_SEGS /* queued segments of every connection together */
#define MEMP_NUM_SYS_TIMEOUT        (LWIP_NUM_SYS_TIMEOUT_INTERNAL + PMU_LWIP_APP_TIMEOUTS)
#define PBUF_POOL_SIZE              PMU_LWIP_PBUF_POOL_SIZE
/* One pool buffer holds a whole Ethernet frame (1518 with a VLAN tag), so the link
 * receives straight into it. */
#define PBUF_POOL_BUFSIZE           1536

/* ---- link layer ---------------------------------------------------------------- */
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define ARP_TABLE_SIZE              16
#define ARP_QUEUEING                1
#define ETHARP_SUPPORT_STATIC_ENTRIES 1 /* the TCP guard pins its sessions' peers */
#define ETH_PAD_SIZE                0
#define LWIP_SINGLE_NETIF           1
#define LWIP_NETIF_HOSTNAME         1
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1

/* ---- IPv4 ---------------------------------------------------------------------- */
#define LWIP_IPV4                   1
#define LWIP_ICMP                   1
#define LWIP_IGMP                   1   /* the multicast bulletin channel joins 224.1.1.1 */
#define LWIP_DHCP                   0   /* static addresses from the device configuration */
#define LWIP_AUTOIP                 0
#define IP_REASSEMBLY               1
#define IP_FRAG                     1
/* Reassembly holds received frames until a datagram is whole, and a peer can send first
 * fragments that never complete: per family it may hold at most a quarter of the
 * receive pool (at least two frames, a datagram of up to about 2.9 KiB; no service
 * needs more, only the sink takes larger datagrams), and it gives up after 3 s, not
 * lwIP's 15 s (IPv4) and 60 s (IPv6): on a lab LAN the rest of a datagram follows
 * within milliseconds. (hostile.fragments) */
#define IP_REASS_MAX_PBUFS          (PBUF_POOL_SIZE / 4 > 2 ? PBUF_POOL_SIZE / 4 : 2)
#define MEMP_NUM_REASSDATA          IP_REASS_MAX_PBUFS
#define IP_REASS_MAXAGE             3
#define IPV6_REASS_MAXAGE           3

/* ---- IPv6 ---------------------------------------------------------------------- */
#define LWIP_IPV6                   1
#define LWIP_IPV6_NUM_ADDRESSES     3   /* link-local, the configured global, one spare */
#define LWIP_IPV6_MLD               1   /* the bulletin channel joins ff15::1:5005 */
#define LWIP_IPV6_AUTOCONFIG        0   /* addresses are static, not SLAAC */
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0
#define LWIP_IPV6_DHCP6             0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 1 /* DAD on every address before using it */
#define LWIP_IPV6_FRAG              1
#define LWIP_IPV6_REASS             1
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
#define IPV6_FRAG_COPYHEADER        1   /* 64-bit pointers do not fit in the fragment header */
#endif
#define LWIP_ND6_NUM_NEIGHBORS      16
/* While a neighbour is being resolved, keep only its newest packet (RFC 4861's
 * minimum) instead of a shared queue: replies to addresses that never answer (a
 * spoofed SYN flood) cannot fill a pool that real neighbours need. */
#define LWIP_ND6_QUEUEING           0
#define LWIP_ND6_NUM_DESTINATIONS   16

/* ---- transport ------------------------------------------------------------------ */
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_ALTCP                  1   /* services are written once for TCP and TLS */
#define LWIP_ALTCP_TLS              PMU_WITH_TLS   /* the TLS command service and the console */
#define LWIP_ALTCP_TLS_MBEDTLS      PMU_WITH_TLS
#define TCP_MSS                     1460
/* The receive window: the most a connection's peer may have in flight towards the
 * device, and so the most input a session can hold. The device receives little
 * (commands, handshakes, one TLS record of at most 4 KiB at a time); echo is the only
 * bulk receiver. Two segments, lwIP's smallest sound window, keep held input per
 * connection at 2.9 KiB. */
#define TCP_WND                     (2 * TCP_MSS)
#define TCP_SND_BUF                 (PMU_LWIP_SND_BUF_MSS * TCP_MSS)
#define TCP_SND_QUEUELEN            (2 * PMU_LWIP_SND_BUF_MSS)
#define TCP_QUEUE_OOSEQ             1
/* Out-of-order segments a connection may hold: a peer sending beyond a gap cannot
 * take the receive pool everyone needs. */
#define TCP_OOSEQ_MAX_PBUFS         4
#define TCP_OOSEQ_MAX_BYTES         TCP_WND
/* Half-open connections are bounded per port by the TCP guard (port/tcp_guard.h),
 * which evicts the oldest for a new SYN; lwIP's own backlog would drop the new one. */
#define TCP_LISTEN_BACKLOG          1
#define TCP_DEFAULT_LISTEN_BACKLOG  0xff
#define LWIP_TCP_PCB_NUM_EXT_ARGS   1   /* the TCP guard's record of each connection */
#define LWIP_TCP_KEEPALIVE          1   /* per-PCB keep-alive detects dead peers */
/* Room a small write allocates beyond itself, so the next small write fills the same
 * pbuf: a whole segment on the simulator; on a board, where each unacknowledged C37
 * data frame would then hold a segment's worth of heap, its profile says. */
#define TCP_OVERSIZE                PMU_LWIP_TCP_OVERSIZE
#define LWIP_TCP_TIMESTAMPS         0
#define LWIP_WND_SCALE              0
#define LWIP_DNS                    0
#define LWIP_RAW                    0

/* ---- checksums: computed in software on both targets ---------------------------- */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define LWIP_CHKSUM_ALGORITHM       3

/* ---- statistics: read by the device's stats report and the tests ---------------- */
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MEM_STATS                   1
#define MEMP_STATS                  1
#define LINK_STATS                  1
#define SYS_STATS                   0

/* ---- hooks ---------------------------------------------------------------------- */
/* RFC 6528 initial sequence numbers (a keyed hash of the connection plus a clock)
 * instead of lwIP's predictable counter. */
#define LWIP_HOOK_FILENAME          "pmu_lwip_hooks.h"
#define LWIP_HOOK_TCP_ISN           pmu_lwip_tcp_isn
/* The TCP guard sees plain SYNs first, to let a new connection replace one in
 * TIME_WAIT (port/tcp_guard.h). */
#define LWIP_HOOK_IP4_INPUT         pmu_lwip_ip4_input
#define LWIP_HOOK_IP6_INPUT         pmu_lwip_ip6_input

/* Diagnostics: LWIP_DEBUG is tested with #ifdef, so it stays undefined here. */

#endif /* PMU_LWIPOPTS_H */
