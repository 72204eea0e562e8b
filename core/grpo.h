/* grpo.h - the GRPO objective on per-token log-probabilities (DeepSeekMath; DAPO, Dr. GRPO, GSPO, CISPO and
 * dual-clip variants).
 * Pure functions of arrays, so they are tested on hand-computed cases; the model turns d loss / d logp into
 * parameter gradients (model_logprob_backward + model_backward). */
#ifndef GRPO_GRPO_H
#define GRPO_GRPO_H

/* Group-relative advantages for P groups of G rewards (row-major (P, G)): A = (r - mean_g) / (std + eps) where std
 * is the unbiased std of the group's rewards (ADV_SCALE_GROUP, GRPO), of all P * G rewards (ADV_SCALE_BATCH), or
 * A = r - mean_g (ADV_SCALE_NONE, Dr. GRPO). `scaling` is an ADV_SCALE_* (config.h). */
void grpo_advantages(float *adv, const float *rewards, int P, int G, int scaling, float eps);

/* DAPO's soft overlong punishment: the reward added to a completion of `len` tokens when at most max_new_tokens
 * may be generated: -penalty * (len - (max_new_tokens - buffer)) / buffer once len passes max_new_tokens - buffer,
 * 0 before (and always when buffer is 0); -penalty at len = max_new_tokens. */
float grpo_overlong_reward(int len, int max_new_tokens, int buffer, float penalty);

/* 1 when the G rewards of a group are all equal: its advantages are all 0 and it teaches the policy nothing, so
 * DAPO's dynamic sampling drops it (grpo.dynamic_sampling). */
int grpo_group_uniform(const float *rewards, int G);

/* Entropy-masked updates ("beyond the 80/20 rule": only the high-entropy minority of tokens is learned from).
 * Among the n tokens with valid[i] != 0, keeps the ceil(fraction * count) of highest entropy: keep[i] = 1 for
 * them and 0 for every other token (ties at the threshold are all kept). fraction >= 1 keeps every valid token.
 * The threshold is the batch's, decided before the update, so micro-batches see the same mask as one batch.
 * scratch holds n floats (no allocation). Returns the number of tokens kept. */
long grpo_entropy_mask(float *keep, const float *entropy, const float *valid, long n, float fraction, float *scratch);

typedef struct {
    float beta;           /* k3 KL coefficient; 0: ref_logp unused (may be NULL) */
    float eps_low, eps_high; /* ratio clipped to [1 - eps_low, 1 + eps_high] */
    int aggregation;      /* AGG_SEQUENCE, AGG_TOKEN, AGG_DR_GRPO (config.h) */
    int importance_sampling; /* IS_TOKEN: a ratio per token; IS_SEQUENCE (GSPO): one per row, see grpo_loss */
    int loss_type;        /* LOSS_GRPO: the clipped surrogate; LOSS_CISPO: the clipped ratio as a constant weight */
    float delta;          /* LOSS_GRPO, A < 0: the ratio is capped at delta (> 1 + eps_high; dual clip); 0: off */
    int max_new_tokens;   /* AGG_DR_GRPO's constant denominator */
    /* A micro-batch of a larger batch: the batch's sequences and completion tokens (0: these B rows are the whole
     * batch). The aggregation's denominators and the statistics' are then the batch's, so the losses, gradients
     * and statistics of the micro-batches add up to those of one call on the whole batch. */
    int batch_sequences;
    double batch_tokens;
} GrpoLossParams;

typedef struct {
    double loss;          /* the objective value */
    double policy_loss;   /* its surrogate part */
    double kl;            /* mean k3 over completion tokens (of the batch, see batch_tokens) */
    /* shares of tokens (of the batch) where a clip is active. LOSS_GRPO: clip_low where A < 0 and ratio < 1 - eps_low,
     * clip_high where A > 0 and ratio > 1 + eps_high, clip_delta where A < 0 and ratio > delta (no gradient in
     * each); LOSS_CISPO: clip_low / clip_high where the weight is clipped below / above, whatever the sign of A.
     * clip_ratio is the clip region, the sum of the three. */
    double clip_ratio;
    double clip_low, clip_high, clip_delta;
    double ratio_mean;    /* mean token ratio exp(logp - logp_old) */
    /* the rows' sequence ratios s_b = exp(mean (logp - logp_old) over the row's tokens), whatever the
     * importance_sampling: their sum, least and greatest over the n_seqs rows with completion tokens (min and max
     * are 0 when n_seqs is 0) */
    double seq_ratio_sum, seq_ratio_min, seq_ratio_max;
    int n_seqs;
    int n_tokens;         /* completion tokens in these B rows */
} GrpoLossStats;

/* Loss over B sequences of up to N completion tokens (row b at b*N; mask 1 for real completion tokens, 0 for padding
 * and for tokens left out of the loss), per token
 *   LOSS_GRPO:   -min(r'*A, clip(r, 1-eps_low, 1+eps_high)*A) + beta*k3,  r' = min(r, delta) when A < 0 and delta > 0
 *                                                                           (else r' = r)
 *   LOSS_CISPO:  -sg(clip(r, 1-eps_low, 1+eps_high)) * A * logp + beta*k3   (sg: a constant for the gradient, so
 *                a clipped token still passes -w*A)
 * with the ratio r = exp(logp - logp_old) of the token (IS_TOKEN) or the row's s_b = exp(sum_t m_t (logp_t -
 * logp_old_t) / sum_t m_t) on each of its tokens (IS_SEQUENCE, GSPO: d s_b / d logp_t = s_b m_t / sum m), and
 * k3 = exp(ref - logp) - (ref - logp) - 1, aggregated per params->aggregation. Writes d loss / d logp into
 * dlogp (B, N) (zero where mask is 0) and the statistics into st. Returns the loss. */
double grpo_loss(float *dlogp, GrpoLossStats *st, const float *logp, const float *logp_old, const float *ref_logp,
                 const float *adv, const float *mask, int B, int N, const GrpoLossParams *params);

#endif
