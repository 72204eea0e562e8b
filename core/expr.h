/* expr.h - the safe arithmetic evaluator countdown answers are checked with: a recursive-descent parser over
 * non-negative integer literals, + - * / and parentheses, evaluated in double precision. It never executes
 * anything; input is bounded (length, nesting depth, count and size of numbers) so adversarial text fails fast.
 *
 * Grammar (spaces, tabs and newlines may stand between tokens):
 *   expr   := term (('+' | '-') term)*
 *   term   := factor (('*' | '/') factor)*
 *   factor := number | '(' expr ')'
 *   number := digit+            (at most EXPR_MAX_DIGITS digits; no sign, no decimal point)
 * There is no unary minus or plus. Division is exact real division; dividing by zero is an error. */
#ifndef GRPO_EXPR_H
#define GRPO_EXPR_H
#include <stddef.h>

#define EXPR_MAX_LEN 256       /* bytes of input */
#define EXPR_MAX_DEPTH 16      /* nested parentheses */
#define EXPR_MAX_NUMBERS 16    /* literals */
#define EXPR_MAX_DIGITS 9      /* per literal */

typedef enum {
    EXPR_OK = 0,
    EXPR_EMPTY,            /* nothing but whitespace */
    EXPR_TOO_LONG,         /* more than EXPR_MAX_LEN bytes */
    EXPR_TOO_DEEP,         /* parentheses nested deeper than EXPR_MAX_DEPTH */
    EXPR_TOO_MANY_NUMBERS, /* more than EXPR_MAX_NUMBERS literals */
    EXPR_BAD_NUMBER,       /* a literal longer than EXPR_MAX_DIGITS digits */
    EXPR_BAD_CHAR,         /* a character outside the grammar */
    EXPR_SYNTAX,           /* misplaced token, unbalanced parenthesis, trailing text */
    EXPR_DIV_ZERO,         /* a divisor that evaluates to zero */
    EXPR_NOT_FINITE        /* an intermediate value overflowed */
} ExprStatus;

typedef struct {
    double value;
    int n_numbers;                    /* literals in the order they appear */
    long numbers[EXPR_MAX_NUMBERS];
} ExprResult;

/* Called once per binary operation in evaluation order (left to right, innermost first): lhs op rhs = result. */
typedef void (*ExprStepFn)(void *ctx, double lhs, char op, double rhs, double result);

/* Parses and evaluates s. Returns EXPR_OK and fills out, or another status with err (may be NULL) naming what is
 * wrong and its byte position. */
ExprStatus expr_eval(const char *s, ExprResult *out, char *err, size_t errlen);
/* The same, calling step (may be NULL) for every operation performed. */
ExprStatus expr_eval_trace(const char *s, ExprResult *out, ExprStepFn step, void *ctx, char *err, size_t errlen);
/* A short name for a status ("ok", "division by zero", ...). */
const char *expr_status_name(ExprStatus st);

#endif
