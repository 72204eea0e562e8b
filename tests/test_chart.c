/* test_chart.c - chart_render from series to cells: empty, constant, NaN, huge, bands, marks, ASCII and braille;
 * labelled and pending marks, the cursor column, raw values under a smoothed line; the debiased moving average and
 * the cursor's reading of series with different steps (chart_series.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ui/chart.h"
#include "ui/chart_series.h"

#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* The grid as text, one line per row (for messages and for whole-picture checks). */
static void grid_text(const ChartGrid *g, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    for (int r = 0; r < g->h; r++) {
        for (int c = 0; c < g->w; c++) k += (size_t)snprintf(out + k, n - k, "%s", chart_cell(g, r, c)->text);
        k += (size_t)snprintf(out + k, n - k, "\n");
    }
}

static int count_kind(const ChartGrid *g, int kind) {
    int n = 0;
    for (int r = 0; r < g->h; r++)
        for (int c = 0; c < g->w; c++) n += chart_cell(g, r, c)->kind == kind;
    return n;
}

/* Every cell holds exactly one column: one ASCII byte or one 3-byte UTF-8 sequence. */
static void assert_cells_one_column(const ChartGrid *g) {
    for (int r = 0; r < g->h; r++)
        for (int c = 0; c < g->w; c++) {
            const char *t = chart_cell(g, r, c)->text;
            size_t len = strlen(t);
            if ((unsigned char)t[0] < 0x80) assert_int_equal(len, 1);
            else assert_int_equal(len, 3);
        }
}

static void test_empty_series(void **state) {
    (void)state;
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = NULL, .n = 0};
    assert_int_equal(chart_render(&g, 30, 8, &sp), 0);
    assert_false(g.has_data);
    char buf[4096];
    grid_text(&g, buf, sizeof buf);
    assert_non_null(strstr(buf, "no data"));
    assert_int_equal(count_kind(&g, CHART_SERIES0), 0);
    assert_cells_one_column(&g);
    chart_free(&g);
}

static void test_all_nan_is_empty(void **state) {
    (void)state;
    double y[5] = {NAN, NAN, INFINITY, -INFINITY, NAN};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 5};
    assert_int_equal(chart_render(&g, 30, 8, &sp), 0);
    assert_false(g.has_data);
    char buf[4096];
    grid_text(&g, buf, sizeof buf);
    assert_non_null(strstr(buf, "no data"));
    chart_free(&g);
}

static void test_constant_series_is_a_flat_line_in_the_middle(void **state) {
    (void)state;
    double y[10];
    for (int i = 0; i < 10; i++) y[i] = 0.5;
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 10};
    assert_int_equal(chart_render(&g, 40, 10, &sp), 0);
    assert_true(g.has_data);
    assert_true(g.ymin < 0.5 && g.ymax > 0.5);
    /* all series cells on one row, the middle one, spanning the plot width */
    int row = -1, n = 0;
    for (int r = 0; r < g.plot_h; r++)
        for (int c = 0; c < g.w; c++)
            if (chart_cell(&g, r, c)->kind == CHART_SERIES0) {
                if (row < 0) row = r;
                assert_int_equal(r, row);
                n++;
            }
    assert_int_equal(row, (g.plot_h - 1) / 2);
    assert_int_equal(n, g.plot_w);
    chart_free(&g);
}

static void test_constant_zero(void **state) {
    (void)state;
    double y[3] = {0, 0, 0};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 3};
    assert_int_equal(chart_render(&g, 20, 6, &sp), 0);
    assert_true(g.ymin < 0 && g.ymax > 0);
    assert_true(count_kind(&g, CHART_SERIES0) > 0);
    chart_free(&g);
}

static void test_rising_series_goes_up(void **state) {
    (void)state;
    double x[4] = {10, 20, 30, 40}, y[4] = {0, 1, 2, 3};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1};
    sp.series[0] = (ChartSeries){.x = x, .y = y, .n = 4};
    assert_int_equal(chart_render(&g, 30, 10, &sp), 0);
    /* the first point is bottom-left of the plot, the last top-right */
    assert_int_equal(chart_cell(&g, g.plot_h - 1, g.plot_x)->kind, CHART_SERIES0);
    assert_int_equal(chart_cell(&g, 0, g.w - 1)->kind, CHART_SERIES0);
    assert_int_equal(chart_cell(&g, 0, g.plot_x)->kind, CHART_EMPTY);
    char buf[4096];
    grid_text(&g, buf, sizeof buf);
    /* labels: y max on the top row, x range on the axis row */
    assert_true(strncmp(buf, "  3+", 4) == 0); /* labels right-aligned against the axis */
    assert_non_null(strstr(buf, "10"));
    assert_non_null(strstr(buf, "40\n"));
    assert_double_equal(g.xmin, 10, 0);
    assert_double_equal(g.xmax, 40, 0);
    chart_free(&g);
}

static void test_nan_breaks_the_line(void **state) {
    (void)state;
    /* 0, then a gap, then 0 again: without the NaN the dots would be connected across the gap */
    double y[9] = {0, 1, NAN, NAN, NAN, NAN, NAN, 1, 0};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 9};
    assert_int_equal(chart_render(&g, 9 + 2, 6, &sp), 0);
    assert_true(g.has_data);
    /* the middle columns of the plot are empty */
    int mid = g.plot_x + g.plot_w / 2;
    for (int r = 0; r < g.plot_h; r++) assert_int_equal(chart_cell(&g, r, mid)->kind, CHART_EMPTY);
    assert_cells_one_column(&g);
    chart_free(&g);
}

static void test_huge_values(void **state) {
    (void)state;
    double y[4] = {-DBL_MAX, DBL_MAX, 1e300, -1e300};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 4};
    assert_int_equal(chart_render(&g, 24, 8, &sp), 0);
    assert_true(g.has_data);
    assert_true(isfinite(g.ymin) && isfinite(g.ymax));
    /* DBL_MAX at the top row, -DBL_MAX at the bottom row */
    int top = 0, bottom = 0;
    for (int c = g.plot_x; c < g.w; c++) {
        top += chart_cell(&g, 0, c)->kind == CHART_SERIES0;
        bottom += chart_cell(&g, g.plot_h - 1, c)->kind == CHART_SERIES0;
    }
    assert_true(top > 0 && bottom > 0);
    /* labels never wider than their column */
    assert_true(g.plot_x <= 8);
    assert_cells_one_column(&g);
    chart_free(&g);

    double c[3] = {DBL_MAX, DBL_MAX, DBL_MAX}; /* constant at the edge of the range */
    sp.series[0] = (ChartSeries){.y = c, .n = 3};
    assert_int_equal(chart_render(&g, 24, 8, &sp), 0);
    assert_true(isfinite(g.ymin) && isfinite(g.ymax) && g.ymax >= g.ymin);
    assert_true(count_kind(&g, CHART_SERIES0) > 0);
    chart_free(&g);
}

static void test_braille_cells(void **state) {
    (void)state;
    double y[2] = {0, 0};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1, .fixed_range = 1, .ymin = 0, .ymax = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 2};
    assert_int_equal(chart_render(&g, 12, 5, &sp), 0);
    /* y = ymin is the bottom dot row of the bottom cell row: dots 7 and 8 -> U+28C0 "⣀" */
    const ChartCell *c = chart_cell(&g, g.plot_h - 1, g.plot_x);
    assert_string_equal(c->text, "\xe2\xa3\x80");
    assert_int_equal(c->kind, CHART_SERIES0);
    assert_cells_one_column(&g);
    chart_free(&g);
}

static void test_band_and_marks(void **state) {
    (void)state;
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, 1, 1, 1, 1}, lo[5] = {0, 0, 0, 0, 0}, hi[5] = {2, 2, 2, 2, 2};
    double marks[2] = {2, 99 /* outside: ignored */};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 2, .marks = marks, .n_marks = 2};
    sp.series[0] = (ChartSeries){.x = x, .y = y, .lo = lo, .hi = hi, .n = 5};
    double acc[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
    sp.series[1] = (ChartSeries){.x = x, .y = acc, .n = 5};
    assert_int_equal(chart_render(&g, 25, 11, &sp), 0);
    assert_true(count_kind(&g, CHART_BAND) > 0);
    assert_true(count_kind(&g, CHART_SERIES1) > 0);
    assert_double_equal(g.ymin, 0, 0);
    assert_double_equal(g.ymax, 2, 0);
    /* one mark: a marker on the axis row in the middle of the plot */
    int markers = 0, col = -1;
    for (int c = 0; c < g.w; c++)
        if (chart_cell(&g, g.plot_h, c)->kind == CHART_MARK) { markers++; col = c; }
    assert_int_equal(markers, 1);
    assert_string_equal(chart_cell(&g, g.plot_h, col)->text, "^");
    assert_int_equal(col, g.plot_x + (g.plot_w - 1) / 2);
    chart_free(&g);
}

static void test_too_small(void **state) {
    (void)state;
    double y[2] = {1, 2};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 2};
    assert_int_equal(chart_render(&g, 3, 10, &sp), -1);
    assert_int_equal(g.w, 0);
    assert_int_equal(chart_render(&g, 30, 2, &sp), -1);
    assert_int_equal(chart_render(&g, 30, 3, &sp), 0);
    chart_free(&g);
    chart_free(NULL);
}

static void test_many_points_more_than_columns(void **state) {
    (void)state;
    enum { N = 5000 };
    static double y[N];
    for (int i = 0; i < N; i++) y[i] = sin(i * 0.01);
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = N};
    assert_int_equal(chart_render(&g, 40, 8, &sp), 0);
    /* every plot column has some of the line */
    for (int c = g.plot_x; c < g.w; c++) {
        int any = 0;
        for (int r = 0; r < g.plot_h; r++) any |= chart_cell(&g, r, c)->kind == CHART_SERIES0;
        assert_true(any);
    }
    chart_free(&g);
}

static void test_long_history_is_linear(void **state) {
    (void)state;
    /* a million noisy points with a band: must not cost points x rows (the studio redraws this live) */
    enum { N = 1000000 };
    double *y = malloc(N * sizeof *y), *lo = malloc(N * sizeof *lo), *hi = malloc(N * sizeof *hi);
    for (int i = 0; i < N; i++) {
        y[i] = ((long long)i * 7919 % 1000) / 1000.0;   /* jumps across the whole range at every step */
        lo[i] = y[i] - 0.5; hi[i] = y[i] + 0.5;
    }
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .lo = lo, .hi = hi, .n = N};
    struct timespec t0, t1;
    /* CPU time, not wall time: other processes on a shared machine do not count against the chart */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    assert_int_equal(chart_render(&g, 200, 40, &sp), 0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double sec = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    /* about 0.05 s; joining each pair point by point takes seconds (minutes under ThreadSanitizer, which runs
     * this ten to forty times slower) */
#if defined(__SANITIZE_THREAD__)
    assert_true(sec < 40.0);
#else
    assert_true(sec < 2.0);
#endif
    /* the range is the band's, -0.5 .. 1.5; every plot column has the line across y = 0.5 and the band above it */
    assert_double_equal(g.ymin, -0.5, 1e-12);
    assert_double_equal(g.ymax, 1.5, 1e-12);
    for (int c = g.plot_x; c < g.w; c++) {
        assert_int_equal(chart_cell(&g, g.plot_h / 2, c)->kind, CHART_SERIES0);
        assert_int_equal(chart_cell(&g, 0, c)->kind, CHART_BAND);
    }
    chart_free(&g);
    free(y); free(lo); free(hi);
}

static void test_format(void **state) {
    (void)state;
    char b[32];
    assert_string_equal(chart_format(NAN, 6, b, sizeof b), "nan");
    assert_string_equal(chart_format(INFINITY, 6, b, sizeof b), "inf");
    assert_string_equal(chart_format(-INFINITY, 6, b, sizeof b), "-inf");
    assert_string_equal(chart_format(0.5, 6, b, sizeof b), "0.5");
    assert_string_equal(chart_format(-0.0, 6, b, sizeof b), "0");
    assert_string_equal(chart_format(1e6, 6, b, sizeof b), "1e6");
    assert_string_equal(chart_format(1.5e-5, 6, b, sizeof b), "1.5e-5");
    assert_string_equal(chart_format(3.14159265, 4, b, sizeof b), "3.14");
    assert_string_equal(chart_format(123456789.0, 5, b, sizeof b), "1.2e8");
    assert_string_equal(chart_format(-DBL_MAX, 7, b, sizeof b), "-2e308");
    assert_string_equal(chart_format(-DBL_MAX, 4, b, sizeof b), "####");
    for (int w = 1; w < 10; w++) assert_true((int)strlen(chart_format(-1.234e-300, w, b, sizeof b)) <= w);
    assert_true(isnan(chart_latest((double[]){NAN}, 1)));
    assert_double_equal(chart_latest((double[]){1, 2, NAN}, 3), 2, 0);
    assert_true(isnan(chart_latest(NULL, 0)));
}

static void test_nice_labels(void **state) {
    (void)state;
    /* float noise below zero and an odd maximum give round labels, not -4.7e-9 and 0.58523 */
    double y[3] = {-4.7e-9, 0.3, 0.58523};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1};
    sp.series[0] = (ChartSeries){.y = y, .n = 3};
    assert_int_equal(chart_render(&g, 30, 8, &sp), 0);
    assert_double_equal(g.ymin, 0, 1e-12);
    assert_double_equal(g.ymax, 0.6, 1e-12);
    char buf[4096];
    grid_text(&g, buf, sizeof buf);
    assert_true(strncmp(buf, "0.6+", 4) == 0);
    assert_non_null(strstr(buf, "0.3+"));
    assert_non_null(strstr(buf, "  0+"));
    assert_null(strstr(buf, "e-"));
    chart_free(&g);
}

/* Ticks between the ends of the x axis: round steps, at their columns, never over the end labels. */
static void test_x_ticks(void **state) {
    (void)state;
    double x[201], y[201];
    for (int i = 0; i <= 200; i++) { x[i] = i; y[i] = i % 7; }
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1};
    sp.series[0] = (ChartSeries){.x = x, .y = y, .n = 201};
    assert_int_equal(chart_render(&g, 64, 8, &sp), 0);
    char axis[128];
    int k = 0;
    for (int c = 0; c < g.w; c++) k += snprintf(axis + k, sizeof axis - (size_t)k, "%s", chart_cell(&g, g.plot_h, c)->text);
    /* "0" at the left, "200" at the right, and round steps between them */
    assert_non_null(strstr(axis, "+0"));
    assert_int_equal(strcmp(axis + strlen(axis) - 3, "200"), 0);
    int ticks = 0;
    for (int t = 20; t < 200; t += 10) {
        char lab[8];
        snprintf(lab, sizeof lab, "%d", t);
        const char *at = strstr(axis, lab);
        if (!at || (at[strlen(lab)] >= '0' && at[strlen(lab)] <= '9')) continue;
        ticks++;
        /* the label sits on the column of its step (centred, within a cell of rounding) */
        int col = (int)(at - axis) + (int)strlen(lab) / 2;
        int want = g.plot_x + (int)lround((t - g.xmin) / (g.xmax - g.xmin) * (g.plot_w * 2 - 1)) / 2;
        assert_true(abs(col - want) <= 1);
    }
    assert_true(ticks >= 2);
    /* a narrow chart keeps just the ends */
    assert_int_equal(chart_render(&g, 11, 8, &sp), 0);
    k = 0;
    for (int c = 0; c < g.w; c++) k += snprintf(axis + k, sizeof axis - (size_t)k, "%s", chart_cell(&g, g.plot_h, c)->text);
    assert_null(strstr(axis, "100"));
    chart_free(&g);
}

static void test_ema(void **state) {
    (void)state;
    double y[5] = {1, 3, NAN, 2, 6}, out[6];
    /* weight 0: the raw values, gaps kept */
    chart_ema(y, 5, 0, out);
    assert_double_equal(out[0], 1, 0);
    assert_double_equal(out[1], 3, 0);
    assert_true(isnan(out[2]));
    assert_double_equal(out[4], 6, 0);
    /* debiased: the first value is itself; then (w(1-w) y0 + (1-w) y1) / (1 - w^2), and so on */
    const double w = 0.6;
    chart_ema(y, 5, w, out);
    assert_double_equal(out[0], 1, 1e-12);
    double e1 = ((1 - w) * w * 1 + (1 - w) * 3) / (1 - w * w);
    assert_double_equal(out[1], e1, 1e-12);
    assert_true(isnan(out[2]));                 /* a gap stays a gap and leaves the average alone */
    double e2 = (((1 - w) * w * 1 + (1 - w) * 3) * w + (1 - w) * 2) / (1 - w * w * w);
    assert_double_equal(out[3], e2, 1e-12);
    /* a constant series is its own average at any weight (no pull toward 0 at the start) */
    double c[4] = {5, 5, 5, 5};
    chart_ema(c, 4, 0.99, out);
    for (int i = 0; i < 4; i++) assert_double_equal(out[i], 5, 1e-9);
    /* in place */
    double z[3] = {2, 4, 6};
    chart_ema(z, 3, 0.5, z);
    assert_double_equal(z[0], 2, 1e-12);
    assert_double_equal(z[1], (0.25 * 2 + 0.5 * 4) / 0.75, 1e-12);
    /* smoothing pulls a spike down */
    double sp[6] = {0, 0, 0, 10, 0, 0};
    chart_ema(sp, 6, 0.8, out);
    assert_true(out[3] < 10 && out[3] > 0);
    assert_true(out[5] > 0);
}

static void test_value_at_across_runs(void **state) {
    (void)state;
    /* run A logs every step 0..10; run B every 5 steps and stops at 10; run C evaluates at 3 and 9 only */
    double xa[11], ya[11];
    for (int i = 0; i <= 10; i++) { xa[i] = i; ya[i] = 100 + i; }
    double xb[3] = {0, 5, 10}, yb[3] = {0.5, 0.6, 0.7};
    double xc[2] = {3, 9}, yc[2] = {0.25, 0.75};
    double at;
    assert_double_equal(chart_value_at(xa, ya, 11, 7, &at), 107, 0);
    assert_double_equal(at, 7, 0);
    assert_double_equal(chart_value_at(xb, yb, 3, 7, &at), 0.6, 0);   /* B's latest at or before 7 */
    assert_double_equal(at, 5, 0);
    assert_double_equal(chart_value_at(xc, yc, 2, 7, NULL), 0.25, 0);
    assert_true(isnan(chart_value_at(xc, yc, 2, 2, &at)));                /* before C's first evaluation */
    assert_true(isnan(at));
    assert_double_equal(chart_value_at(xc, yc, 2, 9, NULL), 0.75, 0);
    assert_true(isnan(chart_value_at(xc, yc, 2, 10, NULL)));              /* after C's last point */
    assert_double_equal(chart_value_at(xb, yb, 3, 10, NULL), 0.7, 0);
    /* NaN points are skipped; a series of NaN reads nothing; xs NULL means 0..n-1 */
    double yn[4] = {1, NAN, NAN, 4};
    assert_double_equal(chart_value_at(NULL, yn, 4, 2, &at), 1, 0);
    assert_double_equal(at, 0, 0);
    double all_nan[2] = {NAN, NAN};
    assert_true(isnan(chart_value_at(NULL, all_nan, 2, 1, NULL)));
    assert_true(isnan(chart_value_at(xa, ya, 0, 1, NULL)));
    assert_true(isnan(chart_value_at(xa, ya, 11, NAN, NULL)));
}

/* The text of row r between columns c0 and c1 (exclusive). */
static void row_text(const ChartGrid *g, int r, int c0, int c1, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    for (int c = c0; c < c1 && c < g->w; c++) k += (size_t)snprintf(out + k, n - k, "%s", chart_cell(g, r, c)->text);
}

static void test_mark_labels(void **state) {
    (void)state;
    char lab[128];
    assert_string_equal(chart_mark_label("optim.lr", "0.001", "0.0005", 0, lab, sizeof lab),
                        "optim.lr 0.001 -> 0.0005");
    assert_string_equal(chart_mark_label("grpo.beta", "0.04", "0", 1, lab, sizeof lab),
                        "grpo.beta 0.04 -> 0 (pending)");
    chart_mark_label("k", "a", "b", 0, lab, 5);   /* cut, terminated */
    assert_string_equal(lab, "k a ");

    double x[11], y[11];
    for (int i = 0; i <= 10; i++) { x[i] = i; y[i] = 0; }   /* a flat line at the bottom: the top rows are free */
    double marks[3] = {2, 9, 11};
    const char *labels[3] = {"optim.lr 0.001 -> 0.0005", "grpo.beta 0.04 -> 0.1", "sampling.temperature 1 -> 0.7"};
    unsigned char pending[3] = {0, 0, 1};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1, .marks = marks, .n_marks = 3, .mark_labels = labels,
                    .mark_pending = pending, .fixed_range = 1, .ymin = 0, .ymax = 1};
    sp.series[0] = (ChartSeries){.x = x, .y = y, .n = 11};
    assert_int_equal(chart_render(&g, 60, 10, &sp), 0);
    char buf[4096];
    grid_text(&g, buf, sizeof buf);
    /* the first label whole, right of its line */
    assert_non_null(strstr(buf, "optim.lr 0.001 -> 0.0005"));
    /* the second, near the right edge, goes left of its line where there is more room: whole */
    assert_non_null(strstr(buf, "grpo.beta 0.04 -> 0.1"));
    /* the pending one, past the data: its line in the last column, in its own kind; the last step's number stays
     * whole on the axis row */
    int pend_line = 0;
    for (int r = 0; r < g.plot_h; r++) pend_line += chart_cell(&g, r, g.w - 1)->kind == CHART_PENDING;
    assert_true(pend_line >= g.plot_h - 2);
    char axis[256];
    row_text(&g, g.plot_h, g.w - 2, g.w, axis, sizeof axis);
    assert_string_equal(axis, "10");
    /* the applied marks on the axis row: a tick number under one gives way whole, never cut */
    int marks_on_axis = 0;
    for (int c = 0; c < g.w; c++) marks_on_axis += chart_cell(&g, g.plot_h, c)->kind == CHART_MARK;
    assert_int_equal(marks_on_axis, 2);
    int pend_text = 0;
    for (int r = 0; r < g.plot_h; r++)
        for (int c = 0; c < g.w; c++) {
            const ChartCell *cell = chart_cell(&g, r, c);
            if (cell->kind == CHART_PENDING && cell->text[0] != ':') pend_text++;
        }
    assert_true(pend_text >= 3);
    assert_non_null(strstr(buf, "sampling.temperature"));
    /* labels never overlap: each appears once and every cell holds one column */
    assert_null(strstr(strstr(buf, "optim.lr") + 1, "optim.lr"));
    assert_cells_one_column(&g);
    /* no room at all (a narrow chart): a label is cut, never spills past the chart */
    assert_int_equal(chart_render(&g, 16, 6, &sp), 0);
    for (int r = 0; r < g.h; r++) {
        char line[256];
        row_text(&g, r, 0, g.w, line, sizeof line);
        assert_true(strlen(line) <= 16);
    }
    grid_text(&g, buf, sizeof buf);
    assert_non_null(strstr(buf, "~"));
    assert_cells_one_column(&g);
    chart_free(&g);
}

/* A mark with a short label (a fork's) is never cut: its label whole where it fits, else the short one whole, else
 * no label at all. */
static void test_mark_short_labels(void **state) {
    (void)state;
    double x[41], y[41];
    for (int i = 0; i <= 40; i++) { x[i] = i; y[i] = 0; }
    double marks[1] = {20};
    const char *labels[1] = {"fork of run 12 @ 20"};
    const char *shorts[1] = {"fork 12@20"};
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 0, .n_series = 1, .marks = marks, .n_marks = 1, .mark_labels = labels,
                    .mark_short = shorts, .fixed_range = 1, .ymin = 0, .ymax = 1};
    sp.series[0] = (ChartSeries){.x = x, .y = y, .n = 41};
    char buf[8192];
    assert_int_equal(chart_render(&g, 70, 8, &sp), 0);   /* room: the whole label */
    grid_text(&g, buf, sizeof buf);
    assert_non_null(strstr(buf, "fork of run 12 @ 20"));
    assert_null(strstr(buf, "~"));
    assert_int_equal(chart_render(&g, 32, 8, &sp), 0);   /* about 13 columns each side: the short label */
    grid_text(&g, buf, sizeof buf);
    assert_null(strstr(buf, "fork of"));
    assert_non_null(strstr(buf, "fork 12@20"));
    assert_null(strstr(buf, "~"));
    assert_int_equal(chart_render(&g, 18, 8, &sp), 0);   /* no room for either: no label, nothing cut */
    grid_text(&g, buf, sizeof buf);
    assert_null(strstr(buf, "fork"));
    assert_null(strstr(buf, "~"));
    /* a branch point before the data (a fork charted alone: its steps start after its parent's step): the x range
     * reaches back to it, so the first step on the axis is the mark's */
    double late_x[3] = {21, 22, 23}, late_y[3] = {0, 0, 0};
    sp.series[0] = (ChartSeries){.x = late_x, .y = late_y, .n = 3};
    assert_int_equal(chart_render(&g, 70, 8, &sp), 0);
    assert_double_equal(g.xmin, 20, 0);
    grid_text(&g, buf, sizeof buf);
    assert_non_null(strstr(buf, "fork of run 12 @ 20"));
    sp.series[0] = (ChartSeries){.x = x, .y = y, .n = 41};
    assert_int_equal(chart_render(&g, 18, 8, &sp), 0);
    int line = 0;   /* the mark's line is still drawn */
    for (int r = 0; r < g.plot_h; r++)
        for (int c = 0; c < g.w; c++) line += chart_cell(&g, r, c)->kind == CHART_MARK;
    assert_true(line >= 1);
    chart_free(&g);
}

static void test_cursor_and_raw(void **state) {
    (void)state;
    double x[11], y[11], raw[11];
    for (int i = 0; i <= 10; i++) { x[i] = i; raw[i] = i % 2 ? 1 : 0; y[i] = 0.5; }
    ChartGrid g = {0};
    ChartSpec sp = {.utf8 = 1, .n_series = 1, .has_cursor = 1, .cursor_x = 5};
    sp.series[0] = (ChartSeries){.x = x, .y = y, .n = 11};
    sp.raw[0] = raw;
    assert_int_equal(chart_render(&g, 40, 10, &sp), 0);
    /* the raw zigzag is drawn faint, the smoothed line over it */
    assert_true(count_kind(&g, CHART_RAW0) > 0);
    assert_true(count_kind(&g, CHART_SERIES0) > 0);
    assert_double_equal(g.ymin, 0, 0);   /* the range covers the raw values too */
    assert_double_equal(g.ymax, 1, 0);
    /* the cursor: one column, in the middle of the plot, marked on the axis row */
    int col = -1, n_axis = 0;
    for (int c = 0; c < g.w; c++)
        if (chart_cell(&g, g.plot_h, c)->kind == CHART_CURSOR) { col = c; n_axis++; }
    assert_int_equal(n_axis, 1);
    assert_int_equal(col, g.plot_x + (int)lround((g.plot_w * 2 - 1) * 0.5) / 2);
    int on_col = 0;
    for (int r = 0; r < g.plot_h; r++) on_col += chart_cell(&g, r, col)->kind == CHART_CURSOR;
    assert_true(on_col >= g.plot_h - 3);   /* every plot row but those the lines cross */
    for (int r = 0; r < g.plot_h; r++)
        for (int c = 0; c < g.w; c++)
            if (c != col) assert_int_not_equal(chart_cell(&g, r, c)->kind, CHART_CURSOR);
    /* a cursor outside the data stands at the nearest end */
    sp.cursor_x = 99;
    assert_int_equal(chart_render(&g, 40, 10, &sp), 0);
    assert_int_equal(chart_cell(&g, 0, g.w - 1)->kind, CHART_CURSOR);
    assert_int_equal(chart_cell(&g, g.plot_h, g.w - 1)->kind, CHART_LABEL);   /* "10" stays whole */
    /* ASCII: raw points get their own glyph */
    sp.utf8 = 0;
    sp.has_cursor = 0;
    assert_int_equal(chart_render(&g, 40, 10, &sp), 0);
    char buf[4096];
    grid_text(&g, buf, sizeof buf);
    assert_non_null(strchr(buf, ','));
    assert_int_equal(count_kind(&g, CHART_CURSOR), 0);
    chart_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_series),
        cmocka_unit_test(test_x_ticks),
        cmocka_unit_test(test_all_nan_is_empty),
        cmocka_unit_test(test_constant_series_is_a_flat_line_in_the_middle),
        cmocka_unit_test(test_constant_zero),
        cmocka_unit_test(test_rising_series_goes_up),
        cmocka_unit_test(test_nan_breaks_the_line),
        cmocka_unit_test(test_huge_values),
        cmocka_unit_test(test_braille_cells),
        cmocka_unit_test(test_band_and_marks),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_many_points_more_than_columns),
        cmocka_unit_test(test_long_history_is_linear),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_nice_labels),
        cmocka_unit_test(test_ema),
        cmocka_unit_test(test_value_at_across_runs),
        cmocka_unit_test(test_mark_labels),
        cmocka_unit_test(test_mark_short_labels),
        cmocka_unit_test(test_cursor_and_raw),
    };
    return cmocka_run_group_tests_name("chart", tests, NULL, NULL);
}
