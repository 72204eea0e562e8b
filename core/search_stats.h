/* search_stats.h - how a batch of completions searched: attempts (candidate answers, reward.h) per completion,
 * retries and what they bought, whether the arithmetic and the verdicts they wrote are true, and the same split by
 * difficulty (task_difficulty: count of numbers, size band). The trainer and the evaluator add one completion at a
 * time and hand out the totals as metrics. Plain sums of doubles, so ranks can add theirs (dist_sum_doubles). */
#ifndef GRPO_SEARCH_STATS_H
#define GRPO_SEARCH_STATS_H
#include "core/record.h"
#include "core/task.h"

#define SEARCH_MAX_NUMBERS 6   /* countdown gives 2..6 numbers */

typedef struct { double n, attempts, correct; } SearchSplit;

typedef struct {
    double completions, attempts, correct;
    double first_correct;          /* the first candidate (or, with none, the answer) is right */
    double retried, retried_correct;   /* two or more attempts */
    double single, single_correct;     /* at most one attempt */
    double after_reject;           /* right answers reached after a rejected wrong candidate (self-correction) */
    double equations, equations_true;  /* "8*3=24" in the thinking, and how many hold */
    double verdicts, verdicts_true;    /* "29 vs 24 no" lines, and how many judge right */
    SearchSplit by_numbers[SEARCH_MAX_NUMBERS + 1];
    SearchSplit by_band[TASK_BANDS];
} SearchStats;

#define SEARCH_STATS_DOUBLES (sizeof(SearchStats) / sizeof(double))

/* The attempts of one completion: its candidate lines (reward.h). */
int search_count_attempts(const char *completion);
/* The same, and whether the first is right (with none, the final answer counts as the first attempt). */
int search_attempts(const Task *t, const Problem *p, const char *completion, int correct, int *first_correct);
/* Counts equations "EXPR=N" (EXPR holds an operator; evaluated by expr.h, never executed) and verdict lines
 * "X vs Y ok|no" in text[0..n), and how many of each are true. */
void search_count_arithmetic(const char *text, size_t n, int *equations, int *equations_true, int *verdicts,
                             int *verdicts_true);
/* Adds one completion (correct and flags as reward_score gave them). */
void search_stats_add(SearchStats *s, const Task *t, const Problem *p, const char *completion, int correct,
                      unsigned flags);
/* Appends the metrics (names prefixed "eval_" when eval) to out, at most max; a share whose base is empty (no
 * retried completions, no equations, a count of numbers never drawn) is left out rather than written as 0.
 * Returns how many were appended. */
int search_stats_metrics(const SearchStats *s, int eval, Metric *out, int max);

#endif
