/* test_task.c - the built-in tasks: config errors, deterministic and disjoint splits, every checker on right,
 * wrong, malformed and adversarial answers, and the solution styles (graded right, well formed, tokenizable,
 * short enough, and a WAIT that really contains a caught mistake). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/reward.h"
#include "core/search_stats.h"
#include "core/record.h"
#include "core/task.h"
#include "core/tokenizer.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

/* A Config filled by hand (config_defaults belongs to another module). */
static void base_config(Config *c, const char *task) {
    memset(c, 0, sizeof *c);
    snprintf(c->task.name, sizeof c->task.name, "%s", task);
    c->task.digits_min = 4;
    c->task.digits_max = 5;
    c->task.numbers = 4;
    c->task.number_max = 50;
    c->task.target_max = 200;
    c->task.eval_size = 64;
    c->task.match = MATCH_EXACT;
    snprintf(c->task.prompt_template, sizeof c->task.prompt_template, "{question}<think>");
    c->model.max_seq = 256;
    c->run.seed = 1234;
}

static Task *make(const char *name) {
    Config c;
    base_config(&c, name);
    Task *t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("task_new(%s): %s", name, err);
    return t;
}

/* ---- config errors ---- */

static void expect_new_fails(const Config *c, const char *needle) {
    Task *t = task_new(c, err, sizeof err);
    if (t) {
        task_free(t);
        fail_msg("task_new succeeded, expected an error mentioning \"%s\"", needle);
    }
    if (!strstr(err, needle)) fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_config_errors(void **state) {
    (void)state;
    Config c;
    base_config(&c, "sudoku");
    expect_new_fails(&c, "task.name = \"sudoku\"");
    base_config(&c, "add");
    c.task.digits_min = 0;
    expect_new_fails(&c, "task.digits_min = 0");
    base_config(&c, "mul");
    c.task.digits_max = 12;
    expect_new_fails(&c, "task.digits_max = 12");
    base_config(&c, "add");
    c.task.digits_min = 5;
    c.task.digits_max = 3;
    expect_new_fails(&c, "digits_min <= digits_max");
    base_config(&c, "countdown");
    c.task.numbers = 1;
    expect_new_fails(&c, "task.numbers = 1");
    base_config(&c, "countdown");
    c.task.numbers_min = 1;
    expect_new_fails(&c, "task.numbers_min = 1");
    base_config(&c, "countdown");
    c.task.number_max = 0;
    expect_new_fails(&c, "task.number_max = 0");
    base_config(&c, "countdown");
    c.task.target_max = 20000;
    expect_new_fails(&c, "task.target_max = 20000: expected 2..10000");
    base_config(&c, "add");
    snprintf(c.task.prompt_template, sizeof c.task.prompt_template, "Solve it<think>");
    expect_new_fails(&c, "task.prompt_template");
    snprintf(c.task.prompt_template, sizeof c.task.prompt_template, "{question}");
    expect_new_fails(&c, "<think>");
    snprintf(c.task.prompt_template, sizeof c.task.prompt_template, "{question}{question}<think>");
    expect_new_fails(&c, "exactly once");
    base_config(&c, "letters");
    c.task.eval_size = 0;
    expect_new_fails(&c, "task.eval_size = 0");
    base_config(&c, "jsonl");
    expect_new_fails(&c, "task.path");
    snprintf(c.task.path, sizeof c.task.path, "/nonexistent/dir/problems.jsonl");
    expect_new_fails(&c, "/nonexistent/dir/problems.jsonl");
    task_free(NULL);
}

/* ---- splits ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Questions of n problems of a split, sorted (malloc'd; free with free_questions). */
static char **questions(const Task *t, TaskSplit s, int n) {
    char **q = malloc((size_t)n * sizeof *q);
    for (int i = 0; i < n; i++) {
        Problem p;
        task_problem(t, s, (uint64_t)i, &p);
        assert_int_equal(task_split_of(t, &p), s);
        q[i] = strdup(p.question);
    }
    qsort(q, (size_t)n, sizeof *q, cmp_str);
    return q;
}

static void free_questions(char **q, int n) {
    for (int i = 0; i < n; i++) free(q[i]);
    free(q);
}

static void assert_disjoint(const Task *t, int n_train) {
    int n_eval = (int)task_size(t, SPLIT_EVAL);
    char **a = questions(t, SPLIT_TRAIN, n_train), **b = questions(t, SPLIT_EVAL, n_eval);
    for (int i = 0, j = 0; i < n_train && j < n_eval;) {
        int c = strcmp(a[i], b[j]);
        if (c == 0) fail_msg("task %s: \"%s\" is in both splits", task_name(t), a[i]);
        if (c < 0) i++;
        else j++;
    }
    free_questions(a, n_train);
    free_questions(b, n_eval);
}

static void test_splits_disjoint(void **state) {
    (void)state;
    const char *names[] = {"add", "mul", "countdown", "letters"};
    for (int k = 0; k < 4; k++) {
        Task *t = make(names[k]);
        assert_int_equal(task_size(t, SPLIT_EVAL), 64);
        assert_true(task_size(t, SPLIT_TRAIN) == UINT64_MAX);
        assert_disjoint(t, 3000);
        task_free(t);
    }
    /* A tiny problem space (one-digit addition) still holds out a disjoint set, or refuses clearly. */
    Config c;
    base_config(&c, "add");
    c.task.digits_min = c.task.digits_max = 1;
    Task *t = task_new(&c, err, sizeof err);
    if (t) {
        assert_disjoint(t, 500);
        task_free(t);
    } else {
        assert_non_null(strstr(err, "too few distinct problems"));
    }
}

static void test_countdown_split_ignores_order(void **state) {
    (void)state;
    Task *t = make("countdown");
    for (int i = 0; i < 50; i++) {
        Problem p, q;
        task_problem(t, SPLIT_EVAL, (uint64_t)i, &p);
        q = p;
        /* The same numbers in another order are the same problem, so the same split. */
        int tmp = q.operands[0];
        q.operands[0] = q.operands[q.n_operands - 1];
        q.operands[q.n_operands - 1] = tmp;
        assert_int_equal(task_split_of(t, &q), SPLIT_EVAL);
    }
    task_free(t);
}

static void test_deterministic(void **state) {
    (void)state;
    Config c;
    base_config(&c, "countdown");
    Task *a = task_new(&c, err, sizeof err), *b = task_new(&c, err, sizeof err);
    c.run.seed = 99;
    Task *other = task_new(&c, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(other);
    int same_train = 0;
    for (int i = 0; i < 100; i++) {
        Problem p, q, r;
        task_problem(a, SPLIT_TRAIN, (uint64_t)i, &p);
        task_problem(b, SPLIT_TRAIN, (uint64_t)i, &q);
        task_problem(other, SPLIT_TRAIN, (uint64_t)i, &r);
        assert_string_equal(p.question, q.question);
        assert_string_equal(p.answer, q.answer);
        assert_int_equal(p.id, i);
        same_train += strcmp(p.question, r.question) == 0;
        /* Held-out problems do not depend on the seed: every run of a config evaluates the same set. */
        task_problem(a, SPLIT_EVAL, (uint64_t)i, &p);
        task_problem(other, SPLIT_EVAL, (uint64_t)i, &r);
        assert_string_equal(p.question, r.question);
    }
    assert_true(same_train < 10);
    /* An eval index past the size wraps. */
    Problem p, q;
    task_problem(a, SPLIT_EVAL, 3, &p);
    task_problem(a, SPLIT_EVAL, 3 + task_size(a, SPLIT_EVAL), &q);
    assert_string_equal(p.question, q.question);
    task_free(a);
    task_free(b);
    task_free(other);
}

/* ---- problems and checkers ---- */

static void test_add_problems(void **state) {
    (void)state;
    Task *t = make("add");
    assert_string_equal(task_name(t), "add");
    for (int i = 0; i < 300; i++) {
        Problem p;
        task_problem(t, SPLIT_TRAIN, (uint64_t)i, &p);
        long long a = p.operands[0], b = p.operands[1];
        assert_true(a >= 1000 && a <= 99999);
        assert_true(b >= 1000 && b <= 99999);
        char q[64], ans[32];
        snprintf(q, sizeof q, "%lld+%lld=", a, b);
        snprintf(ans, sizeof ans, "%lld", a + b);
        assert_string_equal(p.question, q);
        assert_string_equal(p.answer, ans);
    }
    Problem p = {.operands = {47385, 9128}, .n_operands = 2};
    snprintf(p.question, sizeof p.question, "47385+9128=");
    snprintf(p.answer, sizeof p.answer, "56513");
    assert_int_equal(task_check(t, &p, "56513"), 1);
    assert_int_equal(task_check(t, &p, " 56513\n"), 1);
    assert_int_equal(task_check(t, &p, "056513"), 1);
    assert_int_equal(task_check(t, &p, "56503"), 0);
    assert_int_equal(task_check(t, &p, ""), 0);
    assert_int_equal(task_check(t, &p, "   "), 0);
    assert_int_equal(task_check(t, &p, "56 513"), 0);
    assert_int_equal(task_check(t, &p, "56513.0"), 0);
    assert_int_equal(task_check(t, &p, "-56513"), 0);
    assert_int_equal(task_check(t, &p, "5.6513e4"), 0);
    assert_int_equal(task_check(t, &p, "47385+9128"), 0);
    assert_int_equal(task_check(t, &p, "99999999999999999999999999999999"), 0);
    assert_int_equal(task_check(t, &p, "56513</answer>"), 0);
    assert_int_equal(task_check(t, &p, NULL), 0);
    task_free(t);
}

static void test_mul_problems(void **state) {
    (void)state;
    Task *t = make("mul");
    for (int i = 0; i < 300; i++) {
        Problem p;
        task_problem(t, SPLIT_TRAIN, (uint64_t)i, &p);
        long long a = p.operands[0], b = p.operands[1];
        assert_true(a >= 1000 && a <= 99999);
        assert_true(b >= 2 && b <= 9);
        char ans[32];
        snprintf(ans, sizeof ans, "%lld", a * b);
        assert_string_equal(p.answer, ans);
        assert_int_equal(task_check(t, &p, ans), 1);
        snprintf(ans, sizeof ans, "%lld", a * b + 10);
        assert_int_equal(task_check(t, &p, ans), 0);
    }
    Problem p = {.operands = {4235, 7}, .n_operands = 2};
    snprintf(p.question, sizeof p.question, "4235*7=");
    snprintf(p.answer, sizeof p.answer, "29645");
    assert_int_equal(task_check(t, &p, "29645"), 1);
    assert_int_equal(task_check(t, &p, "4235*7"), 0);
    assert_int_equal(task_check(t, &p, "x"), 0);
    task_free(t);
}

static void countdown_problem(Problem *p) {
    memset(p, 0, sizeof *p);
    int nums[] = {3, 5, 7, 8};
    for (int i = 0; i < 4; i++) p->operands[i] = nums[i];
    p->n_operands = 4;
    p->target = 24;
    snprintf(p->question, sizeof p->question, "24 from 3,5,7,8");
    snprintf(p->answer, sizeof p->answer, "(8-5)*7+3");
}

static void test_countdown_checker(void **state) {
    (void)state;
    Task *t = make("countdown");
    Problem p;
    countdown_problem(&p);
    assert_int_equal(task_check(t, &p, "(8-5)*7+3"), 1);
    assert_int_equal(task_check(t, &p, " 3 + 7 * (8 - 5) "), 1); /* another right expression */
    assert_int_equal(task_check(t, &p, "(8-5)*7+3+0"), 0);       /* a number not given */
    assert_int_equal(task_check(t, &p, "(8-5)*8+0"), 0);         /* 8 twice, 7 and 3 unused */
    assert_int_equal(task_check(t, &p, "8*3"), 0);               /* right value, numbers left over */
    assert_int_equal(task_check(t, &p, "(8-5)*7+3*3/3"), 0);     /* 3 used three times */
    assert_int_equal(task_check(t, &p, "(8-5)*7+4"), 0);         /* a number not given, wrong value */
    assert_int_equal(task_check(t, &p, "(8-5)*7-3"), 0);         /* wrong value */
    assert_int_equal(task_check(t, &p, "3*8/(7-7)+5"), 0);       /* division by zero */
    assert_int_equal(task_check(t, &p, "3*8/(7-5-2)"), 0);
    assert_int_equal(task_check(t, &p, "((8-5)*7+3"), 0);        /* unbalanced */
    assert_int_equal(task_check(t, &p, "(8-5)*7+3)"), 0);
    assert_int_equal(task_check(t, &p, ""), 0);
    assert_int_equal(task_check(t, &p, "24"), 0);
    assert_int_equal(task_check(t, &p, "(8-5)x7+3"), 0);         /* characters outside the grammar */
    assert_int_equal(task_check(t, &p, "__import__('os').system('true')"), 0);
    assert_int_equal(task_check(t, &p, "(8-5)*7+3=24"), 0);
    assert_int_equal(task_check(t, &p, "(8-5)**7+3"), 0);
    assert_int_equal(task_check(t, &p, "-(5-8)*7+3"), 0);
    char *huge = malloc(20001);
    for (int i = 0; i < 20000; i++) huge[i] = "(8-5)*7+3+"[i % 10];
    huge[20000] = '\0';
    assert_int_equal(task_check(t, &p, huge), 0);                /* a huge expression */
    memset(huge, '(', 5000);
    snprintf(huge + 5000, 100, "(8-5)*7+3");
    assert_int_equal(task_check(t, &p, huge), 0);
    free(huge);
    /* Fractional intermediates are fine when the value lands within 1e-5: 8/(3-8/3) = 24 from 3,3,8,8. */
    Problem q = p;
    q.operands[0] = 3; q.operands[1] = 3; q.operands[2] = 8; q.operands[3] = 8;
    assert_int_equal(task_check(t, &q, "8/(3-8/3)"), 1);
    assert_int_equal(task_check(t, &q, "8/(3-8/3)*(8/8)"), 0);   /* 8 four times */
    assert_int_equal(task_check(t, &q, "8*3"), 0);
    q.n_operands = 3;                                            /* given 3,3,8: one 8 too many */
    assert_int_equal(task_check(t, &q, "8/(3-8/3)"), 0);
    task_free(t);
}

static void test_countdown_problems(void **state) {
    (void)state;
    Task *t = make("countdown");
    for (int i = 0; i < 300; i++) {
        Problem p;
        task_problem(t, i % 2 ? SPLIT_EVAL : SPLIT_TRAIN, (uint64_t)i, &p);
        assert_int_equal(p.n_operands, 4);
        assert_true(p.target >= 1 && p.target <= 200);
        for (int k = 0; k < 4; k++) {
            assert_true(p.operands[k] >= 1 && p.operands[k] <= 50);
            assert_int_not_equal(p.operands[k], p.target); /* the target is never a given number */
        }
        if (!task_check(t, &p, p.answer)) fail_msg("reference %s for \"%s\" is graded wrong", p.answer, p.question);
        char q[TASK_QUESTION_MAX];
        snprintf(q, sizeof q, "%d from %d,%d,%d,%d", p.target, p.operands[0], p.operands[1], p.operands[2],
                 p.operands[3]);
        assert_string_equal(p.question, q);
    }
    task_free(t);
    /* numbers_min..numbers: both counts drawn; number_max and target_max bound the numbers and targets */
    Config c;
    base_config(&c, "countdown");
    c.task.numbers_min = 2;
    c.task.numbers = 3;
    c.task.number_max = 9;
    c.task.target_max = 100;
    t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    int seen[4] = {0}, small = 0;
    for (int i = 0; i < 400; i++) {
        Problem p;
        task_problem(t, SPLIT_TRAIN, (uint64_t)i, &p);
        assert_true(p.n_operands >= 2 && p.n_operands <= 3);
        seen[p.n_operands]++;
        assert_true(p.target >= 1 && p.target <= 100);
        for (int k = 0; k < p.n_operands; k++) assert_true(p.operands[k] >= 1 && p.operands[k] <= 9);
        assert_int_equal(task_check(t, &p, p.answer), 1);
        TaskDifficulty d;
        assert_int_equal(task_difficulty(t, &p, &d), 0);
        assert_int_equal(d.numbers, p.n_operands);
        assert_int_equal(d.band, p.target <= 12 ? TASK_BAND_SMALL : p.target <= 33 ? TASK_BAND_MEDIUM : TASK_BAND_LARGE);
        small += d.band == TASK_BAND_SMALL;
    }
    assert_true(seen[2] > 100 && seen[3] > 100);
    assert_true(small > 0 && small < 400);
    task_free(t);
    t = make("add");
    Problem p;
    task_problem(t, SPLIT_TRAIN, 0, &p);
    TaskDifficulty d;
    assert_int_equal(task_difficulty(t, &p, &d), -1); /* no split for add */
    task_free(t);
}

/* task.train_half: the two halves of the train problems are disjoint, neither holds a held-out problem, and the
 * held-out set is the same whichever half trains. */
static void test_train_halves(void **state) {
    (void)state;
    Config c;
    base_config(&c, "countdown");
    c.task.numbers = 3;
    c.task.number_max = 9;
    c.task.target_max = 100;
    Task *all = task_new(&c, err, sizeof err);
    c.task.train_half = 1;
    Task *h1 = task_new(&c, err, sizeof err);
    c.task.train_half = 2;
    Task *h2 = task_new(&c, err, sizeof err);
    assert_non_null(all); assert_non_null(h1); assert_non_null(h2);
    char k1[300][64], k2[300][64], ke[300][64];
    for (int i = 0; i < 300; i++) {
        Problem p;
        task_problem(h1, SPLIT_TRAIN, (uint64_t)i, &p);
        snprintf(k1[i], 64, "%.63s", p.question);
        assert_int_equal(task_split_of(h1, &p), SPLIT_TRAIN);
        task_problem(h2, SPLIT_TRAIN, (uint64_t)i, &p);
        snprintf(k2[i], 64, "%.63s", p.question);
        task_problem(all, SPLIT_EVAL, (uint64_t)i, &p);
        snprintf(ke[i], 64, "%.63s", p.question);
        Problem q;
        task_problem(h1, SPLIT_EVAL, (uint64_t)i, &q);
        assert_string_equal(q.question, p.question); /* the held-out set does not depend on the half */
    }
    int both = 0, half_eval = 0;
    for (int i = 0; i < 300; i++)
        for (int j = 0; j < 300; j++) {
            both += strcmp(k1[i], k2[j]) == 0;
            half_eval += strcmp(k1[i], ke[j]) == 0 || strcmp(k2[i], ke[j]) == 0;
        }
    assert_int_equal(both, 0);
    assert_int_equal(half_eval, 0);
    task_free(all); task_free(h1); task_free(h2);
    base_config(&c, "jsonl");
    c.task.train_half = 1;
    expect_new_fails(&c, "task.train_half = 1: only the synthetic tasks");
}

static void test_letters(void **state) {
    (void)state;
    Task *t = make("letters");
    Problem p;
    memset(&p, 0, sizeof p);
    snprintf(p.question, sizeof p.question, "count r in strawberry");
    snprintf(p.answer, sizeof p.answer, "3");
    assert_int_equal(task_check(t, &p, "3"), 1);
    assert_int_equal(task_check(t, &p, " 3 "), 1);
    assert_int_equal(task_check(t, &p, "2"), 0);
    assert_int_equal(task_check(t, &p, "three"), 0);
    assert_int_equal(task_check(t, &p, ""), 0);
    int zeros = 0;
    for (int i = 0; i < 400; i++) {
        task_problem(t, SPLIT_TRAIN, (uint64_t)i, &p);
        char letter, word[128];
        assert_int_equal(sscanf(p.question, "count %c in %127s", &letter, word), 2);
        int k = 0;
        for (char *w = word; *w; w++) k += *w == letter;
        char ans[16];
        snprintf(ans, sizeof ans, "%d", k);
        assert_string_equal(p.answer, ans);
        zeros += k == 0;
    }
    assert_true(zeros > 40 && zeros < 200); /* about a quarter ask for a letter the word lacks */
    task_free(t);
}

/* ---- jsonl ---- */

static char tmp_path[64];

static void write_file(const char *text) {
    snprintf(tmp_path, sizeof tmp_path, "/tmp/test_task_%d.jsonl", (int)getpid());
    FILE *f = fopen(tmp_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The file holds exactly these n bytes (NUL bytes too). */
static void write_bytes(const char *bytes, size_t n) {
    snprintf(tmp_path, sizeof tmp_path, "/tmp/test_task_%d.jsonl", (int)getpid());
    FILE *f = fopen(tmp_path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

static Task *jsonl_task(int match, char *e, size_t n) {
    Config c;
    base_config(&c, "jsonl");
    snprintf(c.task.path, sizeof c.task.path, "%s", tmp_path);
    c.task.match = match;
    c.task.eval_size = 5;
    return task_new(&c, e, n);
}

static void expect_jsonl_error(const char *text, const char *needle) {
    write_file(text);
    Task *t = jsonl_task(MATCH_EXACT, err, sizeof err);
    if (t) {
        task_free(t);
        fail_msg("jsonl loaded, expected an error mentioning \"%s\"", needle);
    }
    if (!strstr(err, needle) || !strstr(err, tmp_path)) fail_msg("error \"%s\" lacks \"%s\" or the path", err, needle);
    unlink(tmp_path);
}

/* With a Hugging Face tokenizer (model.tokenizer, or model.init a folder with one) a jsonl prompt may be any UTF-8
 * text: only the character tokenizer's alphabet is refused above. */
static void test_jsonl_utf8_with_hf_tokenizer(void **state) {
    (void)state;
    static const char TEXT[] = "{\"prompt\": \"caf\\u00e9 \\u6570\\u5b66 1+1=\", \"answer\": \"2\"}\n"
                               "{\"prompt\": \"na\\u00efve 2+2=\", \"answer\": \"4\"}\n"
                               "{\"prompt\": \"3+3=\", \"answer\": \"6\"}\n";
    for (int how = 0; how < 2; how++) {
        write_file(TEXT);
        Config c;
        base_config(&c, "jsonl");
        snprintf(c.task.path, sizeof c.task.path, "%s", tmp_path);
        c.task.eval_size = 1;
        if (how == 0) snprintf(c.model.tokenizer, sizeof c.model.tokenizer, "%s", GRPO_SOURCE_DIR "/tests/fixtures/hf/llama/tokenizer.json");
        else snprintf(c.model.init, sizeof c.model.init, "%s", GRPO_SOURCE_DIR "/tests/fixtures/hf/llama");
        Task *t = task_new(&c, err, sizeof err);
        if (!t) fail_msg("%s: %s", how == 0 ? "model.tokenizer" : "model.init", err);
        int found = 0;
        for (TaskSplit sp = SPLIT_TRAIN; sp <= SPLIT_EVAL; sp++)
            for (uint64_t i = 0; i < task_size(t, sp); i++) {
                Problem p;
                task_problem(t, sp, i, &p);
                found += strstr(p.question, "caf\xC3\xA9 \xE6\x95\xB0\xE5\xAD\xA6") != NULL;
            }
        assert_int_equal(found, 1);
        task_free(t);
        unlink(tmp_path);
    }
}

static void test_jsonl_errors(void **state) {
    (void)state;
    expect_jsonl_error("{\"prompt\": \"1+1=\", \"answer\": \"2\"}\n{\"prompt\": \"2+2=\", \"answer\": }\n", ":2:");
    expect_jsonl_error("{\"prompt\": \"a\", \"answer\": \"b\"}\n\n[1, 2]\n", ":3: expected a JSON object");
    expect_jsonl_error("{\"prompt\": \"a\", \"answer\": \"b\"}\n{\"question\": \"a\", \"answer\": \"b\"}\n",
                       ":2: \"prompt\" is missing");
    expect_jsonl_error("{\"prompt\": \"a\"}\n", ":1: \"answer\" is missing");
    expect_jsonl_error("{\"prompt\": \"a\", \"answer\": [1]}\n", ":1: \"answer\" has the wrong type");
    expect_jsonl_error("{\"prompt\": 5, \"answer\": \"1\"}\n", ":1: \"prompt\" is not a string");
    expect_jsonl_error("{\"prompt\": \"caf\\u00e9\", \"answer\": \"1\"}\n", "\\xC3");
    expect_jsonl_error("{\"prompt\": \"a\", \"answer\": \"1\", \"prompt\": \"b\"}\n", ":1: malformed JSON");
    expect_jsonl_error("{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"b<think>\", \"answer\": \"1\"}\n",
                       ":2: \"prompt\" contains <think>");
    expect_jsonl_error("", "distinct prompts");
    expect_jsonl_error("{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"a\", \"answer\": \"1\"}\n",
                       "1 distinct prompts");
    char big[1200];
    snprintf(big, sizeof big, "{\"prompt\": \"%01100d\", \"answer\": \"1\"}\n", 7);
    expect_jsonl_error(big, ":1: \"prompt\" is 1100 bytes");
}

static Task *data_task(const char *name, const char *text, char *e, size_t n) {
    write_file(text);
    Config c;
    base_config(&c, name);
    snprintf(c.task.path, sizeof c.task.path, "%s", tmp_path);
    c.task.eval_size = 5;
    Task *t = task_new(&c, e, n);
    unlink(tmp_path);
    return t;
}

/* The problem whose question is q, from either split. */
static void find_problem(const Task *t, const char *q, Problem *p) {
    for (int s = 0; s < 2; s++)
        for (uint64_t i = 0; i < task_size(t, (TaskSplit)s); i++) {
            task_problem(t, (TaskSplit)s, i, p);
            if (strcmp(p->question, q) == 0) return;
        }
    fail_msg("no problem \"%s\"", q);
}

/* gsm8k: the answer after "####"; a model's answer is graded by its last number */
static void test_gsm8k(void **state) {
    (void)state;
    const char *text =
        "{\"question\": \"Tom has 3 boxes of 4 pens. How many pens?\", \"answer\": \"3*4=<<3*4=12>>12\\n#### 12\"}\n"
        "{\"question\": \"A car costs $12,500 and a bike $250. Together?\", \"answer\": \"#### 12,750\"}\n"
        "{\"question\": \"Ann reads 2 pages a day for 5 days. Pages?\", \"answer\": \"2*5=10\\n#### 10\", \"id\": 7}\n";
    Task *t = data_task("gsm8k", text, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(task_size(t, SPLIT_TRAIN) + task_size(t, SPLIT_EVAL), 3);
    Problem p;
    find_problem(t, "A car costs $12,500 and a bike $250. Together?", &p);
    assert_string_equal(p.answer, "12750");
    assert_int_equal(task_check(t, &p, "12750"), 1);
    assert_int_equal(task_check(t, &p, " The total is $12,750."), 1);
    assert_int_equal(task_check(t, &p, "12,500 + 250 = 12,750"), 1);
    assert_int_equal(task_check(t, &p, "12,750 dollars, not 12,500"), 0); /* the last number counts */
    assert_int_equal(task_check(t, &p, "twelve thousand"), 0);
    find_problem(t, "Tom has 3 boxes of 4 pens. How many pens?", &p);
    assert_string_equal(p.answer, "12");
    assert_int_equal(task_check(t, &p, "12.0"), 1);
    assert_int_equal(task_check(t, &p, "13"), 0);
    task_free(t);
    /* non-ASCII text is fine for real models' tasks; special tokens are not */
    t = data_task("gsm8k", "{\"question\": \"caf\\u00e9 costs \\u20ac3\", \"answer\": \"#### 3\"}\n"
                           "{\"question\": \"b\", \"answer\": \"#### 4\"}\n", err, sizeof err);
    if (!t) fail_msg("%s", err);
    task_free(t);
    assert_null(data_task("gsm8k", "{\"question\": \"a\", \"answer\": \"no final line\"}\n", err, sizeof err));
    assert_non_null(strstr(err, ":1: \"answer\" has no final answer after \"####\""));
    assert_null(data_task("gsm8k", "{\"prompt\": \"a\", \"answer\": \"#### 1\"}\n", err, sizeof err));
    assert_non_null(strstr(err, ":1: \"question\" is missing"));
    assert_null(data_task("gsm8k", "{\"question\": \"a<answer>\", \"answer\": \"#### 1\"}\n", err, sizeof err));
    assert_non_null(strstr(err, "contains <answer>"));
}

/* The shipped GSM8K-style problems load, hold out about a tenth, and every answer grades its own value right. */
static void test_gsm8k_shipped(void **state) {
    (void)state;
    Config c;
    base_config(&c, "gsm8k");
    snprintf(c.task.path, sizeof c.task.path, "%s/assets/gsm8k-style/problems.jsonl", GRPO_SOURCE_DIR);
    c.task.eval_size = 200;
    Task *t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    uint64_t tr = task_size(t, SPLIT_TRAIN), ev = task_size(t, SPLIT_EVAL);
    assert_int_equal(tr + ev, 400);
    assert_true(ev >= 30 && ev <= 50);
    for (int s = 0; s < 2; s++)
        for (uint64_t i = 0; i < task_size(t, (TaskSplit)s); i++) {
            Problem p;
            task_problem(t, (TaskSplit)s, i, &p);
            char said[160];
            snprintf(said, sizeof said, "So the answer is %s.", p.answer);
            assert_int_equal(task_check(t, &p, said), 1);
            assert_int_equal(task_split_of(t, &p), s);
        }
    task_free(t);
}

/* math: the given answer or the solution's last \boxed{}; numbers by value, other answers as normalised LaTeX */
static void test_math(void **state) {
    (void)state;
    const char *text =
        "{\"problem\": \"Compute 1/2 + 1/4.\", \"solution\": \"We get $\\\\boxed{\\\\frac{3}{4}}$.\", \"level\": \"Level 1\"}\n"
        "{\"problem\": \"Solve x^2=4 for x>0.\", \"answer\": 2}\n"
        "{\"problem\": \"Give the interval.\", \"answer\": \"\\\\left(0, \\\\dfrac{1}{2}\\\\right]\"}\n";
    Task *t = data_task("math", text, err, sizeof err);
    if (!t) fail_msg("%s", err);
    Problem p;
    find_problem(t, "Compute 1/2 + 1/4.", &p);
    assert_string_equal(p.answer, "\\frac{3}{4}");
    assert_int_equal(task_check(t, &p, "0.75"), 1);
    assert_int_equal(task_check(t, &p, "so \\boxed{3/4}"), 1);
    assert_int_equal(task_check(t, &p, "\\boxed{\\dfrac{3}{4}}"), 1);
    assert_int_equal(task_check(t, &p, "\\boxed{0.7}"), 0);
    find_problem(t, "Solve x^2=4 for x>0.", &p);
    assert_int_equal(task_check(t, &p, "$2$"), 1);
    assert_int_equal(task_check(t, &p, "x = 2"), 0); /* not just a number, and not the same text */
    find_problem(t, "Give the interval.", &p);
    assert_int_equal(task_check(t, &p, "\\boxed{(0,\\frac{1}{2}]}"), 1);
    assert_int_equal(task_check(t, &p, "(0, 1/2)"), 0);
    task_free(t);
    assert_null(data_task("math", "{\"problem\": \"a\", \"solution\": \"no box\"}\n", err, sizeof err));
    assert_non_null(strstr(err, ":1: \"solution\" has no closed \\boxed{"));
    assert_null(data_task("math", "{\"problem\": \"a\", \"solution\": 3}\n", err, sizeof err));
    assert_non_null(strstr(err, ":1: \"solution\" has the wrong type: expected a string"));
}

/* A NUL byte never truncates or hides a line: after the object, inside it, or alone on a line. */
static void test_jsonl_nul(void **state) {
    (void)state;
    static const char good[] = "{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"b\", \"answer\": \"2\"}\n";
    static const char after[] = "{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"b\", \"answer\": \"2\"}\0junk\n";
    static const char alone[] = "{\"prompt\": \"a\", \"answer\": \"1\"}\n\0{\"prompt\": \"c\", \"answer\": \"3\"}\n"
                                "{\"prompt\": \"b\", \"answer\": \"2\"}\n";
    static const char inside[] = "{\"prompt\": \"a\0b\", \"answer\": \"1\"}\n{\"prompt\": \"b\", \"answer\": \"2\"}\n";
    struct { const char *bytes; size_t n; const char *needle; } cases[] = {
        {after, sizeof after - 1, ":2: a NUL byte at byte 31"},
        {alone, sizeof alone - 1, ":2: a NUL byte at byte 1"},
        {inside, sizeof inside - 1, ":1: a NUL byte at byte 14"},
    };
    write_bytes(good, sizeof good - 1);
    Task *t = jsonl_task(MATCH_EXACT, err, sizeof err);
    if (!t) fail_msg("%s", err);
    task_free(t);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_bytes(cases[i].bytes, cases[i].n);
        t = jsonl_task(MATCH_EXACT, err, sizeof err);
        if (t) { task_free(t); fail_msg("case %zu: a line with a NUL byte was accepted", i); }
        if (!strstr(err, cases[i].needle) || !strstr(err, tmp_path))
            fail_msg("case %zu: error \"%s\" lacks \"%s\" or the path", i, err, cases[i].needle);
    }
    unlink(tmp_path);
}

/* A prompt that leaves no room for a completion in model.max_seq fails when the task is made, naming the line
 * and the lengths - not at the trainer's first step. */
static void test_jsonl_prompt_too_long(void **state) {
    (void)state;
    char text[1024], q[201];
    memset(q, '7', 200);
    q[200] = '\0';
    snprintf(text, sizeof text, "{\"prompt\": \"a\", \"answer\": \"1\"}\n{\"prompt\": \"b\", \"answer\": \"2\"}\n"
             "{\"prompt\": \"%s\", \"answer\": \"3\"}\n", q);
    write_file(text);
    Config c;
    base_config(&c, "jsonl");
    snprintf(c.task.path, sizeof c.task.path, "%s", tmp_path);
    c.task.eval_size = 5;
    c.model.max_seq = 256;   /* <bos> + 200 + <think> = 202 tokens fit */
    Task *t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    task_free(t);
    c.model.max_seq = 202;   /* 202 tokens of prompt leave nothing for the completion */
    expect_new_fails(&c, ":3: the prompt is 202 tokens");
    assert_non_null(strstr(err, tmp_path));
    assert_non_null(strstr(err, "model.max_seq = 202"));
    c.model.max_seq = 203;
    t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    task_free(t);
    /* the template counts: "Question: " adds 10 tokens */
    snprintf(c.task.prompt_template, sizeof c.task.prompt_template, "Question: {question}<think>");
    expect_new_fails(&c, ":3: the prompt is 212 tokens");
    unlink(tmp_path);
}

static void test_jsonl(void **state) {
    (void)state;
    char text[8192] = "";
    for (int i = 0; i < 60; i++) {
        char line[128];
        if (i % 3 == 0) snprintf(line, sizeof line, "{\"prompt\": \"q%d\", \"answer\": %d}\n", i, i * 2);
        else snprintf(line, sizeof line, "{\"prompt\": \"q%d\", \"answer\": \"%d.0\"}\r\n", i, i * 2);
        strcat(text, line);
        if (i == 10) strcat(text, "   \n");
    }
    write_file(text);
    Task *t = jsonl_task(MATCH_NUMERIC, err, sizeof err);
    if (!t) fail_msg("%s", err);
    uint64_t ne = task_size(t, SPLIT_EVAL), nt = task_size(t, SPLIT_TRAIN);
    assert_int_equal(ne, 5); /* ceil(60/10) = 6, capped by eval_size */
    assert_int_equal(ne + nt, 60);
    char **tr = questions(t, SPLIT_TRAIN, (int)nt), **ev = questions(t, SPLIT_EVAL, (int)ne);
    for (uint64_t i = 0; i < ne; i++)
        for (uint64_t j = 0; j < nt; j++) assert_string_not_equal(ev[i], tr[j]);
    free_questions(tr, (int)nt);
    free_questions(ev, (int)ne);
    Problem p, q;
    task_problem(t, SPLIT_TRAIN, 0, &p);
    task_problem(t, SPLIT_TRAIN, nt, &q); /* wraps */
    assert_string_equal(p.question, q.question);
    int idx = atoi(p.question + 1);
    char right[32], wrong[32];
    snprintf(right, sizeof right, " %d ", idx * 2);
    snprintf(wrong, sizeof wrong, "%d", idx * 2 + 1);
    assert_int_equal(task_check(t, &p, right), 1);
    assert_int_equal(task_check(t, &p, wrong), 0);
    assert_int_equal(task_check(t, &p, "abc"), 0);
    assert_int_equal(task_check(t, &p, ""), 0);
    /* Every style writes the direct answer, graded right. */
    char buf[256];
    for (int s = 0; s < STYLE_COUNT; s++) {
        Rng r;
        rng_seed(&r, 1, 0);
        assert_true(task_write_solution(t, &p, s, &r, buf, sizeof buf) > 0);
        assert_int_equal(reward_accuracy(t, &p, buf), 1.0f);
        assert_int_equal(reward_format(buf), 1.0f);
    }
    /* Loading again gives the same held-out subset. */
    Task *again = jsonl_task(MATCH_NUMERIC, err, sizeof err);
    for (uint64_t i = 0; i < ne; i++) {
        task_problem(t, SPLIT_EVAL, i, &p);
        task_problem(again, SPLIT_EVAL, i, &q);
        assert_string_equal(p.question, q.question);
    }
    task_free(again);
    task_free(t);

    /* Exact match: whitespace around is ignored, nothing else. */
    write_file("{\"prompt\": \"capital of France?\", \"answer\": \"Paris\"}\n"
               "{\"prompt\": \"2+2?\", \"answer\": \"4\"}\n");
    t = jsonl_task(MATCH_EXACT, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_int_equal(task_size(t, SPLIT_EVAL), 1);
    assert_int_equal(task_size(t, SPLIT_TRAIN), 1);
    for (int s = 0; s < 2; s++) {
        task_problem(t, s, 0, &p);
        if (strcmp(p.answer, "Paris") == 0) {
            assert_int_equal(task_check(t, &p, " Paris\n"), 1);
            assert_int_equal(task_check(t, &p, "paris"), 0);
            assert_int_equal(task_check(t, &p, "Paris."), 0);
        } else {
            assert_int_equal(task_check(t, &p, "4"), 1);
            assert_int_equal(task_check(t, &p, "4.0"), 0); /* exact, not numeric */
        }
    }
    task_free(t);
    unlink(tmp_path);
}

/* ---- prompts and solution styles ---- */

static void test_prompt(void **state) {
    (void)state;
    Config c;
    base_config(&c, "add");
    c.task.prompt_template[0] = '\0'; /* empty: the default */
    Task *t = task_new(&c, err, sizeof err);
    assert_non_null(t);
    Problem p;
    task_problem(t, SPLIT_TRAIN, 0, &p);
    char buf[2048], want[2048];
    snprintf(want, sizeof want, "%s<think>", p.question);
    assert_int_equal(task_format_prompt(t, &p, buf, sizeof buf), (int)strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(task_format_prompt(t, &p, buf, 5), -1);
    task_free(t);
    snprintf(c.task.prompt_template, sizeof c.task.prompt_template, "Q: {question}\nA: <think>");
    t = task_new(&c, err, sizeof err);
    assert_non_null(t);
    task_format_prompt(t, &p, buf, sizeof buf);
    snprintf(want, sizeof want, "Q: %s\nA: <think>", p.question);
    assert_string_equal(buf, want);
    task_free(t);
    assert_int_equal(solution_style_from_name("wait"), STYLE_WAIT);
    assert_int_equal(solution_style_from_name("direct"), STYLE_DIRECT);
    assert_int_equal(solution_style_from_name("nope"), -1);
}

/* The "=..." lines of a solution's thinking (candidate answers), copied into cands. */
static int candidates(const char *sol, char cands[][64], int max) {
    int n = 0;
    const char *end = strstr(sol, "</think>");
    for (const char *l = sol; l && l < end && n < max;) {
        const char *eol = strchr(l, '\n');
        if (*l == '=') {
            size_t k = (size_t)((eol && eol < end ? eol : end) - l - 1);
            snprintf(cands[n++], 64, "%.*s", (int)k, l + 1);
        }
        l = eol ? eol + 1 : NULL;
    }
    return n;
}

static void check_styles(const char *name, int digits_max, int n_problems, int scratch_limit) {
    Config c;
    base_config(&c, name);
    c.task.digits_min = digits_max > 1 ? digits_max - 1 : 1;
    c.task.digits_max = digits_max;
    Task *t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    Tokenizer tok;
    assert_int_equal(tokenizer_init(&tok, TOKENIZER_DEFAULT_ALPHABET, err, sizeof err), 0);
    RewardWeights w = {1.0f, 0.5f, 0.0f};
    Rng rng;
    rng_seed(&rng, 42, 7);
    int max_len[STYLE_COUNT] = {0};
    for (int i = 0; i < n_problems; i++) {
        Problem p;
        task_problem(t, i % 5 == 0 ? SPLIT_EVAL : SPLIT_TRAIN, (uint64_t)i, &p);
        for (int s = 0; s < STYLE_COUNT; s++) {
            char prompt[512], sol[1024], full[1600];
            int n = task_write_solution(t, &p, s, &rng, sol, sizeof sol);
            assert_true(n > 0);
            assert_int_equal(n, (int)strlen(sol));
            if (n > max_len[s]) max_len[s] = n;
            assert_true(task_format_prompt(t, &p, prompt, sizeof prompt) > 0);
            snprintf(full, sizeof full, "%s%s<eos>", prompt, sol);
            int ids[1600];
            int nt = tokenizer_encode(&tok, full, ids, 1600, err, sizeof err);
            if (nt < 0) fail_msg("%s %s: %s\n%s", name, SOLUTION_STYLE_NAMES[s], err, full);
            assert_null(strstr(sol, "<think>")); /* the prompt opened it */
            RewardResult r;
            reward_score(t, &p, sol, &w, &r);
            if (!r.correct || r.format != 1.0f || r.language != 1.0f)
                fail_msg("%s %s graded acc %g fmt %g lang %g:\n%s%s", name, SOLUTION_STYLE_NAMES[s], r.accuracy,
                         r.format, r.language, prompt, sol);
            assert_true(r.total == 1.5f);
            char cands[8][64];
            int nc = candidates(sol, cands, 8);
            switch (s) {
            case STYLE_DIRECT:
                assert_int_equal(r.flags, 0);
                break;
            case STYLE_SCRATCHPAD:
                assert_int_equal(r.flags, 0);
                assert_int_equal(nc, 1);
                assert_string_equal(cands[0], p.answer);
                if (scratch_limit) assert_true(n < scratch_limit);
                break;
            case STYLE_CHECK: /* a check that passes is verification, not reflection */
                assert_int_equal(r.flags, 0);
                assert_non_null(strstr(sol, "verify"));
                assert_non_null(strstr(sol, " ok\n"));
                assert_null(strstr(sol, " no\n"));
                break;
            case STYLE_WAIT:
                /* A wrong intermediate, caught ("no"), then "wait" and the right result. */
                assert_non_null(strstr(sol, "wait\n"));
                assert_non_null(strstr(sol, " no\nwait\n"));
                assert_true(nc >= 2);
                assert_int_equal(task_check(t, &p, cands[0]), 0);
                assert_int_equal(task_check(t, &p, cands[nc - 1]), 1);
                assert_int_equal(r.flags, ROLLOUT_FLAG_REFLECTION | ROLLOUT_FLAG_SELF_CORRECTION);
                break;
            }
        }
    }
    print_message("%s (digits up to %d): longest direct %d, scratchpad %d, check %d, wait %d chars\n", name,
                  digits_max, max_len[0], max_len[1], max_len[2], max_len[3]);
    char small[16];
    Problem p;
    task_problem(t, SPLIT_TRAIN, 0, &p);
    assert_int_equal(task_write_solution(t, &p, STYLE_CHECK, &rng, small, sizeof small), -1);
    task_free(t);
}

static void test_styles_add(void **state) {
    (void)state;
    check_styles("add", 5, 400, 150);
    check_styles("add", 2, 200, 0);
    check_styles("add", 9, 100, 0);
}
static void test_styles_mul(void **state) {
    (void)state;
    check_styles("mul", 5, 400, 0);
    check_styles("mul", 1, 100, 0);
}
/* Countdown's search (task_countdown.c): every equation and verdict it writes is true, the budgets hold, a search
 * ends at its first hit or gives up with its last attempt, and the aha flags read a caught miss as such. */
static void test_styles_countdown(void **state) {
    (void)state;
    Config c;
    base_config(&c, "countdown");
    c.task.numbers_min = 3;
    c.task.numbers = 4;
    c.task.number_max = 9;
    c.task.target_max = 100;
    Task *t = task_new(&c, err, sizeof err);
    if (!t) fail_msg("%s", err);
    RewardWeights w = {1.0f, 0.5f, 0.0f};
    Rng rng;
    rng_seed(&rng, 42, 7);
    int max_att[STYLE_COUNT] = {0}, hits[STYLE_COUNT] = {0}, longer = 0;
    for (int i = 0; i < 400; i++) {
        Problem p;
        task_problem(t, i % 5 == 0 ? SPLIT_EVAL : SPLIT_TRAIN, (uint64_t)i, &p);
        for (int s = 0; s < STYLE_COUNT; s++) {
            char sol[4096];
            int n = task_write_solution(t, &p, s, &rng, sol, sizeof sol);
            assert_true(n > 0);
            RewardResult r;
            reward_score(t, &p, sol, &w, &r);
            if (r.format != 1.0f || r.language != 1.0f) fail_msg("%s: format %g language %g:\n%s", SOLUTION_STYLE_NAMES[s], r.format, r.language, sol);
            const char *th;
            size_t tn;
            reward_thinking_span(sol, &th, &tn);
            int eq, eqt, v, vt, first;
            search_count_arithmetic(th, tn, &eq, &eqt, &v, &vt);
            int att = search_attempts(t, &p, sol, r.correct, &first);
            if (eq != eqt || v != vt) fail_msg("untrue arithmetic (%d/%d equations, %d/%d verdicts):\n%s", eqt, eq, vt, v, sol);
            assert_int_equal(v, att);                    /* one verdict per attempt */
            assert_int_equal(eq, att * (p.n_operands - 1)); /* one equation per step */
            if (att > max_att[s]) max_att[s] = att;
            hits[s] += r.correct;
            char cands[16][64];
            int nc = candidates(sol, cands, 16);
            assert_int_equal(nc, att);
            switch (s) {
            case STYLE_DIRECT:
                assert_int_equal(att, 0);
                assert_true(r.correct);
                break;
            case STYLE_SCRATCHPAD: assert_int_equal(att, 1); break;
            case STYLE_CHECK: assert_true(att >= 1 && att <= 4); break;
            default: assert_true(att >= 1 && att <= 10); break;
            }
            if (s == STYLE_DIRECT) continue;
            for (int k = 0; k + 1 < nc; k++) assert_int_equal(task_check(t, &p, cands[k]), 0); /* misses go on */
            char ans[128];
            assert_int_equal(reward_extract_answer(sol, ans, sizeof ans), 0);
            assert_string_equal(ans, cands[nc - 1]);     /* the answer is the last attempt */
            if (r.correct) {
                assert_non_null(strstr(sol, " ok\n</think>"));
                assert_null(strstr(sol, "give up"));
            } else {
                assert_non_null(strstr(sol, " no\ngive up\n</think>"));
            }
            if (nc >= 2) {
                assert_non_null(strstr(sol, " no\nwait\n"));
                assert_true(r.flags & ROLLOUT_FLAG_REFLECTION);
                assert_int_equal((r.flags & ROLLOUT_FLAG_SELF_CORRECTION) != 0, r.correct);
                longer++;
            } else {
                assert_int_equal(r.flags, 0);
            }
        }
    }
    print_message("countdown search: right %d/%d/%d/%d of 400 (direct, 1, 2-4, until a hit), most attempts %d/%d/%d\n",
                  hits[0], hits[1], hits[2], hits[3], max_att[1], max_att[2], max_att[3]);
    assert_int_equal(hits[STYLE_DIRECT], 400);
    assert_true(hits[STYLE_SCRATCHPAD] < hits[STYLE_CHECK] && hits[STYLE_CHECK] < hits[STYLE_WAIT]);
    assert_true(hits[STYLE_WAIT] > 250);         /* 4 numbers may run out of the 10 attempts */
    assert_true(max_att[STYLE_WAIT] > 4 && longer > 100);
    char small[16];
    Problem p;
    task_problem(t, SPLIT_TRAIN, 0, &p);
    assert_int_equal(task_write_solution(t, &p, STYLE_WAIT, &rng, small, sizeof small), -1);
    task_free(t);
}
static void test_styles_letters(void **state) {
    (void)state;
    check_styles("letters", 0, 400, 0);
}

/* The add check recomputes from the written result: a slipped column shows up as a wrong first operand. */
static void test_add_wait_mistake_is_caught(void **state) {
    (void)state;
    Task *t = make("add");
    Problem p = {.operands = {47385, 9128}, .n_operands = 2};
    snprintf(p.question, sizeof p.question, "47385+9128=");
    snprintf(p.answer, sizeof p.answer, "56513");
    char buf[512];
    for (uint64_t seed = 0; seed < 50; seed++) {
        Rng r;
        rng_seed(&r, seed, 0);
        assert_true(task_write_solution(t, &p, STYLE_WAIT, &r, buf, sizeof buf) > 0);
        char cands[8][64];
        int nc = candidates(buf, cands, 8);
        assert_int_equal(nc, 2);
        long long wrong = atoll(cands[0]);
        /* The recomputed first operand is wrong by exactly as much as the written sum. */
        char want[64];
        snprintf(want, sizeof want, "\n%lld no\nwait\n", wrong - 9128);
        if (!strstr(buf, want)) fail_msg("missing \"%s\" in\n%s", want + 1, buf);
    }
    Rng r;
    rng_seed(&r, 1, 0);
    assert_int_equal(task_write_solution(t, &p, STYLE_CHECK, &r, buf, sizeof buf) > 0, 1);
    assert_non_null(strstr(buf, "=56513\nverify\n"));
    assert_non_null(strstr(buf, "\n47385 ok\n"));
    task_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),      cmocka_unit_test(test_splits_disjoint),
        cmocka_unit_test(test_countdown_split_ignores_order), cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_add_problems),       cmocka_unit_test(test_mul_problems),
        cmocka_unit_test(test_countdown_checker),  cmocka_unit_test(test_countdown_problems),
        cmocka_unit_test(test_train_halves),
        cmocka_unit_test(test_letters),            cmocka_unit_test(test_jsonl_errors),
        cmocka_unit_test(test_jsonl_utf8_with_hf_tokenizer),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_nul),
        cmocka_unit_test(test_gsm8k),
        cmocka_unit_test(test_gsm8k_shipped),
        cmocka_unit_test(test_math),
        cmocka_unit_test(test_jsonl_prompt_too_long),              cmocka_unit_test(test_prompt),
        cmocka_unit_test(test_styles_add),         cmocka_unit_test(test_styles_mul),
        cmocka_unit_test(test_styles_countdown),   cmocka_unit_test(test_styles_letters),
        cmocka_unit_test(test_add_wait_mistake_is_caught),
    };
    return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
