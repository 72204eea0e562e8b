/* bench.c - the grpo-step benchmark of bench.h. The step is the one torch_grpo_ref.py times: random init,
 * 16 prompts x G 8 of 32 random tokens (vocab 64), exactly 96 new tokens at temperature 1, random 0/1 rewards,
 * group-normalised advantages, GRPO loss with one iteration (old = current log-probs) against a frozen reference
 * copy (eps 0.2, beta 0.04, k3, per-sequence mean), gradient clipping at 1.0 and AdamW (lr 1e-4, wd 0.01).
 *
 * Legitimate work the engine saves and PyTorch does not: generation runs the decoder on dense batches with one
 * pool dispatch per token; attention computes only the lower triangle; the policy's log-probs of the one
 * iteration serve as the old log-probs (as in PyTorch's detach); the reference forward keeps no activations;
 * generation records the policy's activations over the sampled sequences (model_kv_record), so the policy
 * forward of the update is a check and a re-layout (model_forward_recorded) - its cost is in `gen`. */
#include "core/bench.h"
#include "core/config.h"
#include "core/grpo.h"
#include "core/kernels.h"
#include "core/optim.h"
#include "core/rng.h"
#include "core/sampler.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

void bench_defaults(BenchParams *p) {
    memset(p, 0, sizeof *p);
    snprintf(p->model, sizeof p->model, "tiny");
    p->steps = 5;
    p->warmup = 1;
}

void bench_flops(const ModelConfig *c, int B, int P, int N, double *gen, double *policy_fwd_bwd, double *ref_fwd) {
    double d = c->C, body = (double)c->L * (4 * d * d + 3 * d * c->F), head = (double)c->V * d, Pmm = body + head;
    int T = P + N;
    double attn_full = 4.0 * T * d * c->L, fwd_tok = 2 * Pmm + attn_full;
    *policy_fwd_bwd = (double)B * T * 3 * fwd_tok;
    *ref_fwd = (double)B * T * fwd_tok;
    double g = (double)B * (P * (2 * body + 4.0 * P * d * c->L) + 2 * head);
    for (int p = P; p < P + N - 1; p++) g += (double)B * (2 * Pmm + 4.0 * (p + 1) * d * c->L);
    *gen = g;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ------------------------------------------------------------------------------ sgemm peak at our shapes */

typedef struct {
    const ModelConfig *c;
    int rows;      /* rows per thread */
    int backward;  /* 0: the forward gemms of one layer; 1: their backward (dX = dY W, dW = dY^T X) */
    int reps;
    float *mem;    /* per task: X, Y, W, dW */
    size_t per_task;
} PeakJob;

static void peak_task(void *ctx, int task) {
    PeakJob *j = ctx;
    const ModelConfig *c = j->c;
    int C = c->C, F = c->F, R = j->rows, mx = F > C ? F : C;
    float *X = j->mem + (size_t)task * j->per_task, *Y = X + (size_t)R * 2 * mx, *W = Y + (size_t)R * 2 * mx;
    float *dW = W + (size_t)2 * mx * mx;
    /* (N out, K in) of the gemms of one layer: q k v o, gate up, down */
    int shapes[7][2] = {{C, C}, {C, C}, {C, C}, {C, C}, {F, C}, {F, C}, {C, F}};
    for (int r = 0; r < j->reps; r++)
        for (int s = 0; s < 7; s++) {
            int N = shapes[s][0], K = shapes[s][1];
            if (!j->backward) {
                matmul_gemm(0, 1, R, N, K, 1, X, K, W, K, 0, Y, N);
            } else {
                matmul_gemm(0, 0, R, K, N, 1, Y, N, W, K, 0, X, K);
                matmul_gemm(1, 0, N, K, R, 1, Y, N, X, K, 1, dW, K);
            }
        }
}

/* GFLOP/s of the forward (or backward) gemms of one layer, every pool thread on `rows` rows of its own */
static double measure_peak(const ModelConfig *c, int rows, int backward, float *mem, size_t per_task) {
    int nt = kernels_threads();
    double fl = 2.0 * rows * ((double)c->C * c->C * 4 + 3.0 * c->C * c->F) * (backward ? 2 : 1) * nt;
    PeakJob j = {c, rows, backward, 1, mem, per_task};
    kernels_parallel(nt, peak_task, &j); /* warm */
    j.reps = (int)(0.15e9 * nt / fl) + 1; /* ~0.05-0.1 s per measurement */
    double best = 0;
    for (int k = 0; k < 3; k++) {
        double t = now();
        kernels_parallel(nt, peak_task, &j);
        double g = fl * j.reps / (now() - t) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

/* ----------------------------------------------------------------------------------------------- the step */

typedef struct {
    Model policy, ref;
    AdamW opt;
    Sampler *sampler;
    ModelActs *acts, *ref_acts;
    int *prompts, *prompt_lens, *out, *out_lens, *finish, *tokens;
    float *rewards, *adv, *mask, *lp_full, *ref_full, *logp, *logp_old, *ref_logp, *dlogp, *dlogp_full;
    float *peak_mem;
} Bench;

static void bench_free(Bench *b) {
    model_free(&b->policy);
    model_free(&b->ref);
    adamw_free(&b->opt);
    sampler_free(b->sampler);
    model_acts_free(b->acts);
    model_acts_free(b->ref_acts);
    void *bufs[] = {b->prompts, b->prompt_lens, b->out, b->out_lens, b->finish, b->tokens, b->rewards, b->adv,
                    b->mask, b->lp_full, b->ref_full, b->logp, b->logp_old, b->ref_logp, b->dlogp,
                    b->dlogp_full, b->peak_mem};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

int bench_grpo_step(const BenchParams *p, BenchResult *r, char *err, size_t err_size) {
    enum { NP = 16, G = 8, P = 32, N = 96 };
    const int B = NP * G, T = P + N, V = 64;
    memset(r, 0, sizeof *r);
    ModelConfig cfg = {.V = V, .max_T = 256};
    if (model_preset(&cfg, p->model) != 0) {
        snprintf(err, err_size, "unknown model '%s' (expected tiny or small)", p->model);
        return -1;
    }
    if (p->steps < 1 || p->warmup < 0) {
        snprintf(err, err_size, "steps must be >= 1 and warmup >= 0");
        return -1;
    }
    kernels_set_threads(p->threads);
    Bench b;
    memset(&b, 0, sizeof b);
    int nt = kernels_threads();
    size_t mx = cfg.F > cfg.C ? cfg.F : cfg.C, rows = (size_t)B * T / nt + 1;
    size_t per_task = rows * 4 * mx + 4 * mx * mx + 64;
    int ok = model_init(&b.policy, &cfg, p->seed) == 0 && model_init(&b.ref, &cfg, p->seed) == 0 &&
             adamw_init(&b.opt, b.policy.n_params) == 0 && (b.sampler = sampler_new(&cfg, B, T)) &&
             (b.acts = model_acts_new(&cfg, (size_t)B * T)) &&
             (b.ref_acts = model_acts_new_inference(&cfg, (size_t)B * T)) &&
             (b.prompts = malloc(sizeof(int) * B * P)) && (b.prompt_lens = malloc(sizeof(int) * B)) &&
             (b.out = malloc(sizeof(int) * B * N)) && (b.out_lens = malloc(sizeof(int) * B)) &&
             (b.finish = malloc(sizeof(int) * B)) && (b.tokens = malloc(sizeof(int) * B * T)) &&
             (b.rewards = malloc(sizeof(float) * B)) && (b.adv = malloc(sizeof(float) * B)) &&
             (b.mask = malloc(sizeof(float) * B * N)) && (b.lp_full = malloc(sizeof(float) * B * (T - 1))) &&
             (b.ref_full = malloc(sizeof(float) * B * (T - 1))) && (b.logp = malloc(sizeof(float) * B * N)) &&
             (b.logp_old = malloc(sizeof(float) * B * N)) && (b.ref_logp = malloc(sizeof(float) * B * N)) &&
             (b.dlogp = malloc(sizeof(float) * B * N)) && (b.dlogp_full = calloc((size_t)B * (T - 1), sizeof(float))) &&
             (b.peak_mem = calloc(per_task * nt, sizeof(float)));
    if (!ok) {
        bench_free(&b);
        snprintf(err, err_size, "out of memory allocating the %s benchmark", p->model);
        return -1;
    }
    model_copy_params(&b.ref, &b.policy);
    sampler_record(b.sampler, b.acts); /* generation leaves the policy's forward behind for the update */
    for (int i = 0; i < B * N; i++) b.mask[i] = 1;
    for (int i = 0; i < B; i++) b.prompt_lens[i] = P;
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = -1};
    GrpoLossParams lp = {.beta = 0.04f, .eps_low = 0.2f, .eps_high = 0.2f, .aggregation = AGG_SEQUENCE,
                         .max_new_tokens = N};
    Rng rng;
    rng_seed(&rng, p->seed, 0x62656e6368ull); /* "bench" */

    int total = p->warmup + p->steps;
    double *t_gen = calloc(total, sizeof(double)), *t_ref = calloc(total, sizeof(double));
    double *t_fwd = calloc(total, sizeof(double)), *t_bwd = calloc(total, sizeof(double));
    double *t_fb = calloc(total, sizeof(double)), *t_opt = calloc(total, sizeof(double));
    double *t_step = calloc(total, sizeof(double)), *c_all = calloc((size_t)total * 7, sizeof(double));
    if (!t_gen || !t_ref || !t_fwd || !t_bwd || !t_fb || !t_opt || !t_step || !c_all) {
        free(t_gen), free(t_ref), free(t_fwd), free(t_bwd), free(t_fb), free(t_opt), free(t_step), free(c_all);
        bench_free(&b);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (int step = 0; step < total; step++) {
        double c[6];
        double t0 = now();
        c[0] = cpu_now();
        for (int q = 0; q < NP; q++) {
            for (int t = 0; t < P; t++) b.prompts[q * G * P + t] = (int)rng_below(&rng, V);
            for (int g = 1; g < G; g++) memcpy(b.prompts + (q * G + g) * P, b.prompts + q * G * P, sizeof(int) * P);
        }
        sampler_generate(b.sampler, &b.policy, &sp, rng_u64(&rng), b.prompts, b.prompt_lens, P, B, b.out,
                         b.out_lens, b.finish, NULL, NULL);
        double t1 = now();
        c[1] = cpu_now();
        for (int i = 0; i < B; i++) b.rewards[i] = (float)rng_below(&rng, 2);
        grpo_advantages(b.adv, b.rewards, NP, G, 1, 1e-4f);
        for (int i = 0; i < B; i++) {
            memcpy(b.tokens + (size_t)i * T, b.prompts + (size_t)i * P, sizeof(int) * P);
            memcpy(b.tokens + (size_t)i * T + P, b.out + (size_t)i * N, sizeof(int) * N);
        }
        /* completion token P+k is predicted at position P-1+k: its log-prob sits at column P-1+k of (B, T-1) */
        model_forward(&b.ref, b.ref_acts, b.tokens, B, T);
        model_token_logprobs(b.ref_acts, b.tokens, B, T, b.ref_full, NULL);
        for (int i = 0; i < B; i++)
            memcpy(b.ref_logp + (size_t)i * N, b.ref_full + (size_t)i * (T - 1) + P - 1, sizeof(float) * N);
        double t2 = now();
        c[2] = cpu_now();
        if (model_forward_recorded(&b.policy, b.acts, b.tokens, B, T) != 0) model_forward(&b.policy, b.acts, b.tokens, B, T);
        model_token_logprobs(b.acts, b.tokens, B, T, b.lp_full, NULL);
        for (int i = 0; i < B; i++)
            memcpy(b.logp + (size_t)i * N, b.lp_full + (size_t)i * (T - 1) + P - 1, sizeof(float) * N);
        memcpy(b.logp_old, b.logp, sizeof(float) * B * N); /* one iteration: old = current, detached */
        GrpoLossStats st;
        double loss = grpo_loss(b.dlogp, &st, b.logp, b.logp_old, b.ref_logp, b.adv, b.mask, B, N, &lp);
        double t3 = now();
        c[3] = cpu_now();
        for (int i = 0; i < B; i++)
            memcpy(b.dlogp_full + (size_t)i * (T - 1) + P - 1, b.dlogp + (size_t)i * N, sizeof(float) * N);
        model_zero_grad(&b.policy);
        model_logprob_backward(b.acts, b.tokens, b.dlogp_full, B, T);
        model_backward(&b.policy, b.acts, b.tokens, B, T);
        double t4 = now();
        c[4] = cpu_now();
        float gn = grad_clip_norm(b.policy.grads_mem, b.policy.n_params, 1.0f);
        adamw_step(&b.opt, b.policy.params_mem, b.policy.grads_mem, 1e-4f, 0.9f, 0.999f, 1e-8f, 0.01f);
        double t5 = now();
        c[5] = cpu_now();
        double *cs = c_all + (size_t)step * 7;
        cs[0] = c[1] - c[0], cs[1] = c[2] - c[1], cs[2] = c[3] - c[2], cs[3] = c[4] - c[3];
        cs[4] = c[4] - c[2], cs[5] = c[5] - c[4], cs[6] = c[5] - c[0];
        t_gen[step] = t1 - t0, t_ref[step] = t2 - t1, t_fwd[step] = t3 - t2, t_bwd[step] = t4 - t3;
        t_fb[step] = t4 - t2, t_opt[step] = t5 - t4, t_step[step] = t5 - t0;
        r->last_loss = loss;
        r->last_grad_norm = gn;
    }
    int w = p->warmup, n = p->steps;
    r->median.gen = median(t_gen + w, n);
    r->median.ref_fwd = median(t_ref + w, n);
    r->median.policy_fwd = median(t_fwd + w, n);
    r->median.policy_bwd = median(t_bwd + w, n);
    r->median.policy_fwd_bwd = median(t_fb + w, n);
    r->median.opt = median(t_opt + w, n);
    r->median.step = median(t_step + w, n);
    double *col = t_gen; /* reuse as scratch: one phase's CPU times over the timed steps */
    double *meds[7] = {&r->median_cpu.gen, &r->median_cpu.ref_fwd, &r->median_cpu.policy_fwd,
                       &r->median_cpu.policy_bwd, &r->median_cpu.policy_fwd_bwd, &r->median_cpu.opt,
                       &r->median_cpu.step};
    for (int k = 0; k < 7; k++) {
        for (int i = 0; i < n; i++) col[i] = c_all[(size_t)(w + i) * 7 + k];
        *meds[k] = median(col, n);
    }
    free(t_gen), free(t_ref), free(t_fwd), free(t_bwd), free(t_fb), free(t_opt), free(t_step), free(c_all);

    r->cfg = cfg;
    r->B = B, r->P = P, r->N = N;
    r->threads = nt;
    bench_flops(&cfg, B, P, N, &r->flops_gen, &r->flops_policy_fwd_bwd, &r->flops_ref_fwd);
    r->gen_tok_s = (double)B * N / r->median.gen;
    r->train_tok_s = (double)B * T / r->median.policy_fwd_bwd;
    r->gflops_gen = r->flops_gen / r->median.gen / 1e9;
    r->gflops_policy_fwd_bwd = r->flops_policy_fwd_bwd / r->median.policy_fwd_bwd / 1e9;
    r->gflops_ref_fwd = r->flops_ref_fwd / r->median.ref_fwd / 1e9;
    r->gflops_step = (r->flops_gen + r->flops_policy_fwd_bwd + r->flops_ref_fwd) / r->median.step / 1e9;

    /* sgemm at the phases' shapes: decode rows (B / threads) for generation, B*T / threads for training */
    int train_rows = (int)((size_t)B * T / nt), gen_rows = (B + nt - 1) / nt;
    double pf = measure_peak(&cfg, train_rows, 0, b.peak_mem, per_task);
    double pb = measure_peak(&cfg, train_rows, 1, b.peak_mem, per_task);
    r->peak_ref_fwd = pf;
    r->peak_policy_fwd_bwd = 3.0 / (1.0 / pf + 2.0 / pb); /* the backward does twice the forward's flops */
    r->peak_gen = measure_peak(&cfg, gen_rows, 0, b.peak_mem, per_task);
    peak_fp32_measure(nt, &r->peak_fp32);
    snprintf(r->blas_core, sizeof r->blas_core, "%s", kernels_blas_corename());
    bench_free(&b);
    return 0;
}
