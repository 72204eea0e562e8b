/* test_browser.c - the rollout list model on a database this test writes: keyset windows that visit every row once
 * in order whichever way one moves, filter parsing and its errors, search, the cycles, live refresh while another
 * connection writes, a frozen list that holds still, jumping to a step, a prompt's question; and the metric
 * history a browsed run's charts load (ui/history.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/sampler.h"
#include "storage/store.h"
#include "ui/browser.h"
#include "ui/history.h"
#include "ui/keymap.h"

enum { P = 3, G = 4 };
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static char g_path[256];

/* Steps [from, to] of P prompts x G samples. Sample 0 of each group is correct and says "wait" (reflection);
 * reward = sample index; length = 10 + sample; step 7 prompt 1 has the word "zebra". */
static void write_steps(Store *st, int from, int to) {
    char err[256];
    for (int step = from; step <= to; step++) {
        Rollout r[P * G];
        char text[P * G][96], prompt[P][32];
        for (int p = 0; p < P; p++) {
            snprintf(prompt[p], sizeof prompt[p], "%d+%d=<think>", step, p);
            for (int s = 0; s < G; s++) {
                Rollout *x = &r[p * G + s];
                memset(x, 0, sizeof *x);
                snprintf(text[p * G + s], sizeof text[0], "%s %d</think><answer>%d</answer>",
                         s == 0 ? "wait, check" : (step == 7 && p == 1) ? "zebra crossing" : "plain", s, step + p);
                x->step = step; x->prompt_index = p; x->sample_index = s; x->task = "add";
                x->prompt = prompt[p]; x->completion = text[p * G + s]; x->answer = "42";
                x->reward = (float)s; x->advantage = (float)s - 1.5f; x->length = 10 + s;
                x->finish = s == 3 ? FINISH_LENGTH : FINISH_EOS;
                x->correct = s == 0;
                x->flags = s == 0 ? ROLLOUT_FLAG_REFLECTION : 0;
            }
        }
        Metric m = {"reward", 1.5};
        StepRecord rec = {step, 1.7e9 + step, P * G, r, 1, &m};
        assert_int_equal(store_write_step(st, &rec, err, sizeof err), 0);
    }
}

static int setup(void **state) {
    snprintf(g_path, sizeof g_path, "/tmp/test_browser_%d.db", (int)getpid());
    unlink(g_path);
    char err[256];
    Store *st = store_open(g_path, err, sizeof err);
    assert_non_null(st);
    StoreRunInfo info = {.name = "browse-test", .seed = 1};
    assert_true(store_begin_run(st, &info, err, sizeof err) > 0);
    write_steps(st, 1, 20);
    *state = st;
    return 0;
}

static int teardown(void **state) {
    store_close(*state);
    char p[300];
    unlink(g_path);
    snprintf(p, sizeof p, "%s-wal", g_path); unlink(p);
    snprintf(p, sizeof p, "%s-shm", g_path); unlink(p);
    return 0;
}

/* Walks the whole list with `action` from the top, collecting ids in visiting order. */
static int walk(Browser *b, int action, int64_t *ids, int max) {
    browser_move(b, ACT_TOP);
    int n = 0;
    int64_t last = -1;
    for (int guard = 0; guard < 10000 && n < max; guard++) {
        const QueryRollout *r = browser_selected(b);
        if (!r) break;
        if (r->id != last) { ids[n++] = r->id; last = r->id; }
        else if (guard > 0) break;   /* did not move: the end */
        browser_move(b, action);
    }
    return n;
}

static void test_open_and_order(void **state) {
    (void)state;
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    assert_string_equal(b.run_name, "browse-test");
    assert_int_equal(b.count, 20 * P * G);
    browser_set_height(&b, 7);
    assert_int_equal(b.rows.n, 7);
    /* newest first */
    assert_int_equal(browser_selected(&b)->step, 20);
    assert_true(b.at_start);
    /* walking down one at a time visits every row once, steps never increasing */
    static int64_t ids[1000];
    int n = walk(&b, ACT_DOWN, ids, 1000);
    assert_int_equal(n, 20 * P * G);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && j < i + 30; j++) assert_true(ids[i] != ids[j]);
    assert_false(b.at_start);
    assert_int_equal(browser_selected(&b)->step, 1);
    /* End and Home */
    browser_move(&b, ACT_TOP);
    assert_int_equal(browser_selected(&b)->step, 20);
    browser_move(&b, ACT_BOTTOM);
    assert_int_equal(browser_selected(&b)->step, 1);
    assert_int_equal(b.cursor, b.rows.n - 1);
    /* page down then page up returns to the same row */
    browser_move(&b, ACT_TOP);
    browser_move(&b, ACT_DOWN);
    int64_t id = browser_selected(&b)->id;
    browser_move(&b, ACT_PAGE_DOWN);
    assert_true(browser_selected(&b)->id != id);
    browser_move(&b, ACT_PAGE_UP);
    assert_int_equal(browser_selected(&b)->id, id);
    /* walking by pages covers every row as well */
    int pages = 0;
    browser_move(&b, ACT_TOP);
    for (int guard = 0; guard < 100; guard++) {
        int64_t before = browser_selected(&b)->id;
        browser_move(&b, ACT_PAGE_DOWN);
        if (browser_selected(&b)->id == before) break;
        pages++;
    }
    assert_true(pages >= (20 * P * G) / 7 - 1);
    assert_int_equal(browser_selected(&b)->step, 1);
    browser_close(&b);
}

static void test_filters(void **state) {
    (void)state;
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    browser_set_height(&b, 50);
    assert_int_equal(browser_set_filter_text(&b, "step=5-6 correct"), 0);
    assert_int_equal(b.count, 2 * P);
    for (int i = 0; i < b.rows.n; i++) {
        assert_true(b.rows.items[i].step >= 5 && b.rows.items[i].step <= 6);
        assert_int_equal(b.rows.items[i].correct, 1);
    }
    char d[256];
    browser_describe(&b, d, sizeof d);
    assert_non_null(strstr(d, "step 5-6"));
    assert_non_null(strstr(d, "correct"));
    assert_int_equal(browser_set_filter_text(&b, "reward>=2 truncated"), 0);
    assert_int_equal(b.count, 20 * P);                 /* sample 3: reward 3, truncated */
    assert_int_equal(browser_set_filter_text(&b, "aha"), 0);
    assert_int_equal(b.count, 20 * P);
    assert_int_equal(browser_set_filter_text(&b, "noaha len<=11"), 0);
    assert_int_equal(b.count, 20 * P);                 /* sample 1 */
    assert_int_equal(browser_set_filter_text(&b, "prompt=2 step>=19"), 0);
    assert_int_equal(b.count, 2 * G);
    /* a bad filter is refused with a message and the previous one stays */
    assert_int_equal(browser_set_filter_text(&b, "step=9-3"), -1);
    assert_non_null(strstr(b.err, "step"));
    assert_int_equal(b.count, 2 * G);
    assert_int_equal(browser_set_filter_text(&b, "colour=red"), -1);
    assert_non_null(strstr(b.err, "unknown"));
    assert_int_equal(browser_set_filter_text(&b, "reward>=x"), -1);
    assert_int_equal(browser_set_filter_text(&b, ""), 0);
    assert_int_equal(b.count, 20 * P * G);
    /* the cycles */
    assert_int_equal(browser_cycle_correct(&b), 0);
    assert_int_equal(b.count, 20 * P);
    assert_int_equal(browser_cycle_correct(&b), 0);
    assert_int_equal(b.count, 20 * P * (G - 1));
    assert_int_equal(browser_cycle_correct(&b), 0);
    assert_int_equal(b.count, 20 * P * G);
    assert_int_equal(browser_cycle_aha(&b), 0);
    assert_int_equal(b.count, 20 * P);
    assert_int_equal(browser_cycle_aha(&b), 0);       /* self-correction: none written */
    assert_int_equal(b.count, 0);
    assert_null(browser_selected(&b));
    browser_move(&b, ACT_DOWN);                        /* moving in an empty list is harmless */
    assert_int_equal(browser_cycle_aha(&b), 0);
    assert_int_equal(b.count, 20 * P * G);
    /* sort by reward, highest first; reverse */
    assert_int_equal(browser_cycle_sort(&b), 0);
    assert_true(browser_selected(&b)->reward == 3.0f);
    assert_int_equal(browser_reverse(&b), 0);
    assert_true(browser_selected(&b)->reward == 0.0f);
    assert_int_equal(browser_clear(&b), 0);
    browser_close(&b);
}

static void test_search(void **state) {
    (void)state;
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    assert_int_equal(browser_set_search(&b, "zebra"), 0);
    assert_int_equal(b.count, G - 1);
    assert_int_equal(browser_selected(&b)->step, 7);
    assert_int_equal(browser_selected(&b)->prompt_index, 1);
    assert_non_null(strstr(browser_selected(&b)->completion, "zebra"));
    char d[256];
    browser_describe(&b, d, sizeof d);
    assert_non_null(strstr(d, "search \"zebra\""));
    /* search and filter together */
    assert_int_equal(browser_set_filter_text(&b, "step=1-6"), 0);
    assert_int_equal(b.count, 0);
    assert_int_equal(browser_clear(&b), 0);
    assert_int_equal(b.count, 20 * P * G);
    /* odd input is taken literally, never an error */
    assert_int_equal(browser_set_search(&b, "\"(AND* :"), 0);
    assert_int_equal(browser_set_search(&b, ""), 0);
    assert_int_equal(b.count, 20 * P * G);
    browser_close(&b);
}

static void test_live_refresh(void **state) {
    Store *st = *state;
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    browser_set_height(&b, 5);
    assert_int_equal(browser_poll(&b), 0);             /* nothing new */
    /* at the top: new steps appear at the top */
    write_steps(st, 21, 21);
    assert_int_equal(browser_poll(&b), 1);
    assert_int_equal(browser_selected(&b)->step, 21);
    assert_int_equal(b.count, 21 * P * G);
    /* the cursor moved down within the first page: new rows do not move the list under it (the same rows on the
     * same lines, the same one selected); back on the first row, the list follows again */
    browser_move(&b, ACT_DOWN);
    browser_move(&b, ACT_DOWN);
    int64_t first = b.rows.items[0].id, chosen = browser_selected(&b)->id;
    write_steps(st, 22, 22);
    assert_int_equal(browser_poll(&b), 1);
    assert_int_equal(b.cursor, 2);
    assert_int_equal(browser_selected(&b)->id, chosen);
    assert_int_equal(b.rows.items[0].id, first);
    assert_int_equal(b.count, 22 * P * G);
    browser_move(&b, ACT_TOP);
    assert_int_equal(browser_selected(&b)->step, 22);
    write_steps(st, 23, 23);
    assert_int_equal(browser_poll(&b), 1);
    assert_int_equal(browser_selected(&b)->step, 23);
    /* further down: the selected row stays selected */
    browser_move(&b, ACT_PAGE_DOWN);
    browser_move(&b, ACT_PAGE_DOWN);
    int64_t id = browser_selected(&b)->id;
    write_steps(st, 24, 24);
    assert_int_equal(browser_poll(&b), 1);
    assert_int_equal(browser_selected(&b)->id, id);
    browser_move(&b, ACT_TOP);
    assert_int_equal(browser_selected(&b)->step, 24);
    browser_close(&b);
}

static void test_errors(void **state) {
    (void)state;
    Browser b;
    assert_int_equal(browser_open(&b, "/nonexistent/dir/x.db", 0), -1);
    assert_true(b.err[0] != 0);
    browser_close(&b);
    assert_int_equal(browser_open(&b, g_path, 999), -1);   /* no such run */
    assert_non_null(strstr(b.err, "no such run"));
    browser_close(&b);
    QueryFilter f;
    query_filter_init(&f);
    char err[256];
    assert_int_equal(browser_parse_filter("step>=3 step<=9 reward<=0.5 wrong", &f, err, sizeof err), 0);
    assert_int_equal(f.step_min, 3);
    assert_int_equal(f.step_max, 9);
    assert_true(f.reward_max == 0.5 && isinf(f.reward_min));
    assert_int_equal(f.correct, 0);
    assert_int_equal(browser_parse_filter("len<0", &f, err, sizeof err), -1);
    assert_int_equal(browser_parse_filter("prompt>2", &f, err, sizeof err), -1);
    assert_int_equal(f.step_min, 3);                      /* untouched after an error */
    /* a bound that leaves no step or length matches nothing (or is refused), never everything */
    assert_int_equal(browser_parse_filter("step<0", &f, err, sizeof err), 0);
    assert_true(f.step_max >= 0 && f.step_max < 1);
    assert_int_equal(browser_parse_filter("step<1", &f, err, sizeof err), 0);
    assert_true(f.step_max >= 0 && f.step_max < 1);
    assert_int_equal(browser_parse_filter("step>=-5", &f, err, sizeof err), -1);
    assert_int_equal(browser_parse_filter("len<1", &f, err, sizeof err), -1);
    assert_int_equal(browser_parse_filter("len<2", &f, err, sizeof err), 0);
    assert_int_equal(f.max_length, 1);
}

/* The newest step written so far (the first row of a fresh browser). */
static int newest_step(void) {
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    browser_set_height(&b, 3);
    int step = browser_selected(&b)->step;
    browser_close(&b);
    return step;
}

static void test_freeze_and_follow(void **state) {
    Store *st = *state;
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    browser_set_height(&b, 5);
    int top = browser_selected(&b)->step;
    /* frozen at the top, on the first row: new rows do not move the list (following would) */
    assert_int_equal(browser_set_frozen(&b, 1), 0);
    int64_t first = b.rows.items[0].id;
    write_steps(st, top + 1, top + 1);
    assert_int_equal(browser_poll(&b), 1);
    assert_int_equal(b.cursor, 0);
    assert_int_equal(browser_selected(&b)->id, first);
    assert_int_equal(browser_selected(&b)->step, top);
    assert_int_equal(b.count, (int64_t)(top + 1) * P * G);   /* the count still says rows came */
    /* follow again: back to the newest row, and it follows */
    assert_int_equal(browser_set_frozen(&b, 0), 0);
    assert_int_equal(browser_selected(&b)->step, top + 1);
    write_steps(st, top + 2, top + 2);
    assert_int_equal(browser_poll(&b), 1);
    assert_int_equal(browser_selected(&b)->step, top + 2);
    browser_close(&b);
}

static void test_jump_to_step(void **state) {
    (void)state;
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    browser_set_height(&b, 6);
    /* newest first: the first row of step 7 in that order (its last prompt's last sample), the window below it */
    assert_int_equal(browser_jump_step(&b, 7), 0);
    const QueryRollout *r = browser_selected(&b);
    assert_int_equal(r->step, 7);
    assert_int_equal(r->prompt_index, P - 1);
    assert_int_equal(r->sample_index, G - 1);
    assert_int_equal(b.cursor, 0);
    assert_int_equal(b.rows.n, 6);
    assert_false(b.at_start);
    browser_move(&b, ACT_DOWN);
    assert_int_equal(browser_selected(&b)->step, 7);
    /* a step past the newest: the nearest before it (the order's direction) */
    assert_int_equal(browser_jump_step(&b, 100000), 0);
    assert_int_equal(browser_selected(&b)->step, newest_step());
    /* oldest first: a step before the first goes to the first */
    assert_int_equal(browser_reverse(&b), 0);
    assert_int_equal(browser_jump_step(&b, 0), 0);
    assert_int_equal(browser_selected(&b)->step, 1);
    /* sorted by reward: that step exactly; a filtered-out step is refused, the window kept */
    assert_int_equal(browser_cycle_sort(&b), 0);
    assert_int_equal(browser_set_filter_text(&b, "step=3-9"), 0);
    assert_int_equal(browser_jump_step(&b, 5), 0);
    assert_int_equal(browser_selected(&b)->step, 5);
    int64_t id = browser_selected(&b)->id;
    assert_int_equal(browser_jump_step(&b, 12), -1);
    assert_non_null(strstr(b.err, "no rollout at step 12"));
    assert_int_equal(browser_selected(&b)->id, id);
    browser_close(&b);
}

static void test_question(void **state) {
    (void)state;
    char q[64];
    browser_question("12+30=<think>", "{question}<think>", q, sizeof q);
    assert_string_equal(q, "12+30=");
    /* a chat template: its text around the question goes, new lines fold */
    browser_question("<|user|>\nHow many r\nin strawberry?\n<|assistant|>", "<|user|>\n{question}\n<|assistant|>",
                     q, sizeof q);
    assert_string_equal(q, "How many r in strawberry?");
    /* a template that does not match, or none: the whole prompt, on one line */
    browser_question("Q:\t7*6 =  ?\n", "A: {question}", q, sizeof q);
    assert_string_equal(q, "Q: 7*6 = ?");
    browser_question("x\x01y", NULL, q, sizeof q);
    assert_string_equal(q, "x y");
    browser_question(NULL, "", q, sizeof q);
    assert_string_equal(q, "");
    browser_question("a long question text", "", q, 7);   /* cut to the buffer */
    assert_string_equal(q, "a long");
    /* the browser knows its run's template (none stored here: the prompt as it is) */
    Browser b;
    assert_int_equal(browser_open(&b, g_path, 0), 0);
    assert_string_equal(b.prompt_template, "");
    browser_close(&b);
}

static void test_history_load(void **state) {
    (void)state;
    char path[256], err[256];
    snprintf(path, sizeof path, "/tmp/test_browser_hist_%d.db", (int)getpid());
    unlink(path);
    Store *st = store_open(path, err, sizeof err);
    assert_non_null(st);
    StoreRunInfo info = {.name = "hist", .seed = 1};
    assert_true(store_begin_run(st, &info, err, sizeof err) > 0);
    /* metrics at different steps, one the studio has no name for */
    Metric m1[2] = {{"reward", 1}, {"kl", 0.1}}, m2[1] = {{"reward", 2}}, m3[2] = {{"kl", 0.3}, {"my_metric", 5}};
    StepRecord r1 = {1, 1.7e9, 0, NULL, 2, m1}, r2 = {2, 1.7e9, 0, NULL, 1, m2}, r4 = {4, 1.7e9, 0, NULL, 2, m3};
    assert_int_equal(store_write_step(st, &r1, err, sizeof err), 0);
    assert_int_equal(store_write_step(st, &r2, err, sizeof err), 0);
    assert_int_equal(store_write_step(st, &r4, err, sizeof err), 0);
    Query *q = query_open(path, err, sizeof err);
    assert_non_null(q);
    History h = {0};
    const char *known[2] = {"reward", "accuracy"};
    assert_int_equal(history_init(&h, known, 2), 0);
    assert_int_equal(history_load(&h, q, 0, err, sizeof err), 0);
    /* the union of the steps, ascending; the known columns keep their places; new names get columns */
    assert_int_equal(h.n, 3);
    assert_double_equal(h.step[0], 1, 0);
    assert_double_equal(h.step[2], 4, 0);
    assert_int_equal(history_find(&h, "reward"), 0);
    assert_int_equal(history_find(&h, "accuracy"), 1);
    int kl = history_find(&h, "kl"), mine = history_find(&h, "my_metric");
    assert_true(kl >= 2 && mine >= 2);
    assert_double_equal(h.v[0][0], 1, 0);
    assert_double_equal(h.v[0][1], 2, 0);
    assert_true(isnan(h.v[0][2]));
    assert_true(isnan(h.v[1][0]));                      /* never logged */
    assert_double_equal(h.v[kl][0], 0.1, 1e-12);
    assert_true(isnan(h.v[kl][1]));
    assert_double_equal(h.v[kl][2], 0.3, 1e-12);
    assert_double_equal(h.v[mine][2], 5, 0);
    /* appending after a load: the row gets NaN for the columns it does not give */
    double v[1] = {9};
    assert_int_equal(history_push(&h, 5, v, 1), 0);
    assert_int_equal(h.n, 4);
    assert_double_equal(h.v[0][3], 9, 0);
    assert_true(isnan(h.v[kl][3]));
    /* loading again replaces the rows */
    assert_int_equal(history_load(&h, q, 0, err, sizeof err), 0);
    assert_int_equal(h.n, 3);
    /* no such run: no rows, no error */
    assert_int_equal(history_load(&h, q, 999, err, sizeof err), 0);
    assert_int_equal(h.n, 0);
    /* a column added later is NaN for the rows already there */
    assert_int_equal(history_load(&h, q, 0, err, sizeof err), 0);
    int late = history_add_column(&h, "late");
    assert_true(late > 0);
    for (int i = 0; i < h.n; i++) assert_true(isnan(h.v[late][i]));
    assert_int_equal(history_add_column(&h, "late"), late);
    history_free(&h);
    history_free(&h);   /* twice is fine */
    query_close(q);
    store_close(st);
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path); unlink(p);
    snprintf(p, sizeof p, "%s-shm", path); unlink(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_order),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_live_refresh),
        cmocka_unit_test(test_freeze_and_follow),
        cmocka_unit_test(test_jump_to_step),
        cmocka_unit_test(test_question),
        cmocka_unit_test(test_history_load),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("browser", tests, setup, teardown);
}
