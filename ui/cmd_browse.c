/* cmd_browse.c - `grpo-studio browse RUN.db`: the rollouts browser alone, on a live or finished run. */
#include "ui/commands.h"
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
    const char *db = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if (argv[i][0] == '-') {
            fprintf(stderr, "grpo-studio browse: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (db) { fprintf(stderr, "grpo-studio browse: one database at a time\n"); return 2; }
        db = argv[i];
    }
    if (!db) { usage(stderr); return 2; }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "grpo-studio browse: cannot read %s\n", db);
        return 1;
    }
    return studio_browse(db);
}
