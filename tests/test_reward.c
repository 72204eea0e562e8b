/* test_reward.c - the reward components and aha flags on right, wrong, malformed and adversarial completions.
 * Completions start inside <think> (the prompt opened it), as the trainer hands them over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/record.h"
#include "core/reward.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[256];
static Task *add_task, *cd_task;
static Problem add_p, cd_p;

static int setup(void **state) {
    (void)state;
    Config c;
    memset(&c, 0, sizeof c);
    snprintf(c.task.name, sizeof c.task.name, "add");
    c.task.digits_min = 4;
    c.task.digits_max = 5;
    c.task.numbers = 4;
    c.task.number_max = 50;
    c.task.target_max = 200;
    c.task.eval_size = 16;
    c.run.seed = 1;
    add_task = task_new(&c, err, sizeof err);
    snprintf(c.task.name, sizeof c.task.name, "countdown");
    cd_task = task_new(&c, err, sizeof err);
    if (!add_task || !cd_task) return -1;
    memset(&add_p, 0, sizeof add_p);
    add_p.operands[0] = 47385;
    add_p.operands[1] = 9128;
    add_p.n_operands = 2;
    snprintf(add_p.question, sizeof add_p.question, "47385+9128=");
    snprintf(add_p.answer, sizeof add_p.answer, "56513");
    memset(&cd_p, 0, sizeof cd_p);
    int nums[] = {3, 5, 7, 8};
    for (int i = 0; i < 4; i++) cd_p.operands[i] = nums[i];
    cd_p.n_operands = 4;
    cd_p.target = 24;
    snprintf(cd_p.question, sizeof cd_p.question, "24 from 3,5,7,8");
    snprintf(cd_p.answer, sizeof cd_p.answer, "(8-5)*7+3");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    task_free(add_task);
    task_free(cd_task);
    return 0;
}

static void test_extract_answer(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(reward_extract_answer("x</think><answer>42</answer>", out, sizeof out), 0);
    assert_string_equal(out, "42");
    assert_int_equal(reward_extract_answer("<answer>1</answer> <answer>2</answer>", out, sizeof out), 0);
    assert_string_equal(out, "2"); /* the last one */
    assert_int_equal(reward_extract_answer("</think><answer>17", out, sizeof out), 0);
    assert_string_equal(out, "17"); /* unclosed: to the end */
    assert_int_equal(reward_extract_answer("no answer here</think>", out, sizeof out), -1);
    assert_string_equal(out, "");
    assert_int_equal(reward_extract_answer("", out, sizeof out), -1);
    char tiny[4];
    assert_int_equal(reward_extract_answer("<answer>123456</answer>", tiny, sizeof tiny), 0);
    assert_string_equal(tiny, "123");
}

static void test_thinking_span(void **state) {
    (void)state;
    const char *s;
    size_t n;
    const char *c = "5+8=13\n=56513\n</think><answer>56513</answer>";
    reward_thinking_span(c, &s, &n);
    assert_ptr_equal(s, c);
    assert_int_equal(n, strlen("5+8=13\n=56513\n"));
    c = "<think>abc</think><answer>1</answer>";
    reward_thinking_span(c, &s, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "abc", 3);
    c = "still thinking";
    reward_thinking_span(c, &s, &n);
    assert_int_equal(n, strlen(c));
    reward_thinking_span("", &s, &n);
    assert_int_equal(n, 0);
}

static void test_format(void **state) {
    (void)state;
    struct { const char *text; float want; } cases[] = {
        {"5+8=13\n=56513\n</think><answer>56513</answer>", 1},
        {"</think><answer>56513</answer>", 1},                     /* empty thinking (direct style) */
        {"abc</think>\n<answer>7</answer>\n", 1},                 /* whitespace between and after */
        {"abc</think><answer> 7 </answer>", 1},
        {"abc<answer>7</answer>", 0},                             /* no </think> */
        {"<think>abc</think><answer>7</answer>", 0},              /* a second <think>: it was already open */
        {"a</think>b</think><answer>7</answer>", 0},              /* two </think> */
        {"a</think><answer>7</answer><answer>8</answer>", 0},     /* two answers */
        {"a</think><answer>7</answer>trailing", 0},               /* text after the answer */
        {"a</think>text<answer>7</answer>", 0},                   /* text between */
        {"a</think><answer></answer>", 0},                        /* empty answer */
        {"a</think><answer>  \n</answer>", 0},
        {"a</think><answer>7", 0},                                /* unclosed answer */
        {"a</think><answer>7</think></answer>", 0},               /* special inside the answer */
        {"a</think><answer>7</answer></answer>", 0},
        {"a<answer>6</answer></think><answer>7</answer>", 0},    /* an answer inside the thinking */
        {"a<eos></think><answer>7</answer>", 0},
        {"a</think><answer>7</answer><eos>", 0},                 /* the trainer strips the final eos */
        {"</think>", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float got = reward_format(cases[i].text);
        if (got != cases[i].want) fail_msg("format(\"%s\") = %g, want %g", cases[i].text, got, cases[i].want);
    }
}

static void test_accuracy(void **state) {
    (void)state;
    assert_true(reward_accuracy(add_task, &add_p, "x</think><answer>56513</answer>") == 1.0f);
    assert_true(reward_accuracy(add_task, &add_p, "x</think><answer>56503</answer>") == 0.0f);
    assert_true(reward_accuracy(add_task, &add_p, "=56513</think>") == 0.0f);     /* no answer section */
    assert_true(reward_accuracy(add_task, &add_p, "</think><answer>56513") == 1.0f); /* parses to the end */
    assert_true(reward_accuracy(add_task, &add_p, "</think><answer>5651three</answer>") == 0.0f);
    assert_true(reward_accuracy(add_task, &add_p, "") == 0.0f);
    assert_true(reward_accuracy(cd_task, &cd_p, "</think><answer>3+7*(8-5)</answer>") == 1.0f);
    assert_true(reward_accuracy(cd_task, &cd_p, "</think><answer>8*3</answer>") == 0.0f);
    assert_true(reward_accuracy(cd_task, &cd_p, "</think><answer>3*8/(7-7)+5</answer>") == 0.0f);
    assert_true(reward_accuracy(cd_task, &cd_p, "</think><answer>system(\"rm -rf /\")</answer>") == 0.0f);
    /* An answer far longer than any buffer is cut and graded wrong, not overrun. */
    size_t n = 5000;
    char *big = malloc(n + 64);
    strcpy(big, "</think><answer>");
    size_t k = strlen(big);
    for (size_t i = 0; i < n; i++) big[k + i] = '9';
    strcpy(big + k + n, "</answer>");
    assert_true(reward_accuracy(add_task, &add_p, big) == 0.0f);
    free(big);
}

static void test_language(void **state) {
    (void)state;
    assert_true(reward_language(add_task, "5+8=13\nwait, verify\n</think><answer>1</answer>") == 1.0f);
    assert_true(reward_language(add_task, "</think><answer>1</answer>") == 1.0f); /* empty thinking */
    assert_true(reward_language(add_task, "ab{}</think><answer>{}{}{}</answer>") == 0.5f); /* answer ignored */
    float v = reward_language(add_task, "12\xE4\xB8\x80\xE4\xB8\x80</think>"); /* 2 of 8 bytes ASCII */
    assert_true(v == 0.25f);
    assert_true(reward_language(add_task, "~~~~") == 0.0f);
}

static void test_reflection_words(void **state) {
    (void)state;
    const char *yes[] = {"wait", "Wait, 7+9=16", "WAIT", "let me recheck", "rethink", "reevaluate",
                         "re-evaluate this", "re-examine", "reconsider", "double-check", "check again",
                         "check\n again", "think again", "try again", "so... wait!", "(wait)",
                         "mistake", "8+2=10 wait"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!reward_has_reflection(yes[i], strlen(yes[i]))) fail_msg("\"%s\" holds a reflection word", yes[i]);
    /* "verify" and "let me check" are verification, not reflection */
    const char *no[] = {"", "awaiting", "waiter", "verify", "let me check", "verifying", "unverify", "check",
                        "checkagain", "again",
                        "5+8=13", "tryagain", "re evaluate", "wai t"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (reward_has_reflection(no[i], strlen(no[i]))) fail_msg("\"%s\" holds no reflection word", no[i]);
    /* The length bounds the search: "wait" past len is not seen. */
    assert_int_equal(reward_has_reflection("ok wait", 3), 0);
    assert_int_equal(reward_has_reflection("ok wai", 6), 0);
}

/* The aha flags of completion c (add task, 47385+9128 = 56513, unless the countdown problem is asked for). */
static unsigned flags_add(const char *c, int correct) { return reward_flags(add_task, &add_p, c, correct); }

static void test_flags(void **state) {
    (void)state;
    const unsigned R = ROLLOUT_FLAG_REFLECTION, S = ROLLOUT_FLAG_SELF_CORRECTION;
    /* Verification that passes is not reflection: the commonest transcript of a trained model. */
    assert_int_equal(flags_add("7+8=15\n=56513\nverify\n13-8=5\n47385 ok\n</think><answer>56513</answer>", 1), 0);
    assert_int_equal(flags_add("=56513\nlet me check: 56513-9128=47385 ok\n</think><answer>56513</answer>", 1), 0);
    /* A rejected candidate, "wait", a right different answer: reflection and self-correction (STYLE_WAIT). */
    const char *fixed = "8+2=10\n=56503\nverify\n47375 no\nwait\n8+2+1=11\n=56513\n</think><answer>56513</answer>";
    assert_int_equal(flags_add(fixed, 1), R | S);
    /* Rejected, then the same wrong answer again: reflection (the phrase follows a rejected candidate), no
     * correction (the final answer is wrong). */
    assert_int_equal(flags_add("=56503\n47375 no\nwait\n=56503\n</think><answer>56503</answer>", 0), R);
    /* Rejected, then a different but still wrong answer: no correction. */
    assert_int_equal(flags_add("=56503\n47375 no\nwait\n=56413\n</think><answer>56413</answer>", 0), R);
    /* Rejected and fixed without a reflection word: a correction, not reflection. */
    assert_int_equal(flags_add("=56503\n47375 no\n=56513\n56513 ok\n</think><answer>56513</answer>", 1), S);
    /* A wrong candidate no check rejected, then the right answer: neither (the old rule flagged it). */
    assert_int_equal(flags_add("=56503\n=56513\n</think><answer>56513</answer>", 1), 0);
    assert_int_equal(flags_add("  = 56503\n</think><answer>56513</answer>", 1), 0);
    /* A right candidate the model wrongly rejected, then the right answer again: nothing was corrected. */
    assert_int_equal(flags_add("=56513\n47384 no\n</think><answer>56513</answer>", 1), 0);
    /* "wait" after a passing check, then a change of answer: reflection; without a change: nothing. */
    assert_int_equal(flags_add("=56503\n47375 ok\nwait\n=56513\n</think><answer>56513</answer>", 1), R);
    assert_int_equal(flags_add("=56513\n47385 ok\nwait\n</think><answer>56513</answer>", 1), 0);
    assert_int_equal(flags_add("=56513\nwait\n</think><answer>56514</answer>", 0), R); /* the answer changed */
    assert_int_equal(flags_add("=56513\nwait\n</think><answer> 56513 </answer>", 1), 0);
    /* A reflection word with no candidate before it, or only in the answer, is not reflection. */
    assert_int_equal(flags_add("5+8=13\nwait\n</think><answer>56513</answer>", 1), 0);
    assert_int_equal(flags_add("=56513\n</think><answer>wait</answer>", 0), 0);
    /* Verdicts are whole last words: "no" inside a word or glued to a number is none. */
    assert_int_equal(flags_add("=56503\n47375no\n=56513\n</think><answer>56513</answer>", 1), 0);
    assert_int_equal(flags_add("=56503\nthat is wrong.\n=56513\n</think><answer>56513</answer>", 1), S);
    /* Candidates and checks after the thinking do not count; blank candidates are none. */
    assert_int_equal(flags_add("</think>\n=1\nno\n<answer>56513</answer>", 1), 0);
    assert_int_equal(flags_add("=\n=  \nno\nwait\n</think><answer>56513</answer>", 1), 0);
    /* Countdown (STYLE_WAIT's shape): a wrong expression rejected by its check, then a right one. */
    assert_int_equal(reward_flags(cd_task, &cd_p, "8+5=13\n13+7=20\n20+3=24\n=8+5+7+3\nverify 24-3=21 no\nwait\n"
                                  "20+3=23\n8-5=3\n3*7=21\n21+3=24\n=(8-5)*7+3\n</think><answer>(8-5)*7+3</answer>", 1),
                     R | S);
    /* another right expression rejected and replaced is no correction */
    assert_int_equal(reward_flags(cd_task, &cd_p, "=3+7*(8-5)\nno\n</think><answer>(8-5)*7+3</answer>", 1), 0);
    assert_int_equal(reward_flags(cd_task, &cd_p, "=(((\nno\n</think><answer>(8-5)*7+3</answer>", 1), S);
    assert_int_equal(flags_add("", 0), 0);
}

static void test_score(void **state) {
    (void)state;
    RewardWeights w = {1.0f, 0.5f, 0.25f};
    RewardResult r;
    reward_score(add_task, &add_p, "=56503\n47375 no\nwait\n=56513\n</think><answer>56513</answer>", &w, &r);
    assert_true(r.accuracy == 1.0f && r.format == 1.0f && r.language == 1.0f);
    assert_int_equal(r.correct, 1);
    assert_true(r.total == 1.75f);
    assert_int_equal(r.flags, ROLLOUT_FLAG_REFLECTION | ROLLOUT_FLAG_SELF_CORRECTION);
    reward_score(add_task, &add_p, "{{</think><answer>1</answer>junk", &w, &r);
    assert_true(r.accuracy == 0.0f && r.format == 0.0f && r.language == 0.0f);
    assert_int_equal(r.correct, 0);
    assert_true(r.total == 0.0f);
    assert_int_equal(r.flags, 0);
    /* A truncated rollout (hit max_new_tokens inside the thinking) scores nothing but language. */
    reward_score(add_task, &add_p, "5+8=13\n8+2+1=1", &w, &r);
    assert_true(r.accuracy == 0.0f && r.format == 0.0f && r.language == 1.0f);
    assert_true(r.total == 0.25f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_answer), cmocka_unit_test(test_thinking_span),
        cmocka_unit_test(test_format),         cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_language),       cmocka_unit_test(test_reflection_words),
        cmocka_unit_test(test_flags),          cmocka_unit_test(test_score),
    };
    return cmocka_run_group_tests_name("reward", tests, setup, teardown);
}
