/* record.h - plain data a training step hands out: its rollouts, metrics and events.
 * The trainer fills these; storage/ writes them to SQLite and ui/ draws them. Strings are owned by whoever
 * owns the record (the trainer's step buffers while a callback runs; copy them to keep them). */
#ifndef GRPO_RECORD_H
#define GRPO_RECORD_H
#include <limits.h>

/* DROPPED: the rollout's group had equal rewards and dynamic sampling (grpo.dynamic_sampling) left it out of the
 * update */
enum { ROLLOUT_FLAG_REFLECTION = 1, ROLLOUT_FLAG_SELF_CORRECTION = 2, ROLLOUT_FLAG_DROPPED = 4 };

typedef struct {
    int step;
    int prompt_index;      /* 0..P-1 within the step */
    int sample_index;      /* 0..G-1 within the group */
    const char *task;      /* task name */
    const char *prompt;    /* prompt text as shown to the model */
    const char *completion;/* completion text (specials written out), without the final <eos> */
    const char *answer;    /* the reference answer */
    float reward;          /* weighted total */
    float r_accuracy, r_format, r_language;
    float advantage;
    int length;            /* completion tokens */
    int finish;            /* FINISH_EOS or FINISH_LENGTH (sampler.h) */
    int correct;
    unsigned flags;        /* ROLLOUT_FLAG_* */
    /* per completion token, `length` entries each (the final <eos> included when sampled), or NULL when not known:
     * the token ids; the policy's log-prob of each token and the entropy (nats) of its distribution when it was
     * sampled (temperature 1, before top-k / top-p); the importance ratio exp(logp - logp_old) of the step's last
     * policy update (NULL with num_iterations 1, where every ratio is 1, and for a rollout left out of the update) */
    const int *token_ids;
    const float *token_logprob, *token_entropy, *token_ratio;
} Rollout;

typedef struct { const char *name; double value; } Metric;

typedef struct {
    int step;
    double wall_time;      /* seconds since the epoch when the step finished */
    int n_rollouts;
    const Rollout *rollouts;
    int n_metrics;
    const Metric *metrics;
} StepRecord;

typedef enum {
    EVENT_SET = 1,         /* hyperparameter change: name, old_value, new_value */
    EVENT_PAUSE, EVENT_RESUME, EVENT_CHECKPOINT, EVENT_ERROR, EVENT_START, EVENT_STOP, EVENT_EVAL,
    EVENT_REF_REFRESH      /* the reference moved towards the policy (grpo.ref_refresh_every): detail says how */
} EventKind;

typedef struct {
    EventKind kind;
    int step;              /* the step it takes effect at */
    double wall_time;
    char name[48];
    char old_value[48];
    char new_value[48];
    char detail[PATH_MAX]; /* checkpoint path (any path the file system takes), error text, ... */
} Event;

const char *event_kind_name(EventKind k);

#endif
