/* grpo_step.c - one GRPO step's compute (grpo_step.h): generation, reference log-probs in chunks through the
 * shared inference workspace, and the policy update in micro-batches that fit the activation budget. */
#include "core/grpo_step.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct GrpoStep {
    ModelConfig cfg;
    size_t budget;            /* bytes for the training activations */
    int B_cap, T_cap;         /* reserved: sequences, tokens per sequence */
    Sampler *sampler;         /* KV cache and inference workspace (reference forward, prefill, evaluation) */
    ModelActs *acts;          /* training activations for `acts_tokens` tokens */
    size_t acts_tokens;
    /* (B_cap, T_cap) each: per position of the full sequences, then per completion token (row stride N) */
    float *lp_full, *ent_full, *dlp_full;
    float *logp, *logp_old, *ref_logp, *entropy, *mask, *dlogp;
};

#define STEP_ARRAYS 9

size_t grpo_step_auto_budget(size_t available) {
    size_t cap = (size_t)512 << 20, q = available / 4;
    return available == 0 || q > cap ? cap : q;
}

GrpoStep *grpo_step_new(const ModelConfig *cfg, size_t act_budget) {
    GrpoStep *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    s->budget = act_budget;
    return s;
}

/* The step's (B_cap, T_cap) arrays, for allocating and freeing them together. */
static void array_slots(GrpoStep *s, float **a[STEP_ARRAYS]) {
    float **all[STEP_ARRAYS] = {&s->lp_full, &s->ent_full, &s->dlp_full, &s->logp, &s->logp_old,
                                &s->ref_logp, &s->entropy, &s->mask, &s->dlogp};
    memcpy(a, all, sizeof all);
}

static void free_arrays(GrpoStep *s) {
    float **a[STEP_ARRAYS];
    array_slots(s, a);
    for (int i = 0; i < STEP_ARRAYS; i++) {
        free(*a[i]);
        *a[i] = NULL;
    }
}

void grpo_step_free(GrpoStep *s) {
    if (!s) return;
    sampler_free(s->sampler);
    model_acts_free(s->acts);
    free_arrays(s);
    free(s);
}

Sampler *grpo_step_sampler(GrpoStep *s) { return s->sampler; }

/* Tokens of training activations for B sequences of T: the budget's worth, but never more than the whole batch
 * and never less than one sequence. */
static size_t acts_tokens_for(const ModelConfig *cfg, size_t budget, int B, int T) {
    size_t fixed = model_acts_bytes(cfg, 0, 1), per = model_acts_token_bytes(cfg, 1);
    size_t n = budget > fixed ? (budget - fixed) / per : 0, whole = (size_t)B * T;
    if (n > whole) n = whole;
    if (n < (size_t)T) n = (size_t)T;
    return n;
}

void grpo_step_bytes(const ModelConfig *cfg, size_t act_budget, int B, int T, GrpoStepBytes *out) {
    out->kv_cache = sampler_bytes(cfg, B, T);
    out->activations = model_acts_bytes(cfg, acts_tokens_for(cfg, act_budget, B, T), 1);
    out->buffers = STEP_ARRAYS * (size_t)B * T * sizeof(float) + sizeof(GrpoStep);
}

int grpo_step_reserve(GrpoStep *s, int B, int T, char *err, size_t errlen) {
    assert(B >= 1 && T >= 2 && T <= s->cfg.max_T);
    int nB = B > s->B_cap ? B : s->B_cap, nT = T > s->T_cap ? T : s->T_cap;
    nT = (nT + 15) / 16 * 16; /* a little room for longer prompts, as the KV cache rounds anyway */
    if (nT > s->cfg.max_T) nT = s->cfg.max_T;
    if (nB == s->B_cap && nT == s->T_cap) return 0;
    if (!s->sampler) s->sampler = sampler_new(&s->cfg, nB, nT);
    else if (sampler_reserve(s->sampler, nB, nT) != 0) goto oom;
    if (!s->sampler) goto oom;
    size_t want = acts_tokens_for(&s->cfg, s->budget, nB, nT);
    if (want > s->acts_tokens) {
        ModelActs *a = model_acts_new(&s->cfg, want);
        if (!a) goto oom;
        model_acts_free(s->acts);
        s->acts = a;
        s->acts_tokens = want;
    }
    float **a[STEP_ARRAYS], *fresh[STEP_ARRAYS];
    array_slots(s, a);
    int ok = 1;
    for (int i = 0; i < STEP_ARRAYS; i++) ok &= (fresh[i] = calloc((size_t)nB * nT, sizeof(float))) != NULL;
    if (!ok) {
        for (int i = 0; i < STEP_ARRAYS; i++) free(fresh[i]);
        goto oom;
    }
    free_arrays(s);
    for (int i = 0; i < STEP_ARRAYS; i++) *a[i] = fresh[i];
    s->B_cap = nB;
    s->T_cap = nT;
    return 0;
oom:
    snprintf(err, errlen, "out of memory for a batch of %d sequences of %d tokens", nB, nT);
    return -1;
}

int grpo_step_generate(GrpoStep *s, const Model *policy, const SamplerParams *sp, uint64_t seed, const int *prompts,
                       const int *prompt_lens, int prompt_stride, int B, int *out, int *out_lens, int *finish,
                       SamplerHook hook, void *ud) {
    int P = 0;
    for (int b = 0; b < B; b++)
        if (prompt_lens[b] > P) P = prompt_lens[b];
    size_t need = (size_t)B * (P + sp->max_new_tokens);
    sampler_record(s->sampler, need <= s->acts_tokens ? s->acts : NULL);
    int rc = sampler_generate(s->sampler, policy, sp, seed, prompts, prompt_lens, prompt_stride, B, out, out_lens,
                              finish, hook, ud);
    /* the recording stays in acts; other generation on the shared sampler (evaluation) must not touch it */
    sampler_record(s->sampler, NULL);
    return rc;
}

static double wall_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* dst row b (N completion tokens) = src (rows of T-1 positions) from the position that predicts the first
 * completion token, zero beyond the completion */
static void gather(float *dst, const float *src, const int *plens, const int *glens, int nb, int T, int N) {
    for (int b = 0; b < nb; b++)
        for (int j = 0; j < N; j++)
            dst[(size_t)b * N + j] = j < glens[b] ? src[(size_t)b * (T - 1) + plens[b] + j - 1] : 0.0f;
}

/* the reference model's log-probs of the completions, in chunks of whole sequences through the workspace */
static void reference_logprobs(GrpoStep *s, const Model *ref, const int *seq, const int *plens, const int *glens,
                               int B, int T, int N) {
    ModelActs *w = sampler_workspace(s->sampler);
    int per = (int)(model_acts_capacity(w) / (size_t)T);
    assert(per >= 1);
    for (int b0 = 0; b0 < B; b0 += per) {
        int nb = B - b0 < per ? B - b0 : per;
        const int *tok = seq + (size_t)b0 * T;
        model_forward(ref, w, tok, nb, T);
        model_token_logprobs(w, tok, nb, T, s->lp_full, NULL);
        gather(s->ref_logp + (size_t)b0 * N, s->lp_full, plens + b0, glens + b0, nb, T, N);
    }
}

void grpo_step_update(GrpoStep *s, Model *policy, const Model *ref, AdamW *opt, const int *seq, const int *plens,
                      const int *glens, const float *adv, int B, int T, const GrpoUpdateParams *p,
                      GrpoUpdateStats *st) {
    const int N = p->loss.max_new_tokens;
    assert(B >= 1 && B <= s->B_cap && T >= 2 && T <= s->T_cap && N >= 1 && N <= s->T_cap);
    memset(st, 0, sizeof *st);
    double tokens = 0, all_tokens = 0; /* in the loss; generated */
    for (int b = 0; b < B; b++) {
        assert(glens[b] <= N && plens[b] >= 1 && plens[b] + glens[b] <= T);
        int in_loss = !p->row_mask || p->row_mask[b] != 0.0f;
        const float *keep = p->token_mask ? p->token_mask + (size_t)b * N : NULL;
        for (int j = 0; j < N; j++) {
            int m = in_loss && j < glens[b] && (!keep || keep[j] != 0.0f);
            s->mask[(size_t)b * N + j] = m ? 1.0f : 0.0f;
            tokens += m;
        }
        all_tokens += glens[b];
    }
    const int use_ref = p->loss.beta != 0.0f;
    double w0 = wall_now(), c0 = cpu_now();
    if (use_ref) reference_logprobs(s, ref, seq, plens, glens, B, T, N);
    st->t_ref = wall_now() - w0;
    st->c_ref = cpu_now() - c0;

    /* micro-batches of whole sequences, as even as the capacity allows */
    int per = (int)(s->acts_tokens / (size_t)T), n_mb = (B + per - 1) / per;
    per = (B + n_mb - 1) / n_mb;
    st->micro_batches = n_mb;
    GrpoLossParams lp = p->loss;
    lp.batch_sequences = B;
    lp.batch_tokens = tokens;
    double ent_sum = 0, seq_sum = 0;
    long n_seqs = 0;
    for (int it = 0; it < p->iterations; it++) {
        model_zero_grad(policy);
        for (int b0 = 0; b0 < B; b0 += per) {
            int nb = B - b0 < per ? B - b0 : per;
            const int *tok = seq + (size_t)b0 * T;
            const int *pl = plens + b0, *gl = glens + b0;
            size_t o = (size_t)b0 * N;
            double w = wall_now(), c = cpu_now();
            /* the first update's forward of a whole batch may have been recorded by generation (same weights) */
            if (it > 0 || n_mb > 1 || model_forward_recorded(policy, s->acts, tok, nb, T) != 0)
                model_forward(policy, s->acts, tok, nb, T);
            else
                st->recorded = 1;
            model_token_logprobs(s->acts, tok, nb, T, s->lp_full, it == 0 ? s->ent_full : NULL);
            gather(s->logp + o, s->lp_full, pl, gl, nb, T, N);
            if (it == 0) { /* the old policy is this one: ratios of 1, detached */
                memcpy(s->logp_old + o, s->logp + o, sizeof(float) * nb * N);
                gather(s->entropy + o, s->ent_full, pl, gl, nb, T, N);
                for (int b = 0; b < nb; b++) /* over every generated token, in the loss or not */
                    for (int j = 0; j < gl[b]; j++) ent_sum += s->entropy[o + (size_t)b * N + j];
            }
            GrpoLossStats part;
            double loss = grpo_loss(s->dlogp + o, &part, s->logp + o, s->logp_old + o,
                                    use_ref ? s->ref_logp + o : NULL, adv + b0, s->mask + o, nb, N, &lp);
            if (it == p->iterations - 1) st->loss += loss;
            st->policy_loss += part.policy_loss;
            st->kl += part.kl;
            st->clip_ratio += part.clip_ratio;
            st->clip_low += part.clip_low;
            st->clip_high += part.clip_high;
            st->clip_delta += part.clip_delta;
            if (part.n_seqs > 0) {
                if (n_seqs == 0 || part.seq_ratio_min < st->seq_ratio_min) st->seq_ratio_min = part.seq_ratio_min;
                if (n_seqs == 0 || part.seq_ratio_max > st->seq_ratio_max) st->seq_ratio_max = part.seq_ratio_max;
                seq_sum += part.seq_ratio_sum;
                n_seqs += part.n_seqs;
            }
            memset(s->dlp_full, 0, sizeof(float) * nb * (T - 1));
            for (int b = 0; b < nb; b++)
                for (int j = 0; j < gl[b]; j++)
                    s->dlp_full[(size_t)b * (T - 1) + pl[b] + j - 1] = s->dlogp[o + (size_t)b * N + j];
            st->t_fwd += wall_now() - w;
            st->c_fwd += cpu_now() - c;
            w = wall_now(), c = cpu_now();
            model_logprob_backward(s->acts, tok, s->dlp_full, nb, T);
            model_backward(policy, s->acts, tok, nb, T);
            st->t_bwd += wall_now() - w;
            st->c_bwd += cpu_now() - c;
        }
        double w = wall_now(), c = cpu_now();
        st->grad_norm = grad_clip_norm(policy->grads_mem, policy->n_params, p->grad_clip);
        adamw_step(opt, policy->params_mem, policy->grads_mem, p->lr, p->beta1, p->beta2, p->eps, p->weight_decay);
        st->t_opt += wall_now() - w;
        st->c_opt += cpu_now() - c;
    }
    st->policy_loss /= p->iterations;
    st->kl /= p->iterations;
    st->clip_ratio /= p->iterations;
    st->clip_low /= p->iterations;
    st->clip_high /= p->iterations;
    st->clip_delta /= p->iterations;
    st->seq_ratio_mean = n_seqs > 0 ? seq_sum / n_seqs : 0;
    st->entropy = all_tokens > 0 ? ent_sum / all_tokens : 0;
}
