/* bench.h - the grpo-step benchmark (/work/shared/bench/README.md): one GRPO training step of the tiny or small
 * model (or SmolLM2-135M's shape, with its batch set by the caller), timed phase by phase, the same step torch_grpo_ref.py times in PyTorch, so the two can be compared in
 * one run on one machine. ui/cmd_bench.c prints what this computes. */
#ifndef GRPO_BENCH_H
#define GRPO_BENCH_H
#include "core/model.h"
#include "core/peak.h"
#include <stddef.h>
#include <stdint.h>

/* The largest batch the benchmark takes: sequences (prompts x group) and tokens per sequence (prompt + new). */
#define BENCH_MAX_ROWS 4096
#define BENCH_MAX_TOKENS 8192

typedef struct {
    char model[16];  /* "tiny", "small" or "smollm2-135m" */
    int prompts;     /* distinct prompts per step (16); 0: the default */
    int group;       /* samples per prompt, G (8) */
    int prompt_tokens; /* random tokens per prompt (32) */
    int new_tokens;  /* new tokens per sample, all generated (96) */
    int steps;       /* timed steps, reported as medians (5) */
    int warmup;      /* untimed steps first (1) */
    int threads;     /* pool threads (kernels_set_threads); 0: one per online CPU */
    int activation_mb; /* the update's activation budget in MB; 0: the whole batch (generation records the forward) */
    uint64_t seed;
    void (*on_step)(void *ud, int done, int total); /* after each step, warm-up included (progress); may be NULL */
    void *ud;
} BenchParams;

/* One figure per phase of a step: seconds, FLOPs or GFLOP/s. */
typedef struct {
    double gen;            /* sampling B x N new tokens (128 x 96) with the KV cache */
    double ref_fwd;        /* reference model forward + log-probs */
    double policy_fwd;     /* policy forward + log-probs + GRPO loss */
    double policy_bwd;     /* backward into the gradients */
    double policy_fwd_bwd; /* the two above */
    double opt;            /* gradient clipping + AdamW */
    double step;           /* everything, prompts to optimizer */
} BenchPhases;

typedef struct {
    ModelConfig cfg;
    int B, P, N;            /* sequences (16 prompts x G 8), prompt tokens, new tokens */
    int threads;
    BenchPhases median;     /* wall seconds */
    BenchPhases median_cpu;  /* process CPU seconds per phase (all threads): about threads x wall when both cores
                             * work; on a loaded machine the steadier figure */
    /* "torch-formula": FLOPs of one step per phase by torch_grpo_ref.py's flops() (full T x T attention, a policy
     * forward in the update, every prompt prefilled), and GFLOP/s from them; the step's excludes the optimizer */
    double flops_gen, flops_policy_fwd_bwd, flops_ref_fwd;
    double gen_tok_s, train_tok_s;                          /* B*N / gen, B*T / policy_fwd_bwd */
    double gflops_gen, gflops_policy_fwd_bwd, gflops_ref_fwd, gflops_step;
    /* "executed": the FLOPs this engine runs in one step (bench_flops_executed, for the update as it ran:
     * `recorded`), and GFLOP/s from them over the median wall times */
    BenchPhases exec_flops, exec_gflops;
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

/* The optimizer's FLOPs per parameter: the gradient norm's multiply-add (2) and AdamW's update (14: the
 * moments 3 + 4, the step 7 with the square root and the division one each); clipping's scale is not counted. */
#define BENCH_OPT_FLOPS_PER_PARAM 16

/* The FLOPs (multiply-adds x 2) the engine (core/grpo_step.c) executes in one step of the benchmark's kind: B
 * sequences of exactly P prompt + N new tokens (no end-of-sequence), whose rows share `prompts` distinct prompts
 * (B / prompts rows each, a GRPO group), the reference forward, one update iteration and AdamW. recorded: the
 * update used the forward generation recorded (GrpoUpdateStats.recorded), so it runs no policy forward. Counts
 * matrix products and attention as the kernels tile them; element-wise work (norms, RoPE, SwiGLU, softmax,
 * sampling, the loss) is not counted. Fills every field of out (policy_fwd_bwd and step are sums; opt at
 * BENCH_OPT_FLOPS_PER_PARAM). The formulas are in bench.c. */
void bench_flops_executed(const ModelConfig *c, int B, int prompts, int P, int N, int recorded, BenchPhases *out);

/* Runs the benchmark. Returns 0, or -1 with a message in err (unknown model, out of memory). Takes seconds
 * (tiny) to a minute (small); allocates everything before the first step. */
int bench_grpo_step(const BenchParams *p, BenchResult *r, char *err, size_t err_size);

#endif
