/* query.c - the browser's reads of a run database (query.h) through a connection of their own.
 *
 * Rollouts live in two tables: rollouts (narrow: every column a filter or sort reads) and rollout_texts (prompt,
 * completion, answer), joined only for the rows a page returns. Filters become one WHERE clause with bound
 * parameters (never text pasted into SQL). Each sort order has an index whose entries are (key, rowid), so
 * "ORDER BY key, id LIMIT n" walks the index and stops after n matches instead of sorting; keyset pages continue
 * from (key, id) with a row-value comparison the same index serves. The step order is the rowid order (rows are
 * written step by step), which lets a text search in step order walk the FTS5 index itself in rowid order and stop
 * after one page; other orders with a search test membership in the set of matching rowids, walking the sort
 * index when the search matches many rows and sorting the matches when it matches few (query_search_dense). */
#include "storage/query.h"
#include "storage/store_internal.h"
#include "storage/token_blob.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Query {
    sqlite3 *db;
    char *path;
};

static void q_err(Query *q, char *err, size_t errlen, const char *what) {
    store_db_error(err, errlen, q->path, q->db, what);
}

static void oom(Query *q, char *err, size_t errlen) {
    store_db_error(err, errlen, q->path, NULL, "out of memory reading the run database");
}

static void contains_all(sqlite3_context *ctx, int argc, sqlite3_value **argv);

Query *query_open(const char *path, char *err, size_t errlen) {
    Query *q = calloc(1, sizeof *q);
    if (!q || !(q->path = strdup(path))) {
        free(q);
        store_db_error(err, errlen, path, NULL, "cannot open the run database (out of memory)");
        return NULL;
    }
    if (store_db_open(path, 0, &q->db, err, errlen) != 0) { free(q->path); free(q); return NULL; }
    if (sqlite3_exec(q->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(q->db, "grpo_contains_all", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   contains_all, NULL, NULL, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot open the run database for reading");
        query_close(q);
        return NULL;
    }
    return q;
}

void query_close(Query *q) {
    if (!q) return;
    sqlite3_close_v2(q->db);
    free(q->path);
    free(q);
}

const char *query_path(const Query *q) { return q->path; }

int64_t query_data_version(Query *q) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK) return -1;
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* 0 means "the newest run" for the per-run reads. Returns the id, 0 when the file has no run, -1 on error. */
static int64_t resolve_run(Query *q, int64_t run_id, char *err, size_t errlen) {
    if (run_id > 0) return run_id;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT coalesce(max(id), 0) FROM runs", -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read the runs");
        return -1;
    }
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (id < 0) q_err(q, err, errlen, "cannot read the runs");
    return id;
}

static char *col_dup(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    char *d = malloc((size_t)n + 1);
    if (!d) return NULL;
    if (t) memcpy(d, t, (size_t)n);
    d[n] = 0;
    return d;
}

static void col_copy(sqlite3_stmt *st, int i, char *buf, size_t n) {
    const char *t = (const char *)sqlite3_column_text(st, i);
    snprintf(buf, n, "%s", t ? t : "");
}

static double col_real(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* ---- filters ---------------------------------------------------------------------------------------------- */

void query_filter_init(QueryFilter *f) {
    memset(f, 0, sizeof *f);
    f->run_id = 0;
    f->step_min = f->step_max = -1;
    f->reward_min = -INFINITY;
    f->reward_max = INFINITY;
    f->correct = -1;
    f->prompt_index = -1;
    f->search_mode = QUERY_SEARCH_WORDS;
    f->sort = QUERY_SORT_STEP;
}

/* A bound value of the WHERE clause being built. */
typedef struct { int type; int64_t i; double d; const char *t; } Bind;   /* type: 0 int, 1 double, 2 text */

typedef struct {
    char sql[2048];
    size_t len;
    Bind binds[24];
    int n_binds;
    int n_plain;      /* constraints other than the text search */
    char *match;      /* the FTS5 expression (malloc'd); NULL or "" when no text search */
    const char *literals; /* words searched for as substrings (inside match's block, see words_to_fts); "" none */
} Where;

static void w_add(Where *w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->sql + w->len, sizeof w->sql - w->len, fmt, ap);
    va_end(ap);
    if (n > 0) w->len += (size_t)n;
    if (w->len >= sizeof w->sql) w->len = sizeof w->sql - 1;
}
static void w_int(Where *w, int64_t v) { w->binds[w->n_binds].type = 0; w->binds[w->n_binds++].i = v; }
static void w_real(Where *w, double v) { w->binds[w->n_binds].type = 1; w->binds[w->n_binds++].d = v; }
static void w_text(Where *w, const char *t) { w->binds[w->n_binds].type = 2; w->binds[w->n_binds++].t = t; }

static int is_word_byte(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* Plain words -> an FTS5 expression: every word a quoted string (quotes doubled), all required, the last one a
 * prefix unless the text ends in a space. The index knows only letters and digits, so a word without any (%, ",
 * *, ...) is not for FTS5 - it would match nothing, or, dropped, let the search match everything: those words
 * are searched for as they are, each a required substring of the completion (grpo_contains_all). Returns one
 * malloc'd block holding the FTS5 expression ("" when no word is for FTS5) and, after its NUL, the literal
 * words separated by single spaces ("" when none); NULL when out of memory. */
static char *words_to_fts(const char *text) {
    size_t n = strlen(text);
    char *out = malloc(4 * n + 8), *o = out, *lit, *l;
    if (!out) return NULL;
    lit = l = out + 3 * n + 6;   /* literals are copied here, then moved right after the expression */
    const char *p = text;
    while (*p) {
        while (*p && isspace((unsigned char)*p)) p++;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (p == start) break;
        int has_word = 0;
        for (const char *c = start; c < p; c++) has_word |= is_word_byte((unsigned char)*c);
        if (!has_word) {
            if (l != lit) *l++ = ' ';
            memcpy(l, start, (size_t)(p - start));
            l += p - start;
            continue;
        }
        if (o != out) *o++ = ' ';
        *o++ = '"';
        for (const char *c = start; c < p; c++) {
            if (*c == '"') *o++ = '"';
            *o++ = *c;
        }
        *o++ = '"';
        if (!*p) *o++ = '*';    /* still typing the last word */
    }
    *o++ = 0;
    size_t nl = (size_t)(l - lit);
    memmove(o, lit, nl);
    o[nl] = 0;
    return out;
}

/* grpo_contains_all(text, words): 1 when every space-separated word of `words` occurs in text (bytes as they are),
 * else 0; NULL text contains nothing. The literal half of a plain-words search (words_to_fts). */
static void contains_all(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    const char *words = (const char *)sqlite3_value_text(argv[1]);
    if (!words) { sqlite3_result_int(ctx, 1); return; }
    if (!text) { sqlite3_result_int(ctx, words[0] == 0); return; }
    size_t n = strlen(text);
    for (const char *p = words; *p;) {
        const char *e = strchr(p, ' ');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k && !memmem(text, n, p, k)) { sqlite3_result_int(ctx, 0); return; }
        p = e ? e + 1 : p + k;
    }
    sqlite3_result_int(ctx, 1);
}

static const char *sort_column(QuerySort s) {
    switch (s) {
    case QUERY_SORT_REWARD: return "r.reward";
    case QUERY_SORT_LENGTH: return "r.length";
    case QUERY_SORT_ADVANTAGE: return "r.advantage";
    case QUERY_SORT_STEP: break;
    }
    return "r.id";
}

/* Starts the WHERE clause. With fts_driven, the text search is its first constraint (the FTS5 table is the outer
 * loop of the query); otherwise the search, if any, is added by add_search after the plain constraints. */
static int build_where(Where *w, const QueryFilter *f, int fts_driven) {
    memset(w, 0, sizeof *w);
    w->literals = "";
    if (f->search[0]) {
        w->match = f->search_mode == QUERY_SEARCH_FTS ? strdup(f->search) : words_to_fts(f->search);
        if (!w->match) return -1;
        if (f->search_mode != QUERY_SEARCH_FTS) w->literals = w->match + strlen(w->match) + 1;
    }
    w_add(w, " WHERE 1");
    if (fts_driven && w->match && w->match[0]) { w_add(w, " AND rollouts_fts MATCH ?"); w_text(w, w->match); }
    int before = w->n_binds;
    if (f->run_id > 0) { w_add(w, " AND r.run_id = ?"); w_int(w, f->run_id); }
    if (f->step_min >= 0) { w_add(w, " AND r.step >= ?"); w_int(w, f->step_min); }
    if (f->step_max >= 0) { w_add(w, " AND r.step <= ?"); w_int(w, f->step_max); }
    if (f->reward_min > -INFINITY) { w_add(w, " AND r.reward >= ?"); w_real(w, f->reward_min); }
    if (f->reward_max < INFINITY) { w_add(w, " AND r.reward <= ?"); w_real(w, f->reward_max); }
    if (f->correct >= 0) { w_add(w, " AND r.correct = ?"); w_int(w, f->correct ? 1 : 0); }
    if (f->flags_mask) {
        w_add(w, " AND (r.flags & ?) = ?");
        w_int(w, f->flags_mask);
        w_int(w, f->flags_value & f->flags_mask);
    }
    if (f->finish) { w_add(w, " AND r.finish = ?"); w_int(w, f->finish); }
    if (f->max_length > 0) { w_add(w, " AND r.length <= ?"); w_int(w, f->max_length); }
    if (f->prompt_index >= 0) { w_add(w, " AND r.prompt_index = ?"); w_int(w, f->prompt_index); }
    if (f->task[0]) { w_add(w, " AND r.task = ?"); w_text(w, f->task); }
    if (w->literals[0]) {
        w_add(w, " AND grpo_contains_all((SELECT completion FROM rollout_texts WHERE id = r.id), ?)");
        w_text(w, w->literals);
    }
    w->n_plain = w->n_binds - before;
    if (!fts_driven && w->match && w->match[0]) {
        w_add(w, " AND r.id IN (SELECT rowid FROM rollouts_fts WHERE rollouts_fts MATCH ?)");
        w_text(w, w->match);
    }
    return 0;
}

static int has_search(const Where *w) { return w->match && w->match[0]; }

static void bind_all(sqlite3_stmt *st, const Where *w, int first) {
    for (int i = 0; i < w->n_binds; i++) {
        const Bind *b = &w->binds[i];
        if (b->type == 0) sqlite3_bind_int64(st, first + i, b->i);
        else if (b->type == 1) sqlite3_bind_double(st, first + i, b->d);
        else sqlite3_bind_text(st, first + i, b->t, -1, SQLITE_STATIC);
    }
}

/* The error of a statement that ran a filter: a malformed FTS5 string is named as the search it is. */
static void filter_err(Query *q, const QueryFilter *f, const Where *w, char *err, size_t errlen, const char *what) {
    if (has_search(w) && sqlite3_errcode(q->db) == SQLITE_ERROR) {
        char msg[400];
        snprintf(msg, sizeof msg, "search \"%.200s\" is not a valid full-text query", f->search);
        q_err(q, err, errlen, msg);
    } else {
        q_err(q, err, errlen, what);
    }
}

/* Pages run in two phases: the inner query filters, sorts and limits on the narrow rollouts table alone; the outer
 * one joins the texts of the page's rows only. */
static const char NARROW_COLS[] =
    "r.id, r.run_id, r.step, r.prompt_index, r.sample_index, r.task, r.reward, r.r_accuracy, r.r_format,"
    " r.r_language, r.advantage, r.length, r.finish, r.correct, r.flags";
static const char ROLLOUT_COLS[] =
    "r.id, r.run_id, r.step, r.prompt_index, r.sample_index, r.task, t.prompt, t.completion, t.answer, r.reward,"
    " r.r_accuracy, r.r_format, r.r_language, r.advantage, r.length, r.finish, r.correct, r.flags";
/* CROSS JOIN keeps rollouts the outer loop, so texts are read only for rows that pass the filter. */
static const char ROLLOUT_FROM[] = "rollouts r CROSS JOIN rollout_texts t ON t.id = r.id";

/* A search matching at least this many rollouts is "dense": walking a sort index and testing membership finds a
 * page after about limit * rows / matches index entries, cheaper than reading and sorting every match.
 * A variable (store_internal.h) so that tests can send small databases down both paths. */
int query_search_dense = 20000;

static int read_rollout(sqlite3_stmt *st, QueryRollout *r) {
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->run_id = sqlite3_column_int64(st, 1);
    r->step = sqlite3_column_int(st, 2);
    r->prompt_index = sqlite3_column_int(st, 3);
    r->sample_index = sqlite3_column_int(st, 4);
    r->task = col_dup(st, 5);
    r->prompt = col_dup(st, 6);
    r->completion = col_dup(st, 7);
    r->answer = col_dup(st, 8);
    r->reward = (float)col_real(st, 9);
    r->r_accuracy = (float)col_real(st, 10);
    r->r_format = (float)col_real(st, 11);
    r->r_language = (float)col_real(st, 12);
    r->advantage = (float)col_real(st, 13);
    r->length = sqlite3_column_int(st, 14);
    r->finish = sqlite3_column_int(st, 15);
    r->correct = sqlite3_column_int(st, 16);
    r->flags = (unsigned)sqlite3_column_int64(st, 17);
    if (!r->task || !r->prompt || !r->completion || !r->answer) { query_rollout_free(r); return -1; }
    return 0;
}

void query_rollout_free(QueryRollout *r) {
    if (!r) return;
    free(r->task); free(r->prompt); free(r->completion); free(r->answer);
    r->task = r->prompt = r->completion = r->answer = NULL;
}

void query_rollouts_free(QueryRolloutList *l) {
    if (!l) return;
    for (int i = 0; i < l->n; i++) query_rollout_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Steps st (already bound) and collects up to cap rows into out. Returns the count or -1. */
static int collect_rollouts(Query *q, sqlite3_stmt *st, int cap, QueryRolloutList *out, const QueryFilter *f,
                            const Where *w, char *err, size_t errlen) {
    out->n = 0;
    out->items = NULL;
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == alloc) {
            int na = alloc ? 2 * alloc : (cap > 0 && cap < 64 ? cap : 64);
            QueryRollout *ni = realloc(out->items, (size_t)na * sizeof *ni);
            if (!ni) { query_rollouts_free(out); oom(q, err, errlen); return -1; }
            out->items = ni;
            alloc = na;
        }
        if (read_rollout(st, &out->items[out->n]) != 0) { query_rollouts_free(out); oom(q, err, errlen); return -1; }
        out->n++;
    }
    if (rc != SQLITE_DONE) {
        if (f && w) filter_err(q, f, w, err, errlen, "cannot read rollouts");
        else q_err(q, err, errlen, "cannot read rollouts");
        query_rollouts_free(out);
        return -1;
    }
    return out->n;
}

static void reverse_list(QueryRolloutList *l) {
    for (int i = 0, j = l->n - 1; i < j; i++, j--) {
        QueryRollout t = l->items[i];
        l->items[i] = l->items[j];
        l->items[j] = t;
    }
}

/* The page query: filter, optional keyset bound, order, limit/offset. direction -1 reads backwards (and the
 * caller reverses the rows). */
/* 1 when the FTS expression matches at least query_search_dense rollouts (reads at most that many rowids), 0 when
 * fewer, -1 on error (a malformed expression). */
static int search_is_dense(Query *q, const char *match) {
    /* A trailing prefix star makes FTS5 merge the doclists of every term with that prefix before the first row;
     * the exact word is a good enough estimate for choosing a plan, at a third of the cost. */
    size_t n = strlen(match);
    if (n > 1 && match[n - 1] == '*') {
        char *exact = strdup(match);
        if (exact) {
            exact[n - 1] = 0;
            int d = search_is_dense(q, exact);
            free(exact);
            if (d >= 0) return d;
        }
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT count(*) FROM (SELECT rowid FROM rollouts_fts WHERE rollouts_fts MATCH ?1"
                           " LIMIT ?2)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, query_search_dense);
    int rc = sqlite3_step(st), dense = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) >= query_search_dense : -1;
    sqlite3_finalize(st);
    return dense;
}

static const char *sort_index(QuerySort s) {
    switch (s) {
    case QUERY_SORT_REWARD: return "rollouts_reward";
    case QUERY_SORT_LENGTH: return "rollouts_length";
    case QUERY_SORT_ADVANTAGE: return "rollouts_advantage";
    case QUERY_SORT_STEP: break;
    }
    return NULL;
}

static int page(Query *q, const QueryFilter *f, const QueryRollout *anchor, int direction, int limit, int64_t offset,
                QueryRolloutList *out, char *err, size_t errlen) {
    out->n = 0;
    out->items = NULL;
    if (limit <= 0) return 0;
    Where w;
    /* A search in step (= rowid) order walks the FTS index in rowid order and stops after one page. */
    int fts_driven = f->search[0] && f->sort == QUERY_SORT_STEP;
    if (build_where(&w, f, fts_driven) != 0) { oom(q, err, errlen); return -1; }
    fts_driven = fts_driven && has_search(&w);
    /* A dense search in another order walks that order's index (see query_search_dense). */
    const char *indexed_by = NULL;
    if (has_search(&w) && !fts_driven) {
        int dense = search_is_dense(q, w.match);
        if (dense < 0) {
            filter_err(q, f, &w, err, errlen, "cannot query rollouts");
            free(w.match);
            return -1;
        }
        if (dense) indexed_by = sort_index(f->sort);
    }
    int desc = f->descending ? 1 : 0;
    if (direction < 0) desc = !desc;
    const char *key = fts_driven ? "rollouts_fts.rowid" : sort_column(f->sort);
    if (anchor) {
        if (f->sort == QUERY_SORT_STEP) {
            w_add(&w, " AND %s %s ?", key, desc ? "<" : ">");
        } else {
            w_add(&w, " AND (%s, r.id) %s (?, ?)", key, desc ? "<" : ">");
            if (f->sort == QUERY_SORT_REWARD) w_real(&w, anchor->reward);
            else if (f->sort == QUERY_SORT_LENGTH) w_int(&w, anchor->length);
            else w_real(&w, anchor->advantage);
        }
        w_int(&w, anchor->id);
    }
    const char *dir = desc ? "DESC" : "ASC";
    char inner_order[96], outer_order[96];
    if (f->sort == QUERY_SORT_STEP) {
        snprintf(inner_order, sizeof inner_order, "%s %s", key, dir);
        snprintf(outer_order, sizeof outer_order, "r.id %s", dir);
    } else {
        snprintf(inner_order, sizeof inner_order, "%s %s, r.id %s", key, dir, dir);
        snprintf(outer_order, sizeof outer_order, "%s %s, r.id %s", key, dir, dir);
    }
    char from[160];
    if (fts_driven) snprintf(from, sizeof from, "rollouts_fts CROSS JOIN rollouts r ON r.id = rollouts_fts.rowid");
    else if (indexed_by) snprintf(from, sizeof from, "rollouts r INDEXED BY %s", indexed_by);
    else snprintf(from, sizeof from, "rollouts r");
    char sql[3400];
    snprintf(sql, sizeof sql, "SELECT %s FROM (SELECT %s FROM %s%s ORDER BY %s LIMIT ? OFFSET ?) AS r"
             " CROSS JOIN rollout_texts t ON t.id = r.id ORDER BY %s",
             ROLLOUT_COLS, NARROW_COLS, from, w.sql, inner_order, outer_order);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot query rollouts");
        free(w.match);
        return -1;
    }
    bind_all(st, &w, 1);
    sqlite3_bind_int(st, w.n_binds + 1, limit);
    sqlite3_bind_int64(st, w.n_binds + 2, offset);
    int n = collect_rollouts(q, st, limit, out, f, &w, err, errlen);
    sqlite3_finalize(st);
    free(w.match);
    if (n > 0 && direction < 0) reverse_list(out);
    return n;
}

int query_rollouts(Query *q, const QueryFilter *f, int limit, int64_t offset, QueryRolloutList *out,
                   char *err, size_t errlen) {
    return page(q, f, NULL, 1, limit, offset < 0 ? 0 : offset, out, err, errlen);
}

int query_rollouts_page(Query *q, const QueryFilter *f, const QueryRollout *anchor, int direction, int limit,
                        QueryRolloutList *out, char *err, size_t errlen) {
    return page(q, f, anchor, direction < 0 ? -1 : 1, limit, 0, out, err, errlen);
}

int64_t query_count(Query *q, const QueryFilter *f, char *err, size_t errlen) {
    Where w;
    if (build_where(&w, f, 1) != 0) { oom(q, err, errlen); return -1; }
    char sql[2400];
    if (!has_search(&w))
        snprintf(sql, sizeof sql, "SELECT count(*) FROM rollouts r%s", w.sql);
    else if (w.n_plain == 0)   /* the FTS index counts its matches without reading a row */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM rollouts_fts WHERE rollouts_fts MATCH ?");
    else
        snprintf(sql, sizeof sql, "SELECT count(*) FROM rollouts_fts CROSS JOIN rollouts r ON r.id = rollouts_fts.rowid%s",
                 w.sql);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot count rollouts");
        free(w.match);
        return -1;
    }
    bind_all(st, &w, 1);
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    else filter_err(q, f, &w, err, errlen, "cannot count rollouts");
    sqlite3_finalize(st);
    free(w.match);
    return n;
}

int query_check_search(Query *q, const char *search, QuerySearchMode mode, char *err, size_t errlen) {
    if (!search || !search[0] || mode == QUERY_SEARCH_WORDS) return 0;   /* plain words are always valid */
    int has_word = 0;
    for (const char *c = search; *c; c++) has_word |= is_word_byte((unsigned char)*c);
    if (!has_word) {   /* FTS5 would take "%" as an empty phrase and match nothing, silently */
        snprintf(err, errlen, "search \"%.200s\" has no letter or digit: the full-text index of %s holds words only "
                 "(a plain search, without --fts, finds punctuation)", search, q->path);
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT rowid FROM rollouts_fts WHERE rollouts_fts MATCH ?1 LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot check the search");
        return -1;
    }
    sqlite3_bind_text(st, 1, search, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        char msg[400];
        snprintf(msg, sizeof msg, "search \"%.200s\" is not a valid full-text query", search);
        q_err(q, err, errlen, msg);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int query_group(Query *q, int64_t run_id, int step, int prompt_index, QueryRolloutList *out,
                char *err, size_t errlen) {
    out->n = 0;
    out->items = NULL;
    int64_t run = resolve_run(q, run_id, err, errlen);
    if (run < 0) return -1;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE r.run_id = ?1 AND r.step = ?2 AND r.prompt_index = ?3"
             " ORDER BY r.sample_index", ROLLOUT_COLS, ROLLOUT_FROM);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) { q_err(q, err, errlen, "cannot read a group"); return -1; }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int(st, 2, step);
    sqlite3_bind_int(st, 3, prompt_index);
    int n = collect_rollouts(q, st, 0, out, NULL, NULL, err, errlen);
    sqlite3_finalize(st);
    return n;
}

int query_rollout(Query *q, int64_t id, QueryRollout *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE r.id = ?1", ROLLOUT_COLS, ROLLOUT_FROM);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) { q_err(q, err, errlen, "cannot read a rollout"); return -1; }
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        if (read_rollout(st, out) != 0) { sqlite3_finalize(st); oom(q, err, errlen); return -1; }
        found = 1;
    } else if (rc != SQLITE_DONE) {
        q_err(q, err, errlen, "cannot read a rollout");
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

void query_tokens_free(QueryTokens *t) {
    if (!t) return;
    free(t->ids);
    free(t->logprob);
    free(t->entropy);
    free(t->ratio);
    memset(t, 0, sizeof *t);
}

/* Column col of st (a half-float blob of n values, or NULL) into a new array at *out. Returns 0, or -1 when the
 * blob does not hold n values or memory runs out. */
static int read_f16_column(sqlite3_stmt *st, int col, int n, float **out) {
    *out = NULL;
    if (sqlite3_column_type(st, col) == SQLITE_NULL) return 0;
    const unsigned char *b = sqlite3_column_blob(st, col);
    size_t bytes = (size_t)sqlite3_column_bytes(st, col);
    if (!(*out = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1)))) return -1;
    return token_blob_get_f16(b, bytes, *out, n) == n ? 0 : -1;
}

int query_rollout_tokens(Query *q, int64_t id, QueryTokens *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT ids, logprob, entropy, ratio FROM rollout_tokens WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read a rollout's tokens");
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE) q_err(q, err, errlen, "cannot read a rollout's tokens");
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    const unsigned char *b = sqlite3_column_blob(st, 0);
    size_t bytes = (size_t)sqlite3_column_bytes(st, 0);
    int max = bytes > 1 ? (int)(bytes - 1) : 1; /* at least one byte an id */
    static const char *const cols[] = {"ids", "logprob", "entropy", "ratio"};
    int bad = -1;
    if (!(out->ids = malloc(sizeof(int) * (size_t)max))) bad = 0;
    else if ((out->n = token_blob_get_ids(b, bytes, out->ids, max)) < 0) bad = 0;
    else if (read_f16_column(st, 1, out->n, &out->logprob) != 0) bad = 1;
    else if (read_f16_column(st, 2, out->n, &out->entropy) != 0) bad = 2;
    else if (read_f16_column(st, 3, out->n, &out->ratio) != 0) bad = 3;
    sqlite3_finalize(st);
    if (bad >= 0) {
        query_tokens_free(out);
        char what[128];
        snprintf(what, sizeof what, "rollout %lld: the %s of rollout_tokens is not a token blob (or out of memory)",
                 (long long)id, cols[bad]);
        store_db_error(err, errlen, q->path, NULL, what);
        return -1;
    }
    return 1;
}

/* ---- metrics ---------------------------------------------------------------------------------------------- */

void query_series_free(QuerySeries *s) {
    if (!s) return;
    free(s->steps);
    free(s->values);
    s->steps = NULL;
    s->values = NULL;
    s->n = 0;
}

int query_series(Query *q, int64_t run_id, const char *name, int step_min, QuerySeries *out,
                 char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t run = resolve_run(q, run_id, err, errlen);
    if (run < 0) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT step, value FROM metrics WHERE run_id = ?1 AND name = ?2 AND step >= ?3"
                           " ORDER BY step", -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read a metric series");
        return -1;
    }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, step_min < 0 ? -2147483647 - 1 : step_min);
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == alloc) {
            int na = alloc ? 2 * alloc : 256;
            int *ns = realloc(out->steps, (size_t)na * sizeof *ns);
            if (ns) out->steps = ns;
            double *nv = realloc(out->values, (size_t)na * sizeof *nv);
            if (nv) out->values = nv;
            if (!ns || !nv) { sqlite3_finalize(st); query_series_free(out); oom(q, err, errlen); return -1; }
            alloc = na;
        }
        out->steps[out->n] = sqlite3_column_int(st, 0);
        out->values[out->n] = col_real(st, 1);
        out->n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { query_series_free(out); q_err(q, err, errlen, "cannot read a metric series"); return -1; }
    return out->n;
}

void query_strings_free(QueryStrings *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->items[i]);
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

/* Collects column 0 of every row as strings. */
static int collect_strings(Query *q, sqlite3_stmt *st, QueryStrings *out, char *err, size_t errlen,
                           const char *what) {
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL) continue;
        if (out->n == alloc) {
            int na = alloc ? 2 * alloc : 16;
            char **ni = realloc(out->items, (size_t)na * sizeof *ni);
            if (!ni) { query_strings_free(out); oom(q, err, errlen); return -1; }
            out->items = ni;
            alloc = na;
        }
        if (!(out->items[out->n] = col_dup(st, 0))) { query_strings_free(out); oom(q, err, errlen); return -1; }
        out->n++;
    }
    if (rc != SQLITE_DONE) { query_strings_free(out); q_err(q, err, errlen, what); return -1; }
    return out->n;
}

int query_metric_names(Query *q, int64_t run_id, QueryStrings *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t run = resolve_run(q, run_id, err, errlen);
    if (run < 0) return -1;
    /* A loose index scan: one seek per distinct name instead of reading every (name, step) row. */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db,
            "WITH RECURSIVE n(name) AS ("
            "  SELECT (SELECT min(name) FROM metrics WHERE run_id = ?1)"
            "  UNION ALL SELECT (SELECT min(name) FROM metrics WHERE run_id = ?1 AND name > n.name)"
            "  FROM n WHERE n.name IS NOT NULL)"
            " SELECT name FROM n WHERE name IS NOT NULL", -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot list metric names");
        return -1;
    }
    sqlite3_bind_int64(st, 1, run);
    int n = collect_strings(q, st, out, err, errlen, "cannot list metric names");
    sqlite3_finalize(st);
    return n;
}

int query_tasks(Query *q, int64_t run_id, QueryStrings *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    /* Loose index scan over rollouts(task); the run filter is checked per task with one seek. */
    if (sqlite3_prepare_v2(q->db,
            "WITH RECURSIVE t(task) AS ("
            "  SELECT (SELECT min(task) FROM rollouts)"
            "  UNION ALL SELECT (SELECT min(task) FROM rollouts WHERE task > t.task) FROM t WHERE t.task IS NOT NULL)"
            " SELECT task FROM t WHERE task IS NOT NULL"
            "  AND (?1 = 0 OR EXISTS (SELECT 1 FROM rollouts r WHERE r.task = t.task AND r.run_id = ?1))",
            -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot list tasks");
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id > 0 ? run_id : 0);
    int n = collect_strings(q, st, out, err, errlen, "cannot list tasks");
    sqlite3_finalize(st);
    return n;
}

/* ---- events, evals ------------------------------------------------------------------------------------------ */

void query_events_free(QueryEventList *l) {
    if (!l) return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int query_events(Query *q, int64_t run_id, int64_t after_id, QueryEventList *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t run = resolve_run(q, run_id, err, errlen);
    if (run < 0) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT id, kind, step, wall_time, name, old_value, new_value, detail FROM events"
                           " WHERE run_id = ?1 AND id > ?2 ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read events");
        return -1;
    }
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, after_id);
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == alloc) {
            int na = alloc ? 2 * alloc : 32;
            QueryEvent *ni = realloc(out->items, (size_t)na * sizeof *ni);
            if (!ni) { sqlite3_finalize(st); query_events_free(out); oom(q, err, errlen); return -1; }
            out->items = ni;
            alloc = na;
        }
        QueryEvent *e = &out->items[out->n++];
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(st, 0);
        e->ev.kind = (EventKind)sqlite3_column_int(st, 1);
        e->ev.step = sqlite3_column_int(st, 2);
        e->ev.wall_time = sqlite3_column_double(st, 3);
        col_copy(st, 4, e->ev.name, sizeof e->ev.name);
        col_copy(st, 5, e->ev.old_value, sizeof e->ev.old_value);
        col_copy(st, 6, e->ev.new_value, sizeof e->ev.new_value);
        col_copy(st, 7, e->ev.detail, sizeof e->ev.detail);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { query_events_free(out); q_err(q, err, errlen, "cannot read events"); return -1; }
    return out->n;
}

void query_evals_free(QueryEvalList *l) {
    if (!l) return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int query_evals(Query *q, int64_t run_id, QueryEvalList *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t run = resolve_run(q, run_id, err, errlen);
    if (run < 0) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT step, task, pass1, cons_k, k, problems, wall_time FROM evals"
                           " WHERE run_id = ?1 ORDER BY step, id", -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read evaluations");
        return -1;
    }
    sqlite3_bind_int64(st, 1, run);
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == alloc) {
            int na = alloc ? 2 * alloc : 16;
            QueryEval *ni = realloc(out->items, (size_t)na * sizeof *ni);
            if (!ni) { sqlite3_finalize(st); query_evals_free(out); oom(q, err, errlen); return -1; }
            out->items = ni;
            alloc = na;
        }
        QueryEval *e = &out->items[out->n++];
        memset(e, 0, sizeof *e);
        e->step = sqlite3_column_int(st, 0);
        col_copy(st, 1, e->task, sizeof e->task);
        e->pass1 = col_real(st, 2);
        e->cons_k = col_real(st, 3);
        e->k = sqlite3_column_int(st, 4);
        e->problems = sqlite3_column_int(st, 5);
        e->wall_time = sqlite3_column_double(st, 6);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { query_evals_free(out); q_err(q, err, errlen, "cannot read evaluations"); return -1; }
    return out->n;
}

void query_checkpoints_free(QueryCheckpointList *l) {
    if (!l) return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int query_checkpoints(Query *q, int64_t run_id, QueryCheckpointList *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t id = resolve_run(q, run_id, err, errlen);
    if (id <= 0) return (int)id;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT step, path, sha256 FROM checkpoints WHERE run_id = ?1 ORDER BY step", -1,
                           &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read checkpoints");
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == alloc) {
            int na = alloc ? 2 * alloc : 16;
            QueryCheckpoint *ni = realloc(out->items, (size_t)na * sizeof *ni);
            if (!ni) { sqlite3_finalize(st); query_checkpoints_free(out); oom(q, err, errlen); return -1; }
            out->items = ni;
            alloc = na;
        }
        QueryCheckpoint *c = &out->items[out->n++];
        c->step = sqlite3_column_int(st, 0);
        col_copy(st, 1, c->path, sizeof c->path);
        col_copy(st, 2, c->sha256, sizeof c->sha256);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { q_err(q, err, errlen, "cannot read checkpoints"); query_checkpoints_free(out); return -1; }
    return out->n;
}

/* ---- runs --------------------------------------------------------------------------------------------------- */

void query_run_free(QueryRun *r) {
    if (!r) return;
    free(r->config_text); free(r->model_desc); free(r->parent_checkpoint); free(r->parent_db);
    for (int i = 0; i < r->n_last_metrics; i++) free(r->last_metric_names[i]);
    free(r->last_metric_names);
    free(r->last_metric_values);
    r->config_text = r->model_desc = r->parent_checkpoint = r->parent_db = NULL;
    r->last_metric_names = NULL;
    r->last_metric_values = NULL;
    r->n_last_metrics = 0;
}

/* Reads everything but the last metrics. Returns 1, 0 (no such run) or -1. */
static int read_run(Query *q, int64_t id, QueryRun *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT id, name, status, start_time, end_time, seed, last_step, n_rollouts,"
                           " best_reward, config, model, parent_checkpoint, parent_db, parent_run, parent_step"
                           " FROM runs WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read a run");
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE) return 0;
        q_err(q, err, errlen, "cannot read a run");
        return -1;
    }
    out->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, out->name, sizeof out->name);
    col_copy(st, 2, out->status, sizeof out->status);
    out->start_time = sqlite3_column_double(st, 3);
    out->end_time = sqlite3_column_double(st, 4);
    out->seed = sqlite3_column_int(st, 5);
    out->steps = sqlite3_column_int(st, 6);
    out->n_rollouts = sqlite3_column_int64(st, 7);
    out->best_reward = col_real(st, 8);
    out->config_text = col_dup(st, 9);
    out->model_desc = col_dup(st, 10);
    out->parent_checkpoint = col_dup(st, 11);
    out->parent_db = col_dup(st, 12);
    out->parent_run = sqlite3_column_int64(st, 13);
    out->parent_step = sqlite3_column_int(st, 14);
    sqlite3_finalize(st);
    if (!out->config_text || !out->model_desc || !out->parent_checkpoint || !out->parent_db) {
        query_run_free(out);
        oom(q, err, errlen);
        return -1;
    }
    out->last_step_mean_reward = out->last_step_accuracy = NAN;
    if (sqlite3_prepare_v2(q->db, "SELECT avg(reward), avg(correct), count(*) FROM rollouts"
                           " WHERE run_id = ?1 AND step = ?2", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, out->steps);
    if (sqlite3_step(st) != SQLITE_ROW) { sqlite3_finalize(st); goto fail; }
    if (sqlite3_column_int(st, 2) > 0) {
        out->last_step_mean_reward = col_real(st, 0);
        out->last_step_accuracy = col_real(st, 1);
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(q->db, "SELECT step, path FROM checkpoints WHERE run_id = ?1 ORDER BY step DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->has_checkpoint = 1;
        out->last_checkpoint_step = sqlite3_column_int(st, 0);
        col_copy(st, 1, out->last_checkpoint_path, sizeof out->last_checkpoint_path);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) goto fail;
    return 1;
fail:
    q_err(q, err, errlen, "cannot read a run summary");
    query_run_free(out);
    return -1;
}

int query_run(Query *q, int64_t run_id, QueryRun *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int64_t id = resolve_run(q, run_id, err, errlen);
    if (id <= 0) return (int)id;
    int found = read_run(q, id, out, err, errlen);
    if (found != 1) return found;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT name, value FROM metrics WHERE run_id = ?1 AND step ="
                           " (SELECT max(step) FROM metrics WHERE run_id = ?1) ORDER BY name", -1, &st,
                           NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot read the last metrics");
        query_run_free(out);
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    int alloc = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n_last_metrics == alloc) {
            int na = alloc ? 2 * alloc : 16;
            char **nn = realloc(out->last_metric_names, (size_t)na * sizeof *nn);
            if (nn) out->last_metric_names = nn;
            double *nv = realloc(out->last_metric_values, (size_t)na * sizeof *nv);
            if (nv) out->last_metric_values = nv;
            if (!nn || !nv) { sqlite3_finalize(st); query_run_free(out); oom(q, err, errlen); return -1; }
            alloc = na;
        }
        char *name = col_dup(st, 0);
        if (!name) { sqlite3_finalize(st); query_run_free(out); oom(q, err, errlen); return -1; }
        out->last_metric_names[out->n_last_metrics] = name;
        out->last_metric_values[out->n_last_metrics] = col_real(st, 1);
        out->n_last_metrics++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { q_err(q, err, errlen, "cannot read the last metrics"); query_run_free(out); return -1; }
    return 1;
}

void query_runs_free(QueryRunList *l) {
    if (!l) return;
    for (int i = 0; i < l->n; i++) query_run_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int query_runs(Query *q, QueryRunList *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "SELECT id FROM runs ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        q_err(q, err, errlen, "cannot list runs");
        return -1;
    }
    int64_t ids[4096];
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 4096) ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) { q_err(q, err, errlen, "cannot list runs"); return -1; }
    if (n == 0) return 0;
    out->items = calloc((size_t)n, sizeof *out->items);
    if (!out->items) { oom(q, err, errlen); return -1; }
    for (int i = 0; i < n; i++) {
        int found = read_run(q, ids[i], &out->items[out->n], err, errlen);
        if (found < 0) { query_runs_free(out); return -1; }
        if (found) out->n++;
    }
    return out->n;
}
