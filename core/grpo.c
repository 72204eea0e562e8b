/* grpo.c - group-relative advantages, overlong reward shaping, and the clipped-surrogate (token or sequence ratio,
 * dual clip) or CISPO + k3-KL objective on per-token log-probabilities.
 * Everything here works on plain arrays so it can be checked against hand-computed cases; sums run in double. */
#include "core/grpo.h"
#include "core/config.h"
#include <assert.h>
#include <math.h>
#include <string.h>

static double unbiased_std(const float *r, int n) {
    if (n < 2) return 0.0;
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += r[i];
    mean /= n;
    for (int i = 0; i < n; i++) var += (r[i] - mean) * (r[i] - mean);
    return sqrt(var / (n - 1)); /* unbiased, as torch.std and TRL */
}

void grpo_advantages(float *adv, const float *rewards, int P, int G, int scaling, float eps) {
    assert(P >= 0 && G >= 1);
    assert(scaling == ADV_SCALE_GROUP || scaling == ADV_SCALE_BATCH || scaling == ADV_SCALE_NONE);
    const double batch_std = scaling == ADV_SCALE_BATCH ? unbiased_std(rewards, P * G) : 0.0;
    for (int p = 0; p < P; p++) {
        const float *r = rewards + (size_t)p * G;
        double mean = 0;
        for (int g = 0; g < G; g++) mean += r[g];
        mean /= G;
        double std = scaling == ADV_SCALE_GROUP ? unbiased_std(r, G) : batch_std;
        for (int g = 0; g < G; g++) {
            double a = r[g] - mean;
            adv[(size_t)p * G + g] = (float)(scaling == ADV_SCALE_NONE ? a : a / (std + eps));
        }
    }
}

float grpo_overlong_reward(int len, int max_new_tokens, int buffer, float penalty) {
    if (buffer <= 0) return 0.0f;
    int over = len - (max_new_tokens - buffer);
    return over > 0 ? (float)(-(double)penalty * over / buffer) : 0.0f;
}

int grpo_group_uniform(const float *rewards, int G) {
    for (int g = 1; g < G; g++)
        if (rewards[g] != rewards[0]) return 0;
    return 1;
}

/* The k-th largest (k >= 1) of a[0..n-1], reordering a (Hoare's selection; expected linear time). */
static float kth_largest(float *a, long n, long k) {
    long lo = 0, hi = n - 1, want = k - 1; /* in descending order */
    while (lo < hi) {
        float pivot = a[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] > pivot) i++;
            while (a[j] < pivot) j--;
            if (i <= j) {
                float x = a[i]; a[i] = a[j]; a[j] = x;
                i++; j--;
            }
        }
        if (want <= j) hi = j;
        else if (want >= i) lo = i;
        else break;
    }
    return a[want];
}

long grpo_entropy_mask(float *keep, const float *entropy, const float *valid, long n, float fraction,
                       float *scratch) {
    long count = 0;
    for (long i = 0; i < n; i++)
        if (valid[i] != 0.0f) scratch[count++] = entropy[i];
    float threshold = -INFINITY;
    if (fraction < 1.0f && count > 0) {
        long k = (long)ceil((double)fraction * count);
        if (k < 1) k = 1;
        threshold = kth_largest(scratch, count, k);
    }
    long kept = 0;
    for (long i = 0; i < n; i++) {
        keep[i] = valid[i] != 0.0f && entropy[i] >= threshold ? 1.0f : 0.0f;
        kept += keep[i] != 0.0f;
    }
    return kept;
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
    assert(prm->importance_sampling == IS_TOKEN || prm->importance_sampling == IS_SEQUENCE);
    assert(prm->loss_type == LOSS_GRPO || prm->loss_type == LOSS_CISPO);
    int B_all = B;
    double all_tokens = 0;
    for (size_t i = 0; i < (size_t)B * N; i++) all_tokens += mask[i];
    const double row_sum = all_tokens;
    if (prm->batch_sequences > 0) { /* a micro-batch: the batch's denominators */
        assert(prm->batch_sequences >= B && prm->batch_tokens >= all_tokens);
        B_all = prm->batch_sequences;
        all_tokens = prm->batch_tokens;
    }

    double loss = 0, policy = 0, kl = 0, clip_lo = 0, clip_hi = 0, clip_dl = 0, ratio_sum = 0;
    double seq_sum = 0, seq_min = 0, seq_max = 0;
    int n_seqs = 0;
    const double lo = 1.0 - prm->eps_low, hi = 1.0 + prm->eps_high, delta = prm->delta;
    const int cispo = prm->loss_type == LOSS_CISPO;
    for (int b = 0; b < B; b++) {
        const float *lp = logp + (size_t)b * N, *old = logp_old + (size_t)b * N, *m_row = mask + (size_t)b * N;
        double row_tokens = 0, row_log_ratio = 0;
        for (int t = 0; t < N; t++) {
            row_tokens += m_row[t];
            if (m_row[t] != 0.0f) row_log_ratio += m_row[t] * ((double)lp[t] - old[t]);
        }
        double w = token_weight(prm->aggregation, B_all, row_tokens, all_tokens, prm->max_new_tokens);
        double A = adv[b];
        double s = 1.0; /* the row's sequence ratio (GSPO) */
        if (row_tokens > 0) {
            s = exp(row_log_ratio / row_tokens);
            if (n_seqs == 0 || s < seq_min) seq_min = s;
            if (n_seqs == 0 || s > seq_max) seq_max = s;
            seq_sum += s;
            n_seqs++;
        }
        for (int t = 0; t < N; t++) {
            size_t i = (size_t)b * N + t;
            if (mask[i] == 0.0f) { dlogp[i] = 0.0f; continue; }
            double m = mask[i];
            double rho = exp((double)logp[i] - logp_old[i]);
            ratio_sum += rho * m;
            /* r: the ratio this token's term sees. Both kinds give d loss / d logp_t = w m dpg/dr r: for a token
             * d rho / d logp = rho; for a row, its n = sum m tokens each carry w m pg(s) and d s / d logp_t =
             * s m_t / n, so the row's sum of w n pg(s) gives w m_t pg'(s) s. */
            double r = prm->importance_sampling == IS_SEQUENCE ? s : rho;
            double r_c = r < lo ? lo : (r > hi ? hi : r);
            double pg, dpg; /* the surrogate's term and its derivative in logp */
            int is_lo, is_hi, is_dl = 0;
            if (cispo) {
                /* the weight r_c is a constant: the term is linear in logp and never stops the gradient */
                pg = -r_c * A * logp[i];
                dpg = -r_c * A;
                is_lo = r < lo;
                is_hi = r > hi;
            } else {
                /* -min(r'*A, clip(r)*A): the gradient flows through r only where the uncapped, unclipped term is
                 * the min */
                int capped = A < 0 && delta > 0 && r > delta;
                double r_u = capped ? delta : r;
                double unclipped = r_u * A, clip_term = r_c * A;
                if (unclipped <= clip_term) { pg = -unclipped; dpg = capped ? 0.0 : -A * r; }
                else { pg = -clip_term; dpg = 0.0; }
                is_lo = A < 0 && r < lo;
                is_hi = A > 0 && r > hi;
                is_dl = capped && delta > hi;
            }
            clip_lo += is_lo * m; clip_hi += is_hi * m; clip_dl += is_dl * m;
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
        st->clip_low = clip_lo / n;
        st->clip_high = clip_hi / n;
        st->clip_delta = clip_dl / n;
        st->clip_ratio = (clip_lo + clip_hi + clip_dl) / n;
        st->ratio_mean = ratio_sum / n;
        st->seq_ratio_sum = seq_sum;
        st->seq_ratio_min = seq_min;
        st->seq_ratio_max = seq_max;
        st->n_seqs = n_seqs;
        st->n_tokens = (int)row_sum;
    }
    return loss;
}
