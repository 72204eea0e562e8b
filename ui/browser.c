/* browser.c - the rollout list model: filter parsing, keyset windows, live refresh (see browser.h). */
#include "ui/browser.h"
#include "ui/keymap.h"
#include "core/config.h"
#include "core/record.h"
#include "core/sampler.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(Browser *b, const char *msg) { snprintf(b->err, sizeof b->err, "%s", msg); }

/* Replaces the window with l (taking its items). */
static void set_rows(Browser *b, QueryRolloutList *l) {
    query_rollouts_free(&b->rows);
    b->rows = *l;
    l->n = 0;
    l->items = NULL;
}

static int page(Browser *b, const QueryRollout *anchor, int dir, int limit, QueryRolloutList *out) {
    memset(out, 0, sizeof *out);
    if (!b->q || b->run_id <= 0 || limit <= 0) return 0;
    char err[256];
    int n = query_rollouts_page(b->q, &b->f, anchor, dir, limit, out, err, sizeof err);
    if (n < 0) { set_err(b, err); memset(out, 0, sizeof *out); return -1; }
    return n;
}

/* Does any row come before rows[0]? */
static void update_at_start(Browser *b) {
    if (b->rows.n == 0) { b->at_start = 1; return; }
    QueryRolloutList prev;
    int k = page(b, &b->rows.items[0], -1, 1, &prev);
    b->at_start = k <= 0;
    query_rollouts_free(&prev);
}

/* The run's prompt template, from its stored config ("" when it has none or it does not parse). */
static void load_template(Browser *b, const QueryRun *run) {
    b->prompt_template[0] = 0;
    if (!run->config_text || !run->config_text[0]) return;   /* none stored: the prompts are shown whole */
    Config *c = malloc(sizeof *c);
    char err[256];
    if (!c) return;
    config_defaults(c);
    if (config_load_string(c, run->config_text, "stored config", err, sizeof err) == 0)
        snprintf(b->prompt_template, sizeof b->prompt_template, "%s", c->task.prompt_template);
    free(c);
}

static int find_run(Browser *b) {
    if (b->run_id > 0 || !b->q) return b->run_id > 0;
    QueryRun run;
    memset(&run, 0, sizeof run);
    char err[256];
    int found = query_run(b->q, 0, &run, err, sizeof err);
    if (found < 0) { set_err(b, err); return 0; }
    if (found == 1) {
        b->run_id = run.id;
        snprintf(b->run_name, sizeof b->run_name, "%s", run.name);
        b->f.run_id = run.id;
        load_template(b, &run);
    }
    query_run_free(&run);
    return b->run_id > 0;
}

int browser_open(Browser *b, const char *path, int64_t run_id) {
    memset(b, 0, sizeof *b);
    query_filter_init(&b->f);
    b->f.sort = QUERY_SORT_STEP;
    b->f.descending = 1;
    b->height = 20;
    b->count = -1;
    b->at_start = 1;
    char err[256];
    b->q = query_open(path, err, sizeof err);
    if (!b->q) { set_err(b, err); return -1; }
    if (run_id > 0) {
        QueryRun run;
        memset(&run, 0, sizeof run);
        int found = query_run(b->q, run_id, &run, err, sizeof err);
        if (found != 1) {
            snprintf(b->err, sizeof b->err, "%s: %s", path, found < 0 ? err : "no such run");
            query_run_free(&run);
            return -1;
        }
        b->run_id = run.id;
        snprintf(b->run_name, sizeof b->run_name, "%s", run.name);
        b->f.run_id = run.id;
        load_template(b, &run);
        query_run_free(&run);
    }
    find_run(b);
    b->data_version = query_data_version(b->q);
    return browser_reload(b);
}

void browser_close(Browser *b) {
    if (!b) return;
    query_rollouts_free(&b->rows);
    query_close(b->q);
    b->q = NULL;
}

const QueryRollout *browser_selected(const Browser *b) {
    if (b->cursor < 0 || b->cursor >= b->rows.n) return NULL;
    return &b->rows.items[b->cursor];
}

static void recount(Browser *b) {
    char err[256];
    if (!b->q || b->run_id <= 0) { b->count = 0; return; }
    b->count = query_count(b->q, &b->f, err, sizeof err);
    if (b->count < 0) set_err(b, err);
}

static int fetch_top(Browser *b) {
    QueryRolloutList l;
    if (page(b, NULL, +1, b->height, &l) < 0) return -1;
    set_rows(b, &l);
    b->cursor = 0;
    b->at_start = 1;
    return 0;
}

/* The window that starts at `first` (inclusive): it, then the rows after it. Independent of rows arriving before
 * it, so a frozen list stays put even at the top. */
static int window_from(Browser *b, const QueryRollout *first, QueryRolloutList *out) {
    QueryRolloutList after;
    int rc = page(b, first, +1, b->height - 1, &after);
    if (rc < 0) return -1;
    out->n = 0;
    out->items = malloc((size_t)(after.n + 1) * sizeof *out->items);
    if (!out->items) { query_rollouts_free(&after); set_err(b, "out of memory"); return -1; }
    QueryRollout *c = &out->items[0];
    *c = *first;   /* a deep copy: first may belong to the window being replaced */
    c->task = strdup(first->task ? first->task : "");
    c->prompt = strdup(first->prompt ? first->prompt : "");
    c->completion = strdup(first->completion ? first->completion : "");
    c->answer = strdup(first->answer ? first->answer : "");
    if (after.n) memcpy(out->items + 1, after.items, (size_t)after.n * sizeof *after.items);
    out->n = after.n + 1;
    free(after.items);
    return 0;
}

int browser_reload(Browser *b) {
    b->err[0] = 0;
    if (!find_run(b)) { query_rollouts_free(&b->rows); b->cursor = 0; b->count = 0; return b->err[0] ? -1 : 0; }
    int64_t sel_id = browser_selected(b) ? browser_selected(b)->id : -1;
    int old_cursor = b->cursor;
    QueryRolloutList l = {0, NULL};
    int rc;
    /* Follow the newest rows only while the cursor is on the first one; once the user has moved, the window keeps its
     * first row, so new rows never move the list under the cursor (Home / < goes back to following). */
    int from_top = b->rows.n == 0 || (b->at_start && b->cursor == 0 && !b->frozen);
    if (from_top) {
        rc = page(b, NULL, +1, b->height, &l);
    } else {
        rc = window_from(b, &b->rows.items[0], &l);
    }
    if (rc < 0) return -1;
    set_rows(b, &l);
    b->cursor = old_cursor < b->rows.n ? old_cursor : b->rows.n - 1;
    if (b->cursor < 0) b->cursor = 0;
    /* following, the selection is the newest row; held still, it stays on the row it was on */
    for (int i = 0; !from_top && i < b->rows.n; i++)
        if (b->rows.items[i].id == sel_id) { b->cursor = i; break; }
    /* fetched from the top, the window is at the start by definition: asking again could see a step committed in
     * between and stop following for good */
    if (from_top) b->at_start = 1;
    else update_at_start(b);
    recount(b);
    if (b->q) b->data_version = query_data_version(b->q);
    return b->err[0] ? -1 : 0;
}

int browser_poll(Browser *b) {
    if (!b->q) return 0;
    int64_t v = query_data_version(b->q);
    if (v == b->data_version) return 0;
    browser_reload(b);
    return 1;
}

void browser_set_height(Browser *b, int height) {
    if (height < 1) height = 1;
    if (height > BROWSER_MAX_ROWS) height = BROWSER_MAX_ROWS;
    if (height == b->height) return;
    b->height = height;
    /* keep the cursor row visible: start the window at it when it would fall off */
    if (b->cursor >= height && b->rows.n > 0) {
        int drop = b->cursor - height + 1;
        for (int i = 0; i < drop; i++) query_rollout_free(&b->rows.items[i]);
        memmove(b->rows.items, b->rows.items + drop, (size_t)(b->rows.n - drop) * sizeof *b->rows.items);
        b->rows.n -= drop;
        b->cursor -= drop;
        b->at_start = 0;
    }
    browser_reload(b);
}

/* Concatenates a and b (taking their items) into out. */
static int concat(QueryRolloutList *a, QueryRolloutList *c, QueryRolloutList *out) {
    out->n = a->n + c->n;
    out->items = malloc((size_t)(out->n ? out->n : 1) * sizeof *out->items);
    if (!out->items) { out->n = 0; return -1; }
    if (a->n) memcpy(out->items, a->items, (size_t)a->n * sizeof *a->items);
    if (c->n) memcpy(out->items + a->n, c->items, (size_t)c->n * sizeof *c->items);
    free(a->items); free(c->items);
    a->items = c->items = NULL;
    a->n = c->n = 0;
    return 0;
}

/* Keeps items [start, start + count) of l, freeing the rest. */
static void keep_range(QueryRolloutList *l, int start, int count) {
    for (int i = 0; i < l->n; i++)
        if (i < start || i >= start + count) query_rollout_free(&l->items[i]);
    memmove(l->items, l->items + start, (size_t)count * sizeof *l->items);
    l->n = count;
}

/* Shifts the window by up to `want` rows forward (dir +1) or backward (-1). Returns how many it moved. */
static int shift(Browser *b, int dir, int want) {
    if (b->rows.n == 0) return 0;
    QueryRolloutList more;
    const QueryRollout *anchor = dir > 0 ? &b->rows.items[b->rows.n - 1] : &b->rows.items[0];
    int k = page(b, anchor, dir, want, &more);
    if (k <= 0) { query_rollouts_free(&more); return 0; }
    int n = b->rows.n;
    QueryRolloutList all;
    int rc = dir > 0 ? concat(&b->rows, &more, &all) : concat(&more, &b->rows, &all);
    if (rc != 0) { query_rollouts_free(&more); return 0; }
    if (dir > 0) keep_range(&all, all.n - n > k ? k : all.n - n, n);
    else keep_range(&all, 0, n);
    set_rows(b, &all);
    return k;
}

void browser_move(Browser *b, int action) {
    int n = b->rows.n;
    if (n == 0 && action != ACT_TOP && action != ACT_BOTTOM) return;
    switch (action) {
    case ACT_DOWN:
        if (b->cursor < n - 1) b->cursor++;
        else shift(b, +1, 1);
        break;
    case ACT_UP:
        if (b->cursor > 0) b->cursor--;
        else shift(b, -1, 1);
        break;
    case ACT_PAGE_DOWN:
        if (n < b->height || shift(b, +1, b->height) == 0) b->cursor = b->rows.n - 1;
        break;
    case ACT_PAGE_UP:
        if (shift(b, -1, b->height) == 0) b->cursor = 0;
        break;
    case ACT_TOP:
        fetch_top(b);
        return;   /* at the start by definition (see browser_reload) */
    case ACT_BOTTOM: {
        QueryRolloutList l;
        if (page(b, NULL, -1, b->height, &l) >= 0) {
            set_rows(b, &l);
            b->cursor = b->rows.n > 0 ? b->rows.n - 1 : 0;
        }
        break;
    }
    default: return;
    }
    update_at_start(b);
}

/* ---- filters -------------------------------------------------------------------------------------------------- */

static int parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 2000000000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_num(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* "name<op>value" -> op is one of "=", ">=", "<=", ">", "<", ":"; returns the op or NULL. */
static const char *split_op(char *tok, const char *name, char **value) {
    size_t n = strlen(name);
    if (strncmp(tok, name, n) != 0) return NULL;
    static const char *const ops[] = {">=", "<=", "=", ">", "<", ":"};
    for (int i = 0; i < 6; i++) {
        size_t ol = strlen(ops[i]);
        if (!strncmp(tok + n, ops[i], ol)) { *value = tok + n + ol; return ops[i]; }
    }
    return NULL;
}

int browser_parse_filter(const char *text, QueryFilter *out, char *err, size_t errlen) {
    QueryFilter f = *out;
    /* reset the filter part, keep run, search and order */
    f.step_min = f.step_max = -1;
    f.reward_min = -INFINITY; f.reward_max = INFINITY;
    f.correct = -1; f.flags_mask = f.flags_value = 0; f.finish = 0; f.max_length = 0; f.prompt_index = -1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text ? text : "");
    for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
    const char *usage = "try: step=10-50 step>=10 reward>=0.5 correct wrong aha selfcorrect noaha truncated "
                        "len<=N prompt=N";
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        char *v;
        const char *op;
        if (!strcmp(tok, "correct") || !strcmp(tok, "right")) f.correct = 1;
        else if (!strcmp(tok, "wrong") || !strcmp(tok, "incorrect")) f.correct = 0;
        else if (!strcmp(tok, "aha") || !strcmp(tok, "reflection") || !strcmp(tok, "reflect")) {
            f.flags_mask |= ROLLOUT_FLAG_REFLECTION; f.flags_value |= ROLLOUT_FLAG_REFLECTION;
        } else if (!strcmp(tok, "selfcorrect") || !strcmp(tok, "self-correct") || !strcmp(tok, "selfcorrection")) {
            f.flags_mask |= ROLLOUT_FLAG_SELF_CORRECTION; f.flags_value |= ROLLOUT_FLAG_SELF_CORRECTION;
        } else if (!strcmp(tok, "noaha")) {
            f.flags_mask |= ROLLOUT_FLAG_REFLECTION; f.flags_value &= ~(unsigned)ROLLOUT_FLAG_REFLECTION;
        } else if (!strcmp(tok, "truncated")) f.finish = FINISH_LENGTH;
        else if (!strcmp(tok, "finished") || !strcmp(tok, "eos")) f.finish = FINISH_EOS;
        else if ((op = split_op(tok, "steps", &v)) || (op = split_op(tok, "step", &v))) {
            int a, c;
            char *dash = strchr(v, '-');
            if (dash && (op[0] == '=' || op[0] == ':')) {
                *dash = 0;
                if (parse_int(v, &a) || parse_int(dash + 1, &c) || a > c) {
                    snprintf(err, errlen, "filter: bad step range in '%s' (e.g. step=10-50)", tok);
                    return -1;
                }
                f.step_min = a; f.step_max = c;
            } else if (parse_int(v, &a) || a < 0) {
                snprintf(err, errlen, "filter: '%s' needs a step number (steps count from 1)", tok);
                return -1;
            } else if (!strcmp(op, ">=")) f.step_min = a;
            else if (!strcmp(op, ">")) f.step_min = a + 1;
            else if (!strcmp(op, "<=")) f.step_max = a;
            else if (!strcmp(op, "<")) f.step_max = a > 0 ? a - 1 : 0; /* step_max -1 would mean no bound */
            else { f.step_min = f.step_max = a; }
        } else if ((op = split_op(tok, "reward", &v))) {
            double x;
            if (parse_num(v, &x)) {
                snprintf(err, errlen, "filter: '%s' needs a number", tok);
                return -1;
            }
            if (op[0] == '>') f.reward_min = x;
            else if (op[0] == '<') f.reward_max = x;
            else { f.reward_min = f.reward_max = x; }
        } else if ((op = split_op(tok, "len", &v)) || (op = split_op(tok, "length", &v))) {
            int a;
            if (op[0] != '<' || parse_int(v, &a) || a < 1 || (!strcmp(op, "<") && a < 2)) {
                snprintf(err, errlen, "filter: write the length filter as len<=N or len<N+1 (N >= 1), not '%s'", tok);
                return -1;
            }
            f.max_length = !strcmp(op, "<") ? a - 1 : a;
        } else if ((op = split_op(tok, "prompt", &v))) {
            int a;
            if ((op[0] != '=' && op[0] != ':') || parse_int(v, &a)) {
                snprintf(err, errlen, "filter: write prompt=N, not '%s'", tok);
                return -1;
            }
            f.prompt_index = a;
        } else {
            snprintf(err, errlen, "filter: unknown '%s' (%s)", tok, usage);
            return -1;
        }
    }
    *out = f;
    return 0;
}

void browser_describe(const Browser *b, char *buf, size_t n) {
    const QueryFilter *f = &b->f;
    size_t k = 0;
    buf[0] = 0;
#define ADD(...) do { int w_ = snprintf(buf + k, n > k ? n - k : 0, __VA_ARGS__); if (w_ > 0) k += (size_t)w_; \
                      if (k >= n) k = n - 1; } while (0)
#define SEP() do { if (k) ADD(" | "); } while (0)
    if (f->step_min >= 0 && f->step_max >= 0) { SEP(); if (f->step_min == f->step_max) ADD("step %d", f->step_min);
                                                else ADD("step %d-%d", f->step_min, f->step_max); }
    else if (f->step_min >= 0) { SEP(); ADD("step >= %d", f->step_min); }
    else if (f->step_max >= 0) { SEP(); ADD("step <= %d", f->step_max); }
    if (isfinite(f->reward_min) && f->reward_min == f->reward_max) { SEP(); ADD("reward = %g", f->reward_min); }
    else {
        if (isfinite(f->reward_min)) { SEP(); ADD("reward >= %g", f->reward_min); }
        if (isfinite(f->reward_max)) { SEP(); ADD("reward <= %g", f->reward_max); }
    }
    if (f->correct == 1) { SEP(); ADD("correct"); }
    if (f->correct == 0) { SEP(); ADD("wrong"); }
    if (f->flags_mask & ROLLOUT_FLAG_REFLECTION) { SEP(); ADD(f->flags_value & ROLLOUT_FLAG_REFLECTION ? "aha" : "no aha"); }
    if (f->flags_mask & ROLLOUT_FLAG_SELF_CORRECTION) { SEP(); ADD("self-correction"); }
    if (f->finish == FINISH_LENGTH) { SEP(); ADD("truncated"); }
    if (f->finish == FINISH_EOS) { SEP(); ADD("finished"); }
    if (f->max_length > 0) { SEP(); ADD("len <= %d", f->max_length); }
    if (f->prompt_index >= 0) { SEP(); ADD("prompt %d", f->prompt_index); }
    if (f->search[0]) { SEP(); ADD("search \"%s\"", f->search); }
    if (!k) ADD("all rollouts");
    static const char *const sorts[] = {"step", "reward", "length", "advantage"};
    ADD("  (by %s, %s)", sorts[f->sort >= 0 && f->sort <= 3 ? f->sort : 0],
        f->sort == QUERY_SORT_STEP ? (f->descending ? "newest first" : "oldest first")
                                   : (f->descending ? "highest first" : "lowest first"));
#undef ADD
#undef SEP
}

/* Applies a changed filter: refetch from the top; on error, restore the old one. */
static int refilter(Browser *b, const QueryFilter *old) {
    b->err[0] = 0;
    b->at_start = 1;
    b->cursor = 0;
    if (browser_reload(b) != 0) {
        char keep[512];
        snprintf(keep, sizeof keep, "%s", b->err);
        b->f = *old;
        browser_reload(b);
        snprintf(b->err, sizeof b->err, "%s", keep);
        return -1;
    }
    return 0;
}

int browser_set_filter_text(Browser *b, const char *text) {
    QueryFilter old = b->f;
    char err[256];
    if (browser_parse_filter(text, &b->f, err, sizeof err) != 0) { set_err(b, err); return -1; }
    if (refilter(b, &old) != 0) return -1;
    snprintf(b->filter_text, sizeof b->filter_text, "%s", text);
    return 0;
}

int browser_set_search(Browser *b, const char *text) {
    QueryFilter old = b->f;
    snprintf(b->f.search, sizeof b->f.search, "%s", text ? text : "");
    b->f.search_mode = QUERY_SEARCH_WORDS;
    return refilter(b, &old);
}

int browser_cycle_correct(Browser *b) {
    QueryFilter old = b->f;
    b->f.correct = b->f.correct == -1 ? 1 : b->f.correct == 1 ? 0 : -1;
    return refilter(b, &old);
}

int browser_cycle_aha(Browser *b) {
    QueryFilter old = b->f;
    const unsigned R = ROLLOUT_FLAG_REFLECTION, S = ROLLOUT_FLAG_SELF_CORRECTION;
    if (b->f.flags_mask == 0) { b->f.flags_mask = b->f.flags_value = R; }
    else if (b->f.flags_mask == R && b->f.flags_value == R) { b->f.flags_mask = b->f.flags_value = S; }
    else { b->f.flags_mask = b->f.flags_value = 0; }
    return refilter(b, &old);
}

int browser_cycle_sort(Browser *b) {
    QueryFilter old = b->f;
    b->f.sort = (QuerySort)((b->f.sort + 1) % 4);
    b->f.descending = 1;
    return refilter(b, &old);
}

int browser_reverse(Browser *b) {
    QueryFilter old = b->f;
    b->f.descending = !b->f.descending;
    return refilter(b, &old);
}

int browser_clear(Browser *b) {
    QueryFilter old = b->f;
    char err[64];
    browser_parse_filter("", &b->f, err, sizeof err);
    b->f.search[0] = 0;
    b->filter_text[0] = 0;
    return refilter(b, &old);
}

int browser_set_frozen(Browser *b, int frozen) {
    b->frozen = frozen ? 1 : 0;
    if (frozen) return 0;
    b->err[0] = 0;
    if (fetch_top(b) != 0) return -1;
    recount(b);
    if (b->q) b->data_version = query_data_version(b->q);
    return b->err[0] ? -1 : 0;
}

int browser_jump_step(Browser *b, int step) {
    b->err[0] = 0;
    if (!find_run(b)) { snprintf(b->err, sizeof b->err, "no run to jump in"); return -1; }
    QueryFilter f = b->f;
    int outside = 0;   /* the step is outside the filter's step range */
    if (b->f.sort == QUERY_SORT_STEP) {   /* the nearest step in the list's direction */
        if (b->f.descending) { if (f.step_max < 0 || step < f.step_max) f.step_max = step; }
        else if (step > f.step_min) f.step_min = step;
    } else {
        outside = (f.step_min >= 0 && step < f.step_min) || (f.step_max >= 0 && step > f.step_max);
        f.step_min = f.step_max = step;
    }
    QueryRolloutList one = {0, NULL};
    char err[256];
    int n = outside ? 0 : query_rollouts(b->q, &f, 1, 0, &one, err, sizeof err);
    if (n < 0) { set_err(b, err); return -1; }
    if (n == 0) {
        snprintf(b->err, sizeof b->err, "jump: no rollout at step %d%s matches the list's filter", step,
                 b->f.sort == QUERY_SORT_STEP ? (b->f.descending ? " or before" : " or after") : "");
        return -1;
    }
    QueryRolloutList l;
    int rc = window_from(b, &one.items[0], &l);
    query_rollouts_free(&one);
    if (rc != 0) return -1;
    set_rows(b, &l);
    b->cursor = 0;
    update_at_start(b);
    if (b->q) b->data_version = query_data_version(b->q);
    return 0;
}

void browser_question(const char *prompt, const char *tmpl, char *out, size_t n) {
    if (!n) return;
    const char *p = prompt ? prompt : "", *end = p + strlen(p);
    const char *q = tmpl ? strstr(tmpl, "{question}") : NULL;
    if (q) {
        size_t pre = (size_t)(q - tmpl), post = strlen(q + 10);
        if ((size_t)(end - p) >= pre + post && !strncmp(p, tmpl, pre) && !strncmp(end - post, q + 10, post)) {
            p += pre;
            end -= post;
        }
    }
    size_t k = 0;
    for (; p < end && k + 1 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 32 || c == 127) c = ' ';
        if (c == ' ' && (k == 0 || out[k - 1] == ' ')) continue;
        out[k++] = (char)c;
    }
    while (k > 0 && out[k - 1] == ' ') k--;
    out[k] = 0;
}
