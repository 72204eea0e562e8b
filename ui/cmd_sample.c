/* cmd_sample.c - `grpo-studio sample CHECKPOINT PROMPT`: completions from a checkpoint, printed as text. */
#include "core/checkpoint.h"
#include "core/episode.h"
#include "core/sampler.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_sample(int argc, char **argv) {
    const char *ckpt = NULL, *prompt = NULL;
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 160, .eos_id = TOK_EOS};
    int n = 1, raw = 0;
    long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: grpo-studio sample CHECKPOINT PROMPT [-n N] [--temperature T] [--top-k K] [--top-p P]\n"
                   "                          [--max-new N] [--seed S] [--raw]\n\n"
                   "Prints N completions of PROMPT. The prompt goes through the default template \"{question}<think>\"\n"
                   "unless --raw; so `grpo-studio sample assets/base-add 12345+678=` asks the model to add.\n");
            return 0;
        } else if (!strcmp(a, "-n") && has) n = atoi(argv[++i]);
        else if (!strcmp(a, "--temperature") && has) sp.temperature = (float)atof(argv[++i]);
        else if (!strcmp(a, "--top-k") && has) sp.top_k = atoi(argv[++i]);
        else if (!strcmp(a, "--top-p") && has) sp.top_p = (float)atof(argv[++i]);
        else if (!strcmp(a, "--max-new") && has) sp.max_new_tokens = atoi(argv[++i]);
        else if (!strcmp(a, "--seed") && has) seed = atol(argv[++i]);
        else if (!strcmp(a, "--raw")) raw = 1;
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "grpo-studio sample: unknown option or missing value '%s'\n", a); return 2; }
        else if (!ckpt) ckpt = a;
        else if (!prompt) prompt = a;
        else { fprintf(stderr, "grpo-studio sample: unexpected argument '%s'\n", a); return 2; }
    }
    if (!ckpt || !prompt) { fprintf(stderr, "usage: grpo-studio sample CHECKPOINT PROMPT [options] (--help for more)\n"); return 2; }
    if (n < 1 || n > 256) { fprintf(stderr, "grpo-studio sample: -n %d: expected 1 .. 256\n", n); return 2; }
    if (!(sp.temperature > 0)) { fprintf(stderr, "grpo-studio sample: --temperature must be > 0\n"); return 2; }
    char path[512], err[512], text[1024];
    cli_resolve(path, sizeof path, ckpt);
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio sample: %s\n", err); return 1; }
    snprintf(text, sizeof text, raw ? "%s" : "%s<think>", prompt);
    const int T = m.cfg.max_T;
    int *ids = malloc(sizeof(int) * T * n), *lens = malloc(sizeof(int) * n), *out = malloc(sizeof(int) * T * n);
    int *olens = malloc(sizeof(int) * n), *fin = malloc(sizeof(int) * n);
    char *comp = malloc((size_t)T * 10 + 16);
    ids[0] = TOK_BOS;
    int len = tokenizer_encode(&tok, text, ids + 1, T - 2, err, sizeof err);
    int rc = 1;
    if (len < 0) { fprintf(stderr, "grpo-studio sample: prompt: %s\n", len == -2 ? "longer than the model's context" : err); goto done; }
    len += 1;
    if (sp.max_new_tokens > T - len) sp.max_new_tokens = T - len;
    for (int i = 0; i < n; i++) { memcpy(ids + (size_t)i * T, ids, sizeof(int) * len); lens[i] = len; }
    Sampler *s = sampler_new(&m.cfg, n, T);
    if (!s) { fprintf(stderr, "grpo-studio sample: out of memory\n"); goto done; }
    sampler_generate(s, &m, &sp, (uint64_t)seed, ids, lens, T, n, out, olens, fin, NULL, NULL);
    for (int i = 0; i < n; i++) {
        episode_decode_completion(&tok, out + (size_t)i * sp.max_new_tokens, olens[i], comp, (size_t)T * 10 + 16);
        if (n > 1) printf("--- sample %d\n", i + 1);
        printf("%s%s%s\n", text, comp, fin[i] == FINISH_LENGTH ? "  [max_new_tokens reached]" : "");
    }
    sampler_free(s);
    rc = 0;
done:
    free(ids); free(lens); free(out); free(olens); free(fin); free(comp);
    model_free(&m);
    return rc;
}
