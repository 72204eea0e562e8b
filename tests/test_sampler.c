/* test_sampler.c - sampler_pick's filters and distribution, and sampler_generate: repeatable for a seed and
 * independent of the thread count, greedy generation equal to greedy decoding with full forwards (prompts of
 * different lengths), stop at eos, max_new_tokens, and the hook (called per position, abort). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/kernels.h"
#include "core/sampler.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const float LOGITS[8] = {1.0f, -0.5f, 2.0f, 0.3f, 2.0f, -3.0f, 0.9f, 0.0f};

static void softmax_t(double *p, const float *z, int V, double t) {
    double s = 0;
    for (int i = 0; i < V; i++) s += p[i] = exp(z[i] / t);
    for (int i = 0; i < V; i++) p[i] /= s;
}

/* draws n samples and checks each frequency against p within 5 standard deviations */
static void check_distribution(const SamplerParams *sp, const double *p, int n) {
    float scratch[16];
    int count[8] = {0};
    Rng r;
    rng_seed(&r, 99, 1);
    for (int i = 0; i < n; i++) count[sampler_pick(LOGITS, 8, sp, scratch, &r)]++;
    for (int i = 0; i < 8; i++) {
        double sd = sqrt(n * p[i] * (1 - p[i])) + 1e-9;
        if (p[i] == 0) {
            assert_int_equal(count[i], 0);
        } else if (fabs(count[i] - n * p[i]) > 5 * sd) {
            print_error("token %d: %d draws, expected %.1f\n", i, count[i], n * p[i]);
            fail();
        }
    }
}

static void test_pick_distribution(void **state) {
    (void)state;
    double p[8];
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 1, .eos_id = -1};
    softmax_t(p, LOGITS, 8, 1.0);
    check_distribution(&sp, p, 200000);
    sp.temperature = 0.5f; /* sharper */
    softmax_t(p, LOGITS, 8, 0.5);
    check_distribution(&sp, p, 200000);
    /* top-k 3 keeps ids 2, 4 (tied at 2.0) and 0 (1.0), renormalised */
    sp.temperature = 1.0f, sp.top_k = 3;
    softmax_t(p, LOGITS, 8, 1.0);
    double z = p[2] + p[4] + p[0];
    double pk[8] = {p[0] / z, 0, p[2] / z, 0, p[4] / z, 0, 0, 0};
    check_distribution(&sp, pk, 100000);
    /* top-p: the smallest most-probable set reaching 0.6 is {2, 4} (0.302 + 0.302 = 0.604) */
    sp.top_k = 0, sp.top_p = 0.6f;
    double pp[8] = {0, 0, 0.5, 0, 0.5, 0, 0, 0};
    check_distribution(&sp, pp, 100000);
}

static void test_pick_greedy_limits(void **state) {
    (void)state;
    float z[37], scratch[74];
    Rng r;
    rng_seed(&r, 5, 0);
    for (int trial = 0; trial < 200; trial++) {
        int arg = 0;
        for (int i = 0; i < 37; i++) {
            z[i] = 3 * rng_normal(&r);
            if (z[i] > z[arg]) arg = i;
        }
        SamplerParams k1 = {.temperature = 1.0f, .top_k = 1, .top_p = 1.0f, .max_new_tokens = 1, .eos_id = -1};
        SamplerParams p0 = {.temperature = 1.0f, .top_k = 0, .top_p = 1e-6f, .max_new_tokens = 1, .eos_id = -1};
        SamplerParams cold = {.temperature = 1e-3f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 1, .eos_id = -1};
        assert_int_equal(sampler_pick(z, 37, &k1, scratch, &r), arg);
        assert_int_equal(sampler_pick(z, 37, &p0, scratch, &r), arg);
        assert_int_equal(sampler_pick(z, 37, &cold, scratch, &r), arg);
    }
    /* ties: the lowest id wins (ids 2 and 4 share the maximum) */
    SamplerParams k1 = {.temperature = 1.0f, .top_k = 1, .top_p = 1.0f, .max_new_tokens = 1, .eos_id = -1};
    assert_int_equal(sampler_pick(LOGITS, 8, &k1, scratch, &r), 2);
}

/* ---------------------------------------------------------------------------------------------- generation */

static ModelConfig test_cfg(void) {
    ModelConfig c = {.V = 12, .C = 32, .L = 2, .H = 4, .F = 48, .max_T = 64, .rope_theta = 10000.0f,
                     .norm_eps = 1e-5f, .tied = 1};
    return c;
}

static void sharpen(Model *m) { /* larger weights: peaked distributions, so greedy choices are not near-ties */
    for (size_t i = 0; i < m->n_params; i++) m->params_mem[i] *= 40.0f;
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(m, i, &ti); i++)
        if (ti.ndim == 1)
            for (size_t k = 0; k < ti.numel; k++) ti.data[k] = 1.0f;
}

enum { NB = 6, PS = 10 };
static const int PLENS[NB] = {3, 10, 1, 7, 5, 2};

static void prompts(int *p) {
    for (int b = 0; b < NB; b++)
        for (int t = 0; t < PS; t++) p[b * PS + t] = (b * 5 + t * 3) % 12;
}

static void test_generate_repeatable_and_thread_independent(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    Model m;
    assert_int_equal(model_init(&m, &cfg, 1), 0);
    int pr[NB * PS], out1[NB * 20], out2[NB * 20], out3[NB * 20], l1[NB], l2[NB], l3[NB], f1[NB], f2[NB], f3[NB];
    prompts(pr);
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 20, .eos_id = -1};
    kernels_set_threads(2);
    Sampler *s = sampler_new(&cfg, NB, 40);
    assert_int_equal(sampler_generate(s, &m, &sp, 7, pr, PLENS, PS, NB, out1, l1, f1, NULL, NULL), 0);
    assert_int_equal(sampler_generate(s, &m, &sp, 7, pr, PLENS, PS, NB, out2, l2, f2, NULL, NULL), 0);
    sampler_free(s);
    kernels_set_threads(1);
    s = sampler_new(&cfg, NB, 40);
    assert_int_equal(sampler_generate(s, &m, &sp, 7, pr, PLENS, PS, NB, out3, l3, f3, NULL, NULL), 0);
    assert_memory_equal(out1, out2, sizeof out1);
    assert_memory_equal(out1, out3, sizeof out1);
    for (int b = 0; b < NB; b++) assert_true(l1[b] == 20 && f1[b] == FINISH_LENGTH);
    /* another seed gives other samples; a row's samples do not depend on the other rows */
    assert_int_equal(sampler_generate(s, &m, &sp, 8, pr, PLENS, PS, NB, out2, l2, f2, NULL, NULL), 0);
    assert_true(memcmp(out1, out2, sizeof out1) != 0);
    pr[0] = (pr[0] + 1) % 12; /* another prompt in row 0 leaves rows 1.. as they were */
    assert_int_equal(sampler_generate(s, &m, &sp, 7, pr, PLENS, PS, NB, out2, l2, f2, NULL, NULL), 0);
    assert_memory_equal(out1 + 20, out2 + 20, sizeof(int) * 20 * (NB - 1));
    sampler_free(s);
    kernels_set_threads(0);
    model_free(&m);
}

/* A batch split in two (as data-parallel ranks split a step's rows) samples what the whole batch does when each
 * part starts its rows' streams at its first row (SamplerParams.first_stream); without that, the second part would
 * replay the first part's streams. */
static void test_split_batch_matches_whole(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    Model m;
    assert_int_equal(model_init(&m, &cfg, 3), 0);
    enum { N = 12, CUT = 4 };
    int pr[NB * PS], whole[NB * N], part[NB * N], lw[NB], lp[NB], fw[NB], fp[NB];
    prompts(pr);
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = -1};
    Sampler *s = sampler_new(&cfg, NB, 40);
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr, PLENS, PS, NB, whole, lw, fw, NULL, NULL), 0);
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr, PLENS, PS, CUT, part, lp, fp, NULL, NULL), 0);
    sp.first_stream = CUT;
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr + CUT * PS, PLENS + CUT, PS, NB - CUT, part + CUT * N,
                                      lp + CUT, fp + CUT, NULL, NULL), 0);
    assert_memory_equal(whole, part, sizeof whole);
    assert_memory_equal(lw, lp, sizeof lw);
    sp.first_stream = 0; /* the second part on the first part's streams samples otherwise */
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr + CUT * PS, PLENS + CUT, PS, NB - CUT, part + CUT * N,
                                      lp + CUT, fp + CUT, NULL, NULL), 0);
    assert_true(memcmp(whole + CUT * N, part + CUT * N, sizeof(int) * (NB - CUT) * N) != 0);
    sampler_free(s);
    model_free(&m);
}

static void test_greedy_matches_full_forward(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    Model m;
    assert_int_equal(model_init(&m, &cfg, 2), 0);
    sharpen(&m);
    int pr[NB * PS], out[NB * 15], lens[NB], fin[NB];
    prompts(pr);
    SamplerParams sp = {.temperature = 1.0f, .top_k = 1, .top_p = 1.0f, .max_new_tokens = 15, .eos_id = -1};
    Sampler *s = sampler_new(&cfg, NB, 40);
    assert_int_equal(sampler_generate(s, &m, &sp, 3, pr, PLENS, PS, NB, out, lens, fin, NULL, NULL), 0);
    /* greedy decoding one row at a time, with a full forward over the growing sequence */
    ModelActs *a = model_acts_new_inference(&cfg, 40);
    float z[64];
    assert_true(cfg.V <= 64);
    for (int b = 0; b < NB; b++) {
        int seq[40], n = PLENS[b];
        memcpy(seq, pr + b * PS, n * sizeof(int));
        for (int t = 0; t < 15; t++) {
            model_forward(&m, a, seq, 1, n);
            int last = n - 1;
            model_logits_rows(a, &last, 1, z);
            int arg = 0;
            for (int v = 1; v < cfg.V; v++)
                if (z[v] > z[arg]) arg = v;
            assert_int_equal(out[b * 15 + t], arg);
            seq[n++] = arg;
        }
    }
    model_acts_free(a);
    sampler_free(s);
    model_free(&m);
}

typedef struct {
    int calls, abort_at, finished_seen;
    int last[NB];
} HookState;

static int hook(void *ud, int t, const int *tokens) {
    HookState *h = ud;
    assert_int_equal(t, h->calls);
    h->calls++;
    for (int b = 0; b < NB; b++) {
        if (tokens[b] < 0) h->finished_seen = 1;
        h->last[b] = tokens[b];
    }
    return h->abort_at >= 0 && t == h->abort_at;
}

static void test_eos_length_and_hook(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    Model m;
    assert_int_equal(model_init(&m, &cfg, 3), 0); /* near-uniform over 12 tokens: eos comes quickly */
    int pr[NB * PS], out[NB * 30], lens[NB], fin[NB];
    prompts(pr);
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 30, .eos_id = 5};
    Sampler *s = sampler_new(&cfg, NB, 40);
    HookState h = {0, -1, 0, {0}};
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr, PLENS, PS, NB, out, lens, fin, hook, &h), 0);
    int maxlen = 0, n_eos = 0;
    for (int b = 0; b < NB; b++) {
        assert_true(lens[b] >= 1 && lens[b] <= 30);
        for (int t = 0; t < lens[b] - 1; t++) assert_int_not_equal(out[b * 30 + t], 5);
        if (fin[b] == FINISH_EOS) {
            assert_int_equal(out[b * 30 + lens[b] - 1], 5);
            n_eos++;
        } else {
            assert_int_equal(fin[b], FINISH_LENGTH);
            assert_int_equal(lens[b], 30);
            assert_int_not_equal(out[b * 30 + 29], 5);
        }
        if (lens[b] > maxlen) maxlen = lens[b];
    }
    assert_true(n_eos >= 3);                /* p(no eos in 30 draws) ~ 0.07 per row */
    assert_int_equal(h.calls, maxlen);      /* one call per position, until the last row stops */
    assert_true(h.finished_seen);           /* rows that stopped are reported as -1 */

    /* a stop id ends a row as eos does: the same seed gives the same rows with 5 as a stop id instead of eos */
    int out2[NB * 30], lens2[NB], fin2[NB];
    SamplerParams st = sp;
    st.eos_id = -1, st.n_stop = 2, st.stop_ids[0] = 9, st.stop_ids[1] = 5;
    assert_int_equal(sampler_generate(s, &m, &st, 11, pr, PLENS, PS, NB, out2, lens2, fin2, NULL, NULL), 0);
    int n_stop9 = 0;
    for (int b = 0; b < NB; b++) {
        int cut = 0; /* where 9 would end the row first */
        while (cut < lens[b] && out[b * 30 + cut] != 9) cut++;
        if (cut < lens[b]) { /* 9 came before the row's end: it stops there now */
            assert_int_equal(lens2[b], cut + 1);
            assert_int_equal(fin2[b], FINISH_EOS);
            n_stop9++;
        } else {
            assert_int_equal(lens2[b], lens[b]);
            assert_int_equal(fin2[b], fin[b]);
        }
        assert_memory_equal(out2 + b * 30, out + b * 30, sizeof(int) * lens2[b]);
    }
    assert_true(n_stop9 >= 1);

    /* no early stop: exactly max_new_tokens */
    sp.eos_id = -1, sp.max_new_tokens = 4;
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr, PLENS, PS, NB, out, lens, fin, NULL, NULL), 0);
    for (int b = 0; b < NB; b++) assert_true(lens[b] == 4 && fin[b] == FINISH_LENGTH);

    /* the hook aborts after position 2 */
    sp.max_new_tokens = 30;
    HookState h2 = {0, 2, 0, {0}};
    assert_int_equal(sampler_generate(s, &m, &sp, 11, pr, PLENS, PS, NB, out, lens, fin, hook, &h2), 1);
    assert_int_equal(h2.calls, 3);
    for (int b = 0; b < NB; b++) assert_true(fin[b] == FINISH_ABORTED && lens[b] == 3);
    sampler_free(s);
    model_free(&m);
}

/* One recorded generation's policy forward against a fresh model_forward over the same sequences: log-probs,
 * entropies and the gradient of a loss on the completion tokens agree; rows stop at different lengths (eos) and
 * prompts have different lengths, so the recording is laid out again for the batch's true width and padded. */
static const int GROUP_LENS[NB] = {4, 4, 4, 7, 7, 2};

static void recorded_case(Model *m, Sampler *s, ModelActs *a, int eos, int N, uint64_t seed, int groups) {
    int pr[NB * PS], out[NB * 40], lens[NB], fin[NB], seq[NB * 64];
    const int *pl = groups ? GROUP_LENS : PLENS;
    prompts(pr);
    if (groups) /* rows 0-2 and 3-4 sample from one prompt each, as GRPO groups do: they share its keys/values */
        for (int t = 0; t < PS; t++) pr[1 * PS + t] = pr[2 * PS + t] = pr[t], pr[4 * PS + t] = pr[3 * PS + t];
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = eos};
    assert_int_equal(sampler_generate(s, m, &sp, seed, pr, pl, PS, NB, out, lens, fin, NULL, NULL), 0);
    int T = 0;
    for (int b = 0; b < NB; b++) T = pl[b] + lens[b] > T ? pl[b] + lens[b] : T;
    for (int b = 0; b < NB; b++)
        for (int t = 0; t < T; t++)
            seq[b * T + t] = t < pl[b] ? pr[b * PS + t] : t < pl[b] + lens[b] ? out[b * N + t - pl[b]] : 0;
    float lp[2][NB * 64], ent[2][NB * 64], dlp[NB * 64];
    Rng r;
    rng_seed(&r, seed, 5);
    for (int i = 0; i < NB * (T - 1); i++) dlp[i] = 0;
    for (int b = 0; b < NB; b++)
        for (int j = 0; j < lens[b]; j++) dlp[b * (T - 1) + pl[b] + j - 1] = rng_normal(&r);
    float *grads[2];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            assert_int_equal(model_forward_recorded(m, a, seq, NB, T), 0);
        else
            model_forward(m, a, seq, NB, T);
        model_token_logprobs(a, seq, NB, T, lp[pass], ent[pass]);
        model_zero_grad(m);
        model_logprob_backward(a, seq, dlp, NB, T);
        model_backward(m, a, seq, NB, T);
        grads[pass] = malloc(m->n_params * sizeof(float));
        memcpy(grads[pass], m->grads_mem, m->n_params * sizeof(float));
    }
    for (int b = 0; b < NB; b++)
        for (int j = 0; j < lens[b]; j++) {
            int i = b * (T - 1) + pl[b] + j - 1;
            assert_true(fabsf(lp[0][i] - lp[1][i]) < 1e-4f);
            assert_true(fabsf(ent[0][i] - ent[1][i]) < 1e-4f);
        }
    double gmax = 0, dmax = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        gmax = fmax(gmax, fabs(grads[1][i]));
        dmax = fmax(dmax, fabs(grads[0][i] - grads[1][i]));
    }
    if (!(gmax > 0 && dmax <= 1e-4 * gmax)) fail_msg("T %d: max |grad| %g, max |difference| %g", T, gmax, dmax);
    free(grads[0]);
    free(grads[1]);
    /* a recording serves one forward, and a fresh forward discards it */
    assert_int_equal(model_forward_recorded(m, a, seq, NB, T), -1);
}

/* The same with the Hugging Face families' features: grouped-query attention, a head size of its own, q/k/v
 * biases (set nonzero) and per-head q/k norms, whose pre-norm values the recording must keep too. */
static void test_recorded_forward_hf_features(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    cfg.n_kv_heads = 2, cfg.head_dim = 6, cfg.qkv_bias = 1, cfg.qk_norm = 1, cfg.tied = 0;
    cfg.rope_type = MODEL_ROPE_LLAMA3, cfg.rope_factor = 8, cfg.rope_low_freq_factor = 1;
    cfg.rope_high_freq_factor = 4, cfg.rope_original_max_T = 16;
    Model m;
    assert_int_equal(model_init(&m, &cfg, 3), 0);
    Rng r;
    rng_seed(&r, 4, 4);
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(&m, i, &ti); i++)
        if (ti.ndim == 1)
            for (size_t k = 0; k < ti.numel; k++)
                ti.data[k] = (strstr(ti.name, "bias") ? 0.0f : 1.0f) + 0.3f * rng_normal(&r);
    for (int threads = 1; threads <= 2; threads++) {
        kernels_set_threads(threads);
        Sampler *s = sampler_new(&cfg, NB, 64);
        ModelActs *a = model_acts_new(&cfg, NB * 64);
        sampler_record(s, a);
        recorded_case(&m, s, a, 5, 40, 31, 0);
        recorded_case(&m, s, a, -1, 30, 32, 1);
        sampler_record(s, NULL);
        sampler_free(s);
        model_acts_free(a);
    }
    kernels_set_threads(0);
    model_free(&m);
}

static void test_recorded_forward_matches_fresh(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    Model m;
    assert_int_equal(model_init(&m, &cfg, 3), 0);
    for (int threads = 1; threads <= 2; threads++) {
        kernels_set_threads(threads);
        Sampler *s = sampler_new(&cfg, NB, 64);
        ModelActs *a = model_acts_new(&cfg, NB * 64);
        sampler_record(s, a);
        recorded_case(&m, s, a, 5, 40, 21, 0);  /* eos: rows of different lengths, usually shorter than 10 + 40 */
        recorded_case(&m, s, a, -1, 30, 22, 0); /* every row full: the recording's own width */
        recorded_case(&m, s, a, -1, 1, 23, 0);  /* one new token: nothing decoded, the prefill alone */
        recorded_case(&m, s, a, 5, 40, 24, 1);  /* groups sharing a prompt */
        recorded_case(&m, s, a, -1, 30, 25, 1);

        /* no recording to use: changed weights, other tokens, another batch size */
        int pr[NB * PS], out[NB * 8], lens[NB], fin[NB], seq[NB * 18];
        prompts(pr);
        SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = 8, .eos_id = -1};
        for (int k = 0; k < 3; k++) {
            assert_int_equal(sampler_generate(s, &m, &sp, 9, pr, PLENS, PS, NB, out, lens, fin, NULL, NULL), 0);
            int T = PS + 8;
            for (int b = 0; b < NB; b++)
                for (int t = 0; t < T; t++)
                    seq[b * T + t] = t < PLENS[b] ? pr[b * PS + t] : t < PLENS[b] + 8 ? out[b * 8 + t - PLENS[b]] : 0;
            if (k == 0) m.params.w_up[7] += 1e-3f;
            if (k == 1) seq[3 * T + PLENS[3] + 2] = (seq[3 * T + PLENS[3] + 2] + 1) % cfg.V;
            assert_int_equal(model_forward_recorded(&m, a, seq, k == 2 ? NB - 1 : NB, T), -1);
        }
        sampler_record(s, NULL);
        sampler_free(s);
        model_acts_free(a);
    }
    kernels_set_threads(0);
    model_free(&m);
}

/* Activations sized by tokens record a generation of B rows of width T (prompt width + new tokens) exactly when
 * B*T fits their capacity: one token short, the generation still runs and leaves no recording. */
static void test_record_needs_capacity(void **state) {
    (void)state;
    ModelConfig cfg = test_cfg();
    Model m;
    assert_int_equal(model_init(&m, &cfg, 4), 0);
    Sampler *s = sampler_new(&cfg, NB, 64);
    enum { N = 8, W = PS + N }; /* every row runs N new tokens: the recording's width is PS + N */
    ModelActs *fits = model_acts_new(&cfg, NB * W), *short_one = model_acts_new(&cfg, NB * W - 1);
    sampler_record(s, fits);
    recorded_case(&m, s, fits, -1, N, 31, 0);
    int pr[NB * PS], out[NB * N], lens[NB], fin[NB], seq[NB * W];
    prompts(pr);
    SamplerParams sp = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .max_new_tokens = N, .eos_id = -1};
    sampler_record(s, short_one);
    assert_int_equal(sampler_generate(s, &m, &sp, 32, pr, PLENS, PS, NB, out, lens, fin, NULL, NULL), 0);
    int T = 0;
    for (int b = 0; b < NB; b++) T = PLENS[b] + lens[b] > T ? PLENS[b] + lens[b] : T;
    for (int b = 0; b < NB; b++)
        for (int t = 0; t < T; t++)
            seq[b * T + t] = t < PLENS[b] ? pr[b * PS + t] : t < PLENS[b] + lens[b] ? out[b * N + t - PLENS[b]] : 0;
    assert_int_equal(model_forward_recorded(&m, short_one, seq, NB, T), -1);
    sampler_record(s, NULL);
    sampler_free(s);
    model_acts_free(fits);
    model_acts_free(short_one);
    model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_distribution),
        cmocka_unit_test(test_pick_greedy_limits),
        cmocka_unit_test(test_split_batch_matches_whole),
        cmocka_unit_test(test_generate_repeatable_and_thread_independent),
        cmocka_unit_test(test_greedy_matches_full_forward),
        cmocka_unit_test(test_eos_length_and_hook),
        cmocka_unit_test(test_recorded_forward_matches_fresh),
        cmocka_unit_test(test_recorded_forward_hf_features),
        cmocka_unit_test(test_record_needs_capacity),
    };
    return cmocka_run_group_tests_name("sampler", tests, NULL, NULL);
}
