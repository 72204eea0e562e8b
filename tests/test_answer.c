/* test_answer.c - final answers out of free text: GSM8K's "####", \boxed{}, numbers as written, LaTeX
 * normalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "core/answer.h"

static void number_is(const char *text, double want) {
    double v = -12345.678;
    if (answer_number(text, &v) != 0) fail_msg("answer_number(\"%s\") failed, expected %g", text, want);
    if (!answer_numbers_equal(v, want)) fail_msg("answer_number(\"%s\") = %.17g, expected %.17g", text, v, want);
}

static void not_number(const char *text) {
    double v;
    if (answer_number(text, &v) == 0) fail_msg("answer_number(\"%s\") = %g, expected no number", text, v);
}

static void test_numbers(void **state) {
    (void)state;
    number_is("72", 72);
    number_is(" 72 \n", 72);
    number_is("-3", -3);
    number_is("1,234", 1234);
    number_is("1,234,567.5", 1234567.5);
    number_is("$18.50", 18.5);
    number_is("\\$18", 18);
    number_is("$\\frac{3}{4}$", 0.75);
    number_is("\\dfrac{-1}{8}", -0.125);
    number_is("-\\frac{1}{2}", -0.5);
    number_is("3/4", 0.75);
    number_is("2.50", 2.5);
    number_is("2.500", 2.5);
    number_is("45%", 45);
    number_is("45\\%", 45);
    number_is("18.", 18);
    number_is("1e3", 1000);
    not_number("");
    not_number("abc");
    not_number("12 apples");
    not_number("1,23");      /* not a thousands group */
    not_number("12,3456");
    not_number("3/0");
    not_number("\\frac{1}{0}");
    not_number("\\frac{a}{2}");
    not_number("x=5");
    not_number("1/-2");
}

static void last_is(const char *text, double want) {
    double v = -12345.678;
    if (answer_last_number(text, &v) != 0) fail_msg("answer_last_number(\"%s\") failed, expected %g", text, want);
    if (!answer_numbers_equal(v, want)) fail_msg("answer_last_number(\"%s\") = %.17g, expected %g", text, v, want);
}

static void test_last_number(void **state) {
    (void)state;
    last_is("The answer is $1,250.", 1250);
    last_is("She has 3 apples and 4 pears, so 7", 7);
    last_is("x = \\frac{7}{2}", 3.5);
    last_is("-5", -5);
    last_is("costs 10-3 = 7 dollars", 7);
    last_is("1, 2, 3", 3);
    last_is("a1b22", 22);
    double v;
    assert_int_equal(answer_last_number("no digits here", &v), -1);
    assert_int_equal(answer_last_number("", &v), -1);
}

static void test_hashes(void **state) {
    (void)state;
    char out[32];
    assert_int_equal(answer_after_hashes("She sold 48/2 = <<48/2=24>>24 clips.\n#### 72", out, sizeof out), 0);
    assert_string_equal(out, "72");
    assert_int_equal(answer_after_hashes("#### 1 #### 1,234,000 \n", out, sizeof out), 0);
    assert_string_equal(out, "1234000");
    assert_int_equal(answer_after_hashes("no final line", out, sizeof out), -1);
    assert_int_equal(answer_after_hashes("#### \n", out, sizeof out), -1);
    assert_int_equal(answer_after_hashes("#### 123456789", out, 4), -1); /* too small */
}

static void test_boxed(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(answer_boxed("so \\boxed{\\frac{1}{2}} and then \\boxed{42}.", out, sizeof out), 0);
    assert_string_equal(out, "42");
    assert_int_equal(answer_boxed("\\boxed{\\frac{a}{b}}", out, sizeof out), 0);
    assert_string_equal(out, "\\frac{a}{b}");
    assert_int_equal(answer_boxed("\\fbox{7}", out, sizeof out), 0);
    assert_string_equal(out, "7");
    assert_int_equal(answer_boxed("\\boxed{unclosed {", out, sizeof out), -1);
    assert_int_equal(answer_boxed("nothing", out, sizeof out), -1);
    assert_int_equal(answer_boxed("\\boxed{123456789}", out, 4), -1);
}

static void latex_is(const char *text, const char *want) {
    char out[128];
    assert_true(answer_normalize_latex(text, out, sizeof out) >= 0);
    if (strcmp(out, want) != 0) fail_msg("normalize(\"%s\") = \"%s\", expected \"%s\"", text, out, want);
}

static void test_latex(void **state) {
    (void)state;
    latex_is("\\left( 3, \\dfrac{1}{2} \\right).", "(3,\\frac{1}{2})");
    latex_is("$x^2 + 1$", "x^2+1");
    latex_is("5\\text{ cm}", "5cm");
    latex_is("\\text{a{b}c}", "a{b}c");
    latex_is("\\leftarrow", "\\leftarrow"); /* a longer command is not \left */
    char out[4];
    assert_int_equal(answer_normalize_latex("abcdef", out, sizeof out), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers), cmocka_unit_test(test_last_number), cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_boxed),   cmocka_unit_test(test_latex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
