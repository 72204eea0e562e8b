/* task_impl.h - internal to the task module: the table of operations each built-in task fills in, the Task
 * object they share, and small helpers (a bounded text builder, number parsing) used by task_*.c.
 * Nothing outside core/task*.c includes this. */
#ifndef GRPO_TASK_IMPL_H
#define GRPO_TASK_IMPL_H
#include "core/task.h"
#include <stdarg.h>

/* A text builder over a caller's buffer: appends never write past n, and overflow is remembered. */
typedef struct {
    char *p;
    size_t n, len;
    int overflow;
} TaskText;

typedef struct TaskOps {
    const char *name;
    /* Validates the task's config keys and loads its data into t->data. Returns 0 or -1 with err. */
    int (*init)(Task *t, const Config *c, char *err, size_t errlen);
    void (*destroy)(Task *t);                                 /* may be NULL */
    /* Synthetic tasks: one random problem (question, answer, operands) drawn from rng. */
    void (*draw)(const Task *t, Rng *rng, Problem *out);
    /* The canonical form the split hash is taken over (NULL: the question). */
    void (*split_key)(const Problem *p, char *buf, size_t n);
    /* Data tasks (jsonl) replace the synthetic split machinery with these (NULL for synthetic tasks). */
    uint64_t (*size)(const Task *t, TaskSplit split);
    void (*problem)(const Task *t, TaskSplit split, uint64_t index, Problem *out);
    TaskSplit (*split_of)(const Task *t, const Problem *p);
    int (*check)(const Task *t, const Problem *p, const char *answer);
    /* Appends the thinking text and the answer part (everything after the prompt) for style. */
    void (*write_solution)(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, TaskText *out);
    /* The problem's difficulty along two axes: how many numbers it gives, and its size band (0 small, 1 medium,
     * 2 large). NULL when the task has no such split. */
    void (*difficulty)(const Task *t, const Problem *p, TaskDifficulty *out);
    const char *alphabet;
} TaskOps;

struct Task {
    const TaskOps *ops;
    uint64_t seed;                      /* run.seed: the train stream */
    int digits_min, digits_max, numbers, numbers_min, number_max, target_max, match, eval_size, train_half;
    char prompt_template[1024];
    void *data;                         /* the task's own state (jsonl: the loaded file) */
};

extern const TaskOps TASK_OPS_ADD, TASK_OPS_MUL, TASK_OPS_COUNTDOWN, TASK_OPS_LETTERS, TASK_OPS_JSONL, TASK_OPS_GSM8K,
    TASK_OPS_MATH;

/* Allowed thinking characters of the built-in synthetic tasks: English letters, digits, arithmetic and the usual
 * punctuation, space and newline - what the solution styles write, and what a reasoning trace in one language is
 * made of. */
#define TASK_TEXT_ALPHABET \
    "\n !\"'(),-./0123456789:;=?%*+<>ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

void task_text_init(TaskText *b, char *buf, size_t n);
void task_text_puts(TaskText *b, const char *s);
void task_text_printf(TaskText *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "</think><answer>ANSWER</answer>". */
void task_text_answer(TaskText *b, const char *answer);

/* Parses s (surrounding whitespace allowed) as a non-negative decimal integer of at most 18 digits.
 * Returns 0 and sets *v, or -1. */
int task_parse_uint(const char *s, long long *v);
/* Validates task.digits_min/digits_max (1..9, min <= max). Returns 0 or -1 with err naming both keys. */
int task_init_digits(Task *t, const Config *c, char *err, size_t errlen);
/* Number of decimal digits of v >= 0. */
int task_digits(long long v);
/* Decimal digit `col` (0 = units) of v >= 0, and 10^k. */
static inline int task_digit_at(long long v, int col) {
    while (col-- > 0) v /= 10;
    return (int)(v % 10);
}
static inline long long task_pow10(int k) {
    long long p = 1;
    while (k-- > 0) p *= 10;
    return p;
}
/* Uniform integer with a number of digits drawn uniformly from [dmin, dmax] (1-digit numbers start at 1). */
long long task_draw_operand(Rng *rng, int dmin, int dmax);

#endif
