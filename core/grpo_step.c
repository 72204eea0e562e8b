/* grpo_step.c - one GRPO step's compute (grpo_step.h): generation, reference log-probs in chunks through the
 * shared inference workspace, and the policy update in micro-batches that fit the activation budget.
 *
 * Rows are taken longest first, and each chunk (reference) or micro-batch (update) is padded only to its own
 * longest row: completions of one batch range from a few tokens to max_new_tokens, and padding every row to the
 * batch's longest would spend most of the forward and backward on padding. Inside the update every per-row and
 * per-token array is in that sorted order; only the inputs are read through the permutation. */
#include "core/grpo_step.h"
#include "core/dist.h"
#include <assert.h>
#include <math.h>
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
    int *tok;                 /* (B_cap, T_cap): a chunk's rows gathered, each padded to the chunk's longest */
    int *pos;                 /* (B_cap, T_cap): a chunk's completion positions, whose log-probs are computed */
    int *order, *pl, *gl;     /* (B_cap): rows longest first; their prompt and completion lengths in that order */
    float *adv;               /* (B_cap): advantages in that order */
};

/* A micro-batch is closed early, at a row no more than half as long as its first, once it holds this many
 * tokens: below that the matrix products run short of rows. */
#define MB_MIN_TOKENS 512

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

static void free_rows(GrpoStep *s) {
    free(s->tok);
    free(s->pos);
    free(s->order);
    free(s->pl);
    free(s->gl);
    free(s->adv);
    s->tok = s->pos = s->order = s->pl = s->gl = NULL;
    s->adv = NULL;
}

void grpo_step_free(GrpoStep *s) {
    if (!s) return;
    sampler_free(s->sampler);
    model_acts_free(s->acts);
    free_arrays(s);
    free_rows(s);
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
    out->buffers = STEP_ARRAYS * (size_t)B * T * sizeof(float) + 2 * (size_t)B * T * sizeof(int) +
                   (size_t)B * (3 * sizeof(int) + sizeof(float)) + sizeof(GrpoStep);
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
    int *tok = calloc((size_t)nB * nT, sizeof(int)), *pos = calloc((size_t)nB * nT, sizeof(int));
    int *order = calloc(nB, sizeof(int));
    int *pl = calloc(nB, sizeof(int)), *gl = calloc(nB, sizeof(int));
    float *adv = calloc(nB, sizeof(float));
    ok &= tok && pos && order && pl && gl && adv;
    if (!ok) {
        for (int i = 0; i < STEP_ARRAYS; i++) free(fresh[i]);
        free(tok), free(pos), free(order), free(pl), free(gl), free(adv);
        goto oom;
    }
    free_arrays(s);
    free_rows(s);
    for (int i = 0; i < STEP_ARRAYS; i++) *a[i] = fresh[i];
    s->tok = tok, s->pos = pos, s->order = order, s->pl = pl, s->gl = gl, s->adv = adv;
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

/* dst row i (N completion tokens) = the completion's log-probs (or entropies) of sorted row r0 + i, from src
 * (rows of Tm - 1 positions, in sorted order from r0, or with batch_order in the batch's own order), starting at
 * the position that predicts the first completion token; zero beyond the completion. */
static void gather_rows(const GrpoStep *s, float *dst, const float *src, int batch_order, int r0, int nb, int Tm,
                        int N) {
    for (int i = 0; i < nb; i++) {
        const float *row = src + (size_t)(batch_order ? s->order[r0 + i] : i) * (Tm - 1) + s->pl[r0 + i] - 1;
        for (int j = 0; j < N; j++) dst[(size_t)i * N + j] = j < s->gl[r0 + i] ? row[j] : 0.0f;
    }
}

static int longer_first(const void *x, const void *y) {
    const int *a = x, *b = y; /* (length, row) pairs; equal lengths keep row order */
    return a[0] != b[0] ? (a[0] < b[0]) - (a[0] > b[0]) : (a[1] > b[1]) - (a[1] < b[1]);
}

/* s->order: the B rows longest first, with their lengths and advantages in that order (s->pl, s->gl, s->adv). */
static void sort_rows(GrpoStep *s, const int *plens, const int *glens, const float *adv, int B) {
    int *pairs = s->tok; /* scratch: (length, row) pairs, 2B <= B_cap * T_cap ints */
    for (int b = 0; b < B; b++) {
        pairs[2 * b] = plens[b] + glens[b];
        pairs[2 * b + 1] = b;
    }
    qsort(pairs, B, 2 * sizeof(int), longer_first);
    for (int i = 0; i < B; i++) {
        int b = pairs[2 * i + 1];
        s->order[i] = b;
        s->pl[i] = plens[b];
        s->gl[i] = glens[b];
        s->adv[i] = adv[b];
    }
}

/* The chunk of sorted rows starting at r0 that fits `cap` tokens, each padded to the first's length: returns its
 * row count and sets *Tm (at least 2). With split, it also ends before a row no more than half as long as the
 * first, once it holds MB_MIN_TOKENS tokens. */
static int chunk_rows(const GrpoStep *s, int r0, int B, size_t cap, int split, int *Tm) {
    int T0 = s->pl[r0] + s->gl[r0];
    if (T0 < 2) T0 = 2;
    int n = 1;
    while (r0 + n < B && (size_t)(n + 1) * T0 <= cap) {
        int len = s->pl[r0 + n] + s->gl[r0 + n];
        if (split && 2 * len <= T0 && (size_t)n * T0 >= MB_MIN_TOKENS) break;
        n++;
    }
    *Tm = T0;
    return n;
}

/* The chunk's rows of seq (stride T) into s->tok as (n, Tm): every row is at most Tm long and right-padded. */
static const int *gather_tokens(GrpoStep *s, const int *seq, int T, int r0, int n, int Tm) {
    for (int i = 0; i < n; i++) memcpy(s->tok + (size_t)i * Tm, seq + (size_t)s->order[r0 + i] * T, sizeof(int) * Tm);
    return s->tok;
}

/* The positions b*Tm + t (t predicting a completion token) of the chunk's rows into s->pos, b the row's place in
 * the forward (its place in the chunk, or with batch_order in the batch). Returns their count. */
static int completion_positions(GrpoStep *s, int batch_order, int r0, int nb, int Tm) {
    int n = 0;
    for (int i = 0; i < nb; i++) {
        int b = batch_order ? s->order[r0 + i] : i, t0 = s->pl[r0 + i] - 1;
        for (int j = 0; j < s->gl[r0 + i]; j++) s->pos[n++] = b * Tm + t0 + j;
    }
    return n;
}

/* the reference model's log-probs of the completions, in chunks through the workspace */
static void reference_logprobs(GrpoStep *s, const Model *ref, const int *seq, int B, int T, int N) {
    ModelActs *w = sampler_workspace(s->sampler);
    for (int r0 = 0, n, Tm; r0 < B; r0 += n) {
        n = chunk_rows(s, r0, B, model_acts_capacity(w), 0, &Tm);
        const int *tok = gather_tokens(s, seq, T, r0, n, Tm);
        model_forward(ref, w, tok, n, Tm);
        model_token_logprobs_rows(w, tok, n, Tm, s->pos, completion_positions(s, 0, r0, n, Tm), s->lp_full, NULL);
        gather_rows(s, s->ref_logp + (size_t)r0 * N, s->lp_full, 0, r0, n, Tm, N);
    }
}

/* The update's statistics over the ranks of a data-parallel run: sums of the parts each rank's rows add, and the
 * extremes of the sequence ratios (a rank without sequences takes no part in them). */
static void reduce_stats(GrpoUpdateStats *st, double *ent_sum, double *seq_sum, long *n_seqs) {
    if (dist_size() == 1) return;
    double sums[10] = {st->loss, st->policy_loss, st->kl, st->clip_ratio, st->clip_low, st->clip_high, st->clip_delta,
                       *ent_sum, *seq_sum, (double)*n_seqs};
    dist_sum_doubles(sums, 10);
    double ext[2] = {*n_seqs > 0 ? st->seq_ratio_max : -HUGE_VAL, *n_seqs > 0 ? -st->seq_ratio_min : -HUGE_VAL};
    dist_max_doubles(ext, 2);
    st->loss = sums[0], st->policy_loss = sums[1], st->kl = sums[2], st->clip_ratio = sums[3];
    st->clip_low = sums[4], st->clip_high = sums[5], st->clip_delta = sums[6];
    *ent_sum = sums[7], *seq_sum = sums[8], *n_seqs = (long)sums[9];
    st->seq_ratio_max = *n_seqs > 0 ? ext[0] : 0;
    st->seq_ratio_min = *n_seqs > 0 ? -ext[1] : 0;
}

void grpo_step_update(GrpoStep *s, Model *policy, const Model *ref, AdamW *opt, const int *seq, const int *plens,
                      const int *glens, const float *adv, int B, int T, const GrpoUpdateParams *p,
                      GrpoUpdateStats *st) {
    const int N = p->loss.max_new_tokens;
    /* a rank of a data-parallel run may have no rows of the batch (dynamic sampling kept none of its groups): it
     * still takes part in the sums, and applies the same update */
    assert((B >= 1 || dist_size() > 1) && B <= s->B_cap && T >= 2 && T <= s->T_cap && N >= 1 && N <= s->T_cap);
    memset(st, 0, sizeof *st);
    sort_rows(s, plens, glens, adv, B);
    double tokens = 0, all_tokens = 0; /* in the loss; generated */
    for (int i = 0; i < B; i++) {
        int b = s->order[i];
        assert(glens[b] <= N && plens[b] >= 1 && plens[b] + glens[b] <= T);
        int in_loss = !p->row_mask || p->row_mask[b] != 0.0f;
        const float *keep = p->token_mask ? p->token_mask + (size_t)b * N : NULL; /* the caller's row b */
        for (int j = 0; j < N; j++) {
            int m = in_loss && j < glens[b] && (!keep || keep[j] != 0.0f);
            s->mask[(size_t)i * N + j] = m ? 1.0f : 0.0f;
            tokens += m;
        }
        all_tokens += glens[b];
    }
    /* a data-parallel run (dist.h) learns from every rank's rows as one batch: the loss divides by the counts of
     * the whole batch, and the gradients are summed over the ranks before clipping */
    double counts[3] = {B, tokens, all_tokens};
    dist_sum_doubles(counts, 3);
    const int use_ref = p->loss.beta != 0.0f;
    double w0 = wall_now(), c0 = cpu_now();
    if (use_ref) reference_logprobs(s, ref, seq, B, T, N);
    st->t_ref = wall_now() - w0;
    st->c_ref = cpu_now() - c0;

    /* micro-batches of whole sequences: when the whole batch is one, it may run on the forward that generation
     * recorded, in the batch's own order */
    int n_mb = 0, Tm;
    for (int r0 = 0, n; r0 < B; r0 += n, n_mb++) n = chunk_rows(s, r0, B, s->acts_tokens, 1, &Tm);
    st->micro_batches = n_mb;
    const int whole = n_mb == 1 && (size_t)B * T <= s->acts_tokens;
    GrpoLossParams lp = p->loss;
    lp.batch_sequences = (int)counts[0];
    lp.batch_tokens = counts[1];
    double ent_sum = 0, seq_sum = 0;
    long n_seqs = 0;
    for (int it = 0; it < p->iterations; it++) {
        model_zero_grad(policy);
        for (int r0 = 0, nb; r0 < B; r0 += nb) {
            nb = chunk_rows(s, r0, B, s->acts_tokens, 1, &Tm);
            const int *pl = s->pl + r0, *gl = s->gl + r0;
            size_t o = (size_t)r0 * N;
            double w = wall_now(), c = cpu_now();
            const int *tok;
            if (whole && it == 0 && model_forward_recorded(policy, s->acts, seq, B, T) == 0) {
                /* recorded in the batch's order: lay the rows out sorted with the log-probs below */
                tok = seq, Tm = T;
                st->recorded = 1;
            } else {
                tok = gather_tokens(s, seq, T, r0, nb, Tm);
                model_forward(policy, s->acts, tok, nb, Tm);
            }
            model_token_logprobs_rows(s->acts, tok, nb, Tm, s->pos, completion_positions(s, tok == seq, r0, nb, Tm),
                                      s->lp_full, it == 0 ? s->ent_full : NULL);
            gather_rows(s, s->logp + o, s->lp_full, tok == seq, r0, nb, Tm, N);
            if (it == 0) { /* the old policy is this one: ratios of 1, detached */
                memcpy(s->logp_old + o, s->logp + o, sizeof(float) * nb * N);
                gather_rows(s, s->entropy + o, s->ent_full, tok == seq, r0, nb, Tm, N);
                for (int b = 0; b < nb; b++) /* over every generated token, in the loss or not */
                    for (int j = 0; j < gl[b]; j++) ent_sum += s->entropy[o + (size_t)b * N + j];
            }
            GrpoLossStats part;
            double loss = grpo_loss(s->dlogp + o, &part, s->logp + o, s->logp_old + o,
                                    use_ref ? s->ref_logp + o : NULL, s->adv + r0, s->mask + o, nb, N, &lp);
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
            memset(s->dlp_full, 0, sizeof(float) * nb * (Tm - 1));
            for (int i = 0; i < nb; i++) {
                int row = tok == seq ? s->order[r0 + i] : i; /* the recorded layout keeps the batch's order */
                for (int j = 0; j < gl[i]; j++)
                    s->dlp_full[(size_t)row * (Tm - 1) + pl[i] + j - 1] = s->dlogp[o + (size_t)i * N + j];
            }
            st->t_fwd += wall_now() - w;
            st->c_fwd += cpu_now() - c;
            w = wall_now(), c = cpu_now();
            model_logprob_backward(s->acts, tok, s->dlp_full, nb, Tm);
            model_backward(policy, s->acts, tok, nb, Tm);
            st->t_bwd += wall_now() - w;
            st->c_bwd += cpu_now() - c;
        }
        double w = wall_now(), c = cpu_now();
        dist_sum_floats(policy->grads_mem, policy->n_params);
        st->t_sum += wall_now() - w;
        st->grad_norm = grad_clip_norm(policy->grads_mem, policy->n_params, p->grad_clip);
        adamw_step(opt, policy->params_mem, policy->grads_mem, p->lr, p->beta1, p->beta2, p->eps, p->weight_decay);
        st->t_opt += wall_now() - w;
        st->c_opt += cpu_now() - c;
    }
    reduce_stats(st, &ent_sum, &seq_sum, &n_seqs);
    all_tokens = counts[2];
    st->policy_loss /= p->iterations;
    st->kl /= p->iterations;
    st->clip_ratio /= p->iterations;
    st->clip_low /= p->iterations;
    st->clip_high /= p->iterations;
    st->clip_delta /= p->iterations;
    st->seq_ratio_mean = n_seqs > 0 ? seq_sum / n_seqs : 0;
    st->entropy = all_tokens > 0 ? ent_sum / all_tokens : 0;
}

void grpo_step_token_ratios(const GrpoStep *s, float *ratio, int B, int N) {
    for (int i = 0; i < B; i++) {
        const float *lp = s->logp + (size_t)i * N, *old = s->logp_old + (size_t)i * N;
        float *out = ratio + (size_t)s->order[i] * N;
        for (int j = 0; j < s->gl[i]; j++) out[j] = expf(lp[j] - old[j]);
    }
}
