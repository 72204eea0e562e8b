/* kernels.c - instantiates the kernels of kernels_tmpl.h for float and double, and runs the thread pool that
 * the model splits batches over.
 *
 * Why one pool and single-threaded BLAS: at this project's shapes (128-row batches, C 128-256) a gemm split
 * inside OpenBLAS gains little, while splitting the batch and letting each core run whole layers on its own rows
 * needs no synchronisation between layers. Two pools (ours and OpenBLAS's) on two cores would oversubscribe.
 * Every matmul goes through the cblas wrapper of kernels_tmpl.h (matmul_gemm), with a naive reference beside it. */
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
/* OpenBLAS's thread server (exported by its pthreads and OpenMP builds alike; it uses them around fork) */
void blas_thread_shutdown_(void);
int blas_thread_init(void);

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

/* ------------------------------------------------------------------------------------- row scatter */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_STREAM 1
/* Called from every pool thread: the answer is cached in an atomic (-1: not asked yet). Two threads may both ask
 * the CPU the first time; they store the same answer. */
static int stream_available(void) {
    static atomic_int avail = -1;
    int a = atomic_load_explicit(&avail, memory_order_relaxed);
    if (a < 0) {
        a = __builtin_cpu_supports("avx512f") ? 1 : 0;
        atomic_store_explicit(&avail, a, memory_order_relaxed);
    }
    return a;
}
__attribute__((target("avx512f"))) static void stream_rows(float *dst, size_t w, const float *src, const size_t *ridx,
                                                           int R) {
    for (int r = 0; r < R; r++) {
        float *d = dst + ridx[r] * w;
        const float *sr = src + (size_t)r * w;
        for (size_t i = 0; i < w; i += 16) _mm512_stream_ps(d + i, _mm512_loadu_ps(sr + i));
    }
    _mm_sfence(); /* streaming stores are weakly ordered: visible before the pool reports the task done */
}
#else
#define HAVE_STREAM 0
#endif

void kernels_scatter_rows(float *dst, size_t w, const float *src, const size_t *ridx, int R) {
#if HAVE_STREAM
    if (w % 16 == 0 && ((uintptr_t)dst & 63) == 0 && stream_available()) {
        stream_rows(dst, w, src, ridx, R);
        return;
    }
#endif
    for (int r = 0; r < R; r++) memcpy(dst + ridx[r] * w, src + (size_t)r * w, w * sizeof(float));
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
static _Thread_local int tl_worker; /* kernels_worker: pool threads 1.., every other thread 0 */
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
    tl_worker = (int)(intptr_t)arg;
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
        if (pthread_create(&pool.th[i], NULL, pool_worker, (void *)(intptr_t)i) != 0) break; /* run with what we got */
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

int kernels_worker(void) { return tl_worker; }

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


void kernels_restart_blas_threads(void) {
    blas_thread_shutdown_();
    blas_thread_init();
}

const char *kernels_blas_corename(void) {
    const char *s = openblas_get_corename();
    return s ? s : "unknown";
}
