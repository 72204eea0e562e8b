/* token_blob.h - a rollout's per-token arrays (record.h: token_ids, token_logprob, token_entropy, token_ratio) as
 * the compact little-endian blobs of the rollout_tokens table.
 *
 * ids: one byte w (1, 2 or 4: the fewest bytes that hold the largest id), then n unsigned ids of w bytes each, so a
 * character model's completion costs a byte a token. Values: n IEEE 754 binary16 ("half") floats, 2 bytes each.
 * Half floats keep 11 significant bits (a relative error below 5e-4) and a range of +-65504: a log-prob, an entropy
 * in nats or an importance ratio is drawn as one of a few colour buckets and printed with three digits, so float32's
 * extra precision would double the bytes for nothing anyone sees. Pure: tests/test_store.c. */
#ifndef GRPO_TOKEN_BLOB_H
#define GRPO_TOKEN_BLOB_H
#include <stddef.h>
#include <stdint.h>

/* Bytes token_blob_put_ids writes for ids[0..n) (ids are >= 0). */
size_t token_blob_ids_bytes(const int *ids, int n);
/* Writes the ids blob into out (token_blob_ids_bytes(ids, n) bytes). Returns the bytes written. */
size_t token_blob_put_ids(unsigned char *out, const int *ids, int n);
/* Reads an ids blob of `bytes` bytes into out (room for max ids). Returns the id count, or -1 when the blob is not
 * one token_blob_put_ids writes (an unknown width, a length that is not a whole number of ids, more than max). */
int token_blob_get_ids(const unsigned char *blob, size_t bytes, int *out, int max);
/* Writes v[0..n) as 2n bytes of little-endian half floats (rounded to nearest, ties to even; beyond the range:
 * infinity). Returns the bytes written. */
size_t token_blob_put_f16(unsigned char *out, const float *v, int n);
/* Reads a half-float blob of `bytes` bytes into out (room for max values). Returns the count, or -1 when bytes is
 * odd or holds more than max values. */
int token_blob_get_f16(const unsigned char *blob, size_t bytes, float *out, int max);
/* One value to and from binary16. */
uint16_t token_f16_from_float(float f);
float token_f16_to_float(uint16_t h);

#endif
