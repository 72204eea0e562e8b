/* cmd_report.c - `grpo-studio report RUN.db [--run ID]... [RUN2.db [--run ID]...]... --out report.html`: the runs as
 * one self-contained HTML file (ui/report.h). A --run picks a run of the database named before it; a database with
 * no --run after it contributes all its runs. */
#include "ui/cli.h"
#include "ui/commands.h"
#include "ui/report.h"
#include "ui/runs.h"
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: grpo-studio report RUN.db [--run ID]... [RUN2.db [--run ID]...]... --out REPORT.html\n\n"
            "Writes one self-contained HTML file (inline SVG charts and CSS; no script, nothing fetched): curves of\n"
            "reward, accuracy, response length, held-out pass@1 and cons@k, overlaid for several runs with one colour\n"
            "each; the runs, their config and the keys that differ between them; events; evaluations; and the best,\n"
            "the worst and the first self-correction (or reflection) transcript of each run.\n\n"
            "options:\n"
            "  --run ID       a run of the database named before it (repeatable); without one, all its runs\n"
            "  --out FILE     the report to write (written whole or not at all)\n"
            "  -h, --help     this help\n\n"
            "At most %d databases and %d runs.\n", RUNS_MAX_DBS, REPORT_MAX_RUNS);
}

int cmd_report(int argc, char **argv) {
    ReportSource src[RUNS_MAX_DBS];
    int64_t ids[RUNS_MAX_DBS][REPORT_MAX_RUNS];
    int n_src = 0;
    const char *out = NULL;
    char err[PATH_MAX + 512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--out") || !strcmp(a, "--run")) {
            if (i + 1 >= argc) { fprintf(stderr, "grpo-studio report: %s needs a value\n", a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--out")) { out = v; continue; }
            long long id;
            if (cli_parse_int64("--run", v, 1, INT64_MAX, &id, err, sizeof err) != 0) {
                fprintf(stderr, "grpo-studio report: %s\n", err);
                return 2;
            }
            if (n_src == 0) { fprintf(stderr, "grpo-studio report: --run %s: name its database first\n", v); return 2; }
            ReportSource *s = &src[n_src - 1];
            if (s->n_run_ids == REPORT_MAX_RUNS) {
                fprintf(stderr, "grpo-studio report: more than %d runs of %s\n", REPORT_MAX_RUNS, s->db);
                return 2;
            }
            ids[n_src - 1][s->n_run_ids++] = id;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "grpo-studio report: unknown option '%s' (see grpo-studio report --help)\n", a);
            return 2;
        }
        if (n_src == RUNS_MAX_DBS) {
            fprintf(stderr, "grpo-studio report: more than %d run databases\n", RUNS_MAX_DBS);
            return 2;
        }
        src[n_src] = (ReportSource){.db = a, .run_ids = ids[n_src]};
        n_src++;
    }
    if (n_src == 0 || !out) {
        fprintf(stderr, "grpo-studio report: %s\n\n", n_src == 0 ? "no run database given" : "--out FILE is required");
        usage(stderr);
        return 2;
    }
    if (report_write(out, src, n_src, err, sizeof err) != 0) {
        fprintf(stderr, "grpo-studio report: %s\n", err);
        return 1;
    }
    printf("grpo-studio report: wrote %s\n", out);
    return 0;
}
