/* supervised.c - the pretraining and SFT loops. Both draw batches of whole documents (one per row, padded to the
 * longest row), weight the loss per target token by a mask, and share one training step. Buffers are allocated
 * before the first step. */
#include "core/supervised.h"
#include "core/rng.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

SolutionStyle supervised_draw_style(const Config *c, int step, Rng *rng) {
    const int second = c->pretrain.phase2_start > 0 && step >= c->pretrain.phase2_start;
    const float w[STYLE_COUNT] = {
        second ? c->pretrain.phase2_style_direct : c->pretrain.style_direct,
        second ? c->pretrain.phase2_style_scratchpad : c->pretrain.style_scratchpad,
        second ? c->pretrain.phase2_style_check : c->pretrain.style_check,
        second ? c->pretrain.phase2_style_wait : c->pretrain.style_wait};
    float sum = 0;
    for (int i = 0; i < STYLE_COUNT; i++) sum += w[i];
    if (sum <= 0) return STYLE_DIRECT;
    float u = rng_uniform(rng) * sum;
    for (int i = 0; i < STYLE_COUNT; i++) {
        if (u < w[i]) return (SolutionStyle)i;
        u -= w[i];
    }
    return STYLE_COUNT - 1;
}

int supervised_corpus_document(const Task *task, const Problem *p, SolutionStyle style, Rng *rng, char *buf,
                               size_t n) {
    int a = task_format_prompt(task, p, buf, n);
    if (a < 0) return -1;
    int b = task_write_solution(task, p, style, rng, buf + a, n - (size_t)a);
    return b < 0 ? -1 : a + b;
}

/* Buffers of one loop. */
typedef struct {
    int B, T;
    int *tokens;      /* (B, T) */
    int *lens;        /* (B) */
    float *weight;    /* (B, T-1) d loss / d logp per target position */
    float *logp;      /* (B, T-1) */
    int *order;       /* (B) rows by length */
    ModelActs *acts;
} Batch;

static int batch_init(Batch *b, const ModelConfig *mc, int B, int T) {
    b->B = B; b->T = T;
    b->tokens = calloc((size_t)B * T, sizeof(int));
    b->lens = calloc((size_t)B, sizeof(int));
    b->weight = calloc((size_t)B * T, sizeof(float));
    b->logp = calloc((size_t)B * T, sizeof(float));
    b->order = calloc((size_t)B, sizeof(int));
    b->acts = model_acts_new(mc, (size_t)B * T);
    return b->tokens && b->lens && b->weight && b->logp && b->order && b->acts ? 0 : -1;
}

static void batch_free(Batch *b) {
    free(b->tokens); free(b->lens); free(b->weight); free(b->logp); free(b->order);
    model_acts_free(b->acts);
}

/* One step on the B rows of `rows` (stride T_max, row r has lens[r] tokens). loss_from[r] is the first target
 * position (index into the row's predictions) that counts in row r. Rows are sorted by length and run as
 * micro-batches of similar length, each padded only to its own longest row, with the gradients accumulated: the
 * same gradient as one batch padded to the longest row, without paying for the padding when short documents
 * (direct answers) and long ones (checks) share a batch. Returns the mean loss per counted token. */
static double train_step(Model *m, AdamW *opt, Batch *b, const int *rows, int T_max, const int *loss_from, float lr,
                         const Config *c) {
    const int B = b->B;
    double count = 0;
    for (int r = 0; r < B; r++) count += b->lens[r] - 1 - loss_from[r];
    if (count <= 0) return 0;
    int *order = b->order;
    for (int r = 0; r < B; r++) order[r] = r;
    for (int i = 1; i < B; i++) { /* insertion sort, longest first */
        int x = order[i], j = i;
        while (j > 0 && b->lens[order[j - 1]] < b->lens[x]) { order[j] = order[j - 1]; j--; }
        order[j] = x;
    }
    double loss = 0;
    model_zero_grad(m);
    for (int i0 = 0; i0 < B;) {
        /* a micro-batch: the longest remaining row and every following row at least 3/4 as long (at least 4 rows,
         * so that a lone long row does not run by itself) */
        const int T = b->lens[order[i0]] > 2 ? b->lens[order[i0]] : 2;
        int i1 = i0 + 1;
        while (i1 < B && (i1 - i0 < 4 || 4 * b->lens[order[i1]] >= 3 * T)) i1++;
        const int n = i1 - i0;
        for (int k = 0; k < n; k++) {
            const int r = order[i0 + k];
            int *dst = b->tokens + (size_t)k * T;
            memcpy(dst, rows + (size_t)r * T_max, sizeof(int) * b->lens[r]);
            for (int i = b->lens[r]; i < T; i++) dst[i] = TOK_PAD;
            for (int i = 0; i < T - 1; i++)
                b->weight[(size_t)k * (T - 1) + i] = (i >= loss_from[r] && i < b->lens[r] - 1) ? (float)(-1.0 / count) : 0.0f;
        }
        model_forward(m, b->acts, b->tokens, n, T);
        model_token_logprobs(b->acts, b->tokens, n, T, b->logp, NULL);
        for (size_t i = 0; i < (size_t)n * (T - 1); i++) loss += b->weight[i] * b->logp[i];
        model_logprob_backward(b->acts, b->tokens, b->weight, n, T);
        model_backward(m, b->acts, b->tokens, n, T);
        i0 = i1;
    }
    grad_clip_norm(m->grads_mem, m->n_params, c->optim.grad_clip);
    adamw_step(opt, m->params_mem, m->grads_mem, lr, c->optim.beta1, c->optim.beta2, c->optim.eps,
               c->optim.weight_decay);
    return loss;
}

int supervised_pretrain(Model *m, AdamW *opt, const Tokenizer *tok, const Task *task, const Config *c,
                        const SupervisedCallbacks *cb, double *final_loss, char *err, size_t errlen) {
    const int B = c->pretrain.batch_size, T_max = c->pretrain.seq_len < m->cfg.max_T ? c->pretrain.seq_len : m->cfg.max_T;
    Batch b;
    memset(&b, 0, sizeof b);
    int *rows = calloc((size_t)B * T_max, sizeof(int)), *from = calloc((size_t)B, sizeof(int));
    char *text = malloc(8192);
    if (batch_init(&b, &m->cfg, B, T_max) != 0 || !rows || !from || !text) {
        snprintf(err, errlen, "out of memory for pretraining batches of %d x %d", B, T_max);
        batch_free(&b); free(rows); free(from); free(text);
        return -1;
    }
    Rng rng;
    rng_seed(&rng, (uint64_t)c->run.seed, 0x5072657472ull);
    uint64_t n_train = task_size(task, SPLIT_TRAIN);
    uint64_t n_problems = c->pretrain.corpus_problems > 0 ? (uint64_t)c->pretrain.corpus_problems : n_train;
    if (n_problems > n_train) n_problems = n_train;
    double loss_tail = 0;
    int tail_n = 0, rc = 0, too_long = 0;
    double t0 = mono();
    long tokens = 0;
    for (int step = 0; step < c->pretrain.steps; step++) {
        for (int r = 0; r < B; r++) {
            Problem p;
            task_problem(task, SPLIT_TRAIN, rng_u64(&rng) % n_problems, &p);
            SolutionStyle style = supervised_draw_style(c, step, &rng);
            int len = supervised_corpus_document(task, &p, style, &rng, text, 8192);
            int *row = rows + (size_t)r * T_max;
            int k = tokenizer_put_bos(tok, row);
            int n = len < 0 ? -2 : tokenizer_encode(tok, text, row + k, T_max - 1 - k, err, errlen);
            if (n == -1) { rc = -1; goto done; }
            if (n < 0) { /* a document longer than seq_len: draw another */
                if (++too_long > 1000) { /* a thousand in a row: the corpus cannot fit */
                    snprintf(err, errlen, "pretrain.seq_len = %d is too short for the task's documents", T_max);
                    rc = -1;
                    goto done;
                }
                r--;
                continue;
            }
            too_long = 0;
            row[n + k] = tok->eos;
            b.lens[r] = n + k + 1;
            from[r] = 0;
            tokens += n + k + 1;
        }
        float lr = lr_schedule(step, c->pretrain.lr, c->pretrain.warmup_steps, c->pretrain.steps, SCHED_COSINE,
                               c->optim.min_lr_ratio);
        double loss = train_step(m, opt, &b, rows, T_max, from, lr, c);
        if (step >= c->pretrain.steps - 20) { loss_tail += loss; tail_n++; }
        if (cb && cb->on_progress && cb->on_progress(cb->ud, step + 1, c->pretrain.steps, loss, lr,
                                                     tokens / fmax(mono() - t0, 1e-9))) { rc = 1; break; }
    }
    if (final_loss) *final_loss = tail_n ? loss_tail / tail_n : NAN;
done:
    batch_free(&b); free(rows); free(from); free(text);
    return rc;
}

typedef struct { int *ids; int n, prompt_n; } SftExample;

static void free_examples(SftExample *ex, int n) {
    for (int i = 0; i < n; i++) free(ex[i].ids);
    free(ex);
}

/* Reads and tokenizes every example of the JSONL file; those longer than T_max tokens are counted in *rep and
 * left out. Returns the count or -1 with err. */
static int read_sft(const char *path, const Tokenizer *tok, int T_max, SftExample **out, SftDataReport *rep,
                    char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(err, errlen, "%s: cannot open the SFT data file", path); return -1; }
    int cap = 1024, n = 0, ids_cap = 0;
    long lineno = 0;
    SftExample *ex = malloc(sizeof *ex * cap);
    int *ids = NULL;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t got;
    char e2[256];
    memset(rep, 0, sizeof *rep);
    rep->path = path;
    rep->max_seq = T_max;
    if (!ex) goto oom;
    while ((got = getline(&line, &linecap, f)) > 0) {
        lineno++;
        const char *nul = memchr(line, '\0', (size_t)got);
        if (nul) {
            snprintf(err, errlen, "%s:%ld: a NUL byte at byte %zu: a JSONL line is text (found %zu bytes, the line "
                     "would end at the NUL)", path, lineno, (size_t)(nul - line) + 1, (size_t)got);
            goto fail;
        }
        if (line[strspn(line, " \t\r\n")] == 0) continue;
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        const char *prompt = o ? json_string_value(json_object_get(o, "prompt")) : NULL;
        const char *comp = o ? json_string_value(json_object_get(o, "completion")) : NULL;
        if (!o || !prompt || !comp) {
            snprintf(err, errlen, "%s:%ld: expected a JSON object with string fields \"prompt\" and \"completion\"%s%s",
                     path, lineno, o ? "" : ": ", o ? "" : je.text);
            json_decref(o);
            goto fail;
        }
        /* a character tokenizer: at most one token per byte, so this holds the whole example */
        size_t need = strlen(prompt) + strlen(comp) + 2;
        if (need > (size_t)ids_cap) {
            int *ni = need < (size_t)1 << 30 ? realloc(ids, sizeof(int) * need) : NULL;
            if (!ni) { json_decref(o); goto oom; }
            ids = ni;
            ids_cap = (int)need;
        }
        int k = tokenizer_put_bos(tok, ids);
        int a = tokenizer_encode(tok, prompt, ids + k, ids_cap - 1 - k, e2, sizeof e2);
        int b = a < 0 ? a : tokenizer_encode(tok, comp, ids + k + a, ids_cap - 1 - k - a, e2, sizeof e2);
        json_decref(o);
        if (a < 0 || b < 0) {
            snprintf(err, errlen, "%s:%ld: %s", path, lineno, a == -2 || b == -2 ? "does not tokenize" : e2);
            goto fail;
        }
        int len = k + a + b + 1;
        if (len > T_max) {
            if (rep->n_listed < SFT_REPORT_LINES) {
                rep->line[rep->n_listed] = lineno;
                rep->tokens[rep->n_listed++] = len;
            }
            rep->skipped++;
            continue;
        }
        ids[k + a + b] = tok->eos;
        if (n == cap) {
            SftExample *ne = realloc(ex, sizeof *ex * (size_t)cap * 2);
            if (!ne) goto oom;
            ex = ne;
            cap *= 2;
        }
        ex[n].n = len;
        ex[n].prompt_n = a + k;
        ex[n].ids = malloc(sizeof(int) * len);
        if (!ex[n].ids) goto oom;
        memcpy(ex[n].ids, ids, sizeof(int) * len);
        n++;
    }
    free(line); free(ids); fclose(f);
    rep->examples = n;
    if (n == 0) {
        if (rep->skipped)
            snprintf(err, errlen, "%s: all %d examples are longer than the model's context of %d tokens (line "
                     "%ld: %d tokens with <bos> and <eos>)", path, rep->skipped, T_max, rep->line[0], rep->tokens[0]);
        else
            snprintf(err, errlen, "%s: no examples", path);
        free(ex);
        return -1;
    }
    *out = ex;
    return n;
oom:
    snprintf(err, errlen, "%s:%ld: out of memory", path, lineno);
fail:
    free(line); free(ids); fclose(f);
    free_examples(ex, n);
    return -1;
}

int supervised_sft(Model *m, AdamW *opt, const Tokenizer *tok, const Config *c, const SupervisedCallbacks *cb,
                   double *final_loss, char *err, size_t errlen) {
    const int B = c->sft.batch_size, T_max = m->cfg.max_T;
    if (T_max < 2) {   /* the context comes from the checkpoint's config.json, which allows 1 */
        snprintf(err, errlen, "the model's context is %d token: an SFT example needs at least 2 (<bos>, <eos>)",
                 T_max);
        return -1;
    }
    SftExample *ex = NULL;
    SftDataReport rep;
    int n = read_sft(c->sft.data, tok, T_max, &ex, &rep, err, errlen);
    if (n < 0) return -1;
    if (cb && cb->on_sft_data) cb->on_sft_data(cb->ud, &rep);
    Batch b;
    memset(&b, 0, sizeof b);
    int *rows = calloc((size_t)B * T_max, sizeof(int)), *from = calloc((size_t)B, sizeof(int));
    int *order = malloc(sizeof(int) * n);
    if (batch_init(&b, &m->cfg, B, T_max) != 0 || !rows || !from || !order) {
        snprintf(err, errlen, "out of memory for SFT batches of %d x %d", B, T_max);
        batch_free(&b); free(rows); free(from); free(order); free_examples(ex, n);
        return -1;
    }
    Rng rng;
    rng_seed(&rng, (uint64_t)c->run.seed, 0x534654ull);
    for (int i = 0; i < n; i++) order[i] = i;
    int pos = n, rc = 0, tail_n = 0;
    double loss_tail = 0, t0 = mono();
    long tokens = 0;
    for (int step = 0; step < c->sft.steps; step++) {
        for (int r = 0; r < B; r++) {
            if (pos == n) { /* a new epoch in a new order */
                for (int i = n - 1; i > 0; i--) { int j = (int)rng_below(&rng, (uint32_t)i + 1), t = order[i]; order[i] = order[j]; order[j] = t; }
                pos = 0;
            }
            const SftExample *e = &ex[order[pos++]];
            memcpy(rows + (size_t)r * T_max, e->ids, sizeof(int) * e->n);
            b.lens[r] = e->n;
            from[r] = e->prompt_n - 1; /* the first completion token is predicted at position prompt_n - 1 */
            tokens += e->n;
        }
        float lr = lr_schedule(step, c->sft.lr, c->optim.warmup_steps, c->sft.steps, SCHED_COSINE, c->optim.min_lr_ratio);
        double loss = train_step(m, opt, &b, rows, T_max, from, lr, c);
        if (step >= c->sft.steps - 20) { loss_tail += loss; tail_n++; }
        if (cb && cb->on_progress && cb->on_progress(cb->ud, step + 1, c->sft.steps, loss, lr,
                                                     tokens / fmax(mono() - t0, 1e-9))) { rc = 1; break; }
    }
    if (final_loss) *final_loss = tail_n ? loss_tail / tail_n : NAN;
    batch_free(&b); free(rows); free(from); free(order); free_examples(ex, n);
    return rc;
}
