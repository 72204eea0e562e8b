/* cmd_eval.c - `grpo-studio eval CHECKPOINT`: held-out pass@1 (mean accuracy over k samples per problem) and
 * cons@k (majority vote), with a progress bar on stderr and an optional JSON line. */
#include "core/checkpoint.h"
#include "core/episode.h"
#include "core/eval.h"
#include "ui/cli.h"
#include "ui/commands.h"
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

int cmd_eval(int argc, char **argv) {
    const char *ckpt = NULL, *cfg_path = NULL, *task = NULL;
    char *sets[CLI_MAX_SETS];
    int n_sets = 0, json = 0, k = -1, problems = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: grpo-studio eval CHECKPOINT [--task T] [--samples K] [--problems N] [--config FILE] [--set K=V]... [--json]\n\n"
                   "Samples K completions for each of N held-out problems (run.eval_samples, run.eval_problems) and\n"
                   "reports pass@1 = mean accuracy over the K samples and cons@K = accuracy of the majority answer.\n"
                   "Sampling follows the config's [sampling] section (default configs/default.ini).\n");
            return 0;
        } else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--task") && has) task = argv[++i];
        else if (!strcmp(a, "--samples") && has) k = atoi(argv[++i]);
        else if (!strcmp(a, "--problems") && has) problems = atoi(argv[++i]);
        else if (!strcmp(a, "--config") && has) cfg_path = argv[++i];
        else if (!strcmp(a, "--set") && has && n_sets < CLI_MAX_SETS) sets[n_sets++] = argv[++i];
        else if (a[0] == '-') { fprintf(stderr, "grpo-studio eval: unknown option or missing value '%s'\n", a); return 2; }
        else if (!ckpt) ckpt = a;
        else { fprintf(stderr, "grpo-studio eval: unexpected argument '%s'\n", a); return 2; }
    }
    if (!ckpt) { fprintf(stderr, "usage: grpo-studio eval CHECKPOINT [options] (--help for more)\n"); return 2; }
    char err[1024], tset[64];
    if (task && n_sets < CLI_MAX_SETS) { snprintf(tset, sizeof tset, "task.name=%s", task); sets[n_sets++] = tset; }
    Config c;
    if (cli_load_config(&c, cfg_path, sets, n_sets, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio eval: %s\n", err); return 1; }
    if (k > 0) c.run.eval_samples = k;
    if (problems > 0) c.run.eval_problems = problems;
    char path[512];
    cli_resolve(path, sizeof path, ckpt);
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) { fprintf(stderr, "grpo-studio eval: %s\n", err); return 1; }
    Task *t = task_new(&c, err, sizeof err);
    if (!t) { fprintf(stderr, "grpo-studio eval: %s\n", err); model_free(&m); return 1; }
    int B = c.run.max_batch < c.run.eval_samples ? c.run.eval_samples : c.run.max_batch;
    Evaluator *e = eval_new(&m.cfg, &tok, t, B, m.cfg.max_T);
    SamplerParams sp = episode_sampler_params(&c);
    EvalResult r;
    int show = isatty(2);
    int rc = e ? eval_run(e, &m, c.run.eval_problems, c.run.eval_samples, &sp, (uint64_t)c.run.seed * 1000003u + 17u,
                          &r, bar, &show, err, sizeof err) : -1;
    if (rc != 0) fprintf(stderr, "grpo-studio eval: %s\n", e ? err : "out of memory");
    else if (json)
        printf("{\"checkpoint\":\"%s\",\"task\":\"%s\",\"problems\":%d,\"k\":%d,\"pass1\":%.4f,\"cons_k\":%.4f,"
               "\"format_rate\":%.4f,\"mean_length\":%.2f,\"seconds\":%.2f}\n",
               ckpt, task_name(t), r.problems, r.k, r.pass1, r.cons_k, r.format_rate, r.mean_length, r.seconds);
    else
        printf("%s on %s: pass@1 %.3f  cons@%d %.3f  format %.3f  mean length %.1f  (%d held-out problems, %.1fs)\n",
               ckpt, task_name(t), r.pass1, r.k, r.cons_k, r.format_rate, r.mean_length, r.problems, r.seconds);
    eval_free(e);
    task_free(t);
    model_free(&m);
    return rc == 0 ? 0 : 1;
}
