/* chart_series.h - what the charts compute from a series before drawing it: exponential smoothing (TensorBoard's,
 * debiased) and the value a reading cursor shows at a step. Pure: no terminal; tests/test_chart.c checks it. */
#ifndef GRPO_UI_CHART_SERIES_H
#define GRPO_UI_CHART_SERIES_H

/* The smoothing weights the studio cycles through (0: raw). */
enum { CHART_SMOOTH_N = 6 };
extern const double CHART_SMOOTH_WEIGHTS[CHART_SMOOTH_N];

/* out[i] = the exponential moving average of the finite values of y[0..i] with weight w in [0, 1), debiased as
 * TensorBoard does (divided by 1 - w^k after k values, so the first value is itself, not w times less). A
 * non-finite y[i] gives NaN at i (a gap) and leaves the average alone. w = 0 copies y. out may be y. */
void chart_ema(const double *y, int n, double w, double *out);

/* The value a cursor at step x reads from a series (steps xs ascending, values ys, n points; xs NULL: 0..n-1): the
 * last finite value at a step <= x, so a run that logs every 10 steps, or evaluates now and then, reads its latest
 * value; NaN when x is before the series' first finite point or after its last. *at gets that point's step (may
 * be NULL). */
double chart_value_at(const double *xs, const double *ys, int n, double x, double *at);

#endif
