/* store.h - the run database: writing one SQLite file per run (WAL mode, versioned schema).
 *
 * Layout (schema version STORE_SCHEMA_VERSION, storage/store_version.h): runs, metrics (long format), rollouts,
 * rollouts_fts (FTS5 over completions, an external-content index kept in step by triggers), rollout_tokens (a
 * rollout's per-token arrays as blobs, storage/token_blob.h, written when the Rollout carries them and deleted with
 * it), events, checkpoints, evals. A database may hold several runs; every row carries its run id. storage/query.h reads it.
 *
 * Two ways to write:
 *  - synchronous: store_write_* on the thread that owns the Store (tests, tools, filldb);
 *  - asynchronous: StoreWriter, a pthread with a locked queue. store_writer_step/_event deep-copy their argument and
 *    return at once, so the trainer's callbacks never wait on the disk; the thread commits one transaction per step.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL. Each step is one transaction; once its COMMIT returned, the
 * frames are in the WAL file (the OS page cache), so a crash of the process (SIGKILL, abort, segfault) never loses
 * it - the next opener replays the WAL. Only a power loss or kernel crash can drop the last few transactions
 * (never corrupt the file); that is the documented trade for not fsyncing every training step.
 * A busy_timeout (STORE_BUSY_TIMEOUT_MS) lets readers in other processes never make the writer fail.
 *
 * Errors: every function that can fail returns -1 (or NULL) and writes a message naming the database file and the
 * SQLite error into err (errlen bytes, may be 0). Nothing here prints or exits. */
#ifndef GRPO_STORE_H
#define GRPO_STORE_H
#include "core/record.h"
#include "storage/store_version.h"
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_BUSY_TIMEOUT_MS 5000

typedef struct Store Store;

/* What a run row records when it starts. Every string may be NULL (stored as NULL / ""). */
typedef struct {
    const char *name;              /* run name */
    const char *config_text;       /* the full config as INI text (config_to_ini) */
    const char *model_desc;        /* e.g. "llama d=128 L=4 H=4 F=512 T=256, 0.9M params" */
    const char *parent_checkpoint; /* checkpoint the policy started from, or "random" */
    int seed;
    double start_time;             /* seconds since the epoch; 0 = now */
    /* A forked run (train --fork): the run it started from. parent_run 0: not forked (the three are stored NULL). */
    const char *parent_db;         /* the parent's database as the user named it; NULL: this database */
    int64_t parent_run;            /* the parent run's id */
    int parent_step;               /* the step of the parent's checkpoint this run started from */
} StoreRunInfo;

/* A checkpoint row. */
typedef struct {
    int64_t run_id;
    int step;
    char path[PATH_MAX];
    char sha256[65];               /* "" when not known */
    double wall_time;
} StoreCheckpoint;

/* An evaluation row. */
typedef struct {
    int step;
    char task[32];
    double pass1;                  /* pass@1 in [0,1] */
    double cons_k;                 /* cons@k (majority vote of k samples) in [0,1] */
    int k;
    int problems;                  /* held-out problems evaluated */
    double wall_time;              /* 0 = now */
} StoreEval;

/* Opens (creating it and its schema when missing) the database at path for writing: WAL, busy_timeout, foreign
 * keys, prepared statements. An older schema is migrated in place, in one transaction; a database written by a
 * newer version (user_version > STORE_SCHEMA_VERSION) is refused with a message saying so. No run is selected yet:
 * call store_begin_run or store_use_run before writing. Returns NULL with err. Pair with store_close.
 * One writer per database: the Store holds an exclusive lock on "<path>.lock" (core/filelock.h) until
 * store_close, taken before the file is touched; while another process (or Store) holds it, store_open fails at
 * once with err naming the lock file and the holder's pid. Readers (query.h, export.h, sqlite3) take no lock. */
Store *store_open(const char *path, char *err, size_t errlen);
/* store_open for a database that must already exist (train --resume): a missing path, or a file that is empty or
 * not a run database, is refused and left untouched - nothing is created, no schema is written. */
Store *store_open_existing(const char *path, char *err, size_t errlen);
/* Finishes pending work (a transaction left open is rolled back), runs PRAGMA optimize, closes, releases the
 * writer's lock. NULL is fine. */
void store_close(Store *s);
/* The path given to store_open (owned by s). */
const char *store_path(const Store *s);

/* Inserts a run row (status "running") and selects it for the writes that follow. Returns its id (> 0), or -1. */
int64_t store_begin_run(Store *s, const StoreRunInfo *info, char *err, size_t errlen);
/* Selects an existing run (0 = the newest run in the file) for the writes that follow and marks it "running"
 * again (used by train --resume). Returns its id, or -1 with err (no such run). */
int64_t store_use_run(Store *s, int64_t run_id, char *err, size_t errlen);
/* The selected run's id, 0 when none. */
int64_t store_run_id(const Store *s);
/* Sets the selected run's status ("running", "paused", "done", "stopped", "failed") and, when end_time > 0, its
 * end time. Returns 0 or -1. */
int store_set_status(Store *s, const char *status, double end_time, char *err, size_t errlen);

/* Writes one step - every rollout and every metric of rec - in one transaction (and the FTS index with it).
 * A step already present for this run is replaced (its rows deleted first), so re-writing is idempotent.
 * Returns 0, or -1 with err (the transaction is rolled back: a step is all there or not at all). */
int store_write_step(Store *s, const StepRecord *rec, char *err, size_t errlen);
/* Appends an event. An EVENT_CHECKPOINT event whose detail is a path also records a checkpoint row (step, path,
 * no checksum) in the same transaction, so resume finds it even when only events are forwarded. Returns 0 or -1. */
int store_write_event(Store *s, const Event *ev, char *err, size_t errlen);
/* Records (or updates, keyed by run and step) a checkpoint; sha256 may be NULL or "". Returns 0 or -1. */
int store_write_checkpoint(Store *s, int step, const char *path, const char *sha256, double wall_time,
                           char *err, size_t errlen);
/* Records an evaluation. Returns 0 or -1. */
int store_write_eval(Store *s, const StoreEval *e, char *err, size_t errlen);

/* Resume: deletes the selected run's metrics, rollouts (and their FTS entries), evals and checkpoints of steps
 * > step, in one transaction, and updates the run's cached counters. Events are kept (they are the history of what
 * happened, including the crash). Returns the number of rollouts deleted, or -1. */
int64_t store_rollback_after(Store *s, int step, char *err, size_t errlen);
/* The newest checkpoint (highest step) of the selected run into *out. Returns 1 found, 0 none, -1 error. */
int store_last_checkpoint(Store *s, StoreCheckpoint *out, char *err, size_t errlen);

/* ---- asynchronous writer ------------------------------------------------------------------------------------ */

typedef struct StoreWriter StoreWriter;

/* Called once, right after the first write fails (disk full, I/O error, ...), on the writer thread (or, when a copy
 * cannot be allocated, on the thread that queued it): error names the database file and the SQLite error. It must
 * return quickly and must not call back into the writer. */
typedef void (*StoreWriterErrorFn)(void *ud, const char *error);

/* Starts the writer thread on s (which must have a run selected). From now until store_writer_stop, only the writer
 * thread touches s. on_error (may be NULL) is told about the first failed write when it happens, so the caller can
 * stop training instead of learning about it at store_writer_stop. Returns NULL with err. */
StoreWriter *store_writer_start(Store *s, StoreWriterErrorFn on_error, void *ud, char *err, size_t errlen);
/* Queue a deep copy of rec / ev / the checkpoint / the eval / a status change; return at once without touching the
 * database. They are written in the order queued. Return 0, or -1 when out of memory or after the writer has
 * failed (the first error stays in store_writer_error). Callable from any thread. */
int store_writer_step(StoreWriter *w, const StepRecord *rec);
int store_writer_event(StoreWriter *w, const Event *ev);
int store_writer_checkpoint(StoreWriter *w, int step, const char *path, const char *sha256);
int store_writer_eval(StoreWriter *w, const StoreEval *e);
int store_writer_status(StoreWriter *w, const char *status, double end_time);
/* Blocks until everything queued so far is committed (or failed). Returns 0, or -1 when the writer has failed. */
int store_writer_flush(StoreWriter *w);
/* Items queued and not yet written (a lag gauge for the status bar). */
int store_writer_pending(StoreWriter *w);
/* Steps committed by the writer and the time the last one took, in milliseconds. */
void store_writer_stats(StoreWriter *w, int64_t *steps_written, double *last_step_ms);
/* Copies the first write error into buf ("" when none). Returns 1 when there was one, else 0. */
int store_writer_error(StoreWriter *w, char *buf, size_t n);
/* Drains the queue, stops and joins the thread, frees w; s belongs to the caller again. Returns 0, or -1 with err
 * holding the first write error. NULL is fine (returns 0). */
int store_writer_stop(StoreWriter *w, char *err, size_t errlen);

#endif
