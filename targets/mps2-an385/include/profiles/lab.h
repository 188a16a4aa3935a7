/* Profile "lab": the complete profile's services plus COMTRADE and scenario playback
 * (analog.source = comtrade or scenario, from the board's 512 KiB playback area), with
 * the simulator's session limits: for the MPS2 itself, whose 4 MiB of SSRAM hold the
 * resampled record (the 282 KiB .pmu_playback section), and for QEMU. Beyond the
 * 128 KiB goal by design (docs/BOARD.md, "Profiles"). */
#ifndef PMU_PROFILE_H
#define PMU_PROFILE_H

#define PMU_PROFILE_NAME "lab"

/* Services a profile may leave out (cmake/PmuProfile.cmake reads these lines). */
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
#define PMU_MAX_TLS_SESSIONS       3
#define PMU_MAX_CONSOLE_SESSIONS   2
#define PMU_MAX_C37_SESSIONS       4
#define PMU_MAX_C37_SUBSCRIBERS    4
#define PMU_RESET_ID_CACHE         32

/* lwIP */
#define PMU_LWIP_MEM_SIZE       32768
#define PMU_LWIP_PBUF_POOL_SIZE (2 * PMU_MAX_ECHO_SESSIONS * 2) /* received frames: half for reception, half for
                                         the windows (2 segments) echo sessions may hold */
#define PMU_LWIP_TCP_PCBS       60    /* every listener's budget (sessions + 4): 57, and TIME_WAIT */
#define PMU_LWIP_TCP_SEGS       128
#define PMU_LWIP_SND_BUF_MSS    4
#define PMU_LWIP_APP_TIMEOUTS   32
#define PMU_LWIP_TCP_OVERSIZE   1460   /* a whole segment: small writes share one pbuf */

/* mbedTLS's arena: the worst case three TLS sessions allow (three handshakes at once, all
 * with client certificates, while the console makes a key and installs a certificate)
 * peaks at 27.5 KiB, the allocator's headers included (bench/tls_board.sh); 27% more for
 * what that does not cover (longer certificate chains, fragmentation) */
#define PMU_CRYPTO_ARENA_BYTES     (35 * 1024)

/* The device log's RAM ring */
#define PMU_LOG_RING_RECORDS    32

/* The main stack (the linker script's .stack) */
#define PMU_STACK_BYTES         8192

/* COMTRADE playback: a record resampled into 10 s (282 KiB) of RAM, in a section of its
 * own above what the footprint counts (docs/BOARD.md, "The playback area") */
#define PMU_PLAYBACK_MAX_SAMPLES 24000
#define PMU_PLAYBACK_SECTION     ".pmu_playback"

#endif
