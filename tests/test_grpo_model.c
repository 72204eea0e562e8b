/* test_grpo_model.c - the GRPO objective through the whole model, as the trainer computes it: sequences of
 * different prompt and completion lengths, right-padded; log-probs gathered at completion positions; d loss / d logp
 * scattered back; model_logprob_backward + model_backward. Checked against central differences of the same
 * pipeline, and by a small step along the gradient lowering the loss. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "core/grpo.h"
#include "core/model.h"

enum { B = 6, T = 14, N = 8, V = 12 };
static const int plen[B] = {4, 6, 5, 4, 6, 3};
static const int glen[B] = {8, 5, 7, 3, 8, 6};
static int seq[B * T];
static float adv[B] = {1.3f, -0.4f, 0.8f, -1.5f, 0.2f, -0.6f};
static float mask[B * N], lp_full[B * T], logp[B * N], old[B * N], ref[B * N], dlogp[B * N], dlp_full[B * T];

static void build(void) {
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) seq[b * T + t] = t < plen[b] + glen[b] ? (b * 7 + t * 3) % V : 0;
        for (int j = 0; j < N; j++) mask[b * N + j] = j < glen[b];
    }
}

static void gather(float *dst) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < N; j++) dst[b * N + j] = j < glen[b] ? lp_full[b * (T - 1) + plen[b] + j - 1] : 0.0f;
}

static const GrpoLossParams PRM = {.beta = 0.1f, .eps_low = 0.2f, .eps_high = 0.28f, .aggregation = AGG_SEQUENCE,
                                   .max_new_tokens = N};

static double loss_of(Model *m, ModelActs *a) {
    model_forward(m, a, seq, B, T);
    model_token_logprobs(a, seq, B, T, lp_full, NULL);
    gather(logp);
    return grpo_loss(dlogp, NULL, logp, old, ref, adv, mask, B, N, &PRM);
}

static void grads_of(Model *m, ModelActs *a) {
    loss_of(m, a);
    memset(dlp_full, 0, sizeof dlp_full);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < glen[b]; j++) dlp_full[b * (T - 1) + plen[b] + j - 1] = dlogp[b * N + j];
    model_zero_grad(m);
    model_logprob_backward(a, seq, dlp_full, B, T);
    model_backward(m, a, seq, B, T);
}

static void test_pipeline_gradient(void **state) {
    (void)state;
    build();
    ModelConfig mc = {.V = V, .C = 16, .L = 2, .H = 2, .F = 24, .max_T = 16, .rope_theta = 10000, .norm_eps = 1e-5f, .tied = 1};
    Model m;
    assert_int_equal(model_init(&m, &mc, 3), 0);
    for (size_t i = 0; i < m.n_params; i++) m.params_mem[i] += 0.2f * sinf(0.37f * i); /* away from a flat start */
    ModelActs *a = model_acts_new(&mc, B * T);
    assert_non_null(a);
    /* old and reference log-probs near the current ones, so ratios spread over the clip range */
    loss_of(&m, a);
    for (int i = 0; i < B * N; i++) { old[i] = logp[i] + 0.3f * sinf(1.3f * i); ref[i] = logp[i] - 0.2f * cosf(0.7f * i); }
    grads_of(&m, a);

    /* central differences on the 12 parameters with the largest gradients */
    int checked = 0;
    float *g = m.grads_mem;
    float *gcopy = malloc(sizeof(float) * m.n_params);
    memcpy(gcopy, g, sizeof(float) * m.n_params);
    for (int k = 0; k < 12; k++) {
        size_t best = 0;
        for (size_t i = 0; i < m.n_params; i++) if (fabsf(gcopy[i]) > fabsf(gcopy[best])) best = i;
        float an = gcopy[best];
        gcopy[best] = 0;
        float x = m.params_mem[best], h = 1e-3f;
        m.params_mem[best] = x + h;
        double up = loss_of(&m, a);
        m.params_mem[best] = x - h;
        double dn = loss_of(&m, a);
        m.params_mem[best] = x;
        double fd = (up - dn) / ((double)(x + h) - (double)(x - h));
        assert_float_equal(an, fd, 2e-2 * fabs(fd) + 1e-4);
        checked++;
    }
    assert_int_equal(checked, 12);

    /* a small step against the gradient lowers the loss */
    double before = loss_of(&m, a);
    grads_of(&m, a);
    for (size_t i = 0; i < m.n_params; i++) m.params_mem[i] -= 1e-2f * m.grads_mem[i];
    double after = loss_of(&m, a);
    assert_true(after < before);
    free(gcopy);
    model_acts_free(a);
    model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pipeline_gradient)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
