/* test_bench.c - the benchmark's count of executed FLOPs (core/bench.h: bench_flops_executed): on small shapes
 * counted by hand, one inside a single attention tile and one across two; and against the engine itself, whose
 * every sgemm this test intercepts (cblas_sgemm is defined here, ahead of OpenBLAS's, and counts 2 M N K before
 * passing the call on), for a step with and without a recorded forward. No timing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cblas.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "core/bench.h"
#include "core/config.h"
#include "core/grpo.h"
#include "core/grpo_step.h"
#include "core/kernels.h"

/* ------------------------------------------------------------------------------- counting sgemm */

typedef void (*SgemmFn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                        float, const float *, blasint, const float *, blasint, float, float *, blasint);
static atomic_ullong g_gemm_flops;

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb,
                 const blasint M, const blasint N, const blasint K, const float alpha, const float *A,
                 const blasint lda, const float *B, const blasint ldb, const float beta, float *C, const blasint ldc) {
    static SgemmFn real_sgemm;
    if (!real_sgemm) real_sgemm = (SgemmFn)dlsym(RTLD_NEXT, "cblas_sgemm");
    if (!real_sgemm) abort(); /* pool threads call this: no cmocka assertion here */
    atomic_fetch_add(&g_gemm_flops, 2ull * (unsigned long long)M * N * K);
    real_sgemm(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

static double take_gemm_flops(void) { return (double)atomic_exchange(&g_gemm_flops, 0); }

/* -------------------------------------------------------------------------------------- by hand */

_Static_assert(KERNELS_ATT_TILE == 32, "the hand counts below assume attention tiles of 32 query rows");

/* C 4, H 2 (D 2), L 1, F 8, V 5, tied: a row through the layer's matmuls is q, k, v, o (4 x 16) + gate, up, down
 * (3 x 32) = 160 multiply-adds = 320 FLOPs; through the output layer 5 x 4 = 20 MACs = 40 FLOPs. Parameters:
 * wte 20 + attn_norm 4 + wq..wo 64 + mlp_norm 4 + gate, up, down 96 + norm 4 = 192, x 16 for the optimizer. */
static const ModelConfig HAND = {.V = 5, .C = 4, .L = 1, .H = 2, .F = 8, .max_T = 64, .rope_theta = 10000,
                                 .norm_eps = 1e-5f, .tied = 1};

/* B 2 rows sharing one prompt, P 3, N 2 (T 5): every attention a single tile.
 * generation: prefill of 1 row of 3 tokens: 3 x 320 = 960, attention per head 3x3 scores x D 2 and as many for
 *   P v, 2 x 18 MACs x 2 heads = 72 MACs = 144: 1104; the 2 rows' last-token logits 2 x 40 = 80; one decode step
 *   at position 3 (N - 1 = 1), 2 rows x (320 + 40 + attention over 4 positions: 2 heads x 2 x 4 x 2 = 32 MACs =
 *   64) = 848. Total 2032.
 * reference: 2 rows x (5 x 320 + attention 2 heads x 2 gemms x 5x5x2 = 200 MACs = 400) = 4000, log-probs' output
 *   layer on the 2 x N = 4 completion positions = 160. Total 4160. The policy forward the same, or 160 when
 *   recorded.
 * backward: matmuls 2 x 2 x 5 x 320 = 6400, attention 2 x (2 heads x 5 gemms x 50 MACs = 500 MACs = 1000) = 2000,
 *   output layer on the N 2 rows before each completion token: 4 rows x 3 x 40 = 480. Total 8880. */
static void test_hand_single_tile(void **state) {
    (void)state;
    BenchPhases f;
    bench_flops_executed(&HAND, 2, 1, 3, 2, 0, &f);
    assert_true(f.gen == 2032);
    assert_true(f.ref_fwd == 4160);
    assert_true(f.policy_fwd == 4160);
    assert_true(f.policy_bwd == 8880);
    assert_true(f.policy_fwd_bwd == 13040);
    assert_true(f.opt == 3072);
    assert_true(f.step == 2032 + 4160 + 13040 + 3072);
    bench_flops_executed(&HAND, 2, 1, 3, 2, 1, &f);
    assert_true(f.policy_fwd == 160);
    assert_true(f.policy_bwd == 8880);
    assert_true(f.gen == 2032 && f.ref_fwd == 4160);
}

/* B 2 rows sharing one prompt, P 40, N 8 (T 48): tiles of 32 query rows.
 * Tile areas (rows x keys): A(40) = 32x32 + 8x40 = 1344, A(48) = 32x32 + 16x48 = 1792 (not 48^2 = 2304).
 * generation: prefill 40 x 320 = 12800 + attention 2 gemms x 2 heads x D 2 x 1344 MACs x 2 = 21504: 34304; logits
 *   80; 7 decode steps at positions 40..46, 2 rows x (360 + 16 x (p + 1)): 2 x (7 x 360 + 16 x (41 + .. + 47 =
 *   308)) = 14896. Total 49280.
 * reference: 2 x (48 x 320 + 4 x 4 x 1792) = 2 x (15360 + 28672) = 88064, logits 16 rows x 40 = 640: 88704.
 * backward: 2 x (2 x 48 x 320 + 10 x 4 x 1792) = 2 x (30720 + 71680) = 204800, output layer 16 rows x 120 = 1920:
 *   206720. */
static void test_hand_tiles(void **state) {
    (void)state;
    BenchPhases f;
    bench_flops_executed(&HAND, 2, 1, 40, 8, 0, &f);
    assert_true(f.gen == 49280);
    assert_true(f.ref_fwd == 88704);
    assert_true(f.policy_fwd == 88704);
    assert_true(f.policy_bwd == 206720);
    bench_flops_executed(&HAND, 2, 1, 40, 8, 1, &f);
    assert_true(f.policy_fwd == 640);
    /* two distinct prompts: one more prefilled row of 40 tokens, nothing else changes */
    BenchPhases g;
    bench_flops_executed(&HAND, 2, 2, 40, 8, 1, &g);
    assert_true(g.gen == f.gen + 34304);
    assert_true(g.ref_fwd == f.ref_fwd && g.policy_bwd == f.policy_bwd);
}

/* ---------------------------------------------------------------------------- against the engine */

enum { EB = 6, EG = 3, EP = 21, EN = 19, ET = EP + EN };
static const ModelConfig ENG = {.V = 12, .C = 16, .L = 2, .H = 2, .F = 24, .max_T = 64, .rope_theta = 10000,
                                .norm_eps = 1e-5f, .tied = 1};
/* grouped-query attention with a head size other than C / H: 4 query heads and 2 key-value heads of 6 (H D 24,
 * KVH D 12, against C 16), q/k/v biases and q/k norms, as in the Hugging Face models */
static const ModelConfig ENG_GQA = {.V = 12, .C = 16, .L = 2, .H = 4, .n_kv_heads = 2, .head_dim = 6, .F = 24,
                                    .max_T = 64, .rope_theta = 10000, .norm_eps = 1e-5f, .tied = 0, .qkv_bias = 1,
                                    .qk_norm = 1};

/* One step of EB rows (EB / EG distinct prompts) through grpo_step, counting the sgemm FLOPs of generation and
 * of the update; budget_seqs: sequences the update's activations hold (EB: recorded, one micro-batch). */
static void engine_step(const ModelConfig *cfg, int budget_seqs, double *gen, double *update, int *recorded,
                        int *micro_batches) {
    Model policy, ref;
    assert_int_equal(model_init(&policy, cfg, 7), 0);
    assert_int_equal(model_init_frozen(&ref, cfg), 0);
    model_copy_params(&ref, &policy);
    AdamW opt;
    assert_int_equal(adamw_init(&opt, policy.n_params), 0);
    size_t budget = model_acts_bytes(cfg, (size_t)budget_seqs * ET, 1) + model_acts_token_bytes(cfg, 1) / 2;
    GrpoStep *s = grpo_step_new(cfg, budget);
    char err[256];
    assert_int_equal(grpo_step_reserve(s, EB, ET, err, sizeof err), 0);
    int prompts[EB * EP], plens[EB], out[EB * EN], out_lens[EB], finish[EB], seq[EB * ET];
    for (int b = 0; b < EB; b++) {
        for (int t = 0; t < EP; t++) prompts[b * EP + t] = ((b / EG) * 5 + t * 7 + 1) % cfg->V; /* per group */
        plens[b] = EP;
    }
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = EN, .eos_id = -1};
    take_gemm_flops();
    grpo_step_generate(s, &policy, &sp, 11, prompts, plens, EP, EB, out, out_lens, finish, NULL, NULL);
    *gen = take_gemm_flops();
    for (int b = 0; b < EB; b++) {
        assert_int_equal(out_lens[b], EN);
        memcpy(seq + b * ET, prompts + b * EP, sizeof(int) * EP);
        memcpy(seq + b * ET + EP, out + b * EN, sizeof(int) * EN);
    }
    /* every advantage nonzero, so every completion position has a nonzero dlogp */
    const float adv[EB] = {1.0f, -0.5f, -0.5f, 0.7f, -1.2f, 0.5f};
    GrpoUpdateParams up = {.loss = {.beta = 0.04f, .eps_low = 0.2f, .eps_high = 0.2f, .aggregation = AGG_SEQUENCE,
                                    .max_new_tokens = EN},
                           .iterations = 1, .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                           .weight_decay = 0.01f, .grad_clip = 1.0f};
    GrpoUpdateStats st;
    grpo_step_update(s, &policy, &ref, &opt, seq, plens, out_lens, adv, EB, ET, &up, &st);
    *update = take_gemm_flops();
    *recorded = st.recorded;
    *micro_batches = st.micro_batches;
    grpo_step_free(s);
    adamw_free(&opt);
    model_free(&policy);
    model_free(&ref);
}

/* The sgemm FLOPs of a real step equal the count's, less what runs outside sgemm: the decode steps' attention
 * (attention_decode's own loops) and the optimizer. For the plain shape and for grouped-query attention. */
static void check_engine_flops(const ModelConfig *cfg) {
    double decode_att = 0, width = (double)cfg->H * model_head_dim(cfg);
    for (int p = EP; p < EP + EN - 1; p++) decode_att += (double)EB * 4 * width * cfg->L * (p + 1);
    for (int k = 0; k < 2; k++) {
        double gen, update;
        int recorded, mb;
        engine_step(cfg, k == 0 ? EB : 2, &gen, &update, &recorded, &mb);
        assert_int_equal(recorded, k == 0);
        assert_int_equal(mb, k == 0 ? 1 : 3);
        BenchPhases f;
        bench_flops_executed(cfg, EB, EB / EG, EP, EN, recorded, &f);
        assert_true(gen == f.gen - decode_att);
        assert_true(update == f.ref_fwd + f.policy_fwd + f.policy_bwd);
    }
}

static void test_engine_sgemm_flops(void **state) {
    (void)state;
    check_engine_flops(&ENG);
}

static void test_engine_sgemm_flops_gqa(void **state) {
    (void)state;
    check_engine_flops(&ENG_GQA);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_single_tile),
        cmocka_unit_test(test_hand_tiles),
        cmocka_unit_test(test_engine_sgemm_flops),
        cmocka_unit_test(test_engine_sgemm_flops_gqa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
