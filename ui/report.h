/* report.h - a run (or several, overlaid) as one self-contained HTML file: inline CSS and SVG charts, no script,
 * nothing fetched. Curves of reward, accuracy, response length, held-out pass@1 and cons@k (one colour per run, a
 * legend, a dashed line where a forked run branches off); the runs table; the config and the keys that differ
 * between runs; events; evaluations; and a few transcripts per run (best, worst, first self-correction or, failing
 * that, first reflection). Every text from the database is HTML-escaped. Reads through ui/runs.h and
 * storage/query.h; no SQL here. */
#ifndef GRPO_UI_REPORT_H
#define GRPO_UI_REPORT_H
#include <stddef.h>
#include <stdint.h>

enum { REPORT_MAX_RUNS = 12 };

/* One database and the runs of it to report (n_run_ids 0: all of them). */
typedef struct {
    const char *db;
    const int64_t *run_ids;
    int n_run_ids;
} ReportSource;

/* Writes the report of the runs of src[0..n_src) to out: first to "<out>.tmp-<pid>", then renamed over out, so a
 * failed report leaves no partial file (and an older out as it was). Returns 0, or -1 with err naming the file or
 * the run that is missing (with the run ids the database has), or saying that more than REPORT_MAX_RUNS runs were
 * asked for. */
int report_write(const char *out, const ReportSource *src, int n_src, char *err, size_t errlen);

#endif
