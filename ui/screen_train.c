/* screen_train.c - the Train screen: status bar, reward / accuracy / length (and KL, entropy) charts, metrics table,
 * hyperparameter panel, the live trace, the event log, hints; and the hyperparameter editor drawn over it.
 * Also the drawing helpers the other screens share (draw_chart, draw_text). */
#include "ui/studio_internal.h"
#include "core/memory.h"
#include "ui/chart_series.h"
#include "ui/progress.h"
#include "ui/transcript.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers ---------------------------------------------------------------------------------------------- */

static attr_t chart_attr(int kind) {
    switch (kind) {
    case CHART_AXIS: return theme_attr(TH_AXIS);
    case CHART_LABEL: return theme_attr(TH_LABEL);
    case CHART_BAND: return theme_attr(TH_BAND);
    case CHART_SERIES0: return theme_attr(TH_SERIES0);
    case CHART_SERIES1: return theme_attr(TH_SERIES1);
    case CHART_SERIES2: return theme_attr(TH_SERIES2);
    case CHART_MARK: return theme_attr(TH_MARK);
    case CHART_SERIES3: return theme_attr(TH_SERIES3);
    case CHART_SERIES4: return theme_attr(TH_SERIES4);
    case CHART_SERIES5: return theme_attr(TH_SERIES5);
    case CHART_CURSOR: return theme_attr(TH_CURSOR);
    case CHART_PENDING: return theme_attr(TH_PENDING);
    default:
        if (kind >= CHART_RAW0 && kind <= CHART_RAW5) {   /* raw values under a smoothed line: its colour, faint */
            static const ThemeRole ROLE[CHART_MAX_SERIES] = {TH_SERIES0, TH_SERIES1, TH_SERIES2, TH_SERIES3,
                                                             TH_SERIES4, TH_SERIES5};
            return (theme_attr(ROLE[kind - CHART_RAW0]) & ~A_BOLD) | A_DIM;
        }
        return A_NORMAL;
    }
}

/* Renders spec into the inside of w (a boxed panel) and prints it cell by cell, one attribute run at a time. */
void draw_chart(Studio *s, WINDOW *w, const ChartSpec *spec) {
    int h = getmaxy(w) - 2, wd = getmaxx(w) - 2;
    if (chart_render(&s->grid, wd, h, spec) != 0) return;
    for (int r = 0; r < s->grid.h; r++) {
        wmove(w, 1 + r, 1);
        int kind = -1;
        char run[1024];
        size_t k = 0;
        for (int c = 0; c < s->grid.w; c++) {
            const ChartCell *cell = chart_cell(&s->grid, r, c);
            if (cell->kind != kind || k + 8 >= sizeof run) {
                if (k) { run[k] = 0; waddstr(w, run); k = 0; }
                kind = cell->kind;
                wattrset(w, chart_attr(kind));
            }
            size_t l = strlen(cell->text);
            memcpy(run + k, cell->text, l);
            k += l;
        }
        if (k) { run[k] = 0; waddstr(w, run); }
    }
    wattrset(w, A_NORMAL);
}

static attr_t role_attr(int role) {
    switch (role) {
    case TR_PROMPT: return theme_attr(TH_DIM);
    case TR_THINK: return theme_attr(TH_THINK);
    case TR_ANSWER: return theme_attr(TH_ANSWER);
    case TR_TAG: return theme_attr(TH_TAG);
    case TR_REFLECT: return theme_attr(TH_REFLECT);
    case TR_MATCH: return theme_attr(TH_MATCH);
    default: return theme_attr(TH_NORMAL);
    }
}

int draw_text(WINDOW *w, int y0, int x0, int height, int width, const char *text, size_t len, size_t prompt_len,
              const char *search, int skip) {
    if (width < 1 || !text) return 0;
    int n = transcript_wrap(text, len, width, NULL, 0);
    if (height <= 0) return n;
    TextLine *lines = malloc((size_t)(n ? n : 1) * sizeof *lines);
    unsigned char *roles = malloc(len ? len : 1);
    if (!lines || !roles) { free(lines); free(roles); return n; }
    transcript_wrap(text, len, width, lines, n);
    transcript_roles(text, len, prompt_len, search, roles);
    for (int i = 0; i < height && skip + i < n; i++) {
        const TextLine *L = &lines[skip + i];
        wmove(w, y0 + i, x0);
        int j = 0;
        while (j < L->len) {
            int role = roles[L->start + j], e = j;
            while (e < L->len && roles[L->start + e] == role) e++;
            wattrset(w, role_attr(role));
            /* control characters other than the newlines wrap removed would move the cursor: show them as '?' */
            char tmp[512];
            int m = 0;
            for (int k = j; k < e; k++) {
                unsigned char c = (unsigned char)text[L->start + k];
                tmp[m++] = c < 32 || c == 127 ? '?' : (char)c;
                if (m == (int)sizeof tmp - 1) { tmp[m] = 0; waddstr(w, tmp); m = 0; }
            }
            tmp[m] = 0;
            waddstr(w, tmp);
            j = e;
        }
    }
    wattrset(w, A_NORMAL);
    free(lines);
    free(roles);
    return n;
}

/* ---- charts --------------------------------------------------------------------------------------------------- */

static double latest(const Studio *s, int m) { return s->hist.n ? chart_latest(s->hist.v[m], s->hist.n) : NAN; }

/* What a title shows of column m: its latest value, or with the cursor on, its value at the cursor's step. */
static double shown(const Studio *s, int m) {
    if (!s->cursor_on) return latest(s, m);
    return chart_value_at(s->hist.step, s->hist.v[m], s->hist.n, s->cursor_step, NULL);
}

/* A value for a title: "-" until there is one. */
static char *tv(double v, int width, char *buf, size_t n) {
    if (isnan(v)) { snprintf(buf, n, "-"); return buf; }
    return chart_format(v, width, buf, n);
}

/* A chart title's head: the focus mark on the panel `m` fills (once p or m was used), the name, and the cursor's
 * step when it is on. */
static void title_head(const Studio *s, int panel, const char *name, char *buf, size_t n) {
    const char *focus = panel == s->chart_focus && s->focus_shown ? (s->utf8 ? "\xe2\x96\xb8 " : "> ") : "";
    if (s->cursor_on) snprintf(buf, n, "%s%s @%.0f", focus, name, s->cursor_step);
    else snprintf(buf, n, "%s%s", focus, name);
}

/* Grows the scratch arrays to n values each. Returns 0 or -1 (out of memory; they keep what they had). */
static int scratch_reserve(TrainScratch *sc, int n) {
    if (n <= sc->cap) return 0;
    int cap = n * 2;
    double **arrs[5 + CHART_MAX_SERIES] = {&sc->lo, &sc->hi, &sc->ex, &sc->ep, &sc->ec};
    for (int i = 0; i < CHART_MAX_SERIES; i++) arrs[5 + i] = &sc->smooth[i];
    for (int i = 0; i < 5 + CHART_MAX_SERIES; i++) {
        double *a = realloc(*arrs[i], (size_t)cap * sizeof *a);
        if (!a) return -1;
        *arrs[i] = a;
    }
    sc->cap = cap;
    return 0;
}

static int overlay_runs(const Studio *s, int *idx);

/* Fork marks: the charted run's, then each overlaid run's that is a fork, at its parent's step, labelled "fork of run
 * N @ S" (short "fork N@S"); one mark per parent and step. Writes steps into x; returns how many. */
static int fork_marks(Studio *s, double *x) {
    TrainScratch *sc = &s->scratch;
    int64_t run[FORK_MARKS_MAX];
    int step[FORK_MARKS_MAX], n = 0, idx[FORK_MARKS_MAX];
    if (s->chart_parent_run > 0) { run[n] = s->chart_parent_run; step[n++] = s->chart_parent_step; }
    int k = overlay_runs(s, idx);
    for (int i = 0; i < k && n < FORK_MARKS_MAX; i++) {
        const QueryRun *r = &s->runs.items[idx[i]].run;
        if (r->parent_run <= 0) continue;
        int seen = 0;
        for (int j = 0; j < n; j++) seen |= run[j] == r->parent_run && step[j] == r->parent_step;
        if (!seen) { run[n] = r->parent_run; step[n++] = r->parent_step; }
    }
    for (int i = 0; i < n; i++) {
        x[i] = step[i];
        snprintf(sc->fork_label[i], sizeof sc->fork_label[i], "fork of run %lld @ %d", (long long)run[i], step[i]);
        snprintf(sc->fork_short[i], sizeof sc->fork_short[i], "fork %lld@%d", (long long)run[i], step[i]);
    }
    return n;
}

/* The change marks drawn on every chart: the applied ones (their SET events), then the ones submitted and not
 * applied yet, at the step they will take effect, then where the forks charted branch off their parents. */
static void add_marks(Studio *s, ChartSpec *sp) {
    TrainScratch *sc = &s->scratch;
    double fork_x[FORK_MARKS_MAX];
    int n_fork = fork_marks(s, fork_x);
    int n = s->n_marks + s->n_pending + n_fork;
    if (n > sc->mark_cap) {
        int cap = n * 2;
        double *x = realloc(sc->mark_x, (size_t)cap * sizeof *x);
        if (x) sc->mark_x = x;
        const char **l = x ? realloc(sc->mark_label, (size_t)cap * sizeof *l) : NULL;
        if (l) sc->mark_label = l;
        const char **sh = l ? realloc(sc->mark_short, (size_t)cap * sizeof *sh) : NULL;
        if (sh) sc->mark_short = sh;
        unsigned char *p = sh ? realloc(sc->mark_pending, (size_t)cap) : NULL;
        if (p) { sc->mark_pending = p; sc->mark_cap = cap; }
    }
    if (n > sc->mark_cap) {   /* out of memory: the applied marks without labels */
        sp->marks = s->marks;
        sp->n_marks = s->n_marks;
        return;
    }
    for (int i = 0; i < s->n_marks; i++) {
        sc->mark_x[i] = s->marks[i];
        sc->mark_label[i] = s->mark_labels[i];
        sc->mark_short[i] = NULL;
        sc->mark_pending[i] = 0;
    }
    for (int k = 0; k < s->n_pending; k++) {
        const PendingSet *p = &s->pending[k];
        int i = s->n_marks + k;
        sc->mark_x[i] = s->step + 1;
        sc->mark_label[i] = chart_mark_label(p->name, p->old_value, p->new_value, 1, sc->pending_label[k],
                                             sizeof sc->pending_label[k]);
        sc->mark_short[i] = NULL;
        sc->mark_pending[i] = 1;
    }
    for (int k = 0; k < n_fork; k++) {
        int i = s->n_marks + s->n_pending + k;
        sc->mark_x[i] = fork_x[k];
        sc->mark_label[i] = sc->fork_label[k];
        sc->mark_short[i] = sc->fork_short[k];
        sc->mark_pending[i] = 0;
    }
    sp->marks = sc->mark_x;
    sp->mark_labels = sc->mark_label;
    sp->mark_short = sc->mark_short;
    sp->mark_pending = sc->mark_pending;
    sp->n_marks = n;
}

static ChartSpec base_spec(Studio *s) {
    ChartSpec sp;
    memset(&sp, 0, sizeof sp);
    sp.utf8 = s->utf8;
    add_marks(s, &sp);
    sp.has_cursor = s->cursor_on;
    sp.cursor_x = s->cursor_step;
    return sp;
}

/* Smoothing, the last thing before drawing: each line becomes its moving average over its raw values (faint). */
static void smooth_spec(Studio *s, ChartSpec *sp) {
    double w = CHART_SMOOTH_WEIGHTS[s->smooth];
    if (w <= 0) return;
    int need = 0;
    for (int i = 0; i < sp->n_series; i++)
        if (sp->series[i].n > need) need = sp->series[i].n;
    if (scratch_reserve(&s->scratch, need) != 0) return;
    for (int i = 0; i < sp->n_series; i++) {
        ChartSeries *se = &sp->series[i];
        if (!se->y || se->n == 0) continue;
        chart_ema(se->y, se->n, w, s->scratch.smooth[i]);
        sp->raw[i] = se->y;
        se->y = s->scratch.smooth[i];
    }
}

/* ---- other runs overlaid (marked on the Runs screen) ----------------------------------------------------------- */

enum { OVERLAY_FIRST = 3, OVERLAY_MAX = CHART_MAX_SERIES - OVERLAY_FIRST };

/* The marked runs other than the one charted, in mark order (at most OVERLAY_MAX). */
static int overlay_runs(const Studio *s, int *idx) {
    if (!s->runs_open) return 0;
    int64_t own = s->browse_only ? s->hist_run : s->run_id;
    int n = 0;
    for (int k = 1; k <= RUNS_MAX_MARKED && n < OVERLAY_MAX; k++)
        for (int i = 0; i < s->runs.n && n < OVERLAY_MAX; i++) {
            const RunsEntry *e = &s->runs.items[i];
            int self = e->run.id == own && !strcmp(s->runs.paths[e->db], s->db_path);
            if (e->marked == k && !self && e->curves_loaded) idx[n++] = i;
        }
    return n;
}

/* Adds the marked runs' curve c to sp as series OVERLAY_FIRST.. (their own colours). */
static void add_overlays(const Studio *s, ChartSpec *sp, int c) {
    int idx[OVERLAY_MAX], n = overlay_runs(s, idx);
    for (int k = 0; k < n; k++) {
        const RunsCurve *cv = &s->runs.items[idx[k]].curve[c];
        sp->series[OVERLAY_FIRST + k] = (ChartSeries){cv->x, cv->y, NULL, NULL, cv->n};
    }
    if (n) sp->n_series = OVERLAY_FIRST + n;
}

/* The legend of the overlaid runs of curve c on the bottom border of w: "■ #1 name" in each run's colour, and with
 * the cursor on, each run's value at its step. */
/* Returns the column after the legend (2 when there is none). */
static int overlay_legend(const Studio *s, WINDOW *w, int c) {
    static const ThemeRole ROLE[OVERLAY_MAX] = {TH_SERIES3, TH_SERIES4, TH_SERIES5};
    int idx[OVERLAY_MAX], n = overlay_runs(s, idx), W = getmaxx(w), x = 2;
    for (int k = 0; k < n && x < W - 4; k++) {
        const RunsEntry *e = &s->runs.items[idx[k]];
        char item[128], v[16] = "";
        if (s->cursor_on) {
            const RunsCurve *cv = &e->curve[c];
            double val = chart_value_at(cv->x, cv->y, cv->n, s->cursor_step, NULL);
            v[0] = ' ';
            tv(val, 6, v + 1, sizeof v - 1);
        }
        snprintf(item, sizeof item, " %s #%lld %s%s ", s->utf8 ? "\xe2\x96\xa0" : "#", (long long)e->run.id,
                 e->run.name, v);
        wattrset(w, theme_attr(ROLE[k]) | A_BOLD);
        put_clipped(w, getmaxy(w) - 1, x, W - 2 - x, item);
        x += (int)strlen(item) - (s->utf8 ? 2 : 0);
    }
    wattrset(w, A_NORMAL);
    return x;
}

/* The rewards a rollout can get with the weights in force: accuracy, format and language components are each in
 * [0, 1] (weights are >= 0), and overlong shaping can take up to the penalty away. */
static void reward_bounds(Studio *s, double *lo, double *hi) {
    static const char *const W[] = {"reward.accuracy", "reward.format", "reward.language"};
    char v[64];
    *hi = 0;
    for (int i = 0; i < 3; i++) {
        if (s->t) trainer_get(s->t, W[i], v, sizeof v);
        else v[0] = 0;
        double x = v[0] ? atof(v) : i == 0 ? s->cfg.reward.accuracy : i == 1 ? s->cfg.reward.format : s->cfg.reward.language;
        if (x > 0) *hi += x;
    }
    *lo = 0;
    if (s->t) {
        trainer_get(s->t, "grpo.overlong_buffer", v, sizeof v);
        if (atoi(v) > 0) { trainer_get(s->t, "grpo.overlong_penalty", v, sizeof v); *lo = -fabs(atof(v)); }
    } else if (s->cfg.grpo.overlong_buffer > 0) *lo = -fabs(s->cfg.grpo.overlong_penalty);
}

/* The first step of the history whose self-correction rate is above 0 (core/reward.h: a wrong candidate the model's
 * own check rejected, then a right answer), or -1. */
static double first_self_correction(const History *h) {
    for (int i = 0; i < h->n; i++)
        if (h->v[M_SELF_CORRECTION][i] > 0) return h->step[i];
    return -1;
}

/* On the bottom border of the reward chart just drawn (s->grid), under the step where self-correction first
 * appears: a mark, and when there is room "first self-correction N". */
static void mark_first_self_correction(Studio *s, WINDOW *w, int legend_end) {
    double step = first_self_correction(&s->hist);
    const ChartGrid *g = &s->grid;
    if (step < 0 || !g->has_data || g->plot_w < 2 || !(g->xmax > g->xmin)) return;
    int col = g->plot_x + (int)lround((step - g->xmin) / (g->xmax - g->xmin) * (g->plot_w - 1));
    int W = getmaxx(w), x = 1 + col;
    if (x < 1 || x >= W - 1 || x < legend_end) return; /* never over the legend of overlaid runs */
    char label[64];
    snprintf(label, sizeof label, "%s first self-correction %d", s->utf8 ? "\xe2\x96\xb2" : "^", (int)step);
    int cols = (int)strlen(label) - (s->utf8 ? 2 : 0);
    wattrset(w, theme_attr(TH_REFLECT));
    if (x + cols < W - 1) put_clipped(w, getmaxy(w) - 1, x, cols, label);
    else put_clipped(w, getmaxy(w) - 1, x, 1, label);
    wattrset(w, A_NORMAL);
}

static void draw_reward(Studio *s, WINDOW *w, int panel, int with_accuracy) {
    const History *h = &s->hist;
    ChartSpec sp = base_spec(s);
    TrainScratch *sc = &s->scratch;
    char title[160], head[64], a[16], b[16], c[16];
    int have_band = h->n && scratch_reserve(sc, h->n) == 0;
    double rlo, rhi;
    reward_bounds(s, &rlo, &rhi);
    if (have_band)   /* mean +- std, clipped to the rewards that are possible: the band never promises more */
        for (int i = 0; i < h->n; i++) {
            double m = h->v[M_REWARD][i], sd = h->v[M_REWARD_STD][i];
            sc->lo[i] = isfinite(sd) ? fmax(m - sd, fmin(rlo, m)) : NAN;
            sc->hi[i] = isfinite(sd) ? fmin(m + sd, fmax(rhi, m)) : NAN;
        }
    sp.n_series = with_accuracy ? 2 : 1;
    sp.series[0] = (ChartSeries){h->step, h->v[M_REWARD], have_band ? sc->lo : NULL, have_band ? sc->hi : NULL, h->n};
    if (with_accuracy) sp.series[1] = (ChartSeries){h->step, h->v[M_ACCURACY], NULL, NULL, h->n};
    add_overlays(s, &sp, RUNS_CURVE_REWARD);
    title_head(s, panel, "reward", head, sizeof head);
    snprintf(title, sizeof title, "%s %s %s%s", head, tv(shown(s, M_REWARD), 6, a, sizeof a),
             s->utf8 ? "\xc2\xb1" : "+-", tv(shown(s, M_REWARD_STD), 5, b, sizeof b));
    if (with_accuracy) {
        size_t l = strlen(title);
        snprintf(title + l, sizeof title - l, " %s acc %s", s->utf8 ? "\xc2\xb7" : "|",
                 tv(shown(s, M_ACCURACY), 5, c, sizeof c));
    }
    theme_box(w, title);
    smooth_spec(s, &sp);
    draw_chart(s, w, &sp);
    mark_first_self_correction(s, w, overlay_legend(s, w, RUNS_CURVE_REWARD));
}

/* The overlaid curve that matches history column m, or -1. */
static int overlay_curve_of(int m) {
    return m == M_LENGTH ? RUNS_CURVE_LENGTH : m == M_ACCURACY ? RUNS_CURVE_ACCURACY : m == M_REWARD ? RUNS_CURVE_REWARD
         : -1;
}

/* A chart of history column m (with the band m_lo..m_hi and a second line m2 when >= 0); suffix: more title text
 * after the values, or NULL */
static void draw_series_chart(Studio *s, WINDOW *w, int panel, const char *name, int m, int m_lo, int m_hi, int m2,
                              int fixed01, const char *suffix) {
    const History *h = &s->hist;
    ChartSpec sp = base_spec(s);
    sp.n_series = m2 >= 0 ? 2 : 1;
    sp.series[0] = (ChartSeries){h->step, h->v[m], m_lo >= 0 ? h->v[m_lo] : NULL, m_hi >= 0 ? h->v[m_hi] : NULL,
                                 h->n};
    if (m2 >= 0) sp.series[1] = (ChartSeries){h->step, h->v[m2], NULL, NULL, h->n};
    if (fixed01) { sp.fixed_range = 1; sp.ymin = 0; sp.ymax = 1; }
    int curve = overlay_curve_of(m);
    if (curve >= 0) add_overlays(s, &sp, curve);
    char title[192], head[160], a[16], b[16], c[16];
    title_head(s, panel, name, head, sizeof head);
    snprintf(title, sizeof title, "%s %s", head, tv(shown(s, m), 6, a, sizeof a));
    if (m_lo >= 0 && m_hi >= 0) {
        size_t l = strlen(title);
        snprintf(title + l, sizeof title - l, " [%s..%s]", tv(shown(s, m_lo), 5, a, sizeof a),
                 tv(shown(s, m_hi), 5, b, sizeof b));
    }
    if (m2 >= 0) {
        size_t l = strlen(title);
        snprintf(title + l, sizeof title - l, " %s %s %s", s->utf8 ? "\xc2\xb7" : "|", h->name[m2],
                 tv(shown(s, m2), 5, c, sizeof c));
    }
    if (suffix) {
        size_t l = strlen(title);
        snprintf(title + l, sizeof title - l, "%s", suffix);
    }
    theme_box(w, title);
    smooth_spec(s, &sp);
    draw_chart(s, w, &sp);
    if (curve >= 0) overlay_legend(s, w, curve);
}

/* The variant chart's views beyond the panel's own (CHART_VIEWS - 1 of them): a series (with a min..max band), a
 * second series on the same axis, and a metric shown only in the title. */
typedef struct { const char *name; int m, m_lo, m_hi, m2, m_title; int fixed01; } ChartView;
static const ChartView VIEWS[CHART_VIEWS - 1] = {
    {"clip_low", M_CLIP_LOW, -1, -1, M_CLIP_HIGH, M_CLIP_DELTA, 0},
    {"seq ratio", M_SEQ_RATIO_MEAN, M_SEQ_RATIO_MIN, M_SEQ_RATIO_MAX, -1, -1, 0},
    {"groups dropped", M_GROUPS_DROPPED, -1, -1, -1, M_PROMPTS_DRAWN, 1},
    {"entropy_masked", M_ENTROPY_MASKED, -1, -1, M_MASKED_TRUNCATED, -1, 1},
    {"reward_overlong", M_REWARD_OVERLONG, -1, -1, -1, M_TRUNCATED, 0},
};

/* The variant chart: the panel's own (view 0) or one of VIEWS, its title saying which view of how many. */
static void draw_variant_chart(Studio *s, WINDOW *w, int panel, int own_entropy) {
    if (s->chart_view == 0) {
        if (own_entropy) draw_series_chart(s, w, panel, "entropy", M_ENTROPY, -1, -1, M_CLIP, 0, NULL);
        else draw_series_chart(s, w, panel, "length", M_LENGTH, M_LENGTH_MIN, M_LENGTH_MAX, -1, 0, NULL);
        return;
    }
    const ChartView *v = &VIEWS[s->chart_view - 1];
    char extra[96], a[16];
    int n = 0;
    if (v->m_title >= 0)
        n = snprintf(extra, sizeof extra, " %s %s %s", s->utf8 ? "\xc2\xb7" : "|", STUDIO_METRIC_NAMES[v->m_title],
                     tv(shown(s, v->m_title), 5, a, sizeof a));
    snprintf(extra + n, sizeof extra - n, "  (v %d/%d)", s->chart_view + 1, CHART_VIEWS);
    draw_series_chart(s, w, panel, v->name, v->m, v->m_lo, v->m_hi, v->m2, v->fixed01, extra);
}

/* The held-out evaluations: pass@1 (mean over k samples) and cons@k (majority vote) at the steps that evaluated,
 * joined point to point (the history holds NaN at the steps between evaluations, which would draw lone dots). */
static void draw_eval(Studio *s, WINDOW *w, int panel) {
    const History *h = &s->hist;
    TrainScratch *sc = &s->scratch;
    int n = 0;
    if (scratch_reserve(sc, h->n) == 0)
        for (int i = 0; i < h->n; i++) {
            if (!isfinite(h->v[M_EVAL_PASS1][i])) continue;
            sc->ex[n] = h->step[i];
            sc->ep[n] = h->v[M_EVAL_PASS1][i];
            sc->ec[n] = h->v[M_EVAL_CONSK][i];
            n++;
        }
    ChartSpec sp = base_spec(s);
    sp.n_series = 2;
    sp.series[0] = (ChartSeries){sc->ex, sc->ep, NULL, NULL, n};
    sp.series[1] = (ChartSeries){sc->ex, sc->ec, NULL, NULL, n};
    sp.fixed_range = 1;
    sp.ymin = 0;
    sp.ymax = 1;
    add_overlays(s, &sp, RUNS_CURVE_PASS1);
    double p1 = s->last_eval_pass1, ck = s->last_eval_consk;
    if (s->cursor_on) {   /* the evaluation at or before the cursor */
        p1 = chart_value_at(sc->ex, sc->ep, n, s->cursor_step, NULL);
        ck = chart_value_at(sc->ex, sc->ec, n, s->cursor_step, NULL);
    }
    char title[160], head[64], a[16], b[16];
    title_head(s, panel, "held-out pass@1", head, sizeof head);
    snprintf(title, sizeof title, "%s %s %s cons@%d %s", head, tv(p1, 5, a, sizeof a), s->utf8 ? "\xc2\xb7" : "|",
             s->cfg.run.eval_samples, tv(ck, 5, b, sizeof b));
    if (n == 0 && s->cfg.run.eval_every <= 0) snprintf(title, sizeof title, "held-out: off (run.eval_every = 0)");
    theme_box(w, title);
    smooth_spec(s, &sp);
    draw_chart(s, w, &sp);
    overlay_legend(s, w, RUNS_CURVE_PASS1);
}

/* A panel showing the metric picked for it (`m`): its history column, on its own. */
static void draw_picked(Studio *s, WINDOW *w, int panel) {
    int col = s->panel_metric[panel] - 1;
    draw_series_chart(s, w, panel, s->hist.name[col], col, -1, -1, -1, 0, NULL);
}

/* The metric picker over the Train screen: the filter as typed, the matching names with their latest values. */
void screen_picker_draw(Studio *s) {
    const MetricPicker *p = &s->picker;
    int w = s->cols - 8 < 60 ? s->cols - 8 : 60, h = s->rows - 6 < 24 ? s->rows - 6 : 24;
    Rect r = {(s->rows - h) / 2, (s->cols - w) / 2, h, w};
    WINDOW *win = studio_win(s, W_OVERLAY, r);
    if (!win) return;
    static const char *const PANEL_NAMES[TP_COUNT] = {[TP_REWARD] = "reward", [TP_ACCURACY] = "accuracy",
        [TP_LENGTH] = "length", [TP_KL] = "kl", [TP_ENTROPY] = "entropy", [TP_EVAL] = "held-out"};
    wbkgdset(win, ' ' | theme_attr(TH_NORMAL));
    werase(win);
    char title[128];
    snprintf(title, sizeof title, "metric for the %s panel: type to filter, Enter show, Esc cancel",
             PANEL_NAMES[s->chart_focus] ? PANEL_NAMES[s->chart_focus] : "focused");
    theme_box(win, title);
    wattrset(win, theme_attr(TH_TITLE));
    put_clipped(win, 1, 2, w - 4, "filter: ");
    wattrset(win, theme_attr(TH_VALUE) | A_UNDERLINE);
    mvwhline(win, 1, 10, ' ', w - 12);
    put_clipped(win, 1, 10, w - 12, p->filter);
    /* the matching rows, the selection kept in view */
    int list_h = h - 4, idx[512], n = 0, at = 0;
    for (int i = 0; i < p->names.n && n < 512; i++)
        if (picker_match(s, i)) { if (i == p->sel) at = n; idx[n++] = i; }
    int top = at - list_h / 2;
    if (top > n - list_h) top = n - list_h;
    if (top < 0) top = 0;
    for (int k = 0; k < list_h && top + k < n; k++) {
        int i = idx[top + k], col = history_find(&s->hist, p->names.items[i]);
        char line[160], v[16] = "";
        if (i > 0 && col >= 0) tv(latest(s, col), 8, v, sizeof v);
        snprintf(line, sizeof line, " %-40s %10s", p->names.items[i], v);
        int sel = i == p->sel;
        wattrset(win, sel ? theme_attr(TH_SELECTED) : theme_attr(i == 0 ? TH_DIM : TH_NORMAL));
        if (sel) mvwhline(win, 3 + k, 1, ' ', w - 2);
        put_clipped(win, 3 + k, 1, w - 2, line);
    }
    if (n == 1 && p->len) {
        wattrset(win, theme_attr(TH_DIM));
        put_clipped(win, 4, 3, w - 6, "no metric name contains that");
    }
    wattrset(win, A_NORMAL);
    touchwin(win);
    wnoutrefresh(win);
}

/* ---- metrics and hyperparameters ------------------------------------------------------------------------------ */

typedef struct { const char *label; int m; } MetricRow;

static void draw_metrics(Studio *s, WINDOW *w) {
    static const MetricRow small[] = {
        {"kl", M_KL}, {"entropy", M_ENTROPY}, {"clip", M_CLIP}, {"grad norm", M_GRAD_NORM}, {"lr", M_LR},
        {"reflect", M_REFLECTION}, {"pass@1", M_EVAL_PASS1}, {"cons@k", M_EVAL_CONSK},
        {"reward", M_REWARD}, {"accuracy", M_ACCURACY}, {"format", M_FORMAT_RATE}, {"loss", M_POLICY_LOSS},
        {"truncated", M_TRUNCATED}, {"zero std", M_ZERO_STD}, {"self-corr", M_SELF_CORRECTION},
        {"gen tok/s", M_GEN_TPS}, {"train tok/s", M_TRAIN_TPS}, {"step s", M_STEP_TIME},
        {"clip lo", M_CLIP_LOW}, {"clip hi", M_CLIP_HIGH}, {"seq ratio", M_SEQ_RATIO_MEAN},
        {"dropped", M_GROUPS_DROPPED}, {"drawn", M_PROMPTS_DRAWN}, {"ent masked", M_ENTROPY_MASKED},
    };
    const int n_rows = (int)(sizeof small / sizeof small[0]);
    werase(w);
    char title[64];
    if (s->last_eval_step >= 0) snprintf(title, sizeof title, "metrics (eval @%d)", s->last_eval_step);
    else snprintf(title, sizeof title, "metrics");
    theme_box(w, title);
    int inner_h = getmaxy(w) - 2, inner_w = getmaxx(w) - 2;
    int colw = inner_w / 2;
    int shown = inner_h * 2 < n_rows ? inner_h * 2 : n_rows;
    for (int i = 0; i < shown; i++) {
        int col = i % 2, row = i / 2;   /* row by row: the issue's eight come first */
        double v = small[i].m == M_EVAL_PASS1 ? s->last_eval_pass1 : small[i].m == M_EVAL_CONSK ? s->last_eval_consk
                 : latest(s, small[i].m);
        char val[16];
        if (small[i].m == M_EVAL_PASS1 || small[i].m == M_EVAL_CONSK) {
            if (isfinite(v)) snprintf(val, sizeof val, "%.1f%%", 100 * v);
            else snprintf(val, sizeof val, "-");
        } else if (!isfinite(v)) snprintf(val, sizeof val, "-");
        else if (fabs(v) >= 1e6) snprintf(val, sizeof val, "%.2fM", v / 1e6);
        else if (fabs(v) >= 1e4) snprintf(val, sizeof val, "%.1fk", v / 1e3);
        else if (v != 0 && fabs(v) < 1e-3) chart_format(v, 8, val, sizeof val);
        else snprintf(val, sizeof val, "%.4g", v);
        int x = 1 + col * colw;
        wattrset(w, theme_attr(TH_LABEL));
        put_clipped(w, 1 + row, x + 1, colw - 1, small[i].label);
        wattrset(w, theme_attr(TH_VALUE));
        int vl = (int)strlen(val);
        if (colw - 2 - vl > 0) put_clipped(w, 1 + row, x + colw - 1 - vl, vl, val);
    }
    wattrset(w, A_NORMAL);
}

typedef struct { const char *label; const char *key; const char *key2; } HparamRow;
static const HparamRow HPARAMS[] = {
    {"lr", "optim.lr", NULL}, {"beta", "grpo.beta", NULL}, {"clip", "grpo.eps_low", "grpo.eps_high"},
    {"temp", "sampling.temperature", NULL}, {"top_p", "sampling.top_p", NULL}, {"G", "grpo.group_size", NULL},
    {"P", "grpo.prompts_per_step", NULL}, {"max_new", "sampling.max_new_tokens", NULL},
    {"mu", "grpo.num_iterations", NULL}, {"w acc/fmt", "reward.accuracy", "reward.format"},
    {"w lang", "reward.language", NULL}, {"top_k", "sampling.top_k", NULL},
    {"wd", "optim.weight_decay", NULL}, {"grad clip", "optim.grad_clip", NULL},
    {"steps", "run.steps", NULL}, {"ckpt every", "run.checkpoint_every", NULL},
};

static void current_value(Studio *s, const char *dotted, char *buf, size_t n) {
    buf[0] = 0;
    if (s->t) trainer_get(s->t, dotted, buf, n);
    if (!buf[0]) {
        int i = editor_find(s->ed, dotted);
        if (i >= 0) editor_current(s->ed, i, buf, n);
    }
}

static void draw_hparams(Studio *s, WINDOW *w) {
    werase(w);
    theme_box(w, "hyperparameters (e edit)");
    int inner_h = getmaxy(w) - 2, inner_w = getmaxx(w) - 2;
    int colw = inner_w / 2;
    int n = (int)(sizeof HPARAMS / sizeof HPARAMS[0]);
    int shown = inner_h * 2 < n ? inner_h * 2 : n;
    for (int i = 0; i < shown; i++) {
        int col = i % 2, row = i / 2;
        char v1[64], v2[64], val[130];
        current_value(s, HPARAMS[i].key, v1, sizeof v1);
        if (HPARAMS[i].key2) {
            current_value(s, HPARAMS[i].key2, v2, sizeof v2);
            snprintf(val, sizeof val, "%s/%s", v1, v2);
        } else snprintf(val, sizeof val, "%s", v1);
        int x = 1 + col * colw;
        wattrset(w, theme_attr(TH_LABEL));
        put_clipped(w, 1 + row, x + 1, colw - 1, HPARAMS[i].label);
        wattrset(w, theme_attr(TH_VALUE));
        int vl = (int)strlen(val);
        int room = colw - 2 - (int)strlen(HPARAMS[i].label) - 1;
        if (vl > room) vl = room;
        if (vl > 0) put_clipped(w, 1 + row, x + colw - 1 - vl, vl, val);
    }
    wattrset(w, A_NORMAL);
}

/* ---- trace and events ----------------------------------------------------------------------------------------- */

static void draw_trace(Studio *s, WINDOW *w) {
    werase(w);
    const Trace *t = &s->trace;
    char title[160];
    if (!t->text) snprintf(title, sizeof title, s->browse_only ? "trace" : "trace: waiting for the first rollout");
    else if (t->scored)
        snprintf(title, sizeof title, "trace step %d  reward %.2f %s", t->step, t->reward,
                 t->correct ? theme_glyph_ok() : theme_glyph_bad());
    else snprintf(title, sizeof title, "trace step %d  generating%s", t->step, theme_glyph_more());
    theme_box(w, title);
    if (t->scored) {   /* the reward in colour, over the plain title text */
        wattrset(w, theme_attr(t->correct ? TH_GOOD : TH_BAD));
        char r[32];
        snprintf(r, sizeof r, "reward %.2f %s", t->reward, t->correct ? theme_glyph_ok() : theme_glyph_bad());
        char head[64];
        snprintf(head, sizeof head, "trace step %d  ", t->step);
        if (3 + (int)strlen(head) + 12 < getmaxx(w)) put_clipped(w, 0, 3 + (int)strlen(head), getmaxx(w) - 6, r);
        wattrset(w, A_NORMAL);
    }
    int ih = getmaxy(w) - 2, iw = getmaxx(w) - 2;
    if (!t->text) {   /* the first seconds: say what the trainer is doing */
        char what[256];
        const Config *c = &s->cfg;
        if (s->browse_only) snprintf(what, sizeof what, "browse: a stored run has no live trace (2: its rollouts)");
        else if (s->worker_done) snprintf(what, sizeof what, "no rollout was generated");
        else if (s->log_n == 0) snprintf(what, sizeof what, "starting: the trainer thread is setting up%s",
                                         theme_glyph_more());
        else if (s->step == 0 && c->run.eval_every > 0 && s->last_eval_step < 0) {
            char count[64] = "";   /* problems evaluated so far, with a bar, once the evaluation has begun */
            if (s->eval_total > 0) {
                char bar[32];
                progress_bar(bar, sizeof bar, 22, s->eval_done, s->eval_total);
                snprintf(count, sizeof count, " %d/%d %s", s->eval_done, s->eval_total, bar);
            }
            snprintf(what, sizeof what, "evaluating the base model%s: %d held-out problems x %d samples (pass@1, "
                     "cons@k) before the first step%s", count, c->run.eval_problems, c->run.eval_samples,
                     theme_glyph_more());
        }
        else snprintf(what, sizeof what, "generating the first step: %d prompts x %d samples, up to %d new tokens "
                      "each%s", c->grpo.prompts_per_step, c->grpo.group_size, c->sampling.max_new_tokens,
                      theme_glyph_more());
        wattrset(w, theme_attr(TH_DIM));
        draw_text(w, 1, 1, ih, iw, what, strlen(what), 0, NULL, 0);
        wattrset(w, A_NORMAL);
        return;
    }
    int total = transcript_wrap(t->text, t->len, iw, NULL, 0);
    int skip = total > ih ? total - ih : 0;   /* follow the end as tokens arrive */
    draw_text(w, 1, 1, ih, iw, t->text, t->len, t->prompt_len, NULL, skip);
}

static void draw_events(Studio *s, WINDOW *w) {
    werase(w);
    theme_box(w, "events");
    int ih = getmaxy(w) - 2, iw = getmaxx(w) - 2;
    int n = s->log_n < ih ? s->log_n : ih;
    for (int i = 0; i < n; i++) {   /* newest at the bottom */
        const Event *e = &s->log[(s->log_head - n + i + EVENT_LOG) % EVENT_LOG];
        char line[512];
        switch (e->kind) {
        case EVENT_SET:
            snprintf(line, sizeof line, "%5d set %s %s -> %s", e->step, e->name, e->old_value, e->new_value);
            break;
        case EVENT_CHECKPOINT: {   /* the path's last part is what differs */
            const char *base = strrchr(e->detail, '/');
            snprintf(line, sizeof line, "%5d checkpoint %s", e->step, base ? base + 1 : e->detail);
            break;
        }
        default:
            snprintf(line, sizeof line, "%5d %s %s", e->step, event_kind_name(e->kind), e->detail);
        }
        wattrset(w, e->kind == EVENT_ERROR ? theme_attr(TH_FAILED) : e->kind == EVENT_SET ? theme_attr(TH_MARK)
                                                                     : theme_attr(TH_NORMAL));
        put_clipped(w, 1 + i, 1, iw, line);
    }
    wattrset(w, A_NORMAL);
}

/* ---- the screen ----------------------------------------------------------------------------------------------- */

void screen_train_draw(Studio *s, unsigned d) {
    TrainLayout L;
    layout_train(s->rows, s->cols, &L);
    WINDOW *w;
    if ((d & D_STATUS) && (w = studio_win(s, W_TRAIN0 + TP_STATUS, L.r[TP_STATUS]))) studio_status_line(s, w);
    if (d & D_CHARTS) {
        int sep_acc = rect_visible(L.r[TP_ACCURACY]);
        /* the variant chart (`v`) is the entropy panel, or the length panel when there is no second chart row */
        int own_entropy = rect_visible(L.r[TP_ENTROPY]);
        static const int PANELS[] = {TP_REWARD, TP_ACCURACY, TP_LENGTH, TP_KL, TP_ENTROPY, TP_EVAL};
        for (int k = 0; k < (int)(sizeof PANELS / sizeof PANELS[0]); k++) {
            int panel = PANELS[k];
            if (!(w = studio_win(s, W_TRAIN0 + panel, L.r[panel]))) continue;
            werase(w);
            if (s->panel_metric[panel] > 0) draw_picked(s, w, panel);
            else switch (panel) {
            case TP_REWARD: draw_reward(s, w, panel, !sep_acc); break;
            case TP_ACCURACY:
                draw_series_chart(s, w, panel, "accuracy", M_ACCURACY, -1, -1, M_FORMAT_RATE, 1, NULL);
                break;
            case TP_LENGTH:
                if (own_entropy)
                    draw_series_chart(s, w, panel, "length", M_LENGTH, M_LENGTH_MIN, M_LENGTH_MAX, -1, 0, NULL);
                else draw_variant_chart(s, w, panel, 0);
                break;
            case TP_KL: draw_series_chart(s, w, panel, "kl", M_KL, -1, -1, -1, 0, NULL); break;
            case TP_ENTROPY: draw_variant_chart(s, w, panel, 1); break;
            default: draw_eval(s, w, panel); break;
            }
            wnoutrefresh(w);
        }
    }
    if ((d & D_METRICS) && (w = studio_win(s, W_TRAIN0 + TP_METRICS, L.r[TP_METRICS]))) {
        draw_metrics(s, w); wnoutrefresh(w);
    }
    if ((d & (D_HPARAMS | D_METRICS)) && (w = studio_win(s, W_TRAIN0 + TP_HPARAMS, L.r[TP_HPARAMS]))) {
        draw_hparams(s, w); wnoutrefresh(w);
    }
    if ((d & D_TRACE) && (w = studio_win(s, W_TRAIN0 + TP_TRACE, L.r[TP_TRACE]))) {
        draw_trace(s, w); wnoutrefresh(w);
    }
    if ((d & D_EVENTS) && (w = studio_win(s, W_TRAIN0 + TP_EVENTS, L.r[TP_EVENTS]))) {
        draw_events(s, w); wnoutrefresh(w);
    }
    if ((d & D_HINTS) && (w = studio_win(s, W_TRAIN0 + TP_HINTS, L.r[TP_HINTS])))
        studio_hints_line(s, w, studio_context(s));
}

/* The editor, over the lower part of the Train screen: every live key with its value; the selected one shows its
 * range and help; the value being typed sits in its row with the cursor; a refusal is shown under it. */
void screen_editor_draw(Studio *s) {
    Editor *e = s->ed;
    int w = s->cols - 4 < 76 ? s->cols - 4 : 76;
    int h = e->n + 6;
    if (h > s->rows - 4) h = s->rows - 4;
    Rect r = {(s->rows - h) / 2, (s->cols - w) / 2, h, w};
    WINDOW *win = studio_win(s, W_OVERLAY, r);
    if (!win) return;
    wbkgdset(win, ' ' | theme_attr(TH_NORMAL));
    werase(win);
    theme_box(win, e->typing ? "edit: Enter apply  Esc cancel" : "hyperparameters: Enter edit  Esc done");
    int list_h = h - 5;
    int top = e->sel - list_h / 2;
    if (top > e->n - list_h) top = e->n - list_h;
    if (top < 0) top = 0;
    for (int i = 0; i < list_h && top + i < e->n; i++) {
        int k = top + i;
        char d[96], v[EDITOR_VALUE_MAX], line[256];
        editor_dotted(e, k, d, sizeof d);
        editor_current(e, k, v, sizeof v);
        int sel = k == e->sel;
        snprintf(line, sizeof line, " %-26s %s", d, sel && e->typing ? "" : v);
        wattrset(win, sel ? theme_attr(TH_SELECTED) : theme_attr(TH_NORMAL));
        if (sel) mvwhline(win, 1 + i, 1, ' ', w - 2);
        put_clipped(win, 1 + i, 1, w - 2, line);
        if (sel && e->typing) {   /* the field, with a visible cursor */
            int x = 1 + 28;
            wattrset(win, theme_attr(TH_VALUE) | A_UNDERLINE);
            mvwhline(win, 1 + i, x, ' ', w - 2 - x);
            put_clipped(win, 1 + i, x, w - 2 - x, e->buf);
            if (x + e->cur < w - 1) {
                wattrset(win, A_REVERSE);
                mvwaddch(win, 1 + i, x + e->cur, e->cur < e->len ? (chtype)(unsigned char)e->buf[e->cur] : ' ');
            }
        }
    }
    wattrset(win, A_NORMAL);
    if (e->n > 0) {
        const ConfigKey *k = e->keys[e->sel];
        char range[128], line[300];
        config_describe_range(k, range, sizeof range);
        snprintf(line, sizeof line, "allowed: %s", range);
        char dotted[96], now_s[32], after_s[32];
        size_t now, after;
        editor_dotted(e, e->sel, dotted, sizeof dotted);
        /* keys that size the batch show the run's memory, and what the value being typed would make it */
        if (s->t && (!strcmp(dotted, "grpo.group_size") || !strcmp(dotted, "grpo.prompts_per_step") ||
                     !strcmp(dotted, "sampling.max_new_tokens"))) {
            int ok = trainer_footprint(s->t, dotted, e->typing ? e->buf : "", &now, &after) == 0;
            memory_format(now, now_s, sizeof now_s);
            memory_format(after, after_s, sizeof after_s);
            size_t n = strlen(line);
            if (e->typing && ok)
                snprintf(line + n, sizeof line - n, "   memory: about %s -> %s", now_s, after_s);
            else
                snprintf(line + n, sizeof line - n, "   memory: about %s", now_s);
        }
        wattrset(win, theme_attr(TH_LABEL) | A_BOLD);
        put_clipped(win, h - 4, 2, w - 4, line);
        wattrset(win, theme_attr(TH_DIM));
        put_clipped(win, h - 3, 2, w - 4, k->help);
    }
    if (e->msg[0]) {
        wattrset(win, e->msg_error ? theme_attr(TH_FAILED) : theme_attr(TH_GOOD));
        put_clipped(win, h - 2, 2, w - 4, e->msg);
    }
    wattrset(win, A_NORMAL);
    touchwin(win);
    wnoutrefresh(win);
}
