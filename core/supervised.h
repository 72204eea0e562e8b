/* supervised.h - next-token training with the same model code as GRPO: pretraining on the task's synthetic corpus
 * (every token counts) and SFT on prompt/completion pairs (only completion tokens count).
 * A training row is one document starting at position 0 with <bos>, as prompts are at sampling time. */
#ifndef GRPO_SUPERVISED_H
#define GRPO_SUPERVISED_H
#include "core/config.h"
#include "core/model.h"
#include "core/optim.h"
#include "core/task.h"
#include "core/tokenizer.h"
#include <stddef.h>

#define SFT_REPORT_LINES 5

/* What supervised_sft made of its data file, before the first step. */
typedef struct {
    const char *path;        /* c->sft.data */
    int examples;            /* examples it trains on */
    int skipped;             /* examples left out: with <bos> and <eos> longer than the model's context */
    int max_seq;             /* that context, in tokens (the model's max_T) */
    int n_listed;            /* the first min(skipped, SFT_REPORT_LINES) of them: */
    long line[SFT_REPORT_LINES];   /* line number in the file */
    int tokens[SFT_REPORT_LINES];  /* length in tokens with <bos> and <eos> */
} SftDataReport;

typedef struct {
    void *ud;
    /* After every step; return nonzero to stop early (the model keeps what it learned). */
    int (*on_progress)(void *ud, int step, int steps, double loss, double lr, double tokens_per_s);
    /* supervised_sft: once the data file is read, before the first step (optional). r lives for the call. */
    void (*on_sft_data)(void *ud, const SftDataReport *r);
} SupervisedCallbacks;

/* The style of a corpus document at pretraining step `step`, drawn from c->pretrain's mixture weights: style_*
 * before pretrain.phase2_start, phase2_style_* from it on (when phase2_start > 0). A first phase rich in
 * scratchpads and a last one mostly direct gives a base that samples direct answers most of the time but whose
 * scratchpad, when it does use one, is accurate - something for GRPO to discover. */
SolutionStyle supervised_draw_style(const Config *c, int step, Rng *rng);

/* Writes one corpus document for problem p in `style`: "<prompt text><solution>" (without <bos>/<eos>).
 * Returns its length or -1 when buf is too small. */
int supervised_corpus_document(const Task *task, const Problem *p, SolutionStyle style, Rng *rng, char *buf,
                               size_t n);

/* Pretrains m for c->pretrain.steps steps on documents from the task's train split (styles by the mixture),
 * AdamW with warmup and cosine decay to c->optim.min_lr_ratio. final_loss gets the mean loss of the last 20
 * steps. Returns 0, 1 when stopped by the callback, or -1 with err. */
int supervised_pretrain(Model *m, AdamW *opt, const Tokenizer *tok, const Task *task, const Config *c,
                        const SupervisedCallbacks *cb, double *final_loss, char *err, size_t errlen);

/* Fine-tunes m for c->sft.steps steps on the JSONL file c->sft.data: one {"prompt": ..., "completion": ...} per
 * line, the prompt as the template renders it. Loss on completion tokens and the final <eos>. Examples longer
 * than the model's context are left out and reported through cb->on_sft_data (how many, the first lines, their
 * lengths); when that leaves none it is an error saying so. Returns 0, 1 when stopped, or -1 with err naming the
 * file and line of a bad record (malformed JSON, a missing field, a NUL byte, a character the tokenizer lacks). */
int supervised_sft(Model *m, AdamW *opt, const Tokenizer *tok, const Config *c, const SupervisedCallbacks *cb,
                   double *final_loss, char *err, size_t errlen);

#endif
