/* cmd_browse.c - `grpo-studio browse RUN.db...`: the browser alone, on live or finished runs of one or more
 * databases: the Runs screen when they hold several runs, the rollouts of the one run otherwise. */
#include "ui/cli.h"
#include "ui/commands.h"
#include <getopt.h>
#include "ui/studio.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f, "usage: grpo-studio browse RUN.db [RUN.db...]\n\n"
               "Browses run databases - ones still being written or finished ones. With several runs it opens on\n"
               "the Runs screen: id, name, parent, start, status, steps, last pass@1, wall time and the config keys\n"
               "that differ from the selected run; Space marks runs to overlay their curves, Enter browses a run's\n"
               "rollouts (4 comes back). In the rollouts:\n"
               "filter by step, reward, correctness and aha flags, full-text search, read transcripts, and see a\n"
               "prompt's whole group with rewards and advantages. ? in the browser lists every key.\n");
}

int cmd_browse(int argc, char **argv) {
    static const struct option LONG[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", LONG, NULL)) != -1) {
        if (o == 'h') { usage(stdout); return 0; }
        cli_option_error("browse", argv, o);
        return 2;
    }
    if (optind >= argc) { usage(stderr); return 2; }
    const char *const *dbs = (const char *const *)argv + optind;
    int n = argc - optind;
    for (int i = 0; i < n; i++)
        if (access(dbs[i], R_OK) != 0) {
            fprintf(stderr, "grpo-studio browse: cannot read %s\n", dbs[i]);
            return 1;
        }
    return studio_browse(dbs, n);
}
