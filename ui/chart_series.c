/* chart_series.c - smoothing and cursor reading of series (see chart_series.h). */
#include "ui/chart_series.h"
#include <math.h>

const double CHART_SMOOTH_WEIGHTS[CHART_SMOOTH_N] = {0, 0.6, 0.8, 0.9, 0.95, 0.99};

void chart_ema(const double *y, int n, double w, double *out) {
    double last = 0, decay = 1;   /* decay = w^k after k finite values */
    for (int i = 0; i < n; i++) {
        double v = y[i];
        if (!isfinite(v)) { out[i] = NAN; continue; }
        if (w <= 0) { out[i] = v; continue; }
        last = last * w + (1 - w) * v;
        decay *= w;
        out[i] = last / (1 - decay);
    }
}

double chart_value_at(const double *xs, const double *ys, int n, double x, double *at) {
    if (at) *at = NAN;
    if (n <= 0 || !ys || !isfinite(x)) return NAN;
    /* the last index with xs[i] <= x (binary search: xs is ascending) */
    int lo = 0, hi = n - 1, k = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        double xm = xs ? xs[mid] : mid;
        if (xm <= x) { k = mid; lo = mid + 1; }
        else hi = mid - 1;
    }
    int last = n - 1;   /* past the series' last finite point: nothing to read */
    while (last >= 0 && !isfinite(ys[last])) last--;
    if (last < 0 || x > (xs ? xs[last] : last)) return NAN;
    for (int i = k; i >= 0; i--)
        if (isfinite(ys[i])) {
            if (at) *at = xs ? xs[i] : i;
            return ys[i];
        }
    return NAN;
}
