/* grpo.c - group-relative advantages and the clipped-surrogate + k3-KL objective on per-token log-probabilities.
 * Everything here works on plain arrays so it can be checked against hand-computed cases; sums run in double. */
#include "core/grpo.h"
#include "core/config.h"
#include <assert.h>
#include <math.h>
#include <string.h>

void grpo_advantages(float *adv, const float *rewards, int P, int G, int scale_std, float eps) {
    assert(P >= 0 && G >= 1);
    for (int p = 0; p < P; p++) {
        const float *r = rewards + (size_t)p * G;
        double mean = 0;
        for (int g = 0; g < G; g++) mean += r[g];
        mean /= G;
        double var = 0;
        for (int g = 0; g < G; g++) var += (r[g] - mean) * (r[g] - mean);
        double std = G > 1 ? sqrt(var / (G - 1)) : 0.0; /* unbiased, as torch.std and TRL */
        for (int g = 0; g < G; g++) {
            double a = r[g] - mean;
            adv[(size_t)p * G + g] = (float)(scale_std ? a / (std + eps) : a);
        }
    }
}

/* The weight each completion token of row b carries in the aggregate (0 for an empty row). */
static double token_weight(int aggregation, int B, double row_tokens, double all_tokens, int max_new_tokens) {
    switch (aggregation) {
    case AGG_SEQUENCE: return row_tokens > 0 ? 1.0 / (row_tokens * B) : 0.0;
    case AGG_TOKEN: return all_tokens > 0 ? 1.0 / all_tokens : 0.0;
    case AGG_DR_GRPO: return 1.0 / ((double)B * (max_new_tokens > 0 ? max_new_tokens : 1));
    }
    assert(!"unknown aggregation");
    return 0.0;
}

double grpo_loss(float *dlogp, GrpoLossStats *st, const float *logp, const float *logp_old, const float *ref_logp,
                 const float *adv, const float *mask, int B, int N, const GrpoLossParams *prm) {
    assert(prm->beta == 0.0f || ref_logp != NULL);
    int B_all = B;
    double all_tokens = 0;
    for (size_t i = 0; i < (size_t)B * N; i++) all_tokens += mask[i];
    const double row_sum = all_tokens;
    if (prm->batch_sequences > 0) { /* a micro-batch: the batch's denominators */
        assert(prm->batch_sequences >= B && prm->batch_tokens >= all_tokens);
        B_all = prm->batch_sequences;
        all_tokens = prm->batch_tokens;
    }

    double loss = 0, policy = 0, kl = 0, clipped = 0, clip_lo = 0, clip_hi = 0, ratio_sum = 0;
    const double lo = 1.0 - prm->eps_low, hi = 1.0 + prm->eps_high;
    for (int b = 0; b < B; b++) {
        double row_tokens = 0;
        for (int t = 0; t < N; t++) row_tokens += mask[(size_t)b * N + t];
        double w = token_weight(prm->aggregation, B_all, row_tokens, all_tokens, prm->max_new_tokens);
        double A = adv[b];
        for (int t = 0; t < N; t++) {
            size_t i = (size_t)b * N + t;
            if (mask[i] == 0.0f) { dlogp[i] = 0.0f; continue; }
            double m = mask[i];
            double rho = exp((double)logp[i] - logp_old[i]);
            double rho_c = rho < lo ? lo : (rho > hi ? hi : rho);
            double unclipped = rho * A, clip_term = rho_c * A;
            /* -min(rho*A, clip(rho)*A): the gradient flows through rho only where the unclipped term is the min */
            double pg, dpg;
            if (unclipped <= clip_term) { pg = -unclipped; dpg = -A * rho; }
            else { pg = -clip_term; dpg = 0.0; }
            int is_lo = A < 0 && rho < lo, is_hi = A > 0 && rho > hi;
            clip_lo += is_lo * m; clip_hi += is_hi * m; clipped += (is_lo || is_hi) * m;
            ratio_sum += rho * m;
            double per = pg, dper = dpg;
            if (prm->beta != 0.0f) {
                double d = (double)ref_logp[i] - logp[i];
                double ed = exp(d);
                double k3 = ed - d - 1.0;
                per += prm->beta * k3;
                dper += prm->beta * (1.0 - ed);
                kl += k3 * m;
            }
            loss += w * m * per;
            policy += w * m * pg;
            dlogp[i] = (float)(w * m * dper);
        }
    }
    if (st) {
        memset(st, 0, sizeof *st);
        st->loss = loss;
        st->policy_loss = policy;
        double n = all_tokens > 0 ? all_tokens : 1.0;
        st->kl = kl / n;
        st->clip_ratio = clipped / n;
        st->clip_low = clip_lo / n;
        st->clip_high = clip_hi / n;
        st->ratio_mean = ratio_sum / n;
        st->n_tokens = (int)row_sum;
    }
    return loss;
}
