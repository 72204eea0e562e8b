/* expr.c - recursive-descent evaluator for countdown answers (see expr.h for the grammar and the limits).
 * The first error stops the parse; its status and message are kept in the parser state and every level returns
 * at once, so the recursion depth is bounded by EXPR_MAX_DEPTH and the work by EXPR_MAX_LEN. */
#include "core/expr.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *s;
    size_t pos;
    int depth;
    ExprStatus st;
    char *err;
    size_t errlen;
    ExprResult *out;
    ExprStepFn step;
    void *ctx;
} Parser;

const char *expr_status_name(ExprStatus st) {
    switch (st) {
    case EXPR_OK: return "ok";
    case EXPR_EMPTY: return "empty expression";
    case EXPR_TOO_LONG: return "expression too long";
    case EXPR_TOO_DEEP: return "parentheses nested too deep";
    case EXPR_TOO_MANY_NUMBERS: return "too many numbers";
    case EXPR_BAD_NUMBER: return "number too long";
    case EXPR_BAD_CHAR: return "character outside the grammar";
    case EXPR_SYNTAX: return "syntax error";
    case EXPR_DIV_ZERO: return "division by zero";
    case EXPR_NOT_FINITE: return "value out of range";
    }
    return "unknown status";
}

static void fail(Parser *p, ExprStatus st, const char *what) {
    if (p->st != EXPR_OK) return;
    p->st = st;
    if (p->err && p->errlen) snprintf(p->err, p->errlen, "%s at byte %zu: %s", expr_status_name(st), p->pos, what);
}

static void skip_space(Parser *p) {
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r') p->pos++;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_grammar_char(char c) {
    return is_digit(c) || c == '+' || c == '-' || c == '*' || c == '/' || c == '(' || c == ')' || c == ' ' ||
           c == '\t' || c == '\n' || c == '\r';
}

static double parse_expr(Parser *p);

static double parse_factor(Parser *p) {
    skip_space(p);
    char c = p->s[p->pos];
    if (is_digit(c)) {
        long v = 0;
        int nd = 0;
        while (is_digit(p->s[p->pos])) {
            if (++nd > EXPR_MAX_DIGITS) {
                fail(p, EXPR_BAD_NUMBER, "a number has more digits than allowed");
                return 0;
            }
            v = v * 10 + (p->s[p->pos] - '0');
            p->pos++;
        }
        if (p->out->n_numbers >= EXPR_MAX_NUMBERS) {
            fail(p, EXPR_TOO_MANY_NUMBERS, "more numbers than allowed");
            return 0;
        }
        p->out->numbers[p->out->n_numbers++] = v;
        return (double)v;
    }
    if (c == '(') {
        if (++p->depth > EXPR_MAX_DEPTH) {
            fail(p, EXPR_TOO_DEEP, "too many open parentheses");
            return 0;
        }
        p->pos++;
        double v = parse_expr(p);
        if (p->st != EXPR_OK) return 0;
        skip_space(p);
        if (p->s[p->pos] != ')') {
            fail(p, EXPR_SYNTAX, p->s[p->pos] ? "expected ')'" : "unbalanced '(': expected ')' before the end");
            return 0;
        }
        p->pos++;
        p->depth--;
        return v;
    }
    if (c == '\0') fail(p, EXPR_SYNTAX, "expected a number or '(' before the end");
    else if (is_grammar_char(c)) fail(p, EXPR_SYNTAX, "expected a number or '('");
    else fail(p, EXPR_BAD_CHAR, "only digits, + - * / ( ) and spaces are allowed");
    return 0;
}

static double apply(Parser *p, double a, char op, double b) {
    double r = 0;
    switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/':
        if (fabs(b) < 1e-12) {
            fail(p, EXPR_DIV_ZERO, "the divisor is zero");
            return 0;
        }
        r = a / b;
        break;
    }
    if (!isfinite(r) || fabs(r) > 1e15) {
        fail(p, EXPR_NOT_FINITE, "an intermediate value is too large");
        return 0;
    }
    if (p->step) p->step(p->ctx, a, op, b, r);
    return r;
}

static double parse_term(Parser *p) {
    double v = parse_factor(p);
    while (p->st == EXPR_OK) {
        skip_space(p);
        char op = p->s[p->pos];
        if (op != '*' && op != '/') break;
        p->pos++;
        double r = parse_factor(p);
        if (p->st != EXPR_OK) return 0;
        v = apply(p, v, op, r);
    }
    return v;
}

static double parse_expr(Parser *p) {
    double v = parse_term(p);
    while (p->st == EXPR_OK) {
        skip_space(p);
        char op = p->s[p->pos];
        if (op != '+' && op != '-') break;
        p->pos++;
        double r = parse_term(p);
        if (p->st != EXPR_OK) return 0;
        v = apply(p, v, op, r);
    }
    return v;
}

ExprStatus expr_eval_trace(const char *s, ExprResult *out, ExprStepFn step, void *ctx, char *err, size_t errlen) {
    Parser p = {.s = s, .err = err, .errlen = errlen, .out = out, .step = step, .ctx = ctx};
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    size_t n = strnlen(s, EXPR_MAX_LEN + 1);
    if (n > EXPR_MAX_LEN) {
        p.pos = EXPR_MAX_LEN;
        fail(&p, EXPR_TOO_LONG, "longer than the limit of 256 bytes");
        return p.st;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_grammar_char(s[i])) {
            p.pos = i;
            fail(&p, EXPR_BAD_CHAR, "only digits, + - * / ( ) and spaces are allowed");
            return p.st;
        }
    }
    skip_space(&p);
    if (s[p.pos] == '\0') {
        fail(&p, EXPR_EMPTY, "nothing to evaluate");
        return p.st;
    }
    double v = parse_expr(&p);
    if (p.st == EXPR_OK) {
        skip_space(&p);
        if (s[p.pos] != '\0')
            fail(&p, EXPR_SYNTAX, s[p.pos] == ')' ? "unbalanced ')'" : "unexpected text after the expression");
    }
    if (p.st != EXPR_OK) {
        out->value = 0;
        return p.st;
    }
    out->value = v;
    return EXPR_OK;
}

ExprStatus expr_eval(const char *s, ExprResult *out, char *err, size_t errlen) {
    return expr_eval_trace(s, out, NULL, NULL, err, errlen);
}
