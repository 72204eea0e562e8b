/* cmd_pretrain.c - `grpo-studio pretrain` and `grpo-studio sft`: supervised training with the same model code,
 * a checkpoint at the end (also after Ctrl-C, SIGTERM or SIGHUP), and for pretraining a manifest.json that records
 * how the base was made (config, seed, corpus mixture, steps, final loss, held-out pass@1 and cons@k, checksum). */
#include "core/checkpoint.h"
#include "core/episode.h"
#include "core/eval.h"
#include "core/supervised.h"
#include "core/task.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include "ui/signals.h"
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set once SIGINT, SIGTERM or SIGHUP arrived: blocked in every thread since main (ui/signals.h), they wait until
 * progress takes them, after each step, on the thread that runs the training. */
static int g_stop;

static int take_stop_signal(void) {
    sigset_t set;
    ui_signals_set(&set);
    struct timespec now = {0, 0};
    int sig;
    while ((sig = sigtimedwait(&set, NULL, &now)) > 0)   /* SIGWINCH is taken and dropped */
        if (sig != SIGWINCH) return sig;
    return 0;
}

typedef struct { int json, every; double t0; } Progress;

static int progress(void *ud, int step, int steps, double loss, double lr, double tok_s) {
    Progress *p = ud;
    if (!g_stop && take_stop_signal()) {
        g_stop = 1;
        fprintf(stderr, "grpo-studio: stopping after step %d, saving a checkpoint...\n", step);
    }
    if (step % p->every == 0 || step == steps || g_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double el = ts.tv_sec + 1e-9 * ts.tv_nsec - p->t0;
        if (p->json) printf("{\"step\":%d,\"steps\":%d,\"loss\":%.6f,\"lr\":%.3g,\"tokens_per_s\":%.0f,\"elapsed\":%.1f}\n",
                            step, steps, loss, lr, tok_s, el);
        else printf("step %6d/%d  loss %.4f  lr %.2e  %7.0f tok/s  %6.1fs\n", step, steps, loss, lr, tok_s, el);
        fflush(stdout);
    }
    return g_stop;
}

/* sft: which examples of the data file were left out, and why, before training starts (stderr: --json keeps
 * stdout for the progress lines). */
static void sft_data(void *ud, const SftDataReport *r) {
    (void)ud;
    if (!r->skipped) return;
    fprintf(stderr, "grpo-studio sft: %s: left out %d of %d examples, longer than the model's context of %d tokens "
                    "(counting <bos> and <eos>):", r->path, r->skipped, r->skipped + r->examples, r->max_seq);
    for (int i = 0; i < r->n_listed; i++)
        fprintf(stderr, "%s line %ld (%d tokens)", i ? "," : "", r->line[i], r->tokens[i]);
    if (r->skipped > r->n_listed) fprintf(stderr, " and %d more", r->skipped - r->n_listed);
    fprintf(stderr, "\n");
}

static void usage(FILE *f, int sft) {
    if (sft)
        fprintf(f, "usage: grpo-studio sft CONFIG [--data FILE.jsonl] [--from CHECKPOINT] [--out DIR] [--set K=V]... [--json]\n"
                   "                              [--no-eval]\n\n"
                   "Supervised fine-tuning on {\"prompt\", \"completion\"} JSONL (sft.data): R1's cold start, or distillation of a\n"
                   "stronger model's rejection-sampled outputs into a (smaller) student. Starts from --from or model.init.\n"
                   "Loss counts completion tokens only. Writes a checkpoint to --out (default <run.out_dir>/<run.name>/sft).\n");
    else
        fprintf(f, "usage: grpo-studio pretrain CONFIG [--out DIR] [--set K=V]... [--json] [--no-eval] [--corpus N]\n\n"
                   "Pretrains a base model from random weights on the task's synthetic corpus: each document is a problem\n"
                   "and a solution in one of four styles (direct, scratchpad, check, wait-and-correct) mixed as the\n"
                   "[pretrain] section says. Writes a checkpoint with manifest.json to --out (default\n"
                   "<run.out_dir>/<run.name>/base) and reports held-out pass@1 and cons@k. Ctrl-C stops and saves.\n"
                   "--corpus N prints N documents of each corpus phase instead, as training would draw them.\n");
}

/* --corpus N: N documents of each corpus phase as pretraining draws them, each after a "# step S, STYLE" line. */
static int show_corpus(const Task *task, const Config *c, int n) {
    Rng rng;
    rng_seed(&rng, (uint64_t)c->run.seed, 0x5072657472ull);
    char *text = malloc(8192);
    if (!text) { fprintf(stderr, "grpo-studio pretrain: out of memory\n"); return 1; }
    const int phases = c->pretrain.phase2_start > 0 ? 2 : 1;
    for (int ph = 0; ph < phases; ph++) {
        const int step = ph ? c->pretrain.phase2_start : 0;
        for (int i = 0; i < n; i++) {
            Problem p;
            task_problem(task, SPLIT_TRAIN, rng_u64(&rng) % 1000000007ull, &p);
            SolutionStyle style = supervised_draw_style(c, step, &rng);
            if (supervised_corpus_document(task, &p, style, &rng, text, 8192) < 0) snprintf(text, 8192, "(too long)");
            printf("# step %d, %s\n%s\n", step, SOLUTION_STYLE_NAMES[style], text);
        }
    }
    free(text);
    return 0;
}

static int run(int argc, char **argv, int sft) {
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},        {"json", no_argument, NULL, 'j'},
        {"no-eval", no_argument, NULL, 'E'},     {"set", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},   {"from", required_argument, NULL, 'f'},
        {"data", required_argument, NULL, 'd'},  {"corpus", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0}};
    const char *cmd = sft ? "sft" : "pretrain";
    const char *cfg_path = NULL, *out = NULL, *from = NULL, *data = NULL;
    CliSets sets = {0};
    int json = 0, no_eval = 0, corpus = -1, o;
    char err[1024];
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        switch (o) {
        case 'h': usage(stdout, sft); return 0;
        case 'j': json = 1; break;
        case 'E': no_eval = 1; break;
        case 's':
            if (cli_sets_add(&sets, optarg, err, sizeof err) != 0) {
                fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
                return 2;
            }
            break;
        case 'o': out = optarg; break;
        case 'c':
            if (sft) { fprintf(stderr, "grpo-studio sft: --corpus is an option of pretrain\n"); return 2; }
            if (cli_parse_int("--corpus", optarg, 1, 100000, &corpus, err, sizeof err) != 0) {
                fprintf(stderr, "grpo-studio pretrain: %s\n", err);
                return 2;
            }
            break;
        case 'f': case 'd':
            if (!sft) { fprintf(stderr, "grpo-studio pretrain: --%s is an option of sft\n", o == 'f' ? "from" : "data"); return 2; }
            if (o == 'f') from = optarg;
            else data = optarg;
            break;
        default: cli_option_error(cmd, argv, o); return 2;
        }
    }
    if (optind < argc) cfg_path = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio %s: more than one config given ('%s')\n", cmd, argv[optind]); return 2; }
    if (!cfg_path) { usage(stderr, sft); return 2; }
    Config c;
    if (data && strlen(data) >= sizeof c.sft.data) {
        fprintf(stderr, "grpo-studio sft: --data: a path of at most %zu characters\n", sizeof c.sft.data - 1);
        return 2;
    }
    if (cli_load_config(&c, cfg_path, sets.items, sets.n, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
        return 1;
    }
    if (data && cli_resolve(c.sft.data, sizeof c.sft.data, data, "--data", err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
        return 2;
    }
    char outdir[600];
    if (out) snprintf(outdir, sizeof outdir, "%s", out);
    else snprintf(outdir, sizeof outdir, "%s/%s/%s", c.run.out_dir, c.run.name, sft ? "sft" : "base");

    Task *task = task_new(&c, err, sizeof err);
    if (!task) { fprintf(stderr, "grpo-studio %s: %s\n", cmd, err); return 1; }
    if (corpus > 0) {
        int rc = show_corpus(task, &c, corpus);
        task_free(task);
        return rc;
    }
    Model m;
    memset(&m, 0, sizeof m);
    Tokenizer tok;
    AdamW opt;
    memset(&opt, 0, sizeof opt);
    int rc = 1;
    const char *init = from ? from : c.model.init;
    if (sft && strcmp(init, "random") != 0) {
        char path[PATH_MAX];
        if (cli_resolve(path, sizeof path, init, "--from", err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
            task_free(task);
            return 2;
        }
        if (checkpoint_load(path, &m, &tok, NULL, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
            task_free(task);
            return 1;
        }
    } else {
        if (episode_tokenizer(&c, &tok, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
            task_free(task);
            return 1;
        }
        ModelConfig mc = {.V = tok.V, .C = c.model.d_model, .L = c.model.n_layers, .H = c.model.n_heads,
                          .F = c.model.ffn_hidden, .max_T = c.model.max_seq, .rope_theta = c.model.rope_theta,
                          .norm_eps = c.model.norm_eps, .tied = c.model.tied};
        if (model_init(&m, &mc, (uint64_t)c.run.seed) != 0) {
            fprintf(stderr, "grpo-studio %s: out of memory\n", cmd);
            task_free(task);
            tokenizer_free(&tok);
            return 1;
        }
    }
    if (adamw_init(&opt, m.n_params) != 0) { fprintf(stderr, "grpo-studio %s: out of memory\n", cmd); goto done; }
    char desc[160];
    cli_model_desc(&m.cfg, m.n_params, desc, sizeof desc);
    if (!json) printf("# %s %s: %s, task %s, %d steps\n", cmd, c.run.name, desc, task_name(task), sft ? c.sft.steps : c.pretrain.steps);

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    Progress pg = {.json = json, .every = sft ? 25 : 50, .t0 = ts.tv_sec + 1e-9 * ts.tv_nsec};
    SupervisedCallbacks cb = {.ud = &pg, .on_progress = progress, .on_sft_data = sft_data};
    double final_loss = NAN;
    int r = sft ? supervised_sft(&m, &opt, &tok, &c, &cb, &final_loss, err, sizeof err)
                : supervised_pretrain(&m, &opt, &tok, task, &c, &cb, &final_loss, err, sizeof err);
    if (r < 0) { fprintf(stderr, "grpo-studio %s: %s\n", cmd, err); goto done; }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double seconds = ts.tv_sec + 1e-9 * ts.tv_nsec - pg.t0;

    TrainerState st;
    memset(&st, 0, sizeof st);
    st.step = 0;
    rng_seed(&st.rng, (uint64_t)c.run.seed, 1);
    snprintf(st.kind, sizeof st.kind, "%s", cmd);
    st.config_ini = config_to_ini(&c);
    if (checkpoint_save(outdir, &m, &tok, NULL, &st, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio %s: %s\n", cmd, err);
        free(st.config_ini);
        goto done;
    }

    EvalResult ev = {0};
    int evaluated = 0;
    if (!no_eval && !g_stop && c.run.eval_problems > 0) {
        Evaluator *e = eval_new(&m.cfg, &tok, task, eval_rows(c.run.eval_samples), NULL);
        SamplerParams sp = episode_sampler_params(&c, &tok);
        evaluated = e && eval_run(e, &m, c.run.eval_problems, c.run.eval_samples, &sp, (uint64_t)c.run.seed * 1000003u + 17u,
                                  &ev, NULL, NULL, err, sizeof err) == 0;
        eval_free(e);
    }
    char sha_path[700], hex[65] = "";
    snprintf(sha_path, sizeof sha_path, "%s/model.safetensors", outdir);
    checkpoint_file_sha256(sha_path, hex);
    json_t *man = json_pack("{s:s,s:s,s:s,s:i,s:i,s:f,s:f,s:s,s:s}", "kind", cmd, "name", c.run.name, "model", desc,
                            "seed", c.run.seed, "steps", sft ? c.sft.steps : c.pretrain.steps, "final_loss",
                            isfinite(final_loss) ? final_loss : -1.0, "seconds", seconds,
                            "model_sha256", hex, "config", st.config_ini);
    if (!sft)
        json_object_set_new(man, "corpus_mixture",
                            json_pack("{s:f,s:f,s:f,s:f}", "direct", c.pretrain.style_direct, "scratchpad",
                                      c.pretrain.style_scratchpad, "check", c.pretrain.style_check, "wait",
                                      c.pretrain.style_wait));
    if (!sft && c.pretrain.phase2_start > 0)
        json_object_set_new(man, "corpus_mixture_phase2",
                            json_pack("{s:i,s:f,s:f,s:f,s:f}", "from_step", c.pretrain.phase2_start, "direct",
                                      c.pretrain.phase2_style_direct, "scratchpad", c.pretrain.phase2_style_scratchpad,
                                      "check", c.pretrain.phase2_style_check, "wait", c.pretrain.phase2_style_wait));
    if (evaluated)
        json_object_set_new(man, "eval", json_pack("{s:s,s:i,s:i,s:f,s:f,s:f,s:f,s:o}", "task", task_name(task),
                                                   "problems", ev.problems, "k", ev.k, "pass1", ev.pass1, "cons_k",
                                                   ev.cons_k, "format_rate", ev.format_rate, "mean_length",
                                                   ev.mean_length, "search", cli_search_json(&ev.search)));
    char man_path[700];
    snprintf(man_path, sizeof man_path, "%s/manifest.json", outdir);
    if (json_dump_file(man, man_path, JSON_INDENT(2)) != 0) fprintf(stderr, "grpo-studio %s: cannot write %s\n", cmd, man_path);
    json_decref(man);
    free(st.config_ini);
    if (json) printf("{\"checkpoint\":\"%s\",\"final_loss\":%.6f,\"pass1\":%.4f,\"cons_k\":%.4f}\n", outdir, final_loss,
                     evaluated ? ev.pass1 : -1.0, evaluated ? ev.cons_k : -1.0);
    else {
        printf("# checkpoint %s (final loss %.4f, %.0fs)\n", outdir, final_loss, seconds);
        if (evaluated) printf("# held-out pass@1 %.3f  cons@%d %.3f  format %.3f  mean length %.1f  (%d problems)\n",
                              ev.pass1, ev.k, ev.cons_k, ev.format_rate, ev.mean_length, ev.problems);
        if (evaluated) cli_print_search(stdout, "# ", &ev.search);
    }
    rc = 0;
done:
    model_free(&m);
    tokenizer_free(&tok);
    adamw_free(&opt);
    task_free(task);
    return rc;
}

int cmd_pretrain(int argc, char **argv) { return run(argc, argv, 0); }
int cmd_sft(int argc, char **argv) { return run(argc, argv, 1); }
