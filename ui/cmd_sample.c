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
#include "ui/progress.h"
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    FILE *f;
    int max_length, per_problem;
    uint64_t last_problem;
    int kept_for_problem;
    long kept, seen;
    Progress progress;   /* on stderr; started at the first batch */
} Rejection;

static int show_progress(void *ud, int done, int total) {
    Rejection *r = ud;
    if (!r->progress.f) progress_init(&r->progress, stderr, isatty(2), "generating", "problems", total);
    progress_update(&r->progress, done);
    return 0;
}

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

/* Rejection sampling with the loaded config c (its [sampling] and task). */
static int rejection(const Config *cfg, const char *ckpt, const char *out, int k, int problems, int max_length,
                     int per_problem) {
    char err[1024], path[PATH_MAX];
    Config c = *cfg;
    if (cli_resolve(path, sizeof path, ckpt, "checkpoint", err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio sample: %s\n", err);
        return 2;
    }
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio sample: %s\n", err); return 1; }
    Task *task = task_new(&c, err, sizeof err);
    if (!task) { fprintf(stderr, "grpo-studio sample: %s\n", err); model_free(&m); tokenizer_free(&tok); return 1; }
    Rejection r = {.max_length = max_length, .per_problem = per_problem, .last_problem = UINT64_MAX};
    r.f = fopen(out, "w");
    int rc = 1;
    Evaluator *e = eval_new(&m.cfg, &tok, task, eval_rows(k), NULL);
    if (!r.f) fprintf(stderr, "grpo-studio sample: cannot write %s\n", out);
    else if (!e) fprintf(stderr, "grpo-studio sample: out of memory\n");
    else {
        SamplerParams sp = episode_sampler_params(&c, &tok);
        EvalResult res;
        if (eval_sample(e, &m, SPLIT_TRAIN, 0, problems, k, &sp, (uint64_t)c.run.seed * 7777u + 3u, &res,
                        show_progress, keep_sample, &r, err, sizeof err) != 0)
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
    tokenizer_free(&tok);
    return rc;
}

#define SAMPLE_MAX_N 256               /* completions of one prompt: one sampler batch */
#define SAMPLE_MAX_PROBLEMS 1000000    /* rejection sampling: training problems */

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio sample CHECKPOINT PROMPT [-n N] [--temperature T] [--top-k K] [--top-p P]\n"
               "                          [--max-new N] [--seed S] [--raw] [--config FILE] [--set K=V]...\n\n"
               "Prints N completions (1 .. %d, default 1) of PROMPT. The prompt goes through the default template\n"
               "\"{question}<think>\" unless --raw; so `grpo-studio sample assets/base-add 12345+678=` asks the model\n"
               "to add. Sampling follows the config's [sampling] section (default configs/default.ini); each option\n"
               "overrides its key, in the key's range:\n", SAMPLE_MAX_N);
    cli_help_key(f, "--temperature T", "sampling temperature", "sampling.temperature");
    cli_help_key(f, "--top-k K", "the K likeliest tokens, 0 = off", "sampling.top_k");
    cli_help_key(f, "--top-p P", "nucleus mass, 1 = off", "sampling.top_p");
    cli_help_key(f, "--max-new N", "longest completion, below model.max_seq", "sampling.max_new_tokens");
    cli_help_key(f, "--seed S", "random seed", "run.seed");
    fprintf(f, "\n       grpo-studio sample CHECKPOINT --rejection OUT.jsonl [--problems N] [-n K] [--max-length L]\n"
               "                          [--per-problem M] [--config FILE] [--set K=V]...\n\n"
               "Rejection sampling: K samples (default 4) for each of the first N (default 1000) training problems\n"
               "of the config's task; the correct, well-formatted completions of at most L tokens - at most M per\n"
               "problem (0 = all) - go to OUT.jsonl as {\"prompt\", \"completion\", \"answer\", \"length\"} lines, ready\n"
               "for `grpo-studio sft --data OUT.jsonl`.\n");
    cli_help_key(f, "-n K", "samples per problem", "run.eval_samples");
    fprintf(f, "  %-17s training problems (1 .. %d)\n", "--problems N", SAMPLE_MAX_PROBLEMS);
    cli_help_key(f, "--max-length L", "longest completion kept", "sampling.max_new_tokens");
    fprintf(f, "  %-17s completions kept per problem (0 .. %.0f; 0 = all)\n", "--per-problem M",
            config_key("run", "eval_samples")->max);
}

int cmd_sample(int argc, char **argv) {
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},           {"raw", no_argument, NULL, 'r'},
        {"rejection", required_argument, NULL, 'R'}, {"problems", required_argument, NULL, 'P'},
        {"max-length", required_argument, NULL, 'L'}, {"per-problem", required_argument, NULL, 'M'},
        {"config", required_argument, NULL, 'c'},   {"set", required_argument, NULL, 's'},
        {"temperature", required_argument, NULL, 'T'}, {"top-k", required_argument, NULL, 'K'},
        {"top-p", required_argument, NULL, 'p'},    {"max-new", required_argument, NULL, 'N'},
        {"seed", required_argument, NULL, 'S'},     {NULL, 0, NULL, 0}};
    const char *ckpt = NULL, *prompt = NULL, *n_text = NULL, *rej_out = NULL, *cfg_path = NULL;
    int raw = 0, problems = 1000, max_length = INT_MAX, per_problem = 0, o;
    CliSets sets = {0};
    char err[1024];
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":hn:", LONG, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case 'h': usage(stdout); return 0;
        case 'r': raw = 1; break;
        case 'n': n_text = optarg; break;
        case 'R': rej_out = optarg; break;
        case 'P': bad = cli_parse_int("--problems", optarg, 1, SAMPLE_MAX_PROBLEMS, &problems, err, sizeof err); break;
        case 'L':
            bad = cli_parse_int_key_range("--max-length", optarg, "sampling.max_new_tokens", &max_length, err, sizeof err);
            break;
        case 'M': /* 0 = all, else at most k */
            bad = cli_parse_int("--per-problem", optarg, 0, (int)config_key("run", "eval_samples")->max, &per_problem,
                                err, sizeof err);
            break;
        case 'c': cfg_path = optarg; break;
        case 's': bad = cli_sets_add(&sets, optarg, err, sizeof err); break;
        case 'T': bad = cli_sets_add_option(&sets, "--temperature", "sampling.temperature", optarg, err, sizeof err); break;
        case 'K': bad = cli_sets_add_option(&sets, "--top-k", "sampling.top_k", optarg, err, sizeof err); break;
        case 'p': bad = cli_sets_add_option(&sets, "--top-p", "sampling.top_p", optarg, err, sizeof err); break;
        case 'N': bad = cli_sets_add_option(&sets, "--max-new", "sampling.max_new_tokens", optarg, err, sizeof err); break;
        case 'S': bad = cli_sets_add_option(&sets, "--seed", "run.seed", optarg, err, sizeof err); break;
        default: cli_option_error("sample", argv, o); return 2;
        }
        if (bad) { fprintf(stderr, "grpo-studio sample: %s\n", err); return 2; }
    }
    if (optind < argc) ckpt = argv[optind++];
    if (optind < argc && !rej_out) prompt = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio sample: unexpected argument '%s'\n", argv[optind]); return 2; }
    if (!ckpt || (!prompt && !rej_out)) {
        fprintf(stderr, "usage: grpo-studio sample CHECKPOINT PROMPT [options] (--help for more)\n");
        return 2;
    }
    /* -n is the sampler batch of one prompt, or k samples per problem (run.eval_samples' range) */
    int n = rej_out ? 4 : 1;
    if (n_text && (rej_out ? cli_parse_int_key_range("-n", n_text, "run.eval_samples", &n, err, sizeof err)
                           : cli_parse_int("-n", n_text, 1, SAMPLE_MAX_N, &n, err, sizeof err)) != 0) {
        fprintf(stderr, "grpo-studio sample: %s\n", err);
        return 2;
    }
    Config c;
    if (cli_load_config(&c, cfg_path, sets.items, sets.n, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio sample: %s\n", err);
        return 1;
    }
    if (rej_out) return rejection(&c, ckpt, rej_out, n, problems, max_length, per_problem);
    char path[PATH_MAX];
    if (cli_resolve(path, sizeof path, ckpt, "checkpoint", err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio sample: %s\n", err);
        return 2;
    }
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio sample: %s\n", err); return 1; }
    SamplerParams sp = episode_sampler_params(&c, &tok);
    const int T = m.cfg.max_T;
    size_t text_n = strlen(prompt) + sizeof "<think>";
    char *text = malloc(text_n);
    int *ids = malloc(sizeof(int) * T * n), *lens = malloc(sizeof(int) * n), *out = malloc(sizeof(int) * T * n);
    int *olens = malloc(sizeof(int) * n), *fin = malloc(sizeof(int) * n);
    size_t comp_n = (size_t)T * tokenizer_max_token_bytes(&tok) + 16;
    char *comp = malloc(comp_n);
    int rc = 1;
    if (!text || !ids || !lens || !out || !olens || !fin || !comp) { fprintf(stderr, "grpo-studio sample: out of memory\n"); goto done; }
    snprintf(text, text_n, raw ? "%s" : "%s<think>", prompt);
    int k = tokenizer_put_bos(&tok, ids);
    int len = tokenizer_encode(&tok, text, ids + k, T - 1 - k, err, sizeof err);
    if (len < 0) { fprintf(stderr, "grpo-studio sample: prompt: %s\n", len == -2 ? "longer than the model's context" : err); goto done; }
    len += k;
    if (sp.max_new_tokens > T - len) sp.max_new_tokens = T - len;
    for (int i = 0; i < n; i++) { memcpy(ids + (size_t)i * T, ids, sizeof(int) * len); lens[i] = len; }
    Sampler *s = sampler_new(&m.cfg, n, len + sp.max_new_tokens); /* sized for this prompt, not the context */
    if (!s) { fprintf(stderr, "grpo-studio sample: out of memory\n"); goto done; }
    sampler_generate(s, &m, &sp, (uint64_t)c.run.seed, ids, lens, T, n, out, olens, fin, NULL, NULL);
    for (int i = 0; i < n; i++) {
        episode_decode_completion(&tok, out + (size_t)i * sp.max_new_tokens, olens[i], comp, comp_n);
        if (n > 1) printf("--- sample %d\n", i + 1);
        printf("%s%s%s\n", text, comp, fin[i] == FINISH_LENGTH ? "  [max_new_tokens reached]" : "");
    }
    sampler_free(s);
    rc = 0;
done:
    free(text); free(ids); free(lens); free(out); free(olens); free(fin); free(comp);
    model_free(&m);
    tokenizer_free(&tok);
    return rc;
}
