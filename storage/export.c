/* export.c - JSON Lines export of a run database (export.h): rollouts with every field, or the rejection-sampling
 * SFT set. Rows are read in keyset pages through query.h, so memory stays flat on a million rollouts, and encoded
 * with jansson (text that is not valid UTF-8 has its bad bytes replaced by U+FFFD, since JSON must be UTF-8). */
#include "storage/export.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_PAGE 512
/* Floats are stored from C floats: 7 significant digits say all they hold without 0.100000001-style noise. */
#define EXPORT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(7))

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static int utf8_seq(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (!n) return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))) return 0;   /* overlong, surrogate */
    if (n == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))) return 0;   /* overlong, > U+10FFFF */
    return n;
}

/* A JSON string of t; invalid UTF-8 bytes become U+FFFD. NULL only when out of memory. */
static json_t *jtext(const char *t) {
    if (!t) t = "";
    json_t *j = json_string(t);
    if (j) return j;
    size_t n = strlen(t);
    char *buf = malloc(3 * n + 1), *o = buf;
    if (!buf) return NULL;
    const unsigned char *s = (const unsigned char *)t;
    while (*s) {
        int k = utf8_seq(s);
        if (k) { memcpy(o, s, (size_t)k); o += k; s += k; }
        else { memcpy(o, "\xEF\xBF\xBD", 3); o += 3; s++; }
    }
    *o = 0;
    j = json_string(buf);
    free(buf);
    return j;
}

/* A JSON number, or null for NaN/inf (JSON has neither). */
static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static const char *finish_name(int finish) {
    switch (finish) {
    case 1: return "eos";       /* FINISH_EOS (core/sampler.h) */
    case 2: return "length";    /* FINISH_LENGTH */
    case 3: return "aborted";   /* FINISH_ABORTED */
    }
    return "unknown";
}

/* Builds the documented rollout object. NULL when out of memory. */
static json_t *rollout_json(const QueryRollout *r, const char *run_name) {
    json_t *o = json_object(), *rw = json_object(), *fl = json_object();
    if (!o || !rw || !fl) { json_decref(o); json_decref(rw); json_decref(fl); return NULL; }
    int bad = 0;
    bad |= json_object_set_new(o, "run_id", json_integer(r->run_id));
    bad |= json_object_set_new(o, "run", jtext(run_name));
    bad |= json_object_set_new(o, "step", json_integer(r->step));
    bad |= json_object_set_new(o, "prompt_index", json_integer(r->prompt_index));
    bad |= json_object_set_new(o, "sample_index", json_integer(r->sample_index));
    bad |= json_object_set_new(o, "task", jtext(r->task));
    bad |= json_object_set_new(o, "prompt", jtext(r->prompt));
    bad |= json_object_set_new(o, "completion", jtext(r->completion));
    bad |= json_object_set_new(o, "answer", jtext(r->answer));
    bad |= json_object_set_new(o, "reward", jreal(r->reward));
    bad |= json_object_set_new(rw, "accuracy", jreal(r->r_accuracy));
    bad |= json_object_set_new(rw, "format", jreal(r->r_format));
    bad |= json_object_set_new(rw, "language", jreal(r->r_language));
    bad |= json_object_set_new(o, "rewards", rw);
    bad |= json_object_set_new(o, "advantage", jreal(r->advantage));
    bad |= json_object_set_new(o, "length", json_integer(r->length));
    bad |= json_object_set_new(o, "finish", json_string(finish_name(r->finish)));
    bad |= json_object_set_new(o, "correct", json_boolean(r->correct));
    bad |= json_object_set_new(fl, "reflection", json_boolean(r->flags & ROLLOUT_FLAG_REFLECTION));
    bad |= json_object_set_new(fl, "self_correction", json_boolean(r->flags & ROLLOUT_FLAG_SELF_CORRECTION));
    bad |= json_object_set_new(fl, "dropped", json_boolean(r->flags & ROLLOUT_FLAG_DROPPED));
    bad |= json_object_set_new(o, "flags", fl);
    if (bad) { json_decref(o); return NULL; }
    return o;
}

static int write_line(json_t *o, FILE *out, const char *dbpath, char *err, size_t errlen) {
    if (!o) { snprintf(err, errlen, "export from %s: out of memory", dbpath); return -1; }
    int rc = json_dumpf(o, out, EXPORT_JSON_FLAGS);
    json_decref(o);
    if (rc != 0 || fputc('\n', out) == EOF) {
        snprintf(err, errlen, "export from %s: cannot write the output: %s", dbpath, strerror(errno));
        return -1;
    }
    return 0;
}

/* Walks every rollout matching f in keyset pages, calling fn on each; fn returns 0 to go on, -1 to fail. */
typedef int (*RowFn)(void *ud, const QueryRollout *r, char *err, size_t errlen);
static int walk(Query *q, const QueryFilter *f, RowFn fn, void *ud, char *err, size_t errlen) {
    QueryRolloutList page = {0};
    QueryRollout anchor;
    int have_anchor = 0;
    memset(&anchor, 0, sizeof anchor);
    for (;;) {
        QueryRolloutList next;
        int n = query_rollouts_page(q, f, have_anchor ? &anchor : NULL, 1, EXPORT_PAGE, &next, err, errlen);
        query_rollouts_free(&page);
        if (n < 0) return -1;
        page = next;
        for (int i = 0; i < n; i++)
            if (fn(ud, &page.items[i], err, errlen) != 0) { query_rollouts_free(&page); return -1; }
        if (n < EXPORT_PAGE) break;
        anchor = page.items[n - 1];   /* only the sort key and id are read; the strings stay owned by page */
        have_anchor = 1;
    }
    query_rollouts_free(&page);
    return 0;
}

typedef struct { int64_t id; char *name; } RunName;
typedef struct {
    Query *q;
    FILE *out;
    int64_t written;
    RunName *runs;
    int n_runs;
} JsonlCtx;

static const char *run_name(JsonlCtx *c, int64_t id) {
    for (int i = 0; i < c->n_runs; i++)
        if (c->runs[i].id == id) return c->runs[i].name;
    return "";
}

static int jsonl_row(void *ud, const QueryRollout *r, char *err, size_t errlen) {
    JsonlCtx *c = ud;
    if (write_line(rollout_json(r, run_name(c, r->run_id)), c->out, query_path(c->q), err, errlen)) return -1;
    c->written++;
    return 0;
}

int export_jsonl(Query *q, const QueryFilter *f, FILE *out, int64_t *written, char *err, size_t errlen) {
    if (written) *written = 0;
    JsonlCtx c = {.q = q, .out = out};
    QueryRunList runs;
    if (query_runs(q, &runs, err, errlen) < 0) return -1;
    c.runs = calloc((size_t)runs.n + 1, sizeof *c.runs);
    if (!c.runs) { query_runs_free(&runs); snprintf(err, errlen, "export from %s: out of memory", query_path(q)); return -1; }
    for (int i = 0; i < runs.n; i++) { c.runs[i].id = runs.items[i].id; c.runs[i].name = runs.items[i].name; }
    c.n_runs = runs.n;
    int rc = walk(q, f, jsonl_row, &c, err, errlen);
    if (rc == 0 && fflush(out) != 0) {
        snprintf(err, errlen, "export from %s: cannot write the output: %s", query_path(q), strerror(errno));
        rc = -1;
    }
    free(c.runs);
    query_runs_free(&runs);
    if (written) *written = c.written;
    return rc;
}

/* ---- SFT set ------------------------------------------------------------------------------------------------ */

/* An open-addressing set of 64-bit hashes with a count each (0 is the empty slot; hashes are made nonzero). */
typedef struct { uint64_t *keys; int *counts; size_t cap, n; } HashCount;

static uint64_t fnv1a(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Returns a pointer to key's count (inserted at 0 when new), NULL when out of memory. */
static int *hc_slot(HashCount *t, uint64_t key) {
    if (!key) key = 1;
    if (2 * (t->n + 1) > t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 1024;
        uint64_t *nk = calloc(nc, sizeof *nk);
        int *nv = calloc(nc, sizeof *nv);
        if (!nk || !nv) { free(nk); free(nv); return NULL; }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->keys[i]) continue;
            size_t j = t->keys[i] & (nc - 1);
            while (nk[j]) j = (j + 1) & (nc - 1);
            nk[j] = t->keys[i];
            nv[j] = t->counts[i];
        }
        free(t->keys); free(t->counts);
        t->keys = nk; t->counts = nv; t->cap = nc;
    }
    size_t j = key & (t->cap - 1);
    while (t->keys[j] && t->keys[j] != key) j = (j + 1) & (t->cap - 1);
    if (!t->keys[j]) { t->keys[j] = key; t->counts[j] = 0; t->n++; }
    return &t->counts[j];
}

typedef struct {
    Query *q;
    FILE *out;
    ExportSftOptions opts;
    HashCount pairs, prompts;
    int64_t written;
} SftCtx;

static int sft_row(void *ud, const QueryRollout *r, char *err, size_t errlen) {
    SftCtx *c = ud;
    if (!r->correct || r->r_format != 1.0f) return 0;
    if (c->opts.max_length > 0 && r->length > c->opts.max_length) return 0;
    uint64_t hp = fnv1a(14695981039346656037ull, r->prompt);
    if (c->opts.dedup) {
        int *seen = hc_slot(&c->pairs, fnv1a(fnv1a(hp, "\x1f"), r->completion));
        if (!seen) goto oom;
        if ((*seen)++) return 0;
    }
    if (c->opts.per_prompt > 0) {
        int *kept = hc_slot(&c->prompts, hp);
        if (!kept) goto oom;
        if (*kept >= c->opts.per_prompt) return 0;
        (*kept)++;
    }
    json_t *o = json_object();
    if (o && (json_object_set_new(o, "prompt", jtext(r->prompt)) ||
              json_object_set_new(o, "completion", jtext(r->completion)))) {
        json_decref(o);
        o = NULL;
    }
    if (write_line(o, c->out, query_path(c->q), err, errlen)) return -1;
    c->written++;
    return 0;
oom:
    snprintf(err, errlen, "export from %s: out of memory", query_path(c->q));
    return -1;
}

int export_sft(Query *q, const QueryFilter *f, const ExportSftOptions *opts, FILE *out, int64_t *written,
               char *err, size_t errlen) {
    if (written) *written = 0;
    SftCtx c = {.q = q, .out = out};
    if (opts) c.opts = *opts;
    QueryFilter g = *f;
    g.correct = 1;       /* the filter does what an index can; r_format == 1 is checked per row */
    if (c.opts.max_length > 0 && (g.max_length <= 0 || g.max_length > c.opts.max_length)) g.max_length = c.opts.max_length;
    int rc = walk(q, &g, sft_row, &c, err, errlen);
    if (rc == 0 && fflush(out) != 0) {
        snprintf(err, errlen, "export from %s: cannot write the output: %s", query_path(q), strerror(errno));
        rc = -1;
    }
    free(c.pairs.keys); free(c.pairs.counts);
    free(c.prompts.keys); free(c.prompts.counts);
    if (written) *written = c.written;
    return rc;
}
