/* query.h - what the browser (and export) reads from a run database, through its own connection.
 *
 * A Query is one read connection (WAL: it sees the last committed step and never blocks the writer, in this or
 * another process). Use one Query per thread. Every result is copied out: strings and arrays belong to the result
 * struct and are released by its *_free function (which accepts NULL / zeroed structs). Functions return 0 (or a
 * count >= 0) on success, -1 with err naming the database file and the SQLite error otherwise; nothing prints.
 *
 * Rollout lists are pages: a QueryFilter says which rollouts, its sort field which order, and a page is either
 * limit/offset or keyset ("the `limit` rows after / before this row"). Keyset pages cost the same anywhere in a
 * million rows; offsets grow with the offset. */
#ifndef GRPO_QUERY_H
#define GRPO_QUERY_H
#include "core/record.h"
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Query Query;

/* Opens path for reading. The file must exist. An older schema is migrated first (a short write transaction);
 * a newer one is refused with a message. The connection is then query_only. Returns NULL with err. */
Query *query_open(const char *path, char *err, size_t errlen);
void query_close(Query *q);
const char *query_path(const Query *q);
/* Changes whenever another connection commits (PRAGMA data_version): poll it to know when to refresh. */
int64_t query_data_version(Query *q);

/* ---- rollouts --------------------------------------------------------------------------------------------- */

typedef enum {
    QUERY_SORT_STEP = 0,   /* the order written (rollout id): within a run by step, then prompt, then sample;
                              several runs in one file follow each other */
    QUERY_SORT_REWARD,
    QUERY_SORT_LENGTH,
    QUERY_SORT_ADVANTAGE
} QuerySort;

typedef enum {
    QUERY_SEARCH_WORDS = 0, /* plain words, case-insensitive: each word must occur (the last one as a prefix unless
                               the text ends in a space); quotes, *, ^, :, (), AND/OR/NOT are taken literally, and
                               a word without a letter or digit (%, ", *, =) must occur in the completion exactly
                               as typed - never a syntax error, and never a search that matches everything */
    QUERY_SEARCH_FTS        /* FTS5 query syntax as typed ("wait" NEAR/5 "check", think*, a OR b ...): a malformed
                               string makes the query return -1 with err "search: ..."; query_check_search also
                               refuses a phrase with no letter or digit ("%"), which could match nothing */
} QuerySearchMode;

/* Which rollouts. query_filter_init sets every field to "any"; then set what you need. */
typedef struct {
    int64_t run_id;          /* 0: any run */
    int step_min, step_max;  /* inclusive; -1: unbounded */
    double reward_min, reward_max; /* inclusive; -INFINITY / INFINITY: unbounded */
    int correct;             /* -1 any, 0 wrong only, 1 correct only */
    unsigned flags_mask;     /* rows with (flags & flags_mask) == flags_value; mask 0: any */
    unsigned flags_value;    /* e.g. mask=value=ROLLOUT_FLAG_REFLECTION: reflecting ones; value 0: ones without */
    int finish;              /* 0 any, else FINISH_EOS / FINISH_LENGTH */
    int max_length;          /* 0: any; else length <= max_length */
    int prompt_index;        /* -1 any */
    char task[32];           /* "": any */
    char search[256];        /* "": no text search; else matched against completions (FTS5) */
    QuerySearchMode search_mode;
    QuerySort sort;
    int descending;          /* 1: newest / highest first */
} QueryFilter;

void query_filter_init(QueryFilter *f);

/* One rollout as stored. */
typedef struct {
    int64_t id, run_id;
    int step, prompt_index, sample_index;
    char *task, *prompt, *completion, *answer;   /* owned by the list / query_rollout_free */
    float reward, r_accuracy, r_format, r_language, advantage;
    int length, finish, correct;
    unsigned flags;
} QueryRollout;

typedef struct { int n; QueryRollout *items; } QueryRolloutList;

/* A page of rollouts matching f, in f's order, skipping `offset`. *out is filled (caller frees with
 * query_rollouts_free). Returns the number of rows (0..limit), or -1 with err (e.g. a malformed FTS search). */
int query_rollouts(Query *q, const QueryFilter *f, int limit, int64_t offset, QueryRolloutList *out,
                   char *err, size_t errlen);
/* Keyset page: the `limit` rows that come right after (direction +1) or right before (direction -1) `anchor` in
 * f's order (anchor's sort field and id are what count; the anchor itself is excluded). Rows are returned in f's
 * order either way, so the result of direction -1 ends just before the anchor. anchor NULL: the first page
 * (direction +1) or the last page (direction -1). Returns the number of rows or -1. */
int query_rollouts_page(Query *q, const QueryFilter *f, const QueryRollout *anchor, int direction, int limit,
                        QueryRolloutList *out, char *err, size_t errlen);
/* How many rollouts match f. Returns the count or -1. */
int64_t query_count(Query *q, const QueryFilter *f, char *err, size_t errlen);
/* Checks a search string in mode without running a page: 0 ok, -1 with err saying what is wrong. */
int query_check_search(Query *q, const char *search, QuerySearchMode mode, char *err, size_t errlen);
/* All samples of one prompt at one step, by sample index (run_id 0: the newest run). Returns the number of rows
 * or -1. */
int query_group(Query *q, int64_t run_id, int step, int prompt_index, QueryRolloutList *out,
                char *err, size_t errlen);
/* One rollout by id into *out (free with query_rollout_free). Returns 1 found, 0 not found, -1 error. */
int query_rollout(Query *q, int64_t id, QueryRollout *out, char *err, size_t errlen);
void query_rollout_free(QueryRollout *r);
void query_rollouts_free(QueryRolloutList *l);
/* One rollout's per-token arrays (record.h: token_ids ...), n entries each; a measure not stored is NULL. */
typedef struct { int n; int *ids; float *logprob, *entropy, *ratio; } QueryTokens;
/* The per-token row of rollout id into *out (free with query_tokens_free). Returns 1 found, 0 none (a rollout
 * written before the database kept tokens, or by a writer that had none), -1 with err (a blob that is not what
 * storage/token_blob.h writes is named by its column and rollout id). */
int query_rollout_tokens(Query *q, int64_t id, QueryTokens *out, char *err, size_t errlen);
void query_tokens_free(QueryTokens *t);

/* ---- metrics ----------------------------------------------------------------------------------------------- */

typedef struct { int n; int *steps; double *values; } QuerySeries;
typedef struct { int n; char **items; } QueryStrings;

/* The series of metric `name` of a run (0: the newest) for steps >= step_min (-1: all), by step. For live charts, ask again with
 * step_min = last step seen + 1 and append. Returns the number of points or -1. */
int query_series(Query *q, int64_t run_id, const char *name, int step_min, QuerySeries *out,
                 char *err, size_t errlen);
void query_series_free(QuerySeries *s);
/* The metric names a run (0: the newest) has logged, sorted. Returns how many or -1. */
int query_metric_names(Query *q, int64_t run_id, QueryStrings *out, char *err, size_t errlen);
/* The distinct task names of a run's rollouts (run_id 0: all), sorted. Returns how many or -1. */
int query_tasks(Query *q, int64_t run_id, QueryStrings *out, char *err, size_t errlen);
void query_strings_free(QueryStrings *s);

/* ---- events, checkpoints, evals ----------------------------------------------------------------------------- */

typedef struct { int64_t id; Event ev; } QueryEvent;
typedef struct { int n; QueryEvent *items; } QueryEventList;
/* A run's (0: the newest run's) events with id > after_id (0: all), oldest first. Returns how many or -1. */
int query_events(Query *q, int64_t run_id, int64_t after_id, QueryEventList *out, char *err, size_t errlen);
void query_events_free(QueryEventList *l);

typedef struct {
    int step; char task[32]; double pass1, cons_k; int k, problems; double wall_time;
} QueryEval;
typedef struct { int n; QueryEval *items; } QueryEvalList;
/* A run's (0: the newest run's) evaluations by step. Returns how many or -1. */
int query_evals(Query *q, int64_t run_id, QueryEvalList *out, char *err, size_t errlen);
void query_evals_free(QueryEvalList *l);

typedef struct { int step; char path[PATH_MAX]; char sha256[65]; } QueryCheckpoint;
typedef struct { int n; QueryCheckpoint *items; } QueryCheckpointList;
/* A run's (0: the newest run's) checkpoints by step. Returns how many or -1. */
int query_checkpoints(Query *q, int64_t run_id, QueryCheckpointList *out, char *err, size_t errlen);
void query_checkpoints_free(QueryCheckpointList *l);

/* ---- runs ------------------------------------------------------------------------------------------------------ */

typedef struct {
    int64_t id;
    char name[64];
    char status[16];         /* running, paused, done, stopped, failed */
    double start_time, end_time;   /* end_time 0 while running */
    int seed;
    int steps;               /* last step logged, -1 when none */
    int64_t n_rollouts;
    double best_reward;      /* highest rollout reward; NAN when no rollouts */
    double last_step_mean_reward;  /* mean reward of the last step; NAN when none */
    double last_step_accuracy;     /* fraction correct in the last step; NAN when none */
    char *config_text, *model_desc, *parent_checkpoint;  /* owned; free with query_run_free */
    char *parent_db;         /* a forked run's parent database as named at the fork ("" : this database); owned */
    int64_t parent_run;      /* a forked run's parent run id; 0 when the run was not forked */
    int parent_step;         /* the step of the parent's checkpoint it started from */
    int n_last_metrics;      /* every metric of the last logged step */
    char **last_metric_names;
    double *last_metric_values;
    int has_checkpoint;      /* the newest checkpoint, when has_checkpoint */
    int last_checkpoint_step;
    char last_checkpoint_path[PATH_MAX];
} QueryRun;

typedef struct { int n; QueryRun *items; } QueryRunList;

/* Summary of one run (run_id 0: the newest). Returns 1 found, 0 no such run, -1 error. Cheap: counters are kept
 * up to date by the writer, so this costs a few index lookups even on a million rollouts. */
int query_run(Query *q, int64_t run_id, QueryRun *out, char *err, size_t errlen);
void query_run_free(QueryRun *r);
/* Every run in the database, oldest first, as summaries (without last_metric_* to keep it short). Returns how many
 * or -1. */
int query_runs(Query *q, QueryRunList *out, char *err, size_t errlen);
void query_runs_free(QueryRunList *l);

#endif
