/* bench.c - the grpo-step benchmark of bench.h. The step is the one torch_grpo_ref.py times: random init,
 * 16 prompts x G 8 of 32 random tokens (vocab 64), exactly 96 new tokens at temperature 1, random 0/1 rewards,
 * group-normalised advantages, GRPO loss with one iteration (old = current log-probs) against a frozen reference
 * copy (eps 0.2, beta 0.04, k3, per-sequence mean), gradient clipping at 1.0 and AdamW (lr 1e-4, wd 0.01).
 * It runs through the trainer's own step code (core/grpo_step.c: generation, reference, micro-batched update), so
 * the benchmark times what users run; by default the budget holds the whole batch (one micro-batch).
 *
 * Legitimate work the engine saves and PyTorch does not: generation runs the decoder on dense batches with one
 * pool dispatch per token; attention computes only the lower triangle; the policy's log-probs of the one
 * iteration serve as the old log-probs (as in PyTorch's detach); the reference forward keeps no activations;
 * generation records the policy's activations over the sampled sequences (model_kv_record), so the policy
 * forward of the update is a check and a re-layout (model_forward_recorded) - its cost is in `gen`.
 * So GFLOP/s come two ways: "torch-formula" (bench_flops: the FLOPs PyTorch runs, which make the two programs'
 * rates comparable) and "executed" (bench_flops_executed: the FLOPs this engine runs, whose rate is the share of
 * the machine the step really uses). */
#include "core/bench.h"
#include "core/config.h"
#include "core/grpo.h"
#include "core/grpo_step.h"
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

/* Multiply-adds of one row through one layer's matmuls: q (C -> H D), k and v (C -> KVH D), o (H D -> C), gate and
 * up (C -> F), down (F -> C). C x C each for the four attention projections when H D = C and KVH = H. */
static double layer_macs(const ModelConfig *c) {
    double C = c->C, HD = (double)c->H * model_head_dim(c), KVD = (double)model_kv_heads(c) * model_head_dim(c);
    return C * (2 * HD + 2 * KVD) + 3 * C * c->F;
}

/* Attention's width: every query head attends over D dimensions (a key-value head serves H / KVH of them). */
static double att_width(const ModelConfig *c) { return (double)c->H * model_head_dim(c); }

void bench_flops(const ModelConfig *c, int B, int P, int N, double *gen, double *policy_fwd_bwd, double *ref_fwd) {
    double d = att_width(c), body = (double)c->L * layer_macs(c), head = (double)c->V * c->C, Pmm = body + head;
    int T = P + N;
    double attn_full = 4.0 * T * d * c->L, fwd_tok = 2 * Pmm + attn_full;
    *policy_fwd_bwd = (double)B * T * 3 * fwd_tok;
    *ref_fwd = (double)B * T * fwd_tok;
    double g = (double)B * (P * (2 * body + 4.0 * P * d * c->L) + 2 * head);
    for (int p = P; p < P + N - 1; p++) g += (double)B * (2 * Pmm + 4.0 * (p + 1) * d * c->L);
    *gen = g;
}

/* Executed FLOPs. Every count is multiply-adds x 2 of what the code runs for the benchmark's step; mm is one row
 * through one layer's weights (q, k, v, o: 4 C x C; gate, up, down: 3 C x F), head one row through the output
 * layer (V x C). With grouped-query attention (KVH < H) or a head size D other than C / H, k and v are KVH D wide
 * and q and o H D (layer_macs), and attention's C below is H D (att_width): every query head runs its own gemms.
 *
 * Attention over whole sequences (attention_forward/backward, kernels_tmpl.h) runs per head on query tiles of
 * KERNELS_ATT_TILE rows: the tile of rows [t0, t1) multiplies against keys [0, t1), so one head of a sequence of T
 * costs D x A(T) multiply-adds per gemm, A(T) = sum over tiles of (t1 - t0) t1 (T^2 / 2 + T TILE / 2 for
 * whole tiles; 5/8 of T^2 at T 128). The forward has two gemms (scores q k^T, then P v): 4 C A(T) FLOPs per layer
 * over the H heads. The backward has five (the scores again, dP = dy v^T, dv += P^T dy, dq += dS k,
 * dk += dS^T q): 10 C A(T). Decoding one row at position p (attention_decode) reads p + 1 cached keys and values:
 * 4 C (p + 1); its score loop computes whole blocks of 16 positions, and the lanes it drops are not counted.
 *
 * - generation: the prefill runs the forward over one row per distinct prompt (the group's rows share its keys
 *   and values): prompts x (P mm L + 4 C L A(P)), then the logits of every row's last prompt token (B heads).
 *   Each of the N - 1 decode steps (positions p = P .. P + N - 2) runs all B rows: B (mm L + head + 4 C L (p+1)).
 *   Recording the policy's activations copies rows and computes nothing.
 * - reference forward: B T mm L + B 4 C L A(T), then the log-probs' output layer on the N positions before each
 *   completion token only (model_token_logprobs_rows: B N heads; the prompt's positions need none).
 * - policy forward: the same as the reference's, without its forward when generation recorded it (the log-probs'
 *   B N output rows run anyway). Micro-batches split rows, not work: the count does not depend on them.
 * - policy backward: dX and dW of every layer matmul (2 B T mm L), attention 10 C L A(T) per sequence, and the
 *   output layer only on rows with a nonzero dlogp - the N positions before each completion token: their logits
 *   again, dX and d lm_head (3 B N head). A row whose dlogp is exactly zero (zero advantage and the policy equal
 *   to the reference) is skipped by the code but counted here.
 * - optimizer: BENCH_OPT_FLOPS_PER_PARAM per parameter. */
static double att_tile_area(int T) {
    double a = 0;
    for (int t0 = 0; t0 < T; t0 += KERNELS_ATT_TILE) {
        int t1 = t0 + KERNELS_ATT_TILE < T ? t0 + KERNELS_ATT_TILE : T;
        a += (double)(t1 - t0) * t1;
    }
    return a;
}

void bench_flops_executed(const ModelConfig *c, int B, int prompts, int P, int N, int recorded, BenchPhases *out) {
    assert(B >= 1 && prompts >= 1 && prompts <= B && P >= 1 && N >= 1);
    double C = att_width(c), L = c->L, T = P + N;
    double mm = 2 * layer_macs(c), head = 2.0 * c->V * c->C;
    double att_P = 4 * C * L * att_tile_area(P), att_T = 4 * C * L * att_tile_area(P + N);
    double g = prompts * (P * mm * L + att_P) + B * head;
    for (int p = P; p < P + N - 1; p++) g += B * (mm * L + head + 4 * C * L * (p + 1));
    double fwd = B * (T * mm * L + att_T), logprobs = B * N * head;
    out->gen = g;
    out->ref_fwd = fwd + logprobs;
    out->policy_fwd = (recorded ? 0 : fwd) + logprobs;
    out->policy_bwd = B * (2 * T * mm * L + 2.5 * att_T) + 3.0 * B * N * head;
    out->policy_fwd_bwd = out->policy_fwd + out->policy_bwd;
    out->opt = (double)BENCH_OPT_FLOPS_PER_PARAM * model_n_params(c);
    out->step = out->gen + out->ref_fwd + out->policy_fwd_bwd + out->opt;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double gflops(double flops, double seconds) { return seconds > 0 ? flops / seconds / 1e9 : 0; }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ------------------------------------------------------------------------------ sgemm peak at our shapes */

/* the widest of a layer's matrices' sides: C, F or H D */
static int bench_widest(const ModelConfig *c) {
    int hd = c->H * model_head_dim(c), mx = c->F > c->C ? c->F : c->C;
    return hd > mx ? hd : mx;
}

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
    int C = c->C, F = c->F, R = j->rows, mx = bench_widest(c);
    int HD = c->H * model_head_dim(c), KVD = model_kv_heads(c) * model_head_dim(c);
    float *X = j->mem + (size_t)task * j->per_task, *Y = X + (size_t)R * 2 * mx, *W = Y + (size_t)R * 2 * mx;
    float *dW = W + (size_t)2 * mx * mx;
    /* (N out, K in) of the gemms of one layer: q k v o, gate up, down */
    int shapes[7][2] = {{HD, C}, {KVD, C}, {KVD, C}, {C, HD}, {F, C}, {F, C}, {C, F}};
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
    double fl = 2.0 * rows * layer_macs(c) * (backward ? 2 : 1) * nt;
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
    GrpoStep *engine;
    int *prompts, *prompt_lens, *out, *out_lens, *finish, *tokens;
    float *rewards, *adv;
    float *peak_mem;
} Bench;

static void bench_free(Bench *b) {
    model_free(&b->policy);
    model_free(&b->ref);
    adamw_free(&b->opt);
    grpo_step_free(b->engine);
    void *bufs[] = {b->prompts, b->prompt_lens, b->out, b->out_lens, b->finish, b->tokens, b->rewards, b->adv,
                    b->peak_mem};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

/* The benchmark's model shapes: tiny and small (bench README), and SmolLM2-135M's (vocabulary 49152, grouped-query
 * attention 9 / 3 heads of 64, RoPE theta 100000, tied), for a model of the size people fine-tune. */
static int bench_shape(const char *name, ModelConfig *cfg) {
    memset(cfg, 0, sizeof *cfg);
    if (!strcmp(name, "smollm2-135m")) {
        *cfg = (ModelConfig){.V = 49152, .C = 576, .L = 30, .H = 9, .n_kv_heads = 3, .head_dim = 64, .F = 1536,
                             .rope_theta = 100000.0f, .norm_eps = 1e-5f, .tied = 1};
        return 0;
    }
    cfg->V = 64;
    return model_preset(cfg, name);
}

int bench_grpo_step(const BenchParams *p, BenchResult *r, char *err, size_t err_size) {
    const int NP = p->prompts ? p->prompts : 16, G = p->group ? p->group : 8;
    const int P = p->prompt_tokens ? p->prompt_tokens : 32, N = p->new_tokens ? p->new_tokens : 96;
    const int B = NP * G, T = P + N;
    memset(r, 0, sizeof *r);
    ModelConfig cfg;
    if (bench_shape(p->model, &cfg) != 0) {
        snprintf(err, err_size, "unknown model '%s' (expected tiny, small or smollm2-135m)", p->model);
        return -1;
    }
    const int V = cfg.V;
    cfg.max_T = T;
    if (p->steps < 1 || p->warmup < 0 || p->activation_mb < 0) {
        snprintf(err, err_size, "steps must be >= 1, warmup >= 0 and activation_mb >= 0");
        return -1;
    }
    if (NP < 1 || G < 1 || P < 1 || N < 1 || B > BENCH_MAX_ROWS || T > BENCH_MAX_TOKENS) {
        snprintf(err, err_size, "prompts x group must be 1 .. %d and prompt + new tokens 2 .. %d (got %d x %d, %d + %d)",
                 BENCH_MAX_ROWS, BENCH_MAX_TOKENS, NP, G, P, N);
        return -1;
    }
    kernels_set_threads(p->threads);
    Bench b;
    memset(&b, 0, sizeof b);
    int nt = kernels_threads();
    size_t mx = (size_t)bench_widest(&cfg), rows = (size_t)B * T / nt + 1;
    size_t per_task = rows * 4 * mx + 4 * mx * mx + 64;
    /* by default the whole batch's activations fit, so generation records the first update's forward. The engine
     * buys (budget - model_acts_bytes(cfg, 0, 1)) / token bytes tokens, and both byte counts round to 2 MiB pages
     * separately: model_acts_bytes(cfg, B*T, 1) fell 17 tokens short for small (two micro-batches, no recording) */
    size_t budget = p->activation_mb > 0 ? (size_t)p->activation_mb << 20
                                         : model_acts_bytes(&cfg, 0, 1) + (size_t)B * T * model_acts_token_bytes(&cfg, 1);
    char rerr[256];
    int ok = model_init(&b.policy, &cfg, p->seed) == 0 && model_init_frozen(&b.ref, &cfg) == 0 &&
             adamw_init(&b.opt, b.policy.n_params) == 0 && (b.engine = grpo_step_new(&cfg, budget)) &&
             grpo_step_reserve(b.engine, B, T, rerr, sizeof rerr) == 0 &&
             (b.prompts = malloc(sizeof(int) * B * P)) && (b.prompt_lens = malloc(sizeof(int) * B)) &&
             (b.out = malloc(sizeof(int) * B * N)) && (b.out_lens = malloc(sizeof(int) * B)) &&
             (b.finish = malloc(sizeof(int) * B)) && (b.tokens = malloc(sizeof(int) * B * T)) &&
             (b.rewards = malloc(sizeof(float) * B)) && (b.adv = malloc(sizeof(float) * B)) &&
             (b.peak_mem = calloc(per_task * nt, sizeof(float)));
    if (!ok) {
        bench_free(&b);
        snprintf(err, err_size, "out of memory allocating the %s benchmark", p->model);
        return -1;
    }
    model_copy_params(&b.ref, &b.policy);
    for (int i = 0; i < B; i++) b.prompt_lens[i] = P;
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = -1};
    GrpoUpdateParams up = {.loss = {.beta = 0.04f, .eps_low = 0.2f, .eps_high = 0.2f, .aggregation = AGG_SEQUENCE,
                                    .max_new_tokens = N},
                           .iterations = 1, .lr = 1e-4f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                           .weight_decay = 0.01f, .grad_clip = 1.0f};
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
        double t0 = now(), c0 = cpu_now();
        for (int q = 0; q < NP; q++) {
            for (int t = 0; t < P; t++) b.prompts[q * G * P + t] = (int)rng_below(&rng, V);
            for (int g = 1; g < G; g++) memcpy(b.prompts + (q * G + g) * P, b.prompts + q * G * P, sizeof(int) * P);
        }
        grpo_step_generate(b.engine, &b.policy, &sp, rng_u64(&rng), b.prompts, b.prompt_lens, P, B, b.out,
                           b.out_lens, b.finish, NULL, NULL);
        double t1 = now(), c1 = cpu_now();
        for (int i = 0; i < B; i++) b.rewards[i] = (float)rng_below(&rng, 2);
        grpo_advantages(b.adv, b.rewards, NP, G, ADV_SCALE_GROUP, 1e-4f);
        for (int i = 0; i < B; i++) {
            memcpy(b.tokens + (size_t)i * T, b.prompts + (size_t)i * P, sizeof(int) * P);
            memcpy(b.tokens + (size_t)i * T + P, b.out + (size_t)i * N, sizeof(int) * N);
        }
        GrpoUpdateStats st; /* the trainer's own update: reference, micro-batched policy update, AdamW */
        grpo_step_update(b.engine, &b.policy, &b.ref, &b.opt, b.tokens, b.prompt_lens, b.out_lens, b.adv, B, T, &up,
                         &st);
        double t5 = now(), c5 = cpu_now();
        double *cs = c_all + (size_t)step * 7;
        cs[0] = c1 - c0, cs[1] = st.c_ref, cs[2] = st.c_fwd, cs[3] = st.c_bwd;
        cs[4] = st.c_fwd + st.c_bwd, cs[5] = st.c_opt, cs[6] = c5 - c0;
        t_gen[step] = t1 - t0, t_ref[step] = st.t_ref, t_fwd[step] = st.t_fwd, t_bwd[step] = st.t_bwd;
        t_fb[step] = st.t_fwd + st.t_bwd, t_opt[step] = st.t_opt, t_step[step] = t5 - t0;
        r->last_loss = st.loss;
        r->last_grad_norm = st.grad_norm;
        r->micro_batches = st.micro_batches;
        r->recorded = st.recorded;
        if (p->on_step) p->on_step(p->ud, step + 1, total);
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
    bench_flops_executed(&cfg, B, NP, P, N, r->recorded, &r->exec_flops);
    const BenchPhases *xf = &r->exec_flops, *m = &r->median;
    BenchPhases *xg = &r->exec_gflops;
    xg->gen = gflops(xf->gen, m->gen);
    xg->ref_fwd = gflops(xf->ref_fwd, m->ref_fwd);
    xg->policy_fwd = gflops(xf->policy_fwd, m->policy_fwd);
    xg->policy_bwd = gflops(xf->policy_bwd, m->policy_bwd);
    xg->policy_fwd_bwd = gflops(xf->policy_fwd_bwd, m->policy_fwd_bwd);
    xg->opt = gflops(xf->opt, m->opt);
    xg->step = gflops(xf->step, m->step);

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
