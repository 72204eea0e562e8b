/* studio.c - the studio's loop: libuv on the calling thread, the trainer on a worker thread (see studio.h).
 *
 *   trainer thread: studio_on_step / _event -> Inbox (mutex) -> uv_async_send (coalesces); studio_on_trace only
 *                   updates the Inbox's trace (tokens come too fast to wake the loop for each)
 *   loop thread:    on_async and each frame of on_timer drain the whole Inbox -> History, event log, trace
 *                   on_stdin (uv_poll) drains getch() until ERR -> keymap -> actions
 *                   on_signal (uv_poll on a signalfd): SIGWINCH -> resizeterm; SIGINT / SIGTERM / SIGHUP -> stop
 *                   and quit without asking (SIGHUP: the terminal is gone, stop reading it)
 *                   on_timer (30 fps): redraw what is dirty: wnoutrefresh per panel, one doupdate
 * Only this thread touches ncurses. Quitting: trainer_stop, wait (drawing a "stopping" panel) until the worker
 * returns from trainer_run, which saves the final checkpoint; close every handle; endwin. */
#include "core/memory.h"
#include "ui/chart_series.h"
#include "ui/fork.h"
#include "ui/fork_launch.h"
#include "ui/signals.h"
#include "ui/studio_internal.h"
#include "ui/text_fit.h"
#include "ui/transcript.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

enum { FRAME_MS = 33, TRACE_MAX = 1 << 16 };

const char *const STUDIO_METRIC_NAMES[M_COUNT] = {
    "reward", "reward_std", "reward_accuracy", "reward_format", "reward_language", "accuracy", "format_rate",
    "completion_length", "completion_length_min", "completion_length_max", "truncated_ratio", "frac_reward_zero_std",
    "policy_loss", "kl", "entropy", "clip_ratio", "grad_norm", "lr", "reflection_rate", "self_correction_rate",
    "gen_tokens_per_s", "train_tokens_per_s", "step_time", "eval_pass1", "eval_consk",
    "clip_low", "clip_high", "clip_delta", "seq_ratio_mean", "seq_ratio_min", "seq_ratio_max", "masked_truncated",
    "reward_overlong", "prompts_drawn", "frac_groups_dropped", "entropy_masked"};

int studio_metric_id(const char *name) {
    for (int i = 0; i < M_COUNT; i++)
        if (!strcmp(name, STUDIO_METRIC_NAMES[i])) return i;
    return -1;
}

double studio_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* ---- construction ------------------------------------------------------------------------------------------- */

Studio *studio_new(const Config *c, const char *config_path, const char *db_path) {
    Studio *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (c) s->cfg = *c;
    else config_defaults(&s->cfg);
    snprintf(s->config_path, sizeof s->config_path, "%s", config_path ? config_path : "");
    snprintf(s->db_path, sizeof s->db_path, "%s", db_path && strcmp(db_path, "none") ? db_path : "");
    if (uv_mutex_init(&s->in.mu) != 0) { free(s); return NULL; }
    s->ed = malloc(sizeof *s->ed);
    if (!s->ed) { uv_mutex_destroy(&s->in.mu); free(s); return NULL; }
    editor_init(s->ed, &s->cfg);
    if (history_init(&s->hist, STUDIO_METRIC_NAMES, M_COUNT) != 0) {
        uv_mutex_destroy(&s->in.mu); free(s->ed); free(s); return NULL;
    }
    s->chart_focus = TP_LENGTH;
    s->last_eval_pass1 = s->last_eval_consk = NAN;
    s->last_eval_step = -1;
    s->status = TRAINER_RUNNING;
    return s;
}

static void trace_free(Trace *t) { free(t->text); memset(t, 0, sizeof *t); }

void studio_free(Studio *s) {
    if (!s) return;
    free(s->in.steps);
    free(s->in.events);
    trace_free(&s->in.trace);
    trace_free(&s->trace);
    uv_mutex_destroy(&s->in.mu);
    for (int i = 0; i < s->in.n_extra; i++) free(s->in.extra_names[i]);
    history_free(&s->hist);
    free(s->marks);
    for (int i = 0; i < s->n_marks; i++) free(s->mark_labels[i]);
    free(s->mark_labels);
    TrainScratch *sc = &s->scratch;
    free(sc->lo); free(sc->hi); free(sc->ex); free(sc->ep); free(sc->ec);
    for (int i = 0; i < CHART_MAX_SERIES; i++) free(sc->smooth[i]);
    free(sc->mark_x); free(sc->mark_label); free(sc->mark_pending); free(sc->mark_short);
    query_strings_free(&s->picker.names);
    query_rollout_free(&s->tx);
    screen_tokens_free(s);
    query_rollouts_free(&s->group);
    if (s->runs_open) runs_close(&s->runs);
    fork_argv_free(s->launch);
    chart_free(&s->grid);
    free(s->ed);
    free(s);
}

/* ---- trainer thread side ------------------------------------------------------------------------------------- */

static void wake(Studio *s) {   /* with s->in.mu held: uv_async_send is thread-safe; the flag says it is open */
    if (s->in.async_ready) uv_async_send(&s->async);
}

void studio_on_step(void *ud, const StepRecord *rec) {
    Studio *s = ud;
    StepPoint p;
    p.step = rec->step;
    p.wall = rec->wall_time;
    for (int i = 0; i < HIST_MAX_COLS; i++) p.v[i] = NAN;
    uv_mutex_lock(&s->in.mu);
    for (int i = 0; i < rec->n_metrics; i++) {
        const char *name = rec->metrics[i].name;
        int id = studio_metric_id(name);
        for (int k = 0; id < 0 && k < s->in.n_extra; k++)   /* one the studio has no name for: a column of its own */
            if (!strcmp(s->in.extra_names[k], name)) id = M_COUNT + k;
        if (id < 0 && s->in.n_extra < HIST_EXTRA && (s->in.extra_names[s->in.n_extra] = strdup(name)))
            id = M_COUNT + s->in.n_extra++;
        if (id >= 0) p.v[id] = rec->metrics[i].value;
    }
    if (s->in.n_steps == s->in.cap_steps) {
        int cap = s->in.cap_steps ? s->in.cap_steps * 2 : 64;
        StepPoint *q = realloc(s->in.steps, (size_t)cap * sizeof *q);
        if (q) { s->in.steps = q; s->in.cap_steps = cap; }
    }
    if (s->in.n_steps < s->in.cap_steps) s->in.steps[s->in.n_steps++] = p;
    wake(s);
    uv_mutex_unlock(&s->in.mu);
}

static void trace_append(Trace *t, const char *text, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->len + n + 1) cap *= 2;
        char *q = realloc(t->text, cap);
        if (!q) return;
        t->text = q;
        t->cap = cap;
    }
    memcpy(t->text + t->len, text, n);
    t->len += n;
    t->text[t->len] = 0;
}

void studio_on_trace(void *ud, int step, int kind, const char *text, float reward, int correct) {
    Studio *s = ud;
    uv_mutex_lock(&s->in.mu);
    Trace *t = &s->in.trace;
    if (kind == 0) {
        t->len = 0;
        t->prompt_len = 0;
        t->scored = 0;
        t->step = step;
        t->gen++;
        if (text) trace_append(t, text, strlen(text));
        t->prompt_len = t->len;
    } else if (kind == 1) {
        if (text && t->len < TRACE_MAX) trace_append(t, text, strlen(text));
    } else {
        t->scored = 1;
        t->reward = reward;
        t->correct = correct;
    }
    s->in.trace_dirty = 1;
    /* no wake-up per token: the redraw timer drains the trace at its frame rate (thousands of wake-ups a second
     * would cost the loop thread more than drawing does) */
    uv_mutex_unlock(&s->in.mu);
}

void studio_on_event(void *ud, const Event *ev) {
    Studio *s = ud;
    uv_mutex_lock(&s->in.mu);
    if (s->in.n_events == s->in.cap_events) {
        int cap = s->in.cap_events ? s->in.cap_events * 2 : 32;
        Event *q = realloc(s->in.events, (size_t)cap * sizeof *q);
        if (q) { s->in.events = q; s->in.cap_events = cap; }
    }
    if (s->in.n_events < s->in.cap_events) s->in.events[s->in.n_events++] = *ev;
    wake(s);
    uv_mutex_unlock(&s->in.mu);
}

TrainerCallbacks studio_callbacks(Studio *s) {
    TrainerCallbacks cb = {s, studio_on_step, studio_on_trace, studio_on_event};
    return cb;
}

static void worker_main(void *arg) {
    Studio *s = arg;
    int rc = trainer_run(s->t);
    uv_mutex_lock(&s->in.mu);
    s->in.worker_done = 1;
    s->in.worker_rc = rc;
    wake(s);
    uv_mutex_unlock(&s->in.mu);
}

/* ---- loop side: draining the inbox ------------------------------------------------------------------------- */

static void set_flash(Studio *s, const char *msg) {
    snprintf(s->flash, sizeof s->flash, "%s", msg);
    s->flash_until = studio_now() + 4;
    s->dirty |= D_HINTS;
}

void studio_flash(Studio *s, const char *msg) { set_flash(s, msg); }

/* A change marker on the charts at ev's step, labelled "key old -> new". */
static void add_mark(Studio *s, const Event *ev) {
    if (s->n_marks == s->cap_marks) {
        int cap = s->cap_marks ? s->cap_marks * 2 : 16;
        double *m = realloc(s->marks, (size_t)cap * sizeof *m);
        if (m) s->marks = m;
        char **l = m ? realloc(s->mark_labels, (size_t)cap * sizeof *l) : NULL;
        if (l) { s->mark_labels = l; s->cap_marks = cap; }
    }
    if (s->n_marks >= s->cap_marks) return;
    char label[sizeof ev->name + sizeof ev->old_value + sizeof ev->new_value + 16];
    chart_mark_label(ev->name, ev->old_value, ev->new_value, 0, label, sizeof label);
    s->marks[s->n_marks] = ev->step;
    s->mark_labels[s->n_marks++] = strdup(label);   /* NULL (out of memory): a mark without a label */
}

void studio_log_event(Studio *s, const Event *ev) {
    s->log[s->log_head] = *ev;
    s->log_head = (s->log_head + 1) % EVENT_LOG;
    if (s->log_n < EVENT_LOG) s->log_n++;
    if (ev->kind == EVENT_SET) {
        add_mark(s, ev);
        for (int i = 0; i < s->n_pending; i++)   /* applied: no longer pending */
            if (!strcmp(s->pending[i].name, ev->name)) {
                memmove(&s->pending[i], &s->pending[i + 1], (size_t)(s->n_pending - i - 1) * sizeof *s->pending);
                s->n_pending--;
                break;
            }
        const ConfigKey *k = config_key_dotted(ev->name);
        if (k) editor_set_current(s->ed, k, ev->new_value);
        s->dirty |= D_CHARTS | D_HPARAMS;
    } else if (ev->kind == EVENT_CHECKPOINT) {
        snprintf(s->last_checkpoint, sizeof s->last_checkpoint, "%s", ev->detail);
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "checkpoint saved at step %d: %s", ev->step, ev->detail);
        set_flash(s, msg);
    } else if (ev->kind == EVENT_ERROR) {
        /* an error the trainer survived (e.g. a checkpoint it could not write): say so where it is seen, and keep
         * saying it while the run stays paused because of it (a failed write pauses the run) */
        snprintf(s->error, sizeof s->error, "%s", ev->detail);
        s->error_since_resume = 1;
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "error at step %d: %s", ev->step, ev->detail);
        set_flash(s, msg);
        s->flash_until = studio_now() + 8;
    } else if (ev->kind == EVENT_RESUME) {
        s->error_since_resume = 0;
    } else if (ev->kind == EVENT_EVAL && ev->detail[0]) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof msg, "evaluation at step %d: %s", ev->step, ev->detail);
        set_flash(s, msg);
    }
    s->dirty |= D_EVENTS | D_STATUS;
}

static void close_handles(Studio *s);

static void drain(Studio *s) {
    uv_mutex_lock(&s->in.mu);
    StepPoint *steps = s->in.steps;
    int n_steps = s->in.n_steps;
    Event *events = s->in.events;
    int n_events = s->in.n_events;
    s->in.steps = NULL; s->in.n_steps = s->in.cap_steps = 0;
    s->in.events = NULL; s->in.n_events = s->in.cap_events = 0;
    if (s->in.trace_dirty) {
        Trace *src = &s->in.trace, *dst = &s->trace;
        dst->len = 0;
        trace_append(dst, src->text ? src->text : "", src->len);
        dst->prompt_len = src->prompt_len;
        dst->step = src->step;
        dst->scored = src->scored;
        dst->reward = src->reward;
        dst->correct = src->correct;
        dst->gen = src->gen;
        s->in.trace_dirty = 0;
        s->dirty |= D_TRACE;
    }
    int done = s->in.worker_done, rc = s->in.worker_rc;
    /* the names reported beyond MetricId get history columns (found by name: the picker may have added one) */
    for (; s->n_extra_mapped < s->in.n_extra; s->n_extra_mapped++)
        s->extra_col[s->n_extra_mapped] = history_add_column(&s->hist, s->in.extra_names[s->n_extra_mapped]);
    uv_mutex_unlock(&s->in.mu);

    for (int i = 0; i < n_steps; i++) {
        double row[HIST_MAX_COLS];
        for (int c = 0; c < s->hist.n_cols; c++) row[c] = c < M_COUNT ? steps[i].v[c] : NAN;
        for (int k = 0; k < s->n_extra_mapped; k++)
            if (s->extra_col[k] >= 0) row[s->extra_col[k]] = steps[i].v[M_COUNT + k];
        history_push(&s->hist, steps[i].step, row, s->hist.n_cols);
        if (steps[i].step > s->step) s->step = steps[i].step;
        if (isfinite(steps[i].v[M_EVAL_PASS1])) {
            s->last_eval_pass1 = steps[i].v[M_EVAL_PASS1];
            s->last_eval_step = steps[i].step;
        }
        if (isfinite(steps[i].v[M_EVAL_CONSK])) s->last_eval_consk = steps[i].v[M_EVAL_CONSK];
    }
    if (n_steps) s->dirty |= D_CHARTS | D_METRICS | D_STATUS;
    for (int i = 0; i < n_events; i++) studio_log_event(s, &events[i]);
    if (n_events && !s->trace.text) s->dirty |= D_TRACE;   /* the empty trace panel says what the trainer is doing */
    free(steps);
    free(events);

    if (done && !s->worker_done) {
        s->worker_done = 1;
        s->t_end = studio_now();
        s->worker_rc = rc;
        if (rc != 0) {
            s->failed = 1;
            snprintf(s->error, sizeof s->error, "%s", s->t ? trainer_error(s->t) : "the trainer failed");
            if (!s->error[0]) snprintf(s->error, sizeof s->error, "the trainer failed (no message)");
        }
        if (s->t) {
            trainer_last_checkpoint(s->t, s->last_checkpoint, sizeof s->last_checkpoint);
            s->status = trainer_status(s->t);
            if (s->status == TRAINER_RUNNING || s->status == TRAINER_PAUSED || s->status == TRAINER_STOPPING)
                s->status = rc == 0 ? TRAINER_DONE : TRAINER_FAILED;
            s->step = trainer_step(s->t);
        }
        s->dirty = D_ALL;
        if (s->quitting) s->exit_now = 1;
    }
}

/* ---- windows -------------------------------------------------------------------------------------------------- */

WINDOW *studio_win(Studio *s, int id, Rect r) {
    Rect o = s->win_rect[id];
    if (s->win[id] && o.x == r.x && o.y == r.y && o.w == r.w && o.h == r.h) return s->win[id];
    if (s->win[id]) delwin(s->win[id]);
    s->win[id] = NULL;
    if (!rect_visible(r)) return NULL;
    s->win[id] = newwin(r.h, r.w, r.y, r.x);
    s->win_rect[id] = r;
    if (s->win[id]) leaveok(s->win[id], TRUE);
    return s->win[id];
}

static void free_windows(Studio *s) {
    for (int i = 0; i < W_COUNT; i++) {
        if (s->win[i]) delwin(s->win[i]);
        s->win[i] = NULL;
        memset(&s->win_rect[i], 0, sizeof s->win_rect[i]);
    }
}

/* ---- status and hint lines ------------------------------------------------------------------------------------ */

static void fmt_elapsed(double sec, char *buf, size_t n) {
    int t = (int)sec;
    snprintf(buf, n, "%02d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
}

static void fmt_rate(double v, char *buf, size_t n) {
    if (!isfinite(v)) snprintf(buf, n, "-");
    else if (v >= 1e6) snprintf(buf, n, "%.1fM", v / 1e6);
    else if (v >= 1e4) snprintf(buf, n, "%.0fk", v / 1e3);
    else if (v >= 1e3) snprintf(buf, n, "%.1fk", v / 1e3);
    else snprintf(buf, n, "%.0f", v);
}

void studio_status_line(Studio *s, WINDOW *w) {
    int W = getmaxx(w);
    wbkgdset(w, ' ' | theme_attr(TH_STATUS));
    werase(w);
    wattrset(w, theme_attr(TH_STATUS));
    char buf[1200];
    if (s->browse_only && s->screen == SCR_RUNS) {
        snprintf(buf, sizeof buf, " GRPO Studio  browse  %d run%s in %d database%s", s->runs.n, s->runs.n == 1 ? "" : "s",
                 s->runs.n_dbs, s->runs.n_dbs == 1 ? "" : "s");
        put_clipped(w, 0, 0, W, buf);
        wnoutrefresh(w);
        return;
    }
    /* the charts' state on the Train screen: smoothing weight, cursor step */
    char charts[64] = "";
    if (s->screen == SCR_TRAIN) {
        int k = 0;
        if (s->smooth) k = snprintf(charts, sizeof charts, "  smooth %.2g", CHART_SMOOTH_WEIGHTS[s->smooth]);
        if (s->cursor_on) snprintf(charts + k, sizeof charts - k, "  cursor @%.0f", s->cursor_step);
    }
    if (s->browse_only) {
        if (s->br.run_id > 0)
            snprintf(buf, sizeof buf, " GRPO Studio  browse %s  run #%lld %s%s", s->db_path, (long long)s->br.run_id,
                     s->br.run_name, charts);
        else
            snprintf(buf, sizeof buf, " GRPO Studio  browse %s  run -", s->db_path);
        if (s->screen == SCR_TRAIN && s->hist_run > 0 && (int)strlen(buf) > W) /* the path goes first */
            snprintf(buf, sizeof buf, " browse run #%lld %s  step %d%s", (long long)s->hist_run, s->br.run_name,
                     s->step, charts);
        put_clipped(w, 0, 0, W, buf);
        wnoutrefresh(w);
        return;
    }
    const char *state = s->failed ? "FAILED" : s->quitting ? "STOPPING" : trainer_status_name(s->status);
    ThemeRole role = s->failed ? TH_FAILED : s->status == TRAINER_RUNNING && !s->quitting ? TH_RUNNING : TH_PAUSED;
    char st[32];
    snprintf(st, sizeof st, " %s ", state);
    for (char *p = st; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    char el[32], tps[32], ck[64], val[64];
    fmt_elapsed((s->t_end > 0 ? s->t_end : studio_now()) - s->t_start, el, sizeof el);
    fmt_rate(s->hist.n ? s->hist.v[M_GEN_TPS][s->hist.n - 1] : NAN, tps, sizeof tps);
    int every = 0, steps = 0;
    if (s->t) {
        trainer_get(s->t, "run.checkpoint_every", val, sizeof val);
        every = atoi(val);
        trainer_get(s->t, "run.steps", val, sizeof val);
        steps = atoi(val);
    }
    int next = every > 0 ? (s->step / every + 1) * every : 0;
    if (s->worker_done) snprintf(ck, sizeof ck, "%s", s->last_checkpoint[0] ? "saved" : "no ckpt");
    else if (every > 0 && next < steps) snprintf(ck, sizeof ck, "ckpt @%d", next);
    else snprintf(ck, sizeof ck, "ckpt at end");
    char mem[32], rss[48] = "";
    if (s->rss) {
        memory_format(s->rss, mem, sizeof mem);
        snprintf(rss, sizeof rss, "  RSS %s", mem);
    }
    /* when the line is too long, drop the program name first, then the resident memory, then the checkpoint */
    char left[256], right[1024], id[32] = "";
    if (s->run_id > 0) snprintf(id, sizeof id, "#%lld ", (long long)s->run_id);
    char ev[48] = "";   /* a held-out evaluation running: how far it is */
    if (s->eval_total > 0 && !s->worker_done)
        snprintf(ev, sizeof ev, "  evaluating %d/%d", s->eval_done, s->eval_total);
    snprintf(left, sizeof left, " GRPO Studio  run %s%s  step %d/%d%s ", id, s->cfg.run.name, s->step,
             s->cfg.run.steps, ev);
    snprintf(right, sizeof right, "%s %s  %s tok/s  %s%s", charts, el, tps, ck, rss);
    int fixed = (int)strlen(st);
    if (fixed + (int)(strlen(left) + strlen(right)) > W)
        snprintf(left, sizeof left, " %s%s  step %d/%d%s ", id, s->cfg.run.name, s->step, s->cfg.run.steps, ev);
    if (fixed + (int)(strlen(left) + strlen(right)) > W)
        snprintf(right, sizeof right, "%s %s  %s tok/s  %s", charts, el, tps, ck);
    if (fixed + (int)(strlen(left) + strlen(right)) > W)
        snprintf(right, sizeof right, "%s %s  %s tok/s", charts, el, tps);
    if (fixed + (int)(strlen(left) + strlen(right)) > W) snprintf(right, sizeof right, "%s %s", charts, el);
    put_clipped(w, 0, 0, W, left);
    int x = (int)strlen(left);
    wattrset(w, theme_attr(role));
    put_clipped(w, 0, x, W - x, st);
    x += (int)strlen(st);
    wattrset(w, theme_attr(TH_STATUS));
    put_clipped(w, 0, x, W - x, right);
    x += (int)strlen(right);
    if (s->config_path[0] && x + 2 + (int)strlen(s->config_path) < W) put_clipped(w, 0, W - 1 - (int)strlen(s->config_path), (int)strlen(s->config_path), s->config_path);
    wnoutrefresh(w);
}

void studio_hints_line(Studio *s, WINDOW *w, KeyContext ctx) {
    int W = getmaxx(w);
    wbkgdset(w, ' ' | theme_attr(TH_HINTS));
    werase(w);
    if (s->flash[0] && studio_now() < s->flash_until) {
        wattrset(w, theme_attr(TH_HINTS) | A_BOLD);
        put_clipped(w, 0, 1, W - 1, s->flash);
        wnoutrefresh(w);
        return;
    }
    if (s->error_since_resume && s->status == TRAINER_PAUSED && !s->failed) {
        char msg[PATH_MAX + 300];
        snprintf(msg, sizeof msg, "paused by an error: %s  (q quits)", s->error);
        wattrset(w, theme_attr(TH_FAILED) | A_BOLD);
        put_clipped(w, 0, 1, W - 1, msg);
        wnoutrefresh(w);
        return;
    }
    char buf[512];
    if (ctx == KC_TRAIN && s->t && s->worker_done)   /* nothing to pause, step, edit or save any more */
        snprintf(buf, sizeof buf, "2 rollouts  4 runs  ? help  q quit");
    else if (ctx == KC_TRAIN && s->browse_only)      /* a stored run's charts: reading them is all there is */
        snprintf(buf, sizeof buf, "x cursor  S smooth  m metric  p focus  v chart  2 rollouts  4 runs  ? help  q quit");
    else keymap_hints(ctx, W - 2, buf, sizeof buf);
    /* keys bold: each pair is "KEY label", pairs separated by two spaces */
    int x = 1;
    char *p = buf;
    while (*p) {
        char *sp = strchr(p, ' ');
        char *end = strstr(p, "  ");
        if (!end) end = p + strlen(p);
        if (sp && sp < end) {
            wattrset(w, theme_attr(TH_HINT_KEY));
            mvwaddnstr(w, 0, x, p, (int)(sp - p));
            x += (int)(sp - p);
            wattrset(w, theme_attr(TH_HINTS));
            mvwaddnstr(w, 0, x, sp, (int)(end - sp));
            x += (int)(end - sp);
        }
        if (!*end) break;
        x += 2;
        p = end + 2;
    }
    wnoutrefresh(w);
}

WINDOW *studio_full_body(Studio *s, unsigned d) {
    FullLayout L;
    layout_full(s->rows, s->cols, &L);
    WINDOW *w;
    if ((w = studio_win(s, W_FULL_STATUS, L.status))) studio_status_line(s, w);
    if ((w = studio_win(s, W_FULL_HINTS, L.hints))) studio_hints_line(s, w, studio_context(s));
    if (!(d & (D_BODY | D_STATUS))) return NULL;
    WINDOW *b = studio_win(s, W_FULL_BODY, L.body);
    if (b) werase(b);
    return b;
}

void put_clipped(WINDOW *w, int y, int x, int width, const char *str) {
    if (width <= 0 || !str) return;
    char buf[1024]; /* by display width: a wide character counts two columns, a combining mark none */
    text_fit(str, width, buf, sizeof buf);
    mvwaddstr(w, y, x, buf);
}

/* ---- actions -------------------------------------------------------------------------------------------------- */

static int training_alive(const Studio *s) {
    return s->t && s->worker_started && !s->worker_done;
}

static void request_quit(Studio *s) {
    if (s->quitting) return;
    s->confirm_quit = 0;
    if (training_alive(s)) {
        s->quitting = 1;
        trainer_stop(s->t);
        s->dirty = D_ALL;
    } else {
        s->exit_now = 1;
    }
}

static void go_screen(Studio *s, int scr) {
    if (scr == s->screen) return;
    if (s->n_back < 8) s->back[s->n_back++] = s->screen;
    else { memmove(s->back, s->back + 1, 7 * sizeof *s->back); s->back[7] = s->screen; }
    s->screen = scr;
    s->full_redraw = 1;
}

static void go_back(Studio *s) {
    if (s->n_back > 0) s->screen = s->back[--s->n_back];
    else if (!s->browse_only) s->screen = SCR_TRAIN;
    else s->screen = SCR_ROLLOUTS;
    s->full_redraw = 1;
}

/* Opens the Runs screen's table on the run database (the studio's) when it is not open yet. */
static void ensure_runs(Studio *s) {
    if (s->runs_open || s->runs_err[0]) return;
    if (!s->db_path[0]) {
        snprintf(s->runs_err, sizeof s->runs_err, "this run has no database (run.db = none): no runs to list");
        return;
    }
    const char *paths[] = {s->db_path};
    if (runs_open(&s->runs, paths, 1) != 0) { snprintf(s->runs_err, sizeof s->runs_err, "%s", s->runs.err); return; }
    s->runs_open = 1;
    for (int i = 0; i < s->runs.n; i++)   /* start on the run being trained */
        if (s->runs.items[i].run.id == s->run_id) s->runs_sel = i;
}

/* Points the rollout browser at the run selected on the Runs screen (when it is another). Returns 0 or -1 (said). */
static int ensure_run_browser(Studio *s) {
    const RunsEntry *e = &s->runs.items[s->runs_sel];
    const char *path = s->runs.paths[e->db];
    if (s->br_open && s->br.run_id == e->run.id && !strcmp(query_path(s->br.q), path)) return 0;
    if (s->br_open) browser_close(&s->br);
    memset(&s->br, 0, sizeof s->br);
    s->br_open = 0;
    s->br_err[0] = 0;
    if (browser_open(&s->br, path, e->run.id) != 0 && !s->br.q) {
        snprintf(s->br_err, sizeof s->br_err, "%s", s->br.err);
        set_flash(s, s->br_err);
        return -1;
    }
    s->br_open = 1;
    if (s->browse_only) {
        snprintf(s->db_path, sizeof s->db_path, "%s", path);
        s->hist_run = 0;   /* another run: its charts load anew */
    }
    return 0;
}

static void runs_action(Studio *s, Action a) {
    if (a == ACT_BACK) { go_back(s); return; }
    if (!s->runs_open || s->runs.n == 0) return;
    int n = s->runs.n, page = s->rows / 3 > 1 ? s->rows / 3 : 1;
    switch (a) {
    case ACT_UP: s->runs_sel--; break;
    case ACT_DOWN: s->runs_sel++; break;
    case ACT_PAGE_UP: s->runs_sel -= page; break;
    case ACT_PAGE_DOWN: s->runs_sel += page; break;
    case ACT_TOP: s->runs_sel = 0; break;
    case ACT_BOTTOM: s->runs_sel = n - 1; break;
    case ACT_MARK: {
        int slot = runs_toggle_mark(&s->runs, s->runs_sel);
        if (slot < 0) set_flash(s, "at most 6 runs overlaid: unmark one first (Space)");
        else if (slot > 0 && runs_load_curves(&s->runs, s->runs_sel) != 0) set_flash(s, s->runs.err);
        break;
    }
    case ACT_FORK: studio_fork_open(s); break;
    case ACT_OPEN:
        if (ensure_run_browser(s) == 0) go_screen(s, SCR_ROLLOUTS);
        return;
    default: return;
    }
    if (s->runs_sel < 0) s->runs_sel = 0;
    if (s->runs_sel > n - 1) s->runs_sel = n - 1;
    s->dirty |= D_BODY;
}

static void ensure_browser(Studio *s) {
    if (s->br_open || s->br_err[0]) return;
    if (!s->db_path[0]) {
        snprintf(s->br_err, sizeof s->br_err, "this run has no database (run.db = none): nothing to browse");
        return;
    }
    if (browser_open(&s->br, s->db_path, s->run_id) != 0 && !s->br.q) {
        snprintf(s->br_err, sizeof s->br_err, "%s", s->br.err);
        return;
    }
    s->br_open = 1;
}

void studio_open_transcript(Studio *s, const QueryRollout *r) {
    if (!r) return;
    QueryRollout c = *r;
    c.task = strdup(r->task ? r->task : "");
    c.prompt = strdup(r->prompt ? r->prompt : "");
    c.completion = strdup(r->completion ? r->completion : "");
    c.answer = strdup(r->answer ? r->answer : "");
    query_rollout_free(&s->tx);
    s->tx = c;
    s->tx_valid = 1;
    s->tx_scroll = 0;
    if (s->screen != SCR_TRANSCRIPT) go_screen(s, SCR_TRANSCRIPT);
    s->dirty = D_ALL;
}

void studio_open_group(Studio *s, const QueryRollout *r) {
    if (!r || !s->br_open) return;
    char err[256];
    QueryRolloutList l = {0, NULL};
    if (query_group(s->br.q, r->run_id, r->step, r->prompt_index, &l, err, sizeof err) < 0) {
        set_flash(s, err);
        return;
    }
    query_rollouts_free(&s->group);
    s->group = l;
    s->group_sel = 0;
    for (int i = 0; i < l.n; i++)
        if (l.items[i].id == r->id) s->group_sel = i;
    s->group_scroll = 0;
    s->group_for = r->id;
    go_screen(s, SCR_GROUP);
}

static void set_status_from_trainer(Studio *s) {
    if (!s->t) return;
    TrainerStatus st = trainer_status(s->t);
    int step = trainer_step(s->t), done, total;
    trainer_eval_progress(s->t, &done, &total);
    if (done != s->eval_done || total != s->eval_total) {   /* the count in the status bar and the first trace */
        s->eval_done = done;
        s->eval_total = total;
        s->dirty |= D_STATUS | D_TRACE;
    }
    if (st != s->status || step != s->step) {
        s->status = st;
        if (step > s->step) s->step = step;
        s->dirty |= D_STATUS | D_HINTS; /* the hint bar says why when an error paused the run */
    }
}

static void train_action(Studio *s, Action a) {
    char msg[256];
    switch (a) {
    case ACT_PAUSE:
        if (s->browse_only) { set_flash(s, "browse mode: no training here"); break; }
        if (!training_alive(s)) { set_flash(s, "training has finished: nothing to pause"); break; }
        if (trainer_status(s->t) == TRAINER_PAUSED) { trainer_resume(s->t); set_flash(s, "resuming"); }
        else { trainer_pause(s->t); set_flash(s, "pausing: generation stops within a token"); }
        s->dirty |= D_STATUS;
        break;
    case ACT_STEP:
        if (!training_alive(s)) {
            set_flash(s, s->browse_only ? "browse mode: no training here" : "training has finished");
            break;
        }
        trainer_single_step(s->t);
        set_flash(s, "running one step, then pausing");
        break;
    case ACT_EDIT:
        if (s->browse_only) { set_flash(s, "browse mode: a finished run's settings are shown, not changed"); break; }
        if (s->t && s->worker_done) {
            snprintf(msg, sizeof msg, "the run is finished (%d/%d steps): nothing to change. To go on: train --resume "
                     "%.120s --set run.steps=N", s->step, s->cfg.run.steps, s->db_path[0] ? s->db_path : "RUN.db");
            set_flash(s, msg);
            break;
        }
        s->editing = 1;
        for (int i = 0; i < s->ed->n; i++) {   /* fresh values from the trainer */
            char d[96], v[EDITOR_VALUE_MAX];
            editor_dotted(s->ed, i, d, sizeof d);
            if (s->t) { trainer_get(s->t, d, v, sizeof v); if (v[0]) editor_set_current(s->ed, s->ed->keys[i], v); }
        }
        s->dirty = D_ALL;
        break;
    case ACT_CHART_NEXT:
    case ACT_CHART_PREV:
        s->chart_view = (s->chart_view + (a == ACT_CHART_NEXT ? 1 : CHART_VIEWS - 1)) % CHART_VIEWS;
        s->dirty |= D_CHARTS;
        break;
    case ACT_CHECKPOINT:
        if (!training_alive(s)) {
            set_flash(s, s->browse_only ? "browse mode: no training here" : "training has finished");
            break;
        }
        trainer_request_checkpoint(s->t);
        snprintf(msg, sizeof msg, "checkpoint requested: saved at the next safe point");
        set_flash(s, msg);
        break;
    default: charts_action(s, a); break;
    }
}

static void rollouts_action(Studio *s, Action a) {
    if (!s->br_open) return;
    int rc = 0;
    switch (a) {
    case ACT_UP: case ACT_DOWN: case ACT_PAGE_UP: case ACT_PAGE_DOWN: case ACT_TOP: case ACT_BOTTOM:
        browser_move(&s->br, a);
        break;
    case ACT_NEXT_MATCH: browser_move(&s->br, ACT_DOWN); break;
    case ACT_PREV_MATCH: browser_move(&s->br, ACT_UP); break;
    case ACT_OPEN: {
        const QueryRollout *r = browser_selected(&s->br);
        if (r) studio_open_transcript(s, r);
        break;
    }
    case ACT_GROUP: studio_open_group(s, browser_selected(&s->br)); break;
    case ACT_SEARCH: case ACT_FILTER:
        s->prompt = a == ACT_SEARCH ? '/' : 'f';
        snprintf(s->prompt_buf, sizeof s->prompt_buf, "%s", a == ACT_SEARCH ? s->br.f.search : s->br.filter_text);
        s->prompt_len = s->prompt_cur = (int)strlen(s->prompt_buf);
        break;
    case ACT_CYCLE_CORRECT: rc = browser_cycle_correct(&s->br); break;
    case ACT_CYCLE_AHA: rc = browser_cycle_aha(&s->br); break;
    case ACT_CLEAR_FILTERS: rc = browser_clear(&s->br); break;
    case ACT_CYCLE_SORT: rc = browser_cycle_sort(&s->br); break;
    case ACT_REVERSE: rc = browser_reverse(&s->br); break;
    case ACT_JUMP_STEP:
        s->prompt = ':';
        s->prompt_buf[0] = 0;
        s->prompt_len = s->prompt_cur = 0;
        break;
    case ACT_FOLLOW:
        rc = browser_set_frozen(&s->br, !s->br.frozen);
        if (rc == 0) set_flash(s, s->br.frozen ? "frozen: the list holds still (F follows new rows)"
                                               : "following: new rows appear on top (F freezes)");
        break;
    case ACT_PAGER: studio_pager(s, browser_selected(&s->br)); break;
    default: return;
    }
    if (rc != 0) set_flash(s, s->br.err);
    s->dirty |= D_BODY | D_HINTS;
}

static void transcript_action(Studio *s, Action a) {
    switch (a) {
    case ACT_UP: if (s->tx_scroll > 0) s->tx_scroll--; break;
    case ACT_DOWN: s->tx_scroll++; break;
    case ACT_PAGE_UP: s->tx_scroll -= s->rows - 4; if (s->tx_scroll < 0) s->tx_scroll = 0; break;
    case ACT_PAGE_DOWN: s->tx_scroll += s->rows - 4; break;
    case ACT_TOP: s->tx_scroll = 0; break;
    case ACT_BOTTOM: s->tx_scroll = 1 << 28; break;   /* clamped when drawn */
    case ACT_NEXT_MATCH: case ACT_PREV_MATCH:
        if (!s->br_open) break;
        browser_move(&s->br, a == ACT_NEXT_MATCH ? ACT_DOWN : ACT_UP);
        if (browser_selected(&s->br)) studio_open_transcript(s, browser_selected(&s->br));
        break;
    case ACT_GROUP: if (s->tx_valid) studio_open_group(s, &s->tx); break;
    case ACT_TOKEN_VIEW: s->tv_on = !s->tv_on; s->tx_scroll = 0; break;
    case ACT_TOKEN_MEASURE: /* cycles the measure, opening the view when it was closed */
        if (s->tv_on) s->tv_measure = (s->tv_measure + 1) % TV_MEASURES;
        s->tv_on = 1;
        break;
    case ACT_PAGER: if (s->tx_valid) studio_pager(s, &s->tx); break;
    case ACT_BACK: go_back(s); break;
    default: return;
    }
    s->dirty |= D_BODY | D_HINTS;
}

static void group_action(Studio *s, Action a) {
    int n = s->group.n;
    switch (a) {
    case ACT_UP: if (s->group_sel > 0) s->group_sel--; s->group_scroll = 0; break;
    case ACT_DOWN: if (s->group_sel < n - 1) s->group_sel++; s->group_scroll = 0; break;
    case ACT_TOP: s->group_sel = 0; s->group_scroll = 0; break;
    case ACT_BOTTOM: s->group_sel = n > 0 ? n - 1 : 0; s->group_scroll = 0; break;
    case ACT_PAGE_DOWN: s->group_scroll += 5; break;
    case ACT_PAGE_UP: s->group_scroll = s->group_scroll > 5 ? s->group_scroll - 5 : 0; break;
    case ACT_OPEN: if (s->group_sel < n) studio_open_transcript(s, &s->group.items[s->group_sel]); break;
    case ACT_BACK: go_back(s); break;
    default: return;
    }
    s->dirty |= D_BODY;
}

static void help_action(Studio *s, Action a) {
    int page = s->rows - 3, max = screen_help_lines() - page;
    if (max < 0) max = 0;
    switch (a) {
    case ACT_UP: s->help_scroll--; break;
    case ACT_DOWN: s->help_scroll++; break;
    case ACT_PAGE_UP: s->help_scroll -= page; break;
    case ACT_PAGE_DOWN: s->help_scroll += page; break;
    case ACT_TOP: s->help_scroll = 0; break;
    case ACT_BOTTOM: s->help_scroll = max; break;
    case ACT_BACK: go_back(s); break;
    default: return;
    }
    if (s->help_scroll > max) s->help_scroll = max;
    if (s->help_scroll < 0) s->help_scroll = 0;
    s->dirty |= D_BODY;
}

KeyContext studio_context(const Studio *s) {
    if (s->confirm_quit) return KC_CONFIRM;   /* also on the too-small screen, which shows the question */
    if (s->too_small) return KC_TOO_SMALL;
    if (s->prompt) return KC_PROMPT;
    if (s->picker.open && s->screen == SCR_TRAIN) return KC_PICKER;
    if (s->editing && s->screen == SCR_TRAIN) return s->ed->typing ? KC_EDIT_VALUE : KC_EDITOR;
    switch (s->screen) {
    case SCR_ROLLOUTS: return KC_ROLLOUTS;
    case SCR_TRANSCRIPT: return KC_TRANSCRIPT;
    case SCR_GROUP: return KC_GROUP;
    case SCR_HELP: return KC_HELP;
    case SCR_RUNS: return KC_RUNS;
    default: return KC_TRAIN;
    }
}

static void ask_quit(Studio *s) {
    if (training_alive(s) && !s->quitting) { s->confirm_quit = 1; s->dirty = D_ALL; }
    else request_quit(s);
}

static void prompt_key(Studio *s, int key) {
    switch (keymap_lookup(KC_PROMPT, key)) {
    case ACT_APPLY: {
        int rc;
        if (s->prompt == 'F') {   /* the fork: refused in place, or the studio quits and the fork starts */
            if (studio_fork_submit(s)) { s->prompt = 0; request_quit(s); }
            s->dirty |= D_BODY | D_HINTS;
            return;
        }
        if (s->prompt == ':') {
            char *end;
            long step = strtol(s->prompt_buf, &end, 10);
            while (*end == ' ') end++;
            if (!s->prompt_buf[0] || *end || step < 0 || step > 1000000000L) {
                char msg[320];
                snprintf(msg, sizeof msg, "jump: \"%s\" is not a step number (expected 0 or more)", s->prompt_buf);
                set_flash(s, msg);
                return;
            }
            rc = browser_jump_step(&s->br, (int)step);
        } else rc = s->prompt == '/' ? browser_set_search(&s->br, s->prompt_buf)
                                     : browser_set_filter_text(&s->br, s->prompt_buf);
        if (rc != 0) { set_flash(s, s->br.err); return; }   /* the prompt stays open with the text */
        s->prompt = 0;
        if (s->screen != SCR_ROLLOUTS) { s->screen = SCR_ROLLOUTS; s->full_redraw = 1; }
        break;
    }
    case ACT_CANCEL: s->prompt = 0; break;
    case ACT_UP: if (s->prompt == 'F') studio_fork_earlier(s); break;
    case ACT_ERASE:
        if (s->prompt_cur > 0) {
            memmove(s->prompt_buf + s->prompt_cur - 1, s->prompt_buf + s->prompt_cur,
                    (size_t)(s->prompt_len - s->prompt_cur + 1));
            s->prompt_cur--; s->prompt_len--;
        }
        break;
    case ACT_CLEAR_LINE: s->prompt_buf[0] = 0; s->prompt_len = s->prompt_cur = 0; break;
    case ACT_LEFT: if (s->prompt_cur > 0) s->prompt_cur--; break;
    case ACT_RIGHT: if (s->prompt_cur < s->prompt_len) s->prompt_cur++; break;
    default:
        if (key >= 32 && key < 256 && key != 127 && s->prompt_len < (int)sizeof s->prompt_buf - 1) {
            memmove(s->prompt_buf + s->prompt_cur + 1, s->prompt_buf + s->prompt_cur,
                    (size_t)(s->prompt_len - s->prompt_cur + 1));
            s->prompt_buf[s->prompt_cur++] = (char)key;
            s->prompt_len++;
        }
    }
    if (s->prompt == 'F') studio_fork_refresh(s);
    s->dirty |= D_BODY | D_HINTS;
}

static void editor_key_press(Studio *s, int key) {
    EditorResult r = editor_key(s->ed, key);
    if (r == EDITOR_CLOSE) { s->editing = 0; s->dirty = D_ALL; return; }
    if (r == EDITOR_HELP) { go_screen(s, SCR_HELP); return; }
    if (r == EDITOR_SUBMIT) {
        char dotted[96], value[EDITOR_VALUE_MAX], err[256] = "", old[64] = "";
        editor_pending(s->ed, dotted, sizeof dotted, value, sizeof value);
        if (s->t) trainer_get(s->t, dotted, old, sizeof old);
        int ok = s->t && !s->worker_done && trainer_set(s->t, dotted, value, err, sizeof err) == 0;
        if (ok) {   /* shown on the charts as pending until its SET event comes back (the next step boundary) */
            char now[64] = "";
            trainer_get(s->t, dotted, now, sizeof now);
            charts_add_pending(s, dotted, old, now[0] ? now : value);
        }
        if (!s->t) snprintf(err, sizeof err, "no trainer");
        else if (s->worker_done) snprintf(err, sizeof err, "the run is finished: a change would never apply");
        editor_applied(s->ed, ok, err);
        if (ok) set_flash(s, s->ed->msg);
    }
    s->dirty |= D_OVERLAY | D_HPARAMS | D_HINTS;
}

static void handle_key(Studio *s, int key) {
    if (key == KEY_RESIZE) { s->full_redraw = 1; return; }
    KeyContext ctx = studio_context(s);
    s->dirty |= D_HINTS;
    if (ctx == KC_TOO_SMALL) {
        Action a = keymap_lookup(ctx, key);
        if (a == ACT_QUIT) ask_quit(s);
        else if (a == ACT_REDRAW) s->full_redraw = 1;
        s->dirty = D_ALL;
        return;
    }
    if (ctx == KC_CONFIRM) {
        Action a = keymap_lookup(ctx, key);
        if (a == ACT_CONFIRM) request_quit(s);
        else if (a == ACT_CANCEL) s->confirm_quit = 0;
        s->dirty = D_ALL;
        s->full_redraw = s->full_redraw || a == ACT_CANCEL;
        return;
    }
    if (s->failed && !s->error_dismissed) {   /* the error panel: q quits, Esc hides it */
        Action a = keymap_lookup(KC_GLOBAL, key);
        if (a == ACT_QUIT) request_quit(s);
        else if (a == ACT_BACK) { s->error_dismissed = 1; s->full_redraw = 1; }
        s->dirty = D_ALL;
        return;
    }
    if (ctx == KC_PROMPT) { prompt_key(s, key); return; }
    if (ctx == KC_PICKER) { picker_key(s, key); return; }
    if (ctx == KC_EDITOR || ctx == KC_EDIT_VALUE) { editor_key_press(s, key); return; }

    Action a = keymap_lookup(ctx, key);
    switch (a) {
    case ACT_NONE: return;
    case ACT_QUIT: ask_quit(s); return;
    case ACT_HELP: go_screen(s, SCR_HELP); s->help_scroll = 0; return;
    case ACT_REDRAW: s->full_redraw = 1; return;
    case ACT_SCREEN_TRAIN:
        if (s->browse_only) {   /* the charts of the run browsed, from its database */
            if (s->screen == SCR_RUNS && s->runs.n > 0 && ensure_run_browser(s) != 0) return;
            if (!s->br_open || s->br.run_id <= 0) { set_flash(s, "browse: no run to chart yet"); return; }
            if (charts_load_browse(s, s->br.run_id) != 0) return;
        }
        s->n_back = 0;
        go_screen(s, SCR_TRAIN);
        return;
    case ACT_SCREEN_ROLLOUTS: ensure_browser(s); go_screen(s, SCR_ROLLOUTS); return;
    case ACT_SCREEN_RUNS:
        ensure_runs(s);
        if (s->runs_open) go_screen(s, SCR_RUNS);
        else set_flash(s, s->runs_err);
        return;
    case ACT_SCREEN_GROUP:
        ensure_browser(s);
        if (s->screen == SCR_GROUP) return;
        if (s->br_open && browser_selected(&s->br)) studio_open_group(s, browser_selected(&s->br));
        else set_flash(s, "no rollout selected: open the Rollouts screen (2) first");
        return;
    case ACT_NEXT_SCREEN: {
        int next = s->screen == SCR_TRAIN ? SCR_ROLLOUTS : s->screen == SCR_ROLLOUTS ? SCR_GROUP
                 : s->browse_only ? SCR_ROLLOUTS : SCR_TRAIN;
        if (next == SCR_ROLLOUTS) ensure_browser(s);
        if (next == SCR_GROUP && !(s->br_open && browser_selected(&s->br))) next = s->browse_only ? SCR_ROLLOUTS : SCR_TRAIN;
        if (next == SCR_GROUP) studio_open_group(s, browser_selected(&s->br));
        else { s->n_back = 0; go_screen(s, next); }
        return;
    }
    default: break;
    }
    switch (s->screen) {
    case SCR_TRAIN: train_action(s, a); break;
    case SCR_ROLLOUTS:
        if (a == ACT_BACK) go_back(s);
        else rollouts_action(s, a);
        break;
    case SCR_TRANSCRIPT: transcript_action(s, a); break;
    case SCR_GROUP: group_action(s, a); break;
    case SCR_HELP: help_action(s, a); break;
    case SCR_RUNS: runs_action(s, a); break;
    }
}

/* ---- drawing -------------------------------------------------------------------------------------------------- */

static void draw_too_small(Studio *s) {
    werase(stdscr);
    wattrset(stdscr, A_BOLD);
    char buf[128];
    snprintf(buf, sizeof buf, "terminal too small: need %d x %d", LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
    put_clipped(stdscr, 0, 0, s->cols, buf);
    wattrset(stdscr, A_NORMAL);
    snprintf(buf, sizeof buf, "now %d x %d", s->cols, s->rows);
    if (s->rows > 1) put_clipped(stdscr, 1, 0, s->cols, buf);
    if (s->rows > 2)
        put_clipped(stdscr, 2, 0, s->cols, s->confirm_quit ? "quit and stop training? y / n" :
                                         s->quitting ? "stopping: saving a checkpoint..." : "q quit");
    wnoutrefresh(stdscr);
}

static void draw_box_overlay(Studio *s, int h, int w, const char *title, const char *const *lines, int n,
                             ThemeRole role) {
    if (w > s->cols - 2) w = s->cols - 2;
    if (h > s->rows - 2) h = s->rows - 2;
    Rect r = {(s->rows - h) / 2, (s->cols - w) / 2, h, w};
    WINDOW *win = studio_win(s, W_OVERLAY, r);
    if (!win) return;
    wbkgdset(win, ' ' | theme_attr(TH_NORMAL));
    werase(win);
    theme_box(win, title);
    for (int i = 0; i < n && i < h - 2; i++) {
        wattrset(win, i == 0 ? theme_attr(role) : theme_attr(TH_NORMAL));
        put_clipped(win, 1 + i, 2, w - 4, lines[i]);
    }
    wattrset(win, A_NORMAL);
    touchwin(win);
    wnoutrefresh(win);
}

/* The error panel: the message wrapped into the box. */
static void draw_error_overlay(Studio *s) {
    const char *head = "The trainer stopped with an error:";
    static char lines[16][160];
    const char *ptrs[20];
    int n = 0;
    ptrs[n++] = head;
    int w = s->cols - 10 > 100 ? 100 : s->cols - 10;
    TextLine tl[16];
    int k = transcript_wrap(s->error, strlen(s->error), w - 4, tl, 12);
    if (k > 12) k = 12;
    for (int i = 0; i < k; i++) {
        snprintf(lines[i], sizeof lines[i], "%.*s", tl[i].len, s->error + tl[i].start);
        ptrs[n++] = lines[i];
    }
    ptrs[n++] = "";
    ptrs[n++] = s->last_checkpoint[0] ? "The last checkpoint is kept; the database has every finished step." :
                                        "The database has every finished step.";
    ptrs[n++] = "q quit    Esc hide this and keep browsing";
    draw_box_overlay(s, n + 2, w, "error", ptrs, n, TH_FAILED);
}

static void draw(Studio *s, int urgent) {
    if (s->full_redraw) {
        clearok(curscr, TRUE);
        werase(stdscr);
        wnoutrefresh(stdscr);
        s->full_redraw = 0;
        s->dirty = D_ALL;
        for (int i = 0; i < W_COUNT; i++) if (s->win[i]) touchwin(s->win[i]);
    }
    if (!s->dirty) return;
    /* charts, tables and the event log change with each step, which can come hundreds of times a second: draw
     * them at most 10 times a second; the trace and anything a key changed go out at once */
    const unsigned slow = D_CHARTS | D_METRICS | D_HPARAMS | D_EVENTS;
    double now = studio_now();
    unsigned later = 0;
    if (!urgent && (s->dirty & slow) && now - s->slow_drawn < 0.1) later = s->dirty & slow;
    unsigned d = s->dirty & ~later;
    s->dirty = later;
    if (!d) return;
    if (d & slow) s->slow_drawn = now;
    if (s->too_small) {
        draw_too_small(s);
        doupdate();
        return;
    }
    int overlay = s->confirm_quit || s->quitting || (s->failed && !s->error_dismissed) ||
                  ((s->editing || s->picker.open) && s->screen == SCR_TRAIN);
    if (overlay) d |= D_OVERLAY;
    switch (s->screen) {
    case SCR_TRAIN: screen_train_draw(s, d); break;
    case SCR_ROLLOUTS: screen_rollouts_draw(s, d); break;
    case SCR_TRANSCRIPT: screen_transcript_draw(s, d); break;
    case SCR_GROUP: screen_group_draw(s, d); break;
    case SCR_HELP: screen_help_draw(s, d); break;
    case SCR_RUNS: screen_runs_draw(s, d); break;
    }
    if (s->quitting) {
        const char *l[] = {"Stopping at the next safe point and saving a checkpoint...", "",
                           "(the rest of this step may take a moment)"};
        draw_box_overlay(s, 5, 64, "quitting", l, 3, TH_PAUSED);
    } else if (s->confirm_quit) {
        const char *l[] = {"Quit? Training stops at the next safe point,", "a checkpoint is saved, the database closed.",
                           "", "y / q / Enter: quit      n / Esc: keep training"};
        draw_box_overlay(s, 6, 52, "quit", l, 4, TH_NORMAL);
    } else if (s->failed && !s->error_dismissed) {
        draw_error_overlay(s);
    } else if (s->editing && s->screen == SCR_TRAIN) {
        screen_editor_draw(s);    } else if (s->picker.open && s->screen == SCR_TRAIN) {
        screen_picker_draw(s);
    }
    doupdate();
}

static void update_size(Studio *s) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        if (ws.ws_row != LINES || ws.ws_col != COLS) {
            free_windows(s);   /* resizeterm shrinks and moves windows that no longer fit: start afresh */
            resizeterm(ws.ws_row, ws.ws_col);
        }
    }
    s->rows = LINES;
    s->cols = COLS;
    s->too_small = s->rows < LAYOUT_MIN_ROWS || s->cols < LAYOUT_MIN_COLS;
    s->full_redraw = 1;
}

/* ---- libuv callbacks ------------------------------------------------------------------------------------------ */

static void maybe_exit(Studio *s) {
    if (s->exit_now && s->handles_open) close_handles(s);
}

static void on_async(uv_async_t *h) {
    Studio *s = h->data;
    drain(s);
    maybe_exit(s);
}

static void on_stdin(uv_poll_t *h, int status, int events) {
    Studio *s = h->data;
    (void)events;
    if (status < 0) { request_quit(s); maybe_exit(s); return; }
    int key, n = 0;
    while ((key = getch()) != ERR) {
        handle_key(s, key);
        if (++n > 4096) break;   /* a paste storm: the rest at the next turn */
    }
    if (s->handles_open && !s->exit_now) draw(s, 1);   /* answer a key at once, not at the next frame */
    maybe_exit(s);
}

/* The signals arrive through a signalfd rather than uv_signal: uv_signal needs a thread with them unblocked to run
 * its handler on, and any thread started from it (or OpenBLAS's, started before main) would inherit that. Blocked
 * everywhere, they wait in the process until read here. */
static void on_signal(uv_poll_t *h, int status, int events) {
    Studio *s = h->data;
    (void)status, (void)events;
    struct signalfd_siginfo si;
    while (read(s->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGWINCH) {
            update_size(s);
            draw(s, 1);
            continue;
        }
        if (si.ssi_signo == SIGHUP && s->handles_open) uv_poll_stop(&s->poll);   /* stdin would report EOF forever */
        request_quit(s);   /* SIGINT, SIGTERM, SIGHUP: stop, save, quit without asking */
        s->dirty = D_ALL;
    }
    maybe_exit(s);
}

static void on_timer(uv_timer_t *h) {
    Studio *s = h->data;
    drain(s);   /* the streamed trace arrives this way */
    double now = studio_now();
    int el = (int)(now - s->t_start);
    if (el != s->last_elapsed) { s->last_elapsed = el; s->dirty |= D_STATUS; }
    if (now - s->rss_read >= 1.0) { /* one small /proc read a second, not one per frame */
        s->rss_read = now;
        size_t rss = memory_resident();
        if (rss != s->rss) { s->rss = rss; s->dirty |= D_STATUS; }
    }
    if (s->flash[0] && now >= s->flash_until) { s->flash[0] = 0; s->dirty |= D_HINTS; }
    if (!s->worker_done) set_status_from_trainer(s);
    if (s->br_open && now - s->br_polled > 1.0 && (s->screen == SCR_ROLLOUTS || s->browse_only)) {
        s->br_polled = now;
        if (!s->prompt && browser_poll(&s->br)) s->dirty |= D_BODY | D_STATUS;
    }
    if (s->browse_only && s->screen == SCR_TRAIN && s->hist_run > 0 && s->br_open && now - s->hist_polled > 2.0) {
        s->hist_polled = now;   /* a run still training in another process: its charts follow */
        if (query_data_version(s->br.q) != s->hist_version) charts_reload_browse(s);
    }
    if (s->runs_open && s->screen == SCR_RUNS && now - s->runs_polled > 1.0) {
        s->runs_polled = now;
        int rc = runs_poll(&s->runs);
        if (rc > 0) {
            if (s->runs_sel >= s->runs.n) s->runs_sel = s->runs.n ? s->runs.n - 1 : 0;
            s->dirty |= D_BODY | D_STATUS;
        } else if (rc < 0) set_flash(s, s->runs.err);
    }
    draw(s, 0);
    maybe_exit(s);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void close_handles(Studio *s) {
    if (!s->handles_open) return;
    s->handles_open = 0;
    uv_mutex_lock(&s->in.mu);
    s->in.async_ready = 0;
    uv_mutex_unlock(&s->in.mu);
    uv_close((uv_handle_t *)&s->async, on_closed);
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_closed);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_poll_stop(&s->sig_poll);
    uv_close((uv_handle_t *)&s->sig_poll, on_closed);
}

/* ---- entry points --------------------------------------------------------------------------------------------- */

static int clear_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -1;
    return fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* Opens the terminal and the loop, runs until quit, restores the terminal. */
static int run_ui(Studio *s) {
    char why[160];
    if (studio_check_terminal(why, sizeof why) != 0) {
        fprintf(stderr, "grpo-studio: the studio needs a terminal: %s (use --headless for plain output)\n", why);
        return 1;
    }
    s->utf8 = theme_locale();
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        fprintf(stderr, "grpo-studio: cannot open the terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
        return 1;
    }
    set_term(scr);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    theme_init();
    s->t_start = studio_now();
    update_size(s);

    sigset_t sigs;
    ui_signals_set(&sigs);
    s->sig_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    int rc = s->sig_fd < 0 ? uv_translate_sys_error(errno) : uv_loop_init(&s->loop);
    if (rc == 0) rc = uv_poll_init(&s->loop, &s->poll, STDIN_FILENO);
    if (rc == 0) rc = uv_poll_init(&s->loop, &s->sig_poll, s->sig_fd);
    if (rc != 0) {
        endwin();
        delscreen(scr);
        if (s->sig_fd >= 0) close(s->sig_fd);
        fprintf(stderr, "grpo-studio: event loop: %s\n", uv_strerror(rc));
        return 1;
    }
    /* uv_poll_init made fd 0 non-blocking, and stdout may share its file description: writes to a non-blocking
     * terminal can fail with EAGAIN and tear the screen. ncurses' nodelay mode does not need O_NONBLOCK. */
    clear_nonblock(STDIN_FILENO);
    clear_nonblock(STDOUT_FILENO);
    s->poll.data = s->timer.data = s->async.data = s->sig_poll.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_stdin);
    uv_poll_start(&s->sig_poll, UV_READABLE, on_signal);
    uv_timer_init(&s->loop, &s->timer);
    uv_timer_start(&s->timer, on_timer, FRAME_MS, FRAME_MS);
    uv_async_init(&s->loop, &s->async, on_async);
    s->handles_open = 1;
    uv_mutex_lock(&s->in.mu);
    s->in.async_ready = 1;
    uv_mutex_unlock(&s->in.mu);

    if (s->t) {
        if (uv_thread_create(&s->worker, worker_main, s) == 0) s->worker_started = 1;
        else { s->failed = 1; snprintf(s->error, sizeof s->error, "cannot start the trainer thread"); }
    }
    drain(s);       /* anything the callbacks queued before the loop existed */
    s->dirty = D_ALL;
    draw(s, 1);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    close(s->sig_fd);
    s->sig_fd = -1;

    free_windows(s);
    endwin();
    delscreen(scr);
    if (s->worker_started) uv_thread_join(&s->worker);
    if (s->br_open) browser_close(&s->br);
    s->br_open = 0;
    return 0;
}

void studio_set_run_id(Studio *s, int64_t run_id) { s->run_id = run_id; }

void studio_set_parent(Studio *s, int64_t parent_run, int parent_step) {
    s->chart_parent_run = parent_run;
    s->chart_parent_step = parent_step;
}

int studio_run(Studio *s, Trainer *t) {
    s->t = t;
    s->browse_only = 0;
    s->screen = SCR_TRAIN;
    if (run_ui(s) != 0) return 1;
    if (s->failed) {
        fprintf(stderr, "grpo-studio: training failed: %s\n", s->error);
        return 1;
    }
    char last[PATH_MAX] = "";
    if (t) trainer_last_checkpoint(t, last, sizeof last);
    printf("grpo-studio: run #%lld %s stopped after step %d%s%s\n", (long long)s->run_id, s->cfg.run.name,
           t ? trainer_step(t) : s->step, last[0] ? "; checkpoint " : "", last);
    return 0;
}

int studio_browse(const char *const *db_paths, int n_paths) {
    Studio *s = studio_new(NULL, NULL, db_paths[0]);
    if (!s) { fprintf(stderr, "grpo-studio browse: out of memory\n"); return 1; }
    s->browse_only = 1;
    if (runs_open(&s->runs, db_paths, n_paths) != 0) {
        fprintf(stderr, "grpo-studio browse: %s\n", s->runs.err);
        studio_free(s);
        return 1;
    }
    s->runs_open = 1;
    /* Several runs: open on the Runs screen, the newest selected. One run (or none yet: a run just starting): its
     * rollouts, as before; 4 shows the Runs screen. */
    s->runs_sel = s->runs.n ? s->runs.n - 1 : 0;
    int64_t run_id = 0;
    const char *path = db_paths[0];
    if (s->runs.n == 1) { run_id = s->runs.items[0].run.id; path = s->runs.paths[s->runs.items[0].db]; }
    snprintf(s->db_path, sizeof s->db_path, "%s", path);
    s->screen = s->runs.n > 1 ? SCR_RUNS : SCR_ROLLOUTS;
    if (browser_open(&s->br, path, run_id) != 0) {
        fprintf(stderr, "grpo-studio browse: %s\n", s->br.err);
        browser_close(&s->br);
        studio_free(s);
        return 1;
    }
    s->br_open = 1;
    int rc = run_ui(s);
    char **launch = studio_take_launch(s);
    studio_free(s);
    return launch ? fork_exec(launch) : rc;
}
