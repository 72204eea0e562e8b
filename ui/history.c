/* history.c - metric columns over steps (see history.h). */
#include "ui/history.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void history_free(History *h) {
    if (!h) return;
    free(h->step);
    for (int i = 0; i < h->n_cols; i++) { free(h->name[i]); free(h->v[i]); }
    memset(h, 0, sizeof *h);
}

int history_init(History *h, const char *const *names, int n) {
    history_free(h);
    for (int i = 0; i < n; i++)
        if (history_add_column(h, names[i]) < 0) { history_free(h); return -1; }
    return 0;
}

int history_find(const History *h, const char *name) {
    for (int i = 0; i < h->n_cols; i++)
        if (!strcmp(h->name[i], name)) return i;
    return -1;
}

int history_add_column(History *h, const char *name) {
    int i = history_find(h, name);
    if (i >= 0) return i;
    if (h->n_cols >= HIST_MAX_COLS) return -1;
    char *nm = strdup(name);
    double *v = malloc((size_t)(h->cap ? h->cap : 1) * sizeof *v);
    if (!nm || !v) { free(nm); free(v); return -1; }
    for (int r = 0; r < h->n; r++) v[r] = NAN;
    h->name[h->n_cols] = nm;
    h->v[h->n_cols] = v;
    return h->n_cols++;
}

/* Room for `need` rows in every column. */
static int reserve(History *h, int need) {
    if (need <= h->cap) return 0;
    int cap = h->cap ? h->cap : 256;
    while (cap < need) cap *= 2;
    double *st = realloc(h->step, (size_t)cap * sizeof *st);
    if (!st) return -1;
    h->step = st;
    for (int i = 0; i < h->n_cols; i++) {
        double *v = realloc(h->v[i], (size_t)cap * sizeof *v);
        if (!v) return -1;   /* the columns that grew keep their room; cap stays */
        h->v[i] = v;
    }
    h->cap = cap;
    return 0;
}

int history_push(History *h, double step, const double *v, int n_v) {
    if (reserve(h, h->n + 1) != 0) return -1;
    h->step[h->n] = step;
    for (int i = 0; i < h->n_cols; i++) h->v[i][h->n] = i < n_v ? v[i] : NAN;
    h->n++;
    return 0;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int history_load(History *h, Query *q, int64_t run_id, char *err, size_t errlen) {
    h->n = 0;
    QueryStrings names = {0, NULL};
    if (query_metric_names(q, run_id, &names, err, errlen) < 0) return -1;
    int n_names = names.n;
    QuerySeries *ser = calloc((size_t)(n_names ? n_names : 1), sizeof *ser);
    int *col = calloc((size_t)(n_names ? n_names : 1), sizeof *col);
    int rc = ser && col ? 0 : -1, total = 0;
    if (rc) snprintf(err, errlen, "out of memory loading the metrics of %s", query_path(q));
    for (int i = 0; rc == 0 && i < n_names; i++) {
        col[i] = history_add_column(h, names.items[i]);
        if (col[i] < 0) continue;   /* more names than columns: the first ones are kept */
        if (query_series(q, run_id, names.items[i], -1, &ser[i], err, errlen) < 0) rc = -1;
        else total += ser[i].n;
    }
    /* the steps: every step any metric logged, once, ascending */
    int *steps = rc == 0 ? malloc((size_t)(total ? total : 1) * sizeof *steps) : NULL;
    int n_steps = 0;
    if (rc == 0 && !steps) { rc = -1; snprintf(err, errlen, "out of memory loading the metrics of %s", query_path(q)); }
    if (rc == 0) {
        for (int i = 0; i < n_names; i++)
            for (int k = 0; k < ser[i].n; k++) steps[n_steps++] = ser[i].steps[k];
        qsort(steps, (size_t)n_steps, sizeof *steps, cmp_int);
        int u = 0;
        for (int k = 0; k < n_steps; k++)
            if (u == 0 || steps[k] != steps[u - 1]) steps[u++] = steps[k];
        n_steps = u;
        if (reserve(h, n_steps) != 0) { rc = -1; snprintf(err, errlen, "out of memory: %d steps", n_steps); }
    }
    if (rc == 0) {
        for (int k = 0; k < n_steps; k++) {
            h->step[k] = steps[k];
            for (int c = 0; c < h->n_cols; c++) h->v[c][k] = NAN;
        }
        h->n = n_steps;
        for (int i = 0; i < n_names; i++) {   /* both ascending: one merge per series */
            if (col[i] < 0) continue;
            int r = 0;
            for (int k = 0; k < ser[i].n; k++) {
                while (r < n_steps && steps[r] < ser[i].steps[k]) r++;
                if (r < n_steps) h->v[col[i]][r] = ser[i].values[k];
            }
        }
    }
    for (int i = 0; ser && i < n_names; i++) query_series_free(&ser[i]);
    free(ser);
    free(col);
    free(steps);
    query_strings_free(&names);
    return rc;
}
