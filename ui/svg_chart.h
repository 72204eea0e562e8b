/* svg_chart.h - a line chart as one inline SVG element, for the HTML report (ui/report.c): several series, one
 * colour each, axes with ticks at round numbers, a legend, and vertical markers (where a forked run branches off).
 * Pure text output: no terminal, no database; the numbers on the axes are the series' own. */
#ifndef GRPO_UI_SVG_CHART_H
#define GRPO_UI_SVG_CHART_H
#include <stdio.h>

typedef struct {
    const double *x, *y;     /* n points by x; a NaN y breaks the line */
    int n;
    const char *colour;      /* a CSS colour, e.g. "#1f77b4" */
    const char *label;       /* the legend's text (escaped on output) */
} SvgSeries;

typedef struct {
    double x;                /* a vertical dashed line at this x */
    const char *colour;
    const char *label;       /* drawn beside it (escaped) */
} SvgMarker;

typedef struct {
    const char *title;       /* escaped on output */
    int fixed_y;             /* 1: the y range is [ymin, ymax] (e.g. 0..1 for a rate); 0: the data's */
    double ymin, ymax;
    const SvgSeries *series;
    int n_series;
    const SvgMarker *markers;
    int n_markers;
    int width, height;       /* pixels; 0: 560 x 260 */
} SvgChart;

/* Writes c as one <svg> element to f; a chart without any point says "no data" in its frame. Returns 0, or -1 when
 * writing to f failed. */
int svg_chart_write(FILE *f, const SvgChart *c);
/* Writes s to f with &, <, >, " and ' escaped for HTML text and attribute values. */
void html_escape(FILE *f, const char *s);

#endif
