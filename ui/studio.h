/* studio.h - the interactive studio: the libuv loop on the calling thread, the trainer on a worker thread, the
 * Train / Rollouts / Group / Help screens in ncurses.
 *
 * How ui/cmd_train.c wires it (the studio never opens the write connection and never builds the trainer):
 *
 *     Studio *s = studio_new(&cfg, config_path, db_path);          // no terminal touched yet
 *     TrainerCallbacks cb = ...;  // your callbacks: write to the store, then forward to
 *                                 // studio_on_step / studio_on_trace / studio_on_event with ud = s
 *     //   (or, with no store: TrainerCallbacks cb = studio_callbacks(s);)
 *     Trainer *t = trainer_new(&cfg, &cb, err, sizeof err);
 *     int rc = studio_run(s, t);    // starts trainer_run(t) on a worker thread; returns when the user quits
 *     trainer_free(t); store close ...; studio_free(s);
 *     return rc;
 *
 * Threads: studio_on_* run on the trainer's thread; they copy what they need into locked queues and wake the loop
 * with uv_async_send, so they return in microseconds. Everything else runs on the thread that calls studio_run,
 * the only thread that touches ncurses. */
#ifndef GRPO_UI_STUDIO_H
#define GRPO_UI_STUDIO_H
#include "core/config.h"
#include "core/record.h"
#include "core/trainer.h"
#include <stddef.h>
#include <stdint.h>

typedef struct Studio Studio;

/* The studio's state for one run. c is copied; config_path (shown in the status bar, may be NULL) and db_path (the
 * run database the Rollouts screen reads through its own read-only connection; NULL or "none" = no browser) are
 * copied. Touches no terminal. NULL when out of memory. Pair with studio_free. */
Studio *studio_new(const Config *c, const char *config_path, const char *db_path);
void studio_free(Studio *s);

/* The id of the run being trained (its row in the run database; 0: no database): shown in the status bar, and the
 * run the Rollouts screen reads. Call before studio_run. */
void studio_set_run_id(Studio *s, int64_t run_id);
/* The run trained is a fork of run parent_run at parent_step: its charts mark the step it branched at ("fork of run
 * N @ S"). Call before studio_run. */
void studio_set_parent(Studio *s, int64_t parent_run, int parent_step);

/* Trainer callbacks (ud = the Studio). Thread-safe; callable before studio_run (queued) and after it (ignored). */
void studio_on_step(void *studio, const StepRecord *rec);
void studio_on_trace(void *studio, int step, int kind, const char *text, float reward, int correct);
void studio_on_event(void *studio, const Event *ev);
/* The three above in a TrainerCallbacks, for callers that have nothing of their own to chain. */
TrainerCallbacks studio_callbacks(Studio *s);

/* Whether the studio can run on this process's terminal: stdin and stdout are terminals and $TERM names one that
 * can place the cursor (not "dumb"). Returns 0, or -1 with the reason in err ("TERM=dumb cannot place the cursor").
 * Touches nothing: callers check before creating anything (a run database) that only the studio would use. */
int studio_check_terminal(char *err, size_t n);

/* Opens the terminal, starts trainer_run(t) on a worker thread and runs the loop until the user quits (q + confirm,
 * Ctrl-C, SIGTERM, SIGHUP): then trainer_stop(t), waits for the worker (which saves the final checkpoint),
 * restores the terminal. If the trainer fails, the studio shows the error and waits for q. When the run simply
 * finishes, the studio stays open (state DONE) for browsing until q. The signals must be blocked in every thread
 * (ui/signals.h: ui_signals_block): the loop reads them from a signalfd.
 * Returns the exit status: 0 after a clean quit or a finished run, 1 when the trainer failed or the terminal could
 * not be opened (message on stderr after the terminal is restored). */
int studio_run(Studio *s, Trainer *t);

/* A fork the user started from the Runs screen (F, then Enter): the command line that runs it
 * ("grpo-studio" "train" "--fork" ... NULL), to exec once the studio has returned and the caller has closed what it
 * holds (ui/fork_launch.h: fork_exec); NULL when none. The caller owns it (fork_argv_free). */
char **studio_take_launch(Studio *s);

/* The browser alone on one or more run databases (live or finished): the `browse` command. Opens on the Runs screen
 * when they hold several runs, else on the rollouts of the one run. Returns an exit status; a fork started from
 * its Runs screen replaces the process (fork_exec) and returns only when that fails. */
int studio_browse(const char *const *db_paths, int n_paths);

#endif
