/* main.c - grpo-studio: dispatch to a subcommand; with no arguments, the studio on the default experiment. */
#include "ui/commands.h"
#include "ui/signals.h"
#include <stdio.h>
#include <string.h>

/* takes_signals: the command takes SIGINT/SIGTERM/SIGHUP/SIGWINCH itself (ui/signals.h), so main blocks them before
 * any thread starts; the other commands keep the default actions. */
typedef struct { const char *name; int (*fn)(int, char **); const char *summary; int takes_signals; } Command;

static const Command COMMANDS[] = {
    {"train", cmd_train, "train with GRPO: the studio, or --headless progress lines", 1},
    {"browse", cmd_browse, "browse the rollouts of a run database (live or finished)", 1},
    {"pretrain", cmd_pretrain, "pretrain a base model on the task's synthetic corpus", 1},
    {"sft", cmd_sft, "supervised fine-tuning on prompt/completion JSONL (cold start, distillation)", 1},
    {"eval", cmd_eval, "held-out pass@1 and cons@k of a checkpoint", 0},
    {"export", cmd_export, "export rollouts of a run database as JSONL", 0},
    {"report", cmd_report, "runs as one self-contained HTML file: curves, config, events, evals, transcripts", 0},
    {"sample", cmd_sample, "sample completions from a checkpoint", 0},
    {"bench", cmd_bench, "the grpo-step benchmark", 0},
    {"convert", cmd_convert, "write a checkpoint as the Hugging Face folder its model came from", 0},
    {"filldb", cmd_filldb, "fill a synthetic run database (browsing-speed tests)", 0},
    {"tokenize", cmd_tokenize, "a Hugging Face tokenizer.json on some text: ids, tokens, decode, speed", 0},
};
#define N_COMMANDS ((int)(sizeof COMMANDS / sizeof COMMANDS[0]))

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio [COMMAND] [ARGS...]\n\n"
               "With no command, opens the studio on the default experiment (configs/default.ini).\n\n"
               "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\n'grpo-studio COMMAND --help' describes each.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        ui_signals_block();
        char *args[] = {"train", NULL};
        return cmd_train(1, args);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) {
            if (COMMANDS[i].takes_signals) ui_signals_block();
            return COMMANDS[i].fn(argc - 1, argv + 1);
        }
    if (argv[1][0] == '-' ) {   /* options for the default: grpo-studio --headless ... */
        ui_signals_block();
        argv[0] = "train";
        return cmd_train(argc, argv);
    }
    fprintf(stderr, "grpo-studio: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
