/* Profile "complete": every service the issue names (sink, echo, command, clock reset
 * with Fernet, bulletins, WebSocket, the TLS command service, the mutual-TLS console,
 * C37.118.2 over TCP and UDP with the estimator and the synthetic front end) on a part
 * with 256 KiB of flash and 128 KiB of RAM. Not COMTRADE or scenario playback: it
 * needs a RAM pool of its own for the resampled record (profile "lab").
 *
 * Every limit is the most the configuration keys may ask for (they may only lower it);
 * pools and heap are sized for all of them in use at once (docs/BOARD.md, "Profiles",
 * gives the reasons, bench/footprint.sh the measured peaks). */
#ifndef PMU_PROFILE_H
#define PMU_PROFILE_H

#define PMU_PROFILE_NAME "complete"

/* Services a profile may leave out (cmake/PmuProfile.cmake reads these lines). */
#define PMU_WITH_BULLETIN  1
#define PMU_WITH_WEBSOCKET 1
#define PMU_WITH_PLAYBACK  0
#define PMU_WITH_TLS       1   /* the TLS command service and the mutual-TLS console */
#define PMU_WITH_SNTP      0   /* the SNTP client (time.source = sntp): 6 KB of flash, in lab */
#define PMU_WITH_PTP_L2    0   /* PTP over Ethernet (ptp.transport = l2): in lab */

/* Sessions at once, per service */
#define PMU_MAX_ECHO_SESSIONS      2
#define PMU_MAX_COMMAND_SESSIONS   4
#define PMU_MAX_WEBSOCKET_SESSIONS 2
#define PMU_MAX_TLS_SESSIONS       3   /* TLS command service and console together */
#define PMU_MAX_CONSOLE_SESSIONS   1   /* the TLS session tls.max_sessions keeps for it */
#define PMU_MAX_C37_SESSIONS       4   /* PDCs over TCP */
#define PMU_MAX_C37_SUBSCRIBERS    4   /* PDCs over UDP */
#define PMU_RESET_ID_CACHE         16  /* identified reset requests remembered */

/* lwIP */
#define PMU_LWIP_MEM_SIZE       24576
#define PMU_LWIP_PBUF_POOL_SIZE (2 * PMU_MAX_ECHO_SESSIONS * 2) /* received frames: half for reception, half for
                                         the windows (2 segments) echo sessions may hold */
#define PMU_LWIP_TCP_PCBS       40    /* every listener's budget (sessions + 4): 39, and TIME_WAIT */
#define PMU_LWIP_TCP_SEGS       64
#define PMU_LWIP_SND_BUF_MSS    4
#define PMU_LWIP_APP_TIMEOUTS   32
#define PMU_LWIP_TCP_OVERSIZE   0      /* a small write costs its own size, not a segment */

/* mbedTLS's arena: the worst case three TLS sessions allow (three handshakes at once, all
 * with client certificates, while the console makes a key and installs a certificate)
 * peaks at 27.5 KiB, the allocator's headers included (bench/tls_board.sh); 27% more for
 * what that does not cover (longer certificate chains, fragmentation) */
#define PMU_CRYPTO_ARENA_BYTES     (35 * 1024)

/* The device log's RAM ring */
#define PMU_LOG_RING_RECORDS    16

/* The main stack (the linker script's .stack) */
#define PMU_STACK_BYTES         8192

#endif
