/* test_model.c - the whole model: against an independent PyTorch implementation (fixture made by
 * tests/fixtures/make_model_fixture.py), against central finite differences in double precision (the double
 * twin runs the same source as the float model), float against double, BLAS against the naive gemm, thread
 * counts against each other, and KV-cache decoding (right-padded prefill of prompts of different lengths, each
 * row decoding at its own position) against the full forward. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/kernels.h"
#include "core/model.h"
#include "core/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ModelConfig small_cfg(int V, int C, int L, int H, int F, int max_T) {
    ModelConfig c = {.V = V, .C = C, .L = L, .H = H, .F = F, .max_T = max_T, .rope_theta = 10000.0f,
                     .norm_eps = 1e-5f, .tied = 1};
    return c;
}

/* The Hugging Face families' features at once: grouped-query attention (KVH heads), a head size apart from C / H,
 * q/k/v biases (Qwen2), per-head q/k norms (Qwen3), llama3 rope scaling with an original context short enough
 * that the rewrite touches low, middle and high frequencies, and an untied output layer. */
static ModelConfig hf_cfg(int V, int C, int L, int H, int KVH, int D, int F, int max_T) {
    ModelConfig c = small_cfg(V, C, L, H, F, max_T);
    c.n_kv_heads = KVH, c.head_dim = D, c.qkv_bias = 1, c.qk_norm = 1, c.tied = 0;
    c.rope_type = MODEL_ROPE_LLAMA3, c.rope_factor = 8, c.rope_low_freq_factor = 1, c.rope_high_freq_factor = 4;
    c.rope_original_max_T = 16;
    return c;
}

/* perturb the init so norms are not all ones and signals are large enough to exercise every path */
static void randomise(Model *m, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 7);
    for (size_t i = 0; i < m->n_params; i++) m->params_mem[i] = 0.3f * rng_normal(&r);
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(m, i, &ti); i++)
        if (ti.ndim == 1)
            for (size_t k = 0; k < ti.numel; k++) ti.data[k] = 1.0f + 0.2f * rng_normal(&r);
}

static void random_tokens(int *tok, size_t n, int V, uint64_t seed) {
    Rng r;
    rng_seed(&r, seed, 3);
    for (size_t i = 0; i < n; i++) tok[i] = (int)rng_below(&r, V);
}

/* The logits of rows 0 .. n-1 of the last forward, (n, V), through model_logits_rows (malloc'd). */
static int *all_rows(int n) {
    int *rows = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) rows[i] = i;
    return rows;
}

static float *all_logits(ModelActs *a, int n, int V) {
    int *rows = all_rows(n);
    float *out = malloc(sizeof(float) * n * V);
    model_logits_rows(a, rows, n, out);
    free(rows);
    return out;
}

static double *all_logits_f64(ModelActsF64 *a, int n, int V) {
    int *rows = all_rows(n);
    double *out = malloc(sizeof(double) * n * V);
    model_f64_logits_rows(a, rows, n, out);
    free(rows);
    return out;
}

/* ----------------------------------------------------------------------------------- PyTorch reference */

typedef struct {
    int V, C, L, H, F, B, T;
    int *tokens;
    double *weights, *w, *logits, *logp, *grads;
    size_t n_params;
} Fixture;

static int read_fixture(Fixture *fx) {
    memset(fx, 0, sizeof *fx);
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/model_ref.bin", GRPO_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char magic[8];
    int hdr[7];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "GRPOFX01", 8) || fread(hdr, sizeof(int), 7, f) != 7) {
        fclose(f);
        return -1;
    }
    fx->V = hdr[0], fx->C = hdr[1], fx->L = hdr[2], fx->H = hdr[3], fx->F = hdr[4], fx->B = hdr[5], fx->T = hdr[6];
    size_t BT = (size_t)fx->B * fx->T, C = fx->C, F = fx->F;
    fx->n_params = fx->V * C + fx->L * (2 * C + 4 * C * C + 3 * F * C) + C;
    fx->tokens = malloc(BT * sizeof(int));
    fx->weights = malloc(fx->n_params * sizeof(double));
    fx->w = malloc(fx->B * (fx->T - 1) * sizeof(double));
    fx->logits = malloc(BT * fx->V * sizeof(double));
    fx->logp = malloc(fx->B * (fx->T - 1) * sizeof(double));
    fx->grads = malloc(fx->n_params * sizeof(double));
    int ok = fread(fx->tokens, sizeof(int), BT, f) == BT &&
             fread(fx->weights, sizeof(double), fx->n_params, f) == fx->n_params &&
             fread(fx->w, sizeof(double), fx->B * (fx->T - 1), f) == (size_t)fx->B * (fx->T - 1) &&
             fread(fx->logits, sizeof(double), BT * fx->V, f) == BT * fx->V &&
             fread(fx->logp, sizeof(double), fx->B * (fx->T - 1), f) == (size_t)fx->B * (fx->T - 1) &&
             fread(fx->grads, sizeof(double), fx->n_params, f) == fx->n_params;
    fclose(f);
    return ok ? 0 : -1;
}

static void free_fixture(Fixture *fx) {
    free(fx->tokens), free(fx->weights), free(fx->w), free(fx->logits), free(fx->logp), free(fx->grads);
}

typedef struct {
    ModelF64 *m;
    ModelActsF64 *a;
    const int *tok;
    const double *w;
    double *logp, *ent;
    int B, T;
} FdCase;

static double fd_loss(FdCase *c) {
    model_f64_forward(c->m, c->a, c->tok, c->B, c->T);
    model_f64_token_logprobs(c->a, c->tok, c->B, c->T, c->logp, c->ent);
    double s = 0;
    for (int i = 0; i < c->B * (c->T - 1); i++) s += c->w[i] * c->logp[i];
    return s;
}

static void test_matches_pytorch(void **state) {
    (void)state;
    Fixture fx;
    assert_int_equal(read_fixture(&fx), 0);
    ModelConfig cfg = small_cfg(fx.V, fx.C, fx.L, fx.H, fx.F, 32);
    Model m;
    assert_int_equal(model_init(&m, &cfg, 1), 0);
    assert_int_equal(m.n_params, fx.n_params);
    /* the fixture lists tensors in model_tensor_info order; perm maps its index to the index in params_mem */
    size_t off = 0, *perm = malloc(sizeof(size_t) * fx.n_params);
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(&m, i, &ti); i++)
        for (size_t k = 0; k < ti.numel; k++) {
            perm[off] = (size_t)(ti.data - m.params_mem) + k;
            ti.data[k] = (float)fx.weights[off++];
        }
    assert_int_equal(off, fx.n_params);
    int B = fx.B, T = fx.T, V = fx.V;

    /* float model */
    ModelActs *a = model_acts_new(&cfg, (size_t)B * T);
    float *logp = malloc(sizeof(float) * B * (T - 1)), *w = malloc(sizeof(float) * B * (T - 1));
    for (int i = 0; i < B * (T - 1); i++) w[i] = (float)fx.w[i];
    model_forward(&m, a, fx.tokens, B, T);
    float *lg = all_logits(a, B * T, V);
    double lerr = 0;
    for (int i = 0; i < B * T * V; i++) lerr = fmax(lerr, fabs(lg[i] - fx.logits[i]));
    for (int i = 0; i < B * T * V; i++) assert_true(fabs(lg[i] - fx.logits[i]) < 1e-4 * (1 + fabs(fx.logits[i])));
    model_token_logprobs(a, fx.tokens, B, T, logp, NULL);
    for (int i = 0; i < B * (T - 1); i++) assert_true(fabs(logp[i] - fx.logp[i]) < 1e-4);
    model_zero_grad(&m);
    model_logprob_backward(a, fx.tokens, w, B, T);
    model_backward(&m, a, fx.tokens, B, T);
    double gmax = 0;
    for (size_t i = 0; i < fx.n_params; i++) gmax = fmax(gmax, fabs(fx.grads[i]));
    double gerr = 0;
    for (size_t i = 0; i < fx.n_params; i++) gerr = fmax(gerr, fabs(m.grads_mem[perm[i]] - fx.grads[i]));
    printf("  float model vs PyTorch: max |logit diff| %.1e, max |grad diff| %.1e (max |grad| %.1e)\n", lerr, gerr,
           gmax);
    assert_true(gerr < 1e-4 * gmax);

    /* double twin: agreement to rounding */
    ModelF64 md;
    assert_int_equal(model_f64_init(&md, &m), 0);
    ModelActsF64 *ad = model_f64_acts_new(&cfg, (size_t)B * T);
    double *logpd = malloc(sizeof(double) * B * (T - 1));
    model_f64_forward(&md, ad, fx.tokens, B, T);
    double *lgd = all_logits_f64(ad, B * T, V);
    for (int i = 0; i < B * T * V; i++) assert_true(fabs(lgd[i] - fx.logits[i]) < 1e-10 * (1 + fabs(fx.logits[i])));
    model_f64_token_logprobs(ad, fx.tokens, B, T, logpd, NULL);
    for (int i = 0; i < B * (T - 1); i++) assert_true(fabs(logpd[i] - fx.logp[i]) < 1e-10);
    model_f64_logprob_backward(ad, fx.tokens, fx.w, B, T);
    model_f64_backward(&md, ad, fx.tokens, B, T);
    for (size_t i = 0; i < fx.n_params; i++) assert_true(fabs(md.grads_mem[perm[i]] - fx.grads[i]) < 1e-10 * gmax);

    model_f64_acts_free(ad);
    model_f64_free(&md);
    model_acts_free(a);
    model_free(&m);
    free(logp), free(w), free(logpd), free(perm), free(lg), free(lgd);
    free_fixture(&fx);
}

/* ------------------------------------------------------------------------- finite differences, whole model */

/* Which positions get a nonzero d loss / d logp: every one but every fifth (pattern 0), or (pattern 1) the way
 * GRPO weighs them - a completion after the prompt, nothing on padding - with rows of very different extent:
 * row 0 only [30, 40), row 1 [5, T-1), rows 2.. all but every third, so that a task's active rows fill a chunk
 * of the output layer (MODEL_OUT_ROWS) and spill into a partial one. */
static int fd_active(int pattern, int b, int t, int T) {
    if (pattern == 0) return (b * (T - 1) + t) % 5 != 0;
    if (b == 0) return t >= 30 && t < 40;
    if (b == 1) return t >= 5;
    return t % 3 != 1;
}

static void fd_model(const ModelConfig *cfg, int B, int T, int threads, int pattern) {
    kernels_set_threads(threads);
    Model m;
    assert_int_equal(model_init(&m, cfg, 5), 0);
    randomise(&m, 11);
    ModelF64 md;
    assert_int_equal(model_f64_init(&md, &m), 0);
    ModelActsF64 *a = model_f64_acts_new(cfg, (size_t)B * T);
    int *tok = malloc(sizeof(int) * B * T);
    random_tokens(tok, (size_t)B * T, cfg->V, 2);
    double *w = malloc(sizeof(double) * B * (T - 1)), *logp = malloc(sizeof(double) * B * (T - 1));
    Rng r;
    rng_seed(&r, 9, 0);
    for (int i = 0; i < B * (T - 1); i++) w[i] = fd_active(pattern, i / (T - 1), i % (T - 1), T) ? rng_normal(&r) : 0;
    FdCase c = {&md, a, tok, w, logp, NULL, B, T};
    fd_loss(&c);
    model_f64_logprob_backward(a, tok, w, B, T);
    memset(md.grads_mem, 0, md.n_params * sizeof(double));
    model_f64_backward(&md, a, tok, B, T);

    /* a spread of entries of every tensor */
    ModelTensorInfo ti;
    double worst = 0;
    int checked = 0;
    for (int i = 0; model_tensor_info(&m, i, &ti); i++) {
        size_t base = (size_t)(ti.data - m.params_mem);
        size_t step = ti.numel > 12 ? ti.numel / 12 : 1;
        for (size_t k = (size_t)i % step; k < ti.numel; k += step) {
            /* five-point central difference: truncation error ~h^4, so h can stay large enough that rounding in
             * the loss (~1e-16 * |loss| / h) is far below the 1e-6 bar too, whatever the build's arithmetic */
            double *p = &md.params_mem[base + k], orig = *p, h = 1e-4, f[4];
            const double at[4] = {-2, -1, 1, 2};
            for (int q = 0; q < 4; q++) {
                *p = orig + at[q] * h;
                f[q] = fd_loss(&c);
            }
            *p = orig;
            double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h), an = md.grads_mem[base + k];
            double err = fabs(fd - an) / fmax(fmax(fabs(fd), fabs(an)), 1e-3);
            if (err > worst) worst = err;
            if (err > 1e-6) print_error("%s[%zu]: analytic %.10e fd %.10e\n", ti.name, k, an, fd);
            checked++;
        }
    }
    printf("  whole-model FD (B %d T %d threads %d pattern %d): %d entries, worst relative error %.2e\n", B, T,
           threads, pattern, checked, worst);
    assert_true(worst < 1e-6);
    free(tok), free(w), free(logp);
    model_f64_acts_free(a);
    model_f64_free(&md);
    model_free(&m);
}

static void test_fd_whole_model(void **state) {
    (void)state;
    ModelConfig cfg = small_cfg(11, 16, 2, 2, 24, 48);
    fd_model(&cfg, 3, 35, 2, 0); /* T spans two attention tiles; 3 sequences over 2 threads */
    /* 135 rows: chunks of the output layer (64 rows) end inside sequences; only some rows carry a gradient */
    fd_model(&cfg, 3, 45, 1, 1);
    fd_model(&cfg, 3, 45, 2, 1);
    cfg.tied = 0; /* untied output layer */
    fd_model(&cfg, 2, 6, 1, 0);
    /* GQA (4 query heads over 2 key/value heads), D 6 != C/H, biases, q/k norms, llama3 rope */
    ModelConfig hf = hf_cfg(11, 16, 2, 4, 2, 6, 24, 48);
    fd_model(&hf, 3, 35, 2, 0);
    hf.qk_norm = 0, hf.n_kv_heads = 1, hf.head_dim = 0; /* biases alone, one key/value head (multi-query) */
    fd_model(&hf, 2, 20, 1, 1);
    hf.qkv_bias = 0, hf.qk_norm = 1, hf.n_kv_heads = 4, hf.rope_type = MODEL_ROPE_DEFAULT; /* norms alone */
    fd_model(&hf, 2, 20, 2, 0);
    kernels_set_threads(0);
}

/* ----------------------------------------------------------------------- float vs double, BLAS vs naive */

static void run_float(const Model *m, ModelActs *a, const int *tok, const float *w, int B, int T, float *logits_out,
                      float *grads_out) {
    model_forward(m, a, tok, B, T);
    float *lg = all_logits(a, B * T, m->cfg.V);
    memcpy(logits_out, lg, sizeof(float) * B * T * m->cfg.V);
    free(lg);
    float *logp = malloc(sizeof(float) * B * (T - 1));
    model_token_logprobs(a, tok, B, T, logp, NULL);
    model_zero_grad((Model *)m);
    model_logprob_backward(a, tok, w, B, T);
    model_backward((Model *)m, a, tok, B, T);
    memcpy(grads_out, m->grads_mem, sizeof(float) * m->n_params);
    free(logp);
}

static void test_float_paths_agree(void **state) {
    (void)state;
    ModelConfig cfg = small_cfg(17, 32, 2, 4, 40, 64);
    int B = 5, T = 45;
    Model m;
    assert_int_equal(model_init(&m, &cfg, 21), 0);
    randomise(&m, 4);
    int *tok = malloc(sizeof(int) * B * T);
    random_tokens(tok, (size_t)B * T, cfg.V, 8);
    float *w = malloc(sizeof(float) * B * (T - 1));
    for (int i = 0; i < B * (T - 1); i++) w[i] = (float)((i % 7) - 3) / 3.0f;
    size_t nl = (size_t)B * T * cfg.V;
    float *l1 = malloc(sizeof(float) * nl), *l2 = malloc(sizeof(float) * nl), *l3 = malloc(sizeof(float) * nl);
    float *g1 = malloc(sizeof(float) * m.n_params), *g2 = malloc(sizeof(float) * m.n_params);
    float *g3 = malloc(sizeof(float) * m.n_params);

    kernels_set_threads(2);
    ModelActs *a = model_acts_new(&cfg, (size_t)B * T);
    run_float(&m, a, tok, w, B, T, l1, g1);
    kernels_use_reference_gemm(1);
    run_float(&m, a, tok, w, B, T, l2, g2);
    kernels_use_reference_gemm(0);
    model_acts_free(a);
    kernels_set_threads(1);
    a = model_acts_new(&cfg, (size_t)B * T);
    run_float(&m, a, tok, w, B, T, l3, g3);
    model_acts_free(a);
    kernels_set_threads(0);

    double gmax = 0;
    for (size_t i = 0; i < m.n_params; i++) gmax = fmax(gmax, fabs(g1[i]));
    for (size_t i = 0; i < nl; i++) {
        assert_true(fabsf(l1[i] - l2[i]) < 1e-4f * (1 + fabsf(l1[i])));
        assert_true(fabsf(l1[i] - l3[i]) < 1e-5f * (1 + fabsf(l1[i])));
    }
    for (size_t i = 0; i < m.n_params; i++) {
        assert_true(fabs(g1[i] - g2[i]) < 1e-4 * gmax);
        assert_true(fabs(g1[i] - g3[i]) < 1e-5 * gmax);
    }

    /* and the double twin */
    ModelF64 md;
    assert_int_equal(model_f64_init(&md, &m), 0);
    ModelActsF64 *ad = model_f64_acts_new(&cfg, (size_t)B * T);
    model_f64_forward(&md, ad, tok, B, T);
    double *ld = all_logits_f64(ad, B * T, cfg.V);
    for (size_t i = 0; i < nl; i++) assert_true(fabs(l1[i] - ld[i]) < 1e-4 * (1 + fabs(ld[i])));
    free(ld);
    model_f64_acts_free(ad);
    model_f64_free(&md);

    /* inference activations give the same logits as training ones */
    ModelActs *ai = model_acts_new_inference(&cfg, (size_t)B * T);
    model_forward(&m, ai, tok, B, T);
    float *li = all_logits(ai, B * T, cfg.V);
    for (size_t i = 0; i < nl; i++) assert_true(fabsf(l1[i] - li[i]) < 1e-5f * (1 + fabsf(l1[i])));
    free(li);
    float *lpa = malloc(sizeof(float) * B * (T - 1)), *ent = malloc(sizeof(float) * B * (T - 1));
    model_token_logprobs(ai, tok, B, T, lpa, ent);
    for (int i = 0; i < B * (T - 1); i++) assert_true(lpa[i] <= 0 && ent[i] >= 0 && ent[i] <= logf(cfg.V) + 1e-4f);
    model_acts_free(ai);

    free(tok), free(w), free(l1), free(l2), free(l3), free(g1), free(g2), free(g3), free(lpa), free(ent);
    model_free(&m);
}

/* ------------------------------------------------------------------ output layer in chunks, token capacity */

/* Log-probs and entropies computed a chunk of rows at a time (model_token_logprobs) against a log-softmax of the
 * logits of every row (model_logits_rows), for shapes whose sequences end on either side of a chunk boundary
 * (MODEL_OUT_ROWS = 64: T 13 puts a sequence's last row first in a chunk, T 65 one row past it), with one set of
 * training activations of a fixed token capacity serving every shape, and inference activations too. */
static void test_chunked_logprobs(void **state) {
    (void)state;
    ModelConfig cfg = small_cfg(29, 32, 2, 4, 40, 80);
    Model m;
    assert_int_equal(model_init(&m, &cfg, 8), 0);
    randomise(&m, 2);
    enum { CAP = 200 };
    static const int shapes[][2] = {{7, 13}, {1, 64}, {3, 65}, {3, 45}, {1, 2}, {15, 13}, {2, 80}, {100, 2}};
    int tok[CAP];
    float lp[CAP], ent[CAP], lpi[CAP], enti[CAP];
    for (int threads = 1; threads <= 2; threads++) {
        kernels_set_threads(threads);
        ModelActs *a = model_acts_new(&cfg, CAP), *ai = model_acts_new_inference(&cfg, CAP);
        assert_non_null(a);
        assert_non_null(ai);
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            int B = shapes[k][0], T = shapes[k][1], V = cfg.V;
            assert_true(B * T <= CAP);
            random_tokens(tok, (size_t)B * T, V, 40 + k);
            model_forward(&m, a, tok, B, T);
            model_token_logprobs(a, tok, B, T, lp, ent);
            model_forward(&m, ai, tok, B, T);
            model_token_logprobs(ai, tok, B, T, lpi, enti);
            float *lg = all_logits(a, B * T, V);
            double worst = 0;
            for (int b = 0; b < B; b++)
                for (int t = 0; t + 1 < T; t++) {
                    const float *z = lg + ((size_t)b * T + t) * V;
                    double mx = z[0], s = 0, sz = 0;
                    for (int v = 1; v < V; v++) mx = fmax(mx, z[v]);
                    for (int v = 0; v < V; v++) s += exp(z[v] - mx);
                    for (int v = 0; v < V; v++) sz += exp(z[v] - mx) / s * (z[v] - mx - log(s));
                    int i = b * (T - 1) + t;
                    double want = z[tok[b * T + t + 1]] - mx - log(s);
                    worst = fmax(worst, fabs(lp[i] - want));
                    worst = fmax(worst, fabs(ent[i] + sz));
                    worst = fmax(worst, fabs(lpi[i] - lp[i]));
                    worst = fmax(worst, fabs(enti[i] - ent[i]));
                }
            if (!(worst < 1e-4)) fail_msg("B %d T %d threads %d: max |difference| %g", B, T, threads, worst);
            /* a few rows in any order, repeated: each is its row of the full set */
            int rows[5] = {B * T - 1, 0, (B * T) / 2, B * T - 1, T - 1};
            float some[5 * 29];
            model_logits_rows(a, rows, 5, some);
            for (int i = 0; i < 5; i++)
                for (int v = 0; v < V; v++)
                    assert_true(fabsf(some[i * V + v] - lg[(size_t)rows[i] * V + v]) <
                                1e-5f * (1 + fabsf(some[i * V + v])));
            /* chosen positions only (a completion's): the same values there, nothing written elsewhere */
            int pos[CAP], np = 0;
            for (int r = 0; r < B * T; r++)
                if (r % T < T - 1 && (r * 7 + k) % 3 != 0) pos[np++] = r;
            float lpr[CAP], entr[CAP];
            for (int i = 0; i < CAP; i++) lpr[i] = entr[i] = -12345.0f;
            model_token_logprobs_rows(ai, tok, B, T, pos, np, lpr, entr);
            int chosen[CAP] = {0};
            for (int i = 0; i < np; i++) chosen[pos[i] / T * (T - 1) + pos[i] % T] = 1;
            for (int i = 0; i < B * (T - 1); i++) {
                if (!chosen[i]) {
                    assert_true(lpr[i] == -12345.0f && entr[i] == -12345.0f);
                    continue;
                }
                if (!(fabsf(lpr[i] - lpi[i]) < 1e-5f && fabsf(entr[i] - enti[i]) < 1e-5f))
                    fail_msg("rows: B %d T %d position %d: %g %g against %g %g", B, T, i, lpr[i], entr[i], lpi[i],
                             enti[i]);
            }
            free(lg);
        }
        model_acts_free(a);
        model_acts_free(ai);
    }
    kernels_set_threads(0);
    model_free(&m);
}

/* The sizes of activations sized by tokens: exactly a fixed part plus a cost per token (up to the rounding of
 * allocations to 64 bytes below 2 MiB, 2 MiB above), no cost per token that grows with the vocabulary (logits
 * exist only for a chunk of rows), and training costing more than inference. */
static void test_acts_token_bytes(void **state) {
    (void)state;
    kernels_set_threads(2);
    ModelConfig cfg = small_cfg(40, 128, 4, 4, 384, 256);
    for (int train = 0; train <= 1; train++) {
        size_t base = model_acts_bytes(&cfg, 0, train), per = model_acts_token_bytes(&cfg, train);
        static const size_t caps[] = {1, 3, 64, 1000, 12345, 64 * 256};
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            size_t n = caps[k], got = model_acts_bytes(&cfg, n, train), lin = base + n * per;
            /* the fixed part alone may already be rounded up to whole huge pages */
            size_t slack = lin >= ((size_t)1 << 21) ? (size_t)1 << 21 : 64;
            if (!(got + slack > lin && got < lin + slack))
                fail_msg("train %d, %zu tokens: %zu bytes, fixed %zu + %zu per token", train, n, got, base, per);
        }
        ModelConfig big = cfg;
        big.V = 50000;
        assert_int_equal(model_acts_token_bytes(&big, train), per);
    }
    assert_true(model_acts_token_bytes(&cfg, 1) > model_acts_token_bytes(&cfg, 0));
    /* the per-token cost of training: every layer's C, 3C, 2F, F wide rows and one attention log-sum-exp per head,
     * plus the backward's scratch rows, a few scalars and the recording's two ints */
    size_t C = 128, F = 384, L = 4, H = 4;
    size_t want = ((L + 1) * C + L * (C + 3 * C + H + C + C + C + 2 * F + F) + C + (C + C + C + 3 * C + 2 * F + F) +
                   2 * L + 3) * sizeof(float) + 2 * sizeof(int);
    assert_int_equal(model_acts_token_bytes(&cfg, 1), want);
    printf("  tiny (V 40, max_T 256): %zu bytes per token of training activations, %zu of inference\n",
           model_acts_token_bytes(&cfg, 1), model_acts_token_bytes(&cfg, 0));
    kernels_set_threads(0);
}

/* -------------------------------------------------------------------------------------------- KV cache */

static void kv_decode_case(const ModelConfig *cfgp) {
    ModelConfig cfg = *cfgp;
    Model m;
    assert_int_equal(model_init(&m, &cfg, 3), 0);
    randomise(&m, 5);
    enum { B = 5, T = 50 };
    int lens[B] = {3, 17, 1, 33, 9}, Pmax = 33;
    int *seq = malloc(sizeof(int) * B * T);
    random_tokens(seq, (size_t)B * T, cfg.V, 77);
    ModelActs *a = model_acts_new_inference(&cfg, (size_t)B * T);
    model_forward(&m, a, seq, B, T);
    float *full = all_logits(a, B * T, cfg.V);

    ModelKV *kv = model_kv_new(&cfg, B, T);
    int *prompt = malloc(sizeof(int) * B * Pmax);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < Pmax; t++) prompt[b * Pmax + t] = t < lens[b] ? seq[b * T + t] : -1; /* odd padding */
    float logits[B * 23];
    model_prefill(&m, kv, prompt, lens, B, Pmax, logits);
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int v = 0; v < cfg.V; v++)
            worst = fmax(worst, fabs(logits[b * cfg.V + v] - full[((size_t)b * T + lens[b] - 1) * cfg.V + v]));
    /* decode every row at its own position; rows pause now and then (active = 0) and catch up later */
    int pos[B], tok[B], active[B], next[B];
    for (int b = 0; b < B; b++) next[b] = lens[b];
    for (int step = 0; step < 80; step++) {
        int any = 0;
        for (int b = 0; b < B; b++) {
            active[b] = next[b] < T && (step + b) % 4 != 0;
            pos[b] = next[b];
            tok[b] = active[b] ? seq[b * T + next[b]] : 0;
            any |= active[b];
        }
        if (!any) continue;
        memset(logits, 0, sizeof logits);
        model_decode(&m, kv, tok, pos, active, B, logits);
        for (int b = 0; b < B; b++) {
            if (!active[b]) continue;
            for (int v = 0; v < cfg.V; v++)
                worst = fmax(worst, fabs(logits[b * cfg.V + v] - full[((size_t)b * T + pos[b]) * cfg.V + v]));
            next[b]++;
        }
    }
    for (int b = 0; b < B; b++) assert_int_equal(next[b], T);
    printf("  KV-cache decode vs full forward: max |logit difference| %.2e\n", worst);
    assert_true(worst < 1e-4);
    free(seq), free(prompt), free(full);
    model_kv_free(kv);
    model_acts_free(a);
    model_free(&m);
}

static void test_kv_decode_matches_forward(void **state) {
    (void)state;
    ModelConfig cfg = small_cfg(23, 32, 3, 4, 48, 64);
    kv_decode_case(&cfg);
    ModelConfig hf = hf_cfg(23, 32, 3, 4, 2, 12, 48, 64); /* GQA, D 12, biases, q/k norms, llama3 rope */
    kv_decode_case(&hf);
    hf.n_kv_heads = 1, hf.head_dim = 16, hf.qk_norm = 0; /* multi-query, D 16 (the decode's vector path) */
    kv_decode_case(&hf);
}

/* ----------------------------------------------------------------------------------------- parameters */

static void test_tensor_info_and_init(void **state) {
    (void)state;
    ModelConfig cfg = {.V = 64, .max_T = 256};
    assert_int_equal(model_preset(&cfg, "tiny"), 0);
    assert_int_equal(model_preset(&cfg, "huge"), -1);
    Model m;
    assert_int_equal(model_init(&m, &cfg, 42), 0);
    ModelTensorInfo ti;
    size_t total = 0;
    int n = 0;
    double s2 = 0;
    size_t nmat = 0;
    for (; model_tensor_info(&m, n, &ti); n++) {
        total += ti.numel;
        if (ti.ndim == 1)
            for (size_t k = 0; k < ti.numel; k++) assert_true(ti.data[k] == 1.0f);
        else
            for (size_t k = 0; k < ti.numel; k++) s2 += (double)ti.data[k] * ti.data[k], nmat++;
    }
    assert_int_equal(n, 1 + 9 * 4 + 1);
    assert_int_equal(total, m.n_params);
    assert_true(fabs(sqrt(s2 / nmat) - 0.02) < 0.001);
    assert_true(model_tensor_info(&m, 0, &ti) && !strcmp(ti.name, "model.embed_tokens.weight"));
    assert_true(model_tensor_info(&m, 2, &ti) && !strcmp(ti.name, "model.layers.0.self_attn.q_proj.weight"));
    assert_true(model_tensor_info(&m, 9, &ti) && !strcmp(ti.name, "model.layers.0.mlp.down_proj.weight") &&
                ti.shape[0] == 128 && ti.shape[1] == 384);
    assert_true(model_tensor_info(&m, 37, &ti) && !strcmp(ti.name, "model.norm.weight"));
    assert_true(m.params.lm_head == m.params.wte && m.grads.lm_head == m.grads.wte);
    Model m2;
    assert_int_equal(model_init(&m2, &cfg, 43), 0);
    assert_true(memcmp(m.params_mem, m2.params_mem, m.n_params * sizeof(float)) != 0);
    model_copy_params(&m2, &m);
    assert_true(memcmp(m.params_mem, m2.params_mem, m.n_params * sizeof(float)) == 0);
    model_free(&m2);
    model_free(&m);
    model_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_info_and_init),
        cmocka_unit_test(test_matches_pytorch),
        cmocka_unit_test(test_fd_whole_model),
        cmocka_unit_test(test_float_paths_agree),
        cmocka_unit_test(test_chunked_logprobs),
        cmocka_unit_test(test_acts_token_bytes),
        cmocka_unit_test(test_kv_decode_matches_forward),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
