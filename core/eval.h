/* eval.h - held-out evaluation: pass@1 as the mean accuracy over k samples per problem, and cons@k as the accuracy
 * of the majority answer among the k (DeepSeek-R1's evaluation). Buffers are allocated once by eval_new. */
#ifndef GRPO_EVAL_H
#define GRPO_EVAL_H
#include "core/model.h"
#include "core/sampler.h"
#include "core/search_stats.h"
#include "core/task.h"
#include "core/tokenizer.h"
#include <stdint.h>

typedef struct {
    double pass1;      /* mean over problems of (correct samples / k) */
    double cons_k;     /* share of problems whose majority answer is correct */
    double format_rate;/* share of samples with reward_format == 1 */
    double mean_length;/* completion tokens per sample */
    int k, problems;
    double seconds;
    SearchStats search; /* attempts, arithmetic truth and difficulty splits of every sample */
} EvalResult;

/* Called after each batch; nonzero aborts the evaluation. */
typedef int (*EvalProgress)(void *ud, int done, int total);

typedef struct Evaluator Evaluator;
/* An evaluator for task with batches of up to `rows` sequences (k samples of rows / k problems). It generates with
 * `shared` (a sampler the caller owns and uses on the same thread, e.g. the trainer's: its batch size is kept
 * unless k exceeds it), or, when shared is NULL, with a sampler of its own sized for its first batch. Task,
 * tokenizer and sampler must outlive it. NULL when out of memory. Pair with eval_free. */
Evaluator *eval_new(const ModelConfig *cfg, const Tokenizer *tok, const Task *task, int rows, Sampler *shared);
/* The bytes eval_new(cfg, tok, ..., rows, shared) allocates itself, without allocating them (not a sampler);
 * token_bytes is tokenizer_max_token_bytes(tok), which sizes the completions' text. */
size_t eval_bytes(const ModelConfig *cfg, int token_bytes, int rows);
/* Rows for a standalone evaluation with k samples per problem: 64 rounded down to a multiple of k, at least k -
 * enough rows for the decode steps' matrix products, little memory for the KV cache. */
int eval_rows(int k);
void eval_free(Evaluator *e);
/* Evaluates m on the first n_problems held-out problems (capped at the split's size) with k samples each. In a
 * data-parallel run (dist.h) every rank must call it alike: each runs its share of the batches (progress sees only
 * those) and all get the whole result. Returns 0, -1 with err, or 1 when progress aborted. */
int eval_run(Evaluator *e, const Model *m, int n_problems, int k, const SamplerParams *sp, uint64_t seed,
             EvalResult *out, EvalProgress progress, void *ud, char *err, size_t errlen);

/* Every graded sample: its problem, prompt text, completion text (without <eos>), completion tokens, whether it is
 * correct and whether its format reward is 1. */
typedef void (*EvalSampleFn)(void *ud, const Problem *p, const char *prompt, const char *completion, int length,
                             int correct, int formatted);
/* The general form: problems first .. first + n_problems - 1 of `split`, each sample handed to on_sample (may be
 * NULL) - rejection sampling uses the train split and keeps the correct, well-formatted ones. */
int eval_sample(Evaluator *e, const Model *m, TaskSplit split, uint64_t first, int n_problems, int k,
                const SamplerParams *sp, uint64_t seed, EvalResult *out, EvalProgress progress,
                EvalSampleFn on_sample, void *ud, char *err, size_t errlen);

#endif
