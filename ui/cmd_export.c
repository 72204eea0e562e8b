/* cmd_export.c - `grpo-studio export RUN.db --jsonl OUT [filters]`: rollouts of a run database as JSON Lines
 * (storage/export.h documents the fields), or with --sft the rejection-sampling SFT set (correct, well-formatted
 * completions as {"prompt", "completion"} lines). The output is written to OUT.tmp and renamed when complete, so a
 * failed export never leaves a truncated file that looks finished. */
#include "storage/export.h"
#include "ui/commands.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: grpo-studio export RUN.db --jsonl OUT [--sft] [filters]\n\n"
        "Writes the rollouts of a run database as JSON Lines, one object per rollout:\n"
        "  run, step, prompt_index, sample_index, task, prompt, completion, answer, reward,\n"
        "  rewards{accuracy,format,language}, advantage, length, finish (eos|length|aborted), correct,\n"
        "  flags{reflection,self_correction}\n"
        "With --sft, writes the rejection-sampling SFT set instead: correct completions with a format reward of 1,\n"
        "as {\"prompt\": ..., \"completion\": ...} lines (the input of `grpo-studio sft`).\n\n"
        "  --jsonl OUT        output file ('-' for standard output)\n"
        "  --sft              the SFT set (implies --correct)\n"
        "  --min-step N       only steps >= N\n"
        "  --max-step N       only steps <= N\n"
        "  --correct          only correct rollouts\n"
        "  --wrong            only wrong rollouts\n"
        "  --min-reward R     only reward >= R\n"
        "  --max-reward R     only reward <= R\n"
        "  --reflection       only rollouts with a reflection word\n"
        "  --task NAME        only this task\n"
        "  --search TEXT      only completions containing these words (full-text index)\n"
        "  --fts              read --search as FTS5 query syntax (\"a b\" phrases, NEAR, OR, prefix*)\n"
        "  --max-length N     only completions of at most N tokens\n"
        "  --run ID           only this run of the database (default: every run)\n"
        "  --dedup            (--sft) drop repeated prompt/completion pairs\n"
        "  --per-prompt N     (--sft) keep at most N completions per prompt\n");
}

static int parse_int(const char *opt, const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "grpo-studio export: %s expects an integer in %ld..%ld, got '%s'\n", opt, lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int parse_real(const char *opt, const char *v, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x)) {
        fprintf(stderr, "grpo-studio export: %s expects a number, got '%s'\n", opt, v);
        return -1;
    }
    *out = x;
    return 0;
}

int cmd_export(int argc, char **argv) {
    const char *db = NULL, *out_path = NULL;
    int sft = 0;
    QueryFilter f;
    query_filter_init(&f);
    ExportSftOptions so = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--sft")) sft = 1;
        else if (!strcmp(a, "--correct")) f.correct = 1;
        else if (!strcmp(a, "--wrong")) f.correct = 0;
        else if (!strcmp(a, "--reflection")) f.flags_mask = f.flags_value = ROLLOUT_FLAG_REFLECTION;
        else if (!strcmp(a, "--fts")) f.search_mode = QUERY_SEARCH_FTS;
        else if (!strcmp(a, "--dedup")) so.dedup = 1;
        else if (!v && a[0] == '-') {
            fprintf(stderr, "grpo-studio export: %s needs a value (or is unknown; see --help)\n", a);
            return 2;
        } else if (!strcmp(a, "--jsonl")) { out_path = v; i++; }
        else if (!strcmp(a, "--min-step")) { if (parse_int(a, v, 0, 1L << 30, &n)) return 2; f.step_min = (int)n; i++; }
        else if (!strcmp(a, "--max-step")) { if (parse_int(a, v, 0, 1L << 30, &n)) return 2; f.step_max = (int)n; i++; }
        else if (!strcmp(a, "--max-length")) { if (parse_int(a, v, 1, 1L << 30, &n)) return 2; f.max_length = (int)n; i++; }
        else if (!strcmp(a, "--per-prompt")) { if (parse_int(a, v, 1, 1L << 30, &n)) return 2; so.per_prompt = (int)n; i++; }
        else if (!strcmp(a, "--run")) { if (parse_int(a, v, 1, 1L << 30, &n)) return 2; f.run_id = n; i++; }
        else if (!strcmp(a, "--min-reward")) { if (parse_real(a, v, &x)) return 2; f.reward_min = x; i++; }
        else if (!strcmp(a, "--max-reward")) { if (parse_real(a, v, &x)) return 2; f.reward_max = x; i++; }
        else if (!strcmp(a, "--task")) { snprintf(f.task, sizeof f.task, "%s", v); i++; }
        else if (!strcmp(a, "--search")) { snprintf(f.search, sizeof f.search, "%s", v); i++; }
        else if (a[0] != '-' && !db) db = a;
        else { fprintf(stderr, "grpo-studio export: unexpected argument '%s' (see --help)\n", a); return 2; }
    }
    if (!db || !out_path) {
        fprintf(stderr, "grpo-studio export: %s\n\n", !db ? "which run database? (RUN.db)" : "--jsonl OUT is required");
        usage(stderr);
        return 2;
    }
    if (sft && f.correct == 0) {
        fprintf(stderr, "grpo-studio export: --sft keeps only correct rollouts; it cannot be combined with --wrong\n");
        return 2;
    }
    if (f.step_min >= 0 && f.step_max >= 0 && f.step_min > f.step_max) {
        fprintf(stderr, "grpo-studio export: --min-step %d is after --max-step %d\n", f.step_min, f.step_max);
        return 2;
    }
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "grpo-studio export: %s: %s\n", db, strerror(errno));
        return 1;
    }
    char err[768] = "";
    Query *q = query_open(db, err, sizeof err);
    if (!q) { fprintf(stderr, "grpo-studio export: %s\n", err); return 1; }
    if (query_check_search(q, f.search, f.search_mode, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio export: %s\n", err);
        query_close(q);
        return 2;
    }
    int to_stdout = !strcmp(out_path, "-");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    FILE *out = to_stdout ? stdout : fopen(tmp, "w");
    if (!out) {
        fprintf(stderr, "grpo-studio export: cannot write %s: %s\n", tmp, strerror(errno));
        query_close(q);
        return 1;
    }
    int64_t written = 0;
    so.max_length = f.max_length;
    int rc = sft ? export_sft(q, &f, &so, out, &written, err, sizeof err)
                 : export_jsonl(q, &f, out, &written, err, sizeof err);
    query_close(q);
    if (!to_stdout) {
        if (fclose(out) != 0 && rc == 0) {
            fprintf(stderr, "grpo-studio export: cannot write %s: %s\n", tmp, strerror(errno));
            unlink(tmp);
            return 1;
        }
        if (rc == 0 && rename(tmp, out_path) != 0) {
            fprintf(stderr, "grpo-studio export: cannot rename %s to %s: %s\n", tmp, out_path, strerror(errno));
            unlink(tmp);
            return 1;
        }
        if (rc != 0) unlink(tmp);
    }
    if (rc != 0) { fprintf(stderr, "grpo-studio export: %s\n", err); return 1; }
    fprintf(stderr, "grpo-studio export: %lld %s written to %s\n", (long long)written,
            sft ? "prompt/completion pairs" : "rollouts", to_stdout ? "standard output" : out_path);
    return 0;
}
