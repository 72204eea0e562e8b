/* test_runs.c - the Runs screen's table (ui/runs.h) on two databases it writes: every run of both, in order, with
 * its last evaluation and wall time; config differences against a chosen run; marks take the lowest free slot and
 * are capped; curves come from the stored metrics; a live database is reloaded when it changes, keeping marks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/store.h"
#include "ui/runs.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[64], g_a[128], g_b[128];

static const char *CFG_A = "[run]\nname = default\nseed = 1\n\n[optim]\nlr = 0.001\n; a comment\n";
static const char *CFG_B = "[run]\nname = default\nseed = 1\n\n[optim]\nlr = 0.0003\n[grpo]\ngroup_size = 8\n";

/* One run: steps 1..steps with reward = step / 10 and an evaluation at every even step (pass@1 = step / 100). */
static void write_run(Store *s, const char *name, const char *cfg, int steps, double start, double end) {
    char err[512];
    StoreRunInfo info = {.name = name, .config_text = cfg, .start_time = start};
    assert_true(store_begin_run(s, &info, err, sizeof err) > 0);
    for (int step = 1; step <= steps; step++) {
        Metric m[2] = {{"reward", step / 10.0}, {"completion_length", 20.0 + step}};
        StepRecord rec = {.step = step, .n_metrics = 2, .metrics = m};
        assert_int_equal(store_write_step(s, &rec, err, sizeof err), 0);
        if (step % 2 == 0) {
            StoreEval e = {.step = step, .pass1 = step / 100.0, .cons_k = step / 50.0, .k = 4, .problems = 10};
            assert_int_equal(store_write_eval(s, &e, err, sizeof err), 0);
        }
    }
    if (end > 0) assert_int_equal(store_set_status(s, "done", end, err, sizeof err), 0);
}

static int setup(void **state) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_runs_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_a, sizeof g_a, "%s/a.db", g_dir);
    snprintf(g_b, sizeof g_b, "%s/b.db", g_dir);
    char err[512];
    Store *s = store_open(g_a, err, sizeof err);
    if (!s) return -1;
    write_run(s, "default", CFG_A, 4, 1000, 1100);
    write_run(s, "default", CFG_B, 6, 2000, 2500);
    store_close(s);
    if (!(s = store_open(g_b, err, sizeof err))) return -1;
    write_run(s, "other", CFG_A, 3, 3000, 0);
    store_close(s);
    return 0;
}

static int teardown(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_every_run_of_every_database(void **state) {
    RunsTable t;
    const char *paths[] = {g_a, g_b};
    assert_int_equal(runs_open(&t, paths, 2), 0);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.items[0].db, 0);
    assert_int_equal(t.items[0].run.id, 1);
    assert_int_equal(t.items[1].run.id, 2);
    assert_int_equal(t.items[2].db, 1);
    assert_int_equal(t.items[2].run.id, 1);
    assert_string_equal(t.items[2].run.name, "other");
    assert_int_equal(t.items[1].run.steps, 6);
    assert_float_equal(t.items[1].pass1, 0.06, 1e-9);
    assert_float_equal(t.items[1].cons_k, 0.12, 1e-9);
    assert_int_equal(t.items[1].eval_step, 6);
    assert_float_equal(runs_wall_time(&t.items[0], 5000), 100, 1e-9);
    assert_float_equal(runs_wall_time(&t.items[2], 3042), 42, 1e-9);   /* still running: up to now */
    runs_close(&t);

    const char *missing[] = {g_a, "/nonexistent/x.db"};
    assert_int_equal(runs_open(&t, missing, 2), -1);
    assert_non_null(strstr(t.err, "/nonexistent/x.db"));
}

static void test_config_diff(void **state) {
    char buf[256];
    assert_int_equal(runs_config_diff(CFG_A, CFG_A, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(runs_config_diff(CFG_A, CFG_B, buf, sizeof buf), 2);
    assert_string_equal(buf, "optim.lr=0.0003 grpo.group_size=8");
    assert_int_equal(runs_config_diff(CFG_B, CFG_A, buf, sizeof buf), 2);
    assert_string_equal(buf, "optim.lr=0.001 grpo.group_size=-");
    char tiny[12];   /* cut, never overrun */
    assert_int_equal(runs_config_diff(CFG_A, CFG_B, tiny, sizeof tiny), 2);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_marks_and_curves(void **state) {
    RunsTable t;
    const char *paths[] = {g_a, g_b};
    assert_int_equal(runs_open(&t, paths, 2), 0);
    assert_int_equal(runs_toggle_mark(&t, 1), 1);
    assert_int_equal(runs_toggle_mark(&t, 2), 2);
    assert_int_equal(runs_toggle_mark(&t, 1), 0);       /* unmarked: slot 1 is free again */
    assert_int_equal(runs_toggle_mark(&t, 0), 1);
    assert_int_equal(runs_marked(&t), 2);
    assert_int_equal(runs_load_curves(&t, 1), 0);
    const RunsCurve *r = &t.items[1].curve[RUNS_CURVE_REWARD], *p = &t.items[1].curve[RUNS_CURVE_PASS1];
    assert_int_equal(r->n, 6);
    assert_float_equal(r->x[5], 6, 0);
    assert_float_equal(r->y[5], 0.6, 1e-9);
    assert_int_equal(p->n, 3);                            /* evaluations at steps 2, 4, 6 */
    assert_float_equal(p->x[0], 2, 0);
    assert_float_equal(p->y[2], 0.06, 1e-9);
    assert_int_equal(t.items[1].curve[RUNS_CURVE_LENGTH].n, 6);

    /* the live database b gets a second run: reloaded, marks kept */
    assert_int_equal(runs_poll(&t), 0);
    char err[512];
    Store *s = store_open(g_b, err, sizeof err);
    assert_non_null(s);
    write_run(s, "third", CFG_B, 2, 4000, 0);
    store_close(s);
    assert_int_equal(runs_poll(&t), 1);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.items[3].run.name, "third");
    assert_int_equal(t.items[0].marked, 1);
    assert_int_equal(t.items[2].marked, 2);
    assert_int_equal(t.items[2].curves_loaded, 1);        /* marked runs' curves are read again */
    runs_close(&t);
}

static void test_mark_cap(void **state) {
    RunsTable t = {0};
    RunsEntry items[RUNS_MAX_MARKED + 1];
    memset(items, 0, sizeof items);
    t.items = items;
    t.n = RUNS_MAX_MARKED + 1;
    for (int i = 0; i < RUNS_MAX_MARKED; i++) assert_int_equal(runs_toggle_mark(&t, i), i + 1);
    assert_int_equal(runs_toggle_mark(&t, RUNS_MAX_MARKED), -1);
    assert_int_equal(items[RUNS_MAX_MARKED].marked, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_run_of_every_database),
        cmocka_unit_test(test_config_diff),
        cmocka_unit_test(test_marks_and_curves),
        cmocka_unit_test(test_mark_cap),
    };
    return cmocka_run_group_tests_name("runs", tests, setup, teardown);
}
