/* report.c - the HTML report (report.h). */
#include "ui/report.h"
#include "core/record.h"
#include "ui/runs.h"
#include "ui/svg_chart.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const COLOURS[REPORT_MAX_RUNS] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
                                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939"};
enum { EVENTS_SHOWN = 300 };

typedef struct {
    RunsEntry *e;
    Query *q;
    const char *db;
    char label[160];          /* "#2 default" (with "@a.db" when the report spans databases) */
    const char *colour;
} Pick;

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A number as the tables show it: 4 significant digits, "-" for NaN. */
static void num(FILE *f, double v) {
    if (isnan(v)) fputs("-", f);
    else fprintf(f, "%.4g", v);
}

static void fmt_time(double epoch, char *buf, size_t n) {
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
}

/* The last two components of a path ("assets/base-add"): where a run started from, without the machine's folders. */
static const char *short_path(const char *p) {
    const char *end = p + strlen(p);
    while (end > p && end[-1] == '/') end--;
    int slashes = 0;
    for (const char *q = end - 1; q > p; q--)
        if (*q == '/' && ++slashes == 2) return q + 1;
    return p;
}

static void fmt_wall(double sec, char *buf, size_t n) {
    long s = (long)sec;
    if (s >= 3600) snprintf(buf, n, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60) snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
    else snprintf(buf, n, "%lds", s);
}

static void swatch(FILE *f, const char *colour) {
    fprintf(f, "<span class=\"sw\" style=\"background:%s\"></span>", colour);
}

static void runs_table(FILE *f, const Pick *p, int n) {
    fputs("<h2>Runs</h2>\n<table><tr><th></th><th>run</th><th>database</th><th>name</th><th>status</th><th>steps</th>"
          "<th>parent</th><th>model</th><th>started</th><th>wall time</th><th>rollouts</th><th>best reward</th>"
          "<th>last pass@1</th><th>last cons@k</th></tr>\n", f);
    for (int i = 0; i < n; i++) {
        const QueryRun *r = &p[i].e->run;
        char start[40], wall[32];
        fmt_time(r->start_time, start, sizeof start);
        fmt_wall(runs_wall_time(p[i].e, (double)time(NULL)), wall, sizeof wall);
        fputs("<tr><td>", f);
        swatch(f, p[i].colour);
        fprintf(f, "</td><td class=\"run\">%lld</td><td>", (long long)r->id);
        html_escape(f, base_name(p[i].db));
        fputs("</td><td>", f);
        html_escape(f, r->name);
        fputs("</td><td>", f);
        html_escape(f, r->status);
        fprintf(f, "</td><td>%d</td><td>", r->steps < 0 ? 0 : r->steps);
        if (r->parent_run > 0) {
            fprintf(f, "run %lld @ step %d", (long long)r->parent_run, r->parent_step);
            if (r->parent_db && r->parent_db[0]) { fputs(" of ", f); html_escape(f, base_name(r->parent_db)); }
        } else {
            html_escape(f, r->parent_checkpoint && r->parent_checkpoint[0] ? short_path(r->parent_checkpoint) : "-");
        }
        fputs("</td><td>", f);
        html_escape(f, r->model_desc);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%lld</td><td>", start, wall, (long long)r->n_rollouts);
        num(f, r->best_reward);
        fputs("</td><td class=\"p1\">", f);
        num(f, p[i].e->pass1);
        fputs("</td><td>", f);
        num(f, p[i].e->cons_k);
        if (!isnan(p[i].e->pass1)) fprintf(f, " (k %d, step %d)", p[i].e->eval_k, p[i].e->eval_step);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static int charts(FILE *f, const Pick *p, int n) {
    static const struct { int curve; const char *title; int unit; } CH[] = {
        {RUNS_CURVE_REWARD, "reward (mean per step)", 0},
        {RUNS_CURVE_ACCURACY, "accuracy (fraction correct per step)", 1},
        {RUNS_CURVE_LENGTH, "response length (mean tokens per step)", 0},
        {RUNS_CURVE_PASS1, "held-out pass@1", 1},
        {RUNS_CURVE_CONSK, "held-out cons@k (majority vote)", 1},
    };
    SvgSeries se[REPORT_MAX_RUNS];
    SvgMarker mk[REPORT_MAX_RUNS];
    char mlabel[REPORT_MAX_RUNS][96];
    int nm = 0;
    for (int i = 0; i < n; i++) {   /* where each fork branches off its parent */
        const QueryRun *r = &p[i].e->run;
        if (r->parent_run <= 0) continue;
        snprintf(mlabel[nm], sizeof mlabel[nm], "#%lld forks from #%lld @ %d", (long long)r->id,
                 (long long)r->parent_run, r->parent_step);
        mk[nm] = (SvgMarker){r->parent_step, p[i].colour, mlabel[nm]};
        nm++;
    }
    fputs("<h2>Curves</h2>\n<div class=\"charts\">\n", f);
    for (size_t c = 0; c < sizeof CH / sizeof CH[0]; c++) {
        for (int i = 0; i < n; i++) {
            const RunsCurve *cv = &p[i].e->curve[CH[c].curve];
            se[i] = (SvgSeries){cv->x, cv->y, cv->n, p[i].colour, p[i].label};
        }
        SvgChart ch = {.title = CH[c].title, .fixed_y = CH[c].unit, .ymin = 0, .ymax = 1, .series = se,
                       .n_series = n, .markers = mk, .n_markers = nm};
        if (svg_chart_write(f, &ch) != 0) return -1;
    }
    fputs("</div>\n", f);
    return 0;
}

static const char *value_of(const RunsConfigPair *p, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].key, key)) return p[i].value;
    return NULL;
}

static void config_section(FILE *f, const Pick *p, int n) {
    fputs("<h2>Config</h2>\n", f);
    RunsConfigPair *pairs[REPORT_MAX_RUNS];
    int np[REPORT_MAX_RUNS];
    for (int i = 0; i < n; i++) np[i] = runs_config_pairs(p[i].e->run.config_text, &pairs[i]);
    if (n > 1) {
        /* keys (in the order the runs list them) whose value is not the same in every run */
        int shown = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < np[i]; k++) {
                const char *key = pairs[i][k].key;
                int seen = 0, differs = 0;
                for (int j = 0; j < i; j++) seen |= value_of(pairs[j], np[j], key) != NULL;
                const char *first = value_of(pairs[0], np[0], key);
                for (int j = 1; j < n; j++) {
                    const char *v = value_of(pairs[j], np[j], key);
                    differs |= !first || !v || strcmp(first, v) != 0;
                }
                if (seen || !differs) continue;
                if (!shown++) {
                    fputs("<h3>Keys that differ between the runs</h3>\n<table class=\"diff\"><tr><th>key</th>", f);
                    for (int j = 0; j < n; j++) {
                        fputs("<th>", f);
                        swatch(f, p[j].colour);
                        html_escape(f, p[j].label);
                        fputs("</th>", f);
                    }
                    fputs("</tr>\n", f);
                }
                fputs("<tr><td>", f);
                html_escape(f, key);
                fputs("</td>", f);
                for (int j = 0; j < n; j++) {
                    const char *v = value_of(pairs[j], np[j], key);
                    fputs("<td>", f);
                    html_escape(f, v ? v : "-");
                    fputs("</td>", f);
                }
                fputs("</tr>\n", f);
            }
        if (shown) fputs("</table>\n", f);
        else fputs("<p>The runs have the same config.</p>\n", f);
    }
    for (int i = 0; i < n; i++) {
        fprintf(f, "<details%s><summary>", n == 1 ? " open" : "");
        swatch(f, p[i].colour);
        fputs("config of ", f);
        html_escape(f, p[i].label);
        fputs("</summary><pre>", f);
        html_escape(f, p[i].e->run.config_text);
        fputs("</pre></details>\n", f);
        free(pairs[i]);
    }
}

static int events_section(FILE *f, const Pick *p, int n, char *err, size_t errlen) {
    fputs("<h2>Events</h2>\n<p>Hyperparameter changes (with the step they took effect at), pauses, checkpoints, "
          "errors.</p>\n", f);
    for (int i = 0; i < n; i++) {
        QueryEventList l;
        if (query_events(p[i].q, p[i].e->run.id, 0, &l, err, errlen) < 0) return -1;
        fputs("<h3>", f);
        swatch(f, p[i].colour);
        html_escape(f, p[i].label);
        fprintf(f, " (%d events)</h3>\n", l.n);
        if (l.n) fputs("<table class=\"ev\"><tr><th>step</th><th>event</th><th>what</th></tr>\n", f);
        for (int k = 0; k < l.n && k < EVENTS_SHOWN; k++) {
            const Event *ev = &l.items[k].ev;
            fprintf(f, "<tr class=\"%s\"><td>%d</td><td>%s</td><td>", ev->kind == EVENT_ERROR ? "err" : "", ev->step,
                    event_kind_name(ev->kind));
            if (ev->kind == EVENT_SET) {
                html_escape(f, ev->name);
                fputs(" ", f);
                html_escape(f, ev->old_value);
                fputs(" &rarr; ", f);
                html_escape(f, ev->new_value);
            } else {
                html_escape(f, ev->name);
                if (ev->name[0] && ev->detail[0]) fputs(": ", f);
                html_escape(f, ev->detail);
            }
            fputs("</td></tr>\n", f);
        }
        if (l.n) fputs("</table>\n", f);
        if (l.n > EVENTS_SHOWN)
            fprintf(f, "<p>... and %d more (the run database has them all).</p>\n", l.n - EVENTS_SHOWN);
        query_events_free(&l);
    }
    return 0;
}

static int evals_section(FILE *f, const Pick *p, int n, char *err, size_t errlen) {
    fputs("<h2>Evaluations</h2>\n<p>Held-out problems: pass@1 is the mean over k samples, cons@k the majority vote."
          "</p>\n", f);
    for (int i = 0; i < n; i++) {
        QueryEvalList l;
        if (query_evals(p[i].q, p[i].e->run.id, &l, err, errlen) < 0) return -1;
        fputs("<h3>", f);
        swatch(f, p[i].colour);
        html_escape(f, p[i].label);
        fputs("</h3>\n", f);
        if (!l.n) fputs("<p>No evaluation.</p>\n", f);
        else fputs("<table class=\"evals\"><tr><th>step</th><th>task</th><th>pass@1</th><th>cons@k</th><th>k</th>"
                   "<th>problems</th></tr>\n", f);
        for (int k = 0; k < l.n; k++) {
            fprintf(f, "<tr><td>%d</td><td>", l.items[k].step);
            html_escape(f, l.items[k].task);
            fputs("</td><td>", f);
            num(f, l.items[k].pass1);
            fputs("</td><td>", f);
            num(f, l.items[k].cons_k);
            fprintf(f, "</td><td>%d</td><td>%d</td></tr>\n", l.items[k].k, l.items[k].problems);
        }
        if (l.n) fputs("</table>\n", f);
        query_evals_free(&l);
    }
    return 0;
}

/* The first rollout of run by f's order into *out. Returns 1, 0 (none) or -1. */
static int first_rollout(Query *q, const QueryFilter *flt, QueryRollout *out, char *err, size_t errlen) {
    QueryRolloutList l;
    int got = query_rollouts(q, flt, 1, 0, &l, err, errlen);
    if (got < 0) return -1;
    if (got == 1) {
        *out = l.items[0];
        l.n = 0;   /* the strings move to *out */
    }
    query_rollouts_free(&l);
    return got;
}

static void transcript(FILE *f, const char *what, const QueryRollout *r) {
    fprintf(f, "<div class=\"tr\"><h4>%s: step %d, prompt %d, sample %d &middot; reward ", what, r->step,
            r->prompt_index, r->sample_index);
    num(f, r->reward);
    fprintf(f, " &middot; %s &middot; %d tokens%s%s</h4>\n<pre class=\"prompt\">", r->correct ? "correct" : "wrong",
            r->length, r->flags & ROLLOUT_FLAG_SELF_CORRECTION ? " &middot; self-correction" : "",
            r->flags & ROLLOUT_FLAG_REFLECTION ? " &middot; reflection" : "");
    html_escape(f, r->prompt);
    fputs("</pre><pre class=\"completion\">", f);
    html_escape(f, r->completion);
    fputs("</pre>", f);
    if (r->answer && r->answer[0]) {
        fputs("<p>expected answer: <code>", f);
        html_escape(f, r->answer);
        fputs("</code></p>", f);
    }
    fputs("</div>\n", f);
}

static int transcripts_section(FILE *f, const Pick *p, int n, char *err, size_t errlen) {
    fputs("<h2>Transcripts</h2>\n", f);
    for (int i = 0; i < n; i++) {
        fputs("<h3>", f);
        swatch(f, p[i].colour);
        html_escape(f, p[i].label);
        fputs("</h3>\n", f);
        QueryFilter flt;
        query_filter_init(&flt);
        flt.run_id = p[i].e->run.id;
        struct { const char *what; QuerySort sort; int desc; unsigned flag; } K[] = {
            {"best", QUERY_SORT_REWARD, 1, 0},
            {"worst", QUERY_SORT_REWARD, 0, 0},
            {"first self-correction (aha)", QUERY_SORT_STEP, 0, ROLLOUT_FLAG_SELF_CORRECTION},
            {"first reflection", QUERY_SORT_STEP, 0, ROLLOUT_FLAG_REFLECTION},
        };
        int any = 0, aha = 0;
        for (size_t k = 0; k < sizeof K / sizeof K[0]; k++) {
            if (K[k].flag == ROLLOUT_FLAG_REFLECTION && aha) continue;   /* an aha found: no need for the weaker one */
            flt.sort = K[k].sort;
            flt.descending = K[k].desc;
            flt.flags_mask = flt.flags_value = K[k].flag;
            QueryRollout r;
            int got = first_rollout(p[i].q, &flt, &r, err, errlen);
            if (got < 0) return -1;
            if (got == 0) {
                if (K[k].flag == ROLLOUT_FLAG_REFLECTION) fputs("<p>No rollout was flagged for self-correction or "
                                                                 "reflection.</p>\n", f);
                continue;
            }
            if (K[k].flag == ROLLOUT_FLAG_SELF_CORRECTION) aha = 1;
            transcript(f, K[k].what, &r);
            query_rollout_free(&r);
            any = 1;
        }
        if (!any) fputs("<p>No rollouts.</p>\n", f);
    }
    return 0;
}

static const char CSS[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff;max-width:1200px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:28px}"
    "h3{font-size:15px;margin:16px 0 6px}h4{font-size:13px;margin:8px 0 4px}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}tr.err td{color:#b00}"
    ".sw{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #eee}"
    ".chart .ct{font-size:13px;font-weight:600}.chart .tk,.chart .lg,.chart .mk{font-size:11px}"
    ".chart .grid{stroke:#eee}.chart .nd{font-size:14px;fill:#999}"
    "pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:6px 8px;white-space:pre-wrap;word-break:break-word;"
    "margin:2px 0}pre.prompt{color:#555}.tr{margin-bottom:14px}details{margin:6px 0}";

static int write_html(FILE *f, const Pick *p, int n, char *err, size_t errlen) {
    char now[40];
    fmt_time((double)time(NULL), now, sizeof now);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GRPO Studio report: ", f);
    for (int i = 0; i < n; i++) { if (i) fputs(", ", f); html_escape(f, p[i].label); }
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>GRPO Studio report</h1>\n<p>Made %s from ", CSS, now);
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < i; j++) dup |= !strcmp(p[j].db, p[i].db);
        if (dup) continue;
        if (i) fputs(", ", f);
        fputs("<code>", f);
        html_escape(f, p[i].db);
        fputs("</code>", f);
    }
    fprintf(f, ": %d run%s.</p>\n", n, n == 1 ? "" : "s");
    runs_table(f, p, n);
    if (charts(f, p, n) != 0) return -1;
    config_section(f, p, n);
    if (events_section(f, p, n, err, errlen) != 0 || evals_section(f, p, n, err, errlen) != 0 ||
        transcripts_section(f, p, n, err, errlen) != 0)
        return -1;
    fputs("</body></html>\n", f);
    return 0;
}

/* The runs of t that src asks for, in order, into p. Returns how many, or -1 with err. */
static int pick_runs(RunsTable *t, const ReportSource *src, int n_src, Pick *p, char *err, size_t errlen) {
    int n = 0;
    for (int d = 0; d < n_src; d++) {
        int want = src[d].n_run_ids ? src[d].n_run_ids : 0, before = n;
        for (int i = 0; i < t->n; i++) {
            if (t->items[i].db != d) continue;
            int asked = !want;
            for (int k = 0; k < want; k++) asked |= src[d].run_ids[k] == t->items[i].run.id;
            if (!asked) continue;
            if (n == REPORT_MAX_RUNS) {
                snprintf(err, errlen, "more than %d runs asked for: a report overlays at most %d (pick some with "
                         "--run ID)", REPORT_MAX_RUNS, REPORT_MAX_RUNS);
                return -1;
            }
            p[n++].e = &t->items[i];
        }
        for (int k = 0; k < want; k++) {
            int found = 0;
            for (int i = before; i < n; i++) found |= p[i].e->run.id == src[d].run_ids[k];
            if (found) continue;
            char ids[256] = "";
            size_t used = 0;
            for (int i = 0; i < t->n && used + 24 < sizeof ids; i++)
                if (t->items[i].db == d)
                    used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%lld", used ? ", " : "",
                                             (long long)t->items[i].run.id);
            snprintf(err, errlen, "%s has no run with id %lld (its runs: %s)", src[d].db, (long long)src[d].run_ids[k],
                     ids[0] ? ids : "none");
            return -1;
        }
        if (n == before) { snprintf(err, errlen, "%s holds no run", src[d].db); return -1; }
    }
    for (int i = 0; i < n; i++) {
        p[i].q = t->q[p[i].e->db];
        p[i].db = t->paths[p[i].e->db];
        p[i].colour = COLOURS[i];
        snprintf(p[i].label, sizeof p[i].label, "#%lld %s%s%s", (long long)p[i].e->run.id, p[i].e->run.name,
                 n_src > 1 ? "@" : "", n_src > 1 ? base_name(p[i].db) : "");
        if (runs_load_curves(t, (int)(p[i].e - t->items)) != 0) { snprintf(err, errlen, "%s", t->err); return -1; }
    }
    return n;
}

int report_write(const char *out, const ReportSource *src, int n_src, char *err, size_t errlen) {
    const char *paths[RUNS_MAX_DBS] = {0};
    if (n_src > RUNS_MAX_DBS) {
        snprintf(err, errlen, "%d run databases given: at most %d", n_src, RUNS_MAX_DBS);
        return -1;
    }
    for (int d = 0; d < n_src; d++) {
        if (access(src[d].db, R_OK) != 0) {
            snprintf(err, errlen, "%s: %s (expected a run database)", src[d].db, strerror(errno));
            return -1;
        }
        paths[d] = src[d].db;
    }
    RunsTable t;
    if (runs_open(&t, paths, n_src) != 0) {
        snprintf(err, errlen, "%s", t.err);
        runs_close(&t);
        return -1;
    }
    Pick p[REPORT_MAX_RUNS];
    int n = pick_runs(&t, src, n_src, p, err, errlen);
    if (n < 0) { runs_close(&t); return -1; }
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%d", out, (int)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: the path is too long", out);
        runs_close(&t);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create the report: %s", tmp, strerror(errno));
        runs_close(&t);
        return -1;
    }
    char qerr[PATH_MAX + 256] = "";
    int rc = write_html(f, p, n, qerr, sizeof qerr);
    if (rc != 0 && qerr[0]) snprintf(err, errlen, "%s", qerr);
    else if (rc != 0 || fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "%s: cannot write the report: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write the report: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, out) != 0) {
        snprintf(err, errlen, "%s: cannot put the report in place: %s", out, strerror(errno));
        rc = -1;
    }
    if (rc != 0) unlink(tmp);
    runs_close(&t);
    return rc;
}
