/* episode.c - prompt encoding and completion decoding shared by every loop that samples or trains. */
#include "core/episode.h"
#include <stdio.h>

int episode_encode_prompt(const Tokenizer *tok, const Task *task, const Problem *p, int *ids, int cap,
                          char *text, size_t textcap, char *err, size_t errlen) {
    char buf[TASK_QUESTION_MAX * 2];
    if (task_format_prompt(task, p, buf, sizeof buf) < 0) {
        snprintf(err, errlen, "prompt for problem %llu does not fit %zu bytes", (unsigned long long)p->id,
                 sizeof buf);
        return -1;
    }
    if (text) snprintf(text, textcap, "%s", buf);
    if (cap < 1) return -2;
    ids[0] = TOK_BOS;
    int n = tokenizer_encode(tok, buf, ids + 1, cap - 1, err, errlen);
    return n < 0 ? -1 : n + 1;
}

int episode_decode_completion(const Tokenizer *tok, const int *ids, int n, char *text, size_t cap) {
    int len = 0;
    while (len < n && ids[len] != TOK_EOS) len++;
    return tokenizer_decode(tok, ids, len, text, cap);
}

SamplerParams episode_sampler_params(const Config *c) {
    SamplerParams sp = {.temperature = c->sampling.temperature, .top_k = c->sampling.top_k,
                        .top_p = c->sampling.top_p, .max_new_tokens = c->sampling.max_new_tokens,
                        .eos_id = TOK_EOS};
    return sp;
}
