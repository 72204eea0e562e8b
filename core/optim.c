/* optim.c - AdamW (decoupled weight decay, as torch.optim.AdamW), global gradient-norm clipping (as
 * torch.nn.utils.clip_grad_norm_) and the learning-rate schedule. */
#include "core/optim.h"
#include "core/config.h"
#include <math.h>
#include <stdlib.h>

int adamw_init(AdamW *o, size_t n) {
    o->n = n;
    o->t = 0;
    o->m = calloc(n ? n : 1, sizeof(float));
    o->v = calloc(n ? n : 1, sizeof(float));
    if (!o->m || !o->v) { adamw_free(o); return -1; }
    return 0;
}

void adamw_free(AdamW *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
    o->n = 0;
}

void adamw_step(AdamW *o, float *params, const float *grads, float lr, float beta1, float beta2, float eps,
                float weight_decay) {
    o->t++;
    const float bc1 = 1.0f - powf(beta1, (float)o->t);
    const float bc2 = 1.0f - powf(beta2, (float)o->t);
    const float step = lr / bc1, inv_sqrt_bc2 = 1.0f / sqrtf(bc2), decay = 1.0f - lr * weight_decay;
    float *m = o->m, *v = o->v;
    for (size_t i = 0; i < o->n; i++) {
        float g = grads[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        params[i] = params[i] * decay - step * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}

float grad_clip_norm(float *grads, size_t n, float max_norm) {
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)grads[i] * grads[i];
    double norm = sqrt(ss);
    if (max_norm > 0 && norm > max_norm) {
        float s = (float)(max_norm / (norm + 1e-6));
        for (size_t i = 0; i < n; i++) grads[i] *= s;
    }
    return (float)norm;
}

float lr_schedule(int step, float base, int warmup, int total, int schedule, float min_ratio) {
    if (warmup > 0 && step < warmup) return base * (float)(step + 1) / (float)warmup;
    double span = total - warmup;
    double p = span > 0 ? (step - warmup) / span : 1.0;
    if (p < 0) p = 0;
    if (p > 1) p = 1;
    double lo = base * min_ratio;
    switch (schedule) {
    case SCHED_COSINE: return (float)(lo + (base - lo) * 0.5 * (1.0 + cos(M_PI * p)));
    case SCHED_LINEAR: return (float)(base - (base - lo) * p);
    default: return base;
    }
}
