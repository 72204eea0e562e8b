/* test_expr.c - the safe countdown evaluator: values, the numbers it reports, and every way adversarial input
 * must fail (fast, with a status and a message naming the byte). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "core/expr.h"
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static char err[256];

static ExprStatus eval(const char *s, ExprResult *r) { return expr_eval(s, r, err, sizeof err); }

static void test_values(void **state) {
    (void)state;
    ExprResult r;
    assert_int_equal(eval("1+2*3", &r), EXPR_OK);
    assert_true(r.value == 7.0);
    assert_int_equal(eval("(8-5)*7+3", &r), EXPR_OK);
    assert_true(r.value == 24.0);
    assert_int_equal(r.n_numbers, 4);
    assert_int_equal(r.numbers[0], 8);
    assert_int_equal(r.numbers[1], 5);
    assert_int_equal(r.numbers[2], 7);
    assert_int_equal(r.numbers[3], 3);
    assert_int_equal(eval("10/4", &r), EXPR_OK);
    assert_true(r.value == 2.5);
    assert_int_equal(eval(" 8 / ( 3 - 8 / 3 ) ", &r), EXPR_OK);
    assert_true(fabs(r.value - 24.0) < 1e-9);
    assert_int_equal(eval("10-2-3", &r), EXPR_OK); /* left associative */
    assert_true(r.value == 5.0);
    assert_int_equal(eval("64/4/2", &r), EXPR_OK);
    assert_true(r.value == 8.0);
    assert_int_equal(eval("2-5", &r), EXPR_OK); /* a negative result is a value, not an error */
    assert_true(r.value == -3.0);
    assert_int_equal(eval("007", &r), EXPR_OK);
    assert_true(r.value == 7.0);
    assert_int_equal(eval("((((1))))", &r), EXPR_OK);
    assert_true(r.value == 1.0);
    assert_int_equal(eval("1\n+\t2", &r), EXPR_OK);
    assert_true(r.value == 3.0);
}

static void expect(const char *s, ExprStatus want) {
    ExprResult r;
    ExprStatus st = eval(s, &r);
    if (st != want) fail_msg("\"%.60s\": got %s (%s), want %s", s, expr_status_name(st), err, expr_status_name(want));
    assert_true(strlen(err) > 0);
    assert_true(r.value == 0.0);
}

static void test_division_by_zero(void **state) {
    (void)state;
    expect("5/0", EXPR_DIV_ZERO);
    expect("5/(3-3)", EXPR_DIV_ZERO);
    expect("1/(2*0)", EXPR_DIV_ZERO);
    expect("0/0", EXPR_DIV_ZERO);
    assert_non_null(strstr(err, "byte"));
}

static void test_syntax(void **state) {
    (void)state;
    expect("", EXPR_EMPTY);
    expect("   ", EXPR_EMPTY);
    expect("(1+2", EXPR_SYNTAX);
    expect("1+2)", EXPR_SYNTAX);
    assert_non_null(strstr(err, "byte 3"));
    expect("((1)", EXPR_SYNTAX);
    expect("()", EXPR_SYNTAX);
    expect("1+", EXPR_SYNTAX);
    expect("+1", EXPR_SYNTAX);
    expect("-1+2", EXPR_SYNTAX); /* no unary minus */
    expect("2**3", EXPR_SYNTAX);
    expect("1 2", EXPR_SYNTAX);
    expect("(1)(2)", EXPR_SYNTAX);
    expect(")(", EXPR_SYNTAX);
}

static void test_bad_characters(void **state) {
    (void)state;
    expect("1+a", EXPR_BAD_CHAR);
    assert_non_null(strstr(err, "byte 2"));
    expect("__import__('os').system('ls')", EXPR_BAD_CHAR);
    expect("1e5", EXPR_BAD_CHAR);
    expect("1.5+2", EXPR_BAD_CHAR);
    expect("2^3", EXPR_BAD_CHAR);
    expect("1;2", EXPR_BAD_CHAR);
    expect("3%2", EXPR_BAD_CHAR);
    expect("1,2", EXPR_BAD_CHAR);
    expect("1+2=3", EXPR_BAD_CHAR);
    expect("x\xC3\xA9", EXPR_BAD_CHAR);
}

static void test_limits(void **state) {
    (void)state;
    /* A huge expression is refused before any parsing. */
    size_t n = 100000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++) big[i] = (i % 2) ? '+' : '1';
    big[n - 1] = '1';
    big[n] = '\0';
    expect(big, EXPR_TOO_LONG);
    /* Deep nesting stops at the depth limit, not at the stack's. */
    for (size_t i = 0; i < 200; i++) big[i] = '(';
    big[200] = '1';
    for (size_t i = 0; i < 200; i++) big[201 + i] = ')';
    big[240] = '\0';
    expect(big, EXPR_TOO_DEEP);
    char ok[64] = "";
    for (int i = 0; i < EXPR_MAX_DEPTH; i++) strcat(ok, "(");
    strcat(ok, "1");
    for (int i = 0; i < EXPR_MAX_DEPTH; i++) strcat(ok, ")");
    ExprResult r;
    assert_int_equal(eval(ok, &r), EXPR_OK);
    free(big);
    expect("1+2+3+4+5+6+7+8+9+10+11+12+13+14+15+16+17", EXPR_TOO_MANY_NUMBERS);
    expect("1234567890+1", EXPR_BAD_NUMBER);
    assert_int_equal(eval("123456789+1", &r), EXPR_OK);
    expect("999999999*999999999*999999999", EXPR_NOT_FINITE);
}

typedef struct { int n; char text[8][64]; } Steps;
static void on_step(void *ctx, double lhs, char op, double rhs, double result) {
    Steps *s = ctx;
    snprintf(s->text[s->n++], 64, "%g%c%g=%g", lhs, op, rhs, result);
}

static void test_trace(void **state) {
    (void)state;
    Steps s = {0};
    ExprResult r;
    assert_int_equal(expr_eval_trace("(8-5)*7+3", &r, on_step, &s, err, sizeof err), EXPR_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.text[0], "8-5=3");
    assert_string_equal(s.text[1], "3*7=21");
    assert_string_equal(s.text[2], "21+3=24");
    assert_string_equal(expr_status_name(EXPR_DIV_ZERO), "division by zero");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),         cmocka_unit_test(test_division_by_zero),
        cmocka_unit_test(test_syntax),         cmocka_unit_test(test_bad_characters),
        cmocka_unit_test(test_limits),         cmocka_unit_test(test_trace),
    };
    return cmocka_run_group_tests_name("expr", tests, NULL, NULL);
}
