/* reward.h - rule-based rewards (accuracy, format, language consistency) and the "aha" flags of a rollout.
 * Each component is its own function; the total is their weighted sum. Reflection words earn nothing.
 *
 * A completion is the text the model wrote after the prompt, specials written out, without the final <eos>.
 * The prompt template ends with <think> (task.h), so a completion starts INSIDE the think section:
 *   THINKING</think><answer>ANSWER</answer>
 * The thinking text is everything before the first </think>. */
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
/* The thinking text as a pointer/length into completion: from the start (or just after a <think> that comes before
 * the first </think>) to the first </think> (or the end). */
void reward_thinking_span(const char *completion, const char **start, size_t *len);
/* 1 when there is an answer (reward_extract_answer) and task_check grades it right, else 0. */
float reward_accuracy(const Task *t, const Problem *p, const char *completion);
/* 1 when the completion is exactly THINKING</think><answer>ANSWER</answer>: the thinking holds no special
 * (so no second <think> or </think>), exactly one answer section follows it (whitespace may stand between
 * </think> and <answer>), ANSWER is non-empty and holds no special, and nothing but whitespace follows
 * </answer>. Else 0. */
float reward_format(const char *completion);
/* The share of thinking bytes that are in task_alphabet(t); 1 for an empty thinking text. */
float reward_language(const Task *t, const char *completion);
/* 1 when text[0..len) holds a reflection word or phrase (REWARD_REFLECTION_WORDS): case-insensitive, on word
 * boundaries (the bytes around it are not letters), so "awaiting" or "verifying" do not count but "Wait," does. */
int reward_has_reflection(const char *text, size_t len);
extern const char *const REWARD_REFLECTION_WORDS[];
/* The "aha" flags, read from the thinking text line by line. A candidate answer is the text after '=' on a line
 * that starts with '=' (leading spaces allowed), as the solution styles write "=56513" or "=(8-5)*7+3" (task.h).
 * A later line checks the candidate before it; its verdict is its last word: "ok", "correct", "right", "yes"
 * accept it, "no", "wrong", "incorrect" reject it ("47375 no", "verify 24-3=21 no"). A reflection phrase is one
 * of REWARD_REFLECTION_WORDS (wait, recheck, rethink, reconsider, try again, ...); "verify" is not one: checking
 * is verification, and a check that passes is not reflection.
 * ROLLOUT_FLAG_REFLECTION: a reflection phrase after a candidate that its check rejected, or one after which the
 * answer changes (a later candidate, or the final answer, differs from the candidate before the phrase).
 * ROLLOUT_FLAG_SELF_CORRECTION: the thinking rejected a candidate that is wrong (the task's checker grades it
 * wrong) and the final answer is right (`correct`): a real mistake, caught by the model's own check, then fixed.
 * A rejected candidate that was right, or a wrong final answer, is no correction; neither is a candidate no check
 * rejected. */
unsigned reward_flags(const Task *t, const Problem *p, const char *completion, int correct);
/* All of the above; total = w->accuracy * accuracy + w->format * format + w->language * language. */
void reward_score(const Task *t, const Problem *p, const char *completion, const RewardWeights *w, RewardResult *out);

#endif
