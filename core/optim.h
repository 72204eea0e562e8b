/* optim.h - AdamW, global gradient-norm clipping and the learning-rate schedule. */
#ifndef GRPO_OPTIM_H
#define GRPO_OPTIM_H
#include <stddef.h>

typedef struct {
    size_t n;
    float *m;      /* (n) first moment */
    float *v;      /* (n) second moment */
    long t;        /* steps taken */
} AdamW;

/* Allocates zeroed moments for n parameters. Returns 0 or -1 (out of memory). Pair with adamw_free. */
int adamw_init(AdamW *o, size_t n);
void adamw_free(AdamW *o);
/* One AdamW step (decoupled weight decay, bias-corrected moments) over all n parameters. */
void adamw_step(AdamW *o, float *params, const float *grads, float lr, float beta1, float beta2, float eps,
                float weight_decay);
/* L2 norm of grads; when above max_norm (> 0), scales grads down to it. Returns the norm before clipping. */
float grad_clip_norm(float *grads, size_t n, float max_norm);
/* Learning rate at `step` (0-based): linear warmup over `warmup` steps, then SCHED_* towards min_ratio * base
 * at `total` steps. */
float lr_schedule(int step, float base, int warmup, int total, int schedule, float min_ratio);

#endif
