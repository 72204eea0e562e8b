/* cmd_browse.c - `grpo-studio browse RUN.db`: the rollouts browser alone, on a live or finished run. */
#include "ui/cli.h"
#include "ui/commands.h"
#include <getopt.h>
#include "ui/studio.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio browse RUN.db\n\n"
               "Browses the rollouts of a run database - one that is still being written or a finished one:\n"
               "filter by step, reward, correctness and aha flags, full-text search, read transcripts, and see a\n"
               "prompt's whole group with rewards and advantages. ? in the browser lists every key.\n");
}

int cmd_browse(int argc, char **argv) {
    static const struct option LONG[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        if (o == 'h') { usage(stdout); return 0; }
        cli_option_error("browse", argv, o);
        return 2;
    }
    if (optind < argc) db = argv[optind++];
    if (optind < argc) { fprintf(stderr, "grpo-studio browse: one database at a time\n"); return 2; }
    if (!db) { usage(stderr); return 2; }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "grpo-studio browse: cannot read %s\n", db);
        return 1;
    }
    return studio_browse(db);
}
