/* kernels.h - the numeric kernels of the model (forward/backward pairs) and the small thread pool they run on.
 *
 * Dimension legend, used in every kernel and in model.c:
 *   B  sequences in a batch          T  time steps (tokens) per sequence
 *   C  channels (d_model)            H  attention heads
 *   D  head size (C / H, even)       F  SwiGLU hidden size
 *   V  vocabulary size               L  layers
 *   N  rows a kernel works on (B*T for whole sequences, or the active rows of a decode step)
 *
 * Every kernel exists twice, for float and for double (suffix _f64), compiled from one source
 * (core/kernels_tmpl.h) so that finite-difference checks in double precision test the same code the float
 * model runs. See core/kernels_api.h for the kernels and their contracts.
 *
 * Threads: one process-wide pool (kernels_parallel) that the model uses to split a batch between cores. BLAS is
 * kept single-threaded while the pool has more than one thread, so the two never oversubscribe the cores: each
 * pool thread calls gemm on its own rows. */
#ifndef GRPO_KERNELS_H
#define GRPO_KERNELS_H
#include <stddef.h>

/* Attention over whole sequences works in tiles of this many query rows (kernels_api.h: attention_forward). */
#define KERNELS_ATT_TILE 32

/* The reals of scratch attention_forward (backward 0: one tile of scores, KERNELS_ATT_TILE x T) or
 * attention_backward (backward 1: a tile of probabilities and one of their gradients) needs for sequences of up
 * to T time steps. */
static inline size_t kernels_att_scratch(int T, int backward) {
    return (size_t)(backward ? 2 : 1) * KERNELS_ATT_TILE * (size_t)T;
}

#define real float
#define KFN(name) name
#include "core/kernels_api.h"
#undef real
#undef KFN

#define real double
#define KFN(name) name##_f64
#include "core/kernels_api.h"
#undef real
#undef KFN

/* Routes matmul_gemm (both precisions) through the naive matmul_gemm_ref when on is nonzero: lets tests run the
 * whole model on reference arithmetic. Not for use while kernels run on other threads. */
void kernels_use_reference_gemm(int on);

/* exp for float as the kernels compute it (a polynomial that vectorises; relative error < 2e-7 on [-87, 88],
 * inputs below -87 give ~1e-38 rather than 0). Exposed for tests. */
float kernels_expf(float x);

/* dst row ridx[r] (w floats, row stride w) = src row r for R rows: copies into a big buffer that is read much
 * later (recorded activations), written around the cache where the CPU allows. */
void kernels_scatter_rows(float *dst, size_t w, const float *src, const size_t *ridx, int R);

/* Sets the number of threads of the pool (0: the number of online CPUs; clamped to [1, 64]). Call it before
 * allocating model workspaces (model_acts_new, model_kv_new, sampler_new), which size per-thread scratch by it.
 * Not thread-safe against a running kernels_parallel. */
void kernels_set_threads(int n);
/* The number of threads of the pool (starts it on first use with the default). */
int kernels_threads(void);
/* The index of the calling thread in the pool, in [0, kernels_threads()): 1.. for the pool's own threads, 0 for
 * any other thread (the one calling kernels_parallel takes part in its tasks as 0). Tasks of one kernels_parallel
 * that run at the same time see different indices, so per-thread scratch of a workspace (sized by kernels_threads()
 * when it was allocated, used by one call at a time) is never shared between them. */
int kernels_worker(void);

typedef void (*KernelsTask)(void *ctx, int task);
/* Runs fn(ctx, i) for i in [0, n_tasks) on the pool's threads (the caller's thread takes part) and returns when
 * all are done. A call from inside a task, or from another thread while the pool is busy, runs its tasks
 * serially on the calling thread. */
void kernels_parallel(int n_tasks, KernelsTask fn, void *ctx);


/* The name of the BLAS kernel OpenBLAS loaded (openblas_get_corename(), e.g. "Haswell"), for reports. */
const char *kernels_blas_corename(void);

/* Stops OpenBLAS's threads and starts them again from the calling thread, so that they inherit its signal mask.
 * OpenBLAS starts them in a library constructor, before main() runs, with every signal unblocked: a program that
 * blocks signals to take them in one place calls this right after blocking them. Call it before any BLAS call or
 * kernels_parallel (not while BLAS runs on another thread). */
void kernels_restart_blas_threads(void);

#endif
