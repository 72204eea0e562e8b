/* task_countdown.c - countdown as in TinyZero: reach a target with + - * / and parentheses using each of
 * task.numbers given numbers exactly once, "24 from 3,5,7,8". A problem is made by combining the drawn numbers
 * at random into an expression whose every intermediate is a positive integer (so the reference answer is clean);
 * the checker accepts any expression the safe evaluator (expr.h) reads that uses exactly the given numbers and
 * lands within 1e-5 of the target.
 *
 * Worked solutions: one line per operation of the answer in evaluation order ("8-5=3\n3*7=21\n21+3=24"), then
 * "=(8-5)*7+3". The check undoes the steps from the target back, each recomputed from the written values:
 * "verify 24-3=21,21/7=3,3+5=8 ok". STYLE_WAIT first tries another combination and, as small models do, forces
 * its last step to the target ("20+3=24"); undoing that step gives a number that was not written ("verify
 * 24-3=21 no"), so: "wait", the step redone ("20+3=23"), then the right combination. */
#include "core/task_impl.h"
#include "core/expr.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CD_NUMBER_MAX 50    /* the given numbers are 1..CD_NUMBER_MAX */
#define CD_VALUE_MAX 999    /* bound on every intermediate */
#define CD_TARGET_MAX 200
#define CD_MAX_STEPS 8

typedef struct {
    long v;
    int prec;               /* 1: + -, 2: * /, 3: a number */
    char expr[TASK_ANSWER_MAX];
} Item;

typedef struct { long x, y, z; char op; } Step;
typedef struct { int n; Step s[CD_MAX_STEPS]; int bad; } Trace;

static void trace_step(void *ctx, double lhs, char op, double rhs, double result) {
    Trace *tr = ctx;
    if (tr->n >= CD_MAX_STEPS) {
        tr->bad = 1;
        return;
    }
    if (lhs != floor(lhs) || rhs != floor(rhs) || result != floor(result)) tr->bad = 1;
    tr->s[tr->n++] = (Step){(long)lhs, (long)rhs, (long)result, op};
}

/* L op R with the fewest parentheses that keep its meaning. Returns 0, or -1 when it does not fit. */
static int combine_text(const Item *l, char op, const Item *r, Item *out) {
    int prec = (op == '+' || op == '-') ? 1 : 2;
    int pl = l->prec < prec, pr = r->prec < prec || (r->prec == prec && (op == '-' || op == '/'));
    int k = snprintf(out->expr, sizeof out->expr, "%s%s%s%c%s%s%s", pl ? "(" : "", l->expr, pl ? ")" : "", op,
                     pr ? "(" : "", r->expr, pr ? ")" : "");
    out->prec = prec;
    return k < 0 || (size_t)k >= sizeof out->expr ? -1 : 0;
}

/* Combines nums[0..n) at random into one expression with positive integer intermediates <= CD_VALUE_MAX.
 * Returns 0 and fills out, or -1 when the random choices led nowhere (the caller draws again). */
static int random_expression(const int *nums, int n, Rng *rng, Item *out) {
    Item pool[8];
    for (int i = 0; i < n; i++) {
        pool[i].v = nums[i];
        pool[i].prec = 3;
        snprintf(pool[i].expr, sizeof pool[i].expr, "%d", nums[i]);
    }
    while (n > 1) {
        int done = 0;
        for (int tries = 0; tries < 32 && !done; tries++) {
            int i = (int)rng_below(rng, (uint32_t)n), j = (int)rng_below(rng, (uint32_t)(n - 1));
            if (j >= i) j++;
            char op = "+-*/"[rng_below(rng, 4)];
            Item *a = &pool[i], *b = &pool[j];
            if ((op == '-' || op == '/') && a->v < b->v) {
                Item *t = a;
                a = b;
                b = t;
            }
            long v;
            switch (op) {
            case '+': v = a->v + b->v; break;
            case '-': v = a->v - b->v; break;
            case '*': v = a->v * b->v; break;
            default: v = (b->v != 0 && a->v % b->v == 0) ? a->v / b->v : 0; break;
            }
            if (v <= 0 || v > CD_VALUE_MAX) continue;
            Item c;
            if (combine_text(a, op, b, &c) != 0) return -1;
            c.v = v;
            int lo = i < j ? i : j, hi = i < j ? j : i;
            pool[lo] = c;
            pool[hi] = pool[n - 1];
            n--;
            done = 1;
        }
        if (!done) return -1;
    }
    *out = pool[0];
    return 0;
}

static void cd_draw(const Task *t, Rng *rng, Problem *out) {
    int n = t->numbers, nums[8];
    Item e;
    for (;;) {
        for (int i = 0; i < n; i++) nums[i] = 1 + (int)rng_below(rng, CD_NUMBER_MAX);
        if (random_expression(nums, n, rng, &e) == 0 && e.v >= 1 && e.v <= CD_TARGET_MAX) break;
    }
    out->n_operands = n;
    out->target = (int)e.v;
    int k = snprintf(out->question, sizeof out->question, "%d from ", out->target);
    for (int i = 0; i < n; i++) {
        out->operands[i] = nums[i];
        k += snprintf(out->question + k, sizeof out->question - (size_t)k, "%s%d", i ? "," : "", nums[i]);
    }
    snprintf(out->answer, sizeof out->answer, "%s", e.expr);
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void cd_split_key(const Problem *p, char *buf, size_t n) {
    long s[8];
    for (int i = 0; i < p->n_operands; i++) s[i] = p->operands[i];
    qsort(s, (size_t)p->n_operands, sizeof s[0], cmp_long);
    int k = snprintf(buf, n, "countdown:%d:", p->target);
    for (int i = 0; i < p->n_operands && k > 0 && (size_t)k < n; i++)
        k += snprintf(buf + k, n - (size_t)k, "%ld,", s[i]);
}

static int cd_check(const Task *t, const Problem *p, const char *answer) {
    ExprResult r;
    if (expr_eval(answer, &r, NULL, 0) != EXPR_OK) return 0;
    if (r.n_numbers != p->n_operands) return 0;
    long want[8];
    for (int i = 0; i < p->n_operands; i++) want[i] = p->operands[i];
    qsort(want, (size_t)p->n_operands, sizeof want[0], cmp_long);
    qsort(r.numbers, (size_t)r.n_numbers, sizeof r.numbers[0], cmp_long);
    for (int i = 0; i < p->n_operands; i++)
        if (r.numbers[i] != want[i]) return 0;
    return fabs(r.value - (double)p->target) < 1e-5;
}

/* The steps of expression s in evaluation order. Returns 0, or -1 when s is not a clean integer expression. */
static int expression_steps(const char *s, Trace *tr) {
    ExprResult r;
    memset(tr, 0, sizeof *tr);
    if (expr_eval_trace(s, &r, trace_step, tr, NULL, 0) != EXPR_OK || tr->bad) return -1;
    return 0;
}

static void write_steps(const Trace *tr, TaskText *out) {
    for (int i = 0; i < tr->n; i++)
        task_text_printf(out, "%ld%c%ld=%ld\n", tr->s[i].x, tr->s[i].op, tr->s[i].y, tr->s[i].z);
}

/* The value x that step s undoes to, written "z inv y=x"; the inverse of a forced step is computed from what was
 * written (z), not from the truth. */
static void write_inverse(const Step *s, long z, TaskText *out, long *x) {
    switch (s->op) {
    case '+': *x = z - s->y; task_text_printf(out, "%ld-%ld=%ld", z, s->y, *x); break;
    case '-': *x = z + s->y; task_text_printf(out, "%ld+%ld=%ld", z, s->y, *x); break;
    case '*': *x = z / s->y; task_text_printf(out, "%ld/%ld=%ld", z, s->y, *x); break;
    default: *x = z * s->y; task_text_printf(out, "%ld*%ld=%ld", z, s->y, *x); break;
    }
}

/* A wrong first attempt for STYLE_WAIT: another combination of the same numbers whose last step, forced to the
 * target, undoes to a whole number that differs from what was written. Prefers attempts that miss the target by
 * little (the realistic slip). Returns 0, or -1 when none was found. */
static int wrong_attempt(const Problem *p, Rng *rng, Item *best, Trace *best_tr) {
    long best_miss = -1;
    for (int tries = 0; tries < 64; tries++) {
        Item e;
        Trace tr;
        if (random_expression(p->operands, p->n_operands, rng, &e) != 0) continue;
        if (e.v == p->target || expression_steps(e.expr, &tr) != 0 || tr.n == 0) continue;
        const Step *last = &tr.s[tr.n - 1];
        if (last->op == '*' && p->target % last->y != 0) continue;
        long undo = last->op == '+' ? p->target - last->y : last->op == '-' ? p->target + last->y
                  : last->op == '*' ? p->target / last->y : p->target * last->y;
        if (undo < 0 || undo == last->x) continue;
        long miss = labs(e.v - p->target);
        if (best_miss < 0 || miss < best_miss) {
            best_miss = miss;
            *best = e;
            *best_tr = tr;
        }
    }
    return best_miss < 0 ? -1 : 0;
}

static void cd_write(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out) {
    Trace tr;
    if (style == STYLE_DIRECT || expression_steps(p->answer, &tr) != 0) {
        task_text_answer(out, p->answer);
        return;
    }
    Item wrong;
    Trace wtr;
    if (style == STYLE_WAIT && wrong_attempt(p, rng, &wrong, &wtr) == 0) {
        Step last = wtr.s[wtr.n - 1];
        Step forced = last;
        forced.z = p->target;
        wtr.s[wtr.n - 1] = forced;
        write_steps(&wtr, out);
        task_text_printf(out, "=%s\nverify ", wrong.expr);
        long x;
        write_inverse(&forced, forced.z, out, &x);
        task_text_puts(out, " no\nwait\n");
        task_text_printf(out, "%ld%c%ld=%ld\n", last.x, last.op, last.y, last.z);
    }
    write_steps(&tr, out);
    task_text_printf(out, "=%s\n", p->answer);
    if (style == STYLE_CHECK) {
        task_text_puts(out, "verify ");
        for (int i = tr.n - 1; i >= 0; i--) {
            long x;
            write_inverse(&tr.s[i], tr.s[i].z, out, &x);
            if (i) task_text_puts(out, ",");
        }
        task_text_puts(out, " ok\n");
    }
    task_text_answer(out, p->answer);
}

static int cd_init(Task *t, const Config *c, char *err, size_t errlen) {
    if (t->numbers < 2 || t->numbers > 6) {
        snprintf(err, errlen, "task.numbers = %d: expected 2..6 numbers for countdown", t->numbers);
        return -1;
    }
    return 0;
}

const TaskOps TASK_OPS_COUNTDOWN = {
    .name = "countdown",
    .init = cd_init,
    .draw = cd_draw,
    .split_key = cd_split_key,
    .check = cd_check,
    .write_solution = cd_write,
    .alphabet = TASK_TEXT_ALPHABET,
};
