/* export.h - rollouts of a run database as JSON Lines (for analysis, or as a rejection-sampling SFT set).
 *
 * Rollout lines (export_jsonl), one object per rollout, keys in this order:
 *   run_id (integer, the run's id in the database: unique, unlike names), run (string, run name), step,
 *   prompt_index, sample_index (integers), task, prompt, completion, answer (strings),
 *   reward (number), rewards {accuracy, format, language} (numbers), advantage (number), length (integer, completion
 *   tokens), finish ("eos" | "length" | "aborted"), correct (boolean), flags {reflection, self_correction} (booleans).
 * SFT lines (export_sft): {"prompt": ..., "completion": ...} - the format `grpo-studio sft` reads. */
#ifndef GRPO_EXPORT_H
#define GRPO_EXPORT_H
#include "storage/query.h"
#include <stdint.h>
#include <stdio.h>

/* Writes every rollout matching f (in f's order; use QUERY_SORT_STEP for training order) to out as JSON lines.
 * *written (may be NULL) gets the number of lines. Returns 0, or -1 with err (query error, write error). */
int export_jsonl(Query *q, const QueryFilter *f, FILE *out, int64_t *written, char *err, size_t errlen);

typedef struct {
    int max_length;          /* only completions of at most this many tokens; 0: any */
    int dedup;               /* 1: one completion per distinct (prompt, completion) pair... */
    int per_prompt;          /* ...and at most this many per prompt text (0: no limit) */
} ExportSftOptions;

/* Writes the SFT set: rollouts matching f that are also correct and well formatted (r_format == 1), under
 * opts->max_length, as {"prompt", "completion"} lines. opts NULL: no length limit, no dedup. Returns 0 or -1. */
int export_sft(Query *q, const QueryFilter *f, const ExportSftOptions *opts, FILE *out, int64_t *written,
               char *err, size_t errlen);

#endif
