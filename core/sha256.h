/* sha256.h - SHA-256 (FIPS 180-4), for the digests of checkpoint files that the run database records.
 * Incremental: init, update with any number of pieces, final. */
#ifndef GRPO_SHA256_H
#define GRPO_SHA256_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t bytes;          /* message length so far */
    unsigned char block[64];
    size_t fill;             /* bytes waiting in block */
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t n);
/* Finishes the digest into out (32 bytes). s must be initialised again before reuse. */
void sha256_final(Sha256 *s, unsigned char out[32]);
/* Digest of one buffer as 64 lowercase hex characters and a NUL into hex. */
void sha256_hex(const void *data, size_t n, char hex[65]);
/* 32 digest bytes as lowercase hex into hex (65 bytes). */
void sha256_to_hex(const unsigned char digest[32], char hex[65]);

#endif
