/* cmd_export.c - `grpo-studio export RUN.db --jsonl OUT [filters]`: rollouts of a run database as JSON Lines
 * (storage/export.h documents the fields), or with --sft the rejection-sampling SFT set (correct, well-formatted
 * completions as {"prompt", "completion"} lines). The output is written to OUT.tmp and renamed when complete, so a
 * failed export never leaves a truncated file that looks finished. */
#include "storage/export.h"
#include "ui/cli.h"
#include "ui/commands.h"
#include <getopt.h>
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
        "  run_id, run, step, prompt_index, sample_index, task, prompt, completion, answer, reward,\n"
        "  rewards{accuracy,format,language}, advantage, length, finish (eos|length|aborted), correct,\n"
        "  flags{reflection,self_correction,dropped}  (dropped: left out of the update by dynamic sampling)\n"
        "With --sft, writes the rejection-sampling SFT set instead: correct completions with a format reward of 1,\n"
        "as {\"prompt\": ..., \"completion\": ...} lines (the input of `grpo-studio sft`).\n\n"
        "  --jsonl OUT        output file ('-' for standard output)\n"
        "  --sft              the SFT set (implies --correct)\n"
        "  --min-step N       only steps >= N (numbers are checked: a bad one is an error)\n"
        "  --max-step N       only steps <= N\n"
        "  --correct          only correct rollouts\n"
        "  --wrong            only wrong rollouts\n"
        "  --min-reward R     only reward >= R\n"
        "  --max-reward R     only reward <= R\n"
        "  --reflection       only rollouts with a reflection word\n"
        "  --task NAME        only this task\n"
        "  --search TEXT      only completions containing these words (full-text index; a word of\n"
        "                     punctuation alone, like %% or </, must occur as typed)\n"
        "  --fts              read --search as FTS5 query syntax (\"a b\" phrases, NEAR, OR, prefix*)\n"
        "  --max-length N     only completions of at most N tokens\n"
        "  --run ID           only this run of the database (default: every run)\n"
        "  --dedup            (--sft) drop repeated prompt/completion pairs\n"
        "  --per-prompt N     (--sft) keep at most N completions per prompt\n");
}

int cmd_export(int argc, char **argv) {
    enum { O_SFT = 256, O_CORRECT, O_WRONG, O_REFLECTION, O_FTS, O_DEDUP, O_JSONL, O_MIN_STEP, O_MAX_STEP,
           O_MAX_LENGTH, O_PER_PROMPT, O_RUN, O_MIN_REWARD, O_MAX_REWARD, O_TASK, O_SEARCH };
    static const struct option LONG[] = {
        {"help", no_argument, NULL, 'h'},             {"sft", no_argument, NULL, O_SFT},
        {"correct", no_argument, NULL, O_CORRECT},    {"wrong", no_argument, NULL, O_WRONG},
        {"reflection", no_argument, NULL, O_REFLECTION}, {"fts", no_argument, NULL, O_FTS},
        {"dedup", no_argument, NULL, O_DEDUP},        {"jsonl", required_argument, NULL, O_JSONL},
        {"min-step", required_argument, NULL, O_MIN_STEP}, {"max-step", required_argument, NULL, O_MAX_STEP},
        {"max-length", required_argument, NULL, O_MAX_LENGTH}, {"per-prompt", required_argument, NULL, O_PER_PROMPT},
        {"run", required_argument, NULL, O_RUN},      {"min-reward", required_argument, NULL, O_MIN_REWARD},
        {"max-reward", required_argument, NULL, O_MAX_REWARD}, {"task", required_argument, NULL, O_TASK},
        {"search", required_argument, NULL, O_SEARCH}, {NULL, 0, NULL, 0}};
    const char *db = NULL, *out_path = NULL;
    int sft = 0, o;
    QueryFilter f;
    query_filter_init(&f);
    ExportSftOptions so = {0};
    char err[768] = "";
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        int bad = 0;
        long long run;
        switch (o) {
        case 'h': usage(stdout); return 0;
        case O_SFT: sft = 1; break;
        case O_CORRECT: f.correct = 1; break;
        case O_WRONG: f.correct = 0; break;
        case O_REFLECTION: f.flags_mask = f.flags_value = ROLLOUT_FLAG_REFLECTION; break;
        case O_FTS: f.search_mode = QUERY_SEARCH_FTS; break;
        case O_DEDUP: so.dedup = 1; break;
        case O_JSONL: out_path = optarg; break;
        case O_MIN_STEP: bad = cli_parse_int("--min-step", optarg, 0, 1 << 30, &f.step_min, err, sizeof err); break;
        case O_MAX_STEP: bad = cli_parse_int("--max-step", optarg, 0, 1 << 30, &f.step_max, err, sizeof err); break;
        case O_MAX_LENGTH: bad = cli_parse_int("--max-length", optarg, 1, 1 << 30, &f.max_length, err, sizeof err); break;
        case O_PER_PROMPT: bad = cli_parse_int("--per-prompt", optarg, 1, 1 << 30, &so.per_prompt, err, sizeof err); break;
        case O_RUN:
            bad = cli_parse_int64("--run", optarg, 1, INT64_MAX, &run, err, sizeof err);
            if (!bad) f.run_id = run;
            break;
        case O_MIN_REWARD: bad = cli_parse_number("--min-reward", optarg, -1e30, 1e30, &f.reward_min, err, sizeof err); break;
        case O_MAX_REWARD: bad = cli_parse_number("--max-reward", optarg, -1e30, 1e30, &f.reward_max, err, sizeof err); break;
        case O_TASK:
        case O_SEARCH: {
            char *dst = o == O_TASK ? f.task : f.search;
            size_t cap = o == O_TASK ? sizeof f.task : sizeof f.search;
            if (strlen(optarg) >= cap) {
                snprintf(err, sizeof err, "--%s: at most %zu characters", o == O_TASK ? "task" : "search", cap - 1);
                bad = 1;
            } else {
                memcpy(dst, optarg, strlen(optarg) + 1);
            }
            break;
        }
        default: cli_option_error("export", argv, o); return 2;
        }
        if (bad) { fprintf(stderr, "grpo-studio export: %s\n", err); return 2; }
    }
    if (optind < argc) db = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio export: unexpected argument '%s' (see --help)\n", argv[optind]); return 2; }
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
