/* test_export.c - JSON Lines export (storage/export.h) and the export command (ui/cmd_export.c) on a real database:
 * every line parses with jansson and holds the documented fields; filters apply; text that is not UTF-8 and NaN
 * still give valid JSON; the SFT set keeps only correct, well-formatted, short-enough completions, deduplicated
 * and capped per prompt when asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/export.h"
#include "storage/store.h"
#include "ui/commands.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { STEPS = 3, P = 2, G = 3, N = STEPS * P * G };

static char g_dir[64], g_db[128];
static Rollout g_r[N];
static char g_completion[N][96], g_prompt[STEPS * P][48];

static int setup(void **state) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_export_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_db, sizeof g_db, "%s/e.db", g_dir);
    char err[512];
    Store *s = store_open(g_db, err, sizeof err);
    if (!s) return -1;
    StoreRunInfo info = {.name = "exp-run"};
    if (store_begin_run(s, &info, err, sizeof err) < 0) return -1;
    int k = 0;
    for (int step = 1; step <= STEPS; step++) {
        for (int p = 0; p < P; p++) {
            snprintf(g_prompt[(step - 1) * P + p], 48, "Q%d", p);   /* the same prompts every step */
            for (int g = 0; g < G; g++, k++) {
                Rollout *r = &g_r[k];
                r->step = step;
                r->prompt_index = p;
                r->sample_index = g;
                r->task = "add";
                r->prompt = g_prompt[(step - 1) * P + p];
                /* samples 0 and 1 say the same thing: duplicates for --dedup */
                snprintf(g_completion[k], 96, "<think>ok</think> <answer>%d</answer>%s", p, g == 2 ? " again" : "");
                r->completion = g_completion[k];
                r->answer = "7";
                r->correct = g != 1 || step == 2;
                r->r_accuracy = (float)r->correct;
                r->r_format = step == 3 && g == 0 ? 0.5f : 1.f;
                r->r_language = 0.25f;
                r->reward = r->r_accuracy + 0.5f * r->r_format;
                r->advantage = (float)g - 1.f;
                r->length = 10 * (g + 1);
                r->finish = g == 2 ? 2 : 1;
                r->flags = (unsigned)g | (step == 3 ? ROLLOUT_FLAG_DROPPED : 0u); /* step 3: a dropped group */
            }
        }
        StepRecord rec = {.step = step, .n_rollouts = P * G, .rollouts = &g_r[(step - 1) * P * G]};
        if (store_write_step(s, &rec, err, sizeof err) != 0) return -1;
    }
    /* One more step with a completion that is not UTF-8 and a NaN advantage. */
    Rollout odd = {.step = 4, .task = "add", .prompt = "Q0", .completion = "bad \xff\xfe byte \xc3", .answer = "7",
                   .reward = 0.5f, .advantage = NAN, .length = 5, .finish = 3};
    StepRecord rec = {.step = 4, .n_rollouts = 1, .rollouts = &odd};
    if (store_write_step(s, &rec, err, sizeof err) != 0) return -1;
    store_close(s);
    return 0;
}

static int teardown(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Parses every line of path; returns how many; each object goes to fn (may be NULL). */
static int parse_lines(const char *path, void (*fn)(json_t *, void *), void *ud) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        assert_int_equal(line[len - 1], '\n');
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        if (!o) fail_msg("line %d does not parse: %s: %s", n + 1, je.text, line);
        assert_true(json_is_object(o));
        if (fn) fn(o, ud);
        json_decref(o);
        n++;
    }
    free(line);
    fclose(f);
    return n;
}

static void check_fields(json_t *o, void *ud) {
    int *seen_bad = ud;
    const char *keys[] = {"run_id", "run", "step", "prompt_index", "sample_index", "task", "prompt", "completion", "answer",
                          "reward", "rewards", "advantage", "length", "finish", "correct", "flags"};
    assert_int_equal(json_object_size(o), 16);
    for (int i = 0; i < 16; i++)
        if (!json_object_get(o, keys[i])) fail_msg("missing key %s", keys[i]);
    assert_string_equal(json_string_value(json_object_get(o, "run")), "exp-run");
    assert_int_equal(json_integer_value(json_object_get(o, "run_id")), 1);
    assert_true(json_is_integer(json_object_get(o, "step")));
    assert_true(json_is_boolean(json_object_get(o, "correct")));
    json_t *rw = json_object_get(o, "rewards"), *fl = json_object_get(o, "flags");
    assert_true(json_is_number(json_object_get(rw, "accuracy")));
    assert_true(json_is_number(json_object_get(rw, "format")));
    assert_true(json_is_number(json_object_get(rw, "language")));
    assert_true(json_is_boolean(json_object_get(fl, "reflection")));
    assert_true(json_is_boolean(json_object_get(fl, "self_correction")));
    int step = (int)json_integer_value(json_object_get(o, "step"));
    if (step == 4) {
        *seen_bad = 1;
        assert_true(json_is_null(json_object_get(o, "advantage")));
        assert_string_equal(json_string_value(json_object_get(o, "completion")), "bad \xef\xbf\xbd\xef\xbf\xbd byte \xef\xbf\xbd");
        assert_string_equal(json_string_value(json_object_get(o, "finish")), "aborted");
        return;
    }
    int p = (int)json_integer_value(json_object_get(o, "prompt_index"));
    int g = (int)json_integer_value(json_object_get(o, "sample_index"));
    const Rollout *r = &g_r[((step - 1) * P + p) * G + g];
    assert_string_equal(json_string_value(json_object_get(o, "completion")), r->completion);
    assert_string_equal(json_string_value(json_object_get(o, "prompt")), r->prompt);
    assert_string_equal(json_string_value(json_object_get(o, "answer")), "7");
    assert_string_equal(json_string_value(json_object_get(o, "task")), "add");
    assert_float_equal(json_number_value(json_object_get(o, "reward")), r->reward, 1e-6);
    assert_float_equal(json_number_value(json_object_get(rw, "format")), r->r_format, 1e-6);
    assert_float_equal(json_number_value(json_object_get(rw, "language")), 0.25, 1e-6);
    assert_float_equal(json_number_value(json_object_get(o, "advantage")), r->advantage, 1e-6);
    assert_int_equal(json_integer_value(json_object_get(o, "length")), r->length);
    assert_string_equal(json_string_value(json_object_get(o, "finish")), r->finish == 2 ? "length" : "eos");
    assert_int_equal(json_is_true(json_object_get(o, "correct")), r->correct);
    assert_int_equal(json_is_true(json_object_get(fl, "reflection")), (r->flags & 1) != 0);
    assert_int_equal(json_is_true(json_object_get(fl, "self_correction")), (r->flags & 2) != 0);
    assert_int_equal(json_is_true(json_object_get(fl, "dropped")), (r->flags & ROLLOUT_FLAG_DROPPED) != 0);
}

static const char *out_path(const char *name) {
    static char buf[160];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

static void test_jsonl_every_field(void **state) {
    char err[512];
    Query *q = query_open(g_db, err, sizeof err);
    assert_non_null(q);
    QueryFilter f;
    query_filter_init(&f);
    const char *path = out_path("all.jsonl");
    FILE *out = fopen(path, "w");
    int64_t written = -1;
    assert_int_equal(export_jsonl(q, &f, out, &written, err, sizeof err), 0);
    fclose(out);
    assert_int_equal(written, N + 1);
    int seen_bad = 0;
    assert_int_equal(parse_lines(path, check_fields, &seen_bad), N + 1);
    assert_int_equal(seen_bad, 1);

    /* with a filter: correct rollouts from step 2 */
    query_filter_init(&f);
    f.correct = 1;
    f.step_min = 2;
    out = fopen(path, "w");
    assert_int_equal(export_jsonl(q, &f, out, &written, err, sizeof err), 0);
    fclose(out);
    int expect = 0;
    for (int i = 0; i < N; i++) expect += g_r[i].correct && g_r[i].step >= 2;
    assert_int_equal(written, expect);
    assert_int_equal(parse_lines(path, check_fields, &seen_bad), expect);

    /* a malformed search fails cleanly */
    f.search_mode = QUERY_SEARCH_FTS;
    snprintf(f.search, sizeof f.search, "answer AND");
    out = fopen(path, "w");
    assert_int_equal(export_jsonl(q, &f, out, &written, err, sizeof err), -1);
    assert_non_null(strstr(err, "search"));
    fclose(out);
    query_close(q);
}

typedef struct { int n; char seen[64][128]; } Pairs;
static void collect_pair(json_t *o, void *ud) {
    Pairs *p = ud;
    assert_int_equal(json_object_size(o), 2);
    const char *pr = json_string_value(json_object_get(o, "prompt")), *c = json_string_value(json_object_get(o, "completion"));
    assert_non_null(pr);
    assert_non_null(c);
    snprintf(p->seen[p->n++], 128, "%s|%s", pr, c);
}

static void test_sft(void **state) {
    char err[512];
    Query *q = query_open(g_db, err, sizeof err);
    QueryFilter f;
    query_filter_init(&f);
    const char *path = out_path("sft.jsonl");
    int64_t written;
    /* no options: every correct, format == 1 rollout */
    FILE *out = fopen(path, "w");
    assert_int_equal(export_sft(q, &f, NULL, out, &written, err, sizeof err), 0);
    fclose(out);
    int expect = 0;
    for (int i = 0; i < N; i++) expect += g_r[i].correct && g_r[i].r_format == 1.f;
    assert_int_equal(written, expect);
    Pairs pairs = {0};
    assert_int_equal(parse_lines(path, collect_pair, &pairs), expect);
    /* length limit */
    ExportSftOptions o = {.max_length = 20};
    out = fopen(path, "w");
    assert_int_equal(export_sft(q, &f, &o, out, &written, err, sizeof err), 0);
    fclose(out);
    expect = 0;
    for (int i = 0; i < N; i++) expect += g_r[i].correct && g_r[i].r_format == 1.f && g_r[i].length <= 20;
    assert_int_equal(written, expect);
    /* dedup: distinct (prompt, completion) pairs only: 2 prompts x 2 texts */
    o = (ExportSftOptions){.dedup = 1};
    out = fopen(path, "w");
    assert_int_equal(export_sft(q, &f, &o, out, &written, err, sizeof err), 0);
    fclose(out);
    assert_int_equal(written, 4);
    memset(&pairs, 0, sizeof pairs);
    parse_lines(path, collect_pair, &pairs);
    for (int i = 0; i < pairs.n; i++)
        for (int j = i + 1; j < pairs.n; j++) assert_string_not_equal(pairs.seen[i], pairs.seen[j]);
    /* at most one per prompt */
    o = (ExportSftOptions){.per_prompt = 1};
    out = fopen(path, "w");
    assert_int_equal(export_sft(q, &f, &o, out, &written, err, sizeof err), 0);
    fclose(out);
    assert_int_equal(written, 2);
    query_close(q);
}

static void test_cmd_export(void **state) {
    const char *path = out_path("cmd.jsonl");
    char *argv1[] = {"export", g_db, "--jsonl", (char *)path, "--correct", "--min-step", "2", "--max-step", "3",
                     "--min-reward", "1", "--search", "answer", NULL};
    assert_int_equal(cmd_export(13, argv1), 0);
    int expect = 0;
    for (int i = 0; i < N; i++) expect += g_r[i].correct && g_r[i].step >= 2 && g_r[i].reward >= 1;
    int seen_bad = 0;
    assert_int_equal(parse_lines(path, check_fields, &seen_bad), expect);
    char tmp[200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);

    const char *sft = out_path("cmd_sft.jsonl");
    char *argv2[] = {"export", g_db, "--jsonl", (char *)sft, "--sft", "--max-length", "20", "--dedup", NULL};
    assert_int_equal(cmd_export(8, argv2), 0);
    Pairs pairs = {0};
    assert_true(parse_lines(sft, collect_pair, &pairs) > 0);

    const char *bad = out_path("bad.jsonl");
    char *argv3[] = {"export", g_db, "--jsonl", (char *)bad, "--fts", "--search", "\"open", NULL};
    assert_int_equal(cmd_export(7, argv3), 2);
    assert_int_not_equal(access(bad, F_OK), 0);
    char *argv4[] = {"export", g_db, "--jsonl", (char *)bad, "--min-step", "x", NULL};
    assert_int_equal(cmd_export(6, argv4), 2);
    char *argv5[] = {"export", (char *)out_path("missing.db"), "--jsonl", (char *)bad, NULL};
    assert_int_equal(cmd_export(4, argv5), 1);
    char *argv6[] = {"export", g_db, NULL};
    assert_int_equal(cmd_export(2, argv6), 2);
    char *argv7[] = {"export", "--help", NULL};
    assert_int_equal(cmd_export(2, argv7), 0);
}

typedef struct { int n; long long ids[8]; int lines[8]; } RunIds;
static void collect_run_id(json_t *o, void *ud) {
    RunIds *r = ud;
    assert_string_equal(json_string_value(json_object_get(o, "run")), "default");
    long long id = json_integer_value(json_object_get(o, "run_id"));
    int i = 0;
    while (i < r->n && r->ids[i] != id) i++;
    if (i == r->n) { assert_true(r->n < 8); r->ids[r->n++] = id; }
    r->lines[i]++;
}

/* Two runs of the same name in one database: every line says which run it came from by id, so they stay apart. */
static void test_runs_keyed_by_id(void **state) {
    char err[512], db[160];
    snprintf(db, sizeof db, "%s/two.db", g_dir);
    Store *s = store_open(db, err, sizeof err);
    assert_non_null(s);
    StoreRunInfo info = {.name = "default"};
    for (int run = 1; run <= 2; run++) {
        assert_int_equal(store_begin_run(s, &info, err, sizeof err), run);
        StepRecord rec = {.step = 1, .n_rollouts = run * 2, .rollouts = g_r};   /* run 1: 2 rollouts, run 2: 4 */
        assert_int_equal(store_write_step(s, &rec, err, sizeof err), 0);
    }
    store_close(s);
    const char *path = out_path("two.jsonl");
    char *argv[] = {"export", db, "--jsonl", (char *)path, NULL};
    assert_int_equal(cmd_export(4, argv), 0);
    RunIds ids = {0};
    assert_int_equal(parse_lines(path, collect_run_id, &ids), 6);
    assert_int_equal(ids.n, 2);
    for (int i = 0; i < 2; i++) assert_int_equal(ids.lines[i], 2 * (int)ids.ids[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl_every_field),
        cmocka_unit_test(test_sft),
        cmocka_unit_test(test_cmd_export),
        cmocka_unit_test(test_runs_keyed_by_id),
    };
    return cmocka_run_group_tests_name("export", tests, setup, teardown);
}
