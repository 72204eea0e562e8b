/* layout.h - terminal size -> panel rectangles for each screen. Pure: tests/test_layout.c checks it at several
 * sizes. Every screen needs LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS; below that the layout says too_small and the studio
 * shows "terminal too small". Bigger terminals get more panels (a separate accuracy chart, KL and entropy charts,
 * the event log, a transcript pane beside the rollout list). A panel that is not shown has w = h = 0. */
#ifndef GRPO_UI_LAYOUT_H
#define GRPO_UI_LAYOUT_H

enum { LAYOUT_MIN_COLS = 80, LAYOUT_MIN_ROWS = 24 };

typedef struct { int y, x, h, w; } Rect;

static inline int rect_visible(Rect r) { return r.w > 0 && r.h > 0; }

/* Train screen panels. */
typedef enum {
    TP_STATUS = 0,   /* top line */
    TP_HINTS,        /* bottom line */
    TP_REWARD,       /* reward mean with its spread (and accuracy when TP_ACCURACY is absent) */
    TP_ACCURACY,     /* accuracy chart (wide terminals) */
    TP_LENGTH,       /* response length */
    TP_KL,           /* KL chart (tall and wide terminals) */
    TP_ENTROPY,      /* entropy chart (tall and wide terminals) */
    TP_METRICS,      /* metrics table */
    TP_HPARAMS,      /* hyperparameter panel / editor */
    TP_TRACE,        /* the watched rollout */
    TP_EVENTS,       /* event log (tall terminals) */
    TP_EVAL,         /* held-out pass@1 and cons@k (wide or tall terminals) */
    TP_COUNT
} TrainPanel;

typedef struct {
    int too_small;
    Rect r[TP_COUNT];
} TrainLayout;

/* Rollouts screen panels. */
typedef enum {
    RP_STATUS = 0,
    RP_FILTER,       /* filter and search line under the status bar */
    RP_LIST,         /* the rollout list (with its header row) */
    RP_DETAIL,       /* transcript of the selected rollout (wide or tall terminals); else Enter opens it full */
    RP_HINTS,
    RP_COUNT
} RolloutsPanel;

typedef struct {
    int too_small;
    Rect r[RP_COUNT];
} RolloutsLayout;

/* Full-screen views (help, transcript, group): status line, body, hints line. */
typedef struct {
    int too_small;
    Rect status, body, hints;
} FullLayout;

void layout_train(int rows, int cols, TrainLayout *L);
void layout_rollouts(int rows, int cols, RolloutsLayout *L);
void layout_full(int rows, int cols, FullLayout *L);

/* 1 when a and b share a cell (both visible). */
int rect_overlap(Rect a, Rect b);

#endif
