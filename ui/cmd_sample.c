/* cmd_sample.c - `grpo-studio sample CHECKPOINT PROMPT`: completions from a checkpoint, printed as text; and
 * `--rejection OUT.jsonl`: rejection sampling - k samples for each of N training problems, the correct,
 * well-formatted ones under a length limit written as {"prompt", "completion"} lines (an SFT set, R1's stage 3). */
#include "core/checkpoint.h"
#include "core/episode.h"
#include "core/eval.h"
#include "core/sampler.h"
#include <jansson.h>
#include "ui/cli.h"
#include "ui/commands.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    FILE *f;
    int max_length, per_problem;
    uint64_t last_problem;
    int kept_for_problem;
    long kept, seen;
} Rejection;

static void keep_sample(void *ud, const Problem *p, const char *prompt, const char *completion, int length,
                        int correct, int formatted) {
    Rejection *r = ud;
    r->seen++;
    if (p->id != r->last_problem) { r->last_problem = p->id; r->kept_for_problem = 0; }
    if (!correct || !formatted || length > r->max_length) return;
    if (r->per_problem > 0 && r->kept_for_problem >= r->per_problem) return;
    json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "prompt", prompt, "completion", completion, "answer", p->answer,
                          "length", length);
    char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    fprintf(r->f, "%s\n", line);
    free(line);
    json_decref(o);
    r->kept++;
    r->kept_for_problem++;
}

static int rejection(const char *ckpt, const char *out, const char *cfg_path, char **sets, int n_sets, int k,
                     int problems, int max_length, int per_problem) {
    char err[1024], path[512];
    Config c;
    if (cli_load_config(&c, cfg_path, sets, n_sets, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio sample: %s\n", err); return 1; }
    cli_resolve(path, sizeof path, ckpt);
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio sample: %s\n", err); return 1; }
    Task *task = task_new(&c, err, sizeof err);
    if (!task) { fprintf(stderr, "grpo-studio sample: %s\n", err); model_free(&m); return 1; }
    Rejection r = {.max_length = max_length, .per_problem = per_problem, .last_problem = UINT64_MAX};
    r.f = fopen(out, "w");
    int rc = 1;
    Evaluator *e = eval_new(&m.cfg, &tok, task, c.run.max_batch < k ? k : c.run.max_batch, m.cfg.max_T);
    if (!r.f) fprintf(stderr, "grpo-studio sample: cannot write %s\n", out);
    else if (!e) fprintf(stderr, "grpo-studio sample: out of memory\n");
    else {
        SamplerParams sp = episode_sampler_params(&c);
        EvalResult res;
        if (eval_sample(e, &m, SPLIT_TRAIN, 0, problems, k, &sp, (uint64_t)c.run.seed * 7777u + 3u, &res, NULL,
                        keep_sample, &r, err, sizeof err) != 0)
            fprintf(stderr, "grpo-studio sample: %s\n", err);
        else {
            printf("rejection sampling: kept %ld of %ld samples (%d training problems x %d; pass@1 %.3f) -> %s\n",
                   r.kept, r.seen, res.problems, k, res.pass1, out);
            rc = 0;
        }
    }
    if (r.f && fclose(r.f) != 0) { fprintf(stderr, "grpo-studio sample: writing %s failed\n", out); rc = 1; }
    eval_free(e);
    task_free(task);
    model_free(&m);
    return rc;
}

int cmd_sample(int argc, char **argv) {
    const char *ckpt = NULL, *prompt = NULL;
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 160, .eos_id = TOK_EOS};
    int n = 1, raw = 0, n_given = 0, problems = 1000, max_length = 1 << 30, per_problem = 0, n_sets = 0;
    long seed = 1;
    const char *rej_out = NULL, *cfg_path = NULL;
    char *sets[CLI_MAX_SETS];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: grpo-studio sample CHECKPOINT PROMPT [-n N] [--temperature T] [--top-k K] [--top-p P]\n"
                   "                          [--max-new N] [--seed S] [--raw]\n\n"
                   "Prints N completions of PROMPT. The prompt goes through the default template \"{question}<think>\"\n"
                   "unless --raw; so `grpo-studio sample assets/base-add 12345+678=` asks the model to add.\n\n"
                   "       grpo-studio sample CHECKPOINT --rejection OUT.jsonl [--problems N] [-n K] [--max-length L]\n"
                   "                          [--per-problem M] [--config FILE] [--set K=V]...\n\n"
                   "Rejection sampling: K samples (default 4) for each of the first N training problems of the config's\n"
                   "task (sampling as its [sampling] section says); the correct, well-formatted completions of at most L\n"
                   "tokens (at most M per problem) go to OUT.jsonl as {\"prompt\", \"completion\", \"answer\", \"length\"}\n"
                   "lines, ready for `grpo-studio sft --data OUT.jsonl`.\n");
            return 0;
        } else if (!strcmp(a, "-n") && has) { n = atoi(argv[++i]); n_given = 1; }
        else if (!strcmp(a, "--rejection") && has) rej_out = argv[++i];
        else if (!strcmp(a, "--problems") && has) problems = atoi(argv[++i]);
        else if (!strcmp(a, "--max-length") && has) max_length = atoi(argv[++i]);
        else if (!strcmp(a, "--per-problem") && has) per_problem = atoi(argv[++i]);
        else if (!strcmp(a, "--config") && has) cfg_path = argv[++i];
        else if (!strcmp(a, "--set") && has && n_sets < CLI_MAX_SETS) sets[n_sets++] = argv[++i];
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
    if (ckpt && rej_out && !prompt)
        return rejection(ckpt, rej_out, cfg_path, sets, n_sets, n_given ? n : 4, problems, max_length, per_problem);
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
