/* Profile "plain": the LM3S6965's one profile, for its 64 KiB of SRAM and 256 KiB of
 * flash. C37.118.2 over TCP and UDP with the estimator and the synthetic front end, and
 * the plain lab services: sink, echo, command, clock reset (with Fernet) and bulletins,
 * over IPv4 and IPv6. Left out: the TLS command service and the mutual-TLS console
 * (and with them mbedTLS's TLS layer and its arena), WebSocket, playback. Every limit
 * is the lowest that still serves each service, and the pools are sized from the
 * peaks the board tests reach (docs/BOARD.md, "The LM3S6965"). */
#ifndef PMU_PROFILE_H
#define PMU_PROFILE_H

#define PMU_PROFILE_NAME "plain"

/* Services a profile may leave out (cmake/PmuProfile.cmake reads these lines). */
#define PMU_WITH_BULLETIN  1
#define PMU_WITH_WEBSOCKET 0
#define PMU_WITH_PLAYBACK  0
#define PMU_WITH_TLS       0   /* the TLS command service and the mutual-TLS console */
#define PMU_WITH_SNTP      0   /* the SNTP client (time.source = sntp) */
#define PMU_WITH_PTP_L2    0   /* PTP over Ethernet (ptp.transport = l2) */

/* Sessions at once, per service */
#define PMU_MAX_ECHO_SESSIONS      2
#define PMU_MAX_COMMAND_SESSIONS   2
#define PMU_MAX_WEBSOCKET_SESSIONS 1   /* not compiled in */
#define PMU_MAX_TLS_SESSIONS       2   /* not compiled in */
#define PMU_MAX_CONSOLE_SESSIONS   1   /* not compiled in */
#define PMU_MAX_C37_SESSIONS       2
#define PMU_MAX_C37_SUBSCRIBERS    2
#define PMU_RESET_ID_CACHE         4

/* The estimator's window (12 bytes a sample): P class at every rate, M class from 40
 * reports/s; the configuration refuses M below that, naming c37.class
 * (firmware/include/pmu/firmware/measurement/phasor_estimator.h) */
#define PMU_MAX_WINDOW_SAMPLES  256

/* lwIP */
#define PMU_LWIP_MEM_SIZE       8192   /* a bulk answer may queue 3/8 of it: two segments in flight, so the peer ACKs at once (one alone waits 40 ms for its delayed ACK) */
#define PMU_LWIP_PBUF_POOL_SIZE (2 + PMU_MAX_ECHO_SESSIONS * 2) /* received frames: 2 for reception, and the windows
                                         (2 segments) echo sessions may hold */
#define PMU_LWIP_TCP_PCBS       16
#define PMU_LWIP_TCP_SEGS       24
#define PMU_LWIP_SND_BUF_MSS    3      /* lwIP needs a send queue of more than 5 segments (2 per MSS) */
#define PMU_LWIP_APP_TIMEOUTS   12
#define PMU_LWIP_TCP_OVERSIZE   0      /* a small write costs its own size, not a segment */

/* mbedTLS's arena: Fernet's alone without TLS (304 bytes at its peak, the allocator's
 * headers included, measured on the MPS2's compact profile without TLS): twice that and
 * a little (it was 768 until the PTP slave's peer delay took 120 bytes) */
#define PMU_CRYPTO_ARENA_BYTES  640

/* The device log's RAM ring: only the TLS console reads its history, so without TLS one
 * record (the one being written) is all it needs */
#define PMU_LOG_RING_RECORDS    1

/* The main stack (the linker script's .stack). Peaks measured under QEMU: 4,144 bytes
 * answering clock resets (main loop); the boot, whose Boot object (2 KiB) lives on the
 * stack (targets/lm3s6965evb/main.cc), 5,456 bytes: 6,080 leaves 624 (the 64 below
 * 6 KiB went to the PTP slave's C37.238 TLVs and its longer receive buffer) */
#define PMU_STACK_BYTES         6080

#endif
