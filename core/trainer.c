/* trainer.c - the GRPO step loop and its control interface (trainer.h).
 *
 * Threads: trainer_run's thread owns the models, buffers and `cfg`. Other threads only touch the control block
 * (`mu`, `cv` and the fields under them): pause/resume/step/save/stop flags and `pending`, the config with the
 * live changes requested so far. Changes move from `pending` into `cfg` at the start of a step, so a step always
 * runs with one consistent set of hyperparameters. Callbacks are always called without `mu` held.
 *
 * Memory follows the batch in force: the buffers hold prompts_per_step * group_size sequences of the prompts'
 * width plus max_new_tokens, and grow (grpo_step_reserve, grow_buffers) at the start of a step whose batch is
 * larger than any before; the compute of a step allocates nothing. The policy update runs in micro-batches that fit
 * run.activation_mb (core/grpo_step.h).
 *
 * Data parallel (core/dist.h, `mpirun -np N`): every rank draws all of a step's prompts from the same RNG (so the
 * draws agree without a message) and generates, scores and learns from its own block of whole groups (dist_block);
 * row b of the batch samples from the stream (seed, step, b) wherever it runs, so the rollouts are the single
 * process's. Rewards and lengths are exchanged so every rank computes the same advantages; grpo_step_update sums the
 * gradients, and every rank applies the same AdamW step. Rank 0 gathers the rollouts, reports steps and events,
 * writes the checkpoints, and at each step boundary broadcasts the config in force and run / pause / stop (while
 * paused, once a second, so the other ranks' watchdog sees it alive). Pause and stop take effect at step boundaries
 * only. Dynamic sampling splits each round the same way (the ranks' kept groups then differ in number: a rank
 * may learn from none and still takes part in the sums); evaluation deals its
 * batches to the ranks (eval.h: eval_run), and every rank gets the whole result. */
#include "core/trainer.h"
#include "core/checkpoint.h"
#include "core/dist.h"
#include "core/episode.h"
#include "core/eval.h"
#include "core/grpo.h"
#include "core/grpo_step.h"
#include "core/memory.h"
#include "core/model.h"
#include "core/search_stats.h"
#include "core/optim.h"
#include "core/reward.h"
#include "core/rng.h"
#include "core/sampler.h"
#include "core/task.h"
#include "core/tokenizer.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_PENDING 64
#define PROMPT_TEXT (TASK_QUESTION_MAX + 1024 + 64) /* a question in task.prompt_template */
#define MAX_METRICS 128
#define HEARTBEAT_S 1.0 /* seconds between rank 0's messages to the other ranks while paused */
/* bytes of a completion's text: T_max tokens of at most token_bytes each (tokenizer_max_token_bytes) */
#define COMP_TEXT(T_max, token_bytes) ((T_max) * (token_bytes) + 16)

typedef struct { char key[48], old_value[48], new_value[48]; } Change;

struct Trainer {
    Config cfg;                 /* in force (trainer thread) */
    TrainerCallbacks cb;
    Model policy, ref;
    Tokenizer tok;
    TokenizerStream *trace;     /* the watched rollout's text as it is generated */
    Task *task;
    AdamW opt;
    GrpoStep *engine;           /* generation, reference, micro-batched updates; its sampler serves evaluation too */
    Evaluator *evaluator;
    Rng rng;
    size_t act_budget;          /* bytes for the update's activations (run.activation_mb or automatic) */
    int prompt_width;           /* longest prompt seen (tokens): sizes the batch with max_new_tokens (under mu) */
    int B_max, T_max, comp_text; /* rows of the step buffers below (grown with the batch), model.max_T */
    int step;                   /* steps completed */
    int saved_step;             /* step of the last checkpoint written, -1 none */
    double t_start;

    /* step buffers */
    Problem *problems;          /* (B_max) */
    int *prompts, *plens;       /* (B_max, T_max), (B_max) */
    int *gen, *glens, *finish;  /* (B_max, T_max), (B_max), (B_max) */
    int *seq;                   /* (B_max, T_max) prompt + completion, padded */
    float *rewards;             /* (B_max) */
    float *shaping;             /* (B_max) the overlong shaping in each drawn rollout's reward */
    int *group_kept;            /* (B_max, by group) 0: dropped by dynamic sampling (its rewards all equal) */
    /* the batch the update learns from: the kept groups' rows (B_max each) */
    int *batch_row, *batch_plens, *batch_glens; /* the drawn row each comes from; its prompt and completion lengths */
    float *batch_rewards, *adv; /* rewards, advantages */
    float *row_mask;            /* 0: the row is left out of the loss (grpo.mask_truncated) */
    /* entropy-masked updates, (B_max, T_max) each: generation-time entropies of the drawn rows (row stride N), the
     * batch's entropies, loss tokens and kept tokens (row stride N), selection scratch */
    float *ent, *tok_ent, *tok_valid, *tok_keep, *ent_scratch;
    /* per-token record (B_max, T_max) each: generation-time log-probs of the drawn rows (row stride N, like ent),
     * the last update's importance ratios of the batch's rows (row stride N) */
    float *gen_lp, *tok_ratio;
    /* the rows this process learns from (all of them, or its groups' of a data-parallel step), contiguous: their
     * prompt and completion lengths, advantages, row masks (B_max each) and token masks (B_max, T_max); the rank
     * that generated each group (B_max, by group) */
    int *own_plens, *own_glens, *group_rank;
    float *own_adv, *own_mask, *own_keep;
    int n_rollouts;             /* drawn this step: rollouts[0 .. n_rollouts) */
    RewardResult *scores;       /* (B_max) */
    Rollout *rollouts;          /* (B_max) */
    char *prompt_text, *comp_text_buf; /* (B_max, PROMPT_TEXT), (B_max, comp_text) */
    Metric metrics[MAX_METRICS];
    int n_metrics;
    int watch_row, watch_n;     /* the streamed rollout and its length so far */
    int watch_local;            /* the streamed rollout's row in the generating batch, -1: none */
    int cur_step_N;             /* completion width of the step being generated */

    /* control block */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int paused, single, stop, save_req;
    int eval_done, eval_total;  /* held-out problems evaluated so far of the evaluation running (total 0: none) */
    TrainerStatus status;
    Config pending;
    Change changes[MAX_PENDING];
    int n_changes;
    char error[PATH_MAX + 256];
    char last_ckpt[PATH_MAX];
    char ckpt_dir[PATH_MAX - 64];  /* this run's checkpoint folder: step-N go inside (trainer_set_checkpoint_dir) */
    int shown_step;             /* trainer_step's answer */
};

const char *trainer_status_name(TrainerStatus s) {
    switch (s) {
    case TRAINER_RUNNING: return "RUNNING";
    case TRAINER_PAUSED: return "PAUSED";
    case TRAINER_STOPPING: return "STOPPING";
    case TRAINER_DONE: return "DONE";
    case TRAINER_FAILED: return "FAILED";
    }
    return "?";
}

static double now_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void emit(Trainer *t, EventKind kind, int step, const char *name, const char *old_value,
                 const char *new_value, const char *detail) {
    if (!t->cb.on_event) return;
    Event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.step = step;
    ev.wall_time = now_wall();
    if (name) snprintf(ev.name, sizeof ev.name, "%s", name);
    if (old_value) snprintf(ev.old_value, sizeof ev.old_value, "%s", old_value);
    if (new_value) snprintf(ev.new_value, sizeof ev.new_value, "%s", new_value);
    if (detail) snprintf(ev.detail, sizeof ev.detail, "%s", detail);
    t->cb.on_event(t->cb.ud, &ev);
}

static void model_config_from(ModelConfig *mc, const Config *c, int V) {
    memset(mc, 0, sizeof *mc);
    mc->V = V;
    mc->C = c->model.d_model;
    mc->L = c->model.n_layers;
    mc->H = c->model.n_heads;
    mc->F = c->model.ffn_hidden;
    mc->max_T = c->model.max_seq;
    mc->rope_theta = c->model.rope_theta;
    mc->norm_eps = c->model.norm_eps;
    mc->tied = c->model.tied;
}

/* A checkpoint's context as the run uses it: at most model.max_seq tokens. A Hugging Face model states its longest
 * context (max_position_embeddings, 131072 for Llama-3.2), and the RoPE tables and attention scratch of every
 * activation set are sized by it; the weights are not. */
static void run_context(const Config *c, ModelConfig *mc) {
    if (mc->max_T > c->model.max_seq) mc->max_T = c->model.max_seq;
}

/* The model the run will train and its tokenizer: config.json of model.init, its header checked against the weights
 * (no weights read), or the config's own sizes for a random model. Returns 0 or -1 with err. */
static int run_model_config(const Config *c, ModelConfig *mc, Tokenizer *tok, char *err, size_t errlen) {
    if (strcmp(c->model.init, "random") != 0 && c->model.init[0]) {
        if (checkpoint_check(c->model.init, mc, tok, err, errlen) != 0) return -1;
        run_context(c, mc);
        return 0;
    }
    if (episode_tokenizer(c, tok, err, errlen) != 0) return -1;
    model_config_from(mc, c, tok->V);
    return 0;
}

/* The longest prompt, in tokens, among the first training problems: with max_new_tokens it sizes the batch (a
 * longer prompt later grows the buffers). -1 with err when a prompt does not fit the model. */
static int prompt_width(const Tokenizer *tok, const Task *task, int max_T, char *err, size_t errlen) {
    enum { SAMPLE = 64 };
    int *ids = malloc(sizeof(int) * max_T), width = 1;
    char text[PROMPT_TEXT];
    if (!ids) { snprintf(err, errlen, "out of memory"); return -1; }
    uint64_t n = task_size(task, SPLIT_TRAIN);
    for (uint64_t i = 0; i < n && i < SAMPLE; i++) {
        Problem pr;
        task_problem(task, SPLIT_TRAIN, i, &pr);
        int len = episode_encode_prompt(tok, task, &pr, ids, max_T, text, sizeof text, err, errlen);
        if (len < 0) { width = -1; break; }
        if (len > width) width = len;
    }
    free(ids);
    return width;
}

/* Tokens per sequence of a step: the prompts and max_new_tokens, within the model's context */
static int step_length(const Config *c, int prompt_w, int max_T) {
    int T = prompt_w + c->sampling.max_new_tokens;
    return T < max_T ? T : max_T;
}

static size_t activation_budget(const Config *c) {
    return c->run.activation_mb > 0 ? (size_t)c->run.activation_mb << 20 : grpo_step_auto_budget(memory_available());
}

/* Per-step buffers (grow_buffers) of B sequences of T_max tokens, comp_text bytes of completion text each. */
static size_t buffer_bytes(size_t B, size_t T_max, size_t comp_text) {
    return B * T_max * (3 * sizeof(int) + 8 * sizeof(float)) + B * (10 * sizeof(int) + 7 * sizeof(float)) +
           B * (sizeof(Problem) + sizeof(RewardResult) + sizeof(Rollout) + PROMPT_TEXT + comp_text);
}

/* Prompts a step may draw: prompts_per_step, or with dynamic sampling up to max_draw_factor times as many. */
static int max_draws(const Config *c) {
    return c->grpo.prompts_per_step * (c->grpo.dynamic_sampling ? c->grpo.max_draw_factor : 1);
}

/* The run's memory with the config c in force (P x G, max_new_tokens), prompts of prompt_w tokens. */
static void estimate_for(const Config *c, const ModelConfig *mc, int token_bytes, int prompt_w, size_t budget,
                         MemoryEstimate *e) {
    size_t P = model_params_bytes(mc);
    int B = c->grpo.prompts_per_step * c->grpo.group_size, k = c->run.eval_samples;
    int T = step_length(c, prompt_w, mc->max_T);
    GrpoStepBytes g;
    grpo_step_bytes(mc, budget, B > k ? B : k, T, &g);
    memset(e, 0, sizeof *e);
    e->weights = P;
    e->gradients = P;
    e->optimizer = 2 * model_n_params(mc) * sizeof(float); /* calloc, not rounded like the model's buffers */
    e->reference = P;
    e->kv_cache = g.kv_cache;
    e->activations = g.activations;
    size_t rows = (size_t)max_draws(c) * c->grpo.group_size; /* every rollout a step may draw */
    e->buffers = g.buffers + buffer_bytes(rows, (size_t)mc->max_T, COMP_TEXT((size_t)mc->max_T, token_bytes)) +
                 eval_bytes(mc, token_bytes, B > k ? B : k);
}

int trainer_memory_estimate(const Config *c, MemoryEstimate *e, char *err, size_t errlen) {
    ModelConfig mc;
    Tokenizer tok;
    if (run_model_config(c, &mc, &tok, err, errlen) != 0) return -1;
    Task *task = task_new(c, err, errlen);
    if (!task) return -1;
    int w = prompt_width(&tok, task, mc.max_T, err, errlen);
    task_free(task);
    if (w >= 0) estimate_for(c, &mc, tokenizer_max_token_bytes(&tok), w, activation_budget(c), e);
    tokenizer_free(&tok);
    return w < 0 ? -1 : 0;
}

/* Refuses, with the estimate and the keys that size it, a run that would not fit in the memory available. */
static int check_fits(const Config *c, const ModelConfig *mc, int token_bytes, int prompt_w, size_t budget, char *err,
                      size_t errlen) {
    MemoryEstimate e;
    estimate_for(c, mc, token_bytes, prompt_w, budget, &e);
    size_t need = memory_estimate_total(&e), avail = memory_available();
    if (!avail || need <= avail) return 0;
    char parts[512], need_s[32], avail_s[32], keys[320];
    memory_estimate_describe(&e, parts, sizeof parts);
    memory_format(need, need_s, sizeof need_s);
    memory_format(avail, avail_s, sizeof avail_s);
    if (strcmp(c->model.init, "random") != 0 && c->model.init[0])
        snprintf(keys, sizeof keys, "lower grpo.prompts_per_step x grpo.group_size (now %d x %d), "
                 "sampling.max_new_tokens (now %d) or run.activation_mb, or use a smaller model",
                 c->grpo.prompts_per_step, c->grpo.group_size, c->sampling.max_new_tokens);
    else
        snprintf(keys, sizeof keys, "lower grpo.prompts_per_step x grpo.group_size (now %d x %d), "
                 "sampling.max_new_tokens (now %d) or run.activation_mb, or choose a smaller model (model.preset, "
                 "model.d_model, model.n_layers)", c->grpo.prompts_per_step, c->grpo.group_size,
                 c->sampling.max_new_tokens);
    snprintf(err, errlen, "the run needs about %s of memory (%s) but %s is available: %s", need_s, parts, avail_s,
             keys);
    return -1;
}

/* A data-parallel run (dist.h) splits each step's prompts across the ranks by whole groups: every rank needs one
 * group of the step's first round at least. */
static int check_split(const Config *c, char *err, size_t errlen) {
    int n = dist_size();
    if (n == 1) return 0;
    if (c->grpo.prompts_per_step >= n) return 0;
    snprintf(err, errlen, "grpo.prompts_per_step = %d is below the %d MPI ranks: each rank takes whole prompts "
             "(raise grpo.prompts_per_step or run fewer ranks)", c->grpo.prompts_per_step, n);
    return -1;
}

/* Grows the step buffers to B rows (allocates: only at the start of a step whose batch is the largest yet).
 * Returns 0, or -1 with the old buffers intact. */
static int grow_buffers(Trainer *t, int B) {
    if (B <= t->B_max) return 0;
    size_t n = B, BT = n * t->T_max;
    void **slot[] = {(void **)&t->problems, (void **)&t->prompts, (void **)&t->plens, (void **)&t->gen,
                     (void **)&t->glens, (void **)&t->finish, (void **)&t->seq, (void **)&t->rewards,
                     (void **)&t->adv, (void **)&t->scores, (void **)&t->rollouts, (void **)&t->prompt_text,
                     (void **)&t->comp_text_buf, (void **)&t->row_mask, (void **)&t->shaping,
                     (void **)&t->group_kept, (void **)&t->batch_row, (void **)&t->batch_plens,
                     (void **)&t->batch_glens, (void **)&t->batch_rewards, (void **)&t->ent, (void **)&t->tok_ent,
                     (void **)&t->tok_valid, (void **)&t->tok_keep, (void **)&t->ent_scratch, (void **)&t->gen_lp,
                     (void **)&t->tok_ratio, (void **)&t->own_plens, (void **)&t->own_glens, (void **)&t->group_rank,
                     (void **)&t->own_adv, (void **)&t->own_mask, (void **)&t->own_keep};
    size_t bytes[] = {n * sizeof(Problem), BT * sizeof(int), n * sizeof(int), BT * sizeof(int), n * sizeof(int),
                      n * sizeof(int), BT * sizeof(int), n * sizeof(float), n * sizeof(float), n * sizeof(RewardResult),
                      n * sizeof(Rollout), n * PROMPT_TEXT, n * (size_t)t->comp_text, n * sizeof(float),
                      n * sizeof(float), n * sizeof(int), n * sizeof(int), n * sizeof(int), n * sizeof(int),
                      n * sizeof(float), BT * sizeof(float), BT * sizeof(float), BT * sizeof(float),
                      BT * sizeof(float), BT * sizeof(float), BT * sizeof(float), BT * sizeof(float),
                      n * sizeof(int), n * sizeof(int), n * sizeof(int), n * sizeof(float), n * sizeof(float),
                      BT * sizeof(float)};
    enum { N_BUF = sizeof bytes / sizeof bytes[0] };
    void *fresh[N_BUF];
    int ok = 1;
    for (int i = 0; i < N_BUF; i++) ok &= (fresh[i] = calloc(1, bytes[i])) != NULL;
    if (!ok) {
        for (int i = 0; i < N_BUF; i++) free(fresh[i]);
        return -1;
    }
    for (int i = 0; i < N_BUF; i++) { /* nothing in them outlives a step */
        free(*slot[i]);
        *slot[i] = fresh[i];
    }
    t->B_max = B;
    return 0;
}

Trainer *trainer_new(const Config *c, const TrainerCallbacks *cb, char *err, size_t errlen) {
    Trainer *t = calloc(1, sizeof *t);
    if (!t) { snprintf(err, errlen, "out of memory"); return NULL; }
    t->cfg = *c;
    t->pending = *c;
    if (cb) t->cb = *cb;
    t->saved_step = -1;
    snprintf(t->ckpt_dir, sizeof t->ckpt_dir, "%s/%s", c->run.out_dir, c->run.name);   /* bounded at config load */
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);

    ModelConfig run_mc;
    /* the tokenizer and the model's shape first (no weights read), to size and check the run */
    if (check_split(c, err, errlen) != 0 || run_model_config(c, &run_mc, &t->tok, err, errlen) != 0) goto fail;
    if (!(t->task = task_new(c, err, errlen))) goto fail;
    if ((t->prompt_width = prompt_width(&t->tok, t->task, run_mc.max_T, err, errlen)) < 0) goto fail;
    t->act_budget = activation_budget(c);
    if (check_fits(c, &run_mc, tokenizer_max_token_bytes(&t->tok), t->prompt_width, t->act_budget, err, errlen) != 0)
        goto fail;
    if (strcmp(c->model.init, "random") != 0 && c->model.init[0]) {
        tokenizer_free(&t->tok);
        if (checkpoint_load(c->model.init, &t->policy, &t->tok, NULL, NULL, err, errlen) != 0) goto fail;
        run_context(c, &t->policy.cfg);
    } else {
        ModelConfig mc;
        model_config_from(&mc, c, t->tok.V);
        if (model_init(&t->policy, &mc, (uint64_t)c->run.seed) != 0) { snprintf(err, errlen, "out of memory"); goto fail; }
    }
    if (model_init_frozen(&t->ref, &t->policy.cfg) != 0) { snprintf(err, errlen, "out of memory"); goto fail; }
    model_copy_params(&t->ref, &t->policy);
    if (adamw_init(&t->opt, t->policy.n_params) != 0) { snprintf(err, errlen, "out of memory"); goto fail; }

    t->T_max = t->policy.cfg.max_T;
    t->comp_text = COMP_TEXT(t->T_max, tokenizer_max_token_bytes(&t->tok));
    if (!(t->trace = tokenizer_stream_new(&t->tok))) { snprintf(err, errlen, "out of memory"); goto fail; }
    int B = c->grpo.prompts_per_step * c->grpo.group_size, rows = B > c->run.eval_samples ? B : c->run.eval_samples;
    if (!(t->engine = grpo_step_new(&t->policy.cfg, t->act_budget)) ||
        grpo_step_reserve(t->engine, rows, step_length(c, t->prompt_width, t->T_max), err, errlen) != 0 ||
        !(t->evaluator = eval_new(&t->policy.cfg, &t->tok, t->task, rows, grpo_step_sampler(t->engine))) ||
        grow_buffers(t, max_draws(c) * c->grpo.group_size) != 0) {
        snprintf(err, errlen, "out of memory for a batch of %d x %d tokens (grpo.prompts_per_step x grpo.group_size, "
                 "sampling.max_new_tokens)", B, step_length(c, t->prompt_width, t->T_max));
        goto fail;
    }
    rng_seed(&t->rng, (uint64_t)c->run.seed, 0);
    t->t_start = now_mono();
    return t;
fail:
    trainer_free(t);
    return NULL;
}

void trainer_free(Trainer *t) {
    if (!t) return;
    model_free(&t->policy);
    model_free(&t->ref);
    task_free(t->task);
    adamw_free(&t->opt);
    eval_free(t->evaluator);
    grpo_step_free(t->engine);
    free(t->problems); free(t->prompts); free(t->plens); free(t->gen); free(t->glens); free(t->finish);
    free(t->seq); free(t->rewards); free(t->adv); free(t->scores); free(t->rollouts);
    free(t->prompt_text); free(t->comp_text_buf); free(t->row_mask); free(t->shaping); free(t->group_kept);
    free(t->batch_row); free(t->batch_plens); free(t->batch_glens); free(t->batch_rewards);
    free(t->ent); free(t->tok_ent); free(t->tok_valid); free(t->tok_keep); free(t->ent_scratch);
    free(t->gen_lp); free(t->tok_ratio);
    free(t->own_plens); free(t->own_glens); free(t->group_rank); free(t->own_adv); free(t->own_mask); free(t->own_keep);
    tokenizer_stream_free(t->trace);
    tokenizer_free(&t->tok);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}

int trainer_restore(Trainer *t, const char *dir, char *err, size_t errlen) {
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    AdamW opt;
    memset(&opt, 0, sizeof opt);
    TrainerState st;
    memset(&st, 0, sizeof st);
    if (checkpoint_load(dir, &m, &tok, &opt, &st, err, errlen) != 0) return -1;
    const ModelConfig *a = &m.cfg, *b = &t->policy.cfg;
    if (a->V != b->V || a->C != b->C || a->L != b->L || a->H != b->H || a->F != b->F || a->max_T != b->max_T ||
        a->tied != b->tied) {
        snprintf(err, errlen, "%s: model V%d C%d L%d H%d F%d T%d does not match the run's V%d C%d L%d H%d F%d T%d",
                 dir, a->V, a->C, a->L, a->H, a->F, a->max_T, b->V, b->C, b->L, b->H, b->F, b->max_T);
        goto fail;
    }
    if (st.config_ini) {
        Config c = t->cfg;
        if (config_load_string(&c, st.config_ini, dir, err, errlen) != 0 || config_finish(&c, err, errlen) != 0)
            goto fail;
        t->cfg = c;
        t->pending = c;
    }
    model_copy_params(&t->policy, &m);
    if (opt.n == t->opt.n && opt.m) {
        memcpy(t->opt.m, opt.m, sizeof(float) * opt.n);
        memcpy(t->opt.v, opt.v, sizeof(float) * opt.n);
        t->opt.t = opt.t;
    }
    t->step = t->shown_step = st.step;
    t->saved_step = st.step;
    t->rng = st.rng;
    snprintf(t->last_ckpt, sizeof t->last_ckpt, "%s", dir);
    model_free(&m);
    adamw_free(&opt);
    tokenizer_free(&tok);
    free(st.config_ini);
    return 0;
fail:
    model_free(&m);
    adamw_free(&opt);
    tokenizer_free(&tok);
    free(st.config_ini);
    return -1;
}

/* ---- control ------------------------------------------------------------------------------------------------ */

void trainer_pause(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    t->paused = 1;
    t->single = 0;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_resume(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    t->paused = 0;
    t->single = 0;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_single_step(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    t->paused = 0;
    t->single = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_request_checkpoint(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    t->save_req = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_stop(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    if (t->status == TRAINER_RUNNING || t->status == TRAINER_PAUSED) t->status = TRAINER_STOPPING;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* The estimated footprint of the run with config c in force. Called with mu held (prompt_width). */
static size_t footprint(Trainer *t, const Config *c) {
    MemoryEstimate e;
    estimate_for(c, &t->policy.cfg, tokenizer_max_token_bytes(&t->tok), t->prompt_width, t->act_budget, &e);
    return memory_estimate_total(&e);
}

/* Refuses a change from `now` to `next` whose growth the machine's free memory could not hold. */
static int memory_check_change(Trainer *t, const Config *now, const Config *next, const ConfigKey *k, const char *value,
                               char *err, size_t errlen) {
    size_t a = footprint(t, now), b = footprint(t, next), avail = memory_available();
    if (b <= a || !avail || b - a <= avail) return 0;
    char bs[32], as[32], fs[32];
    memory_format(b, bs, sizeof bs);
    memory_format(a, as, sizeof as);
    memory_format(avail, fs, sizeof fs);
    snprintf(err, errlen, "%s.%s = %s: the run would need about %s of memory (now %s) but only %s more is available",
             k->section, k->key, value, bs, as, fs);
    return -1;
}

int trainer_footprint(Trainer *t, const char *dotted, const char *value, size_t *now, size_t *after) {
    const ConfigKey *k = config_key_dotted(dotted);
    char err[256];
    pthread_mutex_lock(&t->mu);
    Config next = t->pending;
    *now = footprint(t, &t->pending);
    int rc = k && config_set_value(&next, k, value, err, sizeof err) == 0 && config_finish(&next, err, sizeof err) == 0;
    *after = rc ? footprint(t, &next) : *now;
    pthread_mutex_unlock(&t->mu);
    return rc ? 0 : -1;
}

int trainer_set(Trainer *t, const char *dotted, const char *value, char *err, size_t errlen) {
    const ConfigKey *k = config_key_dotted(dotted);
    if (!k) { snprintf(err, errlen, "unknown key '%s' (expected section.key, e.g. optim.lr)", dotted); return -1; }
    if (!k->live) {
        snprintf(err, errlen, "%s.%s cannot change while a run lives (set it in the config and restart)",
                 k->section, k->key);
        return -1;
    }
    pthread_mutex_lock(&t->mu);
    Config scratch = t->pending;
    char old[48];
    config_get_value(&scratch, k, old, sizeof old);
    int rc = config_set_value(&scratch, k, value, err, errlen);
    if (rc == 0) rc = config_finish(&scratch, err, errlen);
    if (rc == 0) rc = check_split(&scratch, err, errlen);
    if (rc == 0) rc = memory_check_change(t, &t->pending, &scratch, k, value, err, errlen);
    if (rc == 0 && t->n_changes >= MAX_PENDING) {
        snprintf(err, errlen, "too many changes waiting for the next step (%d)", MAX_PENDING);
        rc = -1;
    }
    if (rc == 0) {
        Change *ch = &t->changes[t->n_changes++];
        snprintf(ch->key, sizeof ch->key, "%s.%s", k->section, k->key);
        snprintf(ch->old_value, sizeof ch->old_value, "%s", old);
        config_get_value(&scratch, k, ch->new_value, sizeof ch->new_value);
        t->pending = scratch;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

TrainerStatus trainer_status(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    TrainerStatus s = t->status;
    pthread_mutex_unlock(&t->mu);
    return s;
}

int trainer_step(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    int s = t->shown_step;
    pthread_mutex_unlock(&t->mu);
    return s;
}

void trainer_eval_progress(Trainer *t, int *done, int *total) {
    pthread_mutex_lock(&t->mu);
    *done = t->eval_done;
    *total = t->eval_total;
    pthread_mutex_unlock(&t->mu);
}

void trainer_get(Trainer *t, const char *dotted, char *buf, size_t n) {
    const ConfigKey *k = config_key_dotted(dotted);
    if (!k) { snprintf(buf, n, "?"); return; }
    pthread_mutex_lock(&t->mu);
    config_get_value(&t->pending, k, buf, n);
    pthread_mutex_unlock(&t->mu);
}

int trainer_set_checkpoint_dir(Trainer *t, const char *dir, char *err, size_t errlen) {
    if (!dir[0] || strlen(dir) >= sizeof t->ckpt_dir) {
        snprintf(err, errlen, "checkpoint folder '%.200s%s' is %s (expected 1 to %zu characters)", dir,
                 strlen(dir) > 200 ? "..." : "", dir[0] ? "too long" : "empty", sizeof t->ckpt_dir - 1);
        return -1;
    }
    snprintf(t->ckpt_dir, sizeof t->ckpt_dir, "%s", dir);
    return 0;
}

void trainer_last_checkpoint(Trainer *t, char *buf, size_t n) {
    pthread_mutex_lock(&t->mu);
    snprintf(buf, n, "%s", t->last_ckpt);
    pthread_mutex_unlock(&t->mu);
}

const char *trainer_error(const Trainer *t) { return t->error; }

static void set_status(Trainer *t, TrainerStatus s) {
    pthread_mutex_lock(&t->mu);
    t->status = s;
    pthread_mutex_unlock(&t->mu);
}

/* Blocks while paused (emitting pause/resume as the state really changes); at a step boundary (wake_for_save) a
 * checkpoint request also ends the wait so it can be served, and with limit_s > 0 the wait ends after that many
 * seconds (still paused). Returns 1 when a stop is requested. */
static int wait_while_paused(Trainer *t, int wake_for_save, double limit_s) {
    pthread_mutex_lock(&t->mu);
    if (t->paused && !t->stop) {
        if (t->status != TRAINER_PAUSED) {
            t->status = TRAINER_PAUSED;
            pthread_mutex_unlock(&t->mu);
            emit(t, EVENT_PAUSE, t->step, NULL, NULL, NULL, NULL);
            pthread_mutex_lock(&t->mu);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)limit_s;
        until.tv_nsec += (long)((limit_s - (time_t)limit_s) * 1e9);
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        while (t->paused && !t->stop && !(wake_for_save && t->save_req))
            if (limit_s <= 0) pthread_cond_wait(&t->cv, &t->mu);
            else if (pthread_cond_timedwait(&t->cv, &t->mu, &until) != 0) break;
        if (!t->stop && !t->paused) {
            t->status = TRAINER_RUNNING;
            pthread_mutex_unlock(&t->mu);
            emit(t, EVENT_RESUME, t->step, NULL, NULL, NULL, NULL);
            pthread_mutex_lock(&t->mu);
        }
    }
    int stop = t->stop;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

/* ---- checkpoints -------------------------------------------------------------------------------------------- */

static int mkdir_p(const char *path) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Writes a checkpoint of the current step. On failure the error is emitted (EVENT_ERROR, name "checkpoint") and kept
 * in t->error; returns -1. */
static int save_checkpoint(Trainer *t) {
    if (dist_rank() != 0) { /* rank 0 holds the same weights and writes them */
        t->saved_step = t->step;
        return 0;
    }
    /* ckpt_dir is bounded (trainer_set_checkpoint_dir, or run.out_dir and run.name checked at load), so these never
     * truncate, and the path fits Event.detail and every path buffer after it. */
    char dir[PATH_MAX], parent[PATH_MAX - 32], err[PATH_MAX + 128];
    snprintf(parent, sizeof parent, "%s", t->ckpt_dir);
    snprintf(dir, sizeof dir, "%s/step-%06d", parent, t->step);
    if (mkdir_p(parent) != 0) {
        snprintf(err, sizeof err, "cannot create %s: %s", parent, strerror(errno));
        snprintf(t->error, sizeof t->error, "checkpoint at step %d: %s", t->step, err);
        emit(t, EVENT_ERROR, t->step, "checkpoint", NULL, NULL, err);
        return -1;
    }
    TrainerState st;
    memset(&st, 0, sizeof st);
    st.step = t->step;
    st.rng = t->rng;
    snprintf(st.kind, sizeof st.kind, "grpo");
    st.config_ini = config_to_ini(&t->cfg);
    int rc = checkpoint_save(dir, &t->policy, &t->tok, &t->opt, &st, err, sizeof err);
    free(st.config_ini);
    if (rc != 0) {
        snprintf(t->error, sizeof t->error, "checkpoint at step %d: %s", t->step, err);
        emit(t, EVENT_ERROR, t->step, "checkpoint", NULL, NULL, err);
        return -1;
    }
    t->saved_step = t->step;
    pthread_mutex_lock(&t->mu);
    snprintf(t->last_ckpt, sizeof t->last_ckpt, "%s", dir);
    pthread_mutex_unlock(&t->mu);
    emit(t, EVENT_CHECKPOINT, t->step, "checkpoint", NULL, NULL, dir);
    return 0;
}

/* ---- one step ----------------------------------------------------------------------------------------------- */

static int gen_hook(void *ud, int pos, const int *tokens) {
    Trainer *t = ud;
    (void)pos;
    int tok = t->watch_local >= 0 ? tokens[t->watch_local] : -1;
    if (tok >= 0 && !tokenizer_is_end(&t->tok, tok) && t->cb.on_trace) {
        const char *piece = tokenizer_stream_feed(t->trace, tok);
        if (piece && piece[0]) t->cb.on_trace(t->cb.ud, t->step + 1, 1, piece, 0.0f, 0);
    }
    return dist_size() > 1 ? 0 : wait_while_paused(t, 0, 0); /* under MPI: at step boundaries only */
}

static void add_metric(Trainer *t, const char *name, double v) {
    if (t->n_metrics < MAX_METRICS) t->metrics[t->n_metrics++] = (Metric){name, v};
}

static void set_eval_progress(Trainer *t, int done, int total) {
    pthread_mutex_lock(&t->mu);
    t->eval_done = done;
    t->eval_total = total;
    pthread_mutex_unlock(&t->mu);
}

/* EvalProgress: the count another thread reads through trainer_eval_progress. */
static int eval_progress(void *ud, int done, int total) {
    set_eval_progress(ud, done, total);
    return 0;
}

/* Evaluation on the held-out set; adds eval_* metrics. Returns 0, or 1 when stopped. */
static int run_eval(Trainer *t, int at_step) {
    SamplerParams sp = episode_sampler_params(&t->cfg, &t->tok);
    EvalResult r;
    char err[256];
    uint64_t avail = task_size(t->task, SPLIT_EVAL);
    int total = (uint64_t)t->cfg.run.eval_problems < avail ? t->cfg.run.eval_problems : (int)avail;
    set_eval_progress(t, 0, total);
    int rc = eval_run(t->evaluator, &t->policy, t->cfg.run.eval_problems, t->cfg.run.eval_samples, &sp,
                      (uint64_t)t->cfg.run.seed * 1000003u + 17u, &r, eval_progress, t, err, sizeof err);
    set_eval_progress(t, 0, 0);
    if (rc < 0) { emit(t, EVENT_ERROR, at_step, "eval", NULL, NULL, err); return 0; }
    if (rc > 0) return 1;
    add_metric(t, "eval_pass1", r.pass1);
    add_metric(t, "eval_consk", r.cons_k);
    add_metric(t, "eval_k", r.k);
    add_metric(t, "eval_problems", r.problems);
    add_metric(t, "eval_length", r.mean_length);
    t->n_metrics += search_stats_metrics(&r.search, 1, t->metrics + t->n_metrics, MAX_METRICS - t->n_metrics);
    char detail[256];
    snprintf(detail, sizeof detail, "pass@1 %.4f cons@%d %.4f on %d held-out problems (%.1fs)", r.pass1, r.k,
             r.cons_k, r.problems, r.seconds);
    emit(t, EVENT_EVAL, at_step, "eval", NULL, NULL, detail);
    return 0;
}

/* Draws n problems into groups first.. (rows first * G ..), each prompt repeated G times. Returns the longest
 * prompt in tokens, or -1 with t->error. */
static int draw_prompts(Trainer *t, int first, int n) {
    const int G = t->cfg.grpo.group_size, T_max = t->T_max;
    uint64_t n_train = task_size(t->task, SPLIT_TRAIN);
    int width = 0;
    for (int p = first; p < first + n; p++) {
        Problem *pr = &t->problems[p];
        task_problem(t->task, SPLIT_TRAIN, rng_u64(&t->rng) % n_train, pr);
        int r0 = p * G;
        int len = episode_encode_prompt(&t->tok, t->task, pr, t->prompts + (size_t)r0 * T_max, T_max,
                                        t->prompt_text + (size_t)r0 * PROMPT_TEXT, PROMPT_TEXT, t->error,
                                        sizeof t->error);
        if (len < 0) return -1;
        for (int g = 0; g < G; g++) {
            int row = r0 + g;
            if (g) memcpy(t->prompts + (size_t)row * T_max, t->prompts + (size_t)r0 * T_max, sizeof(int) * len);
            t->plens[row] = len;
        }
        if (len > width) width = len;
    }
    return width;
}

/* A data-parallel step's exchange (dist.h) of the rows of the P groups from `first` (a round's): every rank gets every row's reward, length and
 * finish (for the advantages and the batch) and, for entropy-masked updates, its N generation-time entropies (the
 * threshold is the whole batch's); rank 0 also the scores, overlong shaping, texts and per-token record it reports. */
static void share_rollouts(Trainer *t, int first, int P, int N) {
    const size_t G = t->cfg.grpo.group_size, r0 = (size_t)first * G;
    if (t->cfg.grpo.entropy_top_fraction < 1.0f) dist_allgather(t->ent + r0 * N, G * N * sizeof(float), P);
    dist_allgather(t->rewards + r0, G * sizeof(float), P);
    dist_allgather(t->glens + r0, G * sizeof(int), P);
    dist_allgather(t->finish + r0, G * sizeof(int), P);
    dist_gather(t->scores + r0, G * sizeof(RewardResult), P);
    dist_gather(t->shaping + r0, G * sizeof(float), P);
    dist_gather(t->comp_text_buf + r0 * t->comp_text, G * (size_t)t->comp_text, P);
    /* the per-token record rank 0 stores: token ids, generation-time log-probs and entropies */
    dist_gather(t->gen + r0 * N, G * N * sizeof(int), P);
    dist_gather(t->gen_lp + r0 * N, G * N * sizeof(float), P);
    if (t->cfg.grpo.entropy_top_fraction >= 1.0f) dist_gather(t->ent + r0 * N, G * N * sizeof(float), P);
}

/* Generates N completion tokens at most for the n groups at `first` of the round's n_round groups drawn at
 * round_first (n < n_round: this rank's block of a data-parallel step), and scores them; round 0 streams the watched
 * rollout (one of this process's rows). Returns 0, or 1 when stopped. */
static int generate_round(Trainer *t, int round, int round_first, int n_round, int first, int n, int N, int step) {
    const Config *c = &t->cfg;
    const int G = c->grpo.group_size, T_max = t->T_max, row0 = first * G, B = n * G;
    t->watch_row = t->watch_local = -1; /* one watched rollout a step */
    if (round == 0) {
        int w = (int)(rng_u64(&t->rng) % (uint64_t)(n_round * G)); /* every rank draws it: the RNG stays in step */
        t->watch_row = w >= row0 && w < row0 + B ? w : row0 + w % B;
        t->watch_local = t->watch_row - row0;
        tokenizer_stream_reset(t->trace);
        if (t->cb.on_trace)
            t->cb.on_trace(t->cb.ud, step, 0, t->prompt_text + (size_t)(t->watch_row / G * G) * PROMPT_TEXT, 0, 0);
    }
    SamplerParams sp = episode_sampler_params(c, &t->tok);
    sp.max_new_tokens = N;
    sp.first_stream = (first - round_first) * G; /* row b of the round samples from (seed, b) on every rank */
    uint64_t seed = (uint64_t)c->run.seed * 0x9E3779B97F4A7C15ull + (uint64_t)step + ((uint64_t)round << 40);
    Sampler *smp = grpo_step_sampler(t->engine);
    sampler_entropies(smp, t->ent + (size_t)row0 * N); /* entropy-masked updates and the per-token record */
    sampler_logprobs(smp, t->gen_lp + (size_t)row0 * N);
    int rc = grpo_step_generate(t->engine, &t->policy, &sp, seed, t->prompts + (size_t)row0 * T_max,
                                t->plens + row0, T_max, B, t->gen + (size_t)row0 * N, t->glens + row0,
                                t->finish + row0, gen_hook, t);
    sampler_entropies(smp, NULL); /* the evaluator shares the sampler */
    sampler_logprobs(smp, NULL);
    if (rc != 0) return 1;

    /* rewards; DAPO's overlong shaping is part of the total: the reward metric, the rollouts and the advantages
     * see it */
    RewardWeights w = {c->reward.accuracy, c->reward.format, c->reward.language};
    for (int b = row0; b < row0 + B; b++) {
        char *txt = t->comp_text_buf + (size_t)b * t->comp_text;
        episode_decode_completion(&t->tok, t->gen + (size_t)b * N, t->glens[b], txt, t->comp_text);
        reward_score(t->task, &t->problems[b / G], txt, &w, &t->scores[b]);
        t->shaping[b] = grpo_overlong_reward(t->glens[b], N, c->grpo.overlong_buffer, c->grpo.overlong_penalty);
        t->scores[b].total += t->shaping[b];
        t->rewards[b] = t->scores[b].total;
    }
    if (round == 0 && t->cb.on_trace)
        t->cb.on_trace(t->cb.ud, step, 2, NULL, t->scores[t->watch_row].total, t->scores[t->watch_row].correct);
    return 0;
}

/* Generates, scores and learns from one batch. With grpo.dynamic_sampling, groups whose rewards are all equal are
 * dropped and more prompts drawn (rounds of the groups still missing) until prompts_per_step groups are
 * informative or max_draw_factor * prompts_per_step prompts have been drawn; the update learns from the
 * informative groups only (none: no update this step), and every drawn rollout is reported, the dropped ones
 * flagged ROLLOUT_FLAG_DROPPED. Returns 0, 1 when stopped mid-way (nothing learned), -1 on error. */
static int grpo_step(Trainer *t) {
    const Config *c = &t->cfg;
    const int P = c->grpo.prompts_per_step, G = c->grpo.group_size, D_max = max_draws(c), step = t->step + 1;
    const int T_max = t->T_max, dynamic = c->grpo.dynamic_sampling;
    double t0 = now_mono();
    t->n_metrics = 0;
    t->n_rollouts = 0;
    if (grow_buffers(t, D_max * G) != 0) {
        snprintf(t->error, sizeof t->error, "out of memory for %d x %d rollouts (grpo.prompts_per_step x "
                 "grpo.group_size, times grpo.max_draw_factor with dynamic sampling)", D_max, G);
        return -1;
    }

    /* the first P prompts set the step's widths; with dynamic sampling the widest prompt seen so far does too, so
     * that later rounds fit the engine reserved now (a longer prompt ends the drawing; the next step holds it) */
    int Tp = draw_prompts(t, 0, P);
    if (Tp < 0) return -1;
    pthread_mutex_lock(&t->mu); /* trainer_footprint reads it */
    if (Tp > t->prompt_width) t->prompt_width = Tp;
    int W = dynamic ? t->prompt_width : Tp;
    pthread_mutex_unlock(&t->mu);
    int N = c->sampling.max_new_tokens;
    if (N > T_max - W) N = T_max - W;
    if (N < 1) {
        snprintf(t->error, sizeof t->error, "prompts of %d tokens leave no room in model.max_seq %d", W, T_max);
        return -1;
    }
    t->cur_step_N = N;
    /* a data-parallel step (dist.h): each round's groups split in blocks, at most ceil(P / ranks) groups a rank */
    const int rank = dist_rank(), ranks = dist_size(), own_max = (P + ranks - 1) / ranks;
    /* a batch larger than any before grows the engine, before any work of the step */
    if (grpo_step_reserve(t->engine, own_max * G, W + N, t->error, sizeof t->error) != 0) return -1;

    int drawn = 0, kept = 0;
    for (int round = 0;; round++) {
        int n = round == 0 ? P : P - kept;
        if (n > D_max - drawn) n = D_max - drawn;
        if (round > 0) {
            int w = draw_prompts(t, drawn, n);
            if (w < 0) return -1;
            if (w > W) { /* nothing of this round is kept; the next step's width holds the prompt */
                pthread_mutex_lock(&t->mu);
                if (w > t->prompt_width) t->prompt_width = w;
                pthread_mutex_unlock(&t->mu);
                break;
            }
        }
        int rf, rn; /* this process's groups of the round: all, or its block */
        dist_block(n, rank, ranks, &rf, &rn);
        for (int r = 0, f, k; r < ranks; r++) {
            dist_block(n, r, ranks, &f, &k);
            for (int p = drawn + f; p < drawn + f + k; p++) t->group_rank[p] = r;
        }
        if (rn > 0 && generate_round(t, round, drawn, n, drawn + rf, rn, N, step) != 0) return 1;
        if (ranks > 1) share_rollouts(t, drawn, n, N); /* every rank learns what all of them drew */
        for (int p = drawn; p < drawn + n; p++) {
            t->group_kept[p] = !dynamic || !grpo_group_uniform(t->rewards + (size_t)p * G, G);
            kept += t->group_kept[p];
        }
        drawn += n;
        if (!dynamic || kept >= P || drawn >= D_max) break;
    }
    double t1 = now_mono();
    const int B_all = drawn * G, B = kept * G;

    /* the batch: the kept groups, in the order drawn (all of them without dynamic sampling) */
    long gen_tokens = 0, masked_tokens = 0, loss_tokens = 0;
    int T = 0;
    for (int p = 0, q = 0; p < drawn; p++) {
        if (!t->group_kept[p]) continue;
        for (int g = 0; g < G; g++) {
            int src = p * G + g, b = q * G + g;
            t->batch_row[b] = src;
            t->batch_plens[b] = t->plens[src];
            t->batch_glens[b] = t->glens[src];
            t->batch_rewards[b] = t->rewards[src];
            int masked = c->grpo.mask_truncated && t->finish[src] == FINISH_LENGTH;
            t->row_mask[b] = masked ? 0.0f : 1.0f;
            masked_tokens += masked ? t->glens[src] : 0;
            loss_tokens += masked ? 0 : t->glens[src];
            if (t->plens[src] + t->glens[src] > T) T = t->plens[src] + t->glens[src];
        }
        q++;
    }
    for (int b = 0; b < B_all; b++) gen_tokens += t->glens[b];
    if (B > 0)
        grpo_advantages(t->adv, t->batch_rewards, kept, G,
                        c->grpo.scale_std ? c->grpo.advantage_scaling : ADV_SCALE_NONE, 1e-4f);

    /* entropy-masked updates: the batch's threshold over the generation-time entropies (the old policy's, the same
     * distribution the update's first forward sees), decided before the update so micro-batches agree */
    const int ent_mask = c->grpo.entropy_top_fraction < 1.0f && B > 0;
    long ent_kept = 0;
    if (ent_mask) {
        for (int b = 0; b < B; b++) {
            int src = t->batch_row[b];
            for (int j = 0; j < N; j++) {
                size_t i = (size_t)b * N + j;
                t->tok_valid[i] = t->row_mask[b] != 0.0f && j < t->glens[src] ? 1.0f : 0.0f;
                t->tok_ent[i] = j < t->glens[src] ? t->ent[(size_t)src * N + j] : 0.0f;
            }
        }
        ent_kept = grpo_entropy_mask(t->tok_keep, t->tok_ent, t->tok_valid, (long)B * N,
                                     c->grpo.entropy_top_fraction, t->ent_scratch);
    }

    /* the rows this process learns from, in the batch's order: all of them, or those of the groups it generated, as
     * full sequences (prompt + completion, right-padded to the longest of them) */
    int B_own = 0, T_own = 2;
    for (int b = 0; b < B; b++) {
        if (t->group_rank[t->batch_row[b] / G] != rank) continue;
        t->own_plens[B_own] = t->batch_plens[b];
        t->own_glens[B_own] = t->batch_glens[b];
        t->own_adv[B_own] = t->adv[b];
        t->own_mask[B_own] = t->row_mask[b];
        if (ent_mask) memcpy(t->own_keep + (size_t)B_own * N, t->tok_keep + (size_t)b * N, sizeof(float) * N);
        if (t->batch_plens[b] + t->batch_glens[b] > T_own) T_own = t->batch_plens[b] + t->batch_glens[b];
        t->batch_row[B_own++] = t->batch_row[b]; /* read in order: b >= B_own; the batch's order is not needed after */
    }
    for (int b = 0; b < B_own; b++) {
        int src = t->batch_row[b], *s = t->seq + (size_t)b * T_own;
        memcpy(s, t->prompts + (size_t)src * T_max, sizeof(int) * t->plens[src]);
        memcpy(s + t->plens[src], t->gen + (size_t)src * N, sizeof(int) * t->glens[src]);
        for (int i = t->plens[src] + t->glens[src]; i < T_own; i++) s[i] = t->tok.pad;
    }

    /* reference log-probs, then mu policy updates against fixed old log-probs */
    const int use_ref = c->grpo.beta != 0.0f;
    float lr = lr_schedule(t->step, c->optim.lr, c->optim.warmup_steps, c->run.steps, c->optim.schedule,
                           c->optim.min_lr_ratio);
    GrpoUpdateParams up = {
        .loss = {.beta = c->grpo.beta, .eps_low = c->grpo.eps_low, .eps_high = c->grpo.eps_high,
                 .aggregation = c->grpo.aggregation, .importance_sampling = c->grpo.importance_sampling,
                 .loss_type = c->grpo.loss_type, .delta = c->grpo.delta, .max_new_tokens = N},
        .row_mask = t->own_mask, .token_mask = ent_mask ? t->own_keep : NULL,
        .iterations = c->grpo.num_iterations, .lr = lr, .beta1 = c->optim.beta1, .beta2 = c->optim.beta2,
        .eps = c->optim.eps, .weight_decay = c->optim.weight_decay, .grad_clip = c->optim.grad_clip};
    GrpoUpdateStats st;
    memset(&st, 0, sizeof st);
    double t2 = now_mono();
    if (B > 0) /* every group dropped: nothing to learn from this step */
        grpo_step_update(t->engine, &t->policy, &t->ref, &t->opt, t->seq, t->own_plens, t->own_glens, t->own_adv,
                         B_own, T_own, &up, &st);
    /* the ratios of this process's rows; in a data-parallel step those are not the batch's: none recorded */
    const int with_ratio = B > 0 && B_own == B && c->grpo.num_iterations > 1; /* mu 1: every ratio is 1 */
    if (with_ratio) grpo_step_token_ratios(t->engine, t->tok_ratio, B, N);
    double t4 = now_mono(), t3 = t2 + st.t_ref;
    const int mu = c->grpo.num_iterations;
    t->step = step;

    /* reference refresh: after this step's update, so the next step's KL is to the new reference */
    int refreshed = c->grpo.ref_refresh_every > 0 && step % c->grpo.ref_refresh_every == 0;
    if (refreshed) {
        model_mix_params(&t->ref, &t->policy, c->grpo.ref_mix);
        char detail[128];
        snprintf(detail, sizeof detail, "reference = %g * policy + %g * reference", (double)c->grpo.ref_mix,
                 1.0 - c->grpo.ref_mix);
        emit(t, EVENT_REF_REFRESH, step, "reference", NULL, NULL, detail);
    }

    /* rank 0 reports the step; every rank takes its part in the evaluation */
    if (dist_rank() != 0) return c->run.eval_every > 0 && step % c->run.eval_every == 0 && run_eval(t, step) != 0;

    /* rollouts (every one drawn) and metrics */
    double rsum = 0, rsq = 0, acc = 0, fmt = 0, lang = 0, ok = 0, fmt_ok = 0, refl = 0, selfc = 0, trunc = 0;
    double overlong = 0;
    int lmin = N + 1, lmax = 0, zero_std = 0;
    SearchStats search;
    memset(&search, 0, sizeof search);
    for (int b = 0, q = 0; b < B_all; b++) {
        const RewardResult *r = &t->scores[b];
        Rollout *ro = &t->rollouts[b];
        int kept_row = t->group_kept[b / G];
        *ro = (Rollout){.step = step, .prompt_index = b / G, .sample_index = b % G, .task = task_name(t->task),
                        .prompt = t->prompt_text + (size_t)(b / G * G) * PROMPT_TEXT,
                        .completion = t->comp_text_buf + (size_t)b * t->comp_text,
                        .answer = t->problems[b / G].answer, .reward = r->total, .r_accuracy = r->accuracy,
                        .r_format = r->format, .r_language = r->language, .advantage = kept_row ? t->adv[q] : 0.0f,
                        .length = t->glens[b], .finish = t->finish[b], .correct = r->correct,
                        .flags = r->flags | (kept_row ? 0u : (unsigned)ROLLOUT_FLAG_DROPPED),
                        .token_ids = t->gen + (size_t)b * N, .token_logprob = t->gen_lp + (size_t)b * N,
                        .token_entropy = t->ent + (size_t)b * N,
                        .token_ratio = with_ratio && kept_row ? t->tok_ratio + (size_t)q * N : NULL};
        q += kept_row;
        rsum += r->total; rsq += (double)r->total * r->total;
        acc += r->accuracy; fmt += r->format; lang += r->language; ok += r->correct; fmt_ok += r->format >= 1.0f;
        refl += (r->flags & ROLLOUT_FLAG_REFLECTION) != 0;
        selfc += (r->flags & ROLLOUT_FLAG_SELF_CORRECTION) != 0;
        trunc += t->finish[b] == FINISH_LENGTH;
        overlong += t->shaping[b];
        search_stats_add(&search, t->task, &t->problems[b / G], ro->completion, r->correct, r->flags);
        if (t->glens[b] < lmin) lmin = t->glens[b];
        if (t->glens[b] > lmax) lmax = t->glens[b];
    }
    t->n_rollouts = B_all;
    for (int p = 0; p < drawn; p++) zero_std += grpo_group_uniform(t->rewards + (size_t)p * G, G);
    double mean = rsum / B_all;
    add_metric(t, "reward", mean);
    add_metric(t, "reward_std", sqrt(fmax(0.0, rsq / B_all - mean * mean)));
    add_metric(t, "reward_accuracy", acc / B_all);
    add_metric(t, "reward_format", fmt / B_all);
    add_metric(t, "reward_language", lang / B_all);
    add_metric(t, "accuracy", ok / B_all);
    add_metric(t, "format_rate", fmt_ok / B_all);
    add_metric(t, "completion_length", (double)gen_tokens / B_all);
    add_metric(t, "completion_length_min", lmin);
    add_metric(t, "completion_length_max", lmax);
    add_metric(t, "truncated_ratio", trunc / B_all);
    add_metric(t, "frac_reward_zero_std", (double)zero_std / drawn);
    add_metric(t, "loss", st.loss);
    add_metric(t, "policy_loss", st.policy_loss);
    add_metric(t, "kl", st.kl);
    add_metric(t, "entropy", st.entropy);
    add_metric(t, "clip_ratio", st.clip_ratio);
    add_metric(t, "clip_region", st.clip_ratio); /* clip_ratio's name in TRL's terms; both kept */
    add_metric(t, "clip_low", st.clip_low);
    add_metric(t, "clip_high", st.clip_high);
    add_metric(t, "clip_delta", st.clip_delta);
    add_metric(t, "seq_ratio_mean", st.seq_ratio_mean);
    add_metric(t, "seq_ratio_min", st.seq_ratio_min);
    add_metric(t, "seq_ratio_max", st.seq_ratio_max);
    long batch_tokens = loss_tokens + masked_tokens;
    add_metric(t, "masked_truncated", batch_tokens > 0 ? (double)masked_tokens / batch_tokens : 0.0);
    add_metric(t, "entropy_masked", ent_mask && loss_tokens > 0 ? 1.0 - (double)ent_kept / loss_tokens : 0.0);
    add_metric(t, "reward_overlong", overlong / B_all);
    add_metric(t, "prompts_drawn", drawn);
    add_metric(t, "frac_groups_dropped", (double)(drawn - kept) / drawn);
    add_metric(t, "ref_refresh", refreshed);
    add_metric(t, "grad_norm", st.grad_norm);
    add_metric(t, "lr", lr);
    add_metric(t, "reflection_rate", refl / B_all);
    add_metric(t, "self_correction_rate", selfc / B_all);
    t->n_metrics += search_stats_metrics(&search, 0, t->metrics + t->n_metrics, MAX_METRICS - t->n_metrics);
    add_metric(t, "gen_tokens_per_s", gen_tokens / fmax(t1 - t0, 1e-9));
    add_metric(t, "train_tokens_per_s", (double)B * T * (mu + use_ref) / fmax(t4 - t2, 1e-9));
    add_metric(t, "gen_time", t1 - t0);
    add_metric(t, "ref_time", t3 - t2);
    add_metric(t, "train_time", t4 - t3);
    add_metric(t, "group_size", G);
    add_metric(t, "prompts_per_step", P);
    add_metric(t, "micro_batches", st.micro_batches);
    add_metric(t, "allreduce_time", st.t_sum); /* of train_time: gradients summed over MPI ranks (0 in one process) */
    if (c->run.eval_every > 0 && step % c->run.eval_every == 0 && run_eval(t, step) != 0) return 1;
    add_metric(t, "step_time", now_mono() - t0);
    return 0;
}

static void publish_step(Trainer *t) {
    pthread_mutex_lock(&t->mu);
    t->shown_step = t->step;
    pthread_mutex_unlock(&t->mu);
    if (!t->cb.on_step) return;
    StepRecord rec = {.step = t->step, .wall_time = now_wall(), .n_rollouts = t->n_rollouts, .rollouts = t->rollouts,
                      .n_metrics = t->n_metrics, .metrics = t->metrics};
    t->cb.on_step(t->cb.ud, &rec);
}

/* What rank 0 tells the other ranks of a data-parallel run at a step boundary. */
typedef enum { CONTROL_RUN, CONTROL_PAUSED, CONTROL_STOP } ControlKind;
typedef struct {
    int kind;   /* ControlKind */
    Config cfg; /* in force for the next step (CONTROL_RUN) */
} Control;

/* Rank 0's word at a step boundary to the other ranks, which wait for it (while paused: one a HEARTBEAT_S). */
static void send_control(Trainer *t, ControlKind kind) {
    static Control ctl; /* rank 0's trainer thread only; a Config is too large for every stack */
    ctl.kind = kind;
    ctl.cfg = t->cfg;
    dist_broadcast(&ctl, sizeof ctl);
}

/* A rank other than 0 at a step boundary: waits for rank 0's word and takes its config. Returns 1 to stop. */
static int follow_control(Trainer *t) {
    static Control ctl; /* the trainer thread's only */
    do dist_broadcast(&ctl, sizeof ctl);
    while (ctl.kind == CONTROL_PAUSED);
    t->cfg = t->pending = ctl.cfg;
    return ctl.kind == CONTROL_STOP;
}

/* At a step boundary: apply requested changes, honour a checkpoint request, wait while paused; under MPI, tell
 * the other ranks (or hear from rank 0). Returns 1 when the loop must stop. */
static int step_boundary(Trainer *t) {
    const int ranks = dist_size();
    if (dist_rank() != 0) return follow_control(t);
    for (;;) {
        pthread_mutex_lock(&t->mu);
        Change ch[MAX_PENDING];
        int n = t->n_changes;
        memcpy(ch, t->changes, sizeof(Change) * n);
        t->n_changes = 0;
        t->cfg = t->pending;
        int save = t->save_req;
        t->save_req = 0;
        pthread_mutex_unlock(&t->mu);
        for (int i = 0; i < n; i++) emit(t, EVENT_SET, t->step + 1, ch[i].key, ch[i].old_value, ch[i].new_value, NULL);
        if (save) save_checkpoint(t);
        if (wait_while_paused(t, 1, ranks > 1 ? HEARTBEAT_S : 0)) {
            if (ranks > 1) send_control(t, CONTROL_STOP);
            return 1;
        }
        pthread_mutex_lock(&t->mu);
        int again = t->save_req || t->n_changes > 0, paused = t->paused;
        pthread_mutex_unlock(&t->mu);
        if (paused && ranks > 1) send_control(t, CONTROL_PAUSED);
        if (again || paused) continue;
        if (ranks > 1) send_control(t, CONTROL_RUN);
        return 0;
    }
}

int trainer_run(Trainer *t) {
    set_status(t, TRAINER_RUNNING);
    char detail[256];
    snprintf(detail, sizeof detail, "%s from %.120s, %zu parameters", t->cfg.run.name, t->cfg.model.init,
             t->policy.n_params);
    emit(t, EVENT_START, t->step, NULL, NULL, NULL, detail);
    int rc = 0;
    if (t->step == 0 && t->cfg.run.eval_every > 0) {
        t->n_metrics = 0;
        if (run_eval(t, 0) == 0 && t->cb.on_step) {
            StepRecord rec = {.step = 0, .wall_time = now_wall(), .n_metrics = t->n_metrics, .metrics = t->metrics};
            t->cb.on_step(t->cb.ud, &rec);
        }
    }
    for (;;) {
        if (step_boundary(t) || t->step >= t->cfg.run.steps) break;
        int r = grpo_step(t);
        if (r < 0) {
            rc = -1;
            emit(t, EVENT_ERROR, t->step + 1, "step", NULL, NULL, t->error);
            break;
        }
        if (r > 0) break; /* stopped mid-step: that step is discarded */
        publish_step(t);
        if (t->cfg.run.checkpoint_every > 0 && t->step % t->cfg.run.checkpoint_every == 0) save_checkpoint(t);
        pthread_mutex_lock(&t->mu);
        if (t->single) { t->single = 0; t->paused = 1; }
        pthread_mutex_unlock(&t->mu);
    }
    /* A run whose last state could not be saved did not finish: it fails, with the checkpoint's error. */
    if (t->step != t->saved_step && save_checkpoint(t) != 0) rc = -1;
    emit(t, EVENT_STOP, t->step, NULL, NULL, NULL, rc ? t->error : NULL);
    set_status(t, rc ? TRAINER_FAILED : TRAINER_DONE);
    return rc;
}
