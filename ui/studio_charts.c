/* studio_charts.c - the Train screen's chart controls: the reading cursor, smoothing, which panel has the focus,
 * the metric picker, changes submitted but not applied yet, and (browse) the history of the run browsed, loaded
 * from its database. studio.c hands the keys here; screen_train.c draws what this sets. */
#include "ui/chart_series.h"
#include "ui/studio_internal.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The chart panels in focus order (the ones the layout shows are cycled). */
static const int CHART_PANELS[] = {TP_REWARD, TP_ACCURACY, TP_LENGTH, TP_KL, TP_ENTROPY, TP_EVAL};
enum { N_CHART_PANELS = (int)(sizeof CHART_PANELS / sizeof CHART_PANELS[0]) };

/* The steps the cursor can stand on: the run's own, and the overlaid runs' (a run shorter than another). */
static void step_range(const Studio *s, double *lo, double *hi) {
    *lo = INFINITY; *hi = -INFINITY;
    if (s->hist.n) { *lo = s->hist.step[0]; *hi = s->hist.step[s->hist.n - 1]; }
    if (!s->runs_open) return;
    for (int i = 0; i < s->runs.n; i++) {
        const RunsEntry *e = &s->runs.items[i];
        if (!e->marked || !e->curves_loaded) continue;
        for (int c = 0; c < RUNS_CURVE_COUNT; c++) {
            const RunsCurve *cv = &e->curve[c];
            if (cv->n == 0) continue;
            if (cv->x[0] < *lo) *lo = cv->x[0];
            if (cv->x[cv->n - 1] > *hi) *hi = cv->x[cv->n - 1];
        }
    }
}

static void move_cursor(Studio *s, Action a) {
    double lo, hi;
    step_range(s, &lo, &hi);
    if (!(lo <= hi)) { studio_flash(s, "no steps yet: the cursor needs a chart with data"); return; }
    double big = floor((hi - lo) / 10);
    if (big < 1) big = 1;
    if (!s->cursor_on) {   /* turning it on: at the newest step, then the move */
        s->cursor_on = 1;
        s->cursor_step = hi;
        if (a == ACT_CURSOR || a == ACT_LEFT || a == ACT_RIGHT) a = ACT_NONE;
    } else if (a == ACT_CURSOR) {
        s->cursor_on = 0;
        s->dirty |= D_CHARTS | D_STATUS;
        return;
    }
    switch (a) {
    case ACT_LEFT: s->cursor_step -= 1; break;
    case ACT_RIGHT: s->cursor_step += 1; break;
    case ACT_PAGE_UP: s->cursor_step -= big; break;
    case ACT_PAGE_DOWN: s->cursor_step += big; break;
    case ACT_TOP: s->cursor_step = lo; break;
    case ACT_BOTTOM: s->cursor_step = hi; break;
    default: break;
    }
    if (s->cursor_step < lo) s->cursor_step = lo;
    if (s->cursor_step > hi) s->cursor_step = hi;
    s->dirty |= D_CHARTS | D_STATUS;
}

/* The metric names the picker offers: the run's stored ones (its database) and the ones the trainer reported, each
 * once, sorted; "(panel's own)" first. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void picker_fill(Studio *s) {
    MetricPicker *p = &s->picker;
    query_strings_free(&p->names);
    QueryStrings stored = {0, NULL};
    if (s->br_open && s->br.q) {
        char err[256];
        int64_t run = s->browse_only ? s->hist_run : s->run_id;
        if (query_metric_names(s->br.q, run, &stored, err, sizeof err) < 0) studio_flash(s, err);
    }
    int cap = 1 + stored.n + s->hist.n_cols, n = 0;
    char **items = calloc((size_t)cap, sizeof *items);
    if (!items) { query_strings_free(&stored); return; }
    items[n++] = strdup("(panel's own)");
    for (int i = 0; i < stored.n; i++) items[n++] = strdup(stored.items[i]);
    for (int c = 0; c < s->hist.n_cols; c++)   /* the trainer's: those it has reported (not all-NaN) */
        if (s->hist.n && !isnan(chart_latest(s->hist.v[c], s->hist.n))) items[n++] = strdup(s->hist.name[c]);
    query_strings_free(&stored);
    qsort(items + 1, (size_t)(n - 1), sizeof *items, cmp_str);
    int u = 1;
    for (int i = 1; i < n; i++) {
        if (!items[i]) continue;
        if (u > 1 && items[u - 1] && !strcmp(items[u - 1], items[i])) { free(items[i]); continue; }
        items[u++] = items[i];
    }
    p->names.items = items;
    p->names.n = items[0] ? u : 0;
}

int picker_match(const Studio *s, int i) {
    const MetricPicker *p = &s->picker;
    if (i == 0 || !p->len) return 1;
    const char *name = p->names.items[i];
    for (const char *h = name; *h; h++) {   /* case-insensitive substring */
        int k = 0;
        while (k < p->len && h[k] && tolower((unsigned char)h[k]) == tolower((unsigned char)p->filter[k])) k++;
        if (k == p->len) return 1;
    }
    return 0;
}

/* Moves the selection by d matching rows (clamped). */
static void picker_move(Studio *s, int d) {
    MetricPicker *p = &s->picker;
    int step = d > 0 ? 1 : -1, left = d > 0 ? d : -d, i = p->sel;
    while (left > 0) {
        int j = i + step;
        while (j >= 0 && j < p->names.n && !picker_match(s, j)) j += step;
        if (j < 0 || j >= p->names.n) break;
        i = j;
        left--;
    }
    p->sel = i;
}

/* The selection on a matching row after the filter changed. */
static void picker_refilter(Studio *s) {
    MetricPicker *p = &s->picker;
    if (p->sel < p->names.n && picker_match(s, p->sel) && p->sel != 0) return;
    p->sel = 0;
    for (int i = 1; i < p->names.n; i++)
        if (picker_match(s, i)) { p->sel = i; break; }
}

/* Puts name in the focused panel: its history column (added, and for browse loaded already by history_load). */
static void picker_choose(Studio *s) {
    MetricPicker *p = &s->picker;
    int panel = s->chart_focus;
    if (p->sel <= 0 || p->sel >= p->names.n) {
        s->panel_metric[panel] = 0;
    } else {
        const char *name = p->names.items[p->sel];
        int col = history_find(&s->hist, name);
        if (col < 0 && s->br_open && s->br.q && s->hist.n_cols < HIST_MAX_COLS) {
            /* stored but not in the live history (logged before the studio opened, or by another process) */
            QuerySeries q = {0, NULL, NULL};
            char err[256];
            if (query_series(s->br.q, s->browse_only ? s->hist_run : s->run_id, name, -1, &q, err, sizeof err) < 0) {
                studio_flash(s, err);
                return;
            }
            col = history_add_column(&s->hist, name);
            for (int k = 0, r = 0; col >= 0 && k < q.n; k++) {   /* both by step */
                while (r < s->hist.n && s->hist.step[r] < q.steps[k]) r++;
                if (r < s->hist.n && s->hist.step[r] == q.steps[k]) s->hist.v[col][r] = q.values[k];
            }
            query_series_free(&q);
        }
        if (col < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "metric %s: no values to chart (at most %d metrics are kept)", name,
                     HIST_MAX_COLS);
            studio_flash(s, msg);
            return;
        }
        s->panel_metric[panel] = 1 + col;
    }
    p->open = 0;
    s->full_redraw = 1;
}

void picker_key(Studio *s, int key) {
    MetricPicker *p = &s->picker;
    int page = s->rows / 2 > 1 ? s->rows / 2 : 1;
    switch (keymap_lookup(KC_PICKER, key)) {
    case ACT_UP: picker_move(s, -1); break;
    case ACT_DOWN: picker_move(s, +1); break;
    case ACT_PAGE_UP: picker_move(s, -page); break;
    case ACT_PAGE_DOWN: picker_move(s, page); break;
    case ACT_APPLY: picker_choose(s); return;
    case ACT_CANCEL: p->open = 0; s->full_redraw = 1; return;
    case ACT_ERASE: if (p->len > 0) p->filter[--p->len] = 0; picker_refilter(s); break;
    case ACT_CLEAR_LINE: p->len = 0; p->filter[0] = 0; picker_refilter(s); break;
    default:
        if (key >= 32 && key < 127 && p->len < (int)sizeof p->filter - 1) {
            p->filter[p->len++] = (char)key;
            p->filter[p->len] = 0;
            picker_refilter(s);
        }
    }
    s->dirty |= D_OVERLAY | D_HINTS;
}

/* The next chart panel the layout shows, after the focused one. */
static void focus_next(Studio *s) {
    TrainLayout L;
    layout_train(s->rows, s->cols, &L);
    int at = 0;
    for (int i = 0; i < N_CHART_PANELS; i++)
        if (CHART_PANELS[i] == s->chart_focus) at = i;
    for (int k = 1; k <= N_CHART_PANELS; k++) {
        int panel = CHART_PANELS[(at + k) % N_CHART_PANELS];
        if (rect_visible(L.r[panel])) { s->chart_focus = panel; break; }
    }
}

int charts_action(Studio *s, Action a) {
    switch (a) {
    case ACT_CURSOR: case ACT_LEFT: case ACT_RIGHT: case ACT_PAGE_UP: case ACT_PAGE_DOWN: case ACT_TOP:
    case ACT_BOTTOM:
        move_cursor(s, a);
        return 1;
    case ACT_BACK:
        if (!s->cursor_on) return 0;
        s->cursor_on = 0;
        s->dirty |= D_CHARTS | D_STATUS;
        return 1;
    case ACT_SMOOTH_NEXT: case ACT_SMOOTH_PREV: {
        s->smooth = (s->smooth + (a == ACT_SMOOTH_NEXT ? 1 : CHART_SMOOTH_N - 1)) % CHART_SMOOTH_N;
        char msg[96];
        if (s->smooth) snprintf(msg, sizeof msg, "smoothing %.2g: exponential moving average, raw values faint",
                                CHART_SMOOTH_WEIGHTS[s->smooth]);
        else snprintf(msg, sizeof msg, "smoothing off: raw values");
        studio_flash(s, msg);
        s->dirty |= D_CHARTS | D_STATUS;
        return 1;
    }
    case ACT_FOCUS_NEXT:
        if (s->focus_shown) focus_next(s);   /* the first p shows where the focus is */
        s->focus_shown = 1;
        s->dirty |= D_CHARTS;
        return 1;
    case ACT_PICK_METRIC: {
        TrainLayout L;
        layout_train(s->rows, s->cols, &L);
        if (!rect_visible(L.r[s->chart_focus])) focus_next(s);
        s->focus_shown = 1;
        picker_fill(s);
        if (s->picker.names.n == 0) { studio_flash(s, "no metrics yet"); return 1; }
        s->picker.open = 1;
        s->picker.len = 0;
        s->picker.filter[0] = 0;
        s->picker.sel = 0;
        int cur = s->panel_metric[s->chart_focus] - 1;   /* start on the panel's metric */
        for (int i = 1; cur >= 0 && i < s->picker.names.n; i++)
            if (!strcmp(s->picker.names.items[i], s->hist.name[cur])) s->picker.sel = i;
        s->dirty = D_ALL;
        return 1;
    }
    default: return 0;
    }
}

void charts_add_pending(Studio *s, const char *dotted, const char *old_value, const char *new_value) {
    int i = 0;
    while (i < s->n_pending && strcmp(s->pending[i].name, dotted)) i++;   /* a second change of one key replaces */
    if (i == s->n_pending) {
        if (s->n_pending == PENDING_MAX) return;
        s->n_pending++;
        snprintf(s->pending[i].old_value, sizeof s->pending[i].old_value, "%s", old_value);
    }
    snprintf(s->pending[i].name, sizeof s->pending[i].name, "%s", dotted);
    snprintf(s->pending[i].new_value, sizeof s->pending[i].new_value, "%s", new_value);
    s->dirty |= D_CHARTS;
}

int charts_load_browse(Studio *s, int64_t run_id) {
    char err[600];
    if (!s->br_open || !s->br.q) {
        studio_flash(s, s->br_err[0] ? s->br_err : "no database open");
        return -1;
    }
    if (run_id == s->hist_run && s->hist.n) return 0;
    if (history_load(&s->hist, s->br.q, run_id, err, sizeof err) != 0) { studio_flash(s, err); return -1; }
    s->hist_run = run_id;
    s->hist_version = query_data_version(s->br.q);
    memset(s->panel_metric, 0, sizeof s->panel_metric);
    s->cursor_on = 0;
    for (int i = 0; i < s->n_marks; i++) free(s->mark_labels[i]);
    s->n_marks = 0;
    s->log_n = s->log_head = 0;
    s->step = s->hist.n ? (int)s->hist.step[s->hist.n - 1] : 0;
    s->last_eval_pass1 = s->last_eval_consk = NAN;
    s->last_eval_step = -1;
    for (int i = 0; i < s->hist.n; i++)
        if (isfinite(s->hist.v[M_EVAL_PASS1][i])) {
            s->last_eval_pass1 = s->hist.v[M_EVAL_PASS1][i];
            s->last_eval_consk = s->hist.v[M_EVAL_CONSK][i];
            s->last_eval_step = (int)s->hist.step[i];
        }
    /* the run's own configuration, for the hyperparameter panel */
    QueryRun run;
    memset(&run, 0, sizeof run);
    s->chart_parent_run = 0;
    if (query_run(s->br.q, run_id, &run, err, sizeof err) == 1) {   /* a fork: its charts mark where it branched */
        s->chart_parent_run = run.parent_run;
        s->chart_parent_step = run.parent_step;
    }
    if (run.config_text) {
        Config c;
        config_defaults(&c);
        if (config_load_string(&c, run.config_text, "the run's stored config", err, sizeof err) == 0) {
            s->cfg = c;
            editor_init(s->ed, &s->cfg);
        }
    }
    query_run_free(&run);
    /* then its changes: marks on the charts, and the values they set in the panel */
    QueryEventList ev = {0, NULL};
    if (query_events(s->br.q, run_id, 0, &ev, err, sizeof err) < 0) studio_flash(s, err);
    char flash[sizeof s->flash];   /* replaying stored events is not news: keep the hint bar as it was */
    double flash_until = s->flash_until;
    memcpy(flash, s->flash, sizeof flash);
    for (int i = 0; i < ev.n; i++) studio_log_event(s, &ev.items[i].ev);
    memcpy(s->flash, flash, sizeof flash);
    s->flash_until = flash_until;
    query_events_free(&ev);
    s->dirty = D_ALL;
    return 0;
}

void charts_reload_browse(Studio *s) {
    char picked[TP_COUNT][128];
    for (int p = 0; p < TP_COUNT; p++)
        snprintf(picked[p], sizeof picked[p], "%s", s->panel_metric[p] > 0 ? s->hist.name[s->panel_metric[p] - 1] : "");
    int cursor = s->cursor_on;
    double at = s->cursor_step;
    int64_t run = s->hist_run;
    s->hist_run = 0;
    if (charts_load_browse(s, run) != 0) return;
    for (int p = 0; p < TP_COUNT; p++)
        if (picked[p][0]) s->panel_metric[p] = 1 + history_find(&s->hist, picked[p]);   /* 0 when gone */
    s->cursor_on = cursor;
    s->cursor_step = at;
}
