/* store_schema.c - the run database's schema, its migrations and the settings every connection opens with.
 *
 * The schema is the sum of MIGRATIONS[0 .. STORE_SCHEMA_VERSION-1]: MIGRATIONS[v] takes a database from version v
 * to v+1. A new version appends one entry and bumps STORE_SCHEMA_VERSION (storage/store_version.h); a database is
 * never changed except by these steps, all of them run in one IMMEDIATE transaction with user_version set last, so
 * a crash mid-migration leaves the old version intact. */
#include "storage/store_internal.h"
#include "storage/store.h"
#include "storage/store_version.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* v0 -> v1: the tables. */
static const char MIGRATE_1[] =
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  start_time REAL NOT NULL,"
    "  end_time REAL,"
    "  status TEXT NOT NULL DEFAULT 'running',"
    "  config TEXT,"
    "  model TEXT,"
    "  parent_checkpoint TEXT,"
    "  seed INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE metrics ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value REAL,"                               /* NULL stands for NaN */
    "  wall_time REAL NOT NULL,"
    "  PRIMARY KEY (run_id, name, step)) WITHOUT ROWID;"
    "CREATE TABLE rollouts ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  prompt_index INTEGER NOT NULL,"
    "  sample_index INTEGER NOT NULL,"
    "  task TEXT NOT NULL DEFAULT '',"
    "  prompt TEXT NOT NULL DEFAULT '',"
    "  completion TEXT NOT NULL DEFAULT '',"
    "  answer TEXT NOT NULL DEFAULT '',"
    "  reward REAL, r_accuracy REAL, r_format REAL, r_language REAL, advantage REAL,"
    "  length INTEGER NOT NULL DEFAULT 0,"
    "  finish INTEGER NOT NULL DEFAULT 0,"
    "  correct INTEGER NOT NULL DEFAULT 0,"
    "  flags INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX rollouts_group ON rollouts(run_id, step, prompt_index, sample_index);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  kind INTEGER NOT NULL,"
    "  kind_name TEXT NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  wall_time REAL NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  old_value TEXT NOT NULL DEFAULT '',"
    "  new_value TEXT NOT NULL DEFAULT '',"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX events_run ON events(run_id, id);"
    "CREATE TABLE checkpoints ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL DEFAULT '',"
    "  wall_time REAL NOT NULL,"
    "  PRIMARY KEY (run_id, step));";

/* v1 -> v2: the text columns move to rollout_texts, so that rollouts is a narrow table (about 60 bytes a row) that
 * filters, sorts and counts scan without reading a kilobyte of completion per row; full-text search over
 * completions (an external-content FTS5 index kept by triggers); evaluations; run counters the summary reads in
 * O(1); and the indexes that keep the browser's sorted pages from sorting a million rows. */
static const char MIGRATE_2[] =
    "CREATE TABLE rollout_texts ("
    "  id INTEGER PRIMARY KEY,"                   /* = rollouts.id */
    "  prompt TEXT NOT NULL DEFAULT '',"
    "  completion TEXT NOT NULL DEFAULT '',"
    "  answer TEXT NOT NULL DEFAULT '');"
    "INSERT INTO rollout_texts (id, prompt, completion, answer) SELECT id, prompt, completion, answer FROM rollouts;"
    "ALTER TABLE rollouts DROP COLUMN prompt;"
    "ALTER TABLE rollouts DROP COLUMN completion;"
    "ALTER TABLE rollouts DROP COLUMN answer;"
    "CREATE TRIGGER rollouts_delete_text AFTER DELETE ON rollouts BEGIN"
    "  DELETE FROM rollout_texts WHERE id = old.id;"
    "END;"
    "CREATE VIRTUAL TABLE rollouts_fts USING fts5("
    "  completion, content='rollout_texts', content_rowid='id', tokenize='unicode61');"
    "CREATE TRIGGER rollouts_fts_insert AFTER INSERT ON rollout_texts BEGIN"
    "  INSERT INTO rollouts_fts(rowid, completion) VALUES (new.id, new.completion);"
    "END;"
    "CREATE TRIGGER rollouts_fts_delete AFTER DELETE ON rollout_texts BEGIN"
    "  INSERT INTO rollouts_fts(rollouts_fts, rowid, completion) VALUES ('delete', old.id, old.completion);"
    "END;"
    "CREATE TRIGGER rollouts_fts_update AFTER UPDATE OF completion ON rollout_texts BEGIN"
    "  INSERT INTO rollouts_fts(rollouts_fts, rowid, completion) VALUES ('delete', old.id, old.completion);"
    "  INSERT INTO rollouts_fts(rowid, completion) VALUES (new.id, new.completion);"
    "END;"
    "INSERT INTO rollouts_fts(rollouts_fts) VALUES ('rebuild');"
    "CREATE TABLE evals ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL,"
    "  task TEXT NOT NULL DEFAULT '',"
    "  pass1 REAL, cons_k REAL,"
    "  k INTEGER NOT NULL DEFAULT 0,"
    "  problems INTEGER NOT NULL DEFAULT 0,"
    "  wall_time REAL NOT NULL);"
    "CREATE INDEX evals_run ON evals(run_id, step);"
    "ALTER TABLE runs ADD COLUMN last_step INTEGER NOT NULL DEFAULT -1;"
    "ALTER TABLE runs ADD COLUMN n_rollouts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN best_reward REAL;"
    "UPDATE runs SET"
    "  last_step = coalesce(max((SELECT max(step) FROM rollouts WHERE run_id = runs.id),"
    "                           (SELECT max(step) FROM metrics WHERE run_id = runs.id)),"
    "                       (SELECT max(step) FROM rollouts WHERE run_id = runs.id),"
    "                       (SELECT max(step) FROM metrics WHERE run_id = runs.id), -1),"
    "  n_rollouts = (SELECT count(*) FROM rollouts WHERE run_id = runs.id),"
    "  best_reward = (SELECT max(reward) FROM rollouts WHERE run_id = runs.id);"
    "CREATE INDEX rollouts_step ON rollouts(step);"
    "CREATE INDEX rollouts_reward ON rollouts(reward);"
    "CREATE INDEX rollouts_length ON rollouts(length);"
    "CREATE INDEX rollouts_advantage ON rollouts(advantage);"
    "CREATE INDEX rollouts_task ON rollouts(task);"
    "CREATE INDEX metrics_step ON metrics(run_id, step);";

/* v2 -> v3: where a forked run came from (train --fork): the parent's database as given on the command line (NULL
 * when it is this file), the parent run's id and the step of the checkpoint it started from. NULL for a run that
 * was not forked. */
static const char MIGRATE_FORK[] =
    "ALTER TABLE runs ADD COLUMN parent_db TEXT;"
    "ALTER TABLE runs ADD COLUMN parent_run INTEGER;"
    "ALTER TABLE runs ADD COLUMN parent_step INTEGER;";

/* v3 -> v4: the per-token table: each completion token's id, the policy's log-prob and entropy when it was sampled, and the
 * last update's importance ratio (NULL when not recorded), as compact blobs (storage/token_blob.h), keyed like
 * rollout_texts by the rollout's id and deleted with it. A database from before has no token rows: its
 * transcripts show as before, without the per-token view. */
static const char MIGRATE_TOKENS[] =
    "CREATE TABLE rollout_tokens ("
    "  id INTEGER PRIMARY KEY,"                   /* = rollouts.id */
    "  ids BLOB NOT NULL,"
    "  logprob BLOB, entropy BLOB, ratio BLOB);"
    "CREATE TRIGGER rollouts_delete_tokens AFTER DELETE ON rollouts BEGIN"
    "  DELETE FROM rollout_tokens WHERE id = old.id;"
    "END;";

static const char *const MIGRATIONS[] = {MIGRATE_1, MIGRATE_2, MIGRATE_FORK, MIGRATE_TOKENS};
_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version: append to MIGRATIONS when bumping STORE_SCHEMA_VERSION");

void store_db_error(char *err, size_t errlen, const char *path, sqlite3 *db, const char *what) {
    if (!err || !errlen) return;
    if (db)
        snprintf(err, errlen, "%s: %s: %s", what, path ? path : "(database)", sqlite3_errmsg(db));
    else
        snprintf(err, errlen, "%s: %s", what, path ? path : "(database)");
}

int store_db_version(sqlite3 *db) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return -1;
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

int store_db_migrate(sqlite3 *db, int from, int to) {
    for (int v = from; v < to; v++) {
        int rc = sqlite3_exec(db, MIGRATIONS[v], NULL, NULL, NULL);
        if (rc != SQLITE_OK) return rc;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", to);
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Count of objects in the schema: 0 for a new, empty file. */
static int schema_objects(sqlite3 *db) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, NULL) != SQLITE_OK) return -1;
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static int fail(sqlite3 *db, char *err, size_t errlen, const char *path, const char *what) {
    store_db_error(err, errlen, path, db, what);
    sqlite3_close_v2(db);
    return -1;
}

/* A database at schema version v that we must not write: another program's (tables but no version) or a newer
 * build's. Returns -1 with err saying which, else 0. */
static int refuse_foreign(sqlite3 *db, const char *path, int v, char *err, size_t errlen) {
    if (v == 0 && schema_objects(db) != 0) {
        snprintf(err, errlen, "%s: not a GRPO Studio run database (it has tables but no schema version)", path);
        return -1;
    }
    if (v > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: written by a newer GRPO Studio (run database schema version %d; this build "
                 "knows versions up to %d): open it with a newer grpo-studio", path, v, STORE_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

/* Brings the schema to STORE_SCHEMA_VERSION; the version is read again under the write lock, so two processes
 * opening a new file at once create it once. */
static int ensure_schema(sqlite3 *db, const char *path, char *err, size_t errlen) {
    int v = store_db_version(db);
    if (v < 0) { store_db_error(err, errlen, path, db, "cannot read the schema version"); return -1; }
    if (v == STORE_SCHEMA_VERSION) return 0;
    if (refuse_foreign(db, path, v, err, errlen) != 0) return -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        store_db_error(err, errlen, path, db, "cannot lock the database to create or migrate its schema");
        return -1;
    }
    v = store_db_version(db);
    if (refuse_foreign(db, path, v, err, errlen) != 0) {   /* another process got there between our two reads */
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (v < STORE_SCHEMA_VERSION) {
        int rc = store_db_migrate(db, v, STORE_SCHEMA_VERSION);
        if (rc != SQLITE_OK) {
            char what[96];
            snprintf(what, sizeof what, "cannot migrate the schema from version %d to %d", v, STORE_SCHEMA_VERSION);
            store_db_error(err, errlen, path, db, what);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_db_error(err, errlen, path, db, "cannot commit the schema");
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int store_db_open(const char *path, int create, sqlite3 **out, char *err, size_t errlen) {
    *out = NULL;
    if (err && errlen) err[0] = 0;
    /* Without create, an empty file is not a database to give a schema to (switching it to WAL would already
     * write its first page): refuse it untouched. */
    struct stat sb;
    if (!create && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
        snprintf(err, errlen, "%s: not a run database (the file is empty)", path);
        return -1;
    }
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (!db) { store_db_error(err, errlen, path, NULL, "cannot open the run database (out of memory)"); return -1; }
        return fail(db, err, errlen, path, "cannot open the run database");
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
    /* A file that is not SQLite fails here, on the first read; another program's database or a newer build's is
     * refused before our first write (switching to WAL already writes its header). */
    int v = store_db_version(db);
    if (v < 0) return fail(db, err, errlen, path, "cannot open the run database");
    if (refuse_foreign(db, path, v, err, errlen) != 0) { sqlite3_close_v2(db); return -1; }
    char *jm = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
        return fail(db, err, errlen, path, "cannot open the run database");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) jm = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) { sqlite3_free(jm); return fail(db, err, errlen, path, "cannot open the run database"); }
    int wal = jm && !sqlite3_stricmp(jm, "wal");
    sqlite3_free(jm);
    if (!wal) {
        store_db_error(err, errlen, path, NULL, "cannot switch the run database to WAL mode "
                       "(a file system without shared memory, or the file is read-only?)");
        sqlite3_close_v2(db);
        return -1;
    }
    /* synchronous=NORMAL in WAL: a commit is durable against a process crash (it is in the WAL file); only an OS
     * crash or power loss may roll back the newest transactions. See store.h. */
    if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, err, errlen, path, "cannot configure the run database");
    if (ensure_schema(db, path, err, errlen) != 0) { sqlite3_close_v2(db); return -1; }
    *out = db;
    return 0;
}
