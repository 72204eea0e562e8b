/* chart.h - line charts as a grid of terminal cells, computed without a terminal.
 *
 * chart_render turns one or more series over steps into a w x h grid: y labels on the left, an axis, the plot
 * (braille dots, 2 x 4 per cell, when utf8; one character per cell otherwise), and an x axis on the bottom row
 * with the first and last step, round steps between, and a mark under every hyperparameter change (its label, e.g.
 * "optim.lr 0.001 -> 0.0005", written beside its line where it fits; pending changes in a style of their own). A
 * series may carry its raw values (drawn faint under a smoothed line), and a cursor column can be drawn at a step.
 * Each cell carries its text (one
 * column wide) and a kind the drawing layer maps to a colour. NaN and infinite values are skipped (a gap), a
 * constant series gets a range around its value, and the mapping is done in long double so values near DBL_MAX
 * neither overflow nor vanish. ui/screen_train.c draws the grid; tests/test_chart.c checks it. */
#ifndef GRPO_UI_CHART_H
#define GRPO_UI_CHART_H
#include <stddef.h>

enum { CHART_MAX_SERIES = 6 };

typedef enum {
    CHART_EMPTY = 0,   /* blank */
    CHART_AXIS,        /* axis lines */
    CHART_LABEL,       /* y and x labels, "no data" */
    CHART_BAND,        /* the spread band of series 0 */
    CHART_SERIES0,     /* series 0 (on top of its band) */
    CHART_SERIES1,
    CHART_SERIES2,
    CHART_MARK,        /* hyperparameter change marks */
    CHART_SERIES3,     /* series 3..5: more runs overlaid (the Runs screen) */
    CHART_SERIES4,
    CHART_SERIES5,
    CHART_CURSOR,      /* the reading cursor's column */
    CHART_PENDING,     /* a change submitted but not applied yet (its line and label) */
    CHART_RAW0,        /* the raw values of series 0..5 under their smoothed lines (CHART_RAW0 + index) */
    CHART_RAW1, CHART_RAW2, CHART_RAW3, CHART_RAW4, CHART_RAW5
} ChartCellKind;

typedef struct {
    char text[8];      /* UTF-8 of one column-wide character (or ASCII), NUL-terminated */
    unsigned char kind;/* ChartCellKind */
} ChartCell;

typedef struct {
    const double *x;   /* n x positions (steps), ascending; NULL means 0..n-1 */
    const double *y;   /* n values; NaN / inf are skipped */
    const double *lo;  /* optional band below / above y (n values each); NULL for none */
    const double *hi;
    int n;
} ChartSeries;

typedef struct {
    int utf8;                  /* braille dots and box drawing; otherwise ASCII */
    int n_series;              /* 0..CHART_MAX_SERIES */
    ChartSeries series[CHART_MAX_SERIES];
    const double *raw[CHART_MAX_SERIES]; /* optional: series i's n raw values, drawn faint under its y (y is then
                                            their smoothed line); NULL none */
    const double *marks;       /* x positions of hyperparameter changes; may be NULL */
    int n_marks;
    const char *const *mark_labels;    /* n_marks labels ("key old -> new") or NULL; a NULL entry: no label */
    const unsigned char *mark_pending; /* n_marks flags or NULL: 1 = submitted, not applied yet (drawn apart, and
                                          at the right edge when its step is past the data) */
    const char *const *mark_short;    /* n_marks shorter labels or NULL; a mark that has one (non-NULL) is never cut:
                                          its label whole, else its short label whole, else none ("fork of run 1 @
                                          40" -> "fork 1@40"); and the x range reaches back to it (a fork's
                                          branch point, before the fork's first step) */
    int has_cursor;            /* draw the reading cursor's column at cursor_x (clamped into the x range) */
    double cursor_x;
    int fixed_range;           /* use ymin..ymax below instead of the data's range */
    double ymin, ymax;
} ChartSpec;

typedef struct {
    int w, h;                  /* the grid, in cells */
    ChartCell *cells;          /* h rows of w cells, row-major; owned by the grid */
    int plot_x, plot_w;        /* the plot area: columns plot_x .. plot_x + plot_w - 1 */
    int plot_h;                /* rows 0 .. plot_h - 1; row plot_h is the x axis */
    double ymin, ymax;         /* the y range drawn (finite) */
    double xmin, xmax;         /* the x range drawn */
    int has_data;              /* some finite point was drawn */
} ChartGrid;

/* Renders spec into g (w x h cells), reallocating g->cells as needed; g starts zeroed ({0}).
 * Returns 0, or -1 when w x h is too small for axes and a plot (g then has w = h = 0) or out of memory. */
int chart_render(ChartGrid *g, int w, int h, const ChartSpec *spec);
void chart_free(ChartGrid *g);
static inline const ChartCell *chart_cell(const ChartGrid *g, int row, int col) {
    return &g->cells[(size_t)row * g->w + col];
}

/* Formats v into at most `width` columns (width >= 4): "%.*g" with as many digits as fit, "nan", "inf", "-inf";
 * never wider than width. Returns buf. */
char *chart_format(double v, int width, char *buf, size_t n);

/* The last finite value of y[0..n), or NaN when there is none. */
double chart_latest(const double *y, int n);

/* A change marker's label: "key old -> new", with " (pending)" when it is not applied yet. Returns buf. */
char *chart_mark_label(const char *key, const char *old_value, const char *new_value, int pending, char *buf,
                       size_t n);

#endif
