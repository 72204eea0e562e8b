/* test_store_tokens.c - the per-token record in the run database: the blob codec (storage/token_blob.h: half
 * floats rounded to nearest even, subnormals, infinities; ids in 1, 2 or 4 bytes; malformed blobs refused), a round
 * trip through the asynchronous writer (ids, log-probs, entropies, a ratio present or absent), token rows deleted
 * with their rollouts (resume rollback, a deleted run), and a database from before the token table: it opens, is
 * migrated, and its rollouts read without token data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/query.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/token_blob.h"
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_store_tokens_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *db_path(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
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

static void test_f16_values(void **state) {
    /* exact in binary16 */
    const float exact[] = {0.0f, 1.0f, -2.0f, 0.5f, 65504.0f, -0.125f, 6.103515625e-05f /* smallest normal */,
                           5.960464477539063e-08f /* smallest subnormal */, 1.0009765625f};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        assert_true(token_f16_to_float(token_f16_from_float(exact[i])) == exact[i]);
    assert_int_equal(token_f16_from_float(1.0f), 0x3c00);
    assert_int_equal(token_f16_from_float(-2.0f), 0xc000);
    /* ties to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10 */
    assert_int_equal(token_f16_from_float(1.0f + ldexpf(1, -11)), 0x3c00);
    assert_int_equal(token_f16_from_float(1.0f + 3 * ldexpf(1, -11)), 0x3c02);
    /* beyond the range, and the specials */
    assert_true(isinf(token_f16_to_float(token_f16_from_float(1e6f))));
    assert_true(isinf(token_f16_to_float(token_f16_from_float(-INFINITY))) &&
                token_f16_to_float(token_f16_from_float(-INFINITY)) < 0);
    assert_true(isnan(token_f16_to_float(token_f16_from_float(NAN))));
    assert_true(token_f16_to_float(token_f16_from_float(1e-9f)) == 0.0f);
    /* what the view shows: a relative error below 2^-11 over the values a log-prob or an entropy takes */
    for (float v = -40.0f; v < 40.0f; v += 0.0137f) {
        float back = token_f16_to_float(token_f16_from_float(v));
        assert_true(fabsf(back - v) <= fabsf(v) * 4.9e-4f + 6e-8f);
    }
}

static void test_id_blobs(void **state) {
    int ids[5] = {3, 0, 255, 7, 1}, back[8];
    unsigned char blob[32];
    assert_int_equal(token_blob_ids_bytes(ids, 5), 6); /* a character model: a byte an id */
    assert_int_equal(token_blob_put_ids(blob, ids, 5), 6);
    assert_int_equal(blob[0], 1);
    assert_int_equal(token_blob_get_ids(blob, 6, back, 8), 5);
    assert_memory_equal(back, ids, sizeof ids);
    ids[2] = 151643;                                   /* a Qwen special: four bytes */
    assert_int_equal(token_blob_put_ids(blob, ids, 5), 21);
    assert_int_equal(token_blob_get_ids(blob, 21, back, 8), 5);
    assert_memory_equal(back, ids, sizeof ids);
    ids[2] = 40000;
    assert_int_equal(token_blob_put_ids(blob, ids, 5), 11);
    assert_int_equal(token_blob_get_ids(blob, 11, back, 8), 5);
    assert_int_equal(back[2], 40000);
    /* malformed: an unknown width, a partial id, more ids than room, nothing at all */
    blob[0] = 3;
    assert_int_equal(token_blob_get_ids(blob, 11, back, 8), -1);
    blob[0] = 2;
    assert_int_equal(token_blob_get_ids(blob, 10, back, 8), -1);
    assert_int_equal(token_blob_get_ids(blob, 11, back, 4), -1);
    assert_int_equal(token_blob_get_ids(blob, 0, back, 8), -1);
    float f[3] = {-1.5f, 0.25f, 2.0f}, g[3];
    assert_int_equal(token_blob_put_f16(blob, f, 3), 6);
    assert_int_equal(token_blob_get_f16(blob, 6, g, 3), 3);
    assert_memory_equal(f, g, sizeof f);
    assert_int_equal(token_blob_get_f16(blob, 5, g, 3), -1);
    assert_int_equal(token_blob_get_f16(blob, 6, g, 2), -1);
}

enum { NR = 6, NT = 40 };
typedef struct {
    Rollout r[NR];
    int ids[NR][NT];
    float lp[NR][NT], ent[NR][NT], ratio[NR][NT];
    StepRecord rec;
} TokStep;

static float lp_of(int i, int j) { return -0.01f * (float)((i * 7 + j * 13) % 900); }
static float ent_of(int i, int j) { return 0.05f * (float)((i + j) % 60); }
static float ratio_of(int i, int j) { return 0.8f + 0.01f * (float)((i * 3 + j) % 40); }

/* Rollouts of NT - i tokens; rollout 0 has no tokens at all, rollout 1 no ratio. */
static void make_tok_step(TokStep *b, int step) {
    memset(b, 0, sizeof *b);
    for (int i = 0; i < NR; i++) {
        Rollout *r = &b->r[i];
        *r = (Rollout){.step = step, .prompt_index = i / 2, .sample_index = i % 2, .task = "add", .prompt = "1+2=",
                       .completion = "3</think><answer>3</answer>", .answer = "3", .length = NT - i, .finish = 1};
        for (int j = 0; j < NT; j++) {
            b->ids[i][j] = (i * 31 + j * 17) % (i == 5 ? 70000 : 40);
            b->lp[i][j] = lp_of(i, j);
            b->ent[i][j] = ent_of(i, j);
            b->ratio[i][j] = ratio_of(i, j);
        }
        if (i > 0) {
            r->token_ids = b->ids[i];
            r->token_logprob = b->lp[i];
            r->token_entropy = b->ent[i];
            r->token_ratio = i == 1 ? NULL : b->ratio[i];
        }
    }
    b->rec = (StepRecord){.step = step, .wall_time = 1e9 + step, .n_rollouts = NR, .rollouts = b->r};
}

static Store *open_with_run(const char *path) {
    char err[512];
    Store *s = store_open(path, err, sizeof err);
    if (!s) fail_msg("store_open: %s", err);
    StoreRunInfo info = {.name = "tok", .seed = 1, .start_time = 1e9};
    assert_true(store_begin_run(s, &info, err, sizeof err) > 0);
    return s;
}

static int64_t rollout_id(const char *path, int step, int prompt, int sample) {
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT id FROM rollouts WHERE step = %d AND prompt_index = %d AND sample_index = %d",
             step, prompt, sample);
    return sql_int(path, sql);
}

static void test_round_trip_through_writer(void **state) {
    const char *path = db_path("tokens.db");
    char err[512];
    Store *s = open_with_run(path);
    StoreWriter *w = store_writer_start(s, NULL, NULL, err, sizeof err);
    assert_non_null(w);
    TokStep *b = malloc(sizeof *b);
    for (int step = 1; step <= 3; step++) {
        make_tok_step(b, step);
        assert_int_equal(store_writer_step(w, &b->rec), 0);
        memset(b, 0x5a, sizeof *b); /* the trainer's buffers are reused at once: the writer copied the arrays */
    }
    assert_int_equal(store_writer_stop(w, err, sizeof err), 0);
    store_close(s);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_tokens"), 3 * (NR - 1));
    Query *q = query_open(path, err, sizeof err);
    assert_non_null(q);
    QueryTokens t;
    assert_int_equal(query_rollout_tokens(q, rollout_id(path, 2, 0, 0), &t, err, sizeof err), 0); /* none kept */
    assert_int_equal(t.n, 0);
    assert_null(t.ids);
    for (int i = 1; i < NR; i++) {
        assert_int_equal(query_rollout_tokens(q, rollout_id(path, 2, i / 2, i % 2), &t, err, sizeof err), 1);
        assert_int_equal(t.n, NT - i);
        assert_non_null(t.logprob);
        assert_non_null(t.entropy);
        if (i == 1) assert_null(t.ratio);
        else assert_non_null(t.ratio);
        for (int j = 0; j < t.n; j++) {
            assert_int_equal(t.ids[j], (i * 31 + j * 17) % (i == 5 ? 70000 : 40));
            assert_float_equal(t.logprob[j], lp_of(i, j), 5e-3);
            assert_float_equal(t.entropy[j], ent_of(i, j), 2e-3);
            if (t.ratio) assert_float_equal(t.ratio[j], ratio_of(i, j), 1e-3);
        }
        query_tokens_free(&t);
    }
    query_tokens_free(&t); /* twice is fine */
    query_close(q);
    /* a character model's ids take a byte a token, a value two */
    assert_int_equal(sql_int(path, "SELECT length(ids) FROM rollout_tokens ORDER BY id LIMIT 1"), 1 + (NT - 1));
    assert_int_equal(sql_int(path, "SELECT length(logprob) FROM rollout_tokens ORDER BY id LIMIT 1"), 2 * (NT - 1));
    free(b);
}

static void test_tokens_deleted_with_rollouts(void **state) {
    const char *path = db_path("delete.db");
    char err[512];
    Store *s = open_with_run(path);
    TokStep *b = malloc(sizeof *b);
    for (int step = 1; step <= 4; step++) {
        make_tok_step(b, step);
        assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
    }
    make_tok_step(b, 4); /* a rewritten step replaces its token rows */
    assert_int_equal(store_write_step(s, &b->rec, err, sizeof err), 0);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_tokens"), 4 * (NR - 1));
    assert_int_equal(store_rollback_after(s, 2, err, sizeof err), 2 * NR);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_tokens"), 2 * (NR - 1));
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_tokens WHERE id NOT IN (SELECT id FROM rollouts)"), 0);
    store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM runs", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rollout_tokens"), 0);
    free(b);
}

/* The first schema version that has rollout_tokens, found by migrating one step at a time (the number depends on
 * the order migrations were merged in). */
static int tokens_version(void) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    int found = -1;
    for (int v = 0; v < STORE_SCHEMA_VERSION && found < 0; v++) {
        assert_int_equal(store_db_migrate(db, v, v + 1), SQLITE_OK);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'rollout_tokens'",
                                            -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1) found = v + 1;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    assert_true(found > 0);
    return found;
}

static void test_database_from_before_tokens(void **state) {
    const char *path = db_path("old.db");
    int before = tokens_version() - 1;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(store_db_migrate(db, 0, before), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "INSERT INTO runs (id, name, start_time) VALUES (1, 'old', 1e9);"
        "INSERT INTO rollouts (id, run_id, step, prompt_index, sample_index, length) VALUES (7, 1, 1, 0, 0, 3);"
        "INSERT INTO rollout_texts (id, prompt, completion, answer) VALUES (7, '1+2=', '3</think>', '3');",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[512];
    Query *q = query_open(path, err, sizeof err);
    if (!q) fail_msg("%s", err);
    QueryRollout r;
    assert_int_equal(query_rollout(q, 7, &r, err, sizeof err), 1);
    assert_string_equal(r.completion, "3</think>");
    query_rollout_free(&r);
    QueryTokens t;
    assert_int_equal(query_rollout_tokens(q, 7, &t, err, sizeof err), 0);
    query_close(q);
    /* a damaged blob is an error that names the column and the rollout, not a crash */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO rollout_tokens (id, ids, logprob) VALUES (7, x'0102', x'00')",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    q = query_open(path, err, sizeof err);
    assert_non_null(q);
    assert_int_equal(query_rollout_tokens(q, 7, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "rollout 7"));
    assert_non_null(strstr(err, "logprob"));
    assert_null(t.ids);
    query_close(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_values),
        cmocka_unit_test(test_id_blobs),
        cmocka_unit_test(test_round_trip_through_writer),
        cmocka_unit_test(test_tokens_deleted_with_rollouts),
        cmocka_unit_test(test_database_from_before_tokens),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
