/* task_mul.c - multiplication of a multi-digit number by a one-digit one, "4235*7=": the first factor has
 * task.digits_min..digits_max digits, the second is 2..9 (so every worked solution fits the generation budget).
 *
 * The worked solutions multiply digit by digit from the right ("3*7+3=24": digit times factor, "+carry" when one
 * comes in), then "=29645". The check divides the WRITTEN result by the one-digit factor, long division from the
 * left ("29/7=4 r1", then "16/7=2 r2", ...), and compares quotient and remainder with the first factor:
 * "4235 ok", or after a slip "4234 r5 no" - then STYLE_WAIT says "wait" and redoes the steps from the slip on. */
#include "core/task_impl.h"
#include <stdio.h>
#include <string.h>

enum { SLIP_NONE = 0, SLIP_DROP_CARRY, SLIP_PLUS_ONE, SLIP_MINUS_ONE };
typedef struct { int col, kind; } Slip;

/* The digit pass for a * b (b one digit) with an optional slip; writes the lines of columns >= from into out
 * (NULL: none). Returns the product the lines spell, or -1 when the slip cannot happen at that column. */
static long long mul_pass(long long a, int b, Slip slip, int from, TaskText *out) {
    int n = task_digits(a);
    long long result = 0;
    int carry = 0;
    for (int c = 0; c < n; c++) {
        int d = task_digit_at(a, c);
        int p = d * b + carry, shown_carry = carry;
        if (slip.kind && slip.col == c) {
            if (slip.kind == SLIP_DROP_CARRY) {
                if (!carry) return -1;
                p -= carry;
                shown_carry = 0;
            } else if (slip.kind == SLIP_PLUS_ONE) {
                if (p % 10 == 9) return -1;
                p += 1;
            } else {
                if (p % 10 == 0) return -1;
                p -= 1;
            }
        }
        if (out && c >= from) {
            if (shown_carry) task_text_printf(out, "%d*%d+%d=%d\n", d, b, shown_carry, p);
            else task_text_printf(out, "%d*%d=%d\n", d, b, p);
        }
        carry = p / 10;
        result += (c == n - 1 ? p : p % 10) * task_pow10(c);
    }
    return result;
}

/* The check: long division w / b from the left, compared with a. */
static void mul_verify(long long w, int b, long long a, TaskText *out) {
    int n = task_digits(w), i = n - 1;
    long long chunk = task_digit_at(w, i), q = 0;
    while (chunk < b && i > 0) chunk = chunk * 10 + task_digit_at(w, --i);
    task_text_puts(out, "verify\n");
    for (;;) {
        long long qd = chunk / b, r = chunk % b;
        task_text_printf(out, "%lld/%d=%lld r%lld\n", chunk, b, qd, r);
        q = q * 10 + qd;
        if (i == 0) {
            if (q == a && r == 0) task_text_printf(out, "%lld ok\n", q);
            else task_text_printf(out, "%lld r%lld no\n", q, r);
            return;
        }
        chunk = r * 10 + task_digit_at(w, --i);
    }
}

static Slip mul_pick_slip(long long a, int b, Rng *rng) {
    Slip all[64], drops[32];
    int n_all = 0, n_drop = 0;
    for (int c = 0; c < task_digits(a) && c < 20; c++) {
        for (int kind = SLIP_DROP_CARRY; kind <= SLIP_MINUS_ONE; kind++) {
            Slip s = {c, kind};
            long long w = mul_pass(a, b, s, 0, NULL);
            if (w <= 0 || w == a * b) continue;
            all[n_all++] = s;
            if (kind == SLIP_DROP_CARRY) drops[n_drop++] = s;
        }
    }
    if (n_drop && rng_below(rng, 2) == 0) return drops[rng_below(rng, (uint32_t)n_drop)];
    if (n_all) return all[rng_below(rng, (uint32_t)n_all)];
    return (Slip){0, SLIP_NONE};
}

static void mul_draw(const Task *t, Rng *rng, Problem *out) {
    long long a = task_draw_operand(rng, t->digits_min, t->digits_max);
    int b = 2 + (int)rng_below(rng, 8);
    out->operands[0] = (int)a;
    out->operands[1] = b;
    out->n_operands = 2;
    snprintf(out->question, sizeof out->question, "%lld*%d=", a, b);
    snprintf(out->answer, sizeof out->answer, "%lld", a * b);
}

static void mul_split_key(const Problem *p, char *buf, size_t n) {
    int a = p->operands[0], b = p->operands[1];
    snprintf(buf, n, "mul:%d*%d", a < b ? a : b, a < b ? b : a);
}

static int mul_check(const Task *t, const Problem *p, const char *answer) {
    long long v, want;
    if (task_parse_uint(answer, &v) != 0 || task_parse_uint(p->answer, &want) != 0) return 0;
    return v == want;
}

static void mul_write(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out) {
    long long a = p->operands[0];
    int b = p->operands[1];
    Slip none = {0, SLIP_NONE};
    if (style == STYLE_DIRECT) {
        task_text_answer(out, p->answer);
        return;
    }
    Slip slip = style == STYLE_WAIT ? mul_pick_slip(a, b, rng) : none;
    long long w = mul_pass(a, b, slip, 0, out);
    task_text_printf(out, "=%lld\n", w);
    if (style == STYLE_CHECK || (style == STYLE_WAIT && slip.kind)) mul_verify(w, b, a, out);
    if (style == STYLE_WAIT && slip.kind) {
        task_text_puts(out, "wait\n");
        mul_pass(a, b, none, slip.col, out);
        task_text_printf(out, "=%lld\n", a * b);
    }
    task_text_answer(out, p->answer);
}

const TaskOps TASK_OPS_MUL = {
    .name = "mul",
    .init = task_init_digits,
    .draw = mul_draw,
    .split_key = mul_split_key,
    .check = mul_check,
    .write_solution = mul_write,
    .alphabet = TASK_TEXT_ALPHABET,
};
