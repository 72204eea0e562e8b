/* test_grpo.c - the GRPO objective and its variants (GSPO, CISPO, dual clip, advantage scaling, overlong shaping,
 * entropy masking, the uniform groups dynamic sampling drops) on hand-computed cases, against finite differences,
 * against the objective as it was before the variants, and micro-batched against the whole batch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "core/config.h"
#include "core/grpo.h"

static void test_advantages_scaled_and_unscaled(void **state) {
    (void)state;
    float r[8] = {1, 0, 0, 1, 2, 2, 2, 2}, a[8];
    grpo_advantages(a, r, 2, 4, ADV_SCALE_GROUP, 1e-4f);
    double std = sqrt(1.0 / 3.0); /* unbiased: sum sq = 4 * 0.25 = 1, / (G-1) */
    assert_float_equal(a[0], 0.5 / (std + 1e-4), 1e-6);
    assert_float_equal(a[1], -0.5 / (std + 1e-4), 1e-6);
    for (int i = 4; i < 8; i++) assert_true(a[i] == 0.0f); /* identical rewards: no signal */
    grpo_advantages(a, r, 2, 4, ADV_SCALE_NONE, 1e-4f);
    assert_float_equal(a[0], 0.5, 1e-7);
    assert_float_equal(a[2], -0.5, 1e-7);
    float one[1] = {3}, a1[1];
    grpo_advantages(a1, one, 1, 1, ADV_SCALE_GROUP, 1e-4f);
    assert_true(a1[0] == 0.0f);
    /* batch: r - group mean over the std of all 8 rewards. Batch mean 10/8 = 1.25; squared deviations
     * 0.0625 + 1.5625 + 1.5625 + 0.0625 + 4 * 0.5625 = 5.5; unbiased std sqrt(5.5 / 7) = 0.886405 */
    grpo_advantages(a, r, 2, 4, ADV_SCALE_BATCH, 1e-4f);
    double bstd = sqrt(5.5 / 7.0);
    assert_float_equal(a[0], 0.5 / (bstd + 1e-4), 1e-6);
    assert_float_equal(a[1], -0.5 / (bstd + 1e-4), 1e-6);
    for (int i = 4; i < 8; i++) assert_true(a[i] == 0.0f); /* still no signal from a group of equal rewards */
}

/* DAPO's soft overlong punishment, max_new_tokens 20 and a buffer of 5: nothing up to 15 tokens, then -1/5 a token. */
static void test_overlong_reward(void **state) {
    (void)state;
    assert_true(grpo_overlong_reward(10, 20, 5, 1.0f) == 0.0f);
    assert_true(grpo_overlong_reward(15, 20, 5, 1.0f) == 0.0f);
    assert_float_equal(grpo_overlong_reward(16, 20, 5, 1.0f), -0.2, 1e-7);
    assert_float_equal(grpo_overlong_reward(20, 20, 5, 1.0f), -1.0, 1e-7);
    assert_float_equal(grpo_overlong_reward(18, 20, 5, 0.5f), -0.3, 1e-7); /* -0.5 * 3 / 5 */
    assert_true(grpo_overlong_reward(20, 20, 0, 1.0f) == 0.0f);           /* buffer 0: off */
    assert_float_equal(grpo_overlong_reward(3, 4, 10, 1.0f), -0.9, 1e-7);  /* buffer past the start: 9 / 10 */
}

static GrpoLossParams params(int agg, float beta) {
    GrpoLossParams p = {.beta = beta, .eps_low = 0.2f, .eps_high = 0.2f, .aggregation = agg, .max_new_tokens = 4};
    return p;
}

/* One token, A = 1: ratio inside the clip range -> loss -rho, gradient -rho; above 1 + eps -> clipped, gradient 0. */
static void test_clip_inactive_and_active(void **state) {
    (void)state;
    float adv = 1, mask = 1, d;
    GrpoLossStats st;
    GrpoLossParams p = params(AGG_TOKEN, 0);
    float lp = logf(1.1f), old = 0;
    double loss = grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p);
    assert_float_equal(loss, -1.1, 1e-6);
    assert_float_equal(d, -1.1, 1e-6);
    assert_true(st.clip_ratio == 0.0);
    lp = logf(1.5f);
    loss = grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p);
    assert_float_equal(loss, -1.2, 1e-6); /* -clip(1.5) * 1 */
    assert_true(d == 0.0f);
    assert_float_equal(st.clip_ratio, 1.0, 1e-12);
    assert_float_equal(st.clip_high, 1.0, 1e-12);
    /* A < 0 with a low ratio: clipped at 1 - eps, no gradient; A < 0 with a high ratio is NOT clipped */
    adv = -1;
    lp = logf(0.5f);
    loss = grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p);
    assert_float_equal(loss, 0.8, 1e-6);
    assert_true(d == 0.0f);
    assert_float_equal(st.clip_low, 1.0, 1e-12);
    lp = logf(1.5f);
    loss = grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p);
    assert_float_equal(loss, 1.5, 1e-6);
    assert_float_equal(d, 1.5, 1e-6);
    assert_true(st.clip_ratio == 0.0);
}

static void test_kl_zero_when_policy_is_reference(void **state) {
    (void)state;
    float lp[6] = {-1, -2, -0.5f, -3, -0.1f, -1.5f}, adv[2] = {0, 0}, mask[6] = {1, 1, 1, 1, 1, 0}, d[6];
    GrpoLossStats st;
    GrpoLossParams p = params(AGG_SEQUENCE, 0.04f);
    double loss = grpo_loss(d, &st, lp, lp, lp, adv, mask, 2, 3, &p);
    assert_true(loss == 0.0);
    assert_true(st.kl == 0.0);
    for (int i = 0; i < 6; i++) assert_true(d[i] == 0.0f);
}

/* Identical rewards in a group -> zero advantages -> with beta = 0 no gradient at all. */
static void test_identical_rewards_zero_gradient(void **state) {
    (void)state;
    float r[4] = {1, 1, 1, 1}, adv[4];
    grpo_advantages(adv, r, 1, 4, 1, 1e-4f);
    float lp[8], old[8], mask[8], d[8];
    for (int i = 0; i < 8; i++) { lp[i] = -0.3f * (i + 1); old[i] = lp[i] + 0.05f * (i % 3); mask[i] = 1; }
    GrpoLossParams p = params(AGG_SEQUENCE, 0);
    grpo_loss(d, NULL, lp, old, NULL, adv, mask, 4, 2, &p);
    for (int i = 0; i < 8; i++) assert_true(d[i] == 0.0f);
}

/* Two rows, on-policy (rho = 1, so the surrogate is -A per token): the three aggregations differ only in weights.
 * Row 0: A = 1, 1 token; row 1: A = -0.5, 3 tokens; N = 4, max_new_tokens = 4. */
static void test_aggregation_modes(void **state) {
    (void)state;
    float lp[8] = {-1, 0, 0, 0, -1, -1, -1, 0}, adv[2] = {1, -0.5f};
    float mask[8] = {1, 0, 0, 0, 1, 1, 1, 0}, d[8];
    GrpoLossParams p = params(AGG_SEQUENCE, 0);
    /* sequence: mean over rows of the row means: (-1 + 0.5) / 2 */
    assert_float_equal(grpo_loss(d, NULL, lp, lp, NULL, adv, mask, 2, 4, &p), -0.25, 1e-7);
    assert_float_equal(d[0], -0.5, 1e-7);
    assert_float_equal(d[4], 0.5 / 3 / 2, 1e-7);
    assert_true(d[1] == 0.0f && d[7] == 0.0f);
    /* token: sum over the 4 tokens / 4 */
    p.aggregation = AGG_TOKEN;
    assert_float_equal(grpo_loss(d, NULL, lp, lp, NULL, adv, mask, 2, 4, &p), (-1 + 1.5) / 4.0, 1e-7);
    assert_float_equal(d[0], -0.25, 1e-7);
    /* dr_grpo: sum / (B * max_new_tokens) */
    p.aggregation = AGG_DR_GRPO;
    assert_float_equal(grpo_loss(d, NULL, lp, lp, NULL, adv, mask, 2, 4, &p), 0.5 / 8.0, 1e-7);
    assert_float_equal(d[5], 0.5 / 8.0, 1e-7);
}

/* The objective as it was before the variants (commit 6d86cda's grpo_loss, loss and dlogp only), to check that
 * the default values of the new parameters reproduce it exactly. */
static double loss_before_variants(float *dlogp, const float *logp, const float *logp_old, const float *ref_logp,
                                   const float *adv, const float *mask, int B, int N, const GrpoLossParams *prm) {
    double all_tokens = 0, loss = 0;
    for (int i = 0; i < B * N; i++) all_tokens += mask[i];
    const double lo = 1.0 - prm->eps_low, hi = 1.0 + prm->eps_high;
    for (int b = 0; b < B; b++) {
        double row_tokens = 0, w = 0;
        for (int t = 0; t < N; t++) row_tokens += mask[b * N + t];
        if (prm->aggregation == AGG_SEQUENCE) w = row_tokens > 0 ? 1.0 / (row_tokens * B) : 0.0;
        if (prm->aggregation == AGG_TOKEN) w = all_tokens > 0 ? 1.0 / all_tokens : 0.0;
        if (prm->aggregation == AGG_DR_GRPO) w = 1.0 / ((double)B * prm->max_new_tokens);
        double A = adv[b];
        for (int t = 0; t < N; t++) {
            int i = b * N + t;
            if (mask[i] == 0.0f) { dlogp[i] = 0.0f; continue; }
            double m = mask[i], rho = exp((double)logp[i] - logp_old[i]);
            double rho_c = rho < lo ? lo : (rho > hi ? hi : rho);
            double unclipped = rho * A, clip_term = rho_c * A, pg, dpg;
            if (unclipped <= clip_term) { pg = -unclipped; dpg = -A * rho; }
            else { pg = -clip_term; dpg = 0.0; }
            double d = (double)ref_logp[i] - logp[i], ed = exp(d);
            double per = pg + prm->beta * (ed - d - 1.0), dper = dpg + prm->beta * (1.0 - ed);
            loss += w * m * per;
            dlogp[i] = (float)(w * m * dper);
        }
    }
    return loss;
}

/* An off-policy batch with some ratios clipped, some capped by delta = 1.3 and one row masked out entirely. */
enum { FB = 5, FN = 5 };
static void fd_batch(float *lp, float *old, float *ref, float *mask, float *adv) {
    static const float a[FB] = {1.2f, -0.7f, 0.3f, -1.1f, 0.8f};
    static const float shift[FB] = {0.0f, -0.25f, -0.3f, -0.15f, 0.1f}; /* moves whole rows' sequence ratios */
    for (int i = 0; i < FB * FN; i++) {
        lp[i] = -0.2f - 0.13f * (i % 7);
        old[i] = lp[i] + 0.35f * sinf(1.7f * i) + shift[i / FN]; /* ratios from ~0.55 to ~1.8 */
        ref[i] = lp[i] - 0.2f * cosf(0.9f * i);
        mask[i] = (i % FN) < 2 + (i / FN) && i / FN != 4 ? 1.0f : 0.0f; /* row 4: masked out (mask_truncated) */
    }
    for (int b = 0; b < FB; b++) adv[b] = a[b];
}

static void test_defaults_reproduce_the_objective_before_variants(void **state) {
    (void)state;
    float lp[FB * FN], old[FB * FN], ref[FB * FN], mask[FB * FN], adv[FB], d[FB * FN], d0[FB * FN];
    fd_batch(lp, old, ref, mask, adv);
    for (int agg = 0; agg < 3; agg++) {
        GrpoLossParams p = params(agg, 0.04f);
        p.eps_high = 0.28f;
        double loss = grpo_loss(d, NULL, lp, old, ref, adv, mask, FB, FN, &p);
        double loss0 = loss_before_variants(d0, lp, old, ref, adv, mask, FB, FN, &p);
        assert_true(loss == loss0);
        for (int i = 0; i < FB * FN; i++) assert_true(d[i] == d0[i]);
    }
}

/* GSPO: one ratio per row, s = exp(mean log-ratio over the row's tokens), clipped per row. Sequence aggregation.
 * Row 0: A = 1, log-ratios 0.5, 0.3 -> s = e^0.4 = 1.4918 > 1.2: term -1.2 on both tokens, no gradient.
 * Row 1: A = -1, log-ratios -0.9, 0, -0.6 -> s = e^-0.5 = 0.6065 < 0.8: term 0.8 on all three, no gradient
 * (per token the middle one, ratio 1, would not be clipped). Loss (-1.2 + 0.8) / 2 = -0.2; every token clipped. */
static void test_sequence_ratio_hand_computed(void **state) {
    (void)state;
    float lp[6] = {-1.0f, -2.0f, 0, -0.5f, -1.0f, -1.5f}, old[6], adv[2] = {1, -1}, mask[6] = {1, 1, 0, 1, 1, 1};
    float lr[6] = {0.5f, 0.3f, 0, -0.9f, 0.0f, -0.6f}, d[6];
    for (int i = 0; i < 6; i++) old[i] = lp[i] - lr[i];
    GrpoLossParams p = params(AGG_SEQUENCE, 0);
    p.importance_sampling = IS_SEQUENCE;
    GrpoLossStats st;
    assert_float_equal(grpo_loss(d, &st, lp, old, NULL, adv, mask, 2, 3, &p), -0.2, 1e-6);
    for (int i = 0; i < 6; i++) assert_true(d[i] == 0.0f);
    assert_float_equal(st.clip_high, 2.0 / 5, 1e-12);
    assert_float_equal(st.clip_low, 3.0 / 5, 1e-12);
    assert_float_equal(st.clip_ratio, 1.0, 1e-12);
    assert_int_equal(st.n_seqs, 2);
    assert_float_equal(st.seq_ratio_min, exp(-0.5), 1e-6);
    assert_float_equal(st.seq_ratio_max, exp(0.4), 1e-6);
    assert_float_equal(st.seq_ratio_sum, exp(-0.5) + exp(0.4), 1e-6);
    /* the same rows per token: the middle token of row 1 is inside the range and passes -A * 1 / (3 * 2) */
    p.importance_sampling = IS_TOKEN;
    grpo_loss(d, &st, lp, old, NULL, adv, mask, 2, 3, &p);
    assert_float_equal(d[4], 1.0 / 6, 1e-6);
    assert_float_equal(st.clip_ratio, 4.0 / 5, 1e-12);
    /* inside the range: A = 1, log-ratios 0.1 and -0.3 -> s = e^-0.1 = 0.904837 on both tokens; loss -s and
     * d / d logp_t = w * (-A) * s = -s / 2 on each (w = 1/2, as d s / d logp_t = s / 2 while each of the two
     * tokens carries pg(s)/2) */
    float lp1[2] = {-1, -2}, old1[2] = {-1.1f, -1.7f}, a1 = 1, m1[2] = {1, 1}, d1[2];
    p.importance_sampling = IS_SEQUENCE;
    assert_float_equal(grpo_loss(d1, &st, lp1, old1, NULL, &a1, m1, 1, 2, &p), -exp(-0.1), 1e-6);
    assert_float_equal(d1[0], -exp(-0.1) / 2, 1e-6);
    assert_float_equal(d1[1], -exp(-0.1) / 2, 1e-6);
    assert_true(st.clip_ratio == 0.0);
}

/* CISPO: -sg(clip(rho)) * A * logp, so a clipped token still passes -w * A. One token, logp_old = -1. */
static void test_cispo_hand_computed(void **state) {
    (void)state;
    float old = -1, lp = -1 + logf(1.5f), adv = 1, mask = 1, d;
    GrpoLossParams p = params(AGG_TOKEN, 0);
    p.loss_type = LOSS_CISPO;
    GrpoLossStats st;
    /* rho 1.5, A = 1: w = 1.2, loss -1.2 * (-1 + ln 1.5) = 0.713442, gradient -1.2 (GRPO's would be 0) */
    assert_float_equal(grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p), -1.2 * lp, 1e-6);
    assert_float_equal(d, -1.2, 1e-6);
    assert_float_equal(st.clip_high, 1.0, 1e-12);
    /* rho 1.5, A = -1: the weight is clipped whatever the sign of A: 1.2, gradient +1.2 */
    adv = -1;
    grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p);
    assert_float_equal(d, 1.2, 1e-6);
    assert_float_equal(st.clip_high, 1.0, 1e-12);
    /* rho 0.5, A = -1: w = 0.8, loss 0.8 * logp, gradient 0.8 */
    lp = -1 + logf(0.5f);
    assert_float_equal(grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p), 0.8 * lp, 1e-6);
    assert_float_equal(d, 0.8, 1e-6);
    assert_float_equal(st.clip_low, 1.0, 1e-12);
    /* inside the range, rho 1.1, A = 2: w = 1.1, gradient -2.2: the same as GRPO's -A * rho */
    lp = -1 + logf(1.1f);
    adv = 2;
    grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p);
    assert_float_equal(d, -2.2, 1e-6);
    assert_true(st.clip_ratio == 0.0);
}

/* Dual clip, delta = 3 (eps 0.2): for A < 0 the ratio counts at most 3. */
static void test_delta_hand_computed(void **state) {
    (void)state;
    float old = 0, lp = logf(4.0f), adv = -1, mask = 1, d;
    GrpoLossParams p = params(AGG_TOKEN, 0);
    GrpoLossStats st;
    /* off: rho 4, A = -1: -min(-4, -1.2) = 4, gradient -A * rho = 4 */
    assert_float_equal(grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p), 4.0, 1e-6);
    assert_float_equal(d, 4.0, 1e-5);
    /* delta 3: -min(min(4, 3) * -1, 1.2 * -1) = 3, no gradient, counted in clip_delta and the clip region */
    p.delta = 3.0f;
    assert_float_equal(grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p), 3.0, 1e-6);
    assert_true(d == 0.0f);
    assert_float_equal(st.clip_delta, 1.0, 1e-12);
    assert_float_equal(st.clip_ratio, 1.0, 1e-12);
    assert_true(st.clip_low == 0.0 && st.clip_high == 0.0);
    /* rho 2, between 1 + eps_high and delta: as without delta, loss 2, gradient 2 */
    lp = logf(2.0f);
    assert_float_equal(grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p), 2.0, 1e-6);
    assert_float_equal(d, 2.0, 1e-5);
    assert_true(st.clip_ratio == 0.0);
    /* A > 0: delta does not apply; rho 4 is clipped above as always */
    lp = logf(4.0f);
    adv = 1;
    assert_float_equal(grpo_loss(&d, &st, &lp, &old, NULL, &adv, &mask, 1, 1, &p), -1.2, 1e-6);
    assert_true(d == 0.0f);
    assert_float_equal(st.clip_high, 1.0, 1e-12);
    assert_true(st.clip_delta == 0.0);
}

/* A variant: importance sampling, loss type, delta. */
typedef struct { int is, type; float delta; } Variant;
static const Variant VARIANTS[] = {
    {IS_TOKEN, LOSS_GRPO, 0}, {IS_SEQUENCE, LOSS_GRPO, 0}, {IS_TOKEN, LOSS_CISPO, 0}, {IS_SEQUENCE, LOSS_CISPO, 0},
    {IS_TOKEN, LOSS_GRPO, 1.3f}, {IS_SEQUENCE, LOSS_GRPO, 1.3f},
};
enum { N_VARIANTS = sizeof VARIANTS / sizeof VARIANTS[0] };

static GrpoLossParams variant_params(int agg, const Variant *v) {
    GrpoLossParams p = params(agg, 0.04f);
    p.importance_sampling = v->is;
    p.loss_type = v->type;
    p.delta = v->delta;
    return p;
}

/* The analytic d loss / d logp against central differences, off-policy with clipping and KL active, for every
 * variant and aggregation. CISPO's weight is a constant for the gradient, so its difference quotient is taken on
 * the loss with the weight frozen: logp_old moves with logp, which keeps every ratio (token and sequence), hence
 * every weight, where it was, while the -w * A * logp and KL terms see the step. */
/* every_clip: the batch reaches each clip (with delta: the cap) in every variant */
static void check_gradient(float *lp, float *old, const float *ref, const float *mask, const float *adv,
                           int every_clip) {
    float d[FB * FN], tmp[FB * FN];
    for (int v = 0; v < N_VARIANTS; v++)
        for (int agg = 0; agg < 3; agg++) {
            const Variant *var = &VARIANTS[v];
            GrpoLossParams p = variant_params(agg, var);
            GrpoLossStats st;
            grpo_loss(d, &st, lp, old, ref, adv, mask, FB, FN, &p);
            assert_true(st.clip_ratio < 1.0);
            if (every_clip) assert_true(st.clip_ratio > 0.0);
            if (every_clip && var->delta > 0) assert_true(st.clip_delta > 0.0);
            const int frozen = var->type == LOSS_CISPO;
            int checked = 0;
            for (int i = 0; i < FB * FN; i++) {
                if (mask[i] == 0.0f) { assert_true(d[i] == 0.0f); continue; }
                /* kinks of the clip and the cap, where the derivative is undefined: the token's ratio or its row's */
                int b = i / FN;
                double n = 0, sum = 0;
                for (int t = 0; t < FN; t++) n += mask[b * FN + t], sum += mask[b * FN + t] * ((double)lp[b * FN + t] - old[b * FN + t]);
                double r = var->is == IS_SEQUENCE ? exp(sum / n) : exp((double)lp[i] - old[i]);
                if (fabs(r - 0.8) < 3e-3 || fabs(r - 1.2) < 3e-3 || fabs(r - 1.3) < 3e-3) continue;
                const float h = 1e-3f;
                float x = lp[i], xo = old[i];
                lp[i] = x + h;
                if (frozen) old[i] = xo + (lp[i] - x);
                double up = grpo_loss(tmp, NULL, lp, old, ref, adv, mask, FB, FN, &p);
                lp[i] = x - h;
                if (frozen) old[i] = xo + (lp[i] - x);
                double dn = grpo_loss(tmp, NULL, lp, old, ref, adv, mask, FB, FN, &p);
                lp[i] = x;
                old[i] = xo;
                double fd = (up - dn) / ((double)(x + h) - (double)(x - h)); /* the step as floats have it */
                if (fabs(d[i] - fd) > 1e-4 + 1e-3 * fabs(fd))
                    fail_msg("variant %d aggregation %d token %d: dlogp %.8f, finite difference %.8f", v, agg, i,
                             d[i], fd);
                checked++;
            }
            assert_true(checked >= 8);
        }
}

static void test_gradient_matches_finite_differences(void **state) {
    (void)state;
    float lp[FB * FN], old[FB * FN], ref[FB * FN], mask[FB * FN], adv[FB];
    fd_batch(lp, old, ref, mask, adv);
    check_gradient(lp, old, ref, mask, adv, 1);
}

/* Entropy masking (grpo_entropy_mask): the kept tokens' gradients against central differences for every variant
 * and aggregation; a token masked out has no gradient, and moving it leaves the loss unchanged. */
static void test_entropy_masked_gradient_matches_finite_differences(void **state) {
    (void)state;
    float lp[FB * FN], old[FB * FN], ref[FB * FN], mask[FB * FN], adv[FB], ent[FB * FN], keep[FB * FN];
    float scratch[FB * FN];
    fd_batch(lp, old, ref, mask, adv);
    for (int i = 0; i < FB * FN; i++) ent[i] = 1.0f + 0.9f * sinf(2.9f * i); /* distinct entropies */
    long valid = 0;
    for (int i = 0; i < FB * FN; i++) valid += mask[i] != 0.0f;
    long kept = grpo_entropy_mask(keep, ent, mask, FB * FN, 0.6f, scratch);
    assert_int_equal(kept, (long)ceil(0.6 * valid));
    check_gradient(lp, old, ref, keep, adv, 0);
    /* the masked-out tokens: the loss does not move with them */
    GrpoLossParams p = variant_params(AGG_SEQUENCE, &VARIANTS[1]);
    float d[FB * FN];
    double base = grpo_loss(d, NULL, lp, old, ref, adv, keep, FB, FN, &p);
    int out = 0;
    for (int i = 0; i < FB * FN; i++) {
        if (mask[i] == 0.0f || keep[i] != 0.0f) continue;
        assert_true(d[i] == 0.0f);
        float x = lp[i];
        lp[i] = x + 0.1f;
        assert_true(grpo_loss(d, NULL, lp, old, ref, adv, keep, FB, FN, &p) == base);
        lp[i] = x;
        out++;
    }
    assert_true(out > 0);
}

/* The highest-entropy share of the valid tokens, by hand: 8 valid tokens of 10, fraction 0.25 keeps ceil(2) = the
 * two largest valid entropies (0.9 and 0.8; the 2.0 is padding), 0.3 keeps ceil(2.4) = 3; ties at the threshold
 * are all kept; fraction 1 keeps every valid token and 0.01 the single largest. */
static void test_entropy_mask_hand_computed(void **state) {
    (void)state;
    const float ent[10] = {0.1f, 0.9f, 0.3f, 2.0f, 0.8f, 0.5f, 0.2f, 0.7f, 0.4f, 0.6f};
    const float valid[10] = {1, 1, 1, 0, 1, 1, 1, 1, 0, 1};
    float keep[10], scratch[10];
    assert_int_equal(grpo_entropy_mask(keep, ent, valid, 10, 0.25f, scratch), 2);
    const float want2[10] = {0, 1, 0, 0, 1, 0, 0, 0, 0, 0};
    for (int i = 0; i < 10; i++) assert_true(keep[i] == want2[i]);
    assert_int_equal(grpo_entropy_mask(keep, ent, valid, 10, 0.3f, scratch), 3);
    const float want3[10] = {0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
    for (int i = 0; i < 10; i++) assert_true(keep[i] == want3[i]);
    assert_int_equal(grpo_entropy_mask(keep, ent, valid, 10, 1.0f, scratch), 8);
    for (int i = 0; i < 10; i++) assert_true(keep[i] == valid[i]);
    assert_int_equal(grpo_entropy_mask(keep, ent, valid, 10, 0.01f, scratch), 1);
    assert_true(keep[1] == 1.0f);
    const float tied[4] = {0.5f, 0.5f, 0.5f, 0.1f}, all[4] = {1, 1, 1, 1};
    assert_int_equal(grpo_entropy_mask(keep, tied, all, 4, 0.25f, scratch), 3);
    assert_true(keep[3] == 0.0f);
    const float none[4] = {0, 0, 0, 0};
    assert_int_equal(grpo_entropy_mask(keep, tied, none, 4, 0.5f, scratch), 0);
}

static void test_group_uniform(void **state) {
    (void)state;
    const float r[6] = {1, 1, 1, 0.5f, 1, 1};
    assert_true(grpo_group_uniform(r, 3));
    assert_false(grpo_group_uniform(r + 2, 3));
    assert_true(grpo_group_uniform(r + 3, 1));
}

/* Inside the clip range CISPO's gradient is GRPO's (-A * rho per token); outside it CISPO still passes one. */
static void test_cispo_equals_grpo_inside_the_range(void **state) {
    (void)state;
    float lp[FB * FN], old[FB * FN], ref[FB * FN], mask[FB * FN], adv[FB], dg[FB * FN], dc[FB * FN];
    fd_batch(lp, old, ref, mask, adv);
    GrpoLossParams p = params(AGG_TOKEN, 0.04f);
    grpo_loss(dg, NULL, lp, old, ref, adv, mask, FB, FN, &p);
    p.loss_type = LOSS_CISPO;
    grpo_loss(dc, NULL, lp, old, ref, adv, mask, FB, FN, &p);
    int inside = 0, outside = 0;
    for (int i = 0; i < FB * FN; i++) {
        if (mask[i] == 0.0f) continue;
        double rho = exp((double)lp[i] - old[i]);
        if (rho > 0.8 && rho < 1.2) { assert_float_equal(dc[i], dg[i], 1e-7); inside++; }
        else if (fabs(dc[i] - dg[i]) > 1e-4) outside++;
    }
    assert_true(inside > 0 && outside > 0);
}

/* Micro-batches given the batch's totals (batch_sequences, batch_tokens) add up to one call on the whole batch:
 * the same d loss / d logp row by row, and losses and statistics that sum (min / max: combine) to the whole batch's
 * - for every variant and aggregation, with one row masked out as mask_truncated does. */
static void test_micro_batches_add_up(void **state) {
    (void)state;
    enum { B = 7, N = 6 };
    float lp[B * N], old[B * N], ref[B * N], mask[B * N], d[B * N], dm[B * N], adv[B];
    double tokens = 0;
    for (int i = 0; i < B * N; i++) {
        lp[i] = -0.3f - 0.11f * (i % 5);
        old[i] = lp[i] + 0.3f * sinf(1.3f * i) + 0.2f * cosf(2.3f * (i / N));
        ref[i] = lp[i] - 0.25f * cosf(0.7f * i);
        mask[i] = (i % N) < 1 + (i / N) % N && i / N != 5 ? 1.0f : 0.0f; /* row 5: masked out */
        tokens += mask[i];
    }
    for (int b = 0; b < B; b++) adv[b] = 0.9f * sinf(2.1f * b);
    for (int v = 0; v < N_VARIANTS; v++)
        for (int agg = 0; agg < 3; agg++) {
            GrpoLossParams p = variant_params(agg, &VARIANTS[v]);
            GrpoLossStats whole, part;
            double loss = grpo_loss(d, &whole, lp, old, ref, adv, mask, B, N, &p);
            GrpoLossParams pm = p;
            pm.batch_sequences = B;
            pm.batch_tokens = tokens;
            const int cuts[] = {0, 3, 4, 7}; /* micro-batches of 3, 1 and 3 rows */
            double sum = 0, policy = 0, kl = 0, clip = 0, lo = 0, hi = 0, dl = 0, ratio = 0, seq = 0;
            double smin = 1e300, smax = -1e300;
            int n_tokens = 0, n_seqs = 0;
            for (int k = 0; k < 3; k++) {
                int b0 = cuts[k], nb = cuts[k + 1] - b0;
                size_t o = (size_t)b0 * N;
                sum += grpo_loss(dm + o, &part, lp + o, old + o, ref + o, adv + b0, mask + o, nb, N, &pm);
                policy += part.policy_loss, kl += part.kl, clip += part.clip_ratio, ratio += part.ratio_mean;
                lo += part.clip_low, hi += part.clip_high, dl += part.clip_delta, seq += part.seq_ratio_sum;
                n_tokens += part.n_tokens;
                if (part.n_seqs > 0) smin = fmin(smin, part.seq_ratio_min), smax = fmax(smax, part.seq_ratio_max);
                n_seqs += part.n_seqs;
            }
            assert_float_equal(sum, loss, 1e-9);
            assert_float_equal(policy, whole.policy_loss, 1e-9);
            assert_float_equal(kl, whole.kl, 1e-9);
            assert_float_equal(clip, whole.clip_ratio, 1e-9);
            assert_float_equal(lo, whole.clip_low, 1e-9);
            assert_float_equal(hi, whole.clip_high, 1e-9);
            assert_float_equal(dl, whole.clip_delta, 1e-9);
            assert_float_equal(ratio, whole.ratio_mean, 1e-9);
            assert_float_equal(seq, whole.seq_ratio_sum, 1e-9);
            assert_true(smin == whole.seq_ratio_min && smax == whole.seq_ratio_max);
            assert_int_equal(n_seqs, whole.n_seqs);
            assert_int_equal(n_seqs, B - 1); /* the masked row has no ratio */
            assert_int_equal(n_tokens, whole.n_tokens);
            for (int i = 0; i < B * N; i++) assert_true(dm[i] == d[i]);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advantages_scaled_and_unscaled),
        cmocka_unit_test(test_overlong_reward),
        cmocka_unit_test(test_clip_inactive_and_active),
        cmocka_unit_test(test_kl_zero_when_policy_is_reference),
        cmocka_unit_test(test_identical_rewards_zero_gradient),
        cmocka_unit_test(test_aggregation_modes),
        cmocka_unit_test(test_defaults_reproduce_the_objective_before_variants),
        cmocka_unit_test(test_sequence_ratio_hand_computed),
        cmocka_unit_test(test_cispo_hand_computed),
        cmocka_unit_test(test_delta_hand_computed),
        cmocka_unit_test(test_gradient_matches_finite_differences),
        cmocka_unit_test(test_entropy_masked_gradient_matches_finite_differences),
        cmocka_unit_test(test_entropy_mask_hand_computed),
        cmocka_unit_test(test_group_uniform),
        cmocka_unit_test(test_cispo_equals_grpo_inside_the_range),
        cmocka_unit_test(test_micro_batches_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
