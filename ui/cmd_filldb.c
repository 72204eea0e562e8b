/* cmd_filldb.c - `grpo-studio filldb OUT.db --rollouts N`: a synthetic but realistic run database, written the way a
 * run writes it (one transaction per step through storage/store.h), for browsing-speed tests; and `--bench`, which
 * times the browser's queries (a filtered page, full-text search, a group) on a database. */
#include "storage/query.h"
#include "storage/store.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include <getopt.h>
#include "core/rng.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILLDB_MAX_ROLLOUTS 1000000000LL

static void usage(FILE *f) {
    fprintf(f,
        "usage: grpo-studio filldb OUT.db [--rollouts N] [--seed S] [--group G] [--prompts P] [--force] [--bench]\n"
        "       grpo-studio filldb RUN.db --bench\n\n"
        "Fills OUT.db with a synthetic run: steps of P prompts x G samples (default 16 x 8 = 128 rollouts a step),\n"
        "each step one transaction, with realistic completions (<think> reasoning, reflection words sometimes,\n"
        "right and wrong answers), metrics, events, checkpoints and evaluations.\n\n"
        "  --rollouts N      rollouts to write, 1 .. %lld (default 1000000)\n"
        "  --force           replace OUT.db if it exists\n"
        "  --bench           then (or, without --rollouts, on an existing database) time the browser's queries:\n"
        "                    a page of a filtered list, full-text search and a group query (target < 50 ms each)\n",
        FILLDB_MAX_ROLLOUTS);
    cli_help_key(f, "--seed S", "random seed (default 1)", "run.seed");
    cli_help_key(f, "--group G", "samples per prompt (default 8)", "grpo.group_size");
    cli_help_key(f, "--prompts P", "prompts per step (default 16), G x P within run.max_batch's range",
                 "grpo.prompts_per_step");
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* CPU time of this thread: on a shared, loaded machine the wall time also counts waiting for a core. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* ---- synthetic rollouts ----------------------------------------------------------------------------------- */

static const char *const OPENERS[] = {"First, ", "Let me add the digits. ", "Ok, ", "I need the sum. ", "",
                                      "Start with the units. ", "So, ", "Let's see. "};
static const char *const FILLERS[] = {"so far so good. ", "carry the one. ", "that gives ", "hmm, ", "then ",
                                      "now the tens. ", "and the hundreds. ", "this looks right. ", "ok. ",
                                      "adding up: ", "the total is ", "step by step: "};
static const char *const REFLECT[] = {"Wait, let me check again. ", "Hmm, wait. Let me recheck the carry. ",
                                      "Let me verify: ", "Actually, let me double-check. ",
                                      "Wait, that is wrong. Let me reconsider. ", "Let me think again. "};

typedef struct { char *buf; size_t len, cap; } Text;

static void t_add(Text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void t_add(Text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

#define PICK(rng, arr) arr[rng_below(rng, (uint32_t)(sizeof arr / sizeof arr[0]))]

/* One completion for a + b; progress in [0,1] makes later steps more often right, reflective and longer. */
static void make_rollout(Rng *rng, int a, int b, float progress, Text *t, Rollout *r, char *answer_buf) {
    t->len = 0;
    t->buf[0] = 0;
    float p_format = 0.5f + 0.48f * progress, p_correct = 0.1f + 0.75f * progress, p_reflect = 0.05f + 0.4f * progress;
    int formatted = rng_uniform(rng) < p_format;
    int reflect = rng_uniform(rng) < p_reflect;
    int correct = rng_uniform(rng) < p_correct;
    int sum = a + b, shown = correct ? sum : sum + (int)rng_below(rng, 19) - 9 + (rng_below(rng, 2) ? 10 : -10);
    if (!correct && shown == sum) shown = sum + 1;
    int self_correct = 0;
    if (formatted) t_add(t, "<think>");
    t_add(t, "%s%d + %d. ", PICK(rng, OPENERS), a, b);
    int n_fill = 1 + (int)rng_below(rng, 2 + (unsigned)(6 * progress));
    for (int i = 0; i < n_fill; i++) {
        t_add(t, "%s", PICK(rng, FILLERS));
        if (rng_below(rng, 2)) t_add(t, "%d + %d = %d. ", (a / (i + 1)) % 10, (b / (i + 1)) % 10,
                                     (a / (i + 1)) % 10 + (b / (i + 1)) % 10);
    }
    if (reflect) {
        int wrong = sum + (rng_below(rng, 2) ? 10 : -10);
        t_add(t, "That makes %d. %s", correct && rng_below(rng, 2) ? wrong : shown, PICK(rng, REFLECT));
        t_add(t, "%d + %d = %d. ", a, b, shown);
        self_correct = correct && rng_below(rng, 3) == 0;
    }
    t_add(t, "So the answer is %d.", shown);
    if (formatted) t_add(t, "</think> <answer>%d</answer>", shown);
    else t_add(t, " %d", shown);
    int truncated = rng_uniform(rng) < 0.03f;
    snprintf(answer_buf, 24, "%d", sum);
    r->completion = t->buf;
    r->answer = answer_buf;
    r->r_accuracy = correct && !truncated ? 1.f : 0.f;
    r->r_format = formatted && !truncated ? 1.f : 0.f;
    r->r_language = 0.8f + 0.2f * rng_uniform(rng);
    r->reward = r->r_accuracy + 0.5f * r->r_format + 0.1f * r->r_language;
    r->length = (int)t->len + 1;
    r->finish = truncated ? 2 : 1;     /* FINISH_LENGTH : FINISH_EOS (core/sampler.h) */
    r->correct = correct && !truncated;
    r->flags = (reflect ? ROLLOUT_FLAG_REFLECTION : 0) | (self_correct ? ROLLOUT_FLAG_SELF_CORRECTION : 0);
}

static int fill(const char *path, long long n_rollouts, int seed, int P, int G, char *err, size_t errlen) {
    Store *s = store_open(path, err, errlen);
    if (!s) return -1;
    int steps = (int)((n_rollouts + P * G - 1) / (P * G));
    char config[512];
    snprintf(config, sizeof config, "[run]\nname = synthetic\nseed = %d\nsteps = %d\n\n[grpo]\ngroup_size = %d\n"
             "prompts_per_step = %d\n", seed, steps, G, P);
    StoreRunInfo info = {.name = "synthetic", .config_text = config, .model_desc = "synthetic (filldb), no model",
                         .parent_checkpoint = "random", .seed = seed};
    if (store_begin_run(s, &info, err, errlen) < 0) { store_close(s); return -1; }
    int B = P * G;
    Rollout *ro = calloc((size_t)B, sizeof *ro);
    Text *texts = calloc((size_t)B, sizeof *texts);
    char (*prompts)[160] = calloc((size_t)P, sizeof *prompts);
    char (*answers)[24] = calloc((size_t)B, sizeof *answers);
    if (!ro || !texts || !prompts || !answers) {
        snprintf(err, errlen, "filldb: out of memory");
        free(ro); free(texts); free(prompts); free(answers);
        store_close(s);
        return -1;
    }
    for (int i = 0; i < B; i++) { texts[i].cap = 2048; texts[i].buf = malloc(2048); }
    Rng rng;
    rng_seed(&rng, (uint64_t)seed, 7);
    long long written = 0;
    double t0 = now_ms(), wall = (double)time(NULL) - steps * 2.0;
    int rc = 0;
    for (int step = 1; step <= steps && rc == 0; step++) {
        float progress = (float)step / steps;
        int n = (int)(n_rollouts - written < B ? n_rollouts - written : B);
        for (int p = 0; p < P; p++) {
            int digits = 2 + (int)rng_below(&rng, 3), lim = 1;
            for (int d = 0; d < digits; d++) lim *= 10;
            int a = (int)rng_below(&rng, (uint32_t)lim), b = (int)rng_below(&rng, (uint32_t)lim);
            snprintf(prompts[p], sizeof prompts[p], "What is %d + %d? Think inside <think> </think>, then give the "
                     "answer inside <answer> </answer>.", a, b);
            float mean = 0, var = 0;
            for (int g = 0; g < G; g++) {
                int i = p * G + g;
                Rollout *r = &ro[i];
                memset(r, 0, sizeof *r);
                make_rollout(&rng, a, b, progress, &texts[i], r, answers[i]);
                r->step = step;
                r->prompt_index = p;
                r->sample_index = g;
                r->task = p % 4 == 3 ? "countdown" : "add";
                r->prompt = prompts[p];
                mean += r->reward;
            }
            mean /= G;
            for (int g = 0; g < G; g++) var += (ro[p * G + g].reward - mean) * (ro[p * G + g].reward - mean);
            float sd = sqrtf(var / G);
            for (int g = 0; g < G; g++) ro[p * G + g].advantage = (ro[p * G + g].reward - mean) / (sd + 1e-4f);
        }
        double sum_r = 0, acc = 0, len = 0, refl = 0;
        for (int i = 0; i < n; i++) {
            sum_r += ro[i].reward; acc += ro[i].correct; len += ro[i].length; refl += ro[i].flags & 1;
        }
        Metric m[] = {
            {"reward/mean", sum_r / n}, {"reward/accuracy", acc / n}, {"completion/length", len / n},
            {"completion/reflection", refl / n}, {"loss", 0.05 * exp(-3.0 * progress) + 0.01 * rng_uniform(&rng)},
            {"kl", 0.002 + 0.02 * progress * rng_uniform(&rng)}, {"lr", 1e-4}, {"grad_norm", 0.5 + rng_uniform(&rng)},
            {"clip_fraction", 0.1 * rng_uniform(&rng)}, {"time/step", 1.8 + 0.4 * rng_uniform(&rng)},
        };
        wall += 2.0;
        StepRecord rec = {.step = step, .wall_time = wall, .n_rollouts = n, .rollouts = ro,
                          .n_metrics = (int)(sizeof m / sizeof m[0]), .metrics = m};
        rc = store_write_step(s, &rec, err, errlen);
        written += n;
        if (rc == 0 && step % 100 == 0) {
            Event ev = {.kind = EVENT_CHECKPOINT, .step = step, .wall_time = wall};
            snprintf(ev.detail, sizeof ev.detail, "runs/synthetic/step-%d", step);
            rc = store_write_event(s, &ev, err, errlen);
            StoreEval e = {.step = step, .pass1 = 0.1 + 0.7 * progress, .cons_k = 0.15 + 0.75 * progress, .k = 8,
                           .problems = 200, .wall_time = wall};
            snprintf(e.task, sizeof e.task, "add");
            if (rc == 0) rc = store_write_eval(s, &e, err, errlen);
        }
        if (rc == 0 && step % 1000 == 500) {
            Event ev = {.kind = EVENT_SET, .step = step, .wall_time = wall};
            snprintf(ev.name, sizeof ev.name, "sampling.temperature");
            snprintf(ev.old_value, sizeof ev.old_value, "1");
            snprintf(ev.new_value, sizeof ev.new_value, "0.9");
            rc = store_write_event(s, &ev, err, errlen);
        }
        if (step % 500 == 0 || step == steps) {
            double dt = now_ms() - t0;
            fprintf(stderr, "\rfilldb: %lld / %lld rollouts, step %d, %.0f rollouts/s", written, n_rollouts, step,
                    written / (dt / 1e3));
        }
    }
    fprintf(stderr, "\n");
    if (rc == 0) rc = store_set_status(s, "done", wall, err, errlen);
    for (int i = 0; i < B; i++) free(texts[i].buf);
    free(ro); free(texts); free(prompts); free(answers);
    store_close(s);
    if (rc == 0) printf("filldb: wrote %lld rollouts in %d steps to %s in %.1f s\n", written, steps, path,
                        (now_ms() - t0) / 1e3);
    return rc;
}

/* ---- bench ------------------------------------------------------------------------------------------------ */

typedef struct { const char *what; double best, median, worst; int rows; int ok; } Timing;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define REPS 7

/* CPU milliseconds of the repetitions, parallel to the wall times the callers collect. */
static double g_cpu[REPS];
static double g_cpu_t0;
#define T_START(i) (g_cpu_t0 = cpu_ms(), now_ms())
#define T_STOP(i, t) (g_cpu[i] = cpu_ms() - g_cpu_t0, now_ms() - (t))

static void report(const char *what, double *ms, int rows) {
    qsort(ms, REPS, sizeof *ms, cmp_double);
    qsort(g_cpu, REPS, sizeof *g_cpu, cmp_double);
    printf("  %-56s %7.2f %7.2f %7.2f %7.2f  %7d%s\n", what, ms[0], ms[REPS / 2], ms[REPS - 1], g_cpu[REPS / 2], rows,
           ms[0] < 50 ? "" : "  OVER 50 ms");
}

static int time_page(Query *q, const char *what, const QueryFilter *f, int64_t offset, char *err, size_t errlen) {
    double ms[REPS];
    int rows = 0;
    for (int i = 0; i < REPS; i++) {
        QueryRolloutList l;
        double t = T_START(i);
        rows = query_rollouts(q, f, 50, offset, &l, err, errlen);
        ms[i] = T_STOP(i, t);
        query_rollouts_free(&l);
        if (rows < 0) return -1;
    }
    report(what, ms, rows);
    return 0;
}

static int time_count(Query *q, const char *what, const QueryFilter *f, char *err, size_t errlen) {
    double ms[REPS];
    int64_t n = 0;
    for (int i = 0; i < REPS; i++) {
        double t = T_START(i);
        n = query_count(q, f, err, errlen);
        ms[i] = T_STOP(i, t);
        if (n < 0) return -1;
    }
    report(what, ms, (int)n);
    return 0;
}

static int bench(const char *path, char *err, size_t errlen) {
    Query *q = query_open(path, err, errlen);
    if (!q) return -1;
    QueryRun run;
    if (query_run(q, 0, &run, err, errlen) != 1) { query_close(q); if (!err[0]) snprintf(err, errlen, "%s: no run", path); return -1; }
    int last = run.steps;
    printf("bench %s: run %lld '%s', %lld rollouts, %d steps\n", path, (long long)run.id, run.name,
           (long long)run.n_rollouts, last);
    query_run_free(&run);
    printf("  %-56s %7s %7s %7s %7s  %7s\n", "query (page = 50 rows; wall ms, then median CPU ms)", "best", "median",
           "worst", "cpu", "rows");
    int rc = 0;
    QueryFilter f;
    Rng rng;
    rng_seed(&rng, 11, 0);

    query_filter_init(&f);
    f.descending = 1;
    rc |= time_page(q, "page: all, newest first", &f, 0, err, errlen);
    query_filter_init(&f);
    f.step_min = last / 2; f.step_max = last / 2 + 200; f.correct = 1; f.sort = QUERY_SORT_REWARD; f.descending = 1;
    rc |= rc ? 0 : time_page(q, "page: steps mid..mid+200, correct, by reward desc", &f, 0, err, errlen);
    query_filter_init(&f);
    f.reward_max = 0.2; f.flags_mask = f.flags_value = ROLLOUT_FLAG_REFLECTION; f.correct = 0;
    rc |= rc ? 0 : time_page(q, "page: reward<=0.2, reflection, wrong, by step", &f, 0, err, errlen);
    query_filter_init(&f);
    f.reward_min = 1.5; f.correct = 0; f.descending = 1;
    rc |= rc ? 0 : time_page(q, "page: reward>=1.5 and wrong (matches nothing)", &f, 0, err, errlen);
    query_filter_init(&f);
    f.flags_mask = f.flags_value = ROLLOUT_FLAG_SELF_CORRECTION; f.sort = QUERY_SORT_LENGTH; f.descending = 1;
    snprintf(f.task, sizeof f.task, "countdown");
    rc |= rc ? 0 : time_page(q, "page: self-correction, task countdown, by length desc", &f, 0, err, errlen);
    query_filter_init(&f);
    f.step_min = 10; f.step_max = 30; f.correct = 1; f.sort = QUERY_SORT_ADVANTAGE;
    rc |= rc ? 0 : time_page(q, "page: early steps 10..30 (rare correct), by advantage", &f, 0, err, errlen);
    query_filter_init(&f);
    f.correct = 1;
    rc |= rc ? 0 : time_page(q, "page: correct, offset 500000 (offset paging; use keyset)", &f, 500000, err, errlen);
    {   /* keyset: walk to the middle, then time the next page */
        query_filter_init(&f);
        f.correct = 1; f.sort = QUERY_SORT_REWARD;
        QueryRolloutList l;
        if (query_rollouts(q, &f, 1, 400000, &l, err, errlen) < 0) rc = -1;
        if (!rc && l.n == 1) {
            double ms[REPS];
            int rows = 0;
            for (int i = 0; i < REPS && !rc; i++) {
                QueryRolloutList p;
                double t = T_START(i);
                rows = query_rollouts_page(q, &f, &l.items[0], 1, 50, &p, err, errlen);
                ms[i] = T_STOP(i, t);
                if (rows < 0) rc = -1;
                query_rollouts_free(&p);
            }
            if (!rc) report("page: keyset after row 400000, correct, by reward", ms, rows);
        }
        query_rollouts_free(&l);
    }
    query_filter_init(&f);
    f.step_min = last / 2; f.step_max = last / 2 + 200; f.correct = 1;
    rc |= rc ? 0 : time_count(q, "count: steps mid..mid+200, correct", &f, err, errlen);

    query_filter_init(&f);
    f.descending = 1;
    snprintf(f.search, sizeof f.search, "recheck");
    rc |= rc ? 0 : time_page(q, "search words 'recheck', newest first", &f, 0, err, errlen);
    snprintf(f.search, sizeof f.search, "wait");
    rc |= rc ? 0 : time_page(q, "search words 'wait' (common), newest first", &f, 0, err, errlen);
    f.descending = 0; f.sort = QUERY_SORT_REWARD;
    rc |= rc ? 0 : time_page(q, "search words 'wait', by reward asc", &f, 0, err, errlen);
    query_filter_init(&f);
    f.search_mode = QUERY_SEARCH_FTS; f.correct = 0; f.descending = 1;
    snprintf(f.search, sizeof f.search, "NEAR(\"that is wrong\" reconsider, 10)");
    rc |= rc ? 0 : time_page(q, "search fts phrase+NEAR, wrong, newest first", &f, 0, err, errlen);
    query_filter_init(&f);
    f.step_min = last - 100; f.descending = 1;
    snprintf(f.search, sizeof f.search, "double-check");
    rc |= rc ? 0 : time_page(q, "search words 'double-check', last 100 steps", &f, 0, err, errlen);
    query_filter_init(&f);
    snprintf(f.search, sizeof f.search, "9999");
    rc |= rc ? 0 : time_page(q, "search words '9999' (rare)", &f, 0, err, errlen);
    query_filter_init(&f);
    snprintf(f.search, sizeof f.search, "recheck");
    rc |= rc ? 0 : time_count(q, "count: search 'recheck'", &f, err, errlen);
    {
        double ms[REPS];
        int rows = 0;
        for (int i = 0; i < REPS && !rc; i++) {
            QueryRolloutList l;
            int step = 1 + (int)rng_below(&rng, (uint32_t)(last > 0 ? last : 1)), p = (int)rng_below(&rng, 16);
            double t = T_START(i);
            rows = query_group(q, 0, step, p, &l, err, errlen);
            ms[i] = T_STOP(i, t);
            if (rows < 0) rc = -1;
            query_rollouts_free(&l);
        }
        if (!rc) report("group: one prompt at a random step", ms, rows);
    }
    {
        double ms[REPS];
        int rows = 0;
        for (int i = 0; i < REPS && !rc; i++) {
            QuerySeries sr;
            double t = T_START(i);
            rows = query_series(q, 0, "reward/mean", -1, &sr, err, errlen);
            ms[i] = T_STOP(i, t);
            if (rows < 0) rc = -1;
            query_series_free(&sr);
        }
        if (!rc) report("series: reward/mean, all steps", ms, rows);
    }
    {
        double ms[REPS];
        for (int i = 0; i < REPS && !rc; i++) {
            QueryRun r;
            double t = T_START(i);
            if (query_run(q, 0, &r, err, errlen) < 0) rc = -1;
            ms[i] = T_STOP(i, t);
            query_run_free(&r);
        }
        if (!rc) report("run summary", ms, 1);
    }
    query_close(q);
    return rc ? -1 : 0;
}

int cmd_filldb(int argc, char **argv) {
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},           {"force", no_argument, NULL, 'f'},
        {"bench", no_argument, NULL, 'b'},          {"rollouts", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},     {"group", required_argument, NULL, 'G'},
        {"prompts", required_argument, NULL, 'P'},  {NULL, 0, NULL, 0}};
    const ConfigKey *kbatch = config_key("run", "max_batch");
    const char *path = NULL;
    long long n = -1;
    int seed = 1, G = 8, P = 16, force = 0, do_bench = 0, o;
    char err[768] = "";
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case 'h': usage(stdout); return 0;
        case 'f': force = 1; break;
        case 'b': do_bench = 1; break;
        case 'n': bad = cli_parse_int64("--rollouts", optarg, 1, FILLDB_MAX_ROLLOUTS, &n, err, sizeof err); break;
        case 's': bad = cli_parse_int_key_range("--seed", optarg, "run.seed", &seed, err, sizeof err); break;
        case 'G': bad = cli_parse_int_key_range("--group", optarg, "grpo.group_size", &G, err, sizeof err); break;
        case 'P': bad = cli_parse_int_key_range("--prompts", optarg, "grpo.prompts_per_step", &P, err, sizeof err); break;
        default: cli_option_error("filldb", argv, o); return 2;
        }
        if (bad) { fprintf(stderr, "grpo-studio filldb: %s\n", err); return 2; }
    }
    if (optind < argc) path = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio filldb: unexpected argument '%s'\n\n", argv[optind]); usage(stderr); return 2; }
    if (!path) { usage(stderr); return 2; }
    if ((long long)G * P > (long long)kbatch->max) {
        fprintf(stderr, "grpo-studio filldb: --group %d x --prompts %d = %lld rollouts a step: at most %.0f (run.max_batch)\n",
                G, P, (long long)G * P, kbatch->max);
        return 2;
    }
    if (n < 0 && !do_bench) n = 1000000;
    if (n >= 0) {
        if (access(path, F_OK) == 0) {
            if (!force) {
                fprintf(stderr, "grpo-studio filldb: %s exists (use --force to replace it)\n", path);
                return 1;
            }
            char side[1024];
            unlink(path);
            snprintf(side, sizeof side, "%s-wal", path); unlink(side);
            snprintf(side, sizeof side, "%s-shm", path); unlink(side);
        }
        if (fill(path, n, seed, P, G, err, sizeof err) != 0) {
            fprintf(stderr, "grpo-studio filldb: %s\n", err);
            return 1;
        }
    }
    if (do_bench && bench(path, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio filldb --bench: %s\n", err);
        return 1;
    }
    return 0;
}
