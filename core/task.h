/* task.h - verifiable tasks: a seeded problem generator with disjoint train and held-out sets, an answer checker,
 * and a corpus writer that shows a solution in one of several styles (for pretraining and SFT data).
 * Built in: add, mul, countdown, letters, jsonl (the user's own prompt/answer file), and for real models gsm8k
 * (JSON lines {"question", "answer"}, the final answer after "####") and math ({"problem", "solution"} or
 * {"problem", "answer"}, the final answer in \boxed{}), both graded by value (answer.h).
 *
 * The prompt/completion boundary. The prompt template ends by opening the think section ("{question}<think>"),
 * so a completion starts INSIDE <think>: it is "THINKING</think><answer>ANSWER</answer>" and never contains the
 * opening <think> (the trainer appends <eos>). task_new rejects a template that does not end with "<think>".
 *
 * Splits. Which split a question belongs to is a hash of its canonical form (operands sorted where the order does
 * not change the problem), independent of the seed: about one question in TASK_EVAL_EVERY is held out, and no train
 * problem is ever a held-out one, for any seed - so a base pretrained with one seed and a GRPO run with another
 * are evaluated on questions neither trained on. Train problem i is drawn from (run.seed, i); held-out problem i
 * from a fixed seed, so every run of a task config is evaluated on the same held-out problems. task.train_half
 * 1 or 2 keeps only one half of the train problems (by the same hash), so that a base pretrained on one half
 * meets only problems it never saw when GRPO trains on the other: a small problem space cannot be memorized.
 *
 * Candidate answers (for the self-correction flag, reward.h): every line of the thinking that starts with '='
 * holds a candidate answer (the text after '='). The solution styles write one such line whenever they settle on
 * a result: "=56513" for add, mul and letters, "=(8-5)*7+3" for countdown; check lines never start with '='. */
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

#define TASK_QUESTION_MAX 1024              /* GSM8K questions run to about 900 bytes */
#define TASK_ANSWER_MAX 128
typedef struct {
    uint64_t id;                        /* index within its split */
    char question[TASK_QUESTION_MAX];   /* e.g. "12345+678=" */
    char answer[TASK_ANSWER_MAX];       /* canonical answer, e.g. "13023" */
    int operands[8];                    /* task-specific numbers (countdown's numbers, add's operands, ...) */
    int n_operands;
    int target;
} Problem;

typedef struct Task Task;

#define TASK_DEFAULT_TEMPLATE "{question}<think>"
#define TASK_EVAL_EVERY 10      /* about 1 in this many questions is held out */

/* Creates the task described by c->task (and c->run.seed). Returns NULL with err naming the key, the file and
 * line (jsonl) or the value that is wrong. Pair with task_free (which accepts NULL). The task is read-only after
 * creation, so threads may share it. */
Task *task_new(const Config *c, char *err, size_t errlen);
void task_free(Task *t);
const char *task_name(const Task *t);
/* Number of problems in a split (train may be effectively unbounded: UINT64_MAX). */
uint64_t task_size(const Task *t, TaskSplit split);
/* Problem `index` of `split`; deterministic for a given config. Train and eval never share a question. For a
 * finite split (jsonl, and eval) an index past task_size is taken modulo the size. Small problem spaces may repeat
 * a question within a split. */
void task_problem(const Task *t, TaskSplit split, uint64_t index, Problem *out);
/* 1 when answer_text (what stood between <answer> and </answer>) is right for p, else 0. Never executes input. */
int task_check(const Task *t, const Problem *p, const char *answer_text);
/* Characters allowed in the thinking text (language-consistency reward). */
const char *task_alphabet(const Task *t);
/* Writes a completion for p in `style` into buf (size n): "THINKING</think><answer>ANSWER</answer>", without the
 * opening <think> (the prompt has it) and without <eos>. The styles (add shown; mul, countdown, letters alike):
 *   DIRECT      "</think><answer>56513</answer>"
 *   SCRATCHPAD  one line per column, right to left, "+1" for a carry in: "5+8=13\n8+2+1=11\n...", then "=56513"
 *   CHECK       the scratchpad, then "verify" and the inverse operation recomputed step by step from the written
 *               result (56513-9128 column by column), ending "47385 ok"
 *   WAIT        the scratchpad with one realistic slip (a dropped carry, a digit off by one), the inverse check
 *               recomputed from the wrong result ending "47375 no", then "wait", the steps from the slip on redone
 *               and the right result "=56513"
 * Countdown writes its thinking as a search instead (task_countdown.c): DIRECT the bare answer, SCRATCHPAD one
 * attempt, CHECK a search of up to 2..4 attempts, WAIT a search that goes on until an attempt hits.
 * jsonl has no worked solutions: every style writes the direct form. rng draws the slips and the search order; it
 * may be NULL for STYLE_DIRECT. Returns the length, or -1 when buf is too small. */
int task_write_solution(const Task *t, const Problem *p, SolutionStyle style, Rng *rng, char *buf, size_t n);
/* The prompt text for p from the template (c->task.prompt_template, "{question}" replaced; an empty template means
 * TASK_DEFAULT_TEMPLATE). Returns the length, or -1 when buf is too small. */
int task_format_prompt(const Task *t, const Problem *p, char *buf, size_t n);
/* A problem's difficulty, for metrics split by it: the count of numbers it gives, and the band of its size
 * (countdown: the target against task.target_max, TASK_BAND_* ). */
enum { TASK_BAND_SMALL = 0, TASK_BAND_MEDIUM, TASK_BAND_LARGE, TASK_BANDS };
extern const char *const TASK_BAND_NAMES[TASK_BANDS];   /* "small", "medium", "large" */
typedef struct { int numbers, band; } TaskDifficulty;
/* Fills out and returns 0, or returns -1 when the task has no difficulty split (only countdown has one). */
int task_difficulty(const Task *t, const Problem *p, TaskDifficulty *out);
/* The split question p belongs to (by its canonical hash; jsonl: by where the loader put it). */
TaskSplit task_split_of(const Task *t, const Problem *p);
/* The style named "direct", "scratchpad", "check" or "wait"; -1 for anything else. */
int solution_style_from_name(const char *name);

#endif
