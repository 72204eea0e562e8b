/* peak.h - the machine's fp32 peak: how many single-precision FLOP/s the cores can do at best, measured by a loop
 * of independent fused multiply-adds on the widest vectors the CPU has, with nothing read from or written to
 * memory. The grpo-step benchmark (bench.h) reports each phase's GFLOP/s as a share of this figure, so a reader
 * can tell what part of the machine a step uses. The instruction set is chosen at run time (AVX-512F, AVX2+FMA
 * or SSE), whatever the build's -march. */
#ifndef GRPO_PEAK_H
#define GRPO_PEAK_H

/* The independent dependency chains (one vector register each) the probe runs: more than FMA latency (4 cycles
 * on current x86) times FMA pipes (2), so that the pipes never wait for a result. */
#define PEAK_CHAINS 12

typedef enum {
    PEAK_GENERIC, /* plain C on 4-float vectors: CPUs that are not x86 */
    PEAK_SSE,     /* 4 lanes, a multiply and an add (no FMA in SSE) */
    PEAK_AVX2,    /* 8 lanes, AVX2 + FMA3 */
    PEAK_AVX512,  /* 16 lanes, AVX-512F */
} PeakIsa;

/* The figures count 2 FLOPs per lane per update. gflops and gflops_thread divide by the CPU time the probe's
 * threads got (CLOCK_THREAD_CPUTIME_ID), so other work on the machine does not lower them: they are what the
 * cores can do. gflops_wall divides by the wall time: what the cores gave the probe just now. */
typedef struct {
    double gflops;        /* `threads` threads at once: the machine's peak (per thread-CPU-second x threads) */
    double gflops_thread; /* one thread alone: one core's peak */
    double gflops_wall;   /* `threads` threads at once, by the wall clock: below gflops on a busy machine */
    int threads;          /* threads the figure was measured on */
    PeakIsa isa;          /* instruction set used (the widest the CPU has) */
    double seconds;       /* wall time the measurement took */
    double checksum;      /* sum of every chain's result: consumed, so the loop cannot be optimised away */
} PeakFp32;

/* Whether this CPU can run isa (PEAK_GENERIC: always). */
int peak_isa_supported(PeakIsa isa);
/* The widest instruction set this CPU supports. */
PeakIsa peak_isa_best(void);
/* "AVX-512", "AVX2+FMA", "SSE" or "generic", a static string. */
const char *peak_isa_name(PeakIsa isa);
/* fp32 lanes of one vector of isa: 16, 8 or 4. */
int peak_isa_lanes(PeakIsa isa);

/* The probe's kernel: PEAK_CHAINS vectors of isa, chain k starting at k + 1 in every lane, each updated `iters`
 * times as x = x * a + b (one fused multiply-add; a multiply and an add on SSE). Returns the sum of every lane of
 * every chain, in double. 2 * lanes * PEAK_CHAINS * iters FLOPs. isa must be supported (asserted). */
double peak_fp32_chains(PeakIsa isa, long iters, float a, float b);

/* Measures the peak on the widest instruction set: one thread, then `threads` threads of the kernels' pool at
 * once (core/kernels.h; 0 or more than the pool has: all of the pool's threads), each the best of a few short
 * repetitions, about 0.15 s of CPU per thread in all. */
void peak_fp32_measure(int threads, PeakFp32 *r);

#endif
