/* studio_internal.h - the studio's state, shared by studio.c (the loop, the queues, the keys) and the screen_*.c
 * files (drawing). Everything here except the Inbox belongs to the loop thread; the Inbox is what the trainer's
 * thread writes, under its mutex. */
#ifndef GRPO_UI_STUDIO_INTERNAL_H
#define GRPO_UI_STUDIO_INTERNAL_H
#include "ui/studio.h"
#include "ui/browser.h"
#include "ui/chart.h"
#include "ui/editor.h"
#include "ui/history.h"
#include "ui/keymap.h"
#include "ui/layout.h"
#include "ui/runs.h"
#include "ui/theme.h"
#include "ui/token_view.h"
#include <curses.h>
#include <uv.h>

/* The metrics the studio knows by name (StepRecord.metrics): the first columns of the History, in this order.
 * Others the trainer reports get columns after them, in the order they first come. */
typedef enum {
    M_REWARD = 0, M_REWARD_STD, M_REWARD_ACCURACY, M_REWARD_FORMAT, M_REWARD_LANGUAGE, M_ACCURACY, M_FORMAT_RATE,
    M_LENGTH, M_LENGTH_MIN, M_LENGTH_MAX, M_TRUNCATED, M_ZERO_STD, M_POLICY_LOSS, M_KL, M_ENTROPY, M_CLIP,
    M_GRAD_NORM, M_LR, M_REFLECTION, M_SELF_CORRECTION, M_GEN_TPS, M_TRAIN_TPS, M_STEP_TIME, M_EVAL_PASS1,
    M_EVAL_CONSK,
    /* the loss variants' (grpo.c, trainer.c) */
    M_CLIP_LOW, M_CLIP_HIGH, M_CLIP_DELTA, M_SEQ_RATIO_MEAN, M_SEQ_RATIO_MIN, M_SEQ_RATIO_MAX, M_MASKED_TRUNCATED,
    M_REWARD_OVERLONG, M_PROMPTS_DRAWN, M_GROUPS_DROPPED, M_ENTROPY_MASKED, M_COUNT
} MetricId;

/* The views of the Train screen's variant chart (the entropy panel, or the length panel when the terminal is too
 * small for a second chart row), cycled with `v`: view 0 is the panel's own chart. */
enum { CHART_VIEWS = 6 };
extern const char *const STUDIO_METRIC_NAMES[M_COUNT];
int studio_metric_id(const char *name);   /* -1 when unknown */

/* One step's metrics: v[MetricId], then v[M_COUNT + k] for the Inbox's extra_names[k]; NaN where not logged. */
typedef struct { int step; double wall; double v[HIST_MAX_COLS]; } StepPoint;
enum { HIST_EXTRA = HIST_MAX_COLS - M_COUNT };

/* The watched rollout. */
typedef struct {
    int step;
    char *text;          /* prompt followed by the completion so far */
    size_t len, cap;
    size_t prompt_len;
    int scored, correct;
    float reward;
    unsigned gen;        /* changes with each new rollout */
} Trace;

/* Written by the trainer's thread, drained by the loop. */
typedef struct {
    uv_mutex_t mu;
    StepPoint *steps;
    int n_steps, cap_steps;
    Event *events;
    int n_events, cap_events;
    Trace trace;
    int trace_dirty;
    char *extra_names[HIST_EXTRA];   /* metric names beyond MetricId, in the order first reported (owned) */
    int n_extra;
    int worker_done, worker_rc;
    int async_ready;     /* the loop's uv_async is initialised and open */
} Inbox;

enum { SCR_TRAIN = 0, SCR_ROLLOUTS, SCR_TRANSCRIPT, SCR_GROUP, SCR_HELP, SCR_RUNS, SCR_COUNT };

/* Dirty bits: what to redraw at the next frame. */
enum {
    D_STATUS = 1, D_CHARTS = 2, D_METRICS = 4, D_HPARAMS = 8, D_TRACE = 16, D_EVENTS = 32, D_HINTS = 64,
    D_BODY = 128, D_OVERLAY = 256, D_ALL = 0xffff
};

/* Windows, one per panel of every screen, kept while their rectangle stays the same. */
enum { W_TRAIN0 = 0, W_ROLL0 = TP_COUNT, W_FULL_STATUS = W_ROLL0 + RP_COUNT, W_FULL_BODY, W_FULL_HINTS,
       W_OVERLAY, W_RUNS_TABLE, W_RUNS_CHART0, W_RUNS_CHART1, W_RUNS_CHART2, W_COUNT };

enum { EVENT_LOG = 256, PENDING_MAX = 16 };

/* A hyperparameter change submitted to the trainer, shown on the charts until its SET event says it applied. */
typedef struct { char name[96]; char old_value[64]; char new_value[64]; } PendingSet;

/* The Train screen's scratch arrays (band edges, the evaluations' points, smoothed copies of the series drawn),
 * grown as the history grows and freed with the studio. */
/* Fork marks on the Train screen's charts: the charted run's and each overlaid run's (ui/screen_train.c). */
enum { FORK_MARKS_MAX = 4 };

typedef struct {
    int cap;
    double *lo, *hi;               /* the reward band */
    double *ex, *ep, *ec;          /* the evaluations: steps, pass@1, cons@k */
    double *smooth[CHART_MAX_SERIES];
    int mark_cap;                  /* the marks drawn: applied ones, then pending ones */
    double *mark_x;
    const char **mark_label;
    unsigned char *mark_pending;
    const char **mark_short;       /* NULL but for fork marks (never cut: whole or short) */
    char pending_label[PENDING_MAX][256];
    char fork_label[FORK_MARKS_MAX][64], fork_short[FORK_MARKS_MAX][32];   /* "fork of run 1 @ 40", "fork 1@40" */
} TrainScratch;

/* The metric picker (`m` on the Train screen): every metric name of the run, narrowed as the user types. */
typedef struct {
    int open;
    char filter[64];
    int len;
    int sel, top;
    QueryStrings names;            /* the candidates (owned) */
} MetricPicker;

struct Studio {
    Config cfg;
    char config_path[512];
    char db_path[512];
    Trainer *t;              /* NULL in browse-only mode */
    int64_t run_id;          /* the run trained (its id in the database), 0 when none (--db none) */
    int browse_only;

    Inbox in;

    /* loop handles */
    uv_loop_t loop;
    uv_poll_t poll;
    int sig_fd;              /* signalfd of ui/signals.h's set (blocked in every thread), -1 when closed */
    uv_poll_t sig_poll;      /* watches sig_fd */
    uv_timer_t timer;
    uv_async_t async;
    uv_thread_t worker;
    int worker_started, worker_done, worker_rc;
    int handles_open;

    /* what the trainer told us */
    History hist;
    double *marks;           /* steps of hyperparameter changes */
    char **mark_labels;      /* their labels, "key old -> new" (owned) */
    int n_marks, cap_marks;
    PendingSet pending[PENDING_MAX];   /* submitted, not applied yet */
    int n_pending;
    Event log[EVENT_LOG];    /* the newest events, a ring */
    int log_n, log_head;
    Trace trace;
    int step;                /* steps completed */
    TrainerStatus status;
    double t_start;          /* monotonic seconds when the studio opened */
    double t_end;            /* when training ended (the clock stops there); 0 while it goes on */
    int last_elapsed;
    size_t rss;              /* bytes resident (memory_resident), read about once a second; 0 until known */
    double rss_read;         /* when rss was last read */
    double last_eval_pass1, last_eval_consk;
    int last_eval_step;
    int eval_done, eval_total; /* the held-out evaluation running now (trainer_eval_progress); total 0: none */
    char last_checkpoint[PATH_MAX];

    /* screen state */
    int screen;
    int chart_view;          /* 0 .. CHART_VIEWS-1: what the variant chart shows */
    int cursor_on;           /* the reading cursor is on the charts (x) */
    double cursor_step;      /* its step */
    int smooth;              /* index into CHART_SMOOTH_WEIGHTS */
    int chart_focus;         /* the chart panel (TrainPanel) `m` puts a metric in */
    int focus_shown;         /* its title is marked (once p or m was used) */
    int panel_metric[TP_COUNT];   /* 1 + the history column a panel shows instead of its own chart; 0: its own */
    MetricPicker picker;
    TrainScratch scratch;
    int64_t hist_run;        /* browse: the run whose history is loaded (0 none) */
    int64_t chart_parent_run;/* the charted run's parent when it is a fork (0: not a fork) and the parent's step */
    int chart_parent_step;
    int64_t hist_version;    /* browse: its database's data version when loaded (a live run elsewhere reloads) */
    double hist_polled;
    int extra_col[HIST_EXTRA];    /* the history column of the Inbox's extra_names[k] */
    int n_extra_mapped;
    int back[8];             /* screens to return to with Esc */
    int n_back;
    int rows, cols;
    int utf8;
    int too_small;
    unsigned dirty;
    int full_redraw;
    double slow_drawn;       /* when charts and tables were last drawn */
    WINDOW *win[W_COUNT];
    Rect win_rect[W_COUNT];

    /* modal things */
    int editing;             /* the hyperparameter editor is open */
    Editor *ed;
    int confirm_quit;
    int quitting;            /* stop requested, waiting for the trainer to save and return */
    int exit_now;            /* close the loop at the next turn */
    int prompt;              /* 0, '/' (search) or 'f' (filter) */
    char prompt_buf[256];
    int prompt_len, prompt_cur;
    char flash[256];         /* a one-line message in the hint bar */
    double flash_until;
    int failed;              /* the trainer failed: error panel */
    int error_dismissed;
    char error[PATH_MAX + 256];
    int error_since_resume;  /* an error event came after the last resume: a pause now is because of it */

    /* rollouts */
    Browser br;
    int br_open;
    char br_err[600];
    double br_polled;        /* when the browser last looked for new rows */
    QueryRollout tx;         /* the transcript shown (a copy) */
    int tx_valid, tx_scroll;
    /* the transcript's per-token view (screen_tokens.c) */
    int tv_on;               /* shown instead of the text */
    int tv_measure;          /* TokenMeasure (token_view.h) */
    QueryTokens tv;          /* the tokens of rollout tv_for (read when the view first needs them) */
    int64_t tv_for;          /* 0: none read */
    int tv_have;             /* 1 read, 0 none stored, -1 an error (tv_err) */
    Tokenizer tv_tok;        /* the tokenizer of run tv_tok_run, to decode them */
    int64_t tv_tok_run;      /* 0: none loaded */
    int tv_tok_ok;           /* tv_tok loaded; else tv_tok_err says why */
    char tv_err[600], tv_tok_err[600];
    QueryRolloutList group;
    int group_sel, group_scroll;
    int64_t group_for;       /* id of the rollout the group was opened from */
    int help_scroll;

    /* runs (the Runs screen) */
    RunsTable runs;
    int runs_open;
    char runs_err[600];
    int runs_sel, runs_scroll;
    double runs_polled;      /* when the runs table last looked for changes */
    /* F on the Runs screen (ui/studio_fork.c): the command forking run fork_run of database fork_db at checkpoint
     * fork_step with the changes typed ("" none), fork_default its newest checkpoint; launch: the fork's command
     * line once accepted (studio_take_launch), exec'd after the studio has closed. */
    int64_t fork_run;
    int fork_db, fork_step, fork_default;
    char fork_cmd[PATH_MAX + 512];
    char fork_err[PATH_MAX + 600];   /* why Enter refused the line (shown in place of the command until an edit) */
    char **launch;

    ChartGrid grid;          /* scratch for chart rendering */
    int exit_code;
};

/* studio.c */
double studio_now(void);
void studio_flash(Studio *s, const char *msg);          /* a message in the hint bar for a few seconds */
void studio_log_event(Studio *s, const Event *ev);      /* the event log, change marks, pending changes */
/* Shows r's transcript in $PAGER (less when unset): the terminal is handed over and taken back; a pager that cannot
 * be found or fails is said in the hint bar. */
void studio_pager(Studio *s, const QueryRollout *r);

/* studio_charts.c: the Train screen's chart controls */
int charts_action(Studio *s, Action a);                 /* cursor, smoothing, focus, picker; 1 when it took a */
void picker_key(Studio *s, int key);                    /* a key while the metric picker is open */
int picker_match(const Studio *s, int i);               /* picker row i passes the typed filter */
/* A change submitted to the trainer, drawn as pending on the charts until its SET event arrives. */
void charts_add_pending(Studio *s, const char *dotted, const char *old_value, const char *new_value);
/* Browse: loads run_id's metrics, change events and config from the browser's database for the Train screen.
 * Returns 0, or -1 (said in the hint bar). */
int charts_load_browse(Studio *s, int64_t run_id);
/* Browse: loads the run charted again (its database changed), keeping the cursor and the picked metrics. */
void charts_reload_browse(Studio *s);
WINDOW *studio_win(Studio *s, int id, Rect r);
void studio_status_line(Studio *s, WINDOW *w);
void studio_hints_line(Studio *s, WINDOW *w, KeyContext ctx);
/* The frame of a full-screen view (status line, hint line) for the dirty flags d; returns the body window, erased,
 * or NULL when the body needs no redraw (or the terminal is too small for it). */
WINDOW *studio_full_body(Studio *s, unsigned d);
KeyContext studio_context(const Studio *s);
void studio_fork_open(Studio *s);     /* F: the fork line, on the selected run's newest checkpoint */
void studio_fork_refresh(Studio *s);  /* the command for the line as typed */
void studio_fork_earlier(Studio *s);  /* Up: the step typed becomes the checkpoint before it (and round) */
int studio_fork_submit(Studio *s);    /* Enter: 1 when the fork is accepted (then quit: the caller starts it) */
void studio_open_transcript(Studio *s, const QueryRollout *r);
void studio_open_group(Studio *s, const QueryRollout *r);

/* drawing helpers (screen_common in screen_train.c) */
void draw_chart(Studio *s, WINDOW *w, const ChartSpec *spec);
/* Prints text[0..len) with roles (transcript_roles) into w at rows y0.., width cols, skipping the first `skip`
 * wrapped lines; returns the total number of wrapped lines. */
int draw_text(WINDOW *w, int y0, int x0, int height, int width, const char *text, size_t len, size_t prompt_len,
              const char *search, int skip);
/* Prints at most width columns of s at (y, x). */
void put_clipped(WINDOW *w, int y, int x, int width, const char *s);

/* screens */
void screen_train_draw(Studio *s, unsigned dirty);
void screen_rollouts_draw(Studio *s, unsigned dirty);
void screen_transcript_draw(Studio *s, unsigned dirty);
/* The per-token view of s->tx in the rectangle (y, x, h, w) of win, below its header (screen_tokens.c). Returns
 * the number of token rows (for scroll limits). */
int screen_tokens_draw_in(Studio *s, WINDOW *win, int y, int x, int h, int w, int *scroll);
/* Frees what the per-token view holds (the tokens read, the tokenizer). */
void screen_tokens_free(Studio *s);
void screen_group_draw(Studio *s, unsigned dirty);
void screen_help_draw(Studio *s, unsigned dirty);
void screen_runs_draw(Studio *s, unsigned dirty);
int screen_help_lines(void);   /* how many lines the help text has */
void screen_editor_draw(Studio *s);
void screen_picker_draw(Studio *s);   /* the metric picker, over the Train screen */
/* A rollout as one list row: "    12   0/3    1.50  +    42 R--  12+30=  first words" into buf for a list `width`
 * columns wide: the question (browser_question; NULL: no column) in a column that narrow lists leave out. */
void format_rollout_row(const QueryRollout *r, const char *question, char *buf, size_t n, int width, int utf8);
/* A rollout's header line for transcripts and groups. */
void format_rollout_header(const QueryRollout *r, char *buf, size_t n);

#endif
