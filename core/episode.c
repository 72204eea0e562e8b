/* episode.c - prompt encoding and completion decoding shared by every loop that samples or trains. */
#include "core/episode.h"
#include <stdio.h>
#include <string.h>

int episode_encode_prompt(const Tokenizer *tok, const Task *task, const Problem *p, int *ids, int cap,
                          char *text, size_t textcap, char *err, size_t errlen) {
    char buf[TASK_QUESTION_MAX + 1024 + 64]; /* the question in the template (task.prompt_template) */
    if (task_format_prompt(task, p, buf, sizeof buf) < 0) {
        snprintf(err, errlen, "prompt for problem %llu does not fit %zu bytes", (unsigned long long)p->id,
                 sizeof buf);
        return -1;
    }
    if (text) snprintf(text, textcap, "%s", buf);
    if (cap < 1) return -2;
    int k = tokenizer_put_bos(tok, ids);
    char why[256];
    int n = tokenizer_encode(tok, buf, ids + k, cap - k, why, sizeof why);
    if (n == -2) {
        snprintf(err, errlen, "the prompt of problem %llu (the question in task.prompt_template) does not fit the "
                 "model's context of %d tokens: %s", (unsigned long long)p->id, cap, why);
        return -1;
    }
    if (n < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if (n == 0 && k == 0) { /* a tokenizer without tokens for the text (and no bos): nothing to condition on */
        snprintf(err, errlen, "the prompt of problem %llu encodes to no tokens: the tokenizer has none for its text",
                 (unsigned long long)p->id);
        return -1;
    }
    return n < 0 ? -1 : n + k;
}

int episode_decode_completion(const Tokenizer *tok, const int *ids, int n, char *text, size_t cap) {
    int len = 0;
    while (len < n && !tokenizer_is_end(tok, ids[len])) len++;
    return tokenizer_decode(tok, ids, len, text, cap);
}

SamplerParams episode_sampler_params(const Config *c, const Tokenizer *tok) {
    SamplerParams sp = {.temperature = c->sampling.temperature, .top_k = c->sampling.top_k,
                        .top_p = c->sampling.top_p, .max_new_tokens = c->sampling.max_new_tokens,
                        .eos_id = tok->eos, .n_stop = tok->n_stop};
    _Static_assert(sizeof sp.stop_ids == sizeof tok->stop, "the sampler's stop ids hold the tokenizer's");
    memcpy(sp.stop_ids, tok->stop, sizeof tok->stop);
    return sp;
}

int episode_tokenizer(const Config *c, Tokenizer *tok, char *err, size_t errlen) {
    if (!c->model.tokenizer[0]) return tokenizer_init(tok, TOKENIZER_DEFAULT_ALPHABET, err, errlen);
    char why[512];
    if (tokenizer_load_hf(tok, c->model.tokenizer, why, sizeof why) != 0) {
        snprintf(err, errlen, "model.tokenizer = %s: %s", c->model.tokenizer, why);
        return -1;
    }
    if (tok->eos >= 0) return 0;
    snprintf(err, errlen, "model.tokenizer = %s: no end-of-sequence token (neither the post-processor nor a "
             "tokenizer_config.json beside it names one, and there is no <|endoftext|>, </s> or <|end_of_text|>)",
             c->model.tokenizer);
    tokenizer_free(tok);
    return -1;
}
