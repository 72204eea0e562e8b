/* test_store.c - the run database writer (storage/store.h) on real SQLite files in a temporary directory: schema
 * creation, migration from versions 1 and 2 (a fork's parent columns), refusal of newer and foreign files, a round trip of every field, idempotent
 * step rewrites, rollback for resume, the asynchronous writer (deep copies, ordering, sticky errors, a failed write
 * reported when it happens), readers on a second connection while a write transaction is open, one writer per
 * database (the lock), and opening for resume that leaves a path naming no database untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/query.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_store_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    return 0;
}

static int teardown(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *db_path(const char *name) {
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static int64_t sql_int(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -12345;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("sql failed: %s", msg);
    sqlite3_close(db);
}

/* A step of P prompts x G samples with text that names the step, so searches can find one step. */
typedef struct {
    Rollout r[64];
    char completion[64][128], prompt[8][64], answer[64][16];
    Metric m[3];
    StepRecord rec;
} StepBuf;

static void make_step(StepBuf *b, int step, int P, int G) {
    memset(b, 0, sizeof *b);
    for (int p = 0; p < P; p++) snprintf(b->prompt[p], sizeof b->prompt[p], "What is %d + %d?", step, p);
    for (int i = 0; i < P * G; i++) {
        Rollout *r = &b->r[i];
        r->step = step;
        r->prompt_index = i / G;
        r->sample_index = i % G;
        r->task = "add";
        r->prompt = b->prompt[i / G];
        snprintf(b->completion[i], sizeof b->completion[i], "<think>step%d sample %d wait</think><answer>%d</answer>",
                 step, i, step + i / G);
        r->completion = b->completion[i];
        snprintf(b->answer[i], sizeof b->answer[i], "%d", step + i / G);
        r->answer = b->answer[i];
        r->correct = i % 2;
        r->r_accuracy = (float)r->correct;
        r->r_format = 1;
        r->r_language = 0.5f;
        r->reward = r->r_accuracy + 0.1f * (float)(i % G);
        r->advantage = (float)(i % G) - 1.5f;
        r->length = 10 + i;
        r->finish = 1;
        r->flags = (unsigned)(i % 4);
    }
    b->m[0] = (Metric){"reward/mean", step * 0.5};
    b->m[1] = (Metric){"loss", 1.0 / step};
    b->m[2] = (Metric){"kl", NAN};
    b->rec = (StepRecord){.step = step, .wall_time = 1e9 + step, .n_rollouts = P * G, .rollouts = b->r,
                          .n_metrics = 3, .metrics = b->m};
}

static Store *open_with_run(const char *path, const char *name) {
    char err[512];
    Store *s = store_open(path, err, sizeof err);
    if (!s) fail_msg("store_open: %s", err);
    StoreRunInfo info = {.name = name, .config_text = "[run]\nseed = 7\n", .model_desc = "tiny", .parent_checkpoint =
                         "random", .seed = 7, .start_time = 1e9};
    assert_true(store_begin_run(s, &info, err, sizeof err) > 0);
    return s;
}

static void test_schema_created(void **state) {
    const char *path = db_path("new.db");
    char err[512];
    Store *s = store_open(path, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(store_path(s), path);
    assert_int_equal(store_run_id(s), 0);
    store_close(s);
    assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(store_schema_version(), STORE_SCHEMA_VERSION);
    const char *tables[] = {"runs", "metrics", "rollouts", "rollout_texts", "rollouts_fts", "events", "checkpoints",
                            "evals"};
    for (int i = 0; i < 8; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE name = '%s'", tables[i]);
        assert_int_equal(sql_int(path, sql), 1);
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Opening again is a no-op on the schema. */
    s = store_open(path, err, sizeof err);
    assert_non_null(s);
    store_close(s);
    /* Writes need a run. */
    s = store_open(path, err, sizeof err);
    StepBuf *b = malloc(sizeof *b);
    make_step(b, 1, 1, 2);
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), -1);
    assert_non_null(strstr(err, "no run selected"));
    free(b);
    store_close(s);
}

/* Version 1 as it was: the tables without FTS, evals or counters. */
static const char V1_SQL[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', start_time REAL NOT NULL,"
    " end_time REAL, status TEXT NOT NULL DEFAULT 'running', config TEXT, model TEXT, parent_checkpoint TEXT,"
    " seed INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,"
    " name TEXT NOT NULL, value REAL, wall_time REAL NOT NULL, PRIMARY KEY (run_id, name, step)) WITHOUT ROWID;"
    "CREATE TABLE rollouts (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " step INTEGER NOT NULL, prompt_index INTEGER NOT NULL, sample_index INTEGER NOT NULL,"
    " task TEXT NOT NULL DEFAULT '', prompt TEXT NOT NULL DEFAULT '', completion TEXT NOT NULL DEFAULT '',"
    " answer TEXT NOT NULL DEFAULT '', reward REAL, r_accuracy REAL, r_format REAL, r_language REAL,"
    " advantage REAL, length INTEGER NOT NULL DEFAULT 0, finish INTEGER NOT NULL DEFAULT 0,"
    " correct INTEGER NOT NULL DEFAULT 0, flags INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX rollouts_group ON rollouts(run_id, step, prompt_index, sample_index);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " kind INTEGER NOT NULL, kind_name TEXT NOT NULL, step INTEGER NOT NULL, wall_time REAL NOT NULL,"
    " name TEXT NOT NULL DEFAULT '', old_value TEXT NOT NULL DEFAULT '', new_value TEXT NOT NULL DEFAULT '',"
    " detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX events_run ON events(run_id, id);"
    "CREATE TABLE checkpoints (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " step INTEGER NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL DEFAULT '', wall_time REAL NOT NULL,"
    " PRIMARY KEY (run_id, step));"
    "INSERT INTO runs (id, name, start_time, status, seed) VALUES (1, 'old', 1000, 'done', 3);"
    "INSERT INTO rollouts (run_id, step, prompt_index, sample_index, task, prompt, completion, answer, reward,"
    " correct) VALUES (1, 4, 0, 0, 'add', 'p', 'an aardvark reconsiders', '1', 0.75, 1),"
    " (1, 5, 0, 0, 'add', 'p', 'plain text', '1', 0.25, 0);"
    "INSERT INTO metrics VALUES (1, 5, 'loss', 0.5, 1000);"
    "PRAGMA user_version = 1;";

static void test_migrate_from_v1(void **state) {
    const char *path = db_path("v1.db");
    sql_exec(path, V1_SQL);
    char err[512];
    Store *s = store_open(path, err, sizeof err);
    if (!s) fail_msg("%s", err);
    assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    /* The old rows are searchable and counted. */
    Query *q = query_open(path, err, sizeof err);
    assert_non_null(q);
    QueryFilter f;
    query_filter_init(&f);
    snprintf(f.search, sizeof f.search, "aardvark");
    assert_int_equal(query_count(q, &f, err, sizeof err), 1);
    QueryRun run;
    assert_int_equal(query_run(q, 0, &run, err, sizeof err), 1);
    assert_string_equal(run.name, "old");
    assert_int_equal(run.n_rollouts, 2);
    assert_int_equal(run.steps, 5);
    assert_float_equal(run.best_reward, 0.75, 1e-9);
    query_run_free(&run);
    query_close(q);
    /* And the migrated file takes new steps. */
    assert_int_equal(store_use_run(s, 1, err, sizeof err), 1);
    StepBuf *b = malloc(sizeof *b);
    make_step(b, 6, 2, 2);
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
    free(b);
    store_close(s);
    assert_int_equal(sql_int(path, "SELECT n_rollouts FROM runs WHERE id = 1"), 6);
}

/* Byte 18 of an SQLite file's header: 1 for a rollback journal, 2 for WAL (which store_open switches to). */
static int header_write_version(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 18, SEEK_SET), 0);
    int v = fgetc(f);
    fclose(f);
    return v;
}

static void test_refuse_newer_and_foreign(void **state) {
    const char *newer = db_path("newer.db");
    sql_exec(newer, "CREATE TABLE runs (id INTEGER PRIMARY KEY); PRAGMA user_version = 99;");
    char err[512];
    assert_null(store_open(newer, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, newer));
    assert_non_null(strstr(err, "99"));
    assert_null(query_open(newer, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    assert_int_equal(sql_int(newer, "PRAGMA user_version"), 99);   /* untouched */
    assert_int_equal(header_write_version(newer), 1);              /* not even switched to WAL */

    const char *foreign = db_path("foreign.db");
    sql_exec(foreign, "CREATE TABLE notes (t TEXT);");
    assert_null(store_open(foreign, err, sizeof err));
    assert_non_null(strstr(err, "not a GRPO Studio run database"));
    assert_int_equal(header_write_version(foreign), 1);

    const char *junk = db_path("junk.db");
    FILE *f = fopen(junk, "w");
    fputs("this is not sqlite at all, just some text that is long enough to be a header ...........", f);
    fclose(f);
    assert_null(store_open(junk, err, sizeof err));
    assert_non_null(strstr(err, junk));

    assert_null(query_open(db_path("missing.db"), err, sizeof err));
    assert_non_null(strstr(err, "missing.db"));
}

static void test_round_trip(void **state) {
    const char *path = db_path("rt.db");
    char err[512];
    Store *s = open_with_run(path, "round-trip");
    Rollout r[2] = {
        {.step = 3, .prompt_index = 1, .sample_index = 0, .task = "countdown", .prompt = "Use 3 5 7 to make 22",
         .completion = "<think>3*5+7 = 22. Wait, verify: 15+7=22.</think> <answer>3*5+7</answer>",
         .answer = "22", .reward = 1.625f, .r_accuracy = 1.f, .r_format = 0.5f, .r_language = 0.125f,
         .advantage = -0.75f, .length = 57, .finish = 2, .correct = 1,
         .flags = ROLLOUT_FLAG_REFLECTION | ROLLOUT_FLAG_SELF_CORRECTION},
        {.step = 3, .prompt_index = 1, .sample_index = 1, .task = "countdown", .prompt = "Use 3 5 7 to make 22",
         .completion = "unicode \xc3\xa9t\xc3\xa9 'quotes' \"double\"", .answer = "22", .reward = -0.25f,
         .r_accuracy = 0, .r_format = 0, .r_language = 1, .advantage = 0.75f, .length = 1, .finish = 1,
         .correct = 0, .flags = 0},
    };
    Metric m[2] = {{"reward/mean", 0.6875}, {"weird name/with spaces", -1e-300}};
    StepRecord rec = {.step = 3, .wall_time = 1234567.5, .n_rollouts = 2, .rollouts = r, .n_metrics = 2, .metrics = m};
    assert_int_equal(store_write_step(s, &rec, err, sizeof err), 0);
    Event ev = {.kind = EVENT_SET, .step = 3, .wall_time = 1234568.25};
    snprintf(ev.name, sizeof ev.name, "optim.lr");
    snprintf(ev.old_value, sizeof ev.old_value, "0.001");
    snprintf(ev.new_value, sizeof ev.new_value, "0.0005");
    snprintf(ev.detail, sizeof ev.detail, "set from the studio");
    assert_int_equal(store_write_event(s, &ev, err, sizeof err), 0);
    Event ck = {.kind = EVENT_CHECKPOINT, .step = 3, .wall_time = 1234569};
    snprintf(ck.detail, sizeof ck.detail, "runs/rt/step-3");
    assert_int_equal(store_write_event(s, &ck, err, sizeof err), 0);
    char sha[65];
    memset(sha, 'a', 64);
    sha[64] = 0;
    assert_int_equal(store_write_checkpoint(s, 3, "runs/rt/step-3", sha, 1234570, err, sizeof err), 0);
    StoreEval e = {.step = 3, .pass1 = 0.25, .cons_k = 0.5, .k = 8, .problems = 64, .wall_time = 1234571};
    snprintf(e.task, sizeof e.task, "countdown");
    assert_int_equal(store_write_eval(s, &e, err, sizeof err), 0);
    StoreCheckpoint c;
    assert_int_equal(store_last_checkpoint(s, &c, err, sizeof err), 1);
    assert_int_equal(c.step, 3);
    assert_string_equal(c.path, "runs/rt/step-3");
    assert_string_equal(c.sha256, sha);   /* the explicit row filled in the event's checksum-less row */
    assert_int_equal(store_set_status(s, "done", 1234600, err, sizeof err), 0);
    int64_t run_id = store_run_id(s);
    store_close(s);

    Query *q = query_open(path, err, sizeof err);
    assert_non_null(q);
    QueryRolloutList g;
    assert_int_equal(query_group(q, run_id, 3, 1, &g, err, sizeof err), 2);
    for (int i = 0; i < 2; i++) {
        const QueryRollout *x = &g.items[i];
        assert_int_equal(x->run_id, run_id);
        assert_int_equal(x->step, r[i].step);
        assert_int_equal(x->prompt_index, r[i].prompt_index);
        assert_int_equal(x->sample_index, r[i].sample_index);
        assert_string_equal(x->task, r[i].task);
        assert_string_equal(x->prompt, r[i].prompt);
        assert_string_equal(x->completion, r[i].completion);
        assert_string_equal(x->answer, r[i].answer);
        assert_true(x->reward == r[i].reward);
        assert_true(x->r_accuracy == r[i].r_accuracy);
        assert_true(x->r_format == r[i].r_format);
        assert_true(x->r_language == r[i].r_language);
        assert_true(x->advantage == r[i].advantage);
        assert_int_equal(x->length, r[i].length);
        assert_int_equal(x->finish, r[i].finish);
        assert_int_equal(x->correct, r[i].correct);
        assert_int_equal(x->flags, r[i].flags);
        QueryRollout one;
        assert_int_equal(query_rollout(q, x->id, &one, err, sizeof err), 1);
        assert_string_equal(one.completion, r[i].completion);
        query_rollout_free(&one);
    }
    query_rollouts_free(&g);
    QueryRollout none;
    assert_int_equal(query_rollout(q, 987654, &none, err, sizeof err), 0);

    QuerySeries sr;
    assert_int_equal(query_series(q, run_id, "weird name/with spaces", -1, &sr, err, sizeof err), 1);
    assert_int_equal(sr.steps[0], 3);
    assert_true(sr.values[0] == -1e-300);
    query_series_free(&sr);

    QueryEventList el;
    assert_int_equal(query_events(q, run_id, 0, &el, err, sizeof err), 2);
    assert_int_equal(el.items[0].ev.kind, EVENT_SET);
    assert_int_equal(el.items[0].ev.step, 3);
    assert_true(el.items[0].ev.wall_time == 1234568.25);
    assert_string_equal(el.items[0].ev.name, "optim.lr");
    assert_string_equal(el.items[0].ev.old_value, "0.001");
    assert_string_equal(el.items[0].ev.new_value, "0.0005");
    assert_string_equal(el.items[0].ev.detail, "set from the studio");
    assert_int_equal(el.items[1].ev.kind, EVENT_CHECKPOINT);
    int64_t first = el.items[0].id;
    query_events_free(&el);
    assert_int_equal(query_events(q, run_id, first, &el, err, sizeof err), 1);
    query_events_free(&el);

    QueryEvalList ev_list;
    assert_int_equal(query_evals(q, run_id, &ev_list, err, sizeof err), 1);
    assert_string_equal(ev_list.items[0].task, "countdown");
    assert_true(ev_list.items[0].pass1 == 0.25 && ev_list.items[0].cons_k == 0.5);
    assert_int_equal(ev_list.items[0].k, 8);
    assert_int_equal(ev_list.items[0].problems, 64);
    assert_true(ev_list.items[0].wall_time == 1234571);
    query_evals_free(&ev_list);

    QueryRun run;
    assert_int_equal(query_run(q, run_id, &run, err, sizeof err), 1);
    assert_string_equal(run.name, "round-trip");
    assert_string_equal(run.status, "done");
    assert_string_equal(run.config_text, "[run]\nseed = 7\n");
    assert_string_equal(run.model_desc, "tiny");
    assert_string_equal(run.parent_checkpoint, "random");
    assert_int_equal(run.seed, 7);
    assert_true(run.start_time == 1e9 && run.end_time == 1234600);
    assert_int_equal(run.steps, 3);
    assert_int_equal(run.n_rollouts, 2);
    assert_float_equal(run.best_reward, 1.625, 1e-6);
    assert_float_equal(run.last_step_mean_reward, (1.625 - 0.25) / 2, 1e-6);
    assert_float_equal(run.last_step_accuracy, 0.5, 1e-9);
    assert_int_equal(run.n_last_metrics, 2);
    assert_string_equal(run.last_metric_names[0], "reward/mean");
    assert_true(run.last_metric_values[0] == 0.6875);
    assert_int_equal(run.has_checkpoint, 1);
    assert_int_equal(run.last_checkpoint_step, 3);
    query_run_free(&run);
    query_close(q);
}

static void test_rewrite_step_and_nan(void **state) {
    const char *path = db_path("rewrite.db");
    char err[512];
    Store *s = open_with_run(path, "rw");
    StepBuf *b = malloc(sizeof *b);
    make_step(b, 1, 2, 4);
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);   /* same step again: replaced */
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollouts"), 8);
    assert_int_equal(sql_int(path, "SELECT n_rollouts FROM runs"), 8);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM metrics"), 3);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM metrics WHERE name = 'kl' AND value IS NULL"), 1);
    /* A bad step is all or nothing: a duplicate (prompt, sample) fails the whole transaction. */
    make_step(b, 2, 2, 4);
    b->r[3].sample_index = 0;
    b->r[3].prompt_index = 0;
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "UNIQUE"));
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollouts WHERE step = 2"), 0);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM metrics WHERE step = 2"), 0);
    assert_int_equal(sql_int(path, "SELECT n_rollouts FROM runs"), 8);
    store_close(s);
    free(b);
    Query *q = query_open(path, err, sizeof err);
    QuerySeries sr;
    assert_int_equal(query_series(q, 0, "kl", -1, &sr, err, sizeof err), 1);
    assert_true(isnan(sr.values[0]));
    query_series_free(&sr);
    query_close(q);
}

static void test_rollback(void **state) {
    const char *path = db_path("rollback.db");
    char err[512];
    Store *s = open_with_run(path, "rb");
    StepBuf *b = malloc(sizeof *b);
    for (int step = 1; step <= 10; step++) {
        make_step(b, step, 2, 4);
        if (step == 9) b->r[0].reward = 99;   /* the best reward, about to be rolled back */
        assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
        if (step % 3 == 0) {
            Event ck = {.kind = EVENT_CHECKPOINT, .step = step};
            snprintf(ck.detail, sizeof ck.detail, "ck/step-%d", step);
            assert_int_equal(store_write_event(s, &ck, err, sizeof err), 0);
            StoreEval e = {.step = step, .pass1 = 0.1 * step, .k = 4, .problems = 10};
            assert_int_equal(store_write_eval(s, &e, err, sizeof err), 0);
        }
    }
    free(b);
    StoreCheckpoint c;
    assert_int_equal(store_last_checkpoint(s, &c, err, sizeof err), 1);
    assert_int_equal(c.step, 9);
    /* Resume from the checkpoint of step 6: 7..10 go. */
    assert_int_equal(store_rollback_after(s, 6, err, sizeof err), 4 * 8);
    assert_int_equal(store_last_checkpoint(s, &c, err, sizeof err), 1);
    assert_int_equal(c.step, 6);
    assert_string_equal(c.path, "ck/step-6");
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollouts"), 6 * 8);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_texts"), 6 * 8);
    assert_int_equal(sql_int(path, "SELECT max(step) FROM metrics"), 6);
    assert_int_equal(sql_int(path, "SELECT max(step) FROM evals"), 6);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM events"), 3);   /* history stays */
    assert_int_equal(sql_int(path, "SELECT last_step FROM runs"), 6);
    assert_int_equal(sql_int(path, "SELECT n_rollouts FROM runs"), 48);
    assert_true(sql_int(path, "SELECT best_reward < 99 FROM runs") == 1);
    sql_exec(path, "INSERT INTO rollouts_fts(rollouts_fts) VALUES ('integrity-check');");
    Query *q = query_open(path, err, sizeof err);
    QueryFilter f;
    query_filter_init(&f);
    snprintf(f.search, sizeof f.search, "step8");
    assert_int_equal(query_count(q, &f, err, sizeof err), 0);
    snprintf(f.search, sizeof f.search, "step6");
    assert_int_equal(query_count(q, &f, err, sizeof err), 8);
    query_close(q);
    /* Steps written after the rollback count once. */
    b = malloc(sizeof *b);
    make_step(b, 7, 2, 4);
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
    free(b);
    assert_int_equal(sql_int(path, "SELECT n_rollouts FROM runs"), 56);
    store_close(s);
    /* Resume selects the newest run and marks it running again. */
    sql_exec(path, "UPDATE runs SET status = 'failed'");
    s = store_open(path, err, sizeof err);
    assert_int_equal(store_use_run(s, 0, err, sizeof err), 1);
    assert_int_equal(store_use_run(s, 42, err, sizeof err), -1);
    assert_non_null(strstr(err, "no run with id 42"));
    store_close(s);
    assert_int_equal(sql_int(path, "SELECT status = 'running' FROM runs"), 1);
}

static void test_async_writer(void **state) {
    const char *path = db_path("async.db");
    char err[512];
    Store *s = open_with_run(path, "async");
    StoreWriter *w = store_writer_start(s, NULL, NULL, err, sizeof err);
    assert_non_null(w);
    StepBuf *b = malloc(sizeof *b);
    for (int step = 1; step <= 40; step++) {
        make_step(b, step, 4, 4);
        assert_int_equal(store_writer_step(w, &b->rec), 0);
        memset(b, 0x5a, sizeof *b);          /* the caller's buffers are reused at once: the writer copied them */
        Event ev = {.kind = EVENT_SET, .step = step};
        snprintf(ev.name, sizeof ev.name, "grpo.beta");
        snprintf(ev.new_value, sizeof ev.new_value, "%d", step);
        assert_int_equal(store_writer_event(w, &ev), 0);
    }
    assert_int_equal(store_writer_checkpoint(w, 40, "ck/step-40", "abc"), 0);
    StoreEval e = {.step = 40, .pass1 = 0.5, .k = 2, .problems = 3};
    assert_int_equal(store_writer_eval(w, &e), 0);
    assert_int_equal(store_writer_status(w, "done", 2e9), 0);
    assert_int_equal(store_writer_flush(w), 0);
    assert_int_equal(store_writer_pending(w), 0);
    int64_t steps;
    double ms;
    store_writer_stats(w, &steps, &ms);
    assert_int_equal(steps, 40);
    assert_true(ms >= 0);
    assert_int_equal(store_writer_error(w, err, sizeof err), 0);
    assert_int_equal(store_writer_stop(w, err, sizeof err), 0);
    assert_int_equal(store_writer_stop(NULL, err, sizeof err), 0);
    store_close(s);
    free(b);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollouts"), 40 * 16);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_texts WHERE completion LIKE '<think>step%'"), 40 * 16);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM events"), 40);
    /* In order: event ids follow the steps. */
    assert_int_equal(sql_int(path, "SELECT count(*) FROM events WHERE CAST(new_value AS INTEGER) != step"), 0);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM checkpoints WHERE sha256 = 'abc'"), 1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM evals"), 1);
    assert_int_equal(sql_int(path, "SELECT status = 'done' FROM runs"), 1);
}

static void test_async_writer_error_is_sticky(void **state) {
    const char *path = db_path("async_err.db");
    char err[512];
    Store *s = open_with_run(path, "err");
    StoreWriter *w = store_writer_start(s, NULL, NULL, err, sizeof err);
    StepBuf *b = malloc(sizeof *b);
    make_step(b, 1, 2, 2);
    b->r[1].sample_index = 0;                 /* duplicate key: this step fails */
    assert_int_equal(store_writer_step(w, &b->rec), 0);
    assert_int_equal(store_writer_flush(w), -1);
    assert_int_equal(store_writer_error(w, err, sizeof err), 1);
    assert_non_null(strstr(err, path));
    make_step(b, 2, 2, 2);
    assert_int_equal(store_writer_step(w, &b->rec), -1);   /* refused after the failure */
    char err2[512];
    assert_int_equal(store_writer_stop(w, err2, sizeof err2), -1);
    assert_string_equal(err, err2);
    store_close(s);
    free(b);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollouts"), 0);
    /* A writer needs a selected run. */
    s = store_open(path, err, sizeof err);
    assert_null(store_writer_start(s, NULL, NULL, err, sizeof err));
    store_close(s);
}

/* What the writer's error callback was told, and when. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    char msg[1024];
} ErrSink;

static void sink_error(void *ud, const char *error) {
    ErrSink *k = ud;
    pthread_mutex_lock(&k->mu);
    k->calls++;
    snprintf(k->msg, sizeof k->msg, "%s", error);
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

static off_t file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* The disk fills up under a running writer: the failure reaches the error callback while nothing else is queued -
 * no flush, no stop - so the trainer can stop at once instead of learning about it at exit. A file size limit
 * (RLIMIT_FSIZE, SIGXFSZ ignored) makes the next write fail with EFBIG, as a full disk does with ENOSPC. */
static void test_async_writer_reports_failure_when_it_happens(void **state) {
    const char *path = db_path("full.db");
    char err[512], wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    ErrSink sink = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Store *s = open_with_run(path, "full");
    StoreWriter *w = store_writer_start(s, sink_error, &sink, err, sizeof err);
    assert_non_null(w);
    StepBuf *b = malloc(sizeof *b);
    make_step(b, 1, 4, 4);
    assert_int_equal(store_writer_step(w, &b->rec), 0);
    assert_int_equal(store_writer_flush(w), 0);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    off_t cap = file_size(wal) > file_size(path) ? file_size(wal) : file_size(path);
    lim.rlim_cur = (rlim_t)cap;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    make_step(b, 2, 4, 4);
    assert_int_equal(store_writer_step(w, &b->rec), 0);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;    /* only a bound for a broken writer; the callback comes as soon as the write fails */
    pthread_mutex_lock(&sink.mu);
    while (sink.calls == 0 && pthread_cond_timedwait(&sink.cv, &sink.mu, &deadline) == 0) {}
    int calls = sink.calls;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", sink.msg);
    pthread_mutex_unlock(&sink.mu);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);

    assert_int_equal(calls, 1);
    assert_non_null(strstr(msg, path));
    assert_int_equal(store_writer_error(w, err, sizeof err), 1);
    assert_string_equal(err, msg);
    make_step(b, 3, 4, 4);
    assert_int_equal(store_writer_step(w, &b->rec), -1);    /* refused after the failure; not told again */
    assert_int_equal(store_writer_stop(w, err, sizeof err), -1);
    pthread_mutex_lock(&sink.mu);
    assert_int_equal(sink.calls, 1);
    pthread_mutex_unlock(&sink.mu);
    /* Space again: what was committed is there, and the run can be marked failed. */
    assert_int_equal(store_set_status(s, "failed", 2e9, err, sizeof err), 0);
    store_close(s);
    free(b);
    assert_int_equal(sql_int(path, "SELECT count(DISTINCT step) FROM rollouts"), 1);
    assert_int_equal(sql_int(path, "SELECT status = 'failed' FROM runs"), 1);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* One writer per database: a second store_open is refused at once, naming the lock file and our pid; readers keep
 * working; the lock goes with its holder, and a lock file nobody holds (left by a SIGKILL) blocks no one. */
static void test_one_writer_per_database(void **state) {
    const char *path = db_path("locked.db"), *lock = db_path("locked.db.lock");
    char err[512], pid[32];
    snprintf(pid, sizeof pid, "process %ld", (long)getpid());
    Store *a = open_with_run(path, "first");
    assert_true(exists(lock));
    assert_null(store_open(path, err, sizeof err));
    assert_non_null(strstr(err, lock));
    assert_non_null(strstr(err, pid));
    assert_null(store_open_existing(path, err, sizeof err));
    assert_non_null(strstr(err, pid));
    Query *q = query_open(path, err, sizeof err);          /* readers take no lock */
    if (!q) fail_msg("reader refused while a writer holds the lock: %s", err);
    query_close(q);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM runs"), 1);
    store_close(a);
    assert_false(exists(lock));                            /* a clean close leaves nothing behind */

    FILE *f = fopen(lock, "w");                            /* stale: written by a process that is gone */
    fputs("999999999\n", f);
    fclose(f);
    Store *b = store_open_existing(path, err, sizeof err);
    if (!b) fail_msg("a stale lock file blocked the writer: %s", err);
    store_close(b);
    assert_false(exists(lock));
}

/* Opening for resume: a missing path, an empty file and a file that is not SQLite are refused and left exactly as
 * they were - nothing created, no schema written, no lock file left behind. */
static void test_open_existing_touches_nothing(void **state) {
    char err[512];
    const char *missing = db_path("nothing-here.db");
    assert_null(store_open_existing(missing, err, sizeof err));
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "no such"));
    assert_false(exists(missing));
    assert_false(exists(db_path("nothing-here.db.lock")));

    const char *empty = db_path("empty.db");
    fclose(fopen(empty, "w"));
    assert_null(store_open_existing(empty, err, sizeof err));
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(file_size(empty), 0);
    assert_null(query_open(empty, err, sizeof err));       /* a reader does not give it a schema either */
    assert_int_equal(file_size(empty), 0);
    assert_false(exists(db_path("empty.db.lock")));
    assert_false(exists(db_path("empty.db-wal")));

    const char *junk = db_path("text.db");
    FILE *f = fopen(junk, "w");
    fputs("this is not sqlite at all, just some text that is long enough to be a header ...........", f);
    fclose(f);
    off_t n = file_size(junk);
    assert_null(store_open_existing(junk, err, sizeof err));
    assert_non_null(strstr(err, junk));
    assert_int_equal(file_size(junk), n);
    assert_false(exists(db_path("text.db.lock")));
}

/* A second connection reads while a write transaction is open, and sees steps whole or not at all. */
static void test_reader_during_write(void **state) {
    const char *path = db_path("concurrent.db");
    char err[512];
    Store *s = open_with_run(path, "c");
    StepBuf *b = malloc(sizeof *b);
    make_step(b, 1, 2, 4);
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
    store_close(s);

    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "BEGIN IMMEDIATE; INSERT INTO rollouts (run_id, step, prompt_index,"
                                  " sample_index) VALUES (1, 2, 0, 0); INSERT INTO rollout_texts (id, completion)"
                                  " VALUES (last_insert_rowid(), 'uncommitted zebra');",
                                  NULL, NULL, NULL), SQLITE_OK);
    Query *q = query_open(path, err, sizeof err);
    if (!q) fail_msg("%s", err);
    int64_t v0 = query_data_version(q);
    QueryFilter f;
    query_filter_init(&f);
    assert_int_equal(query_count(q, &f, err, sizeof err), 8);
    QueryRolloutList l;
    assert_int_equal(query_rollouts(q, &f, 100, 0, &l, err, sizeof err), 8);
    query_rollouts_free(&l);
    snprintf(f.search, sizeof f.search, "zebra");
    assert_int_equal(query_count(q, &f, err, sizeof err), 0);
    assert_int_equal(sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(query_count(q, &f, err, sizeof err), 1);
    assert_true(query_data_version(q) != v0);
    query_close(q);
    sqlite3_close(raw);

    /* A writer thread commits steps while this thread counts: always whole steps of 16. */
    s = store_open(path, err, sizeof err);
    assert_int_equal(store_use_run(s, 1, err, sizeof err), 1);
    StoreWriter *w = store_writer_start(s, NULL, NULL, err, sizeof err);
    for (int step = 10; step < 70; step++) {
        make_step(b, step, 4, 4);
        assert_int_equal(store_writer_step(w, &b->rec), 0);
    }
    q = query_open(path, err, sizeof err);
    query_filter_init(&f);
    f.step_min = 10;
    int reads = 0;
    for (;;) {
        int64_t n = query_count(q, &f, err, sizeof err);
        if (n < 0) fail_msg("%s", err);
        assert_int_equal(n % 16, 0);
        if (store_writer_error(w, err, sizeof err)) fail_msg("writer: %s", err);
        reads++;
        if (n == 60 * 16) break;
    }
    assert_true(reads >= 1);
    assert_int_equal(store_writer_stop(w, err, sizeof err), 0);
    query_close(q);
    store_close(s);
    free(b);
}

/* A version-2 database (made by the migrations as they were up to 2) takes the fork columns: its old run reads as
 * not forked, and a forked run written after the migration reads back its parent database, run and step, and the
 * checkpoints it can be forked from are listed by step. */
static void test_migrate_from_v2_fork_parents(void **state) {
    (void)state;
    const char *path = db_path("v2.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(store_db_migrate(raw, 0, 2), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "INSERT INTO runs (id, name, start_time, status, parent_checkpoint) VALUES "
                                  "(1, 'old', 1000, 'done', 'assets/base'); INSERT INTO checkpoints VALUES "
                                  "(1, 20, 'x/run-1/step-000020', 'ab', 1001), (1, 10, 'x/run-1/step-000010', '', 1000);",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(sql_int(path, "PRAGMA user_version"), 2);
    char err[512];
    Store *s = store_open(path, err, sizeof err);
    if (!s) fail_msg("%s", err);
    assert_int_equal(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    StoreRunInfo info = {.name = "child", .config_text = "[run]\nseed = 7\n", .parent_checkpoint = "x/run-1/step-000020",
                         .parent_db = "/elsewhere/p.db", .parent_run = 1, .parent_step = 20};
    assert_int_equal(store_begin_run(s, &info, err, sizeof err), 2);
    StoreRunInfo same = {.name = "sibling", .parent_run = 1, .parent_step = 10};
    assert_int_equal(store_begin_run(s, &same, err, sizeof err), 3);
    store_close(s);

    Query *q = query_open(path, err, sizeof err);
    assert_non_null(q);
    QueryRun run;
    assert_int_equal(query_run(q, 1, &run, err, sizeof err), 1);
    assert_int_equal(run.parent_run, 0);
    assert_string_equal(run.parent_db, "");
    assert_string_equal(run.parent_checkpoint, "assets/base");
    query_run_free(&run);
    assert_int_equal(query_run(q, 2, &run, err, sizeof err), 1);
    assert_int_equal(run.parent_run, 1);
    assert_int_equal(run.parent_step, 20);
    assert_string_equal(run.parent_db, "/elsewhere/p.db");
    assert_string_equal(run.parent_checkpoint, "x/run-1/step-000020");
    query_run_free(&run);
    assert_int_equal(query_run(q, 3, &run, err, sizeof err), 1);
    assert_int_equal(run.parent_run, 1);
    assert_int_equal(run.parent_step, 10);
    assert_string_equal(run.parent_db, "");   /* NULL: the same database */
    query_run_free(&run);
    QueryCheckpointList cl;
    assert_int_equal(query_checkpoints(q, 1, &cl, err, sizeof err), 2);
    assert_int_equal(cl.items[0].step, 10);
    assert_string_equal(cl.items[1].path, "x/run-1/step-000020");
    assert_string_equal(cl.items[1].sha256, "ab");
    query_checkpoints_free(&cl);
    assert_int_equal(query_checkpoints(q, 2, &cl, err, sizeof err), 0);
    query_checkpoints_free(&cl);
    query_close(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_created),
        cmocka_unit_test(test_migrate_from_v1),
        cmocka_unit_test(test_migrate_from_v2_fork_parents),
        cmocka_unit_test(test_refuse_newer_and_foreign),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rewrite_step_and_nan),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_async_writer),
        cmocka_unit_test(test_async_writer_error_is_sticky),
        cmocka_unit_test(test_reader_during_write),
        cmocka_unit_test(test_async_writer_reports_failure_when_it_happens),
        cmocka_unit_test(test_one_writer_per_database),
        cmocka_unit_test(test_open_existing_touches_nothing),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
