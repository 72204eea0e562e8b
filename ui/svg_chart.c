/* svg_chart.c - line charts as inline SVG (svg_chart.h). */
#include "ui/svg_chart.h"
#include <math.h>
#include <string.h>

void html_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A round tick spacing giving about `want` intervals over span. */
static double tick_step(double span, int want) {
    double raw = span / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* A tick label without trailing noise: 0.25, 1000, 1e+06. */
static void tick_label(double v, double step, char *buf, size_t n) {
    if (fabs(v) < step * 1e-9) v = 0;
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (fabs(v) >= 1e6) snprintf(buf, n, "%.3g", v);
    else snprintf(buf, n, "%.*f", decimals > 6 ? 6 : decimals, v);
}

int svg_chart_write(FILE *f, const SvgChart *c) {
    int W = c->width > 0 ? c->width : 560, H = c->height > 0 ? c->height : 260;
    const int L = 56, R = 12, T = 28, B = 36;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int s = 0; s < c->n_series; s++)
        for (int i = 0; i < c->series[s].n; i++) {
            double x = c->series[s].x[i], y = c->series[s].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    int empty = !(x0 <= x1);
    for (int m = 0; m < c->n_markers && !empty; m++) {
        if (c->markers[m].x < x0) x0 = c->markers[m].x;
        if (c->markers[m].x > x1) x1 = c->markers[m].x;
    }
    if (c->fixed_y) { y0 = c->ymin; y1 = c->ymax; }
    if (!empty && x1 == x0) { x0 -= 1; x1 += 1; }
    if (!empty && y1 == y0) { double d = fabs(y0) > 0 ? fabs(y0) * 0.1 : 1; y0 -= d; y1 += d; }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\"><title>", W, H, W, H);
    html_escape(f, c->title);
    fprintf(f, "</title><rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>", W, H);
    fprintf(f, "<text x=\"%d\" y=\"18\" class=\"ct\">", L);
    html_escape(f, c->title);
    fputs("</text>", f);
    int pw = W - L - R, ph = H - T - B;
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", L, T, pw, ph);
    if (empty) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"nd\" text-anchor=\"middle\">no data</text></svg>\n", L + pw / 2,
                T + ph / 2);
        return ferror(f) ? -1 : 0;
    }
#define PX(v) (L + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (T + ph - ((v) - y0) / (y1 - y0) * ph)
    double ys = tick_step(y1 - y0, 4), xs = tick_step(x1 - x0, 6);
    if (xs < 1) xs = 1;   /* steps are whole numbers */
    char lab[48];
    for (double v = ceil(y0 / ys - 1e-9) * ys; v <= y1 + ys * 1e-9; v += ys) {
        tick_label(v, ys, lab, sizeof lab);
        fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                   "<text x=\"%d\" y=\"%.1f\" class=\"tk\" text-anchor=\"end\">%s</text>",
                L, L + pw, PY(v), PY(v), L - 4, PY(v) + 4, lab);
    }
    for (double v = ceil(x0 / xs - 1e-9) * xs; v <= x1 + xs * 1e-9; v += xs) {
        tick_label(v, xs, lab, sizeof lab);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
                   "<text x=\"%.1f\" y=\"%d\" class=\"tk\" text-anchor=\"middle\">%s</text>",
                PX(v), PX(v), T + ph, T + ph + 4, PX(v), T + ph + 16, lab);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"tk\" text-anchor=\"middle\">step</text>", L + pw / 2, H - 4);
    for (int m = 0; m < c->n_markers; m++) {
        double x = PX(c->markers[m].x);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"4 3\"/>"
                   "<text x=\"%.1f\" y=\"%d\" class=\"mk\" fill=\"%s\">", x, x, T, T + ph, c->markers[m].colour,
                x + 3, T + ph - 6 - 12 * (m % 3), c->markers[m].colour);
        html_escape(f, c->markers[m].label);
        fputs("</text>", f);
    }
    for (int s = 0; s < c->n_series; s++) {
        const SvgSeries *se = &c->series[s];
        int pen = 0, pts = 0;
        fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" d=\"", se->colour);
        for (int i = 0; i < se->n; i++) {
            if (!isfinite(se->y[i]) || !isfinite(se->x[i])) { pen = 0; continue; }
            fprintf(f, "%c%.1f %.1f ", pen ? 'L' : 'M', PX(se->x[i]), PY(se->y[i]));
            pen = 1;
            pts++;
        }
        fputs("\"/>", f);
        if (pts <= 12)   /* few points (evaluations): dots make each one visible */
            for (int i = 0; i < se->n; i++)
                if (isfinite(se->y[i]) && isfinite(se->x[i]))
                    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>", PX(se->x[i]),
                            PY(se->y[i]), se->colour);
    }
#undef PX
#undef PY
    /* legend, top right, one line per series, on a white ground so that curves under it do not hide it */
    int lw = 0;
    for (int s = 0; s < c->n_series; s++) {
        int w = 6 * (int)strlen(c->series[s].label ? c->series[s].label : "") + 24;
        if (w > lw) lw = w;
    }
    if (c->n_series)
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" fill-opacity=\"0.85\"/>",
                L + pw - lw, T + 3, lw - 1, 14 * c->n_series + 3);
    for (int s = 0; s < c->n_series; s++) {
        int y = T + 6 + 14 * s;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                   "<text x=\"%d\" y=\"%d\" class=\"lg\" text-anchor=\"end\">", L + pw - 14, y, c->series[s].colour,
                L + pw - 18, y + 9);
        html_escape(f, c->series[s].label);
        fputs("</text>", f);
    }
    fputs("</svg>\n", f);
    return ferror(f) ? -1 : 0;
}
