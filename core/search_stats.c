/* search_stats.c - attempts, retries, arithmetic truth and difficulty splits of a batch (search_stats.h). Reads the
 * completion text only; arithmetic is evaluated by the safe evaluator (expr.h), never executed. */
#include "core/search_stats.h"
#include "core/expr.h"
#include "core/reward.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_arith(char c) { return is_digit(c) || (c && strchr("+-*/()=", c)); }

/* Calls fn(ud, text, len) for each candidate answer of the completion's thinking (trimmed, non-empty); returns how
 * many there are. */
static int each_candidate(const char *completion, void (*fn)(void *ud, const char *c, size_t n, int index), void *ud) {
    const char *s;
    size_t n;
    reward_thinking_span(completion, &s, &n);
    const char *end = s + n;
    int count = 0;
    for (const char *line = s; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        const char *b = line;
        while (b < eol && (*b == ' ' || *b == '\t')) b++;
        if (b < eol && *b == '=') {
            const char *e = eol;
            b++;
            while (b < e && (*b == ' ' || *b == '\t')) b++;
            while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
            if (e > b) {
                if (fn) fn(ud, b, (size_t)(e - b), count);
                count++;
            }
        }
        line = eol + 1;
    }
    return count;
}

int search_count_attempts(const char *completion) { return each_candidate(completion, NULL, NULL); }

typedef struct { const Task *t; const Problem *p; int first_correct; } FirstCheck;

static void check_first(void *ud, const char *c, size_t n, int index) {
    FirstCheck *f = ud;
    if (index) return;
    char cand[256];
    if (n >= sizeof cand) n = sizeof cand - 1;
    memcpy(cand, c, n);
    cand[n] = '\0';
    f->first_correct = task_check(f->t, f->p, cand);
}

int search_attempts(const Task *t, const Problem *p, const char *completion, int correct, int *first_correct) {
    FirstCheck f = {t, p, correct};
    int count = each_candidate(completion, check_first, &f);
    *first_correct = f.first_correct;
    return count;
}

/* "X vs Y ok|no" on line [b, e): 1 and the verdict's truth in *truth, or 0 when the line is not one. */
static int verdict_line(const char *b, const char *e, int *truth) {
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    long x = 0, y = 0;
    int dx = 0, dy = 0;
    while (b < e && is_digit(*b) && dx < 12) x = x * 10 + (*b++ - '0'), dx++;
    if (!dx || e - b < 4 || memcmp(b, " vs ", 4) != 0) return 0;
    b += 4;
    while (b < e && is_digit(*b) && dy < 12) y = y * 10 + (*b++ - '0'), dy++;
    if (!dy || e - b != 3 || *b != ' ') return 0;
    int ok = memcmp(b + 1, "ok", 2) == 0, no = memcmp(b + 1, "no", 2) == 0;
    if (!ok && !no) return 0;
    *truth = ok == (x == y);
    return 1;
}

void search_count_arithmetic(const char *text, size_t n, int *equations, int *equations_true, int *verdicts,
                             int *verdicts_true) {
    *equations = *equations_true = *verdicts = *verdicts_true = 0;
    const char *end = text + n;
    for (const char *q = text; q < end;) { /* equations: maximal runs of digits, operators, parentheses and '=' */
        if (!is_arith(*q)) { q++; continue; }
        const char *b = q;
        while (q < end && is_arith(*q)) q++;
        const char *eq = memchr(b, '=', (size_t)(q - b));
        if (!eq || eq == b || eq + 1 == q || memchr(eq + 1, '=', (size_t)(q - eq - 1))) continue;
        int has_op = 0;
        for (const char *c = b + 1; c < eq; c++) has_op |= *c == '+' || *c == '-' || *c == '*' || *c == '/';
        int rhs_digits = 1;
        for (const char *c = eq + 1; c < q; c++) rhs_digits &= is_digit(*c);
        if (!has_op || !rhs_digits || q - eq - 1 > 12 || eq - b >= EXPR_MAX_LEN) continue;
        char lhs[EXPR_MAX_LEN + 1];
        memcpy(lhs, b, (size_t)(eq - b));
        lhs[eq - b] = '\0';
        double rhs = strtod(eq + 1, NULL);
        ExprResult r;
        (*equations)++;
        if (expr_eval(lhs, &r, NULL, 0) == EXPR_OK && fabs(r.value - rhs) < 1e-9) (*equations_true)++;
    }
    for (const char *line = text; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) eol = end;
        int truth;
        if (verdict_line(line, eol, &truth)) {
            (*verdicts)++;
            *verdicts_true += truth;
        }
        line = eol + 1;
    }
}

static void split_add(SearchSplit *s, int attempts, int correct) {
    s->n += 1;
    s->attempts += attempts;
    s->correct += correct;
}

void search_stats_add(SearchStats *s, const Task *t, const Problem *p, const char *completion, int correct,
                      unsigned flags) {
    int first;
    const int att = search_attempts(t, p, completion, correct, &first);
    s->completions += 1;
    s->attempts += att;
    s->correct += correct;
    s->first_correct += first;
    if (att >= 2) {
        s->retried += 1;
        s->retried_correct += correct;
    } else {
        s->single += 1;
        s->single_correct += correct;
    }
    s->after_reject += correct && (flags & ROLLOUT_FLAG_SELF_CORRECTION);
    const char *th;
    size_t n;
    reward_thinking_span(completion, &th, &n);
    int e, et, v, vt;
    search_count_arithmetic(th, n, &e, &et, &v, &vt);
    s->equations += e;
    s->equations_true += et;
    s->verdicts += v;
    s->verdicts_true += vt;
    TaskDifficulty d;
    if (task_difficulty(t, p, &d) == 0) {
        if (d.numbers >= 0 && d.numbers <= SEARCH_MAX_NUMBERS) split_add(&s->by_numbers[d.numbers], att, correct);
        if (d.band >= 0 && d.band < TASK_BANDS) split_add(&s->by_band[d.band], att, correct);
    }
}

/* Metric names, plain and with "eval_" in front. */
#define PAIR(x) {x, "eval_" x}
static const char *const BASE[][2] = {
    PAIR("attempts"), PAIR("retry_rate"), PAIR("first_attempt_accuracy"), PAIR("single_accuracy"),
    PAIR("retried_accuracy"), PAIR("right_after_reject"), PAIR("equations_true"), PAIR("verdicts_true"),
};
static const char *const BY_NUMBERS[SEARCH_MAX_NUMBERS + 1][2][2] = {
    {{NULL, NULL}, {NULL, NULL}}, {{NULL, NULL}, {NULL, NULL}},
    {PAIR("attempts_n2"), PAIR("accuracy_n2")}, {PAIR("attempts_n3"), PAIR("accuracy_n3")},
    {PAIR("attempts_n4"), PAIR("accuracy_n4")}, {PAIR("attempts_n5"), PAIR("accuracy_n5")},
    {PAIR("attempts_n6"), PAIR("accuracy_n6")},
};
static const char *const BY_BAND[TASK_BANDS][2][2] = {
    {PAIR("attempts_small"), PAIR("accuracy_small")},
    {PAIR("attempts_medium"), PAIR("accuracy_medium")},
    {PAIR("attempts_large"), PAIR("accuracy_large")},
};
#undef PAIR

static void put(Metric *out, int max, int *k, const char *name, double num, double den) {
    if (den > 0 && *k < max) out[(*k)++] = (Metric){name, num / den};
}

int search_stats_metrics(const SearchStats *s, int eval, Metric *out, int max) {
    int k = 0, e = eval ? 1 : 0;
    put(out, max, &k, BASE[0][e], s->attempts, s->completions);
    put(out, max, &k, BASE[1][e], s->retried, s->completions);
    put(out, max, &k, BASE[2][e], s->first_correct, s->completions);
    put(out, max, &k, BASE[3][e], s->single_correct, s->single);
    put(out, max, &k, BASE[4][e], s->retried_correct, s->retried);
    put(out, max, &k, BASE[5][e], s->after_reject, s->correct);
    put(out, max, &k, BASE[6][e], s->equations_true, s->equations);
    put(out, max, &k, BASE[7][e], s->verdicts_true, s->verdicts);
    for (int i = 2; i <= SEARCH_MAX_NUMBERS; i++) {
        put(out, max, &k, BY_NUMBERS[i][0][e], s->by_numbers[i].attempts, s->by_numbers[i].n);
        put(out, max, &k, BY_NUMBERS[i][1][e], s->by_numbers[i].correct, s->by_numbers[i].n);
    }
    for (int i = 0; i < TASK_BANDS; i++) {
        put(out, max, &k, BY_BAND[i][0][e], s->by_band[i].attempts, s->by_band[i].n);
        put(out, max, &k, BY_BAND[i][1][e], s->by_band[i].correct, s->by_band[i].n);
    }
    return k;
}
