/* sampler.h - batched generation with a KV cache: temperature, top-k, top-p, stop at <eos> or max_new_tokens.
 * Each sequence draws from its own RNG stream (seed, sequence index), so a run is repeatable for a given seed. */
#ifndef GRPO_SAMPLER_H
#define GRPO_SAMPLER_H
#include "core/model.h"
#include "core/rng.h"
#include <stdint.h>

typedef struct {
    float temperature;   /* > 0; 1 samples the model's distribution */
    int top_k;           /* 0: off */
    float top_p;         /* 1: off */
    int max_new_tokens;
    int eos_id;          /* a sampled eos ends the sequence; -1: never stop early */
    int n_stop;          /* more ids that end it as eos does (an instruct model's end of turn), 0..4 */
    int stop_ids[4];
    int first_stream;    /* row b draws from the RNG stream (seed, first_stream + b): rows of a larger batch split
                          * across processes sample what they would in the whole batch; 0 otherwise */
} SamplerParams;

enum { FINISH_EOS = 1, FINISH_LENGTH = 2, FINISH_ABORTED = 3 };

/* Called after every decode position t (0-based) with the tokens just sampled (B; -1 for finished rows).
 * `watch` is the row the studio streams. Returns 0 to go on, nonzero to abort the generation.
 * It may block (the trainer pauses here, so a pause takes effect within one token). */
typedef int (*SamplerHook)(void *ud, int t, const int *tokens);

typedef struct Sampler Sampler;
/* Buffers for up to B_max sequences of up to T_max tokens (prompt + completion). NULL when out of memory. */
Sampler *sampler_new(const ModelConfig *cfg, int B_max, int T_max);
/* Grows the buffers to hold at least B sequences of T tokens (allocates: call it between generations, not in one).
 * Returns 0, or -1 when out of memory (the sampler is then unchanged). */
int sampler_reserve(Sampler *s, int B, int T);
/* The sequences and tokens per sequence the sampler holds now. */
int sampler_batch(const Sampler *s);
int sampler_length(const Sampler *s);
/* The inference workspace the prefill runs in (model_acts_new_inference), free for other forward passes on the
 * same thread between generations - the reference model's, so that one workspace serves both. Valid until the
 * next sampler_reserve. */
ModelActs *sampler_workspace(Sampler *s);
/* The bytes sampler_new(cfg, B_max, T_max) allocates, without allocating them. */
size_t sampler_bytes(const ModelConfig *cfg, int B_max, int T_max);
void sampler_free(Sampler *s);

/* Generates completions for B prompts (row b: prompt_lens[b] tokens at prompts + b*prompt_stride).
 * Writes out (B, max_new_tokens) (row b: out_lens[b] tokens, including a final eos if sampled) and finish[b].
 * Returns 0, or 1 when the hook aborted (rows then have FINISH_ABORTED). */
int sampler_generate(Sampler *s, const Model *m, const SamplerParams *p, uint64_t seed,
                     const int *prompts, const int *prompt_lens, int prompt_stride, int B,
                     int *out, int *out_lens, int *finish, SamplerHook hook, void *ud);

/* Records every later sampler_generate into the training activations `a` (model_acts_new; a generation of B rows
 * of prompt + completion width T is recorded when B*T is within a's capacity), so that model_forward_recorded can
 * stand in for the policy forward over the prompts + completions (model.h: model_kv_record). NULL stops
 * recording. `a` must outlive the sampler's use. */
void sampler_record(Sampler *s, ModelActs *a);

/* Makes every later sampler_generate also write the entropy (nats) of the model's distribution (the logits at
 * temperature 1, before top-k / top-p) at each sampled token into ent: row b, token t at ent[b * max_new_tokens
 * + t] (B rows of max_new_tokens; positions past a row's end are left alone). NULL stops it. `ent` must outlive
 * the sampler's use. Costs one pass over the vocabulary per token. */
void sampler_entropies(Sampler *s, float *ent);
/* Makes every later sampler_generate also write the log-prob of each sampled token under the model's distribution
 * (the logits at temperature 1, before top-k / top-p: the policy's log-prob, as the update computes it) into lp,
 * laid out as sampler_entropies lays out ent. NULL stops it. Shares the pass over the vocabulary with the
 * entropies. */
void sampler_logprobs(Sampler *s, float *lp);

/* Samples one token from logits (V) under p with `rng` (exposed for tests). scratch holds 2*V floats. */
int sampler_pick(const float *logits, int V, const SamplerParams *p, float *scratch, Rng *rng);

#endif
