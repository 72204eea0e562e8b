/* peak.c - the fp32 peak probe of peak.h.
 *
 * Why it is a fair peak: each kernel keeps PEAK_CHAINS accumulators in vector registers and updates every one
 * with an FMA per iteration; the chains are independent, so the only limit is how many FMAs the cores issue per
 * cycle. Nothing touches memory inside the loop. The multiplier and the addend come in as arguments and every
 * chain's result goes into the returned sum, which the caller keeps: the compiler can neither fold the loop nor
 * drop it. Each instruction set's kernel is compiled for it with a target attribute and picked at run time with
 * __builtin_cpu_supports, so an AVX2 build still measures AVX-512 where the CPU has it. */
#include "core/peak.h"
#include "core/kernels.h"
#include <assert.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------------------------------------ the kernels */

/* Plain C on GCC vectors: the fallback where none of the x86 kernels exists. */
typedef float peak_v4 __attribute__((vector_size(16)));

static double chains_generic(long iters, float a, float b) {
    peak_v4 x[PEAK_CHAINS], va = {a, a, a, a}, vb = {b, b, b, b};
    for (int k = 0; k < PEAK_CHAINS; k++) x[k] = (peak_v4){k + 1.0f, k + 1.0f, k + 1.0f, k + 1.0f};
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int k = 0; k < PEAK_CHAINS; k++) x[k] = x[k] * va + vb;
    }
    double sum = 0;
    for (int k = 0; k < PEAK_CHAINS; k++)
        for (int l = 0; l < 4; l++) sum += x[k][l];
    return sum;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define PEAK_X86 1

/* SSE has no FMA: a multiply and an add per update, still 2 FLOPs per lane. (Where the build enables FMA, GCC
 * may fuse the two; the count is the same.) */
__attribute__((target("sse2"))) static double chains_sse(long iters, float a, float b) {
    __m128 x[PEAK_CHAINS], va = _mm_set1_ps(a), vb = _mm_set1_ps(b);
    for (int k = 0; k < PEAK_CHAINS; k++) x[k] = _mm_set1_ps(k + 1.0f);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int k = 0; k < PEAK_CHAINS; k++) x[k] = _mm_add_ps(_mm_mul_ps(x[k], va), vb);
    }
    float lane[4];
    double sum = 0;
    for (int k = 0; k < PEAK_CHAINS; k++) {
        _mm_storeu_ps(lane, x[k]);
        for (int l = 0; l < 4; l++) sum += lane[l];
    }
    return sum;
}

__attribute__((target("avx2,fma"))) static double chains_avx2(long iters, float a, float b) {
    __m256 x[PEAK_CHAINS], va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    for (int k = 0; k < PEAK_CHAINS; k++) x[k] = _mm256_set1_ps(k + 1.0f);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int k = 0; k < PEAK_CHAINS; k++) x[k] = _mm256_fmadd_ps(x[k], va, vb);
    }
    float lane[8];
    double sum = 0;
    for (int k = 0; k < PEAK_CHAINS; k++) {
        _mm256_storeu_ps(lane, x[k]);
        for (int l = 0; l < 8; l++) sum += lane[l];
    }
    return sum;
}

__attribute__((target("avx512f"))) static double chains_avx512(long iters, float a, float b) {
    __m512 x[PEAK_CHAINS], va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
    for (int k = 0; k < PEAK_CHAINS; k++) x[k] = _mm512_set1_ps(k + 1.0f);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int k = 0; k < PEAK_CHAINS; k++) x[k] = _mm512_fmadd_ps(x[k], va, vb);
    }
    float lane[16];
    double sum = 0;
    for (int k = 0; k < PEAK_CHAINS; k++) {
        _mm512_storeu_ps(lane, x[k]);
        for (int l = 0; l < 16; l++) sum += lane[l];
    }
    return sum;
}
#else
#define PEAK_X86 0
#endif

int peak_isa_supported(PeakIsa isa) {
    switch (isa) {
    case PEAK_GENERIC: return 1;
#if PEAK_X86
    case PEAK_SSE: return __builtin_cpu_supports("sse2");
    case PEAK_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case PEAK_AVX512: return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

PeakIsa peak_isa_best(void) {
    const PeakIsa order[] = {PEAK_AVX512, PEAK_AVX2, PEAK_SSE};
    for (int i = 0; i < 3; i++)
        if (peak_isa_supported(order[i])) return order[i];
    return PEAK_GENERIC;
}

const char *peak_isa_name(PeakIsa isa) {
    switch (isa) {
    case PEAK_SSE: return "SSE";
    case PEAK_AVX2: return "AVX2+FMA";
    case PEAK_AVX512: return "AVX-512";
    default: return "generic";
    }
}

int peak_isa_lanes(PeakIsa isa) { return isa == PEAK_AVX512 ? 16 : isa == PEAK_AVX2 ? 8 : 4; }

double peak_fp32_chains(PeakIsa isa, long iters, float a, float b) {
    assert(peak_isa_supported(isa));
    switch (isa) {
#if PEAK_X86
    case PEAK_SSE: return chains_sse(iters, a, b);
    case PEAK_AVX2: return chains_avx2(iters, a, b);
    case PEAK_AVX512: return chains_avx512(iters, a, b);
#endif
    default: return chains_generic(iters, a, b);
    }
}

/* ------------------------------------------------------------------------------------------------ measuring */

/* x = 0.9999 x + 1e-4 converges to 1 from every start: no overflow and no denormals, however long it runs. */
#define PEAK_A 0.9999f
#define PEAK_B 1e-4f
#define PEAK_REPS 3
#define PEAK_REP_SECONDS 0.02 /* CPU seconds per thread per repetition */
/* with all of the pool's threads, each thread's share comes in this many tasks: a thread the scheduler wakes late
 * (a loaded machine) costs the wall-clock figure its lost time, not a whole share run after the others */
#define PEAK_SPLIT 8

static double thread_cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    PeakIsa isa;
    long iters; /* per task */
    double sums[64 * PEAK_SPLIT];
    double cpu[64 * PEAK_SPLIT]; /* CPU seconds of the thread that ran each task, while it ran it */
} PeakJob;

static void peak_task(void *ctx, int task) {
    PeakJob *j = ctx;
    double c = thread_cpu_now();
    j->sums[task] = peak_fp32_chains(j->isa, j->iters, PEAK_A, PEAK_B);
    j->cpu[task] = thread_cpu_now() - c;
}

/* PEAK_REPS runs of `tasks` tasks of j->iters iterations on `threads` threads (1: on the calling thread); the
 * best of each figure: *cpu_rate, FLOPs per CPU-second of a thread times `threads`, and *wall_rate, FLOPs per
 * second of the whole run, in GFLOP/s. */
static void best_of(PeakJob *j, int tasks, int threads, double *cpu_rate, double *wall_rate, double *checksum) {
    double fl = 2.0 * peak_isa_lanes(j->isa) * PEAK_CHAINS * (double)j->iters * tasks;
    *cpu_rate = *wall_rate = 0;
    for (int r = 0; r < PEAK_REPS; r++) {
        double t = now(), cpu = 0;
        if (tasks == 1) peak_task(j, 0);
        else kernels_parallel(tasks, peak_task, j);
        t = now() - t;
        for (int i = 0; i < tasks; i++) *checksum += j->sums[i], cpu += j->cpu[i];
        if (t > 0 && fl / t / 1e9 > *wall_rate) *wall_rate = fl / t / 1e9;
        if (cpu > 0 && fl / cpu * threads / 1e9 > *cpu_rate) *cpu_rate = fl / cpu * threads / 1e9;
    }
}

void peak_fp32_measure(int threads, PeakFp32 *r) {
    PeakJob job, *j = &job; /* 8 KB */
    double t0 = now();
    int pool = kernels_threads();
    if (threads <= 0 || threads > pool) threads = pool;
    r->threads = threads;
    r->isa = j->isa = peak_isa_best();
    r->checksum = 0;
    /* calibrate on one thread: double the iterations until a run takes 2 ms of CPU, then size a repetition */
    j->iters = 1024;
    for (;;) {
        double c = thread_cpu_now();
        r->checksum += peak_fp32_chains(j->isa, j->iters, PEAK_A, PEAK_B);
        c = thread_cpu_now() - c;
        if (c >= 0.002 || j->iters > (1L << 40)) {
            j->iters = (long)(j->iters * (PEAK_REP_SECONDS / (c > 0 ? c : 1e-9))) + 1;
            break;
        }
        j->iters *= 2;
    }
    long rep_iters = j->iters;
    double wall;
    best_of(j, 1, 1, &r->gflops_thread, &wall, &r->checksum);
    if (threads == 1) {
        r->gflops = r->gflops_thread;
        r->gflops_wall = wall;
    } else {
        int tasks = threads == pool ? threads * PEAK_SPLIT : threads;
        j->iters = threads == pool ? rep_iters / PEAK_SPLIT + 1 : rep_iters;
        best_of(j, tasks, threads, &r->gflops, &r->gflops_wall, &r->checksum);
    }
    r->seconds = now() - t0;
}
