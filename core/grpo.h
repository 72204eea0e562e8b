/* grpo.h - the GRPO objective on per-token log-probabilities (DeepSeekMath; DAPO and Dr. GRPO variants).
 * Pure functions of arrays, so they are tested on hand-computed cases; the model turns d loss / d logp into
 * parameter gradients (model_logprob_backward + model_backward). */
#ifndef GRPO_GRPO_H
#define GRPO_GRPO_H

/* Group-normalised advantages for P groups of G rewards (row-major (P, G)):
 * A = (r - mean_g) / (std_g + eps) with the unbiased std, or r - mean_g when scale_std is 0. */
void grpo_advantages(float *adv, const float *rewards, int P, int G, int scale_std, float eps);

typedef struct {
    float beta;           /* k3 KL coefficient; 0: ref_logp unused (may be NULL) */
    float eps_low, eps_high; /* ratio clipped to [1 - eps_low, 1 + eps_high] */
    int aggregation;      /* AGG_SEQUENCE, AGG_TOKEN, AGG_DR_GRPO (config.h) */
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
    double clip_ratio;    /* share of tokens where the clip is active (either side) */
    double clip_low, clip_high;
    double ratio_mean;
    int n_tokens;         /* completion tokens in these B rows */
} GrpoLossStats;

/* Loss over B sequences of up to N completion tokens (row b at b*N; mask 1 for real completion tokens):
 * per token  -min(rho*A, clip(rho, 1-eps_low, 1+eps_high)*A) + beta*k3,  rho = exp(logp - logp_old),
 * k3 = exp(ref - logp) - (ref - logp) - 1, aggregated per params->aggregation. Writes d loss / d logp into
 * dlogp (B, N) (zero where mask is 0) and the statistics into st. Returns the loss. */
double grpo_loss(float *dlogp, GrpoLossStats *st, const float *logp, const float *logp_old, const float *ref_logp,
                 const float *adv, const float *mask, int B, int N, const GrpoLossParams *params);

#endif
