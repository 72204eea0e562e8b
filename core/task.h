/* task.h - verifiable tasks: a seeded problem generator with disjoint train and held-out sets, an answer checker,
 * and a corpus writer that shows a solution in one of several styles (for pretraining and SFT data).
 * Built in: add, mul, countdown, letters, jsonl (the user's own prompt/answer file). */
#ifndef GRPO_TASK_H
#define GRPO_TASK_H
#include "core/config.h"
#include "core/rng.h"
#include <stddef.h>
#include <stdint.h>

typedef enum { SPLIT_TRAIN = 0, SPLIT_EVAL = 1 } TaskSplit;

/* Solution styles of the synthetic corpus. */
typedef enum {
    STYLE_DIRECT = 0,      /* <think></think><answer>42</answer> - or a one-line think */
    STYLE_SCRATCHPAD,      /* step by step */
    STYLE_CHECK,           /* step by step, then a check by the inverse operation */
    STYLE_WAIT,            /* a step with a mistake, the check catches it, "wait", the step redone */
    STYLE_COUNT
} SolutionStyle;
extern const char *const SOLUTION_STYLE_NAMES[STYLE_COUNT];

#define TASK_QUESTION_MAX 256
#define TASK_ANSWER_MAX 64
typedef struct {
    uint64_t id;                        /* index within its split */
    char question[TASK_QUESTION_MAX];   /* e.g. "12345+678=" */
    char answer[TASK_ANSWER_MAX];       /* canonical answer, e.g. "13023" */
    int operands[8];                    /* task-specific numbers (countdown's numbers, add's operands, ...) */
    int n_operands;
    int target;
} Problem;

typedef struct Task Task;

/* Creates the task described by c->task (and c->run.seed). Returns NULL with err naming the key, the file and
 * line (jsonl) or the value that is wrong. Pair with task_free. */
Task *task_new(const Config *c, char *err, size_t errlen);
void task_free(Task *t);
const char *task_name(const Task *t);
/* Number of problems in a split (train may be effectively unbounded: UINT64_MAX). */
uint64_t task_size(const Task *t, TaskSplit split);
/* Problem `index` of `split`; deterministic for a given config. Train and eval never share a question. */
void task_problem(const Task *t, TaskSplit split, uint64_t index, Problem *out);
/* 1 when answer_text (what stood between <answer> and </answer>) is right for p, else 0. Never executes input. */
int task_check(const Task *t, const Problem *p, const char *answer_text);
/* Characters allowed in the thinking text (language-consistency reward). */
const char *task_alphabet(const Task *t);
/* Writes a completion for p in `style` - "<think>...</think><answer>...</answer>" - into buf (size n).
 * STYLE_WAIT draws the mistake from rng. Returns the length, or -1 when buf is too small. */
int task_write_solution(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, char *buf, size_t n);
/* The prompt text for p from the template (c->task.prompt_template, "{question}" replaced). */
int task_format_prompt(const Task *t, const Problem *p, char *buf, size_t n);

#endif
