/* sampler.c - batched generation of sampler.h: one right-padded prefill of all prompts, then one batched decode
 * step per position over the rows still running, each row at its own position. Row b draws from the RNG stream
 * (seed, first_stream + b), so what a row samples depends on its logits and its stream only, never on how rows are split across
 * threads. All buffers are allocated by sampler_new. */
#include "core/sampler.h"
#include "core/kernels.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct Sampler {
    ModelConfig cfg;
    int B_max, T_max;
    ModelKV *kv;
    float *logits;   /* (B_max, V) */
    float *scratch;  /* (B_max, 2V) */
    int *prompt;     /* (B_max, T_max) right-padded prompts */
    int *lens, *pos, *active, *cur, *sampled; /* (B_max) each */
    Rng *rng;        /* (B_max) */
    ModelActs *rec;  /* sampler_record */
    float *ent;      /* sampler_entropies: (B, max_new_tokens) or NULL */
    float *lp;       /* sampler_logprobs: (B, max_new_tokens) or NULL */
};

void sampler_entropies(Sampler *s, float *ent) { s->ent = ent; }
void sampler_logprobs(Sampler *s, float *lp) { s->lp = lp; }

/* The entropy (nats) of softmax(logits) into *ent and the log-prob of token `tok` under it into *lp, either may be
 * NULL; one pass over the vocabulary. */
static void logits_stats(const float *logits, int V, int tok, float *ent, float *lp) {
    float mx = logits[0];
    for (int i = 1; i < V; i++) if (logits[i] > mx) mx = logits[i];
    double z = 0, zx = 0;
    for (int i = 0; i < V; i++) {
        double x = (double)logits[i] - mx, e = exp(x);
        z += e;
        zx += e * x;
    }
    if (ent) *ent = (float)(log(z) - zx / z);
    if (lp) *lp = (float)((double)logits[tok] - mx - log(z));
}

void sampler_record(Sampler *s, ModelActs *a) {
    s->rec = a;
    if (!a) model_kv_record(s->kv, NULL, 0);
}

/* Allocates the buffers of `s` for B sequences of T tokens; 0, or -1 leaving the old ones in place. */
static int sampler_alloc(Sampler *s, int B_max, int T_max) {
    size_t B = B_max, V = s->cfg.V;
    Sampler n = *s;
    n.B_max = B_max;
    n.T_max = T_max;
    n.kv = model_kv_new(&s->cfg, B_max, T_max);
    n.logits = malloc(B * V * sizeof(float));
    n.scratch = malloc(B * 2 * V * sizeof(float));
    n.prompt = malloc(B * T_max * sizeof(int));
    n.lens = malloc(B * sizeof(int));
    n.pos = malloc(B * sizeof(int));
    n.active = malloc(B * sizeof(int));
    n.cur = malloc(B * sizeof(int));
    n.sampled = malloc(B * sizeof(int));
    n.rng = malloc(B * sizeof(Rng));
    int ok = n.kv && n.logits && n.scratch && n.prompt && n.lens && n.pos && n.active && n.cur && n.sampled && n.rng;
    Sampler *drop = ok ? s : &n;
    model_kv_free(drop->kv);
    free(drop->logits); free(drop->scratch); free(drop->prompt); free(drop->lens); free(drop->pos);
    free(drop->active); free(drop->cur); free(drop->sampled); free(drop->rng);
    if (!ok) return -1;
    *s = n;
    return 0;
}

Sampler *sampler_new(const ModelConfig *cfg, int B_max, int T_max) {
    assert(B_max > 0 && T_max > 0 && T_max <= cfg->max_T);
    Sampler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    if (sampler_alloc(s, B_max, T_max) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

int sampler_reserve(Sampler *s, int B, int T) {
    assert(B > 0 && T > 0 && T <= s->cfg.max_T);
    if (B <= s->B_max && T <= s->T_max) return 0;
    return sampler_alloc(s, B > s->B_max ? B : s->B_max, T > s->T_max ? T : s->T_max);
}

int sampler_batch(const Sampler *s) { return s->B_max; }
int sampler_length(const Sampler *s) { return s->T_max; }
ModelActs *sampler_workspace(Sampler *s) { return model_kv_workspace(s->kv); }

size_t sampler_bytes(const ModelConfig *cfg, int B_max, int T_max) {
    size_t B = B_max, V = cfg->V;
    return model_kv_bytes(cfg, B_max, T_max) + 3 * B * V * sizeof(float) + B * T_max * sizeof(int) +
           B * (5 * sizeof(int) + sizeof(Rng));
}

void sampler_free(Sampler *s) {
    if (!s) return;
    model_kv_free(s->kv);
    free(s->logits); free(s->scratch); free(s->prompt); free(s->lens); free(s->pos);
    free(s->active); free(s->cur); free(s->sampled); free(s->rng);
    free(s);
}

int sampler_pick(const float *logits, int V, const SamplerParams *p, float *scratch, Rng *rng) {
    assert(V > 0 && p->temperature > 0);
    float *pr = scratch;      /* unnormalised probabilities */
    float *order = scratch + V; /* token ids, most probable first (only when filtering) */
    float mx = logits[0];
    int arg = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > mx) mx = logits[i], arg = i;
    int filter = (p->top_k > 0 && p->top_k < V) || p->top_p < 1.0f;
    if (p->top_k == 1) { /* greedy; still draw, so a row's stream advances the same way whatever the filter */
        (void)rng_uniform(rng);
        return arg;
    }
    float inv_t = 1.0f / p->temperature;
    for (int i = 0; i < V; i++) pr[i] = expf((logits[i] - mx) * inv_t);
    float u = rng_uniform(rng);
    if (!filter) {
        double total = 0;
        for (int i = 0; i < V; i++) total += pr[i];
        double target = u * total, acc = 0;
        int last = arg;
        for (int i = 0; i < V; i++) {
            if (pr[i] <= 0) continue;
            acc += pr[i];
            last = i;
            if (target < acc) return i;
        }
        return last; /* rounding at the very end of the cumulative sum */
    }
    /* stable insertion sort of ids by probability, descending (ties: lower id first) */
    for (int i = 0; i < V; i++) {
        int j = i;
        while (j > 0 && pr[(int)order[j - 1]] < pr[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (float)i;
    }
    int keep = (p->top_k > 0 && p->top_k < V) ? p->top_k : V;
    double total = 0;
    for (int i = 0; i < keep; i++) total += pr[(int)order[i]];
    if (p->top_p < 1.0f) { /* smallest prefix whose probability reaches top_p (at least one token) */
        double acc = 0, need = (double)p->top_p * total;
        int n = 0;
        while (n < keep) {
            acc += pr[(int)order[n]];
            n++;
            if (acc >= need) break;
        }
        keep = n;
        total = acc;
    }
    double target = u * total, acc = 0;
    for (int i = 0; i < keep; i++) {
        acc += pr[(int)order[i]];
        if (target < acc) return (int)order[i];
    }
    return (int)order[keep - 1];
}

int sampler_generate(Sampler *s, const Model *m, const SamplerParams *p, uint64_t seed, const int *prompts,
                     const int *prompt_lens, int prompt_stride, int B, int *out, int *out_lens, int *finish,
                     SamplerHook hook, void *ud) {
    assert(B >= 1 && B <= s->B_max && p->max_new_tokens >= 1 && p->temperature > 0);
    int V = m->cfg.V, N = p->max_new_tokens, P = 0;
    for (int b = 0; b < B; b++) {
        assert(prompt_lens[b] >= 1 && prompt_lens[b] + N <= s->T_max);
        if (prompt_lens[b] > P) P = prompt_lens[b];
    }
    for (int b = 0; b < B; b++) {
        int L = prompt_lens[b];
        memcpy(s->prompt + (size_t)b * P, prompts + (size_t)b * prompt_stride, L * sizeof(int));
        for (int t = L; t < P; t++) s->prompt[(size_t)b * P + t] = 0;
        s->lens[b] = L;
        rng_seed(&s->rng[b], seed, (uint64_t)p->first_stream + (uint64_t)b);
        s->active[b] = 1;
        out_lens[b] = 0;
        finish[b] = 0;
    }
    if (s->rec) model_kv_record(s->kv, s->rec, P + N);
    model_prefill(m, s->kv, s->prompt, s->lens, B, P, s->logits);
    for (int t = 0; t < N; t++) {
        int n_active = 0;
        for (int b = 0; b < B; b++) {
            if (!s->active[b]) {
                s->sampled[b] = -1;
                continue;
            }
            int tok = sampler_pick(s->logits + (size_t)b * V, V, p, s->scratch + (size_t)b * 2 * V, &s->rng[b]);
            s->sampled[b] = tok;
            out[(size_t)b * N + t] = tok;
            if (s->ent || s->lp)
                logits_stats(s->logits + (size_t)b * V, V, tok, s->ent ? &s->ent[(size_t)b * N + t] : NULL,
                             s->lp ? &s->lp[(size_t)b * N + t] : NULL);
            out_lens[b]++;
            int stop = tok == p->eos_id;
            for (int k = 0; k < p->n_stop && !stop; k++) stop = tok == p->stop_ids[k];
            if (stop) {
                finish[b] = FINISH_EOS;
                s->active[b] = 0;
            } else if (t == N - 1) {
                finish[b] = FINISH_LENGTH;
                s->active[b] = 0;
            } else {
                n_active++;
            }
        }
        if (hook && hook(ud, t, s->sampled)) {
            for (int b = 0; b < B; b++)
                if (!finish[b]) finish[b] = FINISH_ABORTED;
            return 1;
        }
        if (n_active == 0) break;
        for (int b = 0; b < B; b++) {
            s->pos[b] = s->lens[b] + t;
            s->cur[b] = s->active[b] ? s->sampled[b] : 0;
        }
        model_decode(m, s->kv, s->cur, s->pos, s->active, B, s->logits);
    }
    return 0;
}
