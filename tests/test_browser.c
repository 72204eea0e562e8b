/* test_browser.c - the rollout list model on a database this test writes: keyset windows that visit every row once
 * in order whichever way one moves, filter parsing and its errors, search, the cycles, live refresh while another
 * connection writes. */
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
#include "ui/keymap.h"

enum { P = 3, G = 4 };

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_order),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_live_refresh),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("browser", tests, setup, teardown);
}
