/* grpo_step.h - the compute of one GRPO step, shared by the trainer and the benchmark (so `bench` times the code
 * users run): generation with the KV cache, the reference model's log-probs, and mu policy updates with AdamW.
 *
 * Memory follows the work in hand. grpo_step_reserve sizes the KV cache and the step's buffers for the batch in
 * force (B sequences of up to T tokens) and grows them when a live change asks for more; the compute itself never
 * allocates. The policy update runs in micro-batches whose training activations fit a byte budget, accumulating
 * gradients, so the update equals one whole-batch update (grpo.h: batch_sequences / batch_tokens). Rows go into
 * micro-batches (and reference chunks) longest first, each padded only to its own longest row, and a batch of
 * long and short rows is split where the rows become half as long even when it would fit whole. When the whole
 * batch fits the budget, generation also records the policy's activations over the sampled sequences, and an
 * update that runs as one micro-batch skips its first forward (model.h: model_kv_record). The sampler, the
 * reference forward and an evaluator (grpo_step_sampler) share one KV cache and one inference workspace: they all
 * run on the calling thread, one after another. */
#ifndef GRPO_GRPO_STEP_H
#define GRPO_GRPO_STEP_H
#include "core/grpo.h"
#include "core/model.h"
#include "core/optim.h"
#include "core/sampler.h"
#include <stddef.h>
#include <stdint.h>

typedef struct GrpoStep GrpoStep;

/* The bytes of training activations to use when the user leaves the budget automatic: a quarter of `available`
 * (memory.h: memory_available), at most 512 MB - beyond that micro-batches are already large enough for the
 * matrix products to run at full speed. */
size_t grpo_step_auto_budget(size_t available);

/* A step engine for the model cfg with `act_budget` bytes for the update's activations. Nothing is sized yet:
 * call grpo_step_reserve. NULL when out of memory. Pair with grpo_step_free. */
GrpoStep *grpo_step_new(const ModelConfig *cfg, size_t act_budget);
void grpo_step_free(GrpoStep *s);

/* Makes room for B sequences of up to T tokens (prompt + completion; T <= cfg->max_T), growing what is smaller.
 * Call between steps (it allocates). Returns 0, or -1 with err when memory runs out (the old buffers stay). */
int grpo_step_reserve(GrpoStep *s, int B, int T, char *err, size_t errlen);

/* What grpo_step_reserve(B, T) on a new engine would hold, without allocating: the KV cache with the sampler's
 * and the inference workspace's buffers, the training activations, and the step's buffers. */
typedef struct { size_t kv_cache, activations, buffers; } GrpoStepBytes;
void grpo_step_bytes(const ModelConfig *cfg, size_t act_budget, int B, int T, GrpoStepBytes *out);

/* The sampler (KV cache, inference workspace) for other generation on the same thread, e.g. evaluation. It may
 * be reallocated by grpo_step_reserve: ask again after one. */
Sampler *grpo_step_sampler(GrpoStep *s);

/* Generates as sampler_generate (sampler.h) does, recording the policy's activations for the first update when
 * the B rows of prompt + max_new_tokens fit the activation budget. Returns 0, or 1 when the hook aborted. */
int grpo_step_generate(GrpoStep *s, const Model *policy, const SamplerParams *sp, uint64_t seed, const int *prompts,
                       const int *prompt_lens, int prompt_stride, int B, int *out, int *out_lens, int *finish,
                       SamplerHook hook, void *ud);

typedef struct {
    GrpoLossParams loss;   /* beta (0 skips the reference), clip range, aggregation, variants, max_new_tokens */
    const float *row_mask; /* (B) or NULL: row b's completion tokens enter the loss only when row_mask[b] != 0
                            * (DAPO's masking of truncated completions); a masked row still counts as a sequence */
    const float *token_mask; /* (B, N = loss.max_new_tokens) or NULL: completion token j of row b enters the loss only
                            * when token_mask[b * N + j] != 0 (entropy-masked updates, grpo_entropy_mask) */
    int iterations;        /* mu: updates against the same old log-probs */
    float lr, beta1, beta2, eps, weight_decay, grad_clip; /* AdamW and global-norm clipping (0: off) */
} GrpoUpdateParams;

typedef struct {
    double loss, policy_loss, kl; /* means over the mu updates (loss: the last one's) */
    double clip_ratio, clip_low, clip_high, clip_delta; /* shares of the loss's tokens (grpo.h), means over mu */
    double seq_ratio_mean, seq_ratio_min, seq_ratio_max; /* sequence ratios (grpo.h) over rows with loss tokens
                                                          * and all mu updates; 0 when there is none */
    double entropy;        /* mean entropy of the completion tokens under the policy before the update */
    double grad_norm;      /* the last update's, before clipping */
    int micro_batches;     /* per update */
    int recorded;          /* 1 when the first update used the activations generation recorded */
    /* seconds per phase, wall and process CPU (all threads): reference forward, policy forwards with log-probs
     * and loss, backwards, and clipping + AdamW */
    double t_ref, t_fwd, t_bwd, t_opt;
    double t_sum;          /* of t_opt: summing the gradients over the ranks of a data-parallel run (dist.h) */
    double c_ref, c_fwd, c_bwd, c_opt;
} GrpoUpdateStats;

/* Learns from B sequences (row b of seq: prompt_lens[b] prompt tokens then comp_lens[b] completion tokens, padded
 * to T; T <= the reserved T, B <= the reserved B) with advantages adv (B): reference log-probs (when beta != 0),
 * then `iterations` updates of policy with opt. In a data-parallel run (dist.h) each rank passes its own rows, and
 * the update is that of all ranks' rows as one batch: counts, gradients and statistics are summed over the ranks,
 * so every rank applies the same AdamW step (a rank may pass B = 0 there). Completion tokens are those at positions prompt_lens[b] ..
 * + comp_lens[b] - 1; N = p->loss.max_new_tokens bounds comp_lens. */
void grpo_step_update(GrpoStep *s, Model *policy, const Model *ref, AdamW *opt, const int *seq, const int *prompt_lens,
                      const int *comp_lens, const float *adv, int B, int T, const GrpoUpdateParams *p,
                      GrpoUpdateStats *st);
/* After grpo_step_update: the importance ratio exp(logp - logp_old) its last policy update saw at each completion
 * token, written for row b of that update's batch at ratio[b * N + j], j < the row's completion length (the rest
 * left alone); N = the update's loss.max_new_tokens. With iterations = 1 every ratio is 1. */
void grpo_step_token_ratios(const GrpoStep *s, float *ratio, int B, int N);

#endif
