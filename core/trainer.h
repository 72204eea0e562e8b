/* trainer.h - the GRPO step loop and the control interface another thread uses to steer it.
 *
 * The loop runs on whichever thread calls trainer_run (the studio's worker, the headless command, a test):
 * draw prompts -> generate G completions each (the watched rollout streamed token by token) -> rewards ->
 * group advantages -> reference and old log-probs -> mu policy updates with AdamW -> a StepRecord handed to
 * on_step -> apply queued control (pause, single step, set, save, stop) -> next step.
 * The callbacks run on the trainer's thread and must return quickly (copy what they keep). */
#ifndef GRPO_TRAINER_H
#define GRPO_TRAINER_H
#include "core/config.h"
#include "core/memory.h"
#include "core/record.h"
#include <stddef.h>

typedef struct {
    void *ud;
    /* A step finished: its rollouts and metrics. */
    void (*on_step)(void *ud, const StepRecord *rec);
    /* The watched rollout: kind 0 = a new rollout starts (text = its prompt), 1 = a piece of completion text,
     * 2 = it was scored (text = NULL, reward and correct set). */
    void (*on_trace)(void *ud, int step, int kind, const char *text, float reward, int correct);
    /* Something happened: a hyperparameter change applied, pause, resume, checkpoint, evaluation, error. */
    void (*on_event)(void *ud, const Event *ev);
} TrainerCallbacks;

typedef enum { TRAINER_RUNNING = 0, TRAINER_PAUSED, TRAINER_STOPPING, TRAINER_DONE, TRAINER_FAILED } TrainerStatus;
const char *trainer_status_name(TrainerStatus s);

typedef struct Trainer Trainer;

/* Builds a trainer from a finished config (config_finish): the policy from c->model.init (a checkpoint, or random),
 * a frozen reference copy, the task, the optimizer and every buffer a step needs. cb may be NULL.
 * Returns NULL with err. Pair with trainer_free. */
Trainer *trainer_new(const Config *c, const TrainerCallbacks *cb, char *err, size_t errlen);
/* Restores a checkpoint written by this trainer (weights, optimizer, step, RNG, config with live changes).
 * Call before trainer_run. Returns 0 or -1 with err. */
int trainer_restore(Trainer *t, const char *checkpoint_dir, char *err, size_t errlen);
void trainer_free(Trainer *t);
/* What trainer_new(c) would allocate, found without allocating it (a checkpoint's config.json and safetensors
 * header are read and checked; no weights; the task is built to measure its prompts). trainer_new refuses a run whose estimate exceeds memory_available(),
 * naming the figures and the keys to change. Returns 0 or -1 with err. */
int trainer_memory_estimate(const Config *c, MemoryEstimate *e, char *err, size_t errlen);

/* Runs steps until run.steps is reached or stop is requested. Saves a final checkpoint on the way out.
 * Returns 0, or -1 after a failure (message in trainer_error; status TRAINER_FAILED), including a final checkpoint
 * that could not be written. A periodic checkpoint that fails is an EVENT_ERROR named "checkpoint" and training
 * goes on: the caller decides whether to stop (headless) or pause (studio). */
int trainer_run(Trainer *t);
const char *trainer_error(const Trainer *t);

/* Control, callable from any thread; takes effect at the next safe point (pause within one sampled token). */
void trainer_pause(Trainer *t);
void trainer_resume(Trainer *t);
void trainer_single_step(Trainer *t);       /* run one step, then pause */
void trainer_request_checkpoint(Trainer *t);
void trainer_stop(Trainer *t);              /* finish at the next safe point, save, return from trainer_run */
/* Validates "section.key" = value against the live keys of CONFIG_KEYS now; applies it at the next step and
 * reports it through on_event. Returns 0, or -1 with err (unknown or not live key, bad value, out of range, or a
 * batch whose memory the machine cannot give, with the figures). */
int trainer_set(Trainer *t, const char *dotted_key, const char *value, char *err, size_t errlen);

/* The run's estimated memory with the changes requested so far (now) and with dotted = value also applied (after),
 * in bytes, for an editor to show what a change would cost. trainer_set refuses a change whose growth exceeds
 * memory_available(). Returns 0, or -1 (after = now) when the key or value is not valid. */
int trainer_footprint(Trainer *t, const char *dotted_key, const char *value, size_t *now, size_t *after);

TrainerStatus trainer_status(Trainer *t);
int trainer_step(Trainer *t);               /* steps completed */
/* The held-out evaluation running now (thread-safe): *done problems evaluated of *total (eval_problems capped at
 * the held-out set's size); *total = 0 when none runs. Under MPI, rank 0's count: the problems up to the end of its
 * last batch. */
void trainer_eval_progress(Trainer *t, int *done, int *total);
/* The current value of a key as text (thread-safe). */
void trainer_get(Trainer *t, const char *dotted_key, char *buf, size_t n);
/* Where this run's checkpoints go: dir/step-NNNNNN (default: <run.out_dir>/<run.name>). The caller picks a folder
 * no other run writes (ui/cmd_train.c: one per run id). Call before trainer_run. Returns 0, or -1 with err when dir
 * is empty or too long for a checkpoint path. */
int trainer_set_checkpoint_dir(Trainer *t, const char *dir, char *err, size_t errlen);
/* Path of the last checkpoint written ("" if none); copied into buf. */
void trainer_last_checkpoint(Trainer *t, char *buf, size_t n);

#endif
