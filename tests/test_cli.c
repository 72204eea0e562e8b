/* test_cli.c - the command line's shared helpers (ui/cli.h): one integer and number parser that rejects trailing
 * characters, overflow and out-of-range values with a message naming the option, the value and the range;
 * options that stand for a config key checked by that key's parser and range; --set checked when parsed; and
 * cli_load_config applying run.threads to the kernels' pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/kernels.h"
#include "ui/cli.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_contains(const char *text, const char *part) {
    if (!strstr(text, part)) fail_msg("expected \"%s\" in: %s", part, text);
}

static void test_parse_int(void **state) {
    (void)state;
    char err[256];
    int v = -7;
    long long w = -7;
    assert_int_equal(cli_parse_int("--problems", "12", 1, 100, &v, err, sizeof err), 0);
    assert_int_equal(v, 12);
    assert_int_equal(cli_parse_int("--problems", "-3", -5, 5, &v, err, sizeof err), 0);
    assert_int_equal(v, -3);
    static const char *const bad[] = {"", "abc", "5x", "5 ", "0x10", "1e3", "101", "0", "-1",
                                      "99999999999999999999999", "3.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 42;
        err[0] = '\0';
        if (cli_parse_int("--problems", bad[i], 1, 100, &v, err, sizeof err) == 0) fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(v, 42);   /* untouched */
        assert_contains(err, "--problems");
        assert_contains(err, "1 .. 100");
        if (bad[i][0]) assert_contains(err, bad[i]);
    }
    assert_int_equal(cli_parse_int64("--rollouts", "5000000000", 1, 10000000000LL, &w, err, sizeof err), 0);
    assert_true(w == 5000000000LL);
    assert_int_equal(cli_parse_int64("--rollouts", "20000000000", 1, 10000000000LL, &w, err, sizeof err), -1);
    assert_contains(err, "1 .. 10000000000");
    /* a key's range, without setting the key */
    assert_int_equal(cli_parse_int_key_range("--threads", "64", "run.threads", &v, err, sizeof err), 0);
    assert_int_equal(v, 64);
    assert_int_equal(cli_parse_int_key_range("--threads", "65", "run.threads", &v, err, sizeof err), -1);
    assert_contains(err, "--threads 65: expected an integer in 1 .. 64");
    assert_int_equal(cli_parse_int_key_range("--name", "3", "run.name", &v, err, sizeof err), -1);
}

static void test_parse_number(void **state) {
    (void)state;
    char err[256];
    double x = 0;
    assert_int_equal(cli_parse_number("--min-reward", "-0.5", -10, 10, &x, err, sizeof err), 0);
    assert_true(x == -0.5);
    static const char *const bad[] = {"", "nan", "inf", "-inf", "1e400", "0.5x", "11", "reward"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        x = 7;
        if (cli_parse_number("--min-reward", bad[i], -10, 10, &x, err, sizeof err) == 0) fail_msg("accepted '%s'", bad[i]);
        assert_true(x == 7);
        assert_contains(err, "--min-reward");
        assert_contains(err, "-10 .. 10");
    }
}

/* An option that stands for a key is checked by the key's range, and written as the key writes it. */
static void test_option_keys(void **state) {
    (void)state;
    CliSets s = {0};
    char err[512];
    static const char *const bad_samples[] = {"0", "abc", "100000", "65", "4x", ""};
    for (size_t i = 0; i < sizeof bad_samples / sizeof bad_samples[0]; i++) {
        if (cli_sets_add_option(&s, "--samples", "run.eval_samples", bad_samples[i], err, sizeof err) == 0)
            fail_msg("--samples '%s' accepted", bad_samples[i]);
        assert_contains(err, "--samples");
        assert_contains(err, "run.eval_samples");
        assert_contains(err, "1 .. 64");
    }
    assert_int_equal(s.n, 0);
    assert_int_equal(cli_sets_add_option(&s, "--max-new", "sampling.max_new_tokens", "0", err, sizeof err), -1);
    assert_contains(err, "--max-new");
    assert_contains(err, "1 .. 16384");
    assert_int_equal(cli_sets_add_option(&s, "--samples", "run.eval_samples", "8", err, sizeof err), 0);
    assert_int_equal(cli_sets_add_option(&s, "--temperature", "sampling.temperature", "0.70", err, sizeof err), 0);
    assert_int_equal(cli_sets_add_option(&s, "--task", "task.name", "MUL", err, sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.items[0], "run.eval_samples=8");
    assert_string_equal(s.items[1], "sampling.temperature=0.7");
    assert_string_equal(s.items[2], "task.name=mul");

    /* --set: checked at once, kept as given */
    char good[] = "grpo.beta=0.1", bad_key[] = "grpo.btea=0.1", bad_value[] = "run.threads=0", no_eq[] = "grpo.beta";
    assert_int_equal(cli_sets_add(&s, good, err, sizeof err), 0);
    assert_ptr_equal(s.items[3], good);
    assert_int_equal(cli_sets_add(&s, bad_key, err, sizeof err), -1);
    assert_contains(err, "did you mean grpo.beta");
    assert_int_equal(cli_sets_add(&s, bad_value, err, sizeof err), -1);
    assert_contains(err, "run.threads");
    assert_contains(err, "1 .. 64");
    assert_int_equal(cli_sets_add(&s, no_eq, err, sizeof err), -1);
    assert_int_equal(s.n, 4);

    Config c;
    assert_int_equal(cli_load_config(&c, NULL, s.items, s.n, err, sizeof err), 0);
    assert_int_equal(c.run.eval_samples, 8);
    assert_true(c.sampling.temperature == 0.7f);
    assert_string_equal(c.task.name, "mul");
    assert_true(c.grpo.beta == 0.1f);

    /* more than CLI_MAX_SETS is an error, not an overflow */
    CliSets full = {0};
    for (int i = 0; i < CLI_MAX_SETS; i++)
        assert_int_equal(cli_sets_add_option(&full, "--seed", "run.seed", "3", err, sizeof err), 0);
    assert_int_equal(cli_sets_add_option(&full, "--seed", "run.seed", "3", err, sizeof err), -1);
    assert_int_equal(cli_sets_add(&full, good, err, sizeof err), -1);
    assert_int_equal(full.n, CLI_MAX_SETS);
}

/* run.threads takes effect: the pool has that many threads after the config is loaded, and OpenBLAS runs one
 * thread under each of them. */
/* A path that does not fit its buffer is refused by name, never cut short. */
static void test_resolve_never_truncates(void **state) {
    (void)state;
    char out[16], err[256] = "";
    assert_int_equal(cli_resolve(out, sizeof out, "/abs/short", "model.init", err, sizeof err), 0);
    assert_string_equal(out, "/abs/short");
    assert_int_equal(cli_resolve(out, sizeof out, "/a/path/of/twenty/chars", "model.init", err, sizeof err), -1);
    assert_non_null(strstr(err, "model.init"));
    assert_non_null(strstr(err, "at most 15"));
}

static void test_threads_applied(void **state) {
    (void)state;
    static const char *const want[] = {"1", "3", "2"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CliSets s = {0};
        char err[512];
        Config c;
        assert_int_equal(cli_sets_add_option(&s, "--threads", "run.threads", want[i], err, sizeof err), 0);
        assert_int_equal(cli_load_config(&c, NULL, s.items, s.n, err, sizeof err), 0);
        assert_int_equal(kernels_threads(), atoi(want[i]));
        assert_int_equal(openblas_get_num_threads(), 1);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_parse_number),
        cmocka_unit_test(test_option_keys),
        cmocka_unit_test(test_resolve_never_truncates),
        cmocka_unit_test(test_threads_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
