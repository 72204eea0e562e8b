/* kernels_tmpl.h - the kernels of kernels_api.h, written once over `real`. kernels.c includes this file twice:
 * real = float (KFN(x) = x, KEXP = the vectorisable kernels_expf, BLAS = sgemm) and real = double
 * (KFN(x) = x_f64, KEXP = exp, BLAS = dgemm). Loops are shaped so the compiler vectorises them without
 * fast-math: no floating-point reductions across the vectorised index except through fixed lane arrays
 * (KFN(dot)), axpy-style inner loops elsewhere. Not a header to include directly. */

/* 16 lanes of real (GCC vector extension): one AVX-512 register of floats, two of doubles. Used where the
 * auto-vectoriser would otherwise keep partial sums in scalar registers. Loads and stores are unaligned. */
typedef real KFN(vec16) __attribute__((vector_size(16 * sizeof(real))));

static inline KFN(vec16) KFN(vload)(const real *p) {
    KFN(vec16) v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void KFN(vstore)(real *p, KFN(vec16) v) { memcpy(p, &v, sizeof v); }

static inline real KFN(vhsum)(KFN(vec16) v) {
    real s = 0;
    for (int j = 0; j < 16; j++) s += v[j];
    return s;
}

/* sum a[i] * b[i] with 16 independent partial sums */
static inline real KFN(dot)(const real *restrict a, const real *restrict b, int n) {
    KFN(vec16) acc = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16) acc += KFN(vload)(a + i) * KFN(vload)(b + i);
    real s = 0;
    for (; i < n; i++) s += a[i] * b[i];
    return s + KFN(vhsum)(acc);
}

static inline real KFN(sum)(const real *restrict a, int n) {
    KFN(vec16) acc = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16) acc += KFN(vload)(a + i);
    real s = 0;
    for (; i < n; i++) s += a[i];
    return s + KFN(vhsum)(acc);
}

static inline real KFN(max)(const real *a, int n) {
    real m = a[0];
    int i = 0;
    if (n >= 16) {
        real lane[16];
        for (int j = 0; j < 16; j++) lane[j] = a[j];
        for (i = 16; i + 16 <= n; i += 16)
            for (int j = 0; j < 16; j++) lane[j] = a[i + j] > lane[j] ? a[i + j] : lane[j];
        for (int j = 0; j < 16; j++) m = lane[j] > m ? lane[j] : m;
    }
    for (; i < n; i++) m = a[i] > m ? a[i] : m;
    return m;
}

/* in place: x[0..n) = exp(x - max) / sum, n >= 1; returns log sum exp x (the attention backward's lse) */
static inline real KFN(softmax_lse)(real *restrict x, int n) {
    real mx = KFN(max)(x, n);
    for (int i = 0; i < n; i++) x[i] = KEXP(x[i] - mx);
    real z = KFN(sum)(x, n), inv = (real)1 / z;
    for (int i = 0; i < n; i++) x[i] *= inv;
    return mx + (real)log(z);
}

/* ---------------------------------------------------------------------------------------------------- matmul */

void KFN(matmul_gemm_ref)(int trans_a, int trans_b, int M, int N, int K, real alpha, const real *A, int lda,
                          const real *B, int ldb, real beta, real *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double acc = 0;
            for (int k = 0; k < K; k++) {
                double a = trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                double b = trans_b ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                acc += a * b;
            }
            real *c = &C[(size_t)i * ldc + j];
            *c = (real)(alpha * acc + (beta == 0 ? 0 : beta * *c));
        }
}

void KFN(matmul_gemm)(int trans_a, int trans_b, int M, int N, int K, real alpha, const real *A, int lda,
                      const real *B, int ldb, real beta, real *C, int ldc) {
    assert(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0) return;
    if (K == 0) { /* BLAS would leave C untouched for beta == 1 and scale otherwise: match that exactly */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * C[(size_t)i * ldc + j];
        return;
    }
    if (g_reference_gemm) {
        KFN(matmul_gemm_ref)(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    BLAS_GEMM(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
              alpha, A, lda, B, ldb, beta, C, ldc);
}

void KFN(matmul_forward)(real *out, const real *inp, const real *weight, int N, int C, int OC, int ldo) {
    KFN(matmul_gemm)(0, 1, N, OC, C, 1, inp, C, weight, C, 0, out, ldo);
}

void KFN(matmul_backward)(real *dinp, real *dweight, const real *dout, const real *inp, const real *weight,
                          int N, int C, int OC, int ldo) {
    if (dinp) KFN(matmul_gemm)(0, 0, N, C, OC, 1, dout, ldo, weight, C, 1, dinp, C);
    if (dweight) KFN(matmul_gemm)(1, 0, OC, C, N, 1, dout, ldo, inp, C, 1, dweight, C);
}

/* ------------------------------------------------------------------------------------------------- embedding */

void KFN(encoder_forward)(real *out, const int *tokens, const real *wte, int N, int C) {
    for (int n = 0; n < N; n++) memcpy(out + (size_t)n * C, wte + (size_t)tokens[n] * C, sizeof(real) * C);
}

void KFN(encoder_backward)(real *dwte, const real *dout, const int *tokens, int N, int C) {
    for (int n = 0; n < N; n++) {
        real *restrict d = dwte + (size_t)tokens[n] * C;
        const real *restrict g = dout + (size_t)n * C;
        for (int c = 0; c < C; c++) d[c] += g[c];
    }
}

/* --------------------------------------------------------------------------------------------------- rmsnorm */

void KFN(rmsnorm_forward)(real *out, real *rstd, const real *inp, const real *weight, int N, int C, real eps) {
    for (int n = 0; n < N; n++) {
        const real *restrict x = inp + (size_t)n * C;
        real *restrict o = out + (size_t)n * C;
        real r = (real)1 / (real)sqrt(KFN(dot)(x, x, C) / C + eps);
        for (int c = 0; c < C; c++) o[c] = x[c] * r * weight[c];
        if (rstd) rstd[n] = r;
    }
}

/* y = x r w, r = (mean x^2 + eps)^-1/2:  dx = r (w dy) - r^3/C x sum(w dy x);  dw += dy x r */
void KFN(rmsnorm_backward)(real *dinp, real *dweight, const real *dout, const real *inp, const real *weight,
                           const real *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const real *restrict x = inp + (size_t)n * C;
        const real *restrict dy = dout + (size_t)n * C;
        real *restrict dx = dinp + (size_t)n * C;
        real r = rstd[n];
        KFN(vec16) acc = {0};
        real s = 0;
        int c = 0;
        for (; c + 16 <= C; c += 16) acc += KFN(vload)(weight + c) * KFN(vload)(dy + c) * KFN(vload)(x + c);
        for (; c < C; c++) s += weight[c] * dy[c] * x[c];
        s += KFN(vhsum)(acc);
        real k = s * r * r * r / C;
        for (c = 0; c < C; c++) dx[c] += r * weight[c] * dy[c] - k * x[c];
        if (dweight)
            for (c = 0; c < C; c++) dweight[c] += dy[c] * x[c] * r;
    }
}

/* ------------------------------------------------------------------------------------------------------ rope */

static void KFN(rope_apply)(real *x, const real *cos_tab, const real *sin_tab, const int *pos, int N, int T,
                            int H, int D, int ld, real sign) {
    int half = D / 2;
    for (int n = 0; n < N; n++) {
        int p = pos ? pos[n] : n % T;
        const real *restrict cs = cos_tab + (size_t)p * half;
        const real *restrict sn = sin_tab + (size_t)p * half;
        for (int h = 0; h < H; h++) {
            real *restrict x1 = x + (size_t)n * ld + h * D;
            real *restrict x2 = x1 + half;
            for (int i = 0; i < half; i++) {
                real a = x1[i], b = x2[i], s = sign * sn[i];
                x1[i] = a * cs[i] - b * s;
                x2[i] = a * s + b * cs[i];
            }
        }
    }
}

void KFN(rope_forward)(real *x, const real *cos_tab, const real *sin_tab, const int *pos, int N, int T, int H,
                       int D, int ld) {
    KFN(rope_apply)(x, cos_tab, sin_tab, pos, N, T, H, D, ld, 1);
}

void KFN(rope_backward)(real *dx, const real *cos_tab, const real *sin_tab, const int *pos, int N, int T, int H,
                        int D, int ld) {
    KFN(rope_apply)(dx, cos_tab, sin_tab, pos, N, T, H, D, ld, -1);
}

/* ------------------------------------------------------------------------------------------------- attention */

/* Query rows are processed in tiles of ATT_TILE (kernels.h); a tile attends to keys [0, tile end), so work
 * above the diagonal is limited to the diagonal tiles: 5/8 of the full square at T = 128. A tile's scores live
 * in scratch, (m, r1) with row stride r1, and only each row's log-sum-exp outlives it. */
#define ATT_TILE KERNELS_ATT_TILE

void KFN(attention_forward)(real *out, real *lse, real *scratch, const real *qkv, int B, int T, int H, int KVH,
                            int D) {
    int Q = H * D, QKV = (H + 2 * KVH) * D, G = H / KVH;
    real scale = (real)1 / (real)sqrt((double)D);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const real *row = qkv + (size_t)b * T * QKV, *q = row + h * D;
            const real *k = row + Q + (h / G) * D, *v = row + Q + KVH * D + (h / G) * D;
            real *l = lse + ((size_t)b * H + h) * T;
            real *y = out + (size_t)b * T * Q + h * D;
            for (int r0 = 0; r0 < T; r0 += ATT_TILE) {
                int r1 = r0 + ATT_TILE < T ? r0 + ATT_TILE : T, m = r1 - r0;
                real *P = scratch;
                KFN(matmul_gemm)(0, 1, m, r1, D, scale, q + (size_t)r0 * QKV, QKV, k, QKV, 0, P, r1);
                for (int t = r0; t < r1; t++) {
                    real *row_p = P + (size_t)(t - r0) * r1;
                    l[t] = KFN(softmax_lse)(row_p, t + 1);
                    for (int s = t + 1; s < r1; s++) row_p[s] = 0;
                }
                KFN(matmul_gemm)(0, 0, m, D, r1, 1, P, r1, v, QKV, 0, y + (size_t)r0 * Q, Q);
            }
        }
}

void KFN(attention_backward)(real *dqkv, real *scratch, const real *dout, const real *qkv, const real *out,
                             const real *lse, int B, int T, int H, int KVH, int D) {
    int Q = H * D, QKV = (H + 2 * KVH) * D, G = H / KVH;
    real scale = (real)1 / (real)sqrt((double)D);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            size_t kvo = (size_t)Q + (size_t)(h / G) * D, vo = kvo + (size_t)KVH * D;
            const real *row = qkv + (size_t)b * T * QKV, *q = row + h * D, *k = row + kvo, *v = row + vo;
            real *drow = dqkv + (size_t)b * T * QKV, *dq = drow + h * D, *dk = drow + kvo, *dv = drow + vo;
            const real *l = lse + ((size_t)b * H + h) * T;
            const real *y = out + (size_t)b * T * Q + h * D, *dy = dout + (size_t)b * T * Q + h * D;
            for (int r0 = 0; r0 < T; r0 += ATT_TILE) {
                int r1 = r0 + ATT_TILE < T ? r0 + ATT_TILE : T, m = r1 - r0;
                real *P = scratch, *dS = scratch + (size_t)ATT_TILE * T; /* both (m, r1) */
                /* the forward's probabilities again: P = exp(S - lse), zero above the diagonal */
                KFN(matmul_gemm)(0, 1, m, r1, D, scale, q + (size_t)r0 * QKV, QKV, k, QKV, 0, P, r1);
                for (int t = r0; t < r1; t++) {
                    real *restrict p = P + (size_t)(t - r0) * r1;
                    real lt = l[t];
                    for (int j = 0; j <= t; j++) p[j] = KEXP(p[j] - lt);
                    for (int j = t + 1; j < r1; j++) p[j] = 0;
                }
                /* dP = dy v^T (into dS), dv += P^T dy */
                KFN(matmul_gemm)(0, 1, m, r1, D, 1, dy + (size_t)r0 * Q, Q, v, QKV, 0, dS, r1);
                KFN(matmul_gemm)(1, 0, r1, D, m, 1, P, r1, dy + (size_t)r0 * Q, Q, 1, dv, QKV);
                /* softmax backward: dS = P (dP - delta) * scale with delta_t = sum_s P dP = dy_t . y_t */
                for (int t = r0; t < r1; t++) {
                    const real *restrict p = P + (size_t)(t - r0) * r1;
                    real *restrict g = dS + (size_t)(t - r0) * r1;
                    real delta = KFN(dot)(dy + (size_t)t * Q, y + (size_t)t * Q, D);
                    for (int j = 0; j <= t; j++) g[j] = p[j] * (g[j] - delta) * scale;
                    for (int j = t + 1; j < r1; j++) g[j] = 0;
                }
                /* dq += dS k, dk += dS^T q (heads sharing a key/value head add into the same dk, dv) */
                KFN(matmul_gemm)(0, 0, m, D, r1, 1, dS, r1, k, QKV, 1, dq + (size_t)r0 * QKV, QKV);
                KFN(matmul_gemm)(1, 0, r1, D, m, 1, dS, r1, q + (size_t)r0 * QKV, QKV, 1, dk, QKV);
            }
        }
}

/* sc[s] = scale * q . k_s for s in [s0, s1); kh holds blocks of 16 positions, each D rows of 16 lanes. Whole
 * blocks are computed (four at a time where they lie inside the range), and only lanes in [s0, s1) are kept: the
 * others read slots of the cache whose values are dropped. Except with `shared` (kh is the row of a prompt that
 * other rows share), where the block the range ends in is read only up to s1: its later positions are that row's
 * own new tokens, which the task decoding it may be writing at the same time. Independent accumulators hide FMA
 * latency. */
static inline void KFN(decode_scores)(real *restrict sc, const real *qh, const real *kh, int s0, int s1, int D,
                                      real scale, int shared) {
    int blk = s0 / 16, end = (s1 + 15) / 16;
    while (blk < end) {
        int s = blk * 16;
        if (s >= s0 && s + 64 <= s1) {
            KFN(vec16) a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            const real *k0 = kh + (size_t)blk * D * 16, *k1 = k0 + D * 16, *k2 = k1 + D * 16, *k3 = k2 + D * 16;
            for (int d = 0; d < D; d++) {
                real qd = qh[d];
                a0 += qd * KFN(vload)(k0 + d * 16);
                a1 += qd * KFN(vload)(k1 + d * 16);
                a2 += qd * KFN(vload)(k2 + d * 16);
                a3 += qd * KFN(vload)(k3 + d * 16);
            }
            KFN(vstore)(sc + s, a0 * scale);
            KFN(vstore)(sc + s + 16, a1 * scale);
            KFN(vstore)(sc + s + 32, a2 * scale);
            KFN(vstore)(sc + s + 48, a3 * scale);
            blk += 4;
            continue;
        }
        const real *k0 = kh + (size_t)blk * D * 16;
        if (!shared || s + 16 <= s1) {
            KFN(vec16) a0 = {0}, a1 = {0};
            int d = 0;
            for (; d + 2 <= D; d += 2) {
                a0 += qh[d] * KFN(vload)(k0 + d * 16);
                a1 += qh[d + 1] * KFN(vload)(k0 + (d + 1) * 16);
            }
            for (; d < D; d++) a0 += qh[d] * KFN(vload)(k0 + d * 16);
            a0 = (a0 + a1) * scale;
            if (s >= s0 && s + 16 <= s1) {
                KFN(vstore)(sc + s, a0);
            } else {
                real lane[16];
                KFN(vstore)(lane, a0);
                for (int i = s < s0 ? s0 - s : 0; i < 16 && s + i < s1; i++) sc[s + i] = lane[i];
            }
        } else {
            /* the same sums in the same order as the whole-block path, lane by lane */
            int i0 = s < s0 ? s0 - s : 0, i1 = s1 - s < 16 ? s1 - s : 16;
            real a0[16], a1[16];
            for (int i = i0; i < i1; i++) a0[i] = a1[i] = 0;
            int d = 0;
            for (; d + 2 <= D; d += 2)
                for (int i = i0; i < i1; i++) {
                    a0[i] += qh[d] * k0[d * 16 + i];
                    a1[i] += qh[d + 1] * k0[(d + 1) * 16 + i];
                }
            for (; d < D; d++)
                for (int i = i0; i < i1; i++) a0[i] += qh[d] * k0[d * 16 + i];
            for (int i = i0; i < i1; i++) sc[s + i] = (a0[i] + a1[i]) * scale;
        }
        blk++;
    }
}

/* decode_pv for D = 16 nv (nv <= 4): one pass over the rows of V, every head dimension in registers */
static inline __attribute__((always_inline)) void KFN(decode_pv_rows)(real *restrict y, const real *p,
                                                                      const real *vh, int t0, int t1, int D,
                                                                      int nv, int add) {
    KFN(vec16) a[4] = {{0}}, b[4] = {{0}};
    int t = t0;
    for (; t + 2 <= t1; t += 2) {
        const real *v0 = vh + (size_t)t * D, *v1 = v0 + D;
        for (int j = 0; j < nv; j++) {
            a[j] += p[t] * KFN(vload)(v0 + 16 * j);
            b[j] += p[t + 1] * KFN(vload)(v1 + 16 * j);
        }
    }
    for (; t < t1; t++)
        for (int j = 0; j < nv; j++) a[j] += p[t] * KFN(vload)(vh + (size_t)t * D + 16 * j);
    for (int j = 0; j < nv; j++) {
        KFN(vec16) r = a[j] + b[j];
        if (add) r += KFN(vload)(y + 16 * j);
        KFN(vstore)(y + 16 * j, r);
    }
}

/* y (D) = (add ? y : 0) + sum over t in [t0, t1) of p[t] v_t; vh is (max_T, D) */
static inline void KFN(decode_pv)(real *restrict y, const real *p, const real *vh, int t0, int t1, int D, int add) {
    switch (D) { /* whole rows of V at once: a row is two or more cache lines, read once */
    case 16: KFN(decode_pv_rows)(y, p, vh, t0, t1, D, 1, add); return;
    case 32: KFN(decode_pv_rows)(y, p, vh, t0, t1, D, 2, add); return;
    case 48: KFN(decode_pv_rows)(y, p, vh, t0, t1, D, 3, add); return;
    case 64: KFN(decode_pv_rows)(y, p, vh, t0, t1, D, 4, add); return;
    }
    int d0 = 0;
    for (; d0 + 16 <= D; d0 += 16) {
        KFN(vec16) a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        const real *vd = vh + d0;
        int t = t0;
        for (; t + 4 <= t1; t += 4) {
            a0 += p[t] * KFN(vload)(vd + (size_t)t * D);
            a1 += p[t + 1] * KFN(vload)(vd + (size_t)(t + 1) * D);
            a2 += p[t + 2] * KFN(vload)(vd + (size_t)(t + 2) * D);
            a3 += p[t + 3] * KFN(vload)(vd + (size_t)(t + 3) * D);
        }
        for (; t < t1; t++) a0 += p[t] * KFN(vload)(vd + (size_t)t * D);
        KFN(vec16) r = (a0 + a1) + (a2 + a3);
        if (add) r += KFN(vload)(y + d0);
        KFN(vstore)(y + d0, r);
    }
    for (; d0 < D; d0++) {
        real a = 0;
        for (int t = t0; t < t1; t++) a += p[t] * vh[(size_t)t * D + d0];
        y[d0] = add ? y[d0] + a : a;
    }
}

void KFN(attention_decode)(real *out, real *lse, real *scratch, const real *q, int ldq, const real *kt,
                           const real *v, const int *seq, const int *pos, const int *pre_seq, const int *pre_len,
                           int N, int H, int KVH, int D, int max_T, int T_att) {
    int G = H / KVH;
    real scale = (real)1 / (real)sqrt((double)D);
    assert(max_T % 16 == 0);
    for (int n = 0; n < N; n++) {
        int b = seq[n], np = pos[n] + 1;
        /* positions below split come from the cache row that holds the shared prompt */
        int b0 = pre_seq ? pre_seq[n] : b, split = pre_seq ? (pre_len[n] < np ? pre_len[n] : np) : 0;
        for (int h = 0; h < H; h++) {
            int g = h / G;
            const real *qh = q + (size_t)n * ldq + h * D;
            const real *kh = kt + ((size_t)b * KVH + g) * D * max_T, *kh0 = kt + ((size_t)b0 * KVH + g) * D * max_T;
            const real *vh = v + ((size_t)b * KVH + g) * max_T * D, *vh0 = v + ((size_t)b0 * KVH + g) * max_T * D;
            real *restrict sc = scratch;
            KFN(decode_scores)(sc, qh, kh0, 0, split, D, scale, b0 != b);
            KFN(decode_scores)(sc, qh, kh, split, np, D, scale, 0);
            real l = KFN(softmax_lse)(sc, np);
            if (lse) lse[((size_t)b * H + h) * T_att + np - 1] = l;
            real *restrict y = out + (size_t)n * H * D + h * D;
            KFN(decode_pv)(y, sc, vh0, 0, split, D, 0);
            KFN(decode_pv)(y, sc, vh, split, np, D, 1);
        }
    }
}

/* ---------------------------------------------------------------------------------------------------- swiglu */

void KFN(swiglu_forward)(real *out, const real *gu, int N, int F) {
    for (int n = 0; n < N; n++) {
        const real *restrict g = gu + (size_t)n * 2 * F, *restrict u = g + F;
        real *restrict o = out + (size_t)n * F;
        for (int i = 0; i < F; i++) o[i] = g[i] / (1 + KEXP(-g[i])) * u[i];
    }
}

/* silu(g) = g s(g), silu'(g) = s(g) (1 + g (1 - s(g))) */
void KFN(swiglu_backward)(real *dgu, const real *dout, const real *gu, int N, int F) {
    for (int n = 0; n < N; n++) {
        const real *restrict g = gu + (size_t)n * 2 * F, *restrict u = g + F;
        real *restrict dg = dgu + (size_t)n * 2 * F, *restrict du = dg + F;
        const real *restrict dy = dout + (size_t)n * F;
        for (int i = 0; i < F; i++) {
            real s = 1 / (1 + KEXP(-g[i]));
            dg[i] += dy[i] * u[i] * s * (1 + g[i] * (1 - s));
            du[i] += dy[i] * g[i] * s;
        }
    }
}

/* -------------------------------------------------------------------------------------------------- residual */

void KFN(residual_forward)(real *out, const real *a, const real *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void KFN(residual_backward)(real *da, real *db, const real *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

/* ------------------------------------------------------------------------------------------ output logprobs */

void KFN(logprob_forward)(real *logp, real *entropy, real *lse, const real *logits, const int *targets, int N,
                          int V) {
    for (int n = 0; n < N; n++) {
        const real *restrict z = logits + (size_t)n * V;
        real mx = KFN(max)(z, V);
        real acc[16] = {0}, accz[16] = {0}, s = 0, sz = 0;
        int i = 0;
        for (; i + 16 <= V; i += 16)
            for (int j = 0; j < 16; j++) {
                real e = KEXP(z[i + j] - mx);
                acc[j] += e;
                accz[j] += e * (z[i + j] - mx);
            }
        for (; i < V; i++) {
            real e = KEXP(z[i] - mx);
            s += e;
            sz += e * (z[i] - mx);
        }
        for (int j = 0; j < 16; j++) {
            s += acc[j];
            sz += accz[j];
        }
        real l = mx + (real)log(s);
        lse[n] = l;
        if (logp && targets) logp[n] = z[targets[n]] - l;
        if (entropy) entropy[n] = (real)log(s) - sz / s; /* -sum p log p with log p = z - mx - log s */
    }
}

void KFN(logprob_backward)(real *dlogits, const real *dlogp, const real *logits, const real *lse,
                           const int *targets, int N, int V) {
    for (int n = 0; n < N; n++) {
        real g = dlogp[n];
        if (g == 0) continue;
        const real *restrict z = logits + (size_t)n * V;
        real *restrict d = dlogits + (size_t)n * V;
        real l = lse[n];
        for (int i = 0; i < V; i++) d[i] -= g * KEXP(z[i] - l);
        d[targets[n]] += g;
    }
}
