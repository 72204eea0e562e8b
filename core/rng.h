/* rng.h - the seeded random number generator every part of the core draws from.
 * xoshiro256** seeded through splitmix64: fast, small state that a checkpoint can store, and independent
 * streams derived from (seed, stream id) so that results do not depend on how work is split across threads. */
#ifndef GRPO_RNG_H
#define GRPO_RNG_H
#include <stdint.h>

typedef struct { uint64_t s[4]; } Rng;

/* Seeds `r` from `seed` and a stream id; equal (seed, stream) give equal sequences. */
void rng_seed(Rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(Rng *r);
/* Uniform integer in [0, n); n > 0. */
uint32_t rng_below(Rng *r, uint32_t n);
/* Uniform float in [0, 1). */
float rng_uniform(Rng *r);
/* Standard normal (Box-Muller). */
float rng_normal(Rng *r);

#endif
