/* store.c - the synchronous writer of a run database (store.h): one connection, statements prepared once at open
 * and reused for every step, one IMMEDIATE transaction per step. The asynchronous writer (store_writer.c) calls
 * these same functions from its own thread. */
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/token_blob.h"
#include "core/filelock.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
    ST_DEL_STEP_ROLLOUTS, ST_DEL_STEP_METRICS, ST_INS_ROLLOUT, ST_INS_TEXT, ST_INS_TOKENS, ST_INS_METRIC, ST_ADD_COUNTERS, ST_RECOUNT,
    ST_INS_EVENT, ST_UPSERT_CHECKPOINT, ST_INS_EVAL, ST_LAST_CHECKPOINT,
    ST_COUNT
};

static const char *const SQL[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_DEL_STEP_ROLLOUTS] = "DELETE FROM rollouts WHERE run_id = ?1 AND step = ?2",
    [ST_DEL_STEP_METRICS] = "DELETE FROM metrics WHERE run_id = ?1 AND step = ?2",
    [ST_INS_ROLLOUT] =
        "INSERT INTO rollouts (run_id, step, prompt_index, sample_index, task, reward,"
        " r_accuracy, r_format, r_language, advantage, length, finish, correct, flags)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    /* Right after ST_INS_ROLLOUT: the text row shares the rollout's id; its trigger feeds the FTS index. */
    [ST_INS_TEXT] = "INSERT INTO rollout_texts (id, prompt, completion, answer) VALUES (last_insert_rowid(), ?1, ?2, ?3)",
    [ST_INS_TOKENS] = "INSERT INTO rollout_tokens (id, ids, logprob, entropy, ratio) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_INS_METRIC] = "INSERT OR REPLACE INTO metrics (run_id, step, name, value, wall_time) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_ADD_COUNTERS] =
        "UPDATE runs SET last_step = max(last_step, ?2), n_rollouts = n_rollouts + ?3,"
        " best_reward = CASE WHEN ?4 IS NULL THEN best_reward WHEN best_reward IS NULL OR ?4 > best_reward THEN ?4"
        " ELSE best_reward END WHERE id = ?1",
    [ST_RECOUNT] =
        "UPDATE runs SET"
        " n_rollouts = (SELECT count(*) FROM rollouts WHERE run_id = ?1),"
        " best_reward = (SELECT max(reward) FROM rollouts WHERE run_id = ?1),"
        " last_step = coalesce(max((SELECT max(step) FROM rollouts WHERE run_id = ?1),"
        "                          (SELECT max(step) FROM metrics WHERE run_id = ?1)),"
        "                      (SELECT max(step) FROM rollouts WHERE run_id = ?1),"
        "                      (SELECT max(step) FROM metrics WHERE run_id = ?1), -1)"
        " WHERE id = ?1",
    [ST_INS_EVENT] =
        "INSERT INTO events (run_id, kind, kind_name, step, wall_time, name, old_value, new_value, detail)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_UPSERT_CHECKPOINT] =
        "INSERT INTO checkpoints (run_id, step, path, sha256, wall_time) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (run_id, step) DO UPDATE SET path = excluded.path, wall_time = excluded.wall_time,"
        " sha256 = CASE WHEN excluded.sha256 != '' THEN excluded.sha256 ELSE sha256 END",
    [ST_INS_EVAL] =
        "INSERT INTO evals (run_id, step, task, pass1, cons_k, k, problems, wall_time)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_LAST_CHECKPOINT] =
        "SELECT run_id, step, path, sha256, wall_time FROM checkpoints WHERE run_id = ?1 ORDER BY step DESC LIMIT 1",
};

struct Store {
    sqlite3 *db;
    FileLock *lock;             /* "<path>.lock": one writer per database */
    char *path;
    int64_t run_id;
    sqlite3_stmt *st[ST_COUNT];
    unsigned char *blob;        /* the per-token blobs of the rollout being written (grown as needed) */
    size_t blob_cap;
};

static double now_seconds(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

static void set_err(Store *s, char *err, size_t errlen, const char *what) {
    store_db_error(err, errlen, s->path, s->db, what);
}

/* Takes the writer's lock, then opens (create: creating when missing) and prepares. */
static Store *open_locked(const char *path, int create, char *err, size_t errlen) {
    Store *s = calloc(1, sizeof *s);
    size_t n = strlen(path) + sizeof ".lock";
    char *lock_path = malloc(n);
    if (!s || !lock_path || !(s->path = strdup(path))) {
        free(s);
        free(lock_path);
        store_db_error(err, errlen, path, NULL, "cannot open the run database (out of memory)");
        return NULL;
    }
    snprintf(lock_path, n, "%s.lock", path);
    s->lock = filelock_take(lock_path, "the run database", err, errlen);
    free(lock_path);
    if (!s->lock) { free(s->path); free(s); return NULL; }
    if (store_db_open(path, create, &s->db, err, errlen) != 0) { store_close(s); return NULL; }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
            set_err(s, err, errlen, "cannot prepare the run database's statements");
            store_close(s);
            return NULL;
        }
    }
    return s;
}

Store *store_open(const char *path, char *err, size_t errlen) { return open_locked(path, 1, err, errlen); }

Store *store_open_existing(const char *path, char *err, size_t errlen) {
    /* Checked before the lock file is made next to it: a path that names no database is left as it was. */
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: no such run database (%s)", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a run database (not a regular file)", path);
        return NULL;
    }
    return open_locked(path, 0, err, errlen);
}

void store_close(Store *s) {
    if (!s) return;
    if (s->db && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(s->st[i]);
    if (s->db) {
        sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
        sqlite3_close_v2(s->db);
    }
    filelock_release(s->lock);  /* after the close: the next writer finds the database at rest */
    free(s->blob);
    free(s->path);
    free(s);
}

const char *store_path(const Store *s) { return s->path; }
int64_t store_run_id(const Store *s) { return s->run_id; }

/* Runs a prepared statement that returns no rows and resets it (bindings are cleared too). */
static int exec_st(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int begin(Store *s, char *err, size_t errlen) {
    if (exec_st(s->st[ST_BEGIN]) != SQLITE_OK) {
        set_err(s, err, errlen, "cannot begin a write transaction");
        return -1;
    }
    return 0;
}

static int commit(Store *s, char *err, size_t errlen) {
    if (exec_st(s->st[ST_COMMIT]) != SQLITE_OK) {
        set_err(s, err, errlen, "cannot commit");
        if (!sqlite3_get_autocommit(s->db)) exec_st(s->st[ST_ROLLBACK]);
        return -1;
    }
    return 0;
}

/* Records the error of the statement that failed (message first: the rollback would replace it), rolls back. */
static int abort_tx(Store *s, char *err, size_t errlen, const char *what) {
    set_err(s, err, errlen, what);
    if (!sqlite3_get_autocommit(s->db)) exec_st(s->st[ST_ROLLBACK]);
    return -1;
}

static int need_run(Store *s, char *err, size_t errlen) {
    if (s->run_id > 0) return 0;
    store_db_error(err, errlen, s->path, NULL, "no run selected (store_begin_run or store_use_run first)");
    return -1;
}

static void bind_text(sqlite3_stmt *st, int i, const char *t) { sqlite3_bind_text(st, i, t ? t : "", -1, SQLITE_STATIC); }
static void bind_text_or_null(sqlite3_stmt *st, int i, const char *t) {
    if (t) sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC); else sqlite3_bind_null(st, i);
}

int64_t store_begin_run(Store *s, const StoreRunInfo *info, char *err, size_t errlen) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO runs (name, start_time, status, config, model, parent_checkpoint, seed,"
                           " parent_db, parent_run, parent_step) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &st, NULL) != SQLITE_OK) {
        set_err(s, err, errlen, "cannot record the run");
        return -1;
    }
    bind_text(st, 1, info->name);
    sqlite3_bind_double(st, 2, info->start_time > 0 ? info->start_time : now_seconds());
    bind_text_or_null(st, 3, info->config_text);
    bind_text_or_null(st, 4, info->model_desc);
    bind_text_or_null(st, 5, info->parent_checkpoint);
    sqlite3_bind_int(st, 6, info->seed);
    if (info->parent_run > 0) {
        bind_text_or_null(st, 7, info->parent_db);
        sqlite3_bind_int64(st, 8, info->parent_run);
        sqlite3_bind_int(st, 9, info->parent_step);
    }   /* else 7..9 stay NULL */
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { set_err(s, err, errlen, "cannot record the run"); return -1; }
    s->run_id = sqlite3_last_insert_rowid(s->db);
    return s->run_id;
}

int64_t store_use_run(Store *s, int64_t run_id, char *err, size_t errlen) {
    sqlite3_stmt *st;
    const char *sql = run_id > 0 ? "SELECT id FROM runs WHERE id = ?1" : "SELECT max(id) FROM runs";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        set_err(s, err, errlen, "cannot look up the run");
        return -1;
    }
    if (run_id > 0) sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { set_err(s, err, errlen, "cannot look up the run"); return -1; }
    if (id <= 0) {
        char what[96];
        if (run_id > 0) snprintf(what, sizeof what, "no run with id %lld", (long long)run_id);
        else snprintf(what, sizeof what, "the database holds no run");
        store_db_error(err, errlen, s->path, NULL, what);
        return -1;
    }
    s->run_id = id;
    if (store_set_status(s, "running", 0, err, errlen) != 0) return -1;
    return id;
}

int store_set_status(Store *s, const char *status, double end_time, char *err, size_t errlen) {
    if (need_run(s, err, errlen)) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET status = ?2, end_time = CASE WHEN ?3 > 0 THEN ?3 ELSE NULL END"
                           " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
        set_err(s, err, errlen, "cannot set the run status");
        return -1;
    }
    sqlite3_bind_int64(st, 1, s->run_id);
    bind_text(st, 2, status);
    sqlite3_bind_double(st, 3, end_time);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { set_err(s, err, errlen, "cannot set the run status"); return -1; }
    return 0;
}

/* The rollout's per-token row (storage/token_blob.h), keyed by its id. Returns an SQLite code (SQLITE_NOMEM when
 * the blob buffer cannot grow). */
static int write_tokens(Store *s, sqlite3_int64 id, const Rollout *r) {
    int n = r->length;
    size_t ids = token_blob_ids_bytes(r->token_ids, n), need = ids + 3 * 2 * (size_t)n;
    if (need > s->blob_cap) {
        unsigned char *b = realloc(s->blob, need);
        if (!b) return SQLITE_NOMEM;
        s->blob = b;
        s->blob_cap = need;
    }
    sqlite3_stmt *st = s->st[ST_INS_TOKENS];
    unsigned char *p = s->blob;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_blob(st, 2, p, (int)token_blob_put_ids(p, r->token_ids, n), SQLITE_STATIC);
    p += ids;
    const float *vals[3] = {r->token_logprob, r->token_entropy, r->token_ratio};
    for (int k = 0; k < 3; k++) {
        if (!vals[k]) continue; /* unbound: NULL */
        sqlite3_bind_blob(st, 3 + k, p, (int)token_blob_put_f16(p, vals[k], n), SQLITE_STATIC);
        p += 2 * (size_t)n;
    }
    return exec_st(st);
}

int store_write_step(Store *s, const StepRecord *rec, char *err, size_t errlen) {
    if (need_run(s, err, errlen) || begin(s, err, errlen)) return -1;
    sqlite3_stmt *st = s->st[ST_DEL_STEP_ROLLOUTS];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int(st, 2, rec->step);
    if (exec_st(st) != SQLITE_OK) return abort_tx(s, err, errlen, "cannot replace the step's rollouts");
    int replaced = sqlite3_changes(s->db);
    st = s->st[ST_DEL_STEP_METRICS];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int(st, 2, rec->step);
    if (exec_st(st) != SQLITE_OK) return abort_tx(s, err, errlen, "cannot replace the step's metrics");

    double best = NAN;
    st = s->st[ST_INS_ROLLOUT];
    for (int i = 0; i < rec->n_rollouts; i++) {
        const Rollout *r = &rec->rollouts[i];
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_int(st, 2, rec->step);
        sqlite3_bind_int(st, 3, r->prompt_index);
        sqlite3_bind_int(st, 4, r->sample_index);
        bind_text(st, 5, r->task);
        sqlite3_bind_double(st, 6, r->reward);      /* NaN binds as NULL */
        sqlite3_bind_double(st, 7, r->r_accuracy);
        sqlite3_bind_double(st, 8, r->r_format);
        sqlite3_bind_double(st, 9, r->r_language);
        sqlite3_bind_double(st, 10, r->advantage);
        sqlite3_bind_int(st, 11, r->length);
        sqlite3_bind_int(st, 12, r->finish);
        sqlite3_bind_int(st, 13, r->correct);
        sqlite3_bind_int64(st, 14, (sqlite3_int64)r->flags);
        int rc = exec_st(st);
        sqlite3_int64 id = sqlite3_last_insert_rowid(s->db);
        if (rc == SQLITE_OK) {
            sqlite3_stmt *tx = s->st[ST_INS_TEXT];
            bind_text(tx, 1, r->prompt);
            bind_text(tx, 2, r->completion);
            bind_text(tx, 3, r->answer);
            rc = exec_st(tx);
        }
        if (rc == SQLITE_OK && r->token_ids && r->length > 0) rc = write_tokens(s, id, r);
        if (rc != SQLITE_OK) {
            char what[96];
            snprintf(what, sizeof what, "cannot write rollout %d of step %d", i, rec->step);
            return abort_tx(s, err, errlen, what);
        }
        if (!isnan(r->reward) && (isnan(best) || r->reward > best)) best = r->reward;
    }
    st = s->st[ST_INS_METRIC];
    for (int i = 0; i < rec->n_metrics; i++) {
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_int(st, 2, rec->step);
        bind_text(st, 3, rec->metrics[i].name);
        sqlite3_bind_double(st, 4, rec->metrics[i].value);
        sqlite3_bind_double(st, 5, rec->wall_time > 0 ? rec->wall_time : now_seconds());
        if (exec_st(st) != SQLITE_OK) {
            char what[112];
            snprintf(what, sizeof what, "cannot write metric '%.40s' of step %d",
                     rec->metrics[i].name ? rec->metrics[i].name : "", rec->step);
            return abort_tx(s, err, errlen, what);
        }
    }
    if (replaced > 0) {          /* a rewritten step: count again rather than patch the counters */
        st = s->st[ST_RECOUNT];
        sqlite3_bind_int64(st, 1, s->run_id);
    } else {
        st = s->st[ST_ADD_COUNTERS];
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_int(st, 2, rec->step);
        sqlite3_bind_int(st, 3, rec->n_rollouts);
        sqlite3_bind_double(st, 4, best);
    }
    if (exec_st(st) != SQLITE_OK) return abort_tx(s, err, errlen, "cannot update the run's counters");
    return commit(s, err, errlen);
}

/* Inserts an event (and its checkpoint row) inside the current transaction. */
static int insert_event(Store *s, const Event *ev) {
    double t = ev->wall_time > 0 ? ev->wall_time : now_seconds();
    sqlite3_stmt *st = s->st[ST_INS_EVENT];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int(st, 2, (int)ev->kind);
    bind_text(st, 3, event_kind_name(ev->kind));
    sqlite3_bind_int(st, 4, ev->step);
    sqlite3_bind_double(st, 5, t);
    /* The arrays are fixed size: bind at most their length even if a writer forgot the terminator. */
    sqlite3_bind_text(st, 6, ev->name, (int)strnlen(ev->name, sizeof ev->name), SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ev->old_value, (int)strnlen(ev->old_value, sizeof ev->old_value), SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ev->new_value, (int)strnlen(ev->new_value, sizeof ev->new_value), SQLITE_STATIC);
    sqlite3_bind_text(st, 9, ev->detail, (int)strnlen(ev->detail, sizeof ev->detail), SQLITE_STATIC);
    int rc = exec_st(st);
    if (rc != SQLITE_OK || ev->kind != EVENT_CHECKPOINT || !ev->detail[0]) return rc;
    st = s->st[ST_UPSERT_CHECKPOINT];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int(st, 2, ev->step);
    sqlite3_bind_text(st, 3, ev->detail, (int)strnlen(ev->detail, sizeof ev->detail), SQLITE_STATIC);
    bind_text(st, 4, "");
    sqlite3_bind_double(st, 5, t);
    return exec_st(st);
}

int store_write_event(Store *s, const Event *ev, char *err, size_t errlen) {
    if (need_run(s, err, errlen) || begin(s, err, errlen)) return -1;
    if (insert_event(s, ev) != SQLITE_OK) return abort_tx(s, err, errlen, "cannot write an event");
    return commit(s, err, errlen);
}

int store_write_checkpoint(Store *s, int step, const char *path, const char *sha256, double wall_time,
                           char *err, size_t errlen) {
    if (need_run(s, err, errlen)) return -1;
    sqlite3_stmt *st = s->st[ST_UPSERT_CHECKPOINT];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int(st, 2, step);
    bind_text(st, 3, path);
    bind_text(st, 4, sha256);
    sqlite3_bind_double(st, 5, wall_time > 0 ? wall_time : now_seconds());
    if (exec_st(st) != SQLITE_OK) { set_err(s, err, errlen, "cannot record a checkpoint"); return -1; }
    return 0;
}

int store_write_eval(Store *s, const StoreEval *e, char *err, size_t errlen) {
    if (need_run(s, err, errlen)) return -1;
    sqlite3_stmt *st = s->st[ST_INS_EVAL];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int(st, 2, e->step);
    sqlite3_bind_text(st, 3, e->task, (int)strnlen(e->task, sizeof e->task), SQLITE_STATIC);
    sqlite3_bind_double(st, 4, e->pass1);
    sqlite3_bind_double(st, 5, e->cons_k);
    sqlite3_bind_int(st, 6, e->k);
    sqlite3_bind_int(st, 7, e->problems);
    sqlite3_bind_double(st, 8, e->wall_time > 0 ? e->wall_time : now_seconds());
    if (exec_st(st) != SQLITE_OK) { set_err(s, err, errlen, "cannot record an evaluation"); return -1; }
    return 0;
}

int64_t store_rollback_after(Store *s, int step, char *err, size_t errlen) {
    if (need_run(s, err, errlen) || begin(s, err, errlen)) return -1;
    static const char *const DEL[] = {
        "DELETE FROM rollouts WHERE run_id = ?1 AND step > ?2",
        "DELETE FROM metrics WHERE run_id = ?1 AND step > ?2",
        "DELETE FROM evals WHERE run_id = ?1 AND step > ?2",
        "DELETE FROM checkpoints WHERE run_id = ?1 AND step > ?2",
    };
    int64_t deleted = 0;
    for (int i = 0; i < 4; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, DEL[i], -1, &st, NULL) != SQLITE_OK)
            return abort_tx(s, err, errlen, "cannot roll back steps");
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_int(st, 2, step);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return abort_tx(s, err, errlen, "cannot roll back steps");
        if (i == 0) deleted = sqlite3_changes64(s->db);
    }
    sqlite3_stmt *st = s->st[ST_RECOUNT];
    sqlite3_bind_int64(st, 1, s->run_id);
    if (exec_st(st) != SQLITE_OK) return abort_tx(s, err, errlen, "cannot update the run's counters");
    if (commit(s, err, errlen)) return -1;
    return deleted;
}

int store_last_checkpoint(Store *s, StoreCheckpoint *out, char *err, size_t errlen) {
    if (need_run(s, err, errlen)) return -1;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = s->st[ST_LAST_CHECKPOINT];
    sqlite3_bind_int64(st, 1, s->run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->run_id = sqlite3_column_int64(st, 0);
        out->step = sqlite3_column_int(st, 1);
        const char *p = (const char *)sqlite3_column_text(st, 2), *h = (const char *)sqlite3_column_text(st, 3);
        snprintf(out->path, sizeof out->path, "%s", p ? p : "");
        snprintf(out->sha256, sizeof out->sha256, "%s", h ? h : "");
        out->wall_time = sqlite3_column_double(st, 4);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    set_err(s, err, errlen, "cannot read the last checkpoint");
    return -1;
}
