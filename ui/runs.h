/* runs.h - the table behind the Runs screen: every run of one or more run databases, each with what the screen
 * shows (id, name, parent, start, status, steps, last held-out pass@1, wall time), the config keys that differ from a
 * chosen run, marks for overlaying curves, and the curves themselves (metric series read from the database). Read
 * through query.h connections of its own, so it works on live databases too. No terminal here: ui/screen_runs.c
 * draws it, tests/test_runs.c drives it on databases it writes. */
#ifndef GRPO_UI_RUNS_H
#define GRPO_UI_RUNS_H
#include "storage/query.h"
#include <stddef.h>
#include <stdint.h>

enum { RUNS_MAX_DBS = 16, RUNS_MAX_MARKED = 6 };

/* The curves the Runs screen overlays, one series per metric name (RUNS_CURVE_NAMES). */
enum { RUNS_CURVE_REWARD = 0, RUNS_CURVE_ACCURACY, RUNS_CURVE_LENGTH, RUNS_CURVE_PASS1, RUNS_CURVE_CONSK,
       RUNS_CURVE_COUNT };
extern const char *const RUNS_CURVE_NAMES[RUNS_CURVE_COUNT];

typedef struct {
    int n;
    double *x, *y;           /* steps and values, by step */
} RunsCurve;

typedef struct {
    int db;                  /* index into RunsTable.paths */
    QueryRun run;            /* the summary (owns its strings) */
    double pass1, cons_k;    /* the last held-out evaluation; NAN when none */
    int eval_step, eval_k;
    int marked;              /* 1..RUNS_MAX_MARKED: its overlay slot (colour); 0 not marked */
    int curves_loaded;
    RunsCurve curve[RUNS_CURVE_COUNT];
} RunsEntry;

typedef struct {
    int n_dbs;
    char *paths[RUNS_MAX_DBS];
    Query *q[RUNS_MAX_DBS];
    int64_t version[RUNS_MAX_DBS];  /* data version at the last load */
    RunsEntry *items;        /* every run of every database: database order, then oldest first */
    int n;
    char err[600];           /* the last error ("" none) */
} RunsTable;

/* Opens every path read-only and loads its runs. Returns 0, or -1 with t->err (naming the file); t is then empty
 * but may be closed. Pair with runs_close. */
int runs_open(RunsTable *t, const char *const *paths, int n_paths);
void runs_close(RunsTable *t);
/* Reloads when some database changed since the last load (a live run); marks and loaded curves are kept for runs
 * still there (curves are read again). Returns 1 reloaded, 0 nothing new, -1 error (t->err). */
int runs_poll(RunsTable *t);
/* Loads the curves of run i (once; runs_poll refreshes them). Returns 0 or -1 (t->err). */
int runs_load_curves(RunsTable *t, int i);
/* Marks run i with the lowest free overlay slot, or unmarks it. Returns the slot (1..), 0 when unmarked, or -1 when
 * RUNS_MAX_MARKED runs are marked already. */
int runs_toggle_mark(RunsTable *t, int i);
/* How many runs are marked. */
int runs_marked(const RunsTable *t);

/* Seconds the run has taken: end - start when it ended, else now - start (now: seconds since the epoch). */
double runs_wall_time(const RunsEntry *e, double now);
/* The config keys whose value in other differs from base, as "section.key=value" (other's value; "section.key=-"
 * when other lacks it) separated by blanks, sorted as in other. Both are INI texts (config_to_ini); comments and
 * blank lines are ignored. Writes "" when they agree. Returns how many keys differ. */
int runs_config_diff(const char *base, const char *other, char *buf, size_t n);
/* The "section.key" -> value pairs of an INI text, in order (comments and blank lines skipped). Returns how many;
 * *out is malloc'ed (the caller frees it), NULL when there are none. */
typedef struct { char key[192]; char value[512]; } RunsConfigPair;
int runs_config_pairs(const char *text, RunsConfigPair **out);

#endif
