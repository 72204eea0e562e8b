/* reward.h - rule-based rewards (accuracy, format, language consistency) and the "aha" flags of a rollout.
 * Each component is its own function; the total is their weighted sum. Reflection words earn nothing. */
#ifndef GRPO_REWARD_H
#define GRPO_REWARD_H
#include "core/task.h"
#include <stddef.h>

typedef struct {
    float total;
    float accuracy;   /* 1 when the answer parses and is right */
    float format;     /* 1 for exactly <think>...</think><answer>...</answer> and the end */
    float language;   /* share of thinking characters in the task's alphabet, 0..1 */
    int correct;
    unsigned flags;   /* ROLLOUT_FLAG_* (record.h) */
} RewardResult;

typedef struct { float accuracy, format, language; } RewardWeights;

/* The text between the last <answer> and its </answer> (or the end); returns 0 and copies into out, or -1 when
 * there is no <answer>. */
int reward_extract_answer(const char *completion, char *out, size_t n);
/* The text between <think> (or the start) and </think> (or the end) as a pointer/length into completion. */
void reward_thinking_span(const char *completion, const char **start, size_t *len);
float reward_accuracy(const Task *t, const Problem *p, const char *completion);
float reward_format(const char *completion);
float reward_language(const Task *t, const char *completion);
/* ROLLOUT_FLAG_REFLECTION when the thinking text holds a reflection word (wait, recheck, rethink, reevaluate,
 * re-evaluate, re-examine, reconsider, double-check, check again, think again, try again, verify, ...);
 * ROLLOUT_FLAG_SELF_CORRECTION when an earlier candidate answer in the thinking differs from the final answer and
 * the final answer is correct. */
unsigned reward_flags(const Task *t, const Problem *p, const char *completion, int correct);
/* All of the above; total = weighted sum. */
void reward_score(const Task *t, const Problem *p, const char *completion, const RewardWeights *w, RewardResult *out);

#endif
