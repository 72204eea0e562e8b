/* runs.c - the Runs screen's table (runs.h): runs of several databases, their last evaluation, config differences,
 * marks and curves. */
#include "ui/runs.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const RUNS_CURVE_NAMES[RUNS_CURVE_COUNT] = {
    [RUNS_CURVE_REWARD] = "reward", [RUNS_CURVE_ACCURACY] = "accuracy",
    [RUNS_CURVE_LENGTH] = "completion_length", [RUNS_CURVE_PASS1] = "eval_pass1", [RUNS_CURVE_CONSK] = "eval_consk",
};

static void free_curves(RunsEntry *e) {
    for (int c = 0; c < RUNS_CURVE_COUNT; c++) {
        free(e->curve[c].x);
        free(e->curve[c].y);
        e->curve[c] = (RunsCurve){0};
    }
    e->curves_loaded = 0;
}

static void free_items(RunsTable *t) {
    for (int i = 0; i < t->n; i++) {
        query_run_free(&t->items[i].run);
        free_curves(&t->items[i]);
    }
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

void runs_close(RunsTable *t) {
    if (!t) return;
    free_items(t);
    for (int d = 0; d < t->n_dbs; d++) {
        query_close(t->q[d]);
        free(t->paths[d]);
    }
    t->n_dbs = 0;
}

/* Reads every run of every database into a fresh list; marks and curves of runs found again are carried over. */
static int load(RunsTable *t) {
    RunsEntry *items = NULL;
    int n = 0;
    for (int d = 0; d < t->n_dbs; d++) {
        QueryRunList l;
        if (query_runs(t->q[d], &l, t->err, sizeof t->err) < 0) goto fail;
        RunsEntry *grown = realloc(items, (size_t)(n + l.n + 1) * sizeof *grown);
        if (!grown) { query_runs_free(&l); snprintf(t->err, sizeof t->err, "out of memory"); goto fail; }
        items = grown;
        for (int i = 0; i < l.n; i++) {
            RunsEntry *e = &items[n++];
            memset(e, 0, sizeof *e);
            e->db = d;
            e->run = l.items[i];                        /* ownership of the strings moves to the entry */
            e->pass1 = e->cons_k = NAN;
            QueryEvalList ev;
            if (query_evals(t->q[d], e->run.id, &ev, t->err, sizeof t->err) < 0) {
                for (int k = i + 1; k < l.n; k++) query_run_free(&l.items[k]);
                free(l.items);
                goto fail;
            }
            if (ev.n > 0) {
                const QueryEval *last = &ev.items[ev.n - 1];
                e->pass1 = last->pass1;
                e->cons_k = last->cons_k;
                e->eval_step = last->step;
                e->eval_k = last->k;
            }
            query_evals_free(&ev);
            for (int o = 0; o < t->n; o++)
                if (t->items[o].db == d && t->items[o].run.id == e->run.id) e->marked = t->items[o].marked;
        }
        free(l.items);
        t->version[d] = query_data_version(t->q[d]);
    }
    free_items(t);
    t->items = items;
    t->n = n;
    for (int i = 0; i < n; i++)
        if (items[i].marked && runs_load_curves(t, i) != 0) return -1;
    return 0;
fail:
    for (int i = 0; i < n; i++) query_run_free(&items[i].run);
    free(items);
    return -1;
}

int runs_open(RunsTable *t, const char *const *paths, int n_paths) {
    memset(t, 0, sizeof *t);
    if (n_paths > RUNS_MAX_DBS) {
        snprintf(t->err, sizeof t->err, "%d run databases given: at most %d at a time", n_paths, RUNS_MAX_DBS);
        return -1;
    }
    for (int d = 0; d < n_paths; d++) {
        char err[512];
        Query *q = query_open(paths[d], err, sizeof err);
        if (!q) {
            snprintf(t->err, sizeof t->err, "%s", err);
            runs_close(t);
            return -1;
        }
        t->q[d] = q;
        t->paths[d] = strdup(paths[d]);
        t->n_dbs = d + 1;
        if (!t->paths[d]) { snprintf(t->err, sizeof t->err, "out of memory"); runs_close(t); return -1; }
    }
    if (load(t) != 0) {
        char keep[sizeof t->err];
        snprintf(keep, sizeof keep, "%s", t->err);
        runs_close(t);
        snprintf(t->err, sizeof t->err, "%s", keep);
        return -1;
    }
    return 0;
}

int runs_poll(RunsTable *t) {
    int changed = 0;
    for (int d = 0; d < t->n_dbs; d++) changed |= query_data_version(t->q[d]) != t->version[d];
    if (!changed) return 0;
    return load(t) == 0 ? 1 : -1;
}

/* Allocates cv for n points. Returns 0 or -1 (out of memory). */
static int set_curve(RunsCurve *cv, int n) {
    cv->x = malloc((size_t)(n ? n : 1) * sizeof *cv->x);
    cv->y = malloc((size_t)(n ? n : 1) * sizeof *cv->y);
    cv->n = n;
    return cv->x && cv->y ? 0 : -1;
}

int runs_load_curves(RunsTable *t, int i) {
    RunsEntry *e = &t->items[i];
    if (e->curves_loaded) return 0;
    QueryEvalList ev;   /* held-out evaluations come from their own table (every evaluation the run recorded) */
    if (query_evals(t->q[e->db], e->run.id, &ev, t->err, sizeof t->err) < 0) return -1;
    int rc = 0;
    for (int c = 0; c < RUNS_CURVE_COUNT && rc == 0; c++) {
        RunsCurve *cv = &e->curve[c];
        if (c == RUNS_CURVE_PASS1 || c == RUNS_CURVE_CONSK) {
            rc = set_curve(cv, ev.n);
            for (int k = 0; rc == 0 && k < ev.n; k++) {
                cv->x[k] = ev.items[k].step;
                cv->y[k] = c == RUNS_CURVE_PASS1 ? ev.items[k].pass1 : ev.items[k].cons_k;
            }
            continue;
        }
        QuerySeries s;
        if (query_series(t->q[e->db], e->run.id, RUNS_CURVE_NAMES[c], -1, &s, t->err, sizeof t->err) < 0) {
            rc = -2;
            break;
        }
        rc = set_curve(cv, s.n);
        for (int k = 0; rc == 0 && k < s.n; k++) { cv->x[k] = s.steps[k]; cv->y[k] = s.values[k]; }
        query_series_free(&s);
    }
    query_evals_free(&ev);
    if (rc != 0) {
        if (rc == -1) snprintf(t->err, sizeof t->err, "out of memory");
        free_curves(e);
        return -1;
    }
    e->curves_loaded = 1;
    return 0;
}

int runs_marked(const RunsTable *t) {
    int m = 0;
    for (int i = 0; i < t->n; i++) m += t->items[i].marked > 0;
    return m;
}

int runs_toggle_mark(RunsTable *t, int i) {
    RunsEntry *e = &t->items[i];
    if (e->marked) { e->marked = 0; return 0; }
    for (int slot = 1; slot <= RUNS_MAX_MARKED; slot++) {
        int used = 0;
        for (int k = 0; k < t->n; k++) used |= t->items[k].marked == slot;
        if (!used) { e->marked = slot; return slot; }
    }
    return -1;
}

double runs_wall_time(const RunsEntry *e, double now) {
    double end = e->run.end_time > 0 ? e->run.end_time : now;
    return end > e->run.start_time ? end - e->run.start_time : 0;
}

/* ---- config differences --------------------------------------------------------------------------------------- */

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    size_t k = strspn(s, " \t");
    if (k) memmove(s, s + k, n - k + 1);
}

int runs_config_pairs(const char *text, RunsConfigPair **out) {
    *out = NULL;
    int n = 0, cap = 0;
    char section[64] = "";
    for (const char *p = text ? text : ""; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        p += len + (e ? 1 : 0);
        trim(line);
        if (!line[0] || line[0] == ';' || line[0] == '#') continue;
        if (line[0] == '[') {
            char *close = strchr(line, ']');
            if (close) *close = 0;
            snprintf(section, sizeof section, "%.63s", line + 1);
            trim(section);
            continue;
        }
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        char *v = eq + 1;
        trim(line);
        trim(v);
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            RunsConfigPair *g = realloc(*out, (size_t)cap * sizeof *g);
            if (!g) break;
            *out = g;
        }
        snprintf((*out)[n].key, sizeof (*out)[n].key, "%.63s%s%.120s", section, section[0] ? "." : "", line);
        snprintf((*out)[n].value, sizeof (*out)[n].value, "%s", v);
        n++;
    }
    return n;
}

static const RunsConfigPair *find_pair(const RunsConfigPair *p, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].key, key)) return &p[i];
    return NULL;
}

static void append(char *buf, size_t n, size_t *len, const char *key, const char *value) {
    if (*len >= n) return;
    int w = snprintf(buf + *len, n - *len, "%s%s=%s", *len ? " " : "", key, value);
    if (w > 0) *len += (size_t)w < n - *len ? (size_t)w : n - *len - 1;
}

int runs_config_diff(const char *base, const char *other, char *buf, size_t n) {
    RunsConfigPair *a, *b;
    int na = runs_config_pairs(base, &a), nb = runs_config_pairs(other, &b), diff = 0;
    size_t len = 0;
    if (n) buf[0] = 0;
    for (int i = 0; i < nb; i++) {
        const RunsConfigPair *pa = find_pair(a, na, b[i].key);
        if (pa && !strcmp(pa->value, b[i].value)) continue;
        append(buf, n, &len, b[i].key, b[i].value);
        diff++;
    }
    for (int i = 0; i < na; i++)
        if (!find_pair(b, nb, a[i].key)) { append(buf, n, &len, a[i].key, "-"); diff++; }
    free(a);
    free(b);
    return diff;
}
