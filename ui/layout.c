/* layout.c - panel rectangles per screen (see layout.h).
 *
 * Train screen, 80 x 24 (the minimum):          larger (>= 120 x 40):
 *   status                                        status
 *   [reward+acc chart][length chart]              [reward][accuracy][length]
 *   [metrics   ][trace          ]                 [kl     ][entropy ][held-out]
 *   [hparams   ][               ]                 [metrics][trace    ][events]
 *   hints                                         [hparams][          ][     ]
 *                                                 hints
 * Wide but short: [reward+acc][length][held-out] in the first row (from 160 columns [reward][accuracy][length]
 * [held-out]). Tall but narrow: the held-out chart is
 * a second chart row. Held-out is pass@1 and cons@k over steps. */
#include "ui/layout.h"
#include <string.h>

static Rect rect(int y, int x, int h, int w) {
    Rect r = {y, x, h, w};
    return r;
}

int rect_overlap(Rect a, Rect b) {
    if (!rect_visible(a) || !rect_visible(b)) return 0;
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static int too_small(int rows, int cols) { return rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS; }

/* Splits width w into n columns as evenly as possible; column i starts at x + off[i] and is ws[i] wide. */
static void split(int x, int w, int n, int *xs, int *ws) {
    int at = x;
    for (int i = 0; i < n; i++) {
        int wi = w / n + (i < w % n ? 1 : 0);
        xs[i] = at; ws[i] = wi;
        at += wi;
    }
}

void layout_train(int rows, int cols, TrainLayout *L) {
    memset(L, 0, sizeof *L);
    if (too_small(rows, cols)) { L->too_small = 1; return; }
    L->r[TP_STATUS] = rect(0, 0, 1, cols);
    L->r[TP_HINTS] = rect(rows - 1, 0, 1, cols);
    int y = 1, body = rows - 2;
    const int wide = cols >= 120, tall = rows >= 40;

    /* first chart row: about 40% of the body, at least 9 rows (7 inside the border) */
    int c1 = body * 2 / 5;
    if (tall) c1 = body * 3 / 10;
    if (c1 < 9) c1 = 9;
    int xs[3], ws[3];
    int xs4[4], ws4[4];
    if (wide && !tall && cols < 160) {   /* three charts keep their titles whole: accuracy joins the reward chart */
        split(0, cols, 3, xs, ws);
        L->r[TP_REWARD] = rect(y, xs[0], c1, ws[0]);
        L->r[TP_LENGTH] = rect(y, xs[1], c1, ws[1]);
        L->r[TP_EVAL] = rect(y, xs[2], c1, ws[2]);
    } else if (wide && !tall) {
        split(0, cols, 4, xs4, ws4);
        L->r[TP_REWARD] = rect(y, xs4[0], c1, ws4[0]);
        L->r[TP_ACCURACY] = rect(y, xs4[1], c1, ws4[1]);
        L->r[TP_LENGTH] = rect(y, xs4[2], c1, ws4[2]);
        L->r[TP_EVAL] = rect(y, xs4[3], c1, ws4[3]);
    } else if (wide) {
        split(0, cols, 3, xs, ws);
        L->r[TP_REWARD] = rect(y, xs[0], c1, ws[0]);
        L->r[TP_ACCURACY] = rect(y, xs[1], c1, ws[1]);
        L->r[TP_LENGTH] = rect(y, xs[2], c1, ws[2]);
    } else {
        split(0, cols, 2, xs, ws);
        L->r[TP_REWARD] = rect(y, xs[0], c1, ws[0]);
        L->r[TP_LENGTH] = rect(y, xs[1], c1, ws[1]);
    }
    y += c1;

    if (tall) { /* second chart row */
        int c2 = body / 5;
        if (c2 < 8) c2 = 8;
        if (wide) {
            split(0, cols, 3, xs, ws);
            L->r[TP_KL] = rect(y, xs[0], c2, ws[0]);
            L->r[TP_ENTROPY] = rect(y, xs[1], c2, ws[1]);
            L->r[TP_EVAL] = rect(y, xs[2], c2, ws[2]);
        } else {
            L->r[TP_EVAL] = rect(y, 0, c2, cols);
        }
        y += c2;
    }

    int rest = rows - 1 - y;   /* rows above the hints line */
    int lw = wide ? 50 : cols / 2;
    /* metrics: 2 columns of name/value pairs; 4 lines at the minimum, up to 9 when there is room */
    int mh = rest * 9 / 20;
    if (mh < 6) mh = 6;
    if (mh > 11) mh = 11;
    L->r[TP_METRICS] = rect(y, 0, mh, lw);
    L->r[TP_HPARAMS] = rect(y + mh, 0, rest - mh, lw);
    int rx = lw, rw = cols - lw;
    if (tall && wide) {
        int ew = rw * 2 / 5;
        if (ew > 60) ew = 60;
        L->r[TP_TRACE] = rect(y, rx, rest, rw - ew);
        L->r[TP_EVENTS] = rect(y, rx + rw - ew, rest, ew);
    } else if (tall) {
        int eh = rest / 3;
        L->r[TP_TRACE] = rect(y, rx, rest - eh, rw);
        L->r[TP_EVENTS] = rect(y + rest - eh, rx, eh, rw);
    } else {
        L->r[TP_TRACE] = rect(y, rx, rest, rw);
    }
}

void layout_rollouts(int rows, int cols, RolloutsLayout *L) {
    memset(L, 0, sizeof *L);
    if (too_small(rows, cols)) { L->too_small = 1; return; }
    L->r[RP_STATUS] = rect(0, 0, 1, cols);
    L->r[RP_FILTER] = rect(1, 0, 1, cols);
    L->r[RP_HINTS] = rect(rows - 1, 0, 1, cols);
    int y = 2, h = rows - 3;
    if (cols >= 120) {          /* transcript beside the list */
        int lw = cols * 3 / 5;
        L->r[RP_LIST] = rect(y, 0, h, lw);
        L->r[RP_DETAIL] = rect(y, lw, h, cols - lw);
    } else if (rows >= 40) {    /* transcript below the list */
        int lh = h / 2;
        L->r[RP_LIST] = rect(y, 0, lh, cols);
        L->r[RP_DETAIL] = rect(y + lh, 0, h - lh, cols);
    } else {
        L->r[RP_LIST] = rect(y, 0, h, cols);
    }
}

void layout_full(int rows, int cols, FullLayout *L) {
    memset(L, 0, sizeof *L);
    if (too_small(rows, cols)) { L->too_small = 1; return; }
    L->status = rect(0, 0, 1, cols);
    L->body = rect(1, 0, rows - 2, cols);
    L->hints = rect(rows - 1, 0, 1, cols);
}
