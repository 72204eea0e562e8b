/* task_countdown.c - countdown: reach a target with + - * / using each given number once ("24 from 3,5,8"), with
 * the thinking written as an honest search.
 *
 * Problems. task.numbers_min..task.numbers numbers (the count drawn uniformly), each 1..task.number_max. A chain
 * combines the numbers one at a time, the running value with the next number, the larger operand first (8*3, 9-2,
 * 8/4), every intermediate a whole number in 1..task.target_max. The target is drawn uniformly from the values
 * chains reach, the given numbers left out, so a bare guess is rarely right and every problem has a chain solution
 * (the reference answer is one). The checker accepts any expression the safe evaluator (expr.h) reads that uses
 * exactly the given numbers and lands within 1e-5 of the target.
 *
 * Thinking as search. An opening is a chain over all the numbers but one. An attempt finishes an opening with the
 * operation on the last number that lands on the target, or else comes nearest to it. It writes every step
 * computed, the candidate (a line that starts with '=', as reward.h reads it), and the comparison with the target:
 *     8*3=24,24+5=29
 *     =8*3+5
 *     29 vs 24 no
 * A miss is followed by "wait" and the next attempt - the distinct openings in random order, none repeated - until
 * one hits ("24 vs 24 ok") or the budget is spent ("give up", and the last attempt is the answer). Budgets by
 * style: DIRECT none (the bare reference answer), SCRATCHPAD one attempt, CHECK 2..4, WAIT until a hit (at most
 * CD_SEARCH_MAX). Every line is true arithmetic, and how many attempts a search takes is how hard the problem is
 * for a searcher. */
#include "core/task_impl.h"
#include "core/expr.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#define CD_MAX_N 6            /* task.numbers is at most this */
#define CD_SEARCH_MAX 10      /* attempts of the longest search */
#define CD_MAX_OPENINGS 256   /* distinct openings a search draws from (4 numbers give about 50) */
#define CD_TARGET_LIMIT 10000 /* task.target_max is at most this */
#define CD_BITMAP_WORDS (CD_TARGET_LIMIT / 64 + 1)

typedef struct {
    long v;
    int prec;               /* 1: + -, 2: * /, 3: a number */
    char expr[TASK_ANSWER_MAX];
} Item;

/* A chain as the choices that make it: numbers taken in `order`, ops[k] joining order[k + 1] on. */
typedef struct {
    long v;
    int n;                  /* numbers in the chain */
    signed char order[CD_MAX_N];
    char ops[CD_MAX_N];
} Chain;

/* x op y with x >= y: the value, or 0 when it is not a whole number in 1..max. */
static long apply_op(long x, long y, char op, long max) {
    long v;
    switch (op) {
    case '+': v = x + y; break;
    case '-': v = x - y; break;
    case '*': v = x * y; break;
    default: v = x % y == 0 ? x / y : 0; break;
    }
    return v >= 1 && v <= max ? v : 0;
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

static void number_item(long v, Item *out) {
    out->v = v;
    out->prec = 3;
    snprintf(out->expr, sizeof out->expr, "%ld", v);
}

/* Replays chain c over nums into its expression and, when steps is not NULL, writes "x op y=z" per step joined by
 * ','. Returns 0, or -1 when the expression does not fit. */
static int chain_text(const Chain *c, const int *nums, Item *out, TaskText *steps) {
    number_item(nums[c->order[0]], out);
    for (int k = 1; k < c->n; k++) {
        Item num, next;
        number_item(nums[c->order[k]], &num);
        const Item *a = out->v >= num.v ? out : &num, *b = out->v >= num.v ? &num : out;
        long v = apply_op(a->v, b->v, c->ops[k - 1], LONG_MAX);
        if (steps) task_text_printf(steps, "%s%ld%c%ld=%ld", k > 1 ? "," : "", a->v, c->ops[k - 1], b->v, v);
        if (combine_text(a, c->ops[k - 1], b, &next) != 0) return -1;
        next.v = v;
        *out = next;
    }
    return 0;
}

/* One chain walk over nums: every chain of `len` numbers that avoids the numbers in the starting `used` mask. */
typedef struct {
    const int *nums;
    int n, len;             /* numbers given; numbers the chains use */
    long max;
    uint64_t *reached;      /* full-length values reached (a bitmap over 0..max), or NULL */
    long want;              /* stop at the first chain of this value (0: none) */
    Chain found;
    int have;
    Chain *openings;        /* distinct chain values (each with `last` left over) collected here, or NULL */
    int n_openings, last;
} Walk;

static void walk_leaf(Walk *w, const Chain *c) {
    if (w->reached) w->reached[c->v / 64] |= 1ull << (c->v % 64);
    if (w->want && c->v == w->want) {
        w->found = *c;
        w->have = 1;
    }
    if (w->openings) {
        for (int k = 0; k < w->n_openings; k++) /* same value, same number left: the same attempts follow */
            if (w->openings[k].v == c->v && w->nums[w->openings[k].order[w->n - 1]] == w->nums[w->last]) return;
        if (w->n_openings < CD_MAX_OPENINGS) {
            Chain o = *c;
            o.order[w->n - 1] = (signed char)w->last; /* the number the finish takes */
            w->openings[w->n_openings++] = o;
        }
    }
}

/* Every chain that extends c by numbers not in `used`, up to w->len numbers. */
static void walk(Walk *w, Chain *c, unsigned used) {
    if (w->have) return;
    if (c->n == w->len) {
        walk_leaf(w, c);
        return;
    }
    const long run = c->v;
    for (int i = 0; i < w->n; i++) {
        if (used & (1u << i)) continue;
        long x = run >= w->nums[i] ? run : w->nums[i], y = run >= w->nums[i] ? w->nums[i] : run;
        for (const char *op = "+-*/"; *op; op++) {
            long v = apply_op(x, y, *op, w->max);
            if (!v) continue;
            c->order[c->n] = (signed char)i;
            c->ops[c->n - 1] = *op;
            c->v = v;
            c->n++;
            walk(w, c, used | (1u << i));
            c->n--;
            c->v = run;
        }
    }
}

/* Starts a chain at every number not in `used`. */
static void walk_from(Walk *w, unsigned used) {
    for (int i = 0; i < w->n && !w->have; i++) {
        if (used & (1u << i)) continue;
        Chain c = {.v = w->nums[i], .n = 1};
        c.order[0] = (signed char)i;
        walk(w, &c, used | (1u << i));
    }
}

static void cd_draw(const Task *t, Rng *rng, Problem *out) {
    int n, nums[CD_MAX_N];
    long target;
    for (;;) {
        n = t->numbers_min + (int)rng_below(rng, (uint32_t)(t->numbers - t->numbers_min + 1));
        for (int i = 0; i < n; i++) nums[i] = 1 + (int)rng_below(rng, (uint32_t)t->number_max);
        uint64_t reached[CD_BITMAP_WORDS] = {0};
        Walk w = {.nums = nums, .n = n, .len = n, .max = t->target_max, .reached = reached};
        walk_from(&w, 0);
        for (int i = 0; i < n; i++) reached[nums[i] / 64] &= ~(1ull << (nums[i] % 64));
        long count = 0;
        for (long v = 1; v <= t->target_max; v++) count += (reached[v / 64] >> (v % 64)) & 1;
        if (count == 0) continue;
        long pick = (long)rng_below(rng, (uint32_t)count);
        for (target = 1;; target++)
            if (((reached[target / 64] >> (target % 64)) & 1) && pick-- == 0) break;
        break;
    }
    Walk w = {.nums = nums, .n = n, .len = n, .max = t->target_max, .want = target};
    walk_from(&w, 0);
    Item e;
    chain_text(&w.found, nums, &e, NULL);
    out->n_operands = n;
    out->target = (int)target;
    int k = snprintf(out->question, sizeof out->question, "%ld from ", target);
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
    (void)t;
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

/* Finishes opening o (its last number at o->order[n - 1]) with the operation that lands on target, or else comes
 * nearest (the first of + - * / on a tie). Returns 0 with *att the full chain, or -1 when no operation gives a
 * whole number in range. */
static int finish(const Task *t, const Problem *p, const Chain *o, Chain *att) {
    const int n = p->n_operands;
    const long c = p->operands[o->order[n - 1]], x = o->v >= c ? o->v : c, y = o->v >= c ? c : o->v;
    long best = -1;
    char best_op = 0;
    for (const char *op = "+-*/"; *op; op++) {
        long v = apply_op(x, y, *op, t->target_max);
        if (v && (best < 0 || labs(v - p->target) < labs(best - p->target))) {
            best = v;
            best_op = *op;
        }
    }
    if (best < 0) return -1;
    *att = *o;
    att->ops[n - 2] = best_op;
    att->v = best;
    att->n = n;
    return 0;
}

/* One attempt: the steps, the candidate line, the comparison with the target. Returns 1 when it hits. */
static int write_attempt(const Problem *p, const Chain *att, Item *e, TaskText *out) {
    TaskText steps;
    char sbuf[256];
    task_text_init(&steps, sbuf, sizeof sbuf);
    if (chain_text(att, p->operands, e, &steps) != 0 || steps.overflow) {
        out->overflow = 1;
        return 0;
    }
    const int hit = att->v == p->target;
    task_text_printf(out, "%s\n=%s\n%ld vs %d %s\n", sbuf, e->expr, att->v, p->target, hit ? "ok" : "no");
    return hit;
}

static void cd_write(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out) {
    const int n = p->n_operands;
    if (style == STYLE_DIRECT || n < 2) {
        task_text_answer(out, p->answer);
        return;
    }
    const int budget = style == STYLE_SCRATCHPAD ? 1 : style == STYLE_CHECK ? 2 + (int)rng_below(rng, 3)
                                                                            : CD_SEARCH_MAX;
    Chain open[CD_MAX_OPENINGS];
    Walk w = {.nums = p->operands, .n = n, .len = n - 1, .max = t->target_max, .openings = open};
    for (w.last = 0; w.last < n; w.last++) walk_from(&w, 1u << w.last);
    for (int i = w.n_openings - 1; i > 0; i--) { /* the search order */
        int j = (int)rng_below(rng, (uint32_t)(i + 1));
        Chain tmp = open[i];
        open[i] = open[j];
        open[j] = tmp;
    }
    Item e;
    int tried = 0, hit = 0;
    for (int i = 0; i < w.n_openings && tried < budget && !hit; i++) {
        Chain att;
        if (finish(t, p, &open[i], &att) != 0) continue;
        if (tried) task_text_puts(out, "wait\n");
        hit = write_attempt(p, &att, &e, out);
        tried++;
    }
    if (!tried) { /* nothing to try: the bare answer */
        task_text_answer(out, p->answer);
        return;
    }
    if (!hit) task_text_puts(out, "give up\n");
    task_text_answer(out, e.expr);
}

static void cd_difficulty(const Task *t, const Problem *p, TaskDifficulty *out) {
    out->numbers = p->n_operands;
    out->band = p->target <= t->target_max / 8 ? TASK_BAND_SMALL
              : p->target <= t->target_max / 3 ? TASK_BAND_MEDIUM : TASK_BAND_LARGE;
}

static int cd_init(Task *t, const Config *c, char *err, size_t errlen) {
    (void)c;
    if (t->numbers < 2 || t->numbers > CD_MAX_N) {
        snprintf(err, errlen, "task.numbers = %d: expected 2..%d numbers for countdown", t->numbers, CD_MAX_N);
        return -1;
    }
    if (t->numbers_min < 2) {
        snprintf(err, errlen, "task.numbers_min = %d: expected 0 (= task.numbers) or 2..%d for countdown",
                 t->numbers_min, t->numbers);
        return -1;
    }
    if (t->number_max < 2 || t->number_max > 1000) {
        snprintf(err, errlen, "task.number_max = %d: expected 2..1000 for countdown", t->number_max);
        return -1;
    }
    if (t->target_max < 2 || t->target_max > CD_TARGET_LIMIT) {
        snprintf(err, errlen, "task.target_max = %d: expected 2..%d for countdown", t->target_max,
                 CD_TARGET_LIMIT);
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
    .difficulty = cd_difficulty,
    .alphabet = TASK_TEXT_ALPHABET,
};
