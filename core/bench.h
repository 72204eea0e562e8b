/* bench.h - the grpo-step benchmark (/work/shared/bench/README.md): one GRPO training step of the tiny or small
 * model, timed phase by phase, the same step torch_grpo_ref.py times in PyTorch, so the two can be compared in
 * one run on one machine. ui/cmd_bench.c prints what this computes. */
#ifndef GRPO_BENCH_H
#define GRPO_BENCH_H
#include "core/model.h"
#include "core/peak.h"
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char model[16];  /* "tiny" or "small" */
    int steps;       /* timed steps, reported as medians (5) */
    int warmup;      /* untimed steps first (1) */
    int threads;     /* pool threads (kernels_set_threads); 0: one per online CPU */
    int activation_mb; /* the update's activation budget in MB; 0: the whole batch (generation records the forward) */
    uint64_t seed;
} BenchParams;

/* Seconds per phase of one step. */
typedef struct {
    double gen;            /* sampling 128 x 96 new tokens with the KV cache */
    double ref_fwd;        /* reference model forward + log-probs */
    double policy_fwd;     /* policy forward + log-probs + GRPO loss */
    double policy_bwd;     /* backward into the gradients */
    double policy_fwd_bwd; /* the two above */
    double opt;            /* gradient clipping + AdamW */
    double step;           /* everything, prompts to optimizer */
} BenchTimes;

typedef struct {
    ModelConfig cfg;
    int B, P, N;            /* sequences (16 prompts x G 8), prompt tokens, new tokens */
    int threads;
    BenchTimes median;
    BenchTimes median_cpu;  /* process CPU seconds per phase (all threads): about threads x wall when both cores
                             * work; on a loaded machine the steadier figure */
    /* FLOPs of one step per phase, by torch_grpo_ref.py's flops() (full T x T attention as PyTorch executes it) */
    double flops_gen, flops_policy_fwd_bwd, flops_ref_fwd;
    double gen_tok_s, train_tok_s;                          /* 128*96 / gen, 128*128 / policy_fwd_bwd */
    double gflops_gen, gflops_policy_fwd_bwd, gflops_ref_fwd, gflops_step;
    /* sgemm GFLOP/s this machine reaches at each phase's main gemm shapes with the same threading (each pool
     * thread on its share of rows), measured by the benchmark itself */
    double peak_gen, peak_policy_fwd_bwd, peak_ref_fwd;
    PeakFp32 peak_fp32;     /* the hardware's fp32 FMA peak on the same threads (peak.h): the ceiling of all above */
    char blas_core[32];     /* openblas_get_corename() */
    double last_loss, last_grad_norm;
    int micro_batches;      /* of the update (1 when the whole batch fits the budget) */
    int recorded;           /* the update used the forward generation recorded */
} BenchResult;

/* Fills p with the defaults (tiny, 5 steps, 1 warm-up, all CPUs, seed 0). */
void bench_defaults(BenchParams *p);

/* torch_grpo_ref.py's flops(): generation, policy forward+backward and reference forward of one step. */
void bench_flops(const ModelConfig *c, int B, int P, int N, double *gen, double *policy_fwd_bwd, double *ref_fwd);

/* Runs the benchmark. Returns 0, or -1 with a message in err (unknown model, out of memory). Takes seconds
 * (tiny) to a minute (small); allocates everything before the first step. */
int bench_grpo_step(const BenchParams *p, BenchResult *r, char *err, size_t err_size);

#endif
