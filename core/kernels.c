/* kernels.c - instantiates the kernels of kernels_tmpl.h for float and double, and runs the thread pool that
 * the model splits batches over.
 *
 * Why one pool and single-threaded BLAS: at this project's shapes (128-row batches, C 128-256) a gemm split
 * inside OpenBLAS gains little, while splitting the batch and letting each core run whole layers on its own rows
 * needs no synchronisation between layers. Two pools (ours and OpenBLAS's) on two cores would oversubscribe.
 * Float gemms big enough to matter run an AVX-512 kernel of this file where the CPU has AVX-512 (see below). */
#include "core/kernels.h"
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* OpenBLAS extensions (declared by its cblas.h, repeated here for other CBLAS headers) */
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);

/* The kernels' loops are written for the auto-vectoriser, which -O2 runs only in its cheapest mode. */
#pragma GCC optimize("O3")
/* the 16-lane vector helpers are static and inlined: the ABI note for builds without AVX-512 does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"

static int g_reference_gemm;

void kernels_use_reference_gemm(int on) { g_reference_gemm = on; }

/* Cephes-style expf: x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-6 polynomial, 2^n through the exponent
 * bits. Branch-free (clamps instead of tests), so loops calling it vectorise. */
static inline float fast_expf(float x) {
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f; /* round to nearest via 1.5 * 2^23 */
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float y = 1.9875691500E-4f;
    y = y * r + 1.3981999507E-3f;
    y = y * r + 8.3334519073E-3f;
    y = y * r + 4.1665795894E-2f;
    y = y * r + 1.6666665459E-1f;
    y = y * r + 5.0000001201E-1f;
    y = y * r * r + r + 1.0f;
    int bits = ((int)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

float kernels_expf(float x) { return fast_expf(x); }

/* ------------------------------------------------------------------------------------- float gemm, AVX-512 */

/* The float gemm of this project's shapes (rows in the thousands, 32-1536 columns, K 32-8192) with AVX-512,
 * on CPUs that have it, whatever BLAS kernel OpenBLAS loaded (OPENBLAS_CORETYPE may force an AVX2 one).
 * GotoBLAS blocking, simplified: B is packed a KC x NC block at a time (in L2) into panels of 32 columns; the
 * micro-kernel keeps a 6 x 32 tile of C in 12 registers and broadcasts A straight from its rows (or, transposed,
 * its columns), so A needs no packing. Each element of C sums its K products in k order within a KC block. */
#define SG_MR 6
#define SG_NR 32
#define SG_KC 256
#define SG_NC 512

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SG_HAVE 1
#define SG_TARGET __attribute__((target("avx512f"), always_inline)) inline

/* c (mr rows of ldc, n <= 32 columns) = alpha * a . bp + beta * c; a's element (r, k) at a[r*rs + k*ks] */
static SG_TARGET void sg_tile(int mr, int kc, const float *a, size_t rs, size_t ks, const float *bp, float *c,
                              size_t ldc, int n, float alpha, float beta) {
    __m512 acc[SG_MR][2];
    for (int r = 0; r < SG_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    const float *ar[SG_MR];
    for (int r = 0; r < SG_MR; r++) ar[r] = a + (size_t)(r < mr ? r : 0) * rs;
    for (int k = 0; k < kc; k++, bp += SG_NR) {
        __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        size_t o = (size_t)k * ks;
        for (int r = 0; r < SG_MR; r++) {
            if (r >= mr) break;
            __m512 av = _mm512_set1_ps(ar[r][o]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    __mmask16 m0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
    __mmask16 m1 = n >= 32 ? 0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < SG_MR; r++) {
        if (r >= mr) break;
        float *cr = c + (size_t)r * ldc;
        __m512 v0 = _mm512_mul_ps(va, acc[r][0]), v1 = _mm512_mul_ps(va, acc[r][1]);
        if (beta != 0) {
            v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), v0);
            v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), v1);
        }
        _mm512_mask_storeu_ps(cr, m0, v0);
        _mm512_mask_storeu_ps(cr + 16, m1, v1);
    }
}

__attribute__((target("avx512f"))) static void sg_rows(int mr, int kc, const float *a, size_t rs, size_t ks,
                                                       const float *bp, float *c, size_t ldc, int n, float alpha,
                                                       float beta) {
    switch (mr) { /* constant row counts, so the tile's loops unroll into registers */
    case 6: sg_tile(6, kc, a, rs, ks, bp, c, ldc, n, alpha, beta); break;
    case 5: sg_tile(5, kc, a, rs, ks, bp, c, ldc, n, alpha, beta); break;
    case 4: sg_tile(4, kc, a, rs, ks, bp, c, ldc, n, alpha, beta); break;
    case 3: sg_tile(3, kc, a, rs, ks, bp, c, ldc, n, alpha, beta); break;
    case 2: sg_tile(2, kc, a, rs, ks, bp, c, ldc, n, alpha, beta); break;
    default: sg_tile(1, kc, a, rs, ks, bp, c, ldc, n, alpha, beta); break;
    }
}

static _Thread_local float sg_pack[SG_KC * SG_NC] __attribute__((aligned(64)));

/* packs op(B) rows k0..k0+kc, columns j0..j0+nc into panels of SG_NR columns (zero-padded): panel p, row k at
 * pack + (p*kc + k)*SG_NR */
static void sg_pack_b(float *pack, int tb, const float *B, int ldb, int k0, int kc, int j0, int nc) {
    for (int p = 0; p * SG_NR < nc; p++) {
        int w = nc - p * SG_NR < SG_NR ? nc - p * SG_NR : SG_NR;
        float *dst = pack + (size_t)p * kc * SG_NR;
        int j = j0 + p * SG_NR;
        if (!tb) {
            for (int k = 0; k < kc; k++) {
                const float *src = B + (size_t)(k0 + k) * ldb + j;
                float *d = dst + (size_t)k * SG_NR;
                memcpy(d, src, w * sizeof(float));
                for (int jj = w; jj < SG_NR; jj++) d[jj] = 0;
            }
        } else {
            for (int jj = 0; jj < w; jj++) {
                const float *src = B + (size_t)(j + jj) * ldb + k0;
                for (int k = 0; k < kc; k++) dst[(size_t)k * SG_NR + jj] = src[k];
            }
            for (int jj = w; jj < SG_NR; jj++)
                for (int k = 0; k < kc; k++) dst[(size_t)k * SG_NR + jj] = 0;
        }
    }
}

static int sg_available(void) {
    static int avail = -1;
    if (avail < 0) avail = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return avail;
}

/* Returns 1 when it computed C, 0 when the shape is better left to BLAS (or the CPU lacks AVX-512). */
static int sgemm_own(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                     int ldb, float beta, float *C, int ldc) {
    if (M < 16 || N < 16 || K < 16 || !sg_available()) return 0;
    size_t rs = ta ? 1 : (size_t)lda, ks = ta ? (size_t)lda : 1;
    float *pack = sg_pack;
    for (int k0 = 0; k0 < K; k0 += SG_KC) {
        int kc = K - k0 < SG_KC ? K - k0 : SG_KC;
        float bk = k0 == 0 ? beta : 1.0f;
        const float *ak = A + (size_t)k0 * ks;
        for (int j0 = 0; j0 < N; j0 += SG_NC) {
            int nc = N - j0 < SG_NC ? N - j0 : SG_NC;
            sg_pack_b(pack, tb, B, ldb, k0, kc, j0, nc);
            for (int i = 0; i < M; i += SG_MR) {
                int mr = M - i < SG_MR ? M - i : SG_MR;
                const float *ai = ak + (size_t)i * rs;
                for (int p = 0; p * SG_NR < nc; p++) {
                    int n = nc - p * SG_NR < SG_NR ? nc - p * SG_NR : SG_NR;
                    sg_rows(mr, kc, ai, rs, ks, pack + (size_t)p * kc * SG_NR,
                            C + (size_t)i * ldc + j0 + p * SG_NR, ldc, n, alpha, bk);
                }
            }
        }
    }
    return 1;
}
/* C (M, N) = alpha A B + beta C with B already packed by matmul_pack (the layout sgemm_own packs into, whole) */
static void sgemm_packed(int M, int N, int K, float alpha, const float *A, int lda, const float *packed, float beta,
                         float *C, int ldc) {
    size_t Np = (size_t)(N + SG_NR - 1) / SG_NR * SG_NR;
    for (int k0 = 0; k0 < K; k0 += SG_KC) {
        int kc = K - k0 < SG_KC ? K - k0 : SG_KC;
        float bk = k0 == 0 ? beta : 1.0f;
        const float *pk = packed + (size_t)k0 * Np;
        for (int j0 = 0; j0 < N; j0 += SG_NC) {
            int nc = N - j0 < SG_NC ? N - j0 : SG_NC;
            for (int i = 0; i < M; i += SG_MR) {
                int mr = M - i < SG_MR ? M - i : SG_MR;
                for (int p = 0; p * SG_NR < nc; p++) {
                    int n = nc - p * SG_NR < SG_NR ? nc - p * SG_NR : SG_NR;
                    sg_rows(mr, kc, A + (size_t)i * lda + k0, lda, 1, pk + (size_t)(j0 / SG_NR + p) * kc * SG_NR,
                            C + (size_t)i * ldc + j0 + p * SG_NR, ldc, n, alpha, bk);
                }
            }
        }
    }
}

#define OWN_GEMM(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) \
    sgemm_own(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
#else
#define SG_HAVE 0
#define OWN_GEMM(...) 0
static int sg_available(void) { return 0; }
#endif

#if SG_HAVE
__attribute__((target("avx512f"))) static void stream_rows(float *dst, size_t w, const float *src, const size_t *ridx,
                                                           int R) {
    for (int r = 0; r < R; r++) {
        float *d = dst + ridx[r] * w;
        const float *sr = src + (size_t)r * w;
        for (size_t i = 0; i < w; i += 16) _mm512_stream_ps(d + i, _mm512_loadu_ps(sr + i));
    }
    _mm_sfence(); /* streaming stores are weakly ordered: visible before the pool reports the task done */
}
#endif

void kernels_scatter_rows(float *dst, size_t w, const float *src, const size_t *ridx, int R) {
#if SG_HAVE
    if (w % 16 == 0 && ((uintptr_t)dst & 63) == 0 && sg_available()) {
        stream_rows(dst, w, src, ridx, R);
        return;
    }
#endif
    for (int r = 0; r < R; r++) memcpy(dst + ridx[r] * w, src + (size_t)r * w, w * sizeof(float));
}

size_t matmul_packed_size(int C, int OC) { return (size_t)(OC + SG_NR - 1) / SG_NR * SG_NR * C; }

void matmul_pack(float *packed, const float *weight, int C, int OC) {
#if SG_HAVE
    if (!sg_available()) return;
    size_t Np = (size_t)(OC + SG_NR - 1) / SG_NR * SG_NR;
    for (int k0 = 0; k0 < C; k0 += SG_KC) {
        int kc = C - k0 < SG_KC ? C - k0 : SG_KC;
        sg_pack_b(packed + (size_t)k0 * Np, 1, weight, C, k0, kc, 0, OC);
    }
#else
    (void)packed, (void)weight, (void)C, (void)OC;
#endif
}

void matmul_forward_packed(float *out, const float *inp, const float *weight, const float *packed, int N, int C,
                           int OC, int ldo, float beta) {
#if SG_HAVE
    if (!g_reference_gemm && sg_available() && N > 0) {
        sgemm_packed(N, OC, C, 1.0f, inp, C, packed, beta, out, ldo);
        return;
    }
#endif
    (void)packed;
    matmul_gemm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, beta, out, ldo);
}

#define real float
#define KFN(name) name
#define KEXP fast_expf
#define BLAS_GEMM cblas_sgemm
#include "core/kernels_tmpl.h"
#undef real
#undef KFN
#undef KEXP
#undef BLAS_GEMM

#undef OWN_GEMM
#define OWN_GEMM(...) 0

#define real double
#define KFN(name) name##_f64
#define KEXP exp
#define BLAS_GEMM cblas_dgemm
#include "core/kernels_tmpl.h"
#undef real
#undef KFN
#undef KEXP
#undef BLAS_GEMM

/* ------------------------------------------------------------------------------------------------ thread pool */

#define POOL_MAX 64
#define POOL_SPIN 4000 /* polls before a waiting thread sleeps: some microseconds */

static struct {
    pthread_once_t once;
    int n_threads; /* including the caller's thread */
    pthread_t th[POOL_MAX];
    pthread_mutex_t mu;
    pthread_mutex_t call_mu; /* held by the thread whose round the pool is running */
    pthread_cond_t cv_work, cv_done;
    KernelsTask fn;
    void *ctx;
    int n_tasks;
    atomic_int next;       /* next task to claim */
    atomic_int pending;    /* workers that have not finished the current round */
    atomic_uint generation; /* bumped for every kernels_parallel */
    unsigned start_generation; /* the generation workers started at (read before any round could begin) */
    int stop;
} pool = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .call_mu = PTHREAD_MUTEX_INITIALIZER,
          .cv_work = PTHREAD_COND_INITIALIZER,
          .cv_done = PTHREAD_COND_INITIALIZER};

static _Thread_local int tl_in_task;
static int pool_requested; /* kernels_set_threads before the pool started; 0 = default */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void pool_run_tasks(void) {
    for (;;) {
        int i = atomic_fetch_add(&pool.next, 1);
        if (i >= pool.n_tasks) break;
        pool.fn(pool.ctx, i);
    }
}

static void *pool_worker(void *arg) {
    (void)arg;
    tl_in_task = 1;
    unsigned seen = pool.start_generation;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen && spins < POOL_SPIN) {
            cpu_relax();
            spins++;
        }
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&pool.generation) == seen && !pool.stop) pthread_cond_wait(&pool.cv_work, &pool.mu);
        int stop = pool.stop;
        pthread_mutex_unlock(&pool.mu);
        if (stop) return NULL;
        seen = atomic_load(&pool.generation);
        pool_run_tasks();
        /* every worker checks out of every round, so no worker can still be claiming tasks of an old round
         * when the next one starts */
        if (atomic_fetch_sub(&pool.pending, 1) == 1) {
            pthread_mutex_lock(&pool.mu);
            pthread_cond_signal(&pool.cv_done);
            pthread_mutex_unlock(&pool.mu);
        }
    }
}

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

static void pool_start(int n) {
    if (n <= 0) n = default_threads();
    if (n > POOL_MAX) n = POOL_MAX;
    pool.n_threads = 1;
    pool.stop = 0;
    pool.start_generation = atomic_load(&pool.generation);
    for (int i = 1; i < n; i++) {
        if (pthread_create(&pool.th[i], NULL, pool_worker, NULL) != 0) break; /* run with what we got */
        pool.n_threads++;
    }
    /* each pool thread calls BLAS on its own rows; BLAS threads on top would oversubscribe the cores */
    if (pool.n_threads > 1) openblas_set_num_threads(1);
}

static void pool_init_once(void) { pool_start(pool_requested); }

static void pool_stop(void) {
    pthread_mutex_lock(&pool.mu);
    pool.stop = 1;
    atomic_fetch_add(&pool.generation, 1);
    pthread_cond_broadcast(&pool.cv_work);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 1; i < pool.n_threads; i++) pthread_join(pool.th[i], NULL);
    pool.n_threads = 1;
}

void kernels_set_threads(int n) {
    assert(!tl_in_task);
    pool_requested = n;
    pthread_once(&pool.once, pool_init_once);
    int want = n <= 0 ? default_threads() : (n > POOL_MAX ? POOL_MAX : n);
    if (want == pool.n_threads) return;
    pool_stop();
    pool_start(want);
    if (pool.n_threads == 1) openblas_set_num_threads(1);
}

int kernels_threads(void) {
    pthread_once(&pool.once, pool_init_once);
    return pool.n_threads;
}

void kernels_parallel(int n_tasks, KernelsTask fn, void *ctx) {
    if (n_tasks <= 0) return;
    pthread_once(&pool.once, pool_init_once);
    /* nested calls, and calls from a second thread while the pool serves another, run on the caller */
    if (tl_in_task || pool.n_threads == 1 || n_tasks == 1 || pthread_mutex_trylock(&pool.call_mu) != 0) {
        int saved = tl_in_task;
        tl_in_task = 1;
        for (int i = 0; i < n_tasks; i++) fn(ctx, i);
        tl_in_task = saved;
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n_tasks = n_tasks;
    atomic_store(&pool.next, 0);
    atomic_store(&pool.pending, pool.n_threads - 1);
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.cv_work);
    pthread_mutex_unlock(&pool.mu);

    tl_in_task = 1;
    pool_run_tasks();
    tl_in_task = 0;
    int spins = 0;
    while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0 && spins < POOL_SPIN) {
        cpu_relax();
        spins++;
    }
    pthread_mutex_lock(&pool.mu);
    while (atomic_load(&pool.pending) > 0) pthread_cond_wait(&pool.cv_done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    pthread_mutex_unlock(&pool.call_mu);
}

const char *kernels_gemm_kind(void) { return sg_available() ? "avx512" : "blas"; }

const char *kernels_blas_corename(void) {
    const char *s = openblas_get_corename();
    return s ? s : "unknown";
}
