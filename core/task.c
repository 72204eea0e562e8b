/* task.c - the task interface: picks the built-in task by name, validates the shared config keys, and runs the
 * split machinery every synthetic task shares (a problem is drawn from a seeded stream and rejected until its
 * canonical hash falls in the wanted split). Each task's generator, checker and solution writer lives in
 * task_<name>.c behind the TaskOps table of task_impl.h. */
#include "core/task_impl.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const SOLUTION_STYLE_NAMES[STYLE_COUNT] = {"direct", "scratchpad", "check", "wait"};

/* Held-out problems come from this seed whatever run.seed is, so every run of a config evaluates the same set. */
#define TASK_EVAL_SEED 0x5EEDE7A1ull
/* Rejection draws before giving up; the held-out bucket holds about 1/TASK_EVAL_EVERY of the draws. */
#define TASK_MAX_DRAWS 200000

static const TaskOps *const TASKS[] = {&TASK_OPS_ADD, &TASK_OPS_MUL, &TASK_OPS_COUNTDOWN, &TASK_OPS_LETTERS,
                                       &TASK_OPS_JSONL, &TASK_OPS_GSM8K, &TASK_OPS_MATH};

int solution_style_from_name(const char *name) {
    for (int i = 0; i < STYLE_COUNT; i++)
        if (strcmp(name, SOLUTION_STYLE_NAMES[i]) == 0) return i;
    return -1;
}

/* ---- text builder and number helpers (task_impl.h) ---- */

void task_text_init(TaskText *b, char *buf, size_t n) {
    b->p = buf;
    b->n = n;
    b->len = 0;
    b->overflow = 0;
    if (n) buf[0] = '\0';
}

void task_text_puts(TaskText *b, const char *s) {
    size_t k = strlen(s);
    if (b->len + k + 1 > b->n) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, s, k + 1);
    b->len += k;
}

void task_text_printf(TaskText *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof tmp) {
        b->overflow = 1;
        return;
    }
    task_text_puts(b, tmp);
}

void task_text_answer(TaskText *b, const char *answer) {
    task_text_puts(b, "</think><answer>");
    task_text_puts(b, answer);
    task_text_puts(b, "</answer>");
}

int task_parse_uint(const char *s, long long *v) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    long long x = 0;
    int nd = 0;
    while (*s >= '0' && *s <= '9') {
        if (++nd > 18) return -1;
        x = x * 10 + (*s - '0');
        s++;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (nd == 0 || *s) return -1;
    *v = x;
    return 0;
}

int task_init_digits(Task *t, const Config *c, char *err, size_t errlen) {
    if (t->digits_min < 1 || t->digits_min > 9 || t->digits_max < t->digits_min || t->digits_max > 9) {
        snprintf(err, errlen, "task.digits_min = %d, task.digits_max = %d: expected 1 <= digits_min <= digits_max "
                 "<= 9 for task %s", t->digits_min, t->digits_max, t->ops->name);
        return -1;
    }
    return 0;
}

int task_digits(long long v) {
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

long long task_draw_operand(Rng *rng, int dmin, int dmax) {
    int d = dmin + (int)rng_below(rng, (uint32_t)(dmax - dmin + 1));
    long long lo = 1, hi = 10;
    for (int i = 1; i < d; i++) {
        lo *= 10;
        hi *= 10;
    }
    if (d == 1) lo = 1;
    long long span = hi - lo;
    return lo + (long long)(rng_u64(rng) % (uint64_t)span);
}

/* ---- splits ---- */

static uint64_t hash_text(const char *s) {
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

static uint64_t split_hash(const Task *t, const Problem *p) {
    char key[TASK_QUESTION_MAX + 32];
    if (t->ops->split_key) t->ops->split_key(p, key, sizeof key);
    else snprintf(key, sizeof key, "%s", p->question);
    return hash_text(key);
}

TaskSplit task_split_of(const Task *t, const Problem *p) {
    if (t->ops->split_of) return t->ops->split_of(t, p);
    return split_hash(t, p) % TASK_EVAL_EVERY == 0 ? SPLIT_EVAL : SPLIT_TRAIN;
}

/* task.train_half: 0 takes every train problem; 1 and 2 take the two halves of them, by the same hash. */
static int in_train_half(const Task *t, const Problem *p) {
    return t->train_half == 0 || (int)(split_hash(t, p) / TASK_EVAL_EVERY % 2) + 1 == t->train_half;
}

/* Draws from the split's stream until a problem of that split comes up. Returns 0, or -1 when none did within
 * TASK_MAX_DRAWS (out then holds the last draw). */
static int draw_in_split(const Task *t, TaskSplit split, uint64_t index, Problem *out) {
    Rng r;
    rng_seed(&r, split == SPLIT_EVAL ? TASK_EVAL_SEED : t->seed, index * 2 + (uint64_t)split);
    for (int i = 0; i < TASK_MAX_DRAWS; i++) {
        memset(out, 0, sizeof *out);
        t->ops->draw(t, &r, out);
        if (task_split_of(t, out) == split && (split == SPLIT_EVAL || in_train_half(t, out))) {
            out->id = index;
            return 0;
        }
    }
    out->id = index;
    return -1;
}

/* ---- the interface ---- */

static int check_template(const char *tpl, char *err, size_t errlen) {
    const char *q = strstr(tpl, "{question}");
    size_t n = strlen(tpl), k = strlen("<think>");
    if (!q || strstr(q + 1, "{question}") || n < k || strcmp(tpl + n - k, "<think>") != 0) {
        snprintf(err, errlen,
                 "task.prompt_template = \"%s\": expected {question} exactly once and \"<think>\" at the very end "
                 "(completions start inside the think section)", tpl);
        return -1;
    }
    return 0;
}

Task *task_new(const Config *c, char *err, size_t errlen) {
    const TaskOps *ops = NULL;
    for (size_t i = 0; i < sizeof TASKS / sizeof TASKS[0]; i++)
        if (strcmp(c->task.name, TASKS[i]->name) == 0) ops = TASKS[i];
    if (!ops) {
        snprintf(err, errlen, "task.name = \"%s\": expected add, mul, countdown, letters, jsonl, gsm8k or math", c->task.name);
        return NULL;
    }
    const char *tpl = c->task.prompt_template[0] ? c->task.prompt_template : TASK_DEFAULT_TEMPLATE;
    if (check_template(tpl, err, errlen) != 0) return NULL;
    if (c->task.eval_size < 1) {
        snprintf(err, errlen, "task.eval_size = %d: expected at least 1 held-out problem", c->task.eval_size);
        return NULL;
    }
    Task *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory creating task %s", ops->name);
        return NULL;
    }
    t->ops = ops;
    t->seed = (uint64_t)(int64_t)c->run.seed;
    t->digits_min = c->task.digits_min;
    t->digits_max = c->task.digits_max;
    t->numbers = c->task.numbers;
    t->numbers_min = c->task.numbers_min ? c->task.numbers_min : c->task.numbers;
    t->number_max = c->task.number_max;
    t->target_max = c->task.target_max;
    t->train_half = c->task.train_half;
    t->match = c->task.match;
    t->eval_size = c->task.eval_size;
    snprintf(t->prompt_template, sizeof t->prompt_template, "%s", tpl);
    if (t->train_half && ops->problem) {
        snprintf(err, errlen, "task.train_half = %d: only the synthetic tasks (add, mul, countdown, letters) split "
                 "their train problems in halves; expected 0 for %s", t->train_half, ops->name);
        task_free(t);
        return NULL;
    }
    if (ops->init && ops->init(t, c, err, errlen) != 0) {
        task_free(t);
        return NULL;
    }
    if (!ops->problem) {
        /* A problem space too small to hold out anything would make the rejection loop give up later. */
        Problem p;
        if (draw_in_split(t, SPLIT_EVAL, 0, &p) != 0 || draw_in_split(t, SPLIT_TRAIN, 0, &p) != 0) {
            snprintf(err, errlen, "task %s: too few distinct problems with these settings to hold out a disjoint "
                     "evaluation set; widen task.digits_min/digits_max or task.numbers", ops->name);
            task_free(t);
            return NULL;
        }
    }
    return t;
}

void task_free(Task *t) {
    if (!t) return;
    if (t->ops && t->ops->destroy) t->ops->destroy(t);
    free(t);
}

const char *task_name(const Task *t) { return t->ops->name; }

uint64_t task_size(const Task *t, TaskSplit split) {
    if (t->ops->size) return t->ops->size(t, split);
    return split == SPLIT_EVAL ? (uint64_t)t->eval_size : UINT64_MAX;
}

void task_problem(const Task *t, TaskSplit split, uint64_t index, Problem *out) {
    if (t->ops->problem) {
        t->ops->problem(t, split, index, out);
        return;
    }
    if (split == SPLIT_EVAL) index %= (uint64_t)t->eval_size;
    /* task_new checked that both buckets are reachable, so the loop cannot give up in practice. */
    int rc = draw_in_split(t, split, index, out);
    assert(rc == 0);
    (void)rc;
}

int task_check(const Task *t, const Problem *p, const char *answer_text) {
    if (!answer_text) return 0;
    return t->ops->check(t, p, answer_text);
}

const char *task_alphabet(const Task *t) { return t->ops->alphabet; }

const char *const TASK_BAND_NAMES[TASK_BANDS] = {"small", "medium", "large"};

int task_difficulty(const Task *t, const Problem *p, TaskDifficulty *out) {
    if (!t->ops->difficulty) return -1;
    t->ops->difficulty(t, p, out);
    return 0;
}

int task_write_solution(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, char *buf, size_t n) {
    assert(style >= 0 && style < STYLE_COUNT);
    assert(style == STYLE_DIRECT || rng);
    TaskText b;
    task_text_init(&b, buf, n);
    t->ops->write_solution(t, p, style, rng, &b);
    if (b.overflow) {
        if (n) buf[0] = '\0';
        return -1;
    }
    return (int)b.len;
}

int task_format_prompt(const Task *t, const Problem *p, char *buf, size_t n) {
    TaskText b;
    task_text_init(&b, buf, n);
    const char *tpl = t->prompt_template;
    const char *q = strstr(tpl, "{question}");
    char head[sizeof t->prompt_template];
    size_t k = (size_t)(q - tpl);
    memcpy(head, tpl, k);
    head[k] = '\0';
    task_text_puts(&b, head);
    task_text_puts(&b, p->question);
    task_text_puts(&b, q + strlen("{question}"));
    if (b.overflow) {
        if (n) buf[0] = '\0';
        return -1;
    }
    return (int)b.len;
}
