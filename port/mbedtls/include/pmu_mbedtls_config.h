/*
 * mbedTLS 2.28 configuration for the PMU firmware (MBEDTLS_CONFIG_FILE).
 *
 * Only what the device uses or is about to use:
 *   - SHA-256: the CMD_floodme digest;
 *   - a TLS 1.2 server with one suite,
 *     ECDHE-ECDSA-AES128-GCM-SHA256 (docs/PROTOCOL.md, "TLS policy"); no CBC suites, no
 *     static RSA key exchange, no renegotiation, no compression;
 *   - X.509 certificates, keys and CSRs on P-256 (the development PKI, certs/);
 *   - SHA-1 and Base64 for the WebSocket handshake; AES and HMAC-SHA256 for Fernet
 *     tokens (their CBC mode is crypto/src/symmetric_mbedtls.cc's own, over the AES
 *     block function: mbedTLS's would bring TLS's CBC record code with it);
 *   - a static allocation arena (MBEDTLS_MEMORY_BUFFER_ALLOC_C), entropy from the HAL
 *     (MBEDTLS_NO_PLATFORM_ENTROPY) and time from the device clock.
 */
#ifndef PMU_MBEDTLS_CONFIG_H
#define PMU_MBEDTLS_CONFIG_H

/* ---- platform ------------------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY          /* calloc/free from the static arena */
#define MBEDTLS_PLATFORM_TIME_ALT        /* the device's UTC, not the host's */
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* Blocks aligned for any object mbedTLS puts in them (its default of 4 misaligns the
 * arena's own headers on 64-bit hosts, which UBSan reports). */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8
#define MBEDTLS_MEMORY_DEBUG             /* the arena's use and peak, for the log and console */
#define MBEDTLS_NO_PLATFORM_ENTROPY      /* entropy comes from the HAL */
#define MBEDTLS_PLATFORM_GMTIME_R_ALT    /* port/mbedtls/src/platform_alt.cc */
/* On the board mbedTLS gets no C library fallbacks: until port::InitCryptoHeap installs
 * the arena and the device clock, an allocation returns NULL and the time is 0 (newlib's
 * calloc and time would need a heap and a clock the board does not have). The host
 * tools keep the C library's. PMU_MBEDTLS_BARE_METAL comes from cmake/PmuDeps.cmake. */
#if defined(PMU_MBEDTLS_BARE_METAL)
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf
/* The arena's debug dumps go nowhere (no stdio); its fatal checks still end in exit(),
 * which the board turns into a fault report and a reboot. */
#define MBEDTLS_PLATFORM_FPRINTF_ALT
#endif
/* MBEDTLS_DEPRECATED_REMOVED stays off: lwIP 2.1.3's altcp_tls takes its NET_* error
 * codes from the deprecated mbedtls/net.h, which that option empties. */
#define MBEDTLS_VERSION_C
/* mbedtls_strerror's table of every message is 12 KiB of flash: the board names the
 * common TLS failures itself (port/src/tls.cc, TlsErrorText) and prints the rest as
 * codes. */
#if !defined(PMU_MBEDTLS_BARE_METAL)
#define MBEDTLS_ERROR_C
#endif

/* ---- randomness ----------------------------------------------------------------- */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_ENTROPY_MAX_SOURCES 1    /* the HAL's: 380 bytes less than mbedTLS's 20 */
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C

/* ---- hashes, MACs, ciphers -------------------------------------------------------- */
#define MBEDTLS_MD_C
/* No SHA-1: no suite, certificate or entropy source here uses it; the WebSocket
 * handshake has its own compact one (crypto/src/sha1_compact.cc). */
#define MBEDTLS_SHA256_C
/* No SHA-512/384: the one suite hashes with SHA-256, and so do the device's PKI and
 * the entropy pool (mbedTLS's entropy collector takes SHA-256 without SHA-512). */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES           /* tables in flash, not RAM */
/* One table per direction, the other three being its byte rotations: 6.1 KiB less
 * flash, and on the Cortex-M3 no more instructions (a rotation is part of the XOR that
 * uses it): sending over TLS measured 118 instructions per byte against 121. */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CIPHER_C
/* No MBEDTLS_CIPHER_MODE_CBC: besides AES-CBC it compiles TLS's CBC record code (MAC,
 * constant-time padding checks) although no CBC suite is enabled, and it adds 288 bytes
 * of padding and MAC room to each TLS record buffer (MBEDTLS_SSL_PAYLOAD_OVERHEAD).
 * Fernet's AES-CBC is done over the block function (crypto/src/symmetric_mbedtls.cc). */
#define MBEDTLS_GCM_C
#define MBEDTLS_BASE64_C

/* ---- public keys ------------------------------------------------------------------ */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
/* P-256 only: the key exchange group every client offers, and the curve of the device's
 * keys and of its PKI. P-384 and X25519 were never chosen (the device prefers P-256, the
 * cheapest here) and cost 3.6 KiB of flash on the board. */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM           /* P-256's own reduction: 5 times faster
                                            handshakes for 814 bytes (docs/BENCHMARKS.md) */
/* No cached comb table for the base point: the device never reuses one (each handshake
 * and signature loads its own group), so caching only held the table in the arena for
 * the rest of a handshake: 2.2 KiB more at the worst case, for no speed (measured with
 * bench/tls_board.sh). The window stays at mbedTLS's 4: 3 takes 5% more instructions
 * and 2 18% more, for 0.8 and 0.9 KiB less arena at the worst case. */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC      /* signatures do not depend on the RNG's quality */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C

/* ---- X.509 ------------------------------------------------------------------------ */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CSR_WRITE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE          /* a client certificate must be fit for */
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE /* clientAuth, a server's for serverAuth */

/* ---- TLS 1.2 ---------------------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
/* The server only: nothing in the firmware or the host tools (OpenSSL) is an mbedTLS
 * client (2.8 KiB on the board). No SNI either: a server without an SNI callback only
 * skips the extension. */
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
/* No MBEDTLS_SSL_KEEP_PEER_CERTIFICATE: the client's chain is freed once verified (its
 * key stays for the handshake), and the name the services log is kept in the session's
 * slot (port/src/tls.cc). Keeping the chain held 2 KiB of the arena per mutual-TLS
 * session: 6.4 KiB at the worst case (bench/tls_board.sh). */
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES     /* tell the peer why a handshake fails */
/* One suite: what every client of the device offers (OpenSSL, Python's ssl, pdc), and
 * AES-GCM's tables are shared with the random generator's AES. ChaCha20-Poly1305 and
 * AES-256-GCM-SHA384 offered no client anything it lacks, for 7 KiB of flash on the
 * board and a SHA-384 running hash in every handshake. */
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
/* Record buffers, from what clients send (bench/tls_records.sh; docs/BENCHMARKS.md).
 * In: mbedTLS 2.28 reassembles no handshake message split over records, so a client's
 * largest handshake message must fit whole: its Certificate (OpenSSL and Python's ssl
 * send the chain with its root, 896 bytes with the development PKI; with an
 * intermediate CA about 1.4 KiB) or its ClientHello (292 to 512 bytes today; a
 * post-quantum key share, as newer OpenSSL offers, makes it about 1.5 KiB). And the
 * protocol's longest message if a client writes it at once: `cert install` with its
 * certificate, at most 1,549 bytes. A longer record is refused with record_overflow
 * (port/tcp_listener.h). Out: a service writes at most one TCP segment's payload at
 * once (kSegmentSize; port/src/tls.cc checks, as altcp_tls cannot write part of a
 * record), and the device's largest handshake message is its Certificate (525 bytes;
 * with an intermediate CA about 1 KiB).
 * No max_fragment_length (RFC 6066): mbedTLS 2.28 splits none of its own handshake
 * messages either, and the device's Certificate is over the 512 bytes of the smallest
 * size a client may ask for: `openssl s_client -maxfraglen 512` fails when the device
 * takes up the extension and works when it ignores it. Smaller records for the clients
 * that ask would not shrink the arena, which must hold those that do not. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  2048
#define MBEDTLS_SSL_OUT_CONTENT_LEN 1460

#include "mbedtls/check_config.h"

#endif /* PMU_MBEDTLS_CONFIG_H */
