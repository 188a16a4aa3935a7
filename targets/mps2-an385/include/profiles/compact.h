/* Profile "compact": a smaller part keeps C37.118.2 (TCP and UDP, the estimator and the
 * synthetic front end), the command, echo, sink and clock reset services, the TLS
 * command service and the console, and leaves out the WebSocket service, the
 * bulletins and playback; every limit is the lowest that still serves each service
 * (docs/BOARD.md, "Profiles"). */
#ifndef PMU_PROFILE_H
#define PMU_PROFILE_H

#define PMU_PROFILE_NAME "compact"

/* Services a profile may leave out (cmake/PmuProfile.cmake reads these lines). */
#define PMU_WITH_BULLETIN  0
#define PMU_WITH_WEBSOCKET 0
#define PMU_WITH_PLAYBACK  0
#define PMU_WITH_TLS       1   /* the TLS command service and the mutual-TLS console */
#define PMU_WITH_SNTP      0   /* the SNTP client (time.source = sntp) */
#define PMU_WITH_PTP_L2    0   /* PTP over Ethernet (ptp.transport = l2) */

/* Sessions at once, per service */
#define PMU_MAX_ECHO_SESSIONS      2
#define PMU_MAX_COMMAND_SESSIONS   2
#define PMU_MAX_WEBSOCKET_SESSIONS 1   /* not compiled in */
#define PMU_MAX_TLS_SESSIONS       2   /* one TLS command session and the console */
#define PMU_MAX_CONSOLE_SESSIONS   1
#define PMU_MAX_C37_SESSIONS       2
#define PMU_MAX_C37_SUBSCRIBERS    2
#define PMU_RESET_ID_CACHE         8

/* lwIP */
#define PMU_LWIP_MEM_SIZE       16384
#define PMU_LWIP_PBUF_POOL_SIZE (2 * PMU_MAX_ECHO_SESSIONS * 2) /* received frames: half for reception, half for
                                         the windows (2 segments) echo sessions may hold */
#define PMU_LWIP_TCP_PCBS       30    /* every listener's budget (sessions + 4): 28, and TIME_WAIT */
#define PMU_LWIP_TCP_SEGS       32
#define PMU_LWIP_SND_BUF_MSS    4
#define PMU_LWIP_APP_TIMEOUTS   16
#define PMU_LWIP_TCP_OVERSIZE   0      /* a small write costs its own size, not a segment */

/* mbedTLS's arena: the worst case three TLS sessions allow (three handshakes at once, all
 * with client certificates, while the console makes a key and installs a certificate)
 * peaks at 27.5 KiB, the allocator's headers included (bench/tls_board.sh); 27% more for
 * what that does not cover (longer certificate chains, fragmentation) */
#define PMU_CRYPTO_ARENA_BYTES     (35 * 1024)

/* The device log's RAM ring */
#define PMU_LOG_RING_RECORDS    8

/* The main stack (the linker script's .stack) */
#define PMU_STACK_BYTES         8192

#endif
