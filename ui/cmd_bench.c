/* cmd_bench.c - `grpo-studio bench`: runs the grpo-step benchmark (core/bench.c) and prints its phases, as a
 * table or as one JSON line, with the BLAS kernel OpenBLAS loaded and the OPENBLAS_CORETYPE it was given, so
 * runs can be compared with torch_grpo_ref.py under the same environment. */
#include "core/bench.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include "ui/progress.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_MAX_STEPS 100000

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio bench [--model tiny|small|smollm2-135m] [--prompts N] [--group G] "
               "[--prompt-tokens N] [--new-tokens N] [--steps N] [--warmup N] [--threads N] [--seed N] "
               "[--activation-mb MB] [--json]\n\n"
               "Times one GRPO step (16 prompts x G 8, 32 prompt + 96 new tokens, vocab 64) phase by phase: the\n"
               "grpo-step benchmark that /work/shared/bench/torch_grpo_ref.py runs in PyTorch. Medians of --steps\n"
               "(5) after --warmup (1). GFLOP/s are shown twice: 'torch-formula' by torch_grpo_ref.py's FLOP\n"
               "formulas (full T x T attention, a policy forward in the update: what PyTorch runs), and 'executed' by\n"
               "the FLOPs this engine runs (one prefill per distinct prompt, attention's lower triangle, no forward\n"
               "generation recorded, the output layer's backward only where it matters). 'of sgemm' is the share of\n"
               "the sgemm rate this machine reaches at the same shapes and threading, measured here; 'of peak' the\n"
               "share of the CPU's fp32 FMA peak on the same threads (a register-only FMA loop on the widest\n"
               "vectors the CPU has, per CPU-second the loop got: what the cores can do even when other work\n"
               "shares them). A busy machine lowers every wall-clock figure.\n"
               "Every matmul runs through OpenBLAS, which reads OPENBLAS_CORETYPE when it loads: a forced older\n"
               "kernel slows every program that uses it, so compare runs under the same environment.\n\n"
               "  --model M         tiny (default), small, or smollm2-135m (SmolLM2-135M's shape: vocab 49152,\n"
               "                    C 576, 30 layers, 9 query / 3 key-value heads of 64, F 1536; random weights)\n"
               "  --prompts N       distinct prompts per step (16)\n"
               "  --group G         samples per prompt (8)\n"
               "  --prompt-tokens N random tokens per prompt (32)\n"
               "  --new-tokens N    new tokens per sample, all of them generated (96)\n"
               "  --steps N         timed steps, 1 .. %d\n"
               "  --warmup N        untimed steps first, 0 .. %d\n"
               "  --json            one JSON line\n"
               "The step runs through the trainer's own code; by default the whole batch's activations fit, so the\n"
               "update is one micro-batch and reuses the forward generation recorded.\n", BENCH_MAX_STEPS, BENCH_MAX_STEPS);
    cli_help_key(f, "--activation-mb MB", "the update's activation budget (default: the whole batch)",
                 "run.activation_mb");
    cli_help_key(f, "--threads N", "threads of the kernels' pool (default one per CPU)", "run.threads");
    cli_help_key(f, "--seed N", "random seed", "run.seed");
}

/* "key":{"gen":..,..,"step":..}, with every figure times scale printed with `decimals` decimals */
static void json_phases(const char *key, const BenchPhases *v, double scale, int decimals) {
    const char *name[7] = {"gen", "ref_fwd", "policy_fwd", "policy_bwd", "policy_fwd_bwd", "opt", "step"};
    double val[7] = {v->gen, v->ref_fwd, v->policy_fwd, v->policy_bwd, v->policy_fwd_bwd, v->opt, v->step};
    printf("\"%s\":{", key);
    for (int i = 0; i < 7; i++) printf("%s\"%s\":%.*f", i ? "," : "", name[i], decimals, val[i] * scale);
    printf("},");
}

static void on_step(void *ud, int done, int total) {
    (void)total;
    progress_update(ud, done);
}

int cmd_bench(int argc, char **argv) {
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},         {"json", no_argument, NULL, 'j'},
        {"model", required_argument, NULL, 'm'},  {"steps", required_argument, NULL, 's'},
        {"warmup", required_argument, NULL, 'w'}, {"threads", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 'S'},   {"activation-mb", required_argument, NULL, 'a'},
        {"prompts", required_argument, NULL, 'p'}, {"group", required_argument, NULL, 'g'},
        {"prompt-tokens", required_argument, NULL, 'P'}, {"new-tokens", required_argument, NULL, 'N'},
        {NULL, 0, NULL, 0}};
    BenchParams p;
    bench_defaults(&p);
    int json = 0, o, s;
    char err[256];
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case 'h': usage(stdout); return 0;
        case 'j': json = 1; break;
        case 'm': snprintf(p.model, sizeof p.model, "%s", optarg); break;
        case 's': bad = cli_parse_int("--steps", optarg, 1, BENCH_MAX_STEPS, &p.steps, err, sizeof err); break;
        case 'w': bad = cli_parse_int("--warmup", optarg, 0, BENCH_MAX_STEPS, &p.warmup, err, sizeof err); break;
        case 'p': bad = cli_parse_int("--prompts", optarg, 1, BENCH_MAX_ROWS, &p.prompts, err, sizeof err); break;
        case 'g': bad = cli_parse_int("--group", optarg, 1, BENCH_MAX_ROWS, &p.group, err, sizeof err); break;
        case 'P':
            bad = cli_parse_int("--prompt-tokens", optarg, 1, BENCH_MAX_TOKENS - 1, &p.prompt_tokens, err, sizeof err);
            break;
        case 'N':
            bad = cli_parse_int("--new-tokens", optarg, 1, BENCH_MAX_TOKENS - 1, &p.new_tokens, err, sizeof err);
            break;
        case 't': bad = cli_parse_int_key_range("--threads", optarg, "run.threads", &p.threads, err, sizeof err); break;
        case 'a':
            bad = cli_parse_int_key_range("--activation-mb", optarg, "run.activation_mb", &p.activation_mb, err,
                                          sizeof err);
            break;
        case 'S':
            bad = cli_parse_int_key_range("--seed", optarg, "run.seed", &s, err, sizeof err);
            if (!bad) p.seed = (uint64_t)s;
            break;
        default: cli_option_error("bench", argv, o); return 2;
        }
        if (bad) { fprintf(stderr, "grpo-studio bench: %s\n", err); return 2; }
    }
    if (optind < argc) { fprintf(stderr, "grpo-studio bench: unexpected argument '%s'\n", argv[optind]); return 2; }
    if (strcmp(p.model, "tiny") && strcmp(p.model, "small") && strcmp(p.model, "smollm2-135m")) {
        fprintf(stderr, "grpo-studio bench: --model expects tiny, small or smollm2-135m, got '%s'\n", p.model);
        return 2;
    }
    if (!json) {
        fprintf(stderr, "grpo-step benchmark, model %s: %d warm-up + %d timed steps...\n", p.model, p.warmup,
                p.steps);
    }
    Progress progress;   /* a step takes seconds: say how far the benchmark is, on stderr */
    progress_init(&progress, stderr, isatty(2), "bench step", "", p.warmup + p.steps);
    p.on_step = on_step;
    p.ud = &progress;
    BenchResult r;
    if (bench_grpo_step(&p, &r, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio bench: %s\n", err);
        return 1;
    }
    const char *env = getenv("OPENBLAS_CORETYPE");
    const BenchPhases *m = &r.median, *xf = &r.exec_flops, *xg = &r.exec_gflops;
    const PeakFp32 *pk = &r.peak_fp32;
    double peak = pk->gflops;
    if (json) {
        printf("{\"model\":\"%s\",\"threads\":%d,\"openblas_core\":\"%s\",\"OPENBLAS_CORETYPE\":%s%s%s,"
               "\"steps\":%d,\"median\":{\"gen\":%.6f,\"ref_fwd\":%.6f,\"policy_fwd\":%.6f,\"policy_bwd\":%.6f,"
               "\"policy_fwd_bwd\":%.6f,\"opt\":%.6f,\"step\":%.6f},\"cpu_seconds\":{\"gen\":%.6f,\"ref_fwd\":%.6f,"
               "\"policy_fwd\":%.6f,\"policy_bwd\":%.6f,\"opt\":%.6f,\"step\":%.6f},\"gen_tok_s\":%.1f,\"train_tok_s\":%.1f,"
               "\"gflops\":{\"gen\":%.2f,\"policy_fwd_bwd\":%.2f,\"ref_fwd\":%.2f,\"step\":%.2f},"
               "\"sgemm_peak_gflops\":{\"gen\":%.2f,\"policy_fwd_bwd\":%.2f,\"ref_fwd\":%.2f},"
               "\"fp32_peak\":{\"gflops\":%.2f,\"gflops_thread\":%.2f,\"gflops_wall\":%.2f,\"threads\":%d,\"isa\":\"%s\"},"
               "\"flops\":{\"gen\":%.0f,\"policy_fwd_bwd\":%.0f,\"ref_fwd\":%.0f},",
               p.model, r.threads, r.blas_core, env ? "\"" : "", env ? env : "null", env ? "\"" : "", p.steps,
               m->gen, m->ref_fwd, m->policy_fwd, m->policy_bwd, m->policy_fwd_bwd, m->opt, m->step,
               r.median_cpu.gen, r.median_cpu.ref_fwd, r.median_cpu.policy_fwd, r.median_cpu.policy_bwd,
               r.median_cpu.opt, r.median_cpu.step, r.gen_tok_s,
               r.train_tok_s, r.gflops_gen, r.gflops_policy_fwd_bwd, r.gflops_ref_fwd, r.gflops_step, r.peak_gen,
               r.peak_policy_fwd_bwd, r.peak_ref_fwd, pk->gflops, pk->gflops_thread, pk->gflops_wall, pk->threads,
               peak_isa_name(pk->isa), r.flops_gen, r.flops_policy_fwd_bwd, r.flops_ref_fwd);
        /* "gflops"/"flops" above are torch-formula; the executed ones follow, with shares of the fp32 peak */
        printf("\"torch_formula_of_peak\":{\"gen\":%.4f,\"policy_fwd_bwd\":%.4f,\"ref_fwd\":%.4f,\"step\":%.4f},",
               r.gflops_gen / peak, r.gflops_policy_fwd_bwd / peak, r.gflops_ref_fwd / peak, r.gflops_step / peak);
        json_phases("executed_flops", xf, 1, 0);
        json_phases("executed_gflops", xg, 1, 2);
        json_phases("executed_of_peak", xg, 1 / peak, 4);
        printf("\"sequences\":%d,\"prompt_tokens\":%d,\"new_tokens\":%d,", r.B, r.P, r.N);
        printf("\"micro_batches\":%d,\"recorded\":%s,\"loss\":%.6f,\"grad_norm\":%.6f}\n", r.micro_batches,
               r.recorded ? "true" : "false", r.last_loss, r.last_grad_norm);
        return 0;
    }
    printf("model %s (C %d, L %d, H %d, KVH %d, D %d, F %d, V %d)  batch %d x (%d + %d)  threads %d\n", p.model,
           r.cfg.C, r.cfg.L, r.cfg.H, model_kv_heads(&r.cfg), model_head_dim(&r.cfg), r.cfg.F, r.cfg.V, r.B, r.P, r.N,
           r.threads);
    printf("OpenBLAS kernel %s  (OPENBLAS_CORETYPE=%s)\n", r.blas_core, env ? env : "(unset)");
    if (env && __builtin_cpu_supports("avx512f") && !strstr(r.blas_core, "Skylake") && !strstr(r.blas_core, "Cooper") &&
        !strstr(r.blas_core, "Sapphire"))
        printf("note: this CPU has AVX-512 but OPENBLAS_CORETYPE forces the %s kernel; without the variable OpenBLAS\n"
               "      picks a faster one (env -u OPENBLAS_CORETYPE grpo-studio ...)\n", r.blas_core);
    printf("median of %d steps after %d warm-up; torch-formula GFLOP/s (torch_grpo_ref.py's FLOP count, what PyTorch\n"
           "runs, so the two programs' rates compare):\n", p.steps, p.warmup);
    printf("  %-22s %8.3f s  %9.0f new tok/s  %7.1f GFLOP/s  %5.1f%% of peak  %5.1f%% of sgemm (%.0f)\n",
           "generation", m->gen, r.gen_tok_s, r.gflops_gen, 100 * r.gflops_gen / peak,
           100 * r.gflops_gen / r.peak_gen, r.peak_gen);
    printf("  %-22s %8.3f s  %9.0f tok/s      %7.1f GFLOP/s  %5.1f%% of peak  %5.1f%% of sgemm (%.0f)\n",
           "policy fwd+bwd", m->policy_fwd_bwd, r.train_tok_s, r.gflops_policy_fwd_bwd,
           100 * r.gflops_policy_fwd_bwd / peak, 100 * r.gflops_policy_fwd_bwd / r.peak_policy_fwd_bwd,
           r.peak_policy_fwd_bwd);
    printf("  %-22s %8.3f s\n", "  policy fwd (+loss)", m->policy_fwd);
    printf("  %-22s %8.3f s\n", "  policy bwd", m->policy_bwd);
    printf("  %-22s %8.3f s  %27.1f GFLOP/s  %5.1f%% of peak  %5.1f%% of sgemm (%.0f)\n", "reference fwd",
           m->ref_fwd, r.gflops_ref_fwd, 100 * r.gflops_ref_fwd / peak, 100 * r.gflops_ref_fwd / r.peak_ref_fwd,
           r.peak_ref_fwd);
    printf("  %-22s %8.4f s\n", "optimizer", m->opt);
    printf("  %-22s %8.3f s  %27.1f GFLOP/s  %5.1f%% of peak  (optimizer not counted)\n", "whole step", m->step,
           r.gflops_step, 100 * r.gflops_step / peak);
    printf("executed GFLOP/s (the FLOPs this engine runs: one prefill row per distinct prompt, attention's lower\n"
           "triangle in tiles, %s,\nthe output layer's backward only where dlogp is nonzero):\n",
           r.recorded ? "no policy forward (generation recorded it)" : "the update's own policy forward");
    struct { const char *name; double fl, gf, sgemm; } rows[] = {
        {"generation", xf->gen, xg->gen, r.peak_gen},
        {"policy fwd+bwd", xf->policy_fwd_bwd, xg->policy_fwd_bwd, r.peak_policy_fwd_bwd},
        {"  policy fwd (+loss)", xf->policy_fwd, xg->policy_fwd, 0},
        {"  policy bwd", xf->policy_bwd, xg->policy_bwd, 0},
        {"reference fwd", xf->ref_fwd, xg->ref_fwd, r.peak_ref_fwd},
        {"optimizer", xf->opt, xg->opt, 0},
        {"whole step", xf->step, xg->step, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        printf("  %-22s %8.3f GFLOP/step  %7.1f GFLOP/s  %5.1f%% of peak", rows[i].name, rows[i].fl / 1e9, rows[i].gf,
               100 * rows[i].gf / peak);
        if (rows[i].sgemm > 0) printf("  %5.1f%% of sgemm", 100 * rows[i].gf / rows[i].sgemm);
        printf("\n");
    }
    printf("step: executed %.1f GFLOP/s = %.1f%% of the fp32 FMA peak %.0f GFLOP/s (%s, %d thread%s; one thread %.0f);\n"
           "      torch-formula %.1f GFLOP/s = %.1f%%\n",
           xg->step, 100 * xg->step / peak, peak, peak_isa_name(pk->isa), pk->threads, pk->threads == 1 ? "" : "s",
           pk->gflops_thread, r.gflops_step, 100 * r.gflops_step / peak);
    if (pk->gflops_wall < 0.8 * peak)
        printf("note: while the peak was measured, the cores gave the probe %.0f GFLOP/s of its %.0f per CPU-second:\n"
               "      other work shared them, so the wall-clock figures above are below what this machine can do\n",
               pk->gflops_wall, peak);
    const BenchPhases *c = &r.median_cpu;
    printf("process CPU seconds (all threads): gen %.3f, ref fwd %.3f, policy fwd %.3f, bwd %.3f, opt %.4f, "
           "step %.3f\n", c->gen, c->ref_fwd, c->policy_fwd, c->policy_bwd, c->opt, c->step);
    printf("update: %d micro-batch%s, %s\n", r.micro_batches, r.micro_batches == 1 ? "" : "es",
           r.recorded ? "first forward recorded by generation" : "forward run by the update");
    printf("last step: loss %+.5f, grad norm %.3f\n", r.last_loss, r.last_grad_norm);
    return 0;
}
