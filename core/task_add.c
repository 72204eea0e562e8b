/* task_add.c - multi-digit addition "47385+9128=", operands with task.digits_min..digits_max digits.
 *
 * The worked solutions add column by column from the right, one short line per column ("8+2+1=11": digits, "+1"
 * when a carry comes in, the column sum), then "=56513". The check recomputes the first operand from the WRITTEN
 * result by subtraction, column by column ("13-8=5": a leading 1 when borrowing, "-1" when a borrow comes in), and
 * compares it with the first operand: "47385 ok". Because the check starts from the written result, a slip in the
 * addition shows up as a mismatch ("47375 no"), which is what STYLE_WAIT demonstrates before "wait" and the redo. */
#include "core/task_impl.h"
#include <stdio.h>
#include <string.h>

enum { SLIP_NONE = 0, SLIP_DROP_CARRY, SLIP_PLUS_ONE, SLIP_MINUS_ONE };
typedef struct { int col, kind; } Slip;

/* The column pass for a + b with an optional slip; writes the lines of columns >= from into out (NULL: none).
 * Returns the result the lines add up to, or -1 when the slip cannot happen at that column. */
static long long add_pass(long long a, long long b, Slip slip, int from, TaskText *out) {
    int n = task_digits(a) > task_digits(b) ? task_digits(a) : task_digits(b);
    long long result = 0;
    int carry = 0;
    for (int c = 0; c < n; c++) {
        int da = task_digit_at(a, c), db = task_digit_at(b, c);
        int s = da + db + carry, shown_carry = carry;
        if (slip.kind && slip.col == c) {
            if (slip.kind == SLIP_DROP_CARRY) {
                if (!carry) return -1;
                s -= 1;
                shown_carry = 0;
            } else if (slip.kind == SLIP_PLUS_ONE) {
                if (s % 10 == 9) return -1;
                s += 1;
            } else {
                if (s % 10 == 0) return -1;
                s -= 1;
            }
        }
        if (out && c >= from) task_text_printf(out, "%d+%d%s=%d\n", da, db, shown_carry ? "+1" : "", s);
        carry = s >= 10;
        result += (c == n - 1 ? s : s % 10) * task_pow10(c);
    }
    return result;
}

/* The check: w - b column by column, compared with a. Returns the recomputed first operand. */
static long long add_verify(long long w, long long b, long long a, TaskText *out) {
    int n = task_digits(w);
    long long got = 0;
    int borrow = 0;
    task_text_puts(out, "verify\n");
    for (int c = 0; c < n; c++) {
        int dw = task_digit_at(w, c), db = task_digit_at(b, c);
        int x = dw - db - borrow;
        const char *lead = "";
        if (x < 0) {
            x += 10;
            lead = "1";
        }
        task_text_printf(out, "%s%d-%d%s=%d\n", lead, dw, db, borrow ? "-1" : "", x);
        borrow = lead[0] != '\0';
        got += x * task_pow10(c);
    }
    task_text_printf(out, "%lld %s\n", got, got == a && !borrow ? "ok" : "no");
    return got;
}

/* Picks a slip whose check is well defined (the wrong result is at least b); dropped carries are the commonest
 * human slip, so they are picked half the time when the problem has a carry. */
static Slip add_pick_slip(long long a, long long b, Rng *rng) {
    Slip all[64], drops[32];
    int n_all = 0, n_drop = 0;
    int n = task_digits(a) > task_digits(b) ? task_digits(a) : task_digits(b);
    for (int c = 0; c < n && c < 20; c++) {
        for (int kind = SLIP_DROP_CARRY; kind <= SLIP_MINUS_ONE; kind++) {
            Slip s = {c, kind};
            long long w = add_pass(a, b, s, 0, NULL);
            if (w < 0 || w < b || w == a + b) continue;
            all[n_all++] = s;
            if (kind == SLIP_DROP_CARRY) drops[n_drop++] = s;
        }
    }
    if (n_drop && rng_below(rng, 2) == 0) return drops[rng_below(rng, (uint32_t)n_drop)];
    if (n_all) return all[rng_below(rng, (uint32_t)n_all)];
    return (Slip){0, SLIP_NONE};
}

static void add_draw(const Task *t, Rng *rng, Problem *out) {
    long long a = task_draw_operand(rng, t->digits_min, t->digits_max);
    long long b = task_draw_operand(rng, t->digits_min, t->digits_max);
    out->operands[0] = (int)a;
    out->operands[1] = (int)b;
    out->n_operands = 2;
    snprintf(out->question, sizeof out->question, "%lld+%lld=", a, b);
    snprintf(out->answer, sizeof out->answer, "%lld", a + b);
}

static void add_split_key(const Problem *p, char *buf, size_t n) {
    int a = p->operands[0], b = p->operands[1];
    snprintf(buf, n, "add:%d+%d", a < b ? a : b, a < b ? b : a);
}

static int add_check(const Task *t, const Problem *p, const char *answer) {
    long long v, want;
    if (task_parse_uint(answer, &v) != 0 || task_parse_uint(p->answer, &want) != 0) return 0;
    return v == want;
}

static void add_write(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out) {
    long long a = p->operands[0], b = p->operands[1], sum = a + b;
    Slip none = {0, SLIP_NONE};
    if (style == STYLE_DIRECT) {
        task_text_answer(out, p->answer);
        return;
    }
    Slip slip = style == STYLE_WAIT ? add_pick_slip(a, b, rng) : none;
    long long w = add_pass(a, b, slip, 0, out);
    task_text_printf(out, "=%lld\n", w);
    if (style == STYLE_CHECK || (style == STYLE_WAIT && slip.kind)) add_verify(w, b, a, out);
    if (style == STYLE_WAIT && slip.kind) {
        task_text_puts(out, "wait\n");
        add_pass(a, b, none, slip.col, out);
        task_text_printf(out, "=%lld\n", sum);
    }
    task_text_answer(out, p->answer);
}

const TaskOps TASK_OPS_ADD = {
    .name = "add",
    .init = task_init_digits,
    .draw = add_draw,
    .split_key = add_split_key,
    .check = add_check,
    .write_solution = add_write,
    .alphabet = TASK_TEXT_ALPHABET,
};
