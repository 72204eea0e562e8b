/* test_grpo_step.c - the step engine the trainer and the benchmark share: an update in micro-batches equals the
 * whole-batch update (float engine, and the same accumulation in double precision), memory follows the batch
 * (reserve grows, the estimate matches), generation records the forward only when the batch fits the budget, and
 * rows masked out of the loss (mask_truncated) count as if they were not in the batch; an entropy mask decided
 * before the update gives the same update whole or in micro-batches, and the sampler's generation-time entropies are
 * the ones the update's first forward sees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "core/grpo_step.h"
#include "core/kernels.h"

enum { B = 6, T = 15, N = 9, V = 12 };
static const int plen[B] = {4, 6, 5, 4, 6, 3};
static const int glen[B] = {9, 5, 7, 3, 8, 6};
static const float adv[B] = {1.3f, -0.4f, 0.8f, -1.5f, 0.2f, -0.6f};
static const ModelConfig MC = {.V = V, .C = 16, .L = 2, .H = 2, .F = 24, .max_T = 32, .rope_theta = 10000,
                               .norm_eps = 1e-5f, .tied = 1};

static void build(int *seq) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) seq[b * T + t] = t < plen[b] + glen[b] ? (b * 7 + t * 3 + 1) % V : 0;
}

/* A policy away from its flat start and a reference near it. */
static void models(Model *policy, Model *ref) {
    assert_int_equal(model_init(policy, &MC, 3), 0);
    for (size_t i = 0; i < policy->n_params; i++) policy->params_mem[i] += 0.2f * sinf(0.37f * i);
    assert_int_equal(model_init_frozen(ref, &MC), 0);
    model_copy_params(ref, policy);
    for (size_t i = 0; i < ref->n_params; i++) ref->params_mem[i] += 0.05f * cosf(0.11f * i);
}

/* A budget that holds `seqs` sequences of T tokens (and not one more). */
static size_t budget_for(int seqs) {
    return model_acts_bytes(&MC, (size_t)seqs * T, 1) + model_acts_token_bytes(&MC, 1) / 2;
}

static const GrpoUpdateParams UP = {
    .loss = {.beta = 0.1f, .eps_low = 0.2f, .eps_high = 0.28f, .aggregation = AGG_SEQUENCE, .max_new_tokens = N},
    .iterations = 1, .lr = 0.0f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f, .grad_clip = 0.0f};

static void test_micro_batches_equal_whole_batch(void **state) {
    (void)state;
    int seq[B * T];
    build(seq);
    for (int agg = 0; agg < 3; agg++) {
        GrpoUpdateParams up = UP;
        up.loss.aggregation = agg;
        Model pw, pm, ref;
        models(&pw, &ref);
        assert_int_equal(model_init(&pm, &MC, 3), 0);
        model_copy_params(&pm, &pw);
        AdamW ow, om;
        assert_int_equal(adamw_init(&ow, pw.n_params), 0);
        assert_int_equal(adamw_init(&om, pm.n_params), 0);
        char err[256];
        GrpoStep *whole = grpo_step_new(&MC, budget_for(B)), *micro = grpo_step_new(&MC, budget_for(2));
        assert_int_equal(grpo_step_reserve(whole, B, T, err, sizeof err), 0);
        assert_int_equal(grpo_step_reserve(micro, B, T, err, sizeof err), 0);
        GrpoUpdateStats sw, sm;
        grpo_step_update(whole, &pw, &ref, &ow, seq, plen, glen, adv, B, T, &up, &sw);
        grpo_step_update(micro, &pm, &ref, &om, seq, plen, glen, adv, B, T, &up, &sm);
        assert_int_equal(sw.micro_batches, 1);
        assert_int_equal(sm.micro_batches, 3);
        double num = 0, den = 0;
        for (size_t i = 0; i < pw.n_params; i++) {
            double d = (double)pw.grads_mem[i] - pm.grads_mem[i];
            num += d * d;
            den += (double)pw.grads_mem[i] * pw.grads_mem[i];
        }
        assert_true(den > 0);
        assert_true(sqrt(num / den) < 1e-5);
        assert_float_equal(sm.loss, sw.loss, 1e-6 * fabs(sw.loss) + 1e-9);
        assert_float_equal(sm.kl, sw.kl, 1e-6 * fabs(sw.kl) + 1e-9);
        assert_float_equal(sm.entropy, sw.entropy, 1e-5);
        assert_float_equal(sm.grad_norm, sw.grad_norm, 1e-5 * sw.grad_norm);
        grpo_step_free(whole);
        grpo_step_free(micro);
        adamw_free(&ow);
        adamw_free(&om);
        model_free(&pw);
        model_free(&pm);
        model_free(&ref);
    }
}

/* The same accumulation in double precision: the gradient of the GRPO loss of the whole batch equals the sum of
 * the micro-batches' gradients, each from grpo_loss with the batch's totals. */
static void test_micro_batches_equal_whole_batch_f64(void **state) {
    (void)state;
    int seq[B * T];
    build(seq);
    Model pf, ref;
    models(&pf, &ref);
    ModelF64 whole, part;
    assert_int_equal(model_f64_init(&whole, &pf), 0);
    assert_int_equal(model_f64_init(&part, &pf), 0);
    ModelActsF64 *a = model_f64_acts_new(&MC, (size_t)B * T);
    assert_non_null(a);
    /* d loss / d logp from the float pipeline's loss (the loss is the same function whatever the batching) */
    double lp_full[B * (T - 1)];
    float logp[B * N], old[B * N], refl[B * N], mask[B * N], dl_whole[B * N], dl_part[B * N];
    model_f64_forward(&whole, a, seq, B, T);
    model_f64_token_logprobs(a, seq, B, T, lp_full, NULL);
    double tokens = 0;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < N; j++) {
            int i = b * N + j;
            mask[i] = j < glen[b];
            logp[i] = j < glen[b] ? (float)lp_full[b * (T - 1) + plen[b] + j - 1] : 0.0f;
            old[i] = logp[i] + 0.3f * sinf(1.3f * i);
            refl[i] = logp[i] - 0.2f * cosf(0.7f * i);
            tokens += mask[i];
        }
    GrpoLossParams lp = UP.loss;
    grpo_loss(dl_whole, NULL, logp, old, refl, adv, mask, B, N, &lp);
    lp.batch_sequences = B;
    lp.batch_tokens = tokens;
    double dlp[B * (T - 1)];
    memset(dlp, 0, sizeof dlp);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < glen[b]; j++) dlp[b * (T - 1) + plen[b] + j - 1] = dl_whole[b * N + j];
    model_f64_logprob_backward(a, seq, dlp, B, T);
    model_f64_backward(&whole, a, seq, B, T);
    const int cuts[] = {0, 2, 3, 6}; /* micro-batches of 2, 1 and 3 sequences */
    for (int k = 0; k < 3; k++) {
        int b0 = cuts[k], nb = cuts[k + 1] - b0;
        size_t o = (size_t)b0 * N;
        grpo_loss(dl_part + o, NULL, logp + o, old + o, refl + o, adv + b0, mask + o, nb, N, &lp);
        double d[B * (T - 1)];
        memset(d, 0, sizeof d);
        for (int b = 0; b < nb; b++)
            for (int j = 0; j < glen[b0 + b]; j++) d[b * (T - 1) + plen[b0 + b] + j - 1] = dl_part[o + b * N + j];
        model_f64_forward(&part, a, seq + b0 * T, nb, T);
        model_f64_logprob_backward(a, seq + b0 * T, d, nb, T);
        model_f64_backward(&part, a, seq + b0 * T, nb, T);
    }
    for (int i = 0; i < B * N; i++) assert_true(dl_part[i] == dl_whole[i]);
    double num = 0, den = 0;
    for (size_t i = 0; i < whole.n_params; i++) {
        double d = whole.grads_mem[i] - part.grads_mem[i];
        num += d * d;
        den += whole.grads_mem[i] * whole.grads_mem[i];
    }
    assert_true(den > 0);
    assert_true(sqrt(num / den) < 1e-12);
    model_f64_acts_free(a);
    model_f64_free(&whole);
    model_f64_free(&part);
    model_free(&pf);
    model_free(&ref);
}

/* Generation records the policy's forward for the update only when the batch fits the budget; either way the
 * update's log-probs are the policy's (ratios of 1 in the first update: no clipping). */
static void test_records_only_what_fits(void **state) {
    (void)state;
    Model policy, ref;
    models(&policy, &ref);
    int prompts[B * 8], lens[B], out[B * N], olens[B], fin[B], seq[B * T];
    for (int b = 0; b < B; b++) {
        lens[b] = 4;
        for (int t = 0; t < 8; t++) prompts[b * 8 + t] = (b / 2 * 5 + t) % V;
    }
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = -1};
    for (int fits = 0; fits < 2; fits++) {
        AdamW opt;
        assert_int_equal(adamw_init(&opt, policy.n_params), 0);
        char err[256];
        GrpoStep *s = grpo_step_new(&MC, budget_for(fits ? B : 2));
        assert_int_equal(grpo_step_reserve(s, B, 4 + N, err, sizeof err), 0);
        assert_int_equal(grpo_step_generate(s, &policy, &sp, 7, prompts, lens, 8, B, out, olens, fin, NULL, NULL), 0);
        for (int b = 0; b < B; b++) {
            memcpy(seq + b * (4 + N), prompts + b * 8, sizeof(int) * 4);
            memcpy(seq + b * (4 + N) + 4, out + b * N, sizeof(int) * N);
        }
        GrpoUpdateStats st;
        grpo_step_update(s, &policy, &ref, &opt, seq, lens, olens, adv, B, 4 + N, &UP, &st);
        assert_int_equal(st.recorded, fits);
        assert_int_equal(st.micro_batches, fits ? 1 : 3);
        assert_true(st.clip_ratio == 0.0);
        grpo_step_free(s);
        adamw_free(&opt);
    }
    model_free(&policy);
    model_free(&ref);
}

/* reserve grows what is too small and nothing else; grpo_step_bytes says what the engine holds */
static void test_reserve_grows(void **state) {
    (void)state;
    char err[256];
    size_t budget = budget_for(3);
    GrpoStep *s = grpo_step_new(&MC, budget);
    assert_int_equal(grpo_step_reserve(s, 4, 10, err, sizeof err), 0);
    Sampler *sm = grpo_step_sampler(s);
    assert_int_equal(sampler_batch(sm), 4);
    assert_int_equal(sampler_length(sm), 16); /* rounded up to 16 */
    assert_int_equal(grpo_step_reserve(s, 2, 12, err, sizeof err), 0);
    assert_int_equal(sampler_batch(sm), 4);
    assert_int_equal(grpo_step_reserve(s, 7, 20, err, sizeof err), 0);
    assert_ptr_equal(grpo_step_sampler(s), sm);
    assert_int_equal(sampler_batch(sm), 7);
    assert_int_equal(sampler_length(sm), 32);
    GrpoStepBytes by;
    grpo_step_bytes(&MC, budget, 7, 32, &by);
    assert_true(by.activations <= budget + (2u << 20));
    assert_true(by.kv_cache == sampler_bytes(&MC, 7, 32));
    grpo_step_free(s);
}

/* row_mask (mask_truncated) leaves rows out of the loss: with the per-token mean, the update equals the update on
 * the batch without those rows (gradient, loss, KL) - whole or in micro-batches - and the new statistics are
 * consistent. */
static void test_row_mask_leaves_rows_out(void **state) {
    (void)state;
    int seq[B * T], kept_seq[B * T], kept_plen[B], kept_glen[B];
    float kept_adv[B];
    build(seq);
    static const float row_mask[B] = {1, 0, 1, 1, 0, 1};
    int nk = 0;
    for (int b = 0; b < B; b++) {
        if (row_mask[b] == 0.0f) continue;
        memcpy(kept_seq + nk * T, seq + b * T, sizeof(int) * T);
        kept_plen[nk] = plen[b], kept_glen[nk] = glen[b], kept_adv[nk] = adv[b];
        nk++;
    }
    GrpoUpdateParams up = UP;
    up.loss.aggregation = AGG_TOKEN;
    up.loss.importance_sampling = IS_SEQUENCE;
    GrpoUpdateParams upm = up;
    upm.row_mask = row_mask;
    for (int micro = 0; micro < 2; micro++) {
        Model pk, pm, ref;
        models(&pk, &ref);
        assert_int_equal(model_init(&pm, &MC, 3), 0);
        model_copy_params(&pm, &pk);
        AdamW ok, om;
        assert_int_equal(adamw_init(&ok, pk.n_params), 0);
        assert_int_equal(adamw_init(&om, pm.n_params), 0);
        char err[256];
        GrpoStep *sk = grpo_step_new(&MC, budget_for(B)), *sm = grpo_step_new(&MC, budget_for(micro ? 2 : B));
        assert_int_equal(grpo_step_reserve(sk, B, T, err, sizeof err), 0);
        assert_int_equal(grpo_step_reserve(sm, B, T, err, sizeof err), 0);
        GrpoUpdateStats stk, stm;
        grpo_step_update(sk, &pk, &ref, &ok, kept_seq, kept_plen, kept_glen, kept_adv, nk, T, &up, &stk);
        grpo_step_update(sm, &pm, &ref, &om, seq, plen, glen, adv, B, T, &upm, &stm);
        assert_int_equal(stm.micro_batches, micro ? 3 : 1);
        double num = 0, den = 0;
        for (size_t i = 0; i < pk.n_params; i++) {
            double d = (double)pk.grads_mem[i] - pm.grads_mem[i];
            num += d * d;
            den += (double)pk.grads_mem[i] * pk.grads_mem[i];
        }
        assert_true(den > 0);
        assert_true(sqrt(num / den) < 1e-5);
        assert_float_equal(stm.loss, stk.loss, 1e-6 * fabs(stk.loss) + 1e-9);
        assert_float_equal(stm.kl, stk.kl, 1e-6 * fabs(stk.kl) + 1e-9);
        /* the first update is on-policy: every sequence ratio is 1, nothing is clipped */
        assert_float_equal(stm.seq_ratio_mean, 1.0, 1e-6);
        assert_float_equal(stm.seq_ratio_min, 1.0, 1e-6);
        assert_float_equal(stm.seq_ratio_max, 1.0, 1e-6);
        assert_true(stm.clip_ratio == 0.0 && stm.clip_delta == 0.0);
        grpo_step_free(sk);
        grpo_step_free(sm);
        adamw_free(&ok);
        adamw_free(&om);
        model_free(&pk);
        model_free(&pm);
        model_free(&ref);
    }
}

/* Entropy-masked updates: the token mask grpo_entropy_mask makes from the batch's entropies before the update gives
 * the same gradient in micro-batches as in one batch, a gradient unlike the unmasked one, and a loss and KL over the
 * kept tokens only. */
static void test_entropy_mask_micro_batches_equal_whole_batch(void **state) {
    (void)state;
    int seq[B * T];
    build(seq);
    float ent[B * N], valid[B * N], keep[B * N], scratch[B * N];
    for (int b = 0; b < B; b++)
        for (int j = 0; j < N; j++) {
            ent[b * N + j] = 1.0f + sinf(1.9f * (b * N + j));
            valid[b * N + j] = j < glen[b] ? 1.0f : 0.0f;
        }
    long kept = grpo_entropy_mask(keep, ent, valid, B * N, 0.2f, scratch);
    assert_int_equal(kept, (long)ceil(0.2 * (9 + 5 + 7 + 3 + 8 + 6)));
    for (int agg = 0; agg < 3; agg++) {
        GrpoUpdateParams up = UP;
        up.loss.aggregation = agg;
        up.token_mask = keep;
        GrpoUpdateParams all = UP;
        all.loss.aggregation = agg;
        Model pw, pm, pa, ref;
        models(&pw, &ref);
        assert_int_equal(model_init(&pm, &MC, 3), 0);
        assert_int_equal(model_init(&pa, &MC, 3), 0);
        model_copy_params(&pm, &pw);
        model_copy_params(&pa, &pw);
        AdamW ow, om, oa;
        assert_int_equal(adamw_init(&ow, pw.n_params), 0);
        assert_int_equal(adamw_init(&om, pm.n_params), 0);
        assert_int_equal(adamw_init(&oa, pa.n_params), 0);
        char err[256];
        GrpoStep *sw = grpo_step_new(&MC, budget_for(B)), *sm = grpo_step_new(&MC, budget_for(2)),
                 *sa = grpo_step_new(&MC, budget_for(B));
        assert_int_equal(grpo_step_reserve(sw, B, T, err, sizeof err), 0);
        assert_int_equal(grpo_step_reserve(sm, B, T, err, sizeof err), 0);
        assert_int_equal(grpo_step_reserve(sa, B, T, err, sizeof err), 0);
        GrpoUpdateStats stw, stm, sta;
        grpo_step_update(sw, &pw, &ref, &ow, seq, plen, glen, adv, B, T, &up, &stw);
        grpo_step_update(sm, &pm, &ref, &om, seq, plen, glen, adv, B, T, &up, &stm);
        grpo_step_update(sa, &pa, &ref, &oa, seq, plen, glen, adv, B, T, &all, &sta);
        assert_int_equal(stw.micro_batches, 1);
        assert_int_equal(stm.micro_batches, 3);
        double num = 0, den = 0, diff = 0;
        for (size_t i = 0; i < pw.n_params; i++) {
            double d = (double)pw.grads_mem[i] - pm.grads_mem[i], e = (double)pw.grads_mem[i] - pa.grads_mem[i];
            num += d * d;
            diff += e * e;
            den += (double)pw.grads_mem[i] * pw.grads_mem[i];
        }
        assert_true(den > 0);
        assert_true(sqrt(num / den) < 1e-5);
        assert_true(sqrt(diff / den) > 1e-2); /* the mask matters */
        assert_float_equal(stm.loss, stw.loss, 1e-6 * fabs(stw.loss) + 1e-9);
        assert_float_equal(stm.kl, stw.kl, 1e-6 * fabs(stw.kl) + 1e-9);
        assert_true(fabs(stw.kl - sta.kl) > 1e-6 * fabs(sta.kl)); /* KL over the kept tokens only */
        assert_float_equal(stw.entropy, sta.entropy, 1e-12); /* the entropy metric is over every generated token */
        grpo_step_free(sw);
        grpo_step_free(sm);
        grpo_step_free(sa);
        adamw_free(&ow);
        adamw_free(&om);
        adamw_free(&oa);
        model_free(&pw);
        model_free(&pm);
        model_free(&pa);
        model_free(&ref);
    }
}

/* The entropies the sampler writes at generation time (sampler_entropies), which the trainer's entropy mask uses,
 * are the policy's before the update: their mean is the update's entropy metric (its first forward's). */
static void test_generation_entropies_are_the_update_entropies(void **state) {
    (void)state;
    Model policy, ref;
    models(&policy, &ref);
    int prompts[B * 8], lens[B], out[B * N], olens[B], fin[B], seq[B * (4 + N)];
    float ent[B * N];
    for (int b = 0; b < B; b++) {
        lens[b] = 4;
        for (int t = 0; t < 8; t++) prompts[b * 8 + t] = (b / 2 * 5 + t) % V;
    }
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = -1};
    AdamW opt;
    assert_int_equal(adamw_init(&opt, policy.n_params), 0);
    char err[256];
    GrpoStep *s = grpo_step_new(&MC, budget_for(2));
    assert_int_equal(grpo_step_reserve(s, B, 4 + N, err, sizeof err), 0);
    sampler_entropies(grpo_step_sampler(s), ent);
    assert_int_equal(grpo_step_generate(s, &policy, &sp, 7, prompts, lens, 8, B, out, olens, fin, NULL, NULL), 0);
    sampler_entropies(grpo_step_sampler(s), NULL);
    double sum = 0;
    for (int b = 0; b < B; b++) {
        assert_int_equal(olens[b], N);
        memcpy(seq + b * (4 + N), prompts + b * 8, sizeof(int) * 4);
        memcpy(seq + b * (4 + N) + 4, out + b * N, sizeof(int) * N);
        for (int j = 0; j < N; j++) {
            assert_true(ent[b * N + j] > 0.0f && ent[b * N + j] <= logf((float)V) + 1e-5f);
            sum += ent[b * N + j];
        }
    }
    GrpoUpdateStats st;
    grpo_step_update(s, &policy, &ref, &opt, seq, lens, olens, adv, B, 4 + N, &UP, &st);
    assert_float_equal(st.entropy, sum / (B * N), 1e-5);
    grpo_step_free(s);
    adamw_free(&opt);
    model_free(&policy);
    model_free(&ref);
}

/* A batch of long and short rows is split by length (each micro-batch padded to its own longest row) even when it
 * would fit whole, and the update equals the direct whole-batch computation: one forward of every row padded to
 * the batch's longest, grpo_loss over the batch, one backward. */
enum { LB = 48, LT = 32, LN = 25 };
static void test_length_split_equals_direct(void **state) {
    (void)state;
    static int seq[LB * LT], pl[LB], gl[LB];
    static float ad[LB];
    for (int b = 0; b < LB; b++) {
        pl[b] = b % 2 ? 5 : 4;
        gl[b] = b % 2 ? LN : 4; /* 30 or 8 tokens */
        ad[b] = sinf(1.7f * b + 0.3f);
        for (int t = 0; t < LT; t++) seq[b * LT + t] = t < pl[b] + gl[b] ? (b * 5 + t * 3 + 2) % V : 0;
    }
    GrpoUpdateParams up = UP;
    up.loss.max_new_tokens = LN;
    Model pd, pe, ref;
    models(&pd, &ref);
    assert_int_equal(model_init(&pe, &MC, 3), 0);
    model_copy_params(&pe, &pd);

    /* direct */
    static float lp_full[LB * (LT - 1)], logp[LB * LN], refl[LB * LN], mask[LB * LN], dl[LB * LN];
    static float dlp[LB * (LT - 1)];
    ModelActs *a = model_acts_new(&MC, (size_t)LB * LT), *w = model_acts_new_inference(&MC, (size_t)LB * LT);
    assert_non_null(a);
    assert_non_null(w);
    model_forward(&ref, w, seq, LB, LT);
    model_token_logprobs(w, seq, LB, LT, lp_full, NULL);
    for (int b = 0; b < LB; b++)
        for (int j = 0; j < LN; j++) refl[b * LN + j] = j < gl[b] ? lp_full[b * (LT - 1) + pl[b] + j - 1] : 0.0f;
    model_zero_grad(&pd);
    model_forward(&pd, a, seq, LB, LT);
    model_token_logprobs(a, seq, LB, LT, lp_full, NULL);
    for (int b = 0; b < LB; b++)
        for (int j = 0; j < LN; j++) {
            mask[b * LN + j] = j < gl[b];
            logp[b * LN + j] = j < gl[b] ? lp_full[b * (LT - 1) + pl[b] + j - 1] : 0.0f;
        }
    double loss = grpo_loss(dl, NULL, logp, logp, refl, ad, mask, LB, LN, &up.loss);
    memset(dlp, 0, sizeof dlp);
    for (int b = 0; b < LB; b++)
        for (int j = 0; j < gl[b]; j++) dlp[b * (LT - 1) + pl[b] + j - 1] = dl[b * LN + j];
    model_logprob_backward(a, seq, dlp, LB, LT);
    model_backward(&pd, a, seq, LB, LT);

    for (int small = 0; small < 2; small++) {
        AdamW opt;
        assert_int_equal(adamw_init(&opt, pe.n_params), 0);
        char err[256];
        size_t budget = model_acts_bytes(&MC, small ? 100 : (size_t)LB * LT, 1) + model_acts_token_bytes(&MC, 1) / 2;
        GrpoStep *s = grpo_step_new(&MC, budget);
        assert_int_equal(grpo_step_reserve(s, LB, LT, err, sizeof err), 0);
        GrpoUpdateStats st;
        grpo_step_update(s, &pe, &ref, &opt, seq, pl, gl, ad, LB, LT, &up, &st);
        /* whole: the 24 rows of 30 tokens (720 >= 512), then the 24 of 8; small (100 tokens): 3 rows of 30 at a
         * time, then 12 of 8 */
        assert_int_equal(st.micro_batches, small ? 8 + 2 : 2);
        double num = 0, den = 0;
        for (size_t i = 0; i < pd.n_params; i++) {
            double d = (double)pd.grads_mem[i] - pe.grads_mem[i];
            num += d * d;
            den += (double)pd.grads_mem[i] * pd.grads_mem[i];
        }
        assert_true(den > 0);
        assert_true(sqrt(num / den) < 1e-5);
        assert_float_equal(st.loss, loss, 1e-5 * fabs(loss) + 1e-9);
        grpo_step_free(s);
        adamw_free(&opt);
    }
    model_acts_free(a);
    model_acts_free(w);
    model_free(&pd);
    model_free(&pe);
    model_free(&ref);
}

int main(void) {
    kernels_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_micro_batches_equal_whole_batch),
        cmocka_unit_test(test_micro_batches_equal_whole_batch_f64),
        cmocka_unit_test(test_row_mask_leaves_rows_out),
        cmocka_unit_test(test_entropy_mask_micro_batches_equal_whole_batch),
        cmocka_unit_test(test_generation_entropies_are_the_update_entropies),
        cmocka_unit_test(test_records_only_what_fits),
        cmocka_unit_test(test_reserve_grows),
        cmocka_unit_test(test_length_split_equals_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
