/* eval.c - pass@1 and cons@k on the held-out split, in batches of whole problems (k rows each). In a data-parallel
 * run (dist.h) eval_run deals the batches round-robin to the ranks and sums the counts: every rank gets the result
 * one process would, each batch sampled with the seed of its place in the whole evaluation. */
#include "core/eval.h"
#include "core/dist.h"
#include "core/episode.h"
#include "core/reward.h"
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct Evaluator {
    ModelConfig cfg;
    const Tokenizer *tok;
    const Task *task;
    int B_max, T_max, V;
    Sampler *sampler;  /* shared, or own (created for the first batch) */
    int own;
    int *prompts, *plens, *out, *out_lens, *finish; /* (B_max, T_max), (B_max), ... */
    char *text;                                     /* (B_max, text_cap) completions */
    size_t text_cap;                                /* bytes of one completion's text (text_bytes) */
    char (*answers)[TASK_ANSWER_MAX];               /* (B_max) parsed answers */
    Problem *problems;                              /* (B_max) */
    char (*prompt_text)[TASK_QUESTION_MAX * 2];     /* (B_max) */
};
/* bytes of one completion's text: every position of the context decoding to the tokenizer's longest token */
static size_t text_bytes(const ModelConfig *cfg, int token_bytes) { return (size_t)cfg->max_T * token_bytes + 16; }

Evaluator *eval_new(const ModelConfig *cfg, const Tokenizer *tok, const Task *task, int rows, Sampler *shared) {
    assert(rows >= 1);
    Evaluator *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->cfg = *cfg;
    e->tok = tok; e->task = task; e->B_max = rows; e->T_max = cfg->max_T; e->V = cfg->V;
    e->sampler = shared;
    e->own = shared == NULL;
    size_t B = rows, T = e->T_max;
    e->prompts = malloc(sizeof(int) * B * T);
    e->plens = malloc(sizeof(int) * B);
    e->out = malloc(sizeof(int) * B * T);
    e->out_lens = malloc(sizeof(int) * B);
    e->finish = malloc(sizeof(int) * B);
    e->text_cap = text_bytes(cfg, tokenizer_max_token_bytes(tok));
    e->text = malloc(B * e->text_cap);
    e->answers = malloc(sizeof *e->answers * B);
    e->problems = malloc(sizeof(Problem) * B);
    e->prompt_text = malloc(sizeof *e->prompt_text * B);
    if (!e->prompt_text || !e->prompts || !e->plens || !e->out || !e->out_lens || !e->finish || !e->text ||
        !e->answers || !e->problems) { eval_free(e); return NULL; }
    return e;
}

size_t eval_bytes(const ModelConfig *cfg, int token_bytes, int rows) {
    size_t B = rows, T = cfg->max_T;
    Evaluator *e = NULL;
    return sizeof *e + 2 * B * T * sizeof(int) + 3 * B * sizeof(int) + B * text_bytes(cfg, token_bytes) +
           B * (sizeof *e->answers + sizeof(Problem) + sizeof *e->prompt_text);
}

int eval_rows(int k) {
    int rows = 64 / k * k;
    return rows < k ? k : rows;
}

void eval_free(Evaluator *e) {
    if (!e) return;
    if (e->own) sampler_free(e->sampler);
    free(e->prompts); free(e->plens); free(e->out); free(e->out_lens); free(e->finish);
    free(e->text); free(e->answers); free(e->problems); free(e->prompt_text);
    free(e);
}

/* A sampler that holds B rows of T tokens: the shared one (grown only where it must), or our own. */
static int ensure_sampler(Evaluator *e, int B, int T, char *err, size_t errlen) {
    int ok = e->sampler ? sampler_reserve(e->sampler, B, T) == 0 : (e->sampler = sampler_new(&e->cfg, B, T)) != NULL;
    if (!ok) {
        snprintf(err, errlen, "out of memory for an evaluation batch of %d x %d tokens", B, T);
        return -1;
    }
    return 0;
}

static void trim(char *s) {
    size_t n = strlen(s), i = 0;
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    while (s[i] && isspace((unsigned char)s[i])) i++;
    memmove(s, s + i, n - i + 1);
}

/* The index among rows [0, k) of the most frequent non-empty answer (earliest on ties), or -1. */
static int majority(char (*ans)[TASK_ANSWER_MAX], int k) {
    int best = -1, best_n = 0;
    for (int i = 0; i < k; i++) {
        if (!ans[i][0]) continue;
        int n = 0;
        for (int j = 0; j < k; j++) n += !strcmp(ans[i], ans[j]);
        if (n > best_n) { best = i; best_n = n; }
    }
    return best;
}

/* eval_sample's work; with `ranks` > 1 this rank (`rank`) runs every ranks-th batch and the sums are added over the
 * ranks (dist.h) before the result is formed. */
static int sample_batches(Evaluator *e, const Model *m, TaskSplit split, uint64_t first_problem, int n_problems, int k,
                          const SamplerParams *sp, uint64_t seed, EvalResult *out, EvalProgress progress,
                          EvalSampleFn on_sample, void *ud, int rank, int ranks, char *err, size_t errlen) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(out, 0, sizeof *out);
    if (k < 1 || k > e->B_max) { snprintf(err, errlen, "eval samples k = %d: expected 1 .. %d", k, e->B_max); return -1; }
    uint64_t avail = task_size(e->task, split);
    if (first_problem >= avail) n_problems = 0;
    else if ((uint64_t)n_problems > avail - first_problem) n_problems = (int)(avail - first_problem);
    /* a shared sampler keeps its batch size (the trainer's P x G) unless k needs more */
    int rows = e->B_max;
    if (!e->own && sampler_batch(e->sampler) < rows) rows = sampler_batch(e->sampler);
    int per_batch = rows / k > 0 ? rows / k : 1;
    double correct_sum = 0, cons = 0, fmt = 0, len = 0;
    SamplerParams p = *sp;
    int max_new = p.max_new_tokens;
    for (int first = 0, batch = 0; first < n_problems; first += per_batch, batch++) {
        if (batch % ranks != rank) continue; /* another rank's */
        int np = n_problems - first < per_batch ? n_problems - first : per_batch;
        int B = np * k, Tp = 0;
        for (int i = 0; i < np; i++) {
            task_problem(e->task, split, first_problem + (uint64_t)(first + i), &e->problems[i]);
            int n = episode_encode_prompt(e->tok, e->task, &e->problems[i], e->prompts + (size_t)i * k * e->T_max,
                                          e->T_max, e->prompt_text[i], sizeof e->prompt_text[i], err, errlen);
            if (n < 0) return -1;
            for (int j = 0; j < k; j++) {
                int row = i * k + j;
                if (j) memcpy(e->prompts + (size_t)row * e->T_max, e->prompts + (size_t)i * k * e->T_max, sizeof(int) * n);
                e->plens[row] = n;
            }
            if (n > Tp) Tp = n;
        }
        p.max_new_tokens = max_new < e->T_max - Tp ? max_new : e->T_max - Tp;
        if (ensure_sampler(e, B, Tp + p.max_new_tokens, err, errlen) != 0) return -1;
        int rc = sampler_generate(e->sampler, m, &p, seed + (uint64_t)first * 7919u, e->prompts, e->plens, e->T_max,
                                  B, e->out, e->out_lens, e->finish, NULL, NULL);
        if (rc) return 1;
        for (int i = 0; i < np; i++) {
            int ok = 0;
            for (int j = 0; j < k; j++) {
                int row = i * k + j;
                char *txt = e->text + (size_t)row * e->text_cap;
                episode_decode_completion(e->tok, e->out + (size_t)row * p.max_new_tokens, e->out_lens[row], txt,
                                          e->text_cap);
                if (reward_extract_answer(txt, e->answers[j], TASK_ANSWER_MAX) < 0) e->answers[j][0] = 0;
                trim(e->answers[j]);
                int good = e->answers[j][0] && task_check(e->task, &e->problems[i], e->answers[j]);
                int formatted = reward_format(txt) >= 1.0f;
                search_stats_add(&out->search, e->task, &e->problems[i], txt, good,
                                 reward_flags(e->task, &e->problems[i], txt, good));
                ok += good;
                fmt += formatted;
                len += e->out_lens[row];
                if (on_sample) on_sample(ud, &e->problems[i], e->prompt_text[i], txt, e->out_lens[row], good, formatted);
            }
            correct_sum += (double)ok / k;
            int mj = majority(e->answers, k);
            cons += mj >= 0 && task_check(e->task, &e->problems[i], e->answers[mj]);
        }
        if (progress && progress(ud, first + np, n_problems)) return 1;
    }
    if (ranks > 1) {
        double sums[4] = {correct_sum, cons, fmt, len};
        dist_sum_doubles(sums, 4);
        correct_sum = sums[0], cons = sums[1], fmt = sums[2], len = sums[3];
        dist_sum_doubles((double *)&out->search, SEARCH_STATS_DOUBLES);
    }
    out->k = k;
    out->problems = n_problems;
    if (n_problems > 0) {
        out->pass1 = correct_sum / n_problems;
        out->cons_k = cons / n_problems;
        out->format_rate = fmt / ((double)n_problems * k);
        out->mean_length = len / ((double)n_problems * k);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    return 0;
}

int eval_sample(Evaluator *e, const Model *m, TaskSplit split, uint64_t first_problem, int n_problems, int k,
                const SamplerParams *sp, uint64_t seed, EvalResult *out, EvalProgress progress,
                EvalSampleFn on_sample, void *ud, char *err, size_t errlen) {
    return sample_batches(e, m, split, first_problem, n_problems, k, sp, seed, out, progress, on_sample, ud, 0, 1, err,
                          errlen);
}

int eval_run(Evaluator *e, const Model *m, int n_problems, int k, const SamplerParams *sp, uint64_t seed,
             EvalResult *out, EvalProgress progress, void *ud, char *err, size_t errlen) {
    return sample_batches(e, m, SPLIT_EVAL, 0, n_problems, k, sp, seed, out, progress, NULL, ud, dist_rank(),
                          dist_size(), err, errlen);
}
