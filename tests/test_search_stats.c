/* test_search_stats.c - attempts, retries, arithmetic truth and difficulty splits (core/search_stats.h) on
 * hand-written countdown completions, right and wrong, and on text that only looks like arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/reward.h"
#include "core/search_stats.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static char err[256];

static Task *countdown(void) {
    Config c;
    memset(&c, 0, sizeof c);
    snprintf(c.task.name, sizeof c.task.name, "countdown");
    c.task.numbers = 3;
    c.task.number_max = 9;
    c.task.target_max = 100;
    c.task.eval_size = 16;
    snprintf(c.task.prompt_template, sizeof c.task.prompt_template, "{question}<think>");
    c.run.seed = 1;
    Task *t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    return t;
}

static Problem problem_49(void) { /* 49 from 2,5,7: a large target (above 100 / 3) */
    Problem p;
    memset(&p, 0, sizeof p);
    p.operands[0] = 2; p.operands[1] = 5; p.operands[2] = 7;
    p.n_operands = 3;
    p.target = 49;
    snprintf(p.question, sizeof p.question, "49 from 2,5,7");
    snprintf(p.answer, sizeof p.answer, "(5+2)*7");
    return p;
}

static const char *RETRIED_RIGHT = "5*2=10,10*7=70\n=5*2*7\n70 vs 49 no\nwait\n5+2=7,7*7=49\n=(5+2)*7\n49 vs 49 ok\n"
                                   "</think><answer>(5+2)*7</answer>";
static const char *ONE_WRONG = "5*2=10,10*7=70\n=5*2*7\n70 vs 49 no\ngive up\n</think><answer>5*2*7</answer>";
static const char *FALSE_LINES = "5*2=11,11*7=76\n=5*2*7\n76 vs 49 ok\n</think><answer>5*2*7</answer>";
static const char *BARE = "</think><answer>(5+2)*7</answer>";

static void test_arithmetic(void **state) {
    (void)state;
    int e, et, v, vt;
    const char *s = "5*2=10,10*7=70\n=5*2*7\n70 vs 49 no\n";
    search_count_arithmetic(s, strlen(s), &e, &et, &v, &vt);
    assert_int_equal(e, 2); assert_int_equal(et, 2); assert_int_equal(v, 1); assert_int_equal(vt, 1);
    s = "5*2=11,11*7=76\n76 vs 49 ok\n49 vs 49 no\n";
    search_count_arithmetic(s, strlen(s), &e, &et, &v, &vt);
    assert_int_equal(e, 2); assert_int_equal(et, 0); assert_int_equal(v, 2); assert_int_equal(vt, 0);
    /* not equations: a candidate line, a bare number, "a=b=c", a right side that is not a number; malformed
     * left sides count as false equations, never crash */
    s = "=8*3\n24\n1+1=2=2\n3+4=x\n((=5\n1/0=1\n8*(3=24\n99999999999999999999*9=1\n";
    search_count_arithmetic(s, strlen(s), &e, &et, &v, &vt);
    assert_int_equal(e, 3);
    assert_int_equal(et, 0);
    assert_int_equal(v, 0);
    /* verdict lines must be whole: "X vs Y ok" */
    s = "7 vs 7 ok\n7 vs 7 okay\nx 7 vs 7 ok\n 12 vs 13 no \n";
    search_count_arithmetic(s, strlen(s), &e, &et, &v, &vt);
    assert_int_equal(v, 2);
    assert_int_equal(vt, 2);
}

static void test_attempts(void **state) {
    (void)state;
    Task *t = countdown();
    Problem p = problem_49();
    int first;
    assert_int_equal(search_attempts(t, &p, RETRIED_RIGHT, 1, &first), 2);
    assert_int_equal(first, 0);
    assert_int_equal(search_attempts(t, &p, ONE_WRONG, 0, &first), 1);
    assert_int_equal(first, 0);
    assert_int_equal(search_attempts(t, &p, BARE, 1, &first), 0);
    assert_int_equal(first, 1); /* no candidate: the answer is the first attempt */
    task_free(t);
}

static double metric(const Metric *m, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0) return m[i].value;
    return NAN;
}

static void add(SearchStats *s, const Task *t, const Problem *p, const char *c) {
    int correct = reward_accuracy(t, p, c) > 0.5f;
    search_stats_add(s, t, p, c, correct, reward_flags(t, p, c, correct));
}

static void test_metrics(void **state) {
    (void)state;
    Task *t = countdown();
    Problem p = problem_49();
    SearchStats s;
    memset(&s, 0, sizeof s);
    add(&s, t, &p, RETRIED_RIGHT);
    add(&s, t, &p, ONE_WRONG);
    add(&s, t, &p, FALSE_LINES);
    add(&s, t, &p, BARE);
    Metric m[64];
    int n = search_stats_metrics(&s, 0, m, 64);
    assert_true(fabs(metric(m, n, "attempts") - 4.0 / 4) < 1e-12);
    assert_true(fabs(metric(m, n, "retry_rate") - 0.25) < 1e-12);
    assert_true(fabs(metric(m, n, "first_attempt_accuracy") - 0.25) < 1e-12); /* only the bare right answer */
    assert_true(fabs(metric(m, n, "retried_accuracy") - 1.0) < 1e-12);
    assert_true(fabs(metric(m, n, "single_accuracy") - 1.0 / 3) < 1e-12);
    assert_true(fabs(metric(m, n, "right_after_reject") - 0.5) < 1e-12);  /* of the 2 right answers */
    assert_true(fabs(metric(m, n, "equations_true") - 6.0 / 8) < 1e-12);
    assert_true(fabs(metric(m, n, "verdicts_true") - 3.0 / 4) < 1e-12);
    assert_true(fabs(metric(m, n, "attempts_n3") - 1.0) < 1e-12);
    assert_true(fabs(metric(m, n, "accuracy_n3") - 0.5) < 1e-12);
    assert_true(fabs(metric(m, n, "attempts_large") - 1.0) < 1e-12);
    assert_true(isnan(metric(m, n, "attempts_n4")));    /* never drawn: left out, not 0 */
    assert_true(isnan(metric(m, n, "attempts_small")));
    int ne = search_stats_metrics(&s, 1, m, 64);
    assert_int_equal(ne, n);
    assert_true(fabs(metric(m, ne, "eval_attempts") - 1.0) < 1e-12);
    assert_int_equal(search_stats_metrics(&s, 0, m, 3), 3); /* bounded by max */
    SearchStats empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(search_stats_metrics(&empty, 0, m, 64), 0);
    task_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_attempts),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
