/* The MPS2+ AN385's sizing: what its RAM holds (docs/BOARD.md gives the reasons and
 * bench/footprint.sh the measured peaks). Read by lwipopts.h, port/ and firmware/;
 * C and C++ alike. */
#ifndef PMU_TARGET_CONFIG_H
#define PMU_TARGET_CONFIG_H

/* lwIP */
#define PMU_LWIP_MEM_SIZE       32768 /* heap for outgoing data: bench/footprint.sh's load
                                         (two floodme, a 2 MB echo, 8 clients) peaks under it */
#define PMU_LWIP_PBUF_POOL_SIZE 10    /* received frames; the LAN9118 keeps 10 KiB more in its FIFO */
#define PMU_LWIP_TCP_PCBS       60    /* every service's PCB budget (57, port/tcp_guard.h) and TIME_WAIT */
#define PMU_LWIP_SND_BUF_MSS    4     /* 5840 bytes of send buffer per connection */
#define PMU_LWIP_APP_TIMEOUTS   32    /* one timer per session (as the simulator) */

/* mbedTLS's arena: the worst case tls.max_sessions allows (three sessions handshaking at
 * once, all with client certificates, while the console makes a key and installs a
 * certificate) peaks at 27.5 KiB, the allocator's headers included (bench/tls_board.sh);
 * 27% more for what that does not cover (longer certificate chains, fragmentation) */
#define PMU_TLS_ARENA_BYTES     (35 * 1024)

/* The device log's RAM ring: 32 records (7.5 KiB) */
#define PMU_LOG_RING_RECORDS    32

/* COMTRADE playback: a record resampled into 10 s (282 KiB) of RAM, in a section of its
 * own above what the footprint counts (docs/BOARD.md, "The playback area") */
#define PMU_PLAYBACK_MAX_SAMPLES 24000
#define PMU_PLAYBACK_SECTION     ".pmu_playback"

#endif
