/* episode.h - how a problem becomes model input and a sampled completion becomes text, in one place for the
 * trainer, evaluation, pretraining and SFT: a prompt is the tokenizer's bos (when it has one) + the task's prompt
 * text; a completion is the tokens after it, ending at the tokenizer's eos (not part of the text). */
#ifndef GRPO_EPISODE_H
#define GRPO_EPISODE_H
#include "core/config.h"
#include "core/sampler.h"
#include "core/task.h"
#include "core/tokenizer.h"
#include <stddef.h>

/* Encodes <bos> + task_format_prompt(p) into ids (cap); the prompt text goes to text (textcap) when not NULL.
 * Returns the token count, or -1 with err. */
int episode_encode_prompt(const Tokenizer *tok, const Task *task, const Problem *p, int *ids, int cap,
                          char *text, size_t textcap, char *err, size_t errlen);
/* Decodes completion tokens up to (not including) the first <eos> into text. Returns the text length. */
int episode_decode_completion(const Tokenizer *tok, const int *ids, int n, char *text, size_t cap);

/* The sampling of c's [sampling] section (temperature, top-k, top-p, max_new_tokens), stopping at tok's eos. */
SamplerParams episode_sampler_params(const Config *c, const Tokenizer *tok);

/* The tokenizer of a random model (model.init = random): model.tokenizer's Hugging Face tokenizer, or the
 * character tokenizer when it is empty. Returns 0 or -1 with err naming the key and the file. Pair with
 * tokenizer_free. */
int episode_tokenizer(const Config *c, Tokenizer *tok, char *err, size_t errlen);

#endif
