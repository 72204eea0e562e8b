/* history.h - a run's metrics over steps, one column per metric name, as the Train screen's charts read them.
 * The live studio appends what the trainer reports (studio.c); browsing a finished run loads every stored metric
 * through storage/query.h (history_load). Columns have names, so any metric a run stores can be charted; the first
 * columns are the ones the studio knows by name (MetricId in studio_internal.h), in that order. No terminal here;
 * tests/test_browser.c checks history_load on a database it writes. */
#ifndef GRPO_UI_HISTORY_H
#define GRPO_UI_HISTORY_H
#include "storage/query.h"
#include <stddef.h>
#include <stdint.h>

enum { HIST_MAX_COLS = 128 };

typedef struct {
    int n, cap;                  /* rows (steps) */
    double *step;                /* n steps, ascending */
    int n_cols;
    char *name[HIST_MAX_COLS];   /* owned */
    double *v[HIST_MAX_COLS];    /* n values each (NaN where a step did not log the metric) */
} History;

/* Empties h and gives it the columns names[0..n) (copied). Returns 0 or -1 (out of memory). Pair with
 * history_free (which also frees a zeroed History). */
int history_init(History *h, const char *const *names, int n);
void history_free(History *h);
/* The column named name, or -1. */
int history_find(const History *h, const char *name);
/* Adds a column (NaN for the rows already there) and returns its index; the existing index when the name is
 * there; -1 when HIST_MAX_COLS columns exist or memory is out. */
int history_add_column(History *h, const char *name);
/* Appends a row: v[0..n_v) for the first n_v columns, NaN for the others. Returns 0 or -1 (out of memory: the row
 * is dropped). */
int history_push(History *h, double step, const double *v, int n_v);
/* Replaces the rows of h with every metric run_id (0: the newest run) stored in q, by step; columns are added
 * by name as needed (a run with more than HIST_MAX_COLS metric names keeps the first ones). Returns 0, or -1 with
 * err (h is then empty of rows). */
int history_load(History *h, Query *q, int64_t run_id, char *err, size_t errlen);

#endif
