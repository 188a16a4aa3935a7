/* The simulator's sizing: a host has memory to spare, so the pools are generous and the
 * limits that matter are the services' own (docs/CONFIGURATION.md). Every service is
 * compiled in. Read by lwipopts.h, port/ and firmware/; C and C++ alike. The board's
 * profiles are in targets/mps2-an385/include/profiles/. */
#ifndef PMU_TARGET_CONFIG_H
#define PMU_TARGET_CONFIG_H

#define PMU_PROFILE_NAME "sim"

/* Services a board profile may leave out: all in (cmake/PmuProfile.cmake reads these). */
#define PMU_WITH_BULLETIN  1
#define PMU_WITH_WEBSOCKET 1
#define PMU_WITH_PLAYBACK  1
#define PMU_WITH_TLS       1   /* the TLS command service and the mutual-TLS console */
#define PMU_WITH_SNTP      1   /* the SNTP client (time.source = sntp) */
#define PMU_WITH_PTP_L2    1   /* PTP over Ethernet (ptp.transport = l2), the power profile's */

/* Sessions at once, per service */
#define PMU_MAX_ECHO_SESSIONS      8
#define PMU_MAX_COMMAND_SESSIONS   8
#define PMU_MAX_WEBSOCKET_SESSIONS 8
#define PMU_MAX_TLS_SESSIONS       3   /* TLS command service and console together */
#define PMU_MAX_CONSOLE_SESSIONS   2
#define PMU_MAX_C37_SESSIONS       4   /* PDCs over TCP */
#define PMU_MAX_C37_SUBSCRIBERS    4   /* PDCs over UDP */
#define PMU_RESET_ID_CACHE         32  /* identified reset requests remembered */

/* lwIP */
#define PMU_LWIP_MEM_SIZE       (64 * 1024)
#define PMU_LWIP_PBUF_POOL_SIZE (2 * PMU_MAX_ECHO_SESSIONS * 2) /* received frames: half for reception, half for
                                         the windows (2 segments) echo sessions may hold */
#define PMU_LWIP_TCP_PCBS       64
#define PMU_LWIP_TCP_SEGS       128
#define PMU_LWIP_SND_BUF_MSS    16    /* send buffer per connection, in segments */
#define PMU_LWIP_APP_TIMEOUTS   32    /* one per service session, see firmware/services */
#define PMU_LWIP_TCP_OVERSIZE   1460   /* a whole segment: small writes share one pbuf */

/* mbedTLS's arena: three TLS sessions in their handshakes at once (docs/PROTOCOL.md) */
#define PMU_CRYPTO_ARENA_BYTES     (56 * 1024)

/* The device log's RAM ring */
#define PMU_LOG_RING_RECORDS    64

/* COMTRADE playback: two minutes at 2400 samples/s (3.3 MiB) */
#define PMU_PLAYBACK_MAX_SAMPLES (2400 * 120)

#endif
