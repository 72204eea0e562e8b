/* test_kernels.c - every backward kernel against central finite differences in double precision (the _f64
 * instantiation of the very source the float kernels come from), the float kernels against the double ones,
 * BLAS gemm against the naive reference, the decode attention against the full attention, the vectorised exp,
 * the thread pool, and the row scatter from all of its threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/kernels.h"
#include "core/rng.h"
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static Rng g_rng;

static void fill(double *x, size_t n, double scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * rng_normal(&g_rng);
}

/* Finite-difference harness: loss(ctx) = sum w * out after ctx's forward; the analytic gradient of each input is
 * the backward with dout = w. */
typedef double (*LossFn)(void *ctx);

static double g_worst;

/* entry i of x: the central difference of loss against analytic[i] */
static void fd_check_at(const char *what, LossFn loss, void *ctx, double *x, size_t i, const double *analytic) {
    const double h = 1e-5;
    double orig = x[i];
    x[i] = orig + h;
    double lp = loss(ctx);
    x[i] = orig - h;
    double lm = loss(ctx);
    x[i] = orig;
    double fd = (lp - lm) / (2 * h), a = analytic[i];
    double scale = fmax(fabs(a), fabs(fd));
    double err = fabs(a - fd) / fmax(scale, 1e-3); /* below 1e-3 the FD noise floor dominates */
    if (err > g_worst) g_worst = err;
    if (getenv("FD_VERBOSE") && err > 1e-8) printf("%s[%zu] a %.3e fd %.3e err %.2e\n", what, i, a, fd, err);
    if (err > 1e-6) {
        print_error("%s[%zu]: analytic %.12e, finite difference %.12e\n", what, i, a, fd);
        fail();
    }
}

static void fd_check(const char *what, LossFn loss, void *ctx, double *x, size_t n, const double *analytic) {
    size_t step = n > 400 ? n / 397 : 1; /* a spread sample of entries keeps large inputs quick */
    for (size_t i = 0; i < n; i += step) fd_check_at(what, loss, ctx, x, i, analytic);
}

static double wsum(const double *w, const double *out, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += w[i] * out[i];
    return s;
}

/* ------------------------------------------------------------------------------------------------- matmul */

typedef struct { int N, C, OC, ldo; double *inp, *w, *out, *dout; } MatmulCase;

static double matmul_loss(void *p) {
    MatmulCase *c = p;
    matmul_forward_f64(c->out, c->inp, c->w, c->N, c->C, c->OC, c->ldo);
    double s = 0;
    for (int n = 0; n < c->N; n++)
        for (int o = 0; o < c->OC; o++) s += c->dout[n * c->ldo + o] * c->out[n * c->ldo + o];
    return s;
}

static void test_matmul_grad(void **state) {
    (void)state;
    MatmulCase c = {7, 12, 9, 20, NULL, NULL, NULL, NULL};
    c.inp = malloc(sizeof(double) * c.N * c.C);
    c.w = malloc(sizeof(double) * c.OC * c.C);
    c.out = calloc(c.N * c.ldo, sizeof(double));
    c.dout = calloc(c.N * c.ldo, sizeof(double));
    fill(c.inp, c.N * c.C, 1);
    fill(c.w, c.OC * c.C, 1);
    fill(c.dout, c.N * c.ldo, 1);
    double *dinp = calloc(c.N * c.C, sizeof(double)), *dw = calloc(c.OC * c.C, sizeof(double));
    matmul_backward_f64(dinp, dw, c.dout, c.inp, c.w, c.N, c.C, c.OC, c.ldo);
    fd_check("matmul dinp", matmul_loss, &c, c.inp, c.N * c.C, dinp);
    fd_check("matmul dweight", matmul_loss, &c, c.w, c.OC * c.C, dw);
    /* accumulation: a second backward doubles the gradients */
    double keep = dw[5];
    matmul_backward_f64(dinp, dw, c.dout, c.inp, c.w, c.N, c.C, c.OC, c.ldo);
    assert_true(fabs(dw[5] - 2 * keep) < 1e-12 * fmax(1, fabs(keep)));
    free(c.inp), free(c.w), free(c.out), free(c.dout), free(dinp), free(dw);
}

/* all four transpose cases, beta 0 and not, strides wider than the matrices; columns beyond N must stay */
static void gemm_case(int M, int N, int K, int lda, int ldb, int ldc, float tol) {
    int mx = lda > ldb ? lda : ldb, rows = M > N ? M : N;
    rows = rows > K ? rows : K;
    size_t na = (size_t)rows * mx;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * na);
    float *C1 = malloc(sizeof(float) * M * ldc), *C2 = malloc(sizeof(float) * M * ldc);
    for (size_t i = 0; i < na; i++) A[i] = rng_normal(&g_rng), B[i] = rng_normal(&g_rng);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int bi = 0; bi < 2; bi++) {
                float beta = bi ? 0.5f : 0.0f;
                for (int i = 0; i < M * ldc; i++) C1[i] = C2[i] = rng_normal(&g_rng);
                matmul_gemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, beta, C1, ldc);
                matmul_gemm_ref(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, beta, C2, ldc);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < ldc; j++)
                        if (!(fabsf(C1[i * ldc + j] - C2[i * ldc + j]) < tol))
                            fail_msg("M %d N %d K %d ta %d tb %d beta %g: C[%d,%d] %g, reference %g", M, N, K, ta,
                                     tb, beta, i, j, C1[i * ldc + j], C2[i * ldc + j]);
            }
    free(A), free(B), free(C1), free(C2);
}

static void test_gemm_vs_reference(void **state) {
    (void)state;
    gemm_case(13, 11, 17, 40, 40, 30, 1e-4f);
    /* odd shapes, a long K, a wide N, and strides wider than the rows: the wrapper's lda/ldb/ldc handling */
    gemm_case(37, 45, 300, 310, 560, 50, 2e-3f);
    gemm_case(64, 530, 40, 560, 560, 540, 2e-4f);
    gemm_case(16, 16, 16, 16, 16, 16, 1e-4f);
}

/* -------------------------------------------------------------------------------------------------- encoder */

typedef struct { int N, C, V; int *tok; double *wte, *out, *w; } EncCase;

static double enc_loss(void *p) {
    EncCase *c = p;
    encoder_forward_f64(c->out, c->tok, c->wte, c->N, c->C);
    return wsum(c->w, c->out, (size_t)c->N * c->C);
}

static void test_encoder_grad(void **state) {
    (void)state;
    EncCase c = {9, 6, 5, NULL, NULL, NULL, NULL};
    int tok[9] = {0, 3, 3, 1, 4, 0, 2, 3, 4};
    c.tok = tok;
    c.wte = malloc(sizeof(double) * c.V * c.C);
    c.out = malloc(sizeof(double) * c.N * c.C);
    c.w = malloc(sizeof(double) * c.N * c.C);
    fill(c.wte, c.V * c.C, 1);
    fill(c.w, c.N * c.C, 1);
    double *d = calloc(c.V * c.C, sizeof(double));
    encoder_backward_f64(d, c.w, c.tok, c.N, c.C);
    fd_check("encoder dwte", enc_loss, &c, c.wte, c.V * c.C, d);
    free(c.wte), free(c.out), free(c.w), free(d);
}

/* -------------------------------------------------------------------------------------------------- rmsnorm */

typedef struct { int N, C; double *inp, *weight, *out, *rstd, *w; } RmsCase;

static double rms_loss(void *p) {
    RmsCase *c = p;
    rmsnorm_forward_f64(c->out, c->rstd, c->inp, c->weight, c->N, c->C, 1e-5);
    return wsum(c->w, c->out, (size_t)c->N * c->C);
}

static void test_rmsnorm_grad(void **state) {
    (void)state;
    RmsCase c = {5, 37, NULL, NULL, NULL, NULL, NULL}; /* C not a multiple of 16: exercises the lane tails */
    size_t n = (size_t)c.N * c.C;
    c.inp = malloc(sizeof(double) * n), c.out = malloc(sizeof(double) * n), c.w = malloc(sizeof(double) * n);
    c.weight = malloc(sizeof(double) * c.C), c.rstd = malloc(sizeof(double) * c.N);
    fill(c.inp, n, 1), fill(c.w, n, 1), fill(c.weight, c.C, 1);
    double *dinp = calloc(n, sizeof(double)), *dwt = calloc(c.C, sizeof(double));
    rms_loss(&c);
    rmsnorm_backward_f64(dinp, dwt, c.w, c.inp, c.weight, c.rstd, c.N, c.C);
    fd_check("rmsnorm dinp", rms_loss, &c, c.inp, n, dinp);
    fd_check("rmsnorm dweight", rms_loss, &c, c.weight, c.C, dwt);
    /* and the float kernel agrees with the double one */
    float *fi = malloc(sizeof(float) * n), *fo = malloc(sizeof(float) * n), *fw = malloc(sizeof(float) * c.C);
    for (size_t i = 0; i < n; i++) fi[i] = (float)c.inp[i];
    for (int i = 0; i < c.C; i++) fw[i] = (float)c.weight[i];
    rms_loss(&c);
    rmsnorm_forward(fo, NULL, fi, fw, c.N, c.C, 1e-5f);
    for (size_t i = 0; i < n; i++) assert_true(fabs(fo[i] - c.out[i]) < 1e-5 * (1 + fabs(c.out[i])));
    free(c.inp), free(c.out), free(c.w), free(c.weight), free(c.rstd), free(dinp), free(dwt), free(fi), free(fo),
        free(fw);
}

/* ----------------------------------------------------------------------------------------------------- rope */

typedef struct { int N, T, H, D, ld; double *x, *work, *cs, *sn, *w; } RopeCase;

static double rope_loss(void *p) {
    RopeCase *c = p;
    memcpy(c->work, c->x, sizeof(double) * c->N * c->ld);
    rope_forward_f64(c->work, c->cs, c->sn, NULL, c->N, c->T, c->H, c->D, c->ld);
    return wsum(c->w, c->work, (size_t)c->N * c->ld);
}

static void test_rope_grad(void **state) {
    (void)state;
    RopeCase c = {8, 4, 2, 6, 14, NULL, NULL, NULL, NULL, NULL}; /* 2 sequences of 4, 2 heads of 6, 2 spare columns per row */
    size_t n = (size_t)c.N * c.ld;
    c.x = malloc(sizeof(double) * n), c.work = malloc(sizeof(double) * n), c.w = malloc(sizeof(double) * n);
    c.cs = malloc(sizeof(double) * c.T * c.D / 2), c.sn = malloc(sizeof(double) * c.T * c.D / 2);
    for (int p = 0; p < c.T; p++)
        for (int i = 0; i < c.D / 2; i++) {
            double a = p * pow(10000.0, -2.0 * i / c.D);
            c.cs[p * c.D / 2 + i] = cos(a), c.sn[p * c.D / 2 + i] = sin(a);
        }
    fill(c.x, n, 1), fill(c.w, n, 1);
    double *d = malloc(sizeof(double) * n);
    memcpy(d, c.w, sizeof(double) * n);
    rope_backward_f64(d, c.cs, c.sn, NULL, c.N, c.T, c.H, c.D, c.ld);
    fd_check("rope dx", rope_loss, &c, c.x, n, d);
    /* rotate-half pairing by hand: position 1, head 0, pair (0, 3) */
    double a = c.x[1 * c.ld + 0], b = c.x[1 * c.ld + 3];
    rope_loss(&c);
    assert_true(fabs(c.work[1 * c.ld + 0] - (a * cos(1.0) - b * sin(1.0))) < 1e-12);
    assert_true(fabs(c.work[1 * c.ld + 3] - (a * sin(1.0) + b * cos(1.0))) < 1e-12);
    free(c.x), free(c.work), free(c.w), free(c.cs), free(c.sn), free(d);
}

/* ------------------------------------------------------------------------------------------------ attention */

typedef struct { int B, T, C, H; double *qkv, *out, *lse, *scratch, *w; } AttCase;

static double att_loss(void *p) {
    AttCase *c = p;
    attention_forward_f64(c->out, c->lse, c->scratch, c->qkv, c->B, c->T, c->H, c->H, c->C / c->H);
    return wsum(c->w, c->out, (size_t)c->B * c->T * c->C);
}

/* a direct O(T^2 D) implementation over the full softmax, the independent reference for the tiled one: out and
 * lse (B, H, T) */
static void att_naive(double *out, double *lse, const double *qkv, int B, int T, int C, int H) {
    int D = C / H;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++) {
                const double *q = qkv + ((size_t)b * T + t) * 3 * C + h * D;
                double s[256], mx = -1e300, z = 0;
                for (int u = 0; u <= t; u++) {
                    const double *k = qkv + ((size_t)b * T + u) * 3 * C + C + h * D;
                    s[u] = 0;
                    for (int d = 0; d < D; d++) s[u] += q[d] * k[d];
                    s[u] /= sqrt((double)D);
                    if (s[u] > mx) mx = s[u];
                }
                for (int u = 0; u <= t; u++) z += s[u] = exp(s[u] - mx);
                lse[((size_t)b * H + h) * T + t] = mx + log(z);
                double *o = out + ((size_t)b * T + t) * C + h * D;
                for (int d = 0; d < D; d++) {
                    o[d] = 0;
                    for (int u = 0; u <= t; u++) o[d] += s[u] / z * qkv[((size_t)b * T + u) * 3 * C + 2 * C + h * D + d];
                }
            }
}

static AttCase att_case(int B, int T, int C, int H) {
    AttCase c = {B, T, C, H, NULL, NULL, NULL, NULL, NULL};
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C;
    c.qkv = malloc(sizeof(double) * nq), c.out = malloc(sizeof(double) * no), c.w = malloc(sizeof(double) * no);
    c.lse = malloc(sizeof(double) * B * H * T), c.scratch = malloc(sizeof(double) * kernels_att_scratch(T, 1));
    fill(c.qkv, nq, 1), fill(c.w, no, 1);
    return c;
}

static void att_case_free(AttCase *c) { free(c->qkv), free(c->out), free(c->lse), free(c->scratch), free(c->w); }

/* T not a multiple of the tile (two tiles and a ragged third, three and a ragged fourth) */
static const int ATT_TS[] = {45, 70};

static void test_attention_forward_vs_naive(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof ATT_TS / sizeof *ATT_TS; k++) {
        AttCase c = att_case(2, ATT_TS[k], 16, 2);
        size_t no = (size_t)c.B * c.T * c.C, nl = (size_t)c.B * c.H * c.T;
        att_loss(&c);
        double *ref = malloc(sizeof(double) * no), *lse = malloc(sizeof(double) * nl);
        att_naive(ref, lse, c.qkv, c.B, c.T, c.C, c.H);
        for (size_t i = 0; i < no; i++) assert_true(fabs(ref[i] - c.out[i]) < 1e-12);
        for (size_t i = 0; i < nl; i++) assert_true(fabs(lse[i] - c.lse[i]) < 1e-12 * (1 + fabs(lse[i])));
        free(ref), free(lse);
        att_case_free(&c);
    }
}

/* d sum(out * R) / d q, k, v: a spread of entries of each (every head and channel), against central differences */
static void test_attention_grad(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof ATT_TS / sizeof *ATT_TS; k++) {
        AttCase c = att_case(2, ATT_TS[k], 16, 2);
        size_t nq = (size_t)c.B * c.T * 3 * c.C, rows = (size_t)c.B * c.T;
        double *d = malloc(sizeof(double) * nq);
        for (size_t i = 0; i < nq; i++) d[i] = 0.25; /* the backward accumulates */
        att_loss(&c);
        attention_backward_f64(d, c.scratch, c.w, c.qkv, c.out, c.lse, c.B, c.T, c.H, c.H, c.C / c.H);
        for (size_t i = 0; i < nq; i++) d[i] -= 0.25;
        static const char *what[3] = {"attention dq", "attention dk", "attention dv"};
        for (int part = 0; part < 3; part++) /* entry e = (row, channel), stride 7: prime to the row width */
            for (size_t e = (size_t)part; e < rows * c.C; e += 7) {
                size_t i = (e / c.C) * 3 * c.C + (size_t)part * c.C + e % c.C;
                fd_check_at(what[part], att_loss, &c, c.qkv, i, d);
            }
        free(d);
        att_case_free(&c);
    }
}

static void test_attention_decode_matches_full(void **state) {
    (void)state;
    int B = 3, T = 20, C = 16, H = 4, D = C / H, TM = 32;
    size_t nq = (size_t)B * T * 3 * C;
    float *qkv = malloc(sizeof(float) * nq), *out = malloc(sizeof(float) * B * T * C);
    float *lse = malloc(sizeof(float) * B * H * T), *fscratch = malloc(sizeof(float) * kernels_att_scratch(T, 0));
    for (size_t i = 0; i < nq; i++) qkv[i] = rng_normal(&g_rng);
    attention_forward(out, lse, fscratch, qkv, B, T, H, H, D);
    float *kt = calloc((size_t)B * H * D * TM, sizeof(float)), *v = calloc((size_t)B * H * TM * D, sizeof(float));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                for (int d = 0; d < D; d++) {
                    const float *row = qkv + ((size_t)b * T + t) * 3 * C;
                    kt[((size_t)b * H + h) * D * TM + ((size_t)(t / 16) * D + d) * 16 + t % 16] = row[C + h * D + d];
                    v[(((size_t)b * H + h) * TM + t) * D + d] = row[2 * C + h * D + d];
                }
    /* each sequence queried at a different position */
    int seq[3] = {2, 0, 1}, pos[3] = {19, 0, 7};
    float q[3 * 48], y[3 * 16], scratch[32];
    for (int n = 0; n < 3; n++) memcpy(q + n * 48, qkv + ((size_t)seq[n] * T + pos[n]) * 3 * C, sizeof(float) * C);
    attention_decode(y, NULL, scratch, q, 48, kt, v, seq, pos, NULL, NULL, 3, H, H, D, TM, 0);
    for (int n = 0; n < 3; n++)
        for (int c = 0; c < C; c++)
            assert_true(fabsf(y[n * C + c] - out[((size_t)seq[n] * T + pos[n]) * C + c]) < 1e-5f);
    /* recording: each row's log-sum-exp lands where attention_forward keeps it, and nothing else is written */
    float *rec = malloc(sizeof(float) * B * H * T), y2[3 * 16];
    for (size_t i = 0; i < (size_t)B * H * T; i++) rec[i] = NAN;
    attention_decode(y2, rec, scratch, q, 48, kt, v, seq, pos, NULL, NULL, 3, H, H, D, TM, T);
    assert_memory_equal(y, y2, sizeof y);
    int written = 0;
    for (size_t i = 0; i < (size_t)B * H * T; i++) written += !isnan(rec[i]);
    assert_int_equal(written, 3 * H);
    for (int n = 0; n < 3; n++)
        for (int h = 0; h < H; h++) {
            size_t i = ((size_t)seq[n] * H + h) * T + pos[n];
            assert_true(fabsf(rec[i] - lse[i]) < 1e-5f);
        }
    free(rec);
    /* a shared prompt: positions 0..8 of sequence 2 held by another cache row (3), its own copies poisoned */
    float *kt2 = calloc((size_t)(B + 1) * H * D * TM, sizeof(float));
    float *v2 = calloc((size_t)(B + 1) * H * TM * D, sizeof(float));
    memcpy(kt2, kt, sizeof(float) * B * H * D * TM);
    memcpy(v2, v, sizeof(float) * B * H * TM * D);
    for (int h = 0; h < H; h++)
        for (int t = 0; t < 9; t++)
            for (int d = 0; d < D; d++) {
                size_t kin = ((size_t)(t / 16) * D + d) * 16 + t % 16;
                size_t k2 = ((size_t)2 * H + h) * D * TM + kin, k3 = ((size_t)3 * H + h) * D * TM + kin;
                size_t v2i = (((size_t)2 * H + h) * TM + t) * D + d, v3 = (((size_t)3 * H + h) * TM + t) * D + d;
                kt2[k3] = kt2[k2], v2[v3] = v2[v2i];
                kt2[k2] = NAN, v2[v2i] = NAN;
            }
    int pre_seq[3] = {3, 0, 1}, pre_len[3] = {9, 0, 0};
    float y3[3 * 16];
    attention_decode(y3, NULL, scratch, q, 48, kt2, v2, seq, pos, pre_seq, pre_len, 3, H, H, D, TM, 0);
    for (int i = 0; i < 3 * C; i++) assert_true(fabsf(y3[i] - y[i]) < 1e-5f);
    free(kt2), free(v2);
    free(qkv), free(out), free(lse), free(fscratch), free(kt), free(v);
}

/* --------------------------------------------------------------------------------------------------- swiglu */

typedef struct { int N, F; double *gu, *out, *w; } SwiCase;

static double swi_loss(void *p) {
    SwiCase *c = p;
    swiglu_forward_f64(c->out, c->gu, c->N, c->F);
    return wsum(c->w, c->out, (size_t)c->N * c->F);
}

static void test_swiglu_grad(void **state) {
    (void)state;
    SwiCase c = {4, 19, NULL, NULL, NULL};
    size_t n = (size_t)c.N * c.F;
    c.gu = malloc(sizeof(double) * 2 * n), c.out = malloc(sizeof(double) * n), c.w = malloc(sizeof(double) * n);
    fill(c.gu, 2 * n, 2), fill(c.w, n, 1);
    double *d = calloc(2 * n, sizeof(double));
    swiglu_backward_f64(d, c.w, c.gu, c.N, c.F);
    fd_check("swiglu dgu", swi_loss, &c, c.gu, 2 * n, d);
    /* float kernel (polynomial exp) against the double one */
    float *fg = malloc(sizeof(float) * 2 * n), *fo = malloc(sizeof(float) * n);
    for (size_t i = 0; i < 2 * n; i++) fg[i] = (float)c.gu[i];
    swiglu_forward(fo, fg, c.N, c.F);
    swi_loss(&c);
    for (size_t i = 0; i < n; i++) assert_true(fabs(fo[i] - c.out[i]) < 1e-5 * (1 + fabs(c.out[i])));
    free(c.gu), free(c.out), free(c.w), free(d), free(fg), free(fo);
}

/* ------------------------------------------------------------------------------------------------- residual */

typedef struct { size_t n; double *a, *b, *out, *w; } ResCase;

static double res_loss(void *p) {
    ResCase *c = p;
    residual_forward_f64(c->out, c->a, c->b, c->n);
    return wsum(c->w, c->out, c->n);
}

static void test_residual_grad(void **state) {
    (void)state;
    ResCase c = {23, NULL, NULL, NULL, NULL};
    c.a = malloc(sizeof(double) * c.n), c.b = malloc(sizeof(double) * c.n), c.out = malloc(sizeof(double) * c.n);
    c.w = malloc(sizeof(double) * c.n);
    fill(c.a, c.n, 1), fill(c.b, c.n, 1), fill(c.w, c.n, 1);
    double *da = calloc(c.n, sizeof(double)), *db = calloc(c.n, sizeof(double));
    residual_backward_f64(da, db, c.w, c.n);
    fd_check("residual da", res_loss, &c, c.a, c.n, da);
    fd_check("residual db", res_loss, &c, c.b, c.n, db);
    free(c.a), free(c.b), free(c.out), free(c.w), free(da), free(db);
}

/* ------------------------------------------------------------------------------------------------- logprobs */

typedef struct { int N, V; int *tgt; double *logits, *logp, *lse, *w; } LpCase;

static double lp_loss(void *p) {
    LpCase *c = p;
    logprob_forward_f64(c->logp, NULL, c->lse, c->logits, c->tgt, c->N, c->V);
    return wsum(c->w, c->logp, c->N);
}

static void test_logprob_grad(void **state) {
    (void)state;
    LpCase c = {6, 21, NULL, NULL, NULL, NULL, NULL};
    int tgt[6] = {0, 20, 5, 5, 13, 2};
    c.tgt = tgt;
    c.logits = malloc(sizeof(double) * c.N * c.V), c.logp = malloc(sizeof(double) * c.N);
    c.lse = malloc(sizeof(double) * c.N), c.w = malloc(sizeof(double) * c.N);
    fill(c.logits, c.N * c.V, 2), fill(c.w, c.N, 1);
    c.w[3] = 0; /* a zero row is skipped and must stay zero */
    lp_loss(&c);
    double *d = calloc(c.N * c.V, sizeof(double));
    logprob_backward_f64(d, c.w, c.logits, c.lse, c.tgt, c.N, c.V);
    fd_check("logprob dlogits", lp_loss, &c, c.logits, c.N * c.V, d);
    /* hand check of one row: logp = z_t - log sum exp z, entropy = -sum p log p */
    double ent[6], mx = -1e300, z = 0, h = 0;
    logprob_forward_f64(c.logp, ent, c.lse, c.logits, c.tgt, c.N, c.V);
    for (int i = 0; i < c.V; i++) mx = fmax(mx, c.logits[c.V + i]);
    for (int i = 0; i < c.V; i++) z += exp(c.logits[c.V + i] - mx);
    for (int i = 0; i < c.V; i++) {
        double lp = c.logits[c.V + i] - mx - log(z);
        h -= exp(lp) * lp;
    }
    assert_true(fabs(c.logp[1] - (c.logits[c.V + 20] - mx - log(z))) < 1e-12);
    assert_true(fabs(ent[1] - h) < 1e-12);
    free(c.logits), free(c.logp), free(c.lse), free(c.w), free(d);
}

/* ------------------------------------------------------------------------------------------ exp and threads */

static void test_fast_exp(void **state) {
    (void)state;
    double worst = 0;
    for (float x = -80.0f; x < 80.0f; x += 0.0137f) {
        double e = fabs(kernels_expf(x) - exp((double)x)) / exp((double)x);
        if (e > worst) worst = e;
    }
    assert_true(worst < 2e-7);
    assert_true(kernels_expf(0.0f) == 1.0f);
    assert_true(kernels_expf(-INFINITY) < 1e-37f && kernels_expf(-INFINITY) >= 0.0f);
}

typedef struct { atomic_int hits[64]; atomic_int total; } PoolCase;

static void pool_task(void *ctx, int i) {
    PoolCase *c = ctx;
    atomic_fetch_add(&c->hits[i], 1);
    atomic_fetch_add(&c->total, 1);
}

static void test_pool_runs_every_task_once(void **state) {
    (void)state;
    for (int round = 0; round < 2000; round++) { /* many short rounds: no lost or repeated task */
        PoolCase c;
        memset(&c, 0, sizeof c);
        int n = 1 + round % 37;
        kernels_parallel(n, pool_task, &c);
        assert_int_equal(atomic_load(&c.total), n);
        for (int i = 0; i < n; i++) assert_int_equal(atomic_load(&c.hits[i]), 1);
    }
    assert_true(kernels_threads() >= 1);
}

/* kernels_worker: every task sees an index in [0, kernels_threads()), and two tasks running at the same time
 * (tasks 0 and 1 wait for each other, a second at most) see different ones: per-thread scratch is never shared. */
typedef struct { atomic_int arrived, both; int worker[64]; } WorkerCase;

static void worker_task(void *ctx, int i) {
    WorkerCase *c = ctx;
    if (i < 2) {
        atomic_fetch_add(&c->arrived, 1);
        for (int spin = 0; spin < 1000 && atomic_load(&c->arrived) < 2; spin++) usleep(1000);
        if (atomic_load(&c->arrived) == 2) atomic_fetch_add(&c->both, 1);
    }
    c->worker[i] = kernels_worker();
}

static void test_pool_worker_index(void **state) {
    (void)state;
    kernels_set_threads(2);
    WorkerCase c;
    memset(&c, 0, sizeof c);
    kernels_parallel(64, worker_task, &c);
    for (int i = 0; i < 64; i++) assert_true(c.worker[i] >= 0 && c.worker[i] < kernels_threads());
    if (atomic_load(&c.both) == 2) assert_int_not_equal(c.worker[0], c.worker[1]);
    assert_int_equal(kernels_worker(), 0); /* the caller, outside any task */
    kernels_set_threads(0);
}

/* kernels_scatter_rows from every pool thread at once, the way the model records activations: each task its own
 * rows of one aligned buffer (w a multiple of 16, where the CPU's streaming stores may be used). Rows land where
 * they belong; under ThreadSanitizer this is also the check that asking whether the CPU can stream is race-free. */
typedef struct { float *dst; const float *src; int w, rows_per_task; atomic_int arrived; } ScatterCase;

static void scatter_task(void *ctx, int i) {
    ScatterCase *c = ctx;
    if (i < 2) { /* tasks 0 and 1 wait for each other (a second at most): two threads scatter at the same time */
        atomic_fetch_add(&c->arrived, 1);
        for (int spin = 0; spin < 1000 && atomic_load(&c->arrived) < 2; spin++) usleep(1000);
    }
    size_t ridx[8];
    for (int r = 0; r < c->rows_per_task; r++) ridx[r] = (size_t)i * c->rows_per_task + (c->rows_per_task - 1 - r);
    kernels_scatter_rows(c->dst, c->w, c->src + (size_t)i * c->rows_per_task * c->w, ridx, c->rows_per_task);
}

static void test_scatter_rows_from_pool_threads(void **state) {
    (void)state;
    kernels_set_threads(2);
    enum { TASKS = 64, R = 8, W = 32 };
    float *dst = aligned_alloc(64, sizeof(float) * TASKS * R * W), *src = malloc(sizeof(float) * TASKS * R * W);
    for (int i = 0; i < TASKS * R * W; i++) src[i] = (float)i;
    ScatterCase c = {dst, src, W, R, 0};
    kernels_parallel(TASKS, scatter_task, &c);
    for (int t = 0; t < TASKS; t++)
        for (int r = 0; r < R; r++)   /* source row r of task t went to row R-1-r of the task's block */
            assert_memory_equal(dst + ((size_t)t * R + R - 1 - r) * W, src + ((size_t)t * R + r) * W,
                                sizeof(float) * W);
    free(dst), free(src);
    kernels_set_threads(0);
}

static int g_print_worst(void **state) {
    (void)state;
    printf("worst relative FD error over all kernel checks: %.2e\n", g_worst);
    return 0;
}

int main(void) {
    rng_seed(&g_rng, 1234, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_grad),
        cmocka_unit_test(test_gemm_vs_reference),
        cmocka_unit_test(test_encoder_grad),
        cmocka_unit_test(test_rmsnorm_grad),
        cmocka_unit_test(test_rope_grad),
        cmocka_unit_test(test_attention_forward_vs_naive),
        cmocka_unit_test(test_attention_grad),
        cmocka_unit_test(test_attention_decode_matches_full),
        cmocka_unit_test(test_swiglu_grad),
        cmocka_unit_test(test_residual_grad),
        cmocka_unit_test(test_logprob_grad),
        cmocka_unit_test(test_fast_exp),
        cmocka_unit_test(test_pool_runs_every_task_once),
        cmocka_unit_test(test_pool_worker_index),
        cmocka_unit_test(test_scatter_rows_from_pool_threads),
    };
    return cmocka_run_group_tests_name("kernels", tests, NULL, g_print_worst);
}
