/* chart.c - series over steps -> a grid of cells (see chart.h). Pure: no terminal, no globals.
 *
 * The plot is a bitmap of "dots" (2 x 4 per cell in braille, 1 x 1 in ASCII). Series are drawn as connected line
 * segments in dot space (a NaN breaks the line), the band of series 0 as a sparse dot fill (one dot in four) so
 * the line stays visible inside it, and then each cell becomes a braille character (U+2800 + the dot bits) or an ASCII glyph. */
#include "ui/chart.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layers in a dot: a bit per layer, so a cell knows which layers it contains (L_R0 << i: series i's raw values). */
enum { L_BAND = 1, L_S0 = 2, L_S1 = 4, L_S2 = 8, L_S3 = 16, L_S4 = 32, L_S5 = 64, L_R0 = 128 };

typedef struct {
    int dw, dh;                /* dots */
    unsigned short *dots;      /* dh x dw layer bits */
} Canvas;

static void canvas_set(Canvas *cv, int col, int row, unsigned short layer) {
    if (col < 0 || col >= cv->dw || row < 0 || row >= cv->dh) return;
    cv->dots[(size_t)row * cv->dw + col] |= layer;
}

static void canvas_line(Canvas *cv, int x0, int y0, int x1, int y1, unsigned short layer) {
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        canvas_set(cv, x0, y0, layer);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) { err += dy; x0 += sx; }
        if (e2 <= dx) { err += dx; y0 += sy; }
    }
}

char *chart_format(double v, int width, char *buf, size_t n) {
    if (n == 0) return buf;
    if (width < 1) width = 1;
    if ((size_t)width >= n) width = (int)n - 1;
    if (isnan(v)) snprintf(buf, n, "%.*s", width, "nan");
    else if (isinf(v)) snprintf(buf, n, "%.*s", width, v > 0 ? "inf" : "-inf");
    else {
        if (v == 0) v = 0; /* no "-0" */
        char tmp[64];
        for (int prec = 6; prec >= 1; prec--) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            /* 1e+06 -> 1e6, 1e-05 -> 1e-5: shorter, still unambiguous */
            char *e = strchr(tmp, 'e');
            if (e) {
                char *p = e + 1, *q = e + 1;
                if (*p == '+') p++;
                else if (*p == '-') *q++ = *p++;
                while (*p == '0' && p[1]) p++;
                memmove(q, p, strlen(p) + 1);
            }
            if ((int)strlen(tmp) <= width) {
                snprintf(buf, n, "%s", tmp);
                return buf;
            }
        }
        memset(buf, '#', (size_t)width); /* cannot be shown in this width */
        buf[width] = 0;
    }
    return buf;
}

char *chart_mark_label(const char *key, const char *old_value, const char *new_value, int pending, char *buf,
                       size_t n) {
    snprintf(buf, n, "%s %s -> %s%s", key ? key : "?", old_value ? old_value : "?", new_value ? new_value : "?",
             pending ? " (pending)" : "");
    return buf;
}

double chart_latest(const double *y, int n) {
    for (int i = n - 1; i >= 0; i--)
        if (isfinite(y[i])) return y[i];
    return NAN;
}

void chart_free(ChartGrid *g) {
    if (!g) return;
    free(g->cells);
    memset(g, 0, sizeof *g);
}

static double series_x(const ChartSeries *s, int i) { return s->x ? s->x[i] : (double)i; }

static void put(ChartGrid *g, int row, int col, const char *text, int kind) {
    if (row < 0 || row >= g->h || col < 0 || col >= g->w) return;
    ChartCell *c = &g->cells[(size_t)row * g->w + col];
    snprintf(c->text, sizeof c->text, "%s", text);
    c->kind = (unsigned char)kind;
}

static void put_str(ChartGrid *g, int row, int col, const char *s, int kind) {
    char one[2] = {0, 0};
    for (; *s; s++, col++) { one[0] = *s; put(g, row, col, one, kind); }
}

/* The y range over every finite y, lo, hi; returns 0 when there is no finite value. */
static int data_range(const ChartSpec *sp, double *lo_out, double *hi_out) {
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < sp->n_series; s++) {
        const ChartSeries *se = &sp->series[s];
        for (int i = 0; i < se->n; i++) {
            const double *arrs[4] = {se->y, se->lo, se->hi, sp->raw[s]};
            for (int a = 0; a < 4; a++) {
                if (!arrs[a] || !isfinite(arrs[a][i]) || !isfinite(series_x(se, i))) continue;
                if (arrs[a][i] < lo) lo = arrs[a][i];
                if (arrs[a][i] > hi) hi = arrs[a][i];
            }
        }
    }
    if (!(lo <= hi)) return 0;
    for (int m = 0; sp->marks && sp->mark_short && m < sp->n_marks; m++)   /* a fork's branch point, before its data */
        if (sp->mark_short[m] && isfinite(sp->marks[m]) && sp->marks[m] < lo) lo = sp->marks[m];
    *lo_out = lo; *hi_out = hi;
    return 1;
}

static int x_range(const ChartSpec *sp, double *lo_out, double *hi_out) {
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < sp->n_series; s++) {
        const ChartSeries *se = &sp->series[s];
        for (int i = 0; i < se->n; i++) {
            double x = series_x(se, i);
            if (!isfinite(x)) continue;
            int any = (se->y && isfinite(se->y[i])) || (se->lo && isfinite(se->lo[i])) ||
                      (se->hi && isfinite(se->hi[i])) || (sp->raw[s] && isfinite(sp->raw[s][i]));
            if (!any) continue;
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
    }
    if (!(lo <= hi)) return 0;
    for (int m = 0; sp->marks && sp->mark_short && m < sp->n_marks; m++)   /* a fork's branch point, before its data */
        if (sp->mark_short[m] && isfinite(sp->marks[m]) && sp->marks[m] < lo) lo = sp->marks[m];
    *lo_out = lo; *hi_out = hi;
    return 1;
}

/* Widens a degenerate range so a constant series sits in the middle. */
static void widen(double *lo, double *hi) {
    if (*hi > *lo) return;
    double v = *lo, d = v != 0 ? fabs(v) * 0.1 : 1.0;
    if (!(d > 0)) d = 1.0;
    *lo = v - d; *hi = v + d;
    if (isinf(*lo)) *lo = -DBL_MAX;   /* v near -DBL_MAX */
    if (isinf(*hi)) *hi = DBL_MAX;
}

/* Rounds a data range out to multiples of a 1-2-5 step (about `intervals` of them), so the labels read 0, 0.2,
 * 0.4 instead of -4.7e-09, 0.29262, 0.58523. Leaves the range alone when rounding would overflow. */
static void nice_range(double *lo, double *hi, int intervals) {
    double span = *hi - *lo;
    if (!(span > 0) || !isfinite(span) || intervals < 1) return;
    if (fabs(*lo) < span * 1e-6) *lo = 0;   /* float noise around zero is zero */
    if (fabs(*hi) < span * 1e-6) *hi = 0;
    span = *hi - *lo;
    double raw = span / intervals, mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
    double a = floor(*lo / step) * step, b = ceil(*hi / step) * step;
    if (!isfinite(a) || !isfinite(b) || !isfinite(step) || step <= 0) return;
    if (fabs(a) < step * 1e-9) a = 0;   /* no "-0" or "4e-17" */
    if (fabs(b) < step * 1e-9) b = 0;
    *lo = a; *hi = b;
}

/* Whether a marker may go on the axis row at col: never over the end labels; over a tick label, the whole tick
 * gives way (a number is shown whole or not at all). */
static int axis_marker_room(ChartGrid *g, int col, int end_l, int end_r, int utf8) {
    int row = g->plot_h;
    if (col < end_l || col >= end_r) return 0;
    if (g->cells[(size_t)row * g->w + col].kind != CHART_LABEL) return 1;
    int a = col, b = col;
    while (a - 1 >= end_l && g->cells[(size_t)row * g->w + a - 1].kind == CHART_LABEL) a--;
    while (b + 1 < end_r && g->cells[(size_t)row * g->w + b + 1].kind == CHART_LABEL) b++;
    for (int c = a; c <= b; c++) put(g, row, c, utf8 ? "\xe2\x94\x80" : "-", CHART_AXIS);              /* ─ */
    return 1;
}

int chart_render(ChartGrid *g, int w, int h, const ChartSpec *sp) {
    const int utf8 = sp->utf8;
    double ymin = 0, ymax = 1, xmin = 0, xmax = 1;
    int has_y = sp->fixed_range ? 1 : data_range(sp, &ymin, &ymax);
    if (sp->fixed_range) { ymin = sp->ymin; ymax = sp->ymax; }
    int has_x = x_range(sp, &xmin, &xmax);
    if (has_y) widen(&ymin, &ymax);
    if (has_y && !sp->fixed_range) nice_range(&ymin, &ymax, h - 1 >= 5 ? 4 : 2);

    /* y labels: top, bottom, and middle when there is room */
    char lab_top[16] = "", lab_bot[16] = "", lab_mid[16] = "";
    int lw = 0;
    if (has_y) {
        int maxw = w / 3 < 7 ? w / 3 : 7;
        if (maxw < 4) maxw = 4;
        chart_format(ymax, maxw, lab_top, sizeof lab_top);
        chart_format(ymin, maxw, lab_bot, sizeof lab_bot);
        chart_format(ymin / 2 + ymax / 2, maxw, lab_mid, sizeof lab_mid);
        lw = (int)strlen(lab_top);
        if ((int)strlen(lab_bot) > lw) lw = (int)strlen(lab_bot);
        if ((int)strlen(lab_mid) > lw) lw = (int)strlen(lab_mid);
    }
    int plot_x = lw + 1, plot_w = w - plot_x, plot_h = h - 1;
    if (h < 3 || plot_w < 4 || w <= 0) {
        free(g->cells);
        memset(g, 0, sizeof *g);
        return -1;
    }
    ChartCell *cells = realloc(g->cells, (size_t)w * h * sizeof *cells);
    if (!cells) { chart_free(g); return -1; }
    g->cells = cells;
    g->w = w; g->h = h;
    g->plot_x = plot_x; g->plot_w = plot_w; g->plot_h = plot_h;
    g->ymin = ymin; g->ymax = ymax; g->xmin = xmin; g->xmax = xmax;
    g->has_data = 0;
    for (int i = 0; i < w * h; i++) { strcpy(cells[i].text, " "); cells[i].kind = CHART_EMPTY; }

    /* axes */
    for (int r = 0; r < plot_h; r++) put(g, r, lw, utf8 ? "\xe2\x94\x82" : "|", CHART_AXIS);           /* │ */
    put(g, plot_h, lw, utf8 ? "\xe2\x94\x94" : "+", CHART_AXIS);                                       /* └ */
    for (int c = plot_x; c < w; c++) put(g, plot_h, c, utf8 ? "\xe2\x94\x80" : "-", CHART_AXIS);        /* ─ */
    if (has_y) {
        int mid = (plot_h - 1) / 2;
        put_str(g, 0, lw - (int)strlen(lab_top), lab_top, CHART_LABEL);
        put(g, 0, lw, utf8 ? "\xe2\x94\xa4" : "+", CHART_AXIS);                                        /* ┤ */
        if (plot_h >= 2) {
            put_str(g, plot_h - 1, lw - (int)strlen(lab_bot), lab_bot, CHART_LABEL);
            put(g, plot_h - 1, lw, utf8 ? "\xe2\x94\xa4" : "+", CHART_AXIS);
        }
        if (plot_h >= 5 && mid > 0 && mid < plot_h - 1) {
            put_str(g, mid, lw - (int)strlen(lab_mid), lab_mid, CHART_LABEL);
            put(g, mid, lw, utf8 ? "\xe2\x94\xa4" : "+", CHART_AXIS);
        }
    }

    const int dx = utf8 ? 2 : 1, dy = utf8 ? 4 : 1;
    Canvas cv = {plot_w * dx, plot_h * dy, NULL};
    cv.dots = calloc((size_t)cv.dw * cv.dh, sizeof *cv.dots);
    if (!cv.dots) { chart_free(g); return -1; }

    /* long double keeps (y - ymin) finite even when both are near +-DBL_MAX */
    const long double yspan = (long double)ymax - ymin, xspan = (long double)xmax - xmin;
#define DOT_COL(x) (xspan > 0 ? (int)lroundl(((long double)(x) - xmin) / xspan * (cv.dw - 1)) : 0)
#define DOT_ROW_F(y) (((long double)ymax - (y)) / yspan * (cv.dh - 1))
#define CLAMP_ROW(r) ((r) < 0 ? 0 : (r) > cv.dh - 1 ? cv.dh - 1 : (r))

    if (has_x && has_y) {
        /* band of series 0: interpolated between consecutive finite points, one dot in four */
        const ChartSeries *s0 = sp->n_series > 0 ? &sp->series[0] : NULL;
        int *span = s0 && s0->lo && s0->hi ? malloc((size_t)cv.dw * 2 * sizeof *span) : NULL;
        if (span) {   /* per dot column the rows the band covers; filled once, so long histories cost O(n) */
            for (int c = 0; c < cv.dw; c++) { span[2 * c] = cv.dh; span[2 * c + 1] = -1; }
            int prev = -1;
            for (int i = 0; i < s0->n; i++) {
                double x = series_x(s0, i);
                if (!isfinite(x) || !isfinite(s0->lo[i]) || !isfinite(s0->hi[i])) { prev = -1; continue; }
                int c1 = DOT_COL(x);
                long double lo1 = DOT_ROW_F(s0->lo[i]), hi1 = DOT_ROW_F(s0->hi[i]);
                int c0 = c1;
                long double lo0 = lo1, hi0 = hi1;
                if (prev >= 0) {
                    c0 = DOT_COL(series_x(s0, prev));
                    lo0 = DOT_ROW_F(s0->lo[prev]); hi0 = DOT_ROW_F(s0->hi[prev]);
                }
                for (int c = c0; c <= c1; c++) {
                    long double t = c1 > c0 ? (long double)(c - c0) / (c1 - c0) : 1;
                    long double a = lo0 + (lo1 - lo0) * t, b = hi0 + (hi1 - hi0) * t;
                    int ra = (int)lroundl(a < b ? a : b), rb = (int)lroundl(a < b ? b : a);
                    ra = CLAMP_ROW(ra); rb = CLAMP_ROW(rb);
                    if (c < 0 || c >= cv.dw) continue;
                    if (ra < span[2 * c]) span[2 * c] = ra;
                    if (rb > span[2 * c + 1]) span[2 * c + 1] = rb;
                }
                prev = i;
                g->has_data = 1;
            }
            for (int c = 0; c < cv.dw; c++)
                for (int r = span[2 * c]; r <= span[2 * c + 1]; r++)
                    if (!utf8 || ((r & 1) == 0 && (c & 1) == 0)) canvas_set(&cv, c, r, L_BAND);
            free(span);
        }
        /* the raw values first (one pass per series), then the lines: pass p < n_series draws series p's raw */
        for (int pass = 0; pass < 2 * sp->n_series; pass++) {
            int s = pass % sp->n_series, is_raw = pass < sp->n_series;
            const ChartSeries *se = &sp->series[s];
            const double *ys = is_raw ? sp->raw[s] : se->y;
            unsigned short layer = (unsigned short)(is_raw ? L_R0 << s : L_S0 << s);
            if (!ys) continue;
            /* Consecutive points in one dot column only widen that column's vertical span, drawn when the line
             * leaves the column: the same dots as joining each pair, in O(points + dots) for long histories. */
            int pc = 0, pr = 0, have_prev = 0, lo_r = 0, hi_r = 0;
#define FLUSH_COLUMN() do { for (int r_ = lo_r; r_ <= hi_r; r_++) canvas_set(&cv, pc, r_, layer); } while (0)
            for (int i = 0; i < se->n; i++) {
                double x = series_x(se, i), y = ys[i];
                if (!isfinite(x) || !isfinite(y)) {
                    if (have_prev) FLUSH_COLUMN();
                    have_prev = 0;
                    continue;
                }
                int c = DOT_COL(x);
                int r = (int)lroundl(DOT_ROW_F(y));
                r = CLAMP_ROW(r);
                g->has_data = 1;
                if (have_prev && c == pc) {
                    if (r < lo_r) lo_r = r;
                    if (r > hi_r) hi_r = r;
                    pr = r;
                    continue;
                }
                if (have_prev) {
                    FLUSH_COLUMN();
                    canvas_line(&cv, pc, pr, c, r, layer);
                }
                pc = c; pr = r; lo_r = hi_r = r; have_prev = 1;
            }
            if (have_prev) FLUSH_COLUMN();
#undef FLUSH_COLUMN
        }
    }

    /* dots -> cells */
    static const unsigned char braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
    for (int row = 0; row < plot_h; row++) {
        for (int col = 0; col < plot_w; col++) {
            unsigned bits = 0, layers = 0;
            for (int yy = 0; yy < dy; yy++)
                for (int xx = 0; xx < dx; xx++) {
                    unsigned short l = cv.dots[(size_t)(row * dy + yy) * cv.dw + col * dx + xx];
                    if (l) { layers |= l; bits |= utf8 ? braille_bit[yy][xx] : 1; }
                }
            if (!layers) continue;
            /* the lowest series drawn in the cell wins; its index picks the ASCII glyph */
            static const unsigned char kind_of[CHART_MAX_SERIES] = {CHART_SERIES0, CHART_SERIES1, CHART_SERIES2,
                                                                    CHART_SERIES3, CHART_SERIES4, CHART_SERIES5};
            int si = 0, ri = 0;
            while (si < CHART_MAX_SERIES && !(layers & (L_S0 << si))) si++;
            while (ri < CHART_MAX_SERIES && !(layers & (L_R0 << ri))) ri++;
            int kind = si < CHART_MAX_SERIES ? kind_of[si] : ri < CHART_MAX_SERIES ? CHART_RAW0 + ri : CHART_BAND;
            char text[8];
            if (utf8) {
                unsigned cp = 0x2800 + bits; /* U+2800..U+28FF: 3 bytes of UTF-8 */
                text[0] = (char)(0xE0 | (cp >> 12));
                text[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                text[2] = (char)(0x80 | (cp & 0x3F));
                text[3] = 0;
            } else {
                static const char glyph[] = {'.', '*', 'o', '+', '#', 'x', '%'};
                text[0] = kind == CHART_BAND ? glyph[0] : si < CHART_MAX_SERIES ? glyph[si + 1] : ',';
                text[1] = 0;
            }
            put(g, row, plot_x + col, text, kind);
        }
    }
    free(cv.dots);

    /* x labels on the axis row: first step at the left, last at the right, when both fit */
    int end_l = plot_x, end_r = w;   /* the end labels' columns: [plot_x, end_l) and [end_r, w) */
    if (has_x) {
        char a[24], b[24];
        chart_format(xmin, 10, a, sizeof a);
        chart_format(xmax, 10, b, sizeof b);
        int la = (int)strlen(a), lb = (int)strlen(b);
        if (la + 1 <= plot_w) { put_str(g, plot_h, plot_x, a, CHART_LABEL); end_l = plot_x + la; }
        if (xmax > xmin && la + 1 + lb <= plot_w) { put_str(g, plot_h, w - lb, b, CHART_LABEL); end_r = w - lb; }
        /* ticks between the ends: round steps (1, 2 or 5 x 10^k) about three label widths apart, each label centred
         * on its column, kept where it touches neither end label nor the tick before it */
        int lw = (la > lb ? la : lb) + 1;
        int room = plot_w - la - lb - 2;
        if (has_y && xmax > xmin && room > lw + 2) {
            int want = room / (3 * lw);
            if (want < 1) want = 1;
            double raw = (xmax - xmin) / (want + 1), mag = pow(10, floor(log10(raw))), r = raw / mag;
            double step = mag * (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10);
            if (step < 1) step = 1;   /* steps are whole */
            int used = plot_x + la;   /* first free column after the left label */
            for (double t = ceil(xmin / step) * step; t < xmax; t += step) {
                if (t <= xmin) continue;
                char lab[24];
                chart_format(t, 10, lab, sizeof lab);
                int l = (int)strlen(lab), col = plot_x + DOT_COL(t) / dx, start = col - l / 2;
                if (start <= used + 1 || start + l >= w - lb - 1) continue;
                put_str(g, plot_h, start, lab, CHART_LABEL);
                used = start + l;
            }
        }
    }

    /* marks: a dotted line through empty plot cells and a marker on the axis row; a pending change past the data
     * stands at the right edge */
    int *mark_col = sp->n_marks > 0 ? malloc((size_t)sp->n_marks * sizeof *mark_col) : NULL;
    if (has_x && has_y && (mark_col || sp->n_marks == 0)) {
        for (int m = 0; m < sp->n_marks; m++) {
            double x = sp->marks[m];
            int pending = sp->mark_pending && sp->mark_pending[m];
            mark_col[m] = -1;
            if (!isfinite(x) || x < xmin || (x > xmax && !pending)) continue;
            int col = x > xmax ? w - 1 : plot_x + DOT_COL(x) / dx;
            int kind = pending ? CHART_PENDING : CHART_MARK;
            mark_col[m] = col;
            for (int r = 0; r < plot_h; r++)
                if (g->cells[(size_t)r * w + col].kind == CHART_EMPTY)
                    put(g, r, col, utf8 ? "\xe2\x94\x8a" : ":", kind);                                /* ┊ */
            if (axis_marker_room(g, col, end_l, end_r, utf8))
                put(g, plot_h, col, utf8 ? "\xe2\x96\xb2" : "^", kind);                                /* ▲ */
        }
    }
    /* the cursor: a solid line through the plot's empty cells at its step */
    if (has_x && has_y && sp->has_cursor && isfinite(sp->cursor_x)) {
        double x = sp->cursor_x < xmin ? xmin : sp->cursor_x > xmax ? xmax : sp->cursor_x;
        int col = plot_x + DOT_COL(x) / dx;
        for (int r = 0; r < plot_h; r++) {
            int k = g->cells[(size_t)r * w + col].kind;
            if (k == CHART_EMPTY || k == CHART_MARK || k == CHART_PENDING || k == CHART_BAND)
                put(g, r, col, utf8 ? "\xe2\x94\x82" : "|", CHART_CURSOR);                            /* │ */
        }
        if (axis_marker_room(g, col, end_l, end_r, utf8))
            put(g, plot_h, col, utf8 ? "\xe2\x94\xb4" : "+", CHART_CURSOR);                           /* ┴ */
    }
    /* labels: beside their line (right of it, or left when there is more room there), in the first plot row where
     * they cross no data and no other label, else the first row where they cross no other label; cut to the plot */
    if (has_x && has_y && mark_col && sp->mark_labels) {
        unsigned char *taken = calloc((size_t)w * h, 1);
        for (int m = 0; taken && m < sp->n_marks; m++) {
            const char *lab = sp->mark_labels[m];
            const char *alt = sp->mark_short ? sp->mark_short[m] : NULL;
            int col = mark_col[m];
            if (!lab || !*lab || col < 0) continue;
            int right = w - 1 - col, left = col - plot_x, most = right > left ? right : left;
            if (alt && (int)strlen(lab) > most) lab = alt;   /* whole or not at all */
            int len = (int)strlen(lab);
            if (alt && len > most) continue;
            int start, room;
            if (right >= len || right >= left) { start = col + 1; room = right; }
            else { room = left; start = col - (len < room ? len : room); }
            int show = len < room ? len : room;
            if (show < 3) continue;
            int row = -1;
            for (int pass = 0; pass < 2 && row < 0; pass++)
                for (int r = 0; r < plot_h && row < 0; r++) {
                    int ok = 1;
                    for (int c = start; c < start + show && ok; c++) {
                        int k = g->cells[(size_t)r * w + c].kind;
                        if (taken[(size_t)r * w + c]) ok = 0;
                        else if (pass == 0 && k != CHART_EMPTY && k != CHART_MARK && k != CHART_PENDING) ok = 0;
                    }
                    if (ok) row = r;
                }
            if (row < 0) continue;
            int kind = sp->mark_pending && sp->mark_pending[m] ? CHART_PENDING : CHART_MARK;
            for (int i = 0; i < show; i++) {
                char one[2] = {lab[i], 0};
                if ((unsigned char)one[0] < 32 || (unsigned char)one[0] >= 127) one[0] = '?';
                if (show < len && i == show - 1) one[0] = '~';   /* cut: say so */
                put(g, row, start + i, one, kind);
                taken[(size_t)row * w + start + i] = 1;
            }
        }
        free(taken);
    }
    free(mark_col);
#undef DOT_COL
#undef DOT_ROW_F
#undef CLAMP_ROW

    if (!g->has_data) {
        const char *msg = "no data";
        int len = (int)strlen(msg);
        if (len <= plot_w) put_str(g, (plot_h - 1) / 2, plot_x + (plot_w - len) / 2, msg, CHART_LABEL);
    }
    return 0;
}
