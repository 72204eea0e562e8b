/* cmd_eval.c - `grpo-studio eval CHECKPOINT`: held-out pass@1 (mean accuracy over k samples per problem) and
 * cons@k (majority vote), with a progress bar on stderr and an optional JSON line. */
#include "core/checkpoint.h"
#include "core/episode.h"
#include "core/eval.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bar(void *ud, int done, int total) {
    if (!*(int *)ud) return 0;
    int w = 30, n = total ? done * w / total : w;
    fprintf(stderr, "\r[%.*s%*s] %d/%d problems", n, "##############################", w - n, "", done, total);
    if (done == total) fputc('\n', stderr);
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio eval CHECKPOINT [--task T] [--samples K] [--problems N] [--config FILE] [--set K=V]... [--json]\n\n"
               "Samples K completions for each of N held-out problems and reports pass@1 = mean accuracy over the K\n"
               "samples and cons@K = accuracy of the majority answer. Sampling follows the config's [sampling] section\n"
               "(default configs/default.ini). Each option overrides its key, in the key's range:\n");
    cli_help_key(f, "--task T", "the task", "task.name");
    cli_help_key(f, "--samples K", "samples per problem", "run.eval_samples");
    cli_help_key(f, "--problems N", "held-out problems, at most task.eval_size", "run.eval_problems");
    fprintf(f, "  --config FILE     the config (default configs/default.ini)\n"
               "  --set K=V         override a config value (repeatable), e.g. --set sampling.temperature=0.7\n"
               "  --json            one JSON line instead of text\n");
}

int cmd_eval(int argc, char **argv) {
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},         {"json", no_argument, NULL, 'j'},
        {"task", required_argument, NULL, 't'},   {"samples", required_argument, NULL, 'k'},
        {"problems", required_argument, NULL, 'p'}, {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},    {NULL, 0, NULL, 0}};
    const char *ckpt = NULL, *cfg_path = NULL;
    CliSets sets = {0};
    int json = 0, o;
    char err[1024];
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case 'h': usage(stdout); return 0;
        case 'j': json = 1; break;
        case 't': bad = cli_sets_add_option(&sets, "--task", "task.name", optarg, err, sizeof err); break;
        case 'k': bad = cli_sets_add_option(&sets, "--samples", "run.eval_samples", optarg, err, sizeof err); break;
        case 'p': bad = cli_sets_add_option(&sets, "--problems", "run.eval_problems", optarg, err, sizeof err); break;
        case 'c': cfg_path = optarg; break;
        case 's': bad = cli_sets_add(&sets, optarg, err, sizeof err); break;
        default: cli_option_error("eval", argv, o); return 2;
        }
        if (bad) { fprintf(stderr, "grpo-studio eval: %s\n", err); return 2; }
    }
    if (optind < argc) ckpt = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio eval: unexpected argument '%s'\n", argv[optind]); return 2; }
    if (!ckpt) { fprintf(stderr, "usage: grpo-studio eval CHECKPOINT [options] (--help for more)\n"); return 2; }
    Config c;
    if (cli_load_config(&c, cfg_path, sets.items, sets.n, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio eval: %s\n", err); return 1; }
    char path[PATH_MAX];
    if (cli_resolve(path, sizeof path, ckpt, "checkpoint", err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio eval: %s\n", err);
        return 2;
    }
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio eval: %s\n", err); return 1; }
    Task *t = task_new(&c, err, sizeof err);
    if (!t) { fprintf(stderr, "grpo-studio eval: %s\n", err); model_free(&m); tokenizer_free(&tok); return 1; }
    Evaluator *e = eval_new(&m.cfg, &tok, t, eval_rows(c.run.eval_samples), NULL);
    SamplerParams sp = episode_sampler_params(&c, &tok);
    EvalResult r;
    int show = isatty(2);
    int rc = e ? eval_run(e, &m, c.run.eval_problems, c.run.eval_samples, &sp, (uint64_t)c.run.seed * 1000003u + 17u,
                          &r, bar, &show, err, sizeof err) : -1;
    if (rc != 0) fprintf(stderr, "grpo-studio eval: %s\n", e ? err : "out of memory");
    else if (json)
    {
        json_t *search = cli_search_json(&r.search);
        char *sj = search ? json_dumps(search, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
        printf("{\"checkpoint\":\"%s\",\"task\":\"%s\",\"problems\":%d,\"k\":%d,\"pass1\":%.4f,\"cons_k\":%.4f,"
               "\"format_rate\":%.4f,\"mean_length\":%.2f,\"seconds\":%.2f,\"search\":%s}\n",
               ckpt, task_name(t), r.problems, r.k, r.pass1, r.cons_k, r.format_rate, r.mean_length, r.seconds,
               sj ? sj : "{}");
        free(sj);
        json_decref(search);
    }
    else
    {
        printf("%s on %s: pass@1 %.3f  cons@%d %.3f  format %.3f  mean length %.1f  (%d held-out problems, %.1fs)\n",
               ckpt, task_name(t), r.pass1, r.k, r.cons_k, r.format_rate, r.mean_length, r.problems, r.seconds);
        cli_print_search(stdout, "  ", &r.search);
    }
    eval_free(e);
    task_free(t);
    model_free(&m);
    tokenizer_free(&tok);
    return rc == 0 ? 0 : 1;
}
