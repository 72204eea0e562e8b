/* screen_runs.c - the Runs screen: every run of the database(s) in a table (id, name, parent, start, status, steps,
 * last pass@1, wall time, and the config keys that differ from the selected run), and under it the curves of the
 * marked runs overlaid, one colour per run, with a legend (the selected run's alone when none is marked): reward,
 * response length on wide terminals, and held-out pass@1 (with cons@k when one run is shown). */
#include "ui/studio_internal.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const ThemeRole SLOT_ROLE[RUNS_MAX_MARKED] = {TH_SERIES0, TH_SERIES1, TH_SERIES2,
                                                     TH_SERIES3, TH_SERIES4, TH_SERIES5};

static double now_epoch(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

static void fmt_wall(double sec, char *buf, size_t n) {
    long s = (long)sec;
    if (s >= 3600) snprintf(buf, n, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60) snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
    else snprintf(buf, n, "%lds", s);
}

/* The last two components of a checkpoint path ("base/step-000200"), or the whole text when shorter. */
static const char *short_path(const char *p) {
    if (!p || !p[0]) return "-";
    const char *end = p + strlen(p);
    while (end > p && end[-1] == '/') end--;
    int slashes = 0;
    for (const char *q = end - 1; q > p; q--)
        if (*q == '/' && ++slashes == 2) return q + 1;
    return p;
}

static const char *db_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The parent column: "run 1 @ step 100" for a fork (with " of x.db" when the parent is in another database), else
 * the checkpoint the run started from. */
static void parent_text(const QueryRun *r, char *buf, size_t n) {
    if (r->parent_run <= 0) { snprintf(buf, n, "%s", short_path(r->parent_checkpoint)); return; }
    snprintf(buf, n, "run %lld @ step %d%s%s", (long long)r->parent_run, r->parent_step,
             r->parent_db && r->parent_db[0] ? " of " : "", r->parent_db && r->parent_db[0] ? db_name(r->parent_db) : "");
}

/* The runs whose curves are drawn, in slot order: the marked ones, or the selected one alone. */
static int shown_runs(Studio *s, int *idx, int *slot) {
    int n = 0;
    for (int k = 1; k <= RUNS_MAX_MARKED; k++)
        for (int i = 0; i < s->runs.n; i++)
            if (s->runs.items[i].marked == k) { idx[n] = i; slot[n] = k - 1; n++; }
    if (n == 0 && s->runs.n > 0) {
        if (runs_load_curves(&s->runs, s->runs_sel) == 0) { idx[0] = s->runs_sel; slot[0] = 0; n = 1; }
    }
    return n;
}

/* F's line: what to type (the step, then changes) and the text typed so far, with its cursor. */
static void draw_fork_line(Studio *s, WINDOW *w, int y, int W) {
    char lead[96];
    snprintf(lead, sizeof lead, "fork run %lld - step, then changes key=value (Esc cancels): ", (long long)s->fork_run);
    if ((int)strlen(lead) + 24 > W) snprintf(lead, sizeof lead, "fork #%lld: ", (long long)s->fork_run);
    wattrset(w, theme_attr(TH_TITLE));
    put_clipped(w, y, 2, W - 2, lead);
    int x = 2 + (int)strlen(lead);
    wattrset(w, theme_attr(TH_VALUE));
    if (x < W) put_clipped(w, y, x, W - x, s->prompt_buf);
    if (x + s->prompt_cur < W) {
        wattrset(w, A_REVERSE);
        mvwaddch(w, y, x + s->prompt_cur,
                 s->prompt_cur < s->prompt_len ? (chtype)(unsigned char)s->prompt_buf[s->prompt_cur] : ' ');
    }
    wattrset(w, A_NORMAL);
}

static void draw_table(Studio *s, WINDOW *w, const int *idx, const int *slot, int n_shown) {
    int H = getmaxy(w), W = getmaxx(w) - 2;
    werase(w);
    char title[128];
    snprintf(title, sizeof title, "runs (%d)  Space marks runs to overlay their curves", s->runs.n);
    theme_box(w, title);
    int multi = s->runs.n_dbs > 1;
    char head[512], line[2048];
    int pw = 18;   /* the parent column; wider when a fork's parent is in another database */
    for (int i = 0; i < s->runs.n; i++)
        if (s->runs.items[i].run.parent_db && s->runs.items[i].run.parent_db[0]) pw = 30;
    snprintf(head, sizeof head, "  %s%4s %-14s %-*s %-16s %-7s %6s %6s %7s  %s", multi ? "database     " : "", "id",
             "name", pw, "parent", "start", "status", "steps", "pass@1", "wall", "differs from the selected run");
    wattrset(w, theme_attr(TH_LABEL) | A_BOLD);
    put_clipped(w, 1, 1, W, head);
    wattrset(w, A_NORMAL);
    const RunsEntry *fe = s->fork_cmd[0] && s->runs_sel < s->runs.n ? &s->runs.items[s->runs_sel] : NULL;
    int show_fork = fe && fe->run.id == s->fork_run && fe->db == s->fork_db;   /* F's command, for the selected run */
    int asking = show_fork && s->prompt == 'F';   /* and F's line above it while it is typed */
    int rows = H - 4 - show_fork - asking;   /* box, header, legend (and the fork line and command) */
    if (rows < 1) rows = 1;
    if (s->runs_sel < s->runs_scroll) s->runs_scroll = s->runs_sel;
    if (s->runs_sel >= s->runs_scroll + rows) s->runs_scroll = s->runs_sel - rows + 1;
    if (s->runs.n == 0) {
        wattrset(w, theme_attr(TH_DIM));
        put_clipped(w, 2, 3, W - 2, "no run yet: the database holds no run (one just starting shows up here)");
        wattrset(w, A_NORMAL);
    }
    const RunsEntry *sel = s->runs.n ? &s->runs.items[s->runs_sel] : NULL;
    double now = now_epoch();
    for (int r = 0; r < rows && s->runs_scroll + r < s->runs.n; r++) {
        int i = s->runs_scroll + r;
        const RunsEntry *e = &s->runs.items[i];
        char start[32], wall[32], p1[16], steps[16], diff[1024], dbcol[32] = "", parent[320];
        time_t st = (time_t)e->run.start_time;
        struct tm tm;
        localtime_r(&st, &tm);
        strftime(start, sizeof start, "%Y-%m-%d %H:%M", &tm);
        fmt_wall(runs_wall_time(e, now), wall, sizeof wall);
        if (isnan(e->pass1)) snprintf(p1, sizeof p1, "-");
        else snprintf(p1, sizeof p1, "%.3f", e->pass1);
        snprintf(steps, sizeof steps, "%d", e->run.steps < 0 ? 0 : e->run.steps);
        if (i == s->runs_sel) snprintf(diff, sizeof diff, "(selected)");
        else if (runs_config_diff(sel->run.config_text, e->run.config_text, diff, sizeof diff) == 0)
            snprintf(diff, sizeof diff, "same config");
        if (multi) snprintf(dbcol, sizeof dbcol, "%-12.12s ", db_name(s->runs.paths[e->db]));
        parent_text(&e->run, parent, sizeof parent);
        snprintf(line, sizeof line, "  %s%4lld %-14.14s %-*.*s %-16s %-7.7s %6s %6s %7s  %s", dbcol,
                 (long long)e->run.id, e->run.name, pw, pw, parent, start, e->run.status, steps, p1, wall, diff);
        wattrset(w, i == s->runs_sel ? theme_attr(TH_SELECTED) : A_NORMAL);
        if (i == s->runs_sel) mvwhline(w, 2 + r, 1, ' ', W);
        put_clipped(w, 2 + r, 1, W, line);
        if (e->marked) {   /* the run's colour in the first column */
            wattrset(w, theme_attr(SLOT_ROLE[e->marked - 1]) | (i == s->runs_sel ? A_REVERSE : 0));
            mvwaddstr(w, 2 + r, 1, s->utf8 ? "\xe2\x96\xa0" : "#");
        }
    }
    if (asking) draw_fork_line(s, w, H - 4, W);
    if (show_fork) {   /* the command, or why Enter refused the line */
        char fl[PATH_MAX + 700];
        if (asking && s->fork_err[0]) snprintf(fl, sizeof fl, "refused: %s", s->fork_err);
        else snprintf(fl, sizeof fl, "fork at step %d %s: %s", s->fork_step,
                      asking ? "(Enter starts it here)" : "(to copy)", s->fork_cmd);
        wattrset(w, asking && s->fork_err[0] ? theme_attr(TH_FAILED) | A_BOLD : theme_attr(TH_LABEL) | A_BOLD);
        put_clipped(w, H - 3, 2, W - 1, fl);
    }
    /* legend: which colour is which run */
    wattrset(w, theme_attr(TH_LABEL));
    int x = 2;
    const char *lead = runs_marked(&s->runs) ? "overlaid:" : "shown (mark with Space to overlay):";
    put_clipped(w, H - 2, x, W - 1, lead);
    x += (int)strlen(lead) + 1;
    for (int k = 0; k < n_shown && x < W; k++) {
        const RunsEntry *e = &s->runs.items[idx[k]];
        char item[128];
        snprintf(item, sizeof item, "%s #%lld %s%s%s ", s->utf8 ? "\xe2\x96\xa0" : "#", (long long)e->run.id,
                 e->run.name, multi ? "@" : "", multi ? db_name(s->runs.paths[e->db]) : "");
        wattrset(w, theme_attr(SLOT_ROLE[slot[k]]) | A_BOLD);
        put_clipped(w, H - 2, x, W - x, item);
        x += (int)strlen(item) - (s->utf8 ? 2 : 0);
    }
    wattrset(w, A_NORMAL);
}

/* One chart of curve c for the shown runs (and cons@k beside pass@1 when one run is shown). */
static void draw_curves(Studio *s, WINDOW *w, const char *name, int c, const int *idx, const int *slot, int n) {
    werase(w);
    ChartSpec sp;
    memset(&sp, 0, sizeof sp);
    sp.utf8 = s->utf8;
    /* Series i of the chart takes colour slot[i]: the chart colours series by index, so runs keep their colour by
     * filling the unused indices with empty series. */
    int top = 0;
    for (int k = 0; k < n; k++) {
        const RunsCurve *cv = &s->runs.items[idx[k]].curve[c];
        sp.series[slot[k]] = (ChartSeries){cv->x, cv->y, NULL, NULL, cv->n};
        if (slot[k] + 1 > top) top = slot[k] + 1;
    }
    char title[160];
    snprintf(title, sizeof title, "%s", name);
    if (c == RUNS_CURVE_PASS1 || c == RUNS_CURVE_ACCURACY) { sp.fixed_range = 1; sp.ymin = 0; sp.ymax = 1; }
    if (c == RUNS_CURVE_PASS1 && n == 1 && slot[0] == 0) {
        const RunsCurve *ck = &s->runs.items[idx[0]].curve[RUNS_CURVE_CONSK];
        sp.series[1] = (ChartSeries){ck->x, ck->y, NULL, NULL, ck->n};
        if (top < 2) top = 2;
        const RunsEntry *e = &s->runs.items[idx[0]];
        char a[16] = "-", b[16] = "-";
        if (!isnan(e->pass1)) snprintf(a, sizeof a, "%.3f", e->pass1);
        if (!isnan(e->cons_k)) snprintf(b, sizeof b, "%.3f", e->cons_k);
        snprintf(title, sizeof title, "held-out pass@1 %s %s cons@%d %s", a, s->utf8 ? "\xc2\xb7" : "|",
                 e->eval_k, b);
    }
    sp.n_series = top;
    theme_box(w, title);
    draw_chart(s, w, &sp);
}

void screen_runs_draw(Studio *s, unsigned d) {
    WINDOW *body = studio_full_body(s, d);
    if (!body) return;
    wnoutrefresh(body);
    FullLayout L;
    layout_full(s->rows, s->cols, &L);
    Rect B = L.body;
    if (!s->runs_open) {
        put_clipped(body, 1, 2, B.w - 4, s->runs_err[0] ? s->runs_err : "no run database");
        wnoutrefresh(body);
        return;
    }
    int idx[RUNS_MAX_MARKED], slot[RUNS_MAX_MARKED];
    int n = shown_runs(s, idx, slot);
    int table_h = s->runs.n + 4 + (s->fork_cmd[0] != 0) + (s->prompt == 'F');
    int max_table = B.h - 8 >= 5 ? B.h - 8 : 5;   /* charts keep at least 8 rows when there are many runs */
    if (table_h > max_table) table_h = max_table;
    if (table_h < 5) table_h = 5;
    if (table_h > B.h) table_h = B.h;
    Rect tr = {B.y, B.x, table_h, B.w};
    WINDOW *w;
    if ((w = studio_win(s, W_RUNS_TABLE, tr))) { draw_table(s, w, idx, slot, n); wnoutrefresh(w); }
    int ch = B.h - table_h;
    if (ch < 6 || n == 0) return;
    static const struct { const char *name; int c; } CH3[] = {
        {"reward", RUNS_CURVE_REWARD}, {"length", RUNS_CURVE_LENGTH}, {"held-out pass@1", RUNS_CURVE_PASS1}};
    static const struct { const char *name; int c; } CH2[] = {
        {"reward", RUNS_CURVE_REWARD}, {"held-out pass@1", RUNS_CURVE_PASS1}};
    int k = B.w >= 150 ? 3 : 2;
    for (int i = 0; i < k; i++) {
        int x0 = B.x + B.w * i / k, x1 = B.x + B.w * (i + 1) / k;
        Rect r = {B.y + table_h, x0, ch, x1 - x0};
        if ((w = studio_win(s, W_RUNS_CHART0 + i, r))) {
            draw_curves(s, w, k == 3 ? CH3[i].name : CH2[i].name, k == 3 ? CH3[i].c : CH2[i].c, idx, slot, n);
            wnoutrefresh(w);
        }
    }
}
