/* test_grpo.c - the GRPO objective on hand-computed cases and against finite differences. */
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
    grpo_advantages(a, r, 2, 4, 1, 1e-4f);
    double std = sqrt(1.0 / 3.0); /* unbiased: sum sq = 4 * 0.25 = 1, / (G-1) */
    assert_float_equal(a[0], 0.5 / (std + 1e-4), 1e-6);
    assert_float_equal(a[1], -0.5 / (std + 1e-4), 1e-6);
    for (int i = 4; i < 8; i++) assert_true(a[i] == 0.0f); /* identical rewards: no signal */
    grpo_advantages(a, r, 2, 4, 0, 1e-4f);
    assert_float_equal(a[0], 0.5, 1e-7);
    assert_float_equal(a[2], -0.5, 1e-7);
    float one[1] = {3}, a1[1];
    grpo_advantages(a1, one, 1, 1, 1, 1e-4f);
    assert_true(a1[0] == 0.0f);
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

/* The analytic d loss / d logp against central differences, off-policy with clipping and KL active. */
static void test_gradient_matches_finite_differences(void **state) {
    (void)state;
    enum { B = 4, N = 5 };
    float lp[B * N], old[B * N], ref[B * N], mask[B * N], d[B * N], adv[B] = {1.2f, -0.7f, 0.3f, -1.1f};
    for (int i = 0; i < B * N; i++) {
        lp[i] = -0.2f - 0.13f * (i % 7);
        old[i] = lp[i] + 0.35f * sinf(1.7f * i);   /* ratios from ~0.7 to ~1.4: some clipped */
        ref[i] = lp[i] - 0.2f * cosf(0.9f * i);
        mask[i] = (i % N) < 2 + (i / N) ? 1.0f : 0.0f;
    }
    for (int agg = 0; agg < 3; agg++) {
        GrpoLossParams p = params(agg, 0.04f);
        GrpoLossStats st;
        grpo_loss(d, &st, lp, old, ref, adv, mask, B, N, &p);
        assert_true(st.clip_ratio > 0.0 && st.clip_ratio < 1.0);
        float tmp[B * N];
        for (int i = 0; i < B * N; i++) {
            const float h = 1e-3f;
            float x = lp[i];
            lp[i] = x + h;
            double up = grpo_loss(tmp, NULL, lp, old, ref, adv, mask, B, N, &p);
            lp[i] = x - h;
            double dn = grpo_loss(tmp, NULL, lp, old, ref, adv, mask, B, N, &p);
            lp[i] = x;
            double fd = (up - dn) / ((double)(x + h) - (double)(x - h)); /* the step as floats have it */
            double rho = exp((double)lp[i] - old[i]);
            if (fabs(rho - 0.8) < 2e-3 || fabs(rho - 1.2) < 2e-3) continue; /* kink of the clip: FD undefined */
            assert_float_equal(d[i], fd, 1e-4 + 1e-3 * fabs(fd));
        }
    }
}

/* Micro-batches given the batch's totals (batch_sequences, batch_tokens) add up to one call on the whole batch:
 * the same d loss / d logp row by row, and losses and statistics that sum to the whole batch's. */
static void test_micro_batches_add_up(void **state) {
    (void)state;
    enum { B = 7, N = 6 };
    float lp[B * N], old[B * N], ref[B * N], mask[B * N], d[B * N], dm[B * N], adv[B];
    double tokens = 0;
    for (int i = 0; i < B * N; i++) {
        lp[i] = -0.3f - 0.11f * (i % 5);
        old[i] = lp[i] + 0.3f * sinf(1.3f * i);
        ref[i] = lp[i] - 0.25f * cosf(0.7f * i);
        mask[i] = (i % N) < 1 + (i / N) % N ? 1.0f : 0.0f;
        tokens += mask[i];
    }
    for (int b = 0; b < B; b++) adv[b] = 0.9f * sinf(2.1f * b);
    for (int agg = 0; agg < 3; agg++) {
        GrpoLossParams p = params(agg, 0.04f);
        GrpoLossStats whole, part;
        double loss = grpo_loss(d, &whole, lp, old, ref, adv, mask, B, N, &p);
        GrpoLossParams pm = p;
        pm.batch_sequences = B;
        pm.batch_tokens = tokens;
        const int cuts[] = {0, 3, 4, 7}; /* micro-batches of 3, 1 and 3 rows */
        double sum = 0, policy = 0, kl = 0, clip = 0, ratio = 0;
        int n_tokens = 0;
        for (int k = 0; k < 3; k++) {
            int b0 = cuts[k], nb = cuts[k + 1] - b0;
            size_t o = (size_t)b0 * N;
            sum += grpo_loss(dm + o, &part, lp + o, old + o, ref + o, adv + b0, mask + o, nb, N, &pm);
            policy += part.policy_loss, kl += part.kl, clip += part.clip_ratio, ratio += part.ratio_mean;
            n_tokens += part.n_tokens;
        }
        assert_float_equal(sum, loss, 1e-9);
        assert_float_equal(policy, whole.policy_loss, 1e-9);
        assert_float_equal(kl, whole.kl, 1e-9);
        assert_float_equal(clip, whole.clip_ratio, 1e-9);
        assert_float_equal(ratio, whole.ratio_mean, 1e-9);
        assert_int_equal(n_tokens, whole.n_tokens);
        for (int i = 0; i < B * N; i++) assert_true(dm[i] == d[i]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advantages_scaled_and_unscaled),
        cmocka_unit_test(test_clip_inactive_and_active),
        cmocka_unit_test(test_kl_zero_when_policy_is_reference),
        cmocka_unit_test(test_identical_rewards_zero_gradient),
        cmocka_unit_test(test_aggregation_modes),
        cmocka_unit_test(test_gradient_matches_finite_differences),
        cmocka_unit_test(test_micro_batches_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
