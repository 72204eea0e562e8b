/* model.c - the llama-style decoder of model.h: parameters, the float and double instantiations of
 * core/model_tmpl.h (forward, backward, log-probabilities), and batched KV-cache decoding (float only).
 *
 * Decoding keeps the KVH key/value heads' keys transposed in blocks of 16 positions, (L, B, KVH, T/16, D, 16), so
 * the scores of one query are axpys over positions reading one contiguous stream, and values as (L, B, KVH, T, D). A decode step gathers
 * the active rows into a dense batch, splits it between the pool's threads, and each thread runs every layer on
 * its rows with gemm (no synchronisation between layers). Rows that share a prompt read its keys and values
 * from one row's cache. Generation can record the activations a training forward needs (model_kv_record). */
#include "core/model.h"
#include "core/kernels.h"
#include "core/rng.h"
#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Large buffers: 64-byte aligned, backed by huge pages where the kernel allows, and touched once here so that
 * no step ever pays for first-touch page faults (expensive on virtual machines). NULL when out of memory. */
static size_t big_align(size_t bytes) { return bytes >= (1u << 21) ? (1u << 21) : 64; }
static size_t big_bytes(size_t bytes) { return (bytes + big_align(bytes) - 1) / big_align(bytes) * big_align(bytes); }
static void *big_alloc(size_t bytes) {
    size_t align = big_align(bytes), rounded = big_bytes(bytes);
    void *p = NULL;
    if (posix_memalign(&p, align, rounded ? rounded : align) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    if (align == (1u << 21)) madvise(p, rounded, MADV_HUGEPAGE);
#endif
    memset(p, 0, rounded);
    return p;
}

/* RoPE's angular frequency of pair i of a head: theta^(-2i/D), rewritten by rope_scaling. llama3 (Llama 3.1/3.2)
 * divides the frequencies whose wavelength exceeds original_max / low_freq_factor by factor, keeps those below
 * original_max / high_freq_factor, and blends the two in between. */
static double rope_inv_freq(const ModelConfig *c, int i) {
    int D = model_head_dim(c);
    double inv = pow(c->rope_theta, -2.0 * (double)i / (double)D);
    if (c->rope_type != MODEL_ROPE_LLAMA3) return inv;
    double orig = c->rope_original_max_T, lo = c->rope_low_freq_factor, hi = c->rope_high_freq_factor;
    double wavelen = 2.0 * M_PI / inv;
    if (wavelen < orig / hi) return inv;
    if (wavelen > orig / lo) return inv / c->rope_factor;
    double smooth = (orig / wavelen - lo) / (hi - lo);
    return (1.0 - smooth) * inv / c->rope_factor + smooth * inv;
}

#define real float
#define KFN(name) name
#define MFN(name) mt_##name##_f32
#define TENS ModelTensors
#define ACTS ModelActs
#include "core/model_tmpl.h"
#undef real
#undef KFN
#undef MFN
#undef TENS
#undef ACTS

#define real double
#define KFN(name) name##_f64
#define MFN(name) mt_##name##_f64
#define TENS ModelTensorsF64
#define ACTS ModelActsF64
#include "core/model_tmpl.h"
#undef real
#undef KFN
#undef MFN
#undef TENS
#undef ACTS

/* ------------------------------------------------------------------------------------------- parameters */

int model_preset(ModelConfig *cfg, const char *name) {
    if (!strcmp(name, "tiny")) {
        cfg->C = 128, cfg->L = 4, cfg->H = 4, cfg->F = 384;
    } else if (!strcmp(name, "small")) {
        cfg->C = 256, cfg->L = 6, cfg->H = 8, cfg->F = 768;
    } else {
        return -1;
    }
    cfg->rope_theta = 10000.0f;
    cfg->norm_eps = 1e-5f;
    cfg->tied = 1;
    return 0;
}

int model_config_valid(const ModelConfig *c) {
    if (!(c->V > 0 && c->C > 0 && c->L > 0 && c->H > 0 && c->F > 0 && c->max_T > 0 && c->rope_theta > 0 &&
          c->norm_eps > 0 && c->n_kv_heads >= 0 && c->head_dim >= 0))
        return 0;
    if (c->head_dim == 0 && c->C % c->H != 0) return 0;
    int KVH = model_kv_heads(c), D = model_head_dim(c);
    if (D <= 0 || D % 2 != 0 || c->H % KVH != 0) return 0;
    if (c->rope_type == MODEL_ROPE_LLAMA3)
        return c->rope_factor > 0 && c->rope_low_freq_factor > 0 &&
               c->rope_high_freq_factor > c->rope_low_freq_factor && c->rope_original_max_T > 0;
    return c->rope_type == MODEL_ROPE_DEFAULT;
}

static int config_ok(const ModelConfig *c) { return model_config_valid(c); }

int model_init(Model *m, const ModelConfig *cfg, uint64_t seed) {
    assert(config_ok(cfg));
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->n_params = mt_layout_f32(&m->params, NULL, cfg);
    m->params_mem = big_alloc(m->n_params * sizeof(float));
    m->grads_mem = big_alloc(m->n_params * sizeof(float));
    if (!m->params_mem || !m->grads_mem) {
        model_free(m);
        return -1;
    }
    mt_layout_f32(&m->params, m->params_mem, cfg);
    mt_layout_f32(&m->grads, m->grads_mem, cfg);
    Rng r;
    rng_seed(&r, seed, 0x6d6f64656cull); /* "model" */
    ModelTensorInfo ti;
    for (int i = 0; model_tensor_info(m, i, &ti); i++) {
        size_t nl = strlen(ti.name);
        if (nl > 5 && !strcmp(ti.name + nl - 5, ".bias"))
            for (size_t k = 0; k < ti.numel; k++) ti.data[k] = 0.0f;
        else if (ti.ndim == 1)
            for (size_t k = 0; k < ti.numel; k++) ti.data[k] = 1.0f;
        else
            for (size_t k = 0; k < ti.numel; k++) ti.data[k] = 0.02f * rng_normal(&r);
    }
    return 0;
}

int model_init_frozen(Model *m, const ModelConfig *cfg) {
    assert(config_ok(cfg));
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->n_params = mt_layout_f32(&m->params, NULL, cfg);
    if (!(m->params_mem = big_alloc(m->n_params * sizeof(float)))) return -1;
    mt_layout_f32(&m->params, m->params_mem, cfg);
    return 0;
}

void model_free(Model *m) {
    if (!m) return;
    free(m->params_mem);
    free(m->grads_mem);
    memset(m, 0, sizeof *m);
}

void model_zero_grad(Model *m) { assert(m->grads_mem); memset(m->grads_mem, 0, m->n_params * sizeof(float)); }

void model_copy_params(Model *dst, const Model *src) {
    assert(dst->n_params == src->n_params && !memcmp(&dst->cfg, &src->cfg, sizeof dst->cfg));
    memcpy(dst->params_mem, src->params_mem, src->n_params * sizeof(float));
}

void model_mix_params(Model *dst, const Model *src, float alpha) {
    if (alpha >= 1.0f) { model_copy_params(dst, src); return; }
    assert(dst->n_params == src->n_params && !memcmp(&dst->cfg, &src->cfg, sizeof dst->cfg));
    for (size_t i = 0; i < src->n_params; i++)
        dst->params_mem[i] = alpha * src->params_mem[i] + (1.0f - alpha) * dst->params_mem[i];
}

int model_tensor_info(const Model *m, int i, ModelTensorInfo *out) {
    const ModelConfig *c = &m->cfg;
    const ModelTensors *p = &m->params;
    int C = c->C, F = c->F, V = c->V, D = model_head_dim(c), Q = c->H * D, KVD = model_kv_heads(c) * D;
    int per = 9 + (c->qkv_bias ? 3 : 0) + (c->qk_norm ? 2 : 0); /* tensors a layer */
    size_t FC = (size_t)F * C, QC = (size_t)Q * C, KC = (size_t)KVD * C, off = 0;
    float *base = NULL;
    memset(out, 0, sizeof *out);
    if (i < 0) return 0;
    if (i == 0) {
        snprintf(out->name, sizeof out->name, "model.embed_tokens.weight");
        out->ndim = 2, out->shape[0] = V, out->shape[1] = C, base = p->wte;
    } else if (i <= per * c->L) {
        int l = (i - 1) / per, k = (i - 1) % per;
        static const char *names[14] = {"input_layernorm.weight", "self_attn.q_proj.weight",
                                        "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                                        "self_attn.o_proj.weight", "post_attention_layernorm.weight",
                                        "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
                                        "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias",
                                        "self_attn.q_norm.weight", "self_attn.k_norm.weight"};
        if (k >= 9 && !c->qkv_bias) k += 3; /* no biases: the norms follow the nine weights */
        snprintf(out->name, sizeof out->name, "model.layers.%d.%s", l, names[k]);
        switch (k) {
        case 0: out->ndim = 1, out->shape[0] = C, base = p->attn_norm, off = (size_t)l * C; break;
        case 1: out->ndim = 2, out->shape[0] = Q, out->shape[1] = C, base = p->wq, off = l * QC; break;
        case 2: out->ndim = 2, out->shape[0] = KVD, out->shape[1] = C, base = p->wk, off = l * KC; break;
        case 3: out->ndim = 2, out->shape[0] = KVD, out->shape[1] = C, base = p->wv, off = l * KC; break;
        case 4: out->ndim = 2, out->shape[0] = C, out->shape[1] = Q, base = p->wo, off = l * QC; break;
        case 5: out->ndim = 1, out->shape[0] = C, base = p->mlp_norm, off = (size_t)l * C; break;
        case 6: out->ndim = 2, out->shape[0] = F, out->shape[1] = C, base = p->w_gate, off = l * FC; break;
        case 7: out->ndim = 2, out->shape[0] = F, out->shape[1] = C, base = p->w_up, off = l * FC; break;
        case 8: out->ndim = 2, out->shape[0] = C, out->shape[1] = F, base = p->w_down, off = l * FC; break;
        case 9: out->ndim = 1, out->shape[0] = Q, base = p->bq, off = (size_t)l * Q; break;
        case 10: out->ndim = 1, out->shape[0] = KVD, base = p->bk, off = (size_t)l * KVD; break;
        case 11: out->ndim = 1, out->shape[0] = KVD, base = p->bv, off = (size_t)l * KVD; break;
        case 12: out->ndim = 1, out->shape[0] = D, base = p->q_norm, off = (size_t)l * D; break;
        default: out->ndim = 1, out->shape[0] = D, base = p->k_norm, off = (size_t)l * D; break;
        }
    } else if (i == per * c->L + 1) {
        snprintf(out->name, sizeof out->name, "model.norm.weight");
        out->ndim = 1, out->shape[0] = C, base = p->norm;
    } else if (i == per * c->L + 2 && !c->tied) {
        snprintf(out->name, sizeof out->name, "lm_head.weight");
        out->ndim = 2, out->shape[0] = V, out->shape[1] = C, base = p->lm_head;
    } else {
        return 0;
    }
    out->data = base ? base + off : NULL; /* a model with no memory yet (only cfg) gives names and shapes */
    out->numel = out->ndim == 1 ? (size_t)out->shape[0] : (size_t)out->shape[0] * out->shape[1];
    return 1;
}

/* -------------------------------------------------------------------------------------- float model API */

ModelActs *model_acts_new(const ModelConfig *cfg, size_t max_tokens) { return mt_acts_new_f32(cfg, max_tokens, 1); }
ModelActs *model_acts_new_inference(const ModelConfig *cfg, size_t max_tokens) {
    return mt_acts_new_f32(cfg, max_tokens, 0);
}
void model_acts_free(ModelActs *a) { mt_acts_free_f32(a); }
size_t model_acts_capacity(const ModelActs *a) { return a->max_tokens; }

size_t model_n_params(const ModelConfig *cfg) {
    ModelTensors t;
    return mt_layout_f32(&t, NULL, cfg);
}

size_t model_params_bytes(const ModelConfig *cfg) { return big_bytes(model_n_params(cfg) * sizeof(float)); }

/* the float buffer, and for training the recording's bookkeeping: rec_len and rec_tok, one int each per token */
size_t model_acts_bytes(const ModelConfig *cfg, size_t max_tokens, int train) {
    size_t sizes[ACTS_PIECES];
    size_t n = mt_acts_sizes_f32(cfg, max_tokens, train, kernels_threads(), sizes, NULL);
    return big_bytes(n * sizeof(float)) + (train ? 2 * max_tokens * sizeof(int) : 0);
}

size_t model_acts_token_bytes(const ModelConfig *cfg, int train) {
    size_t sizes[ACTS_PIECES], per;
    mt_acts_sizes_f32(cfg, 0, train, kernels_threads(), sizes, &per);
    return per * sizeof(float) + (train ? 2 * sizeof(int) : 0);
}

void model_forward(const Model *m, ModelActs *a, const int *tokens, int B, int T) {
    mt_forward_f32(&m->params, a, tokens, B, T, NULL, NULL);
}

void model_logits_rows(ModelActs *a, const int *rows, int n, float *out) { mt_logits_rows_f32(a, rows, n, out); }

void model_token_logprobs(ModelActs *a, const int *tokens, int B, int T, float *logp, float *entropy) {
    mt_token_logprobs_f32(a, tokens, B, T, logp, entropy);
}

void model_token_logprobs_rows(ModelActs *a, const int *tokens, int B, int T, const int *rows, int n, float *logp,
                               float *entropy) {
    mt_token_logprobs_rows_f32(a, tokens, B, T, rows, n, logp, entropy);
}

void model_logprob_backward(ModelActs *a, const int *tokens, const float *dlogp, int B, int T) {
    mt_logprob_backward_f32(a, tokens, dlogp, B, T);
}

void model_backward(Model *m, ModelActs *a, const int *tokens, int B, int T) {
    mt_backward_f32(&m->grads, m->grads_mem, &m->params, a, tokens, B, T);
}

/* ------------------------------------------------------------------------------------- double twin API */

int model_f64_init(ModelF64 *m, const Model *src) {
    memset(m, 0, sizeof *m);
    m->cfg = src->cfg;
    m->n_params = mt_layout_f64(&m->params, NULL, &src->cfg);
    assert(m->n_params == src->n_params);
    m->params_mem = big_alloc(m->n_params * sizeof(double));
    m->grads_mem = big_alloc(m->n_params * sizeof(double));
    if (!m->params_mem || !m->grads_mem) {
        model_f64_free(m);
        return -1;
    }
    mt_layout_f64(&m->params, m->params_mem, &src->cfg);
    mt_layout_f64(&m->grads, m->grads_mem, &src->cfg);
    for (size_t i = 0; i < m->n_params; i++) m->params_mem[i] = src->params_mem[i];
    return 0;
}

void model_f64_free(ModelF64 *m) {
    if (!m) return;
    free(m->params_mem);
    free(m->grads_mem);
    memset(m, 0, sizeof *m);
}

ModelActsF64 *model_f64_acts_new(const ModelConfig *cfg, size_t max_tokens) {
    return mt_acts_new_f64(cfg, max_tokens, 1);
}
void model_f64_acts_free(ModelActsF64 *a) { mt_acts_free_f64(a); }
void model_f64_forward(const ModelF64 *m, ModelActsF64 *a, const int *tokens, int B, int T) {
    mt_forward_f64(&m->params, a, tokens, B, T, NULL, NULL);
}
void model_f64_logits_rows(ModelActsF64 *a, const int *rows, int n, double *out) {
    mt_logits_rows_f64(a, rows, n, out);
}
void model_f64_token_logprobs(ModelActsF64 *a, const int *tokens, int B, int T, double *logp, double *entropy) {
    mt_token_logprobs_f64(a, tokens, B, T, logp, entropy);
}
void model_f64_token_logprobs_rows(ModelActsF64 *a, const int *tokens, int B, int T, const int *rows, int n,
                                   double *logp, double *entropy) {
    mt_token_logprobs_rows_f64(a, tokens, B, T, rows, n, logp, entropy);
}
void model_f64_logprob_backward(ModelActsF64 *a, const int *tokens, const double *dlogp, int B, int T) {
    mt_logprob_backward_f64(a, tokens, dlogp, B, T);
}
void model_f64_backward(ModelF64 *m, ModelActsF64 *a, const int *tokens, int B, int T) {
    mt_backward_f64(&m->grads, m->grads_mem, &m->params, a, tokens, B, T);
}

/* ------------------------------------------------------------------------------------------- KV cache */

struct ModelKV {
    ModelConfig cfg;
    int B_max, T_max, n_slots;
    int TS;         /* positions per sequence in the cache: T_max rounded up to a multiple of 16 */
    float *mem;
    float *kt;      /* (L, B_max, KVH, TS/16, D, 16) keys, transposed in blocks of 16 positions */
    float *v;       /* (L, B_max, KVH, TS, D) values */
    float *cos_tab, *sin_tab; /* (T_max, D/2) */
    /* one decode step over n dense rows */
    float *x, *xn, *qkv, *atty, *gu, *hsw, *logits; /* (B_max, C), (B_max, C), (B_max, QKV), (B_max, H D), ...
                                                     * (B_max, V); QKV = (H + 2 KVH) D */
    float *scores;  /* (n_slots, TS) */
    int *seq, *pos; /* (B_max) cache row and position of each dense row */
    int *tok;       /* (B_max) */
    int *lead;      /* (B_max) the cache row holding row b's prompt (rows with one prompt share its keys/values) */
    int *plen;      /* (B_max) row b's prompt length */
    int *pseq, *ppl; /* (B_max) lead and plen of each dense row */
    int *urow;      /* (B_max) the lead rows, in order: the prefill runs these only */
    int *uidx;      /* (B_max) row b's lead's index in urow */
    int *utok;      /* (B_max, T_max) the lead rows' prefill tokens */
    int *prow;      /* (B_max) the prefill forward's row of row b's last prompt token */
    int *ptok;      /* (B_max, T_max) prefill tokens with padding replaced */
    ModelActs *pre; /* prefill workspace (inference activations) */
    /* the decode steps' weights, fused so that q|k|v and gate|up are one gemm each; copied from the model by
     * model_prefill, which binds the cache to that model until the next prefill */
    float *wqkv;    /* (L, QKV, C) */
    float *wgu;     /* (L, 2F, C) */
    float *bqkv;    /* (L, QKV) the biases side by side (qkv_bias) */
    float *qkn;     /* (B_max, (H + KVH) D) q|k before their norms (qk_norm) */
    float *qkn_rstd; /* (B_max, H + KVH) */
    const Model *bound;
    /* recording (model_kv_record): the training activations the prefill and decode steps also fill */
    ModelActs *rec;
    int rec_T;
    float *rstd;    /* (B_max) RMSNorm scale of each dense row, kept only while recording */
    size_t *ridx;   /* (B_max) row of each dense row in the recording's (B, rec_T) layout */
};

#define KV_PIECES 17
/* The sizes in floats of the pieces of a KV cache's buffer, in the order model_kv_new lays them out; returns the
 * total with each piece rounded up to 16 floats. */
static size_t kv_sizes(const ModelConfig *cfg, int B_max, int T_max, int n_slots, size_t sizes[KV_PIECES]) {
    size_t C = cfg->C, F = cfg->F, V = cfg->V, L = cfg->L, B = B_max, T = T_max, D = model_head_dim(cfg);
    size_t H = cfg->H, KVH = model_kv_heads(cfg), KVD = KVH * D, Q = H * D, QKV = Q + 2 * KVD;
    size_t TS = ((size_t)T_max + 15) / 16 * 16, qn = cfg->qk_norm ? 1 : 0;
    size_t s[KV_PIECES] = {L * B * KVD * TS, L * B * KVD * TS, T * D / 2, T * D / 2, B * C, B * C, B * QKV, B * Q,
                           B * 2 * F, B * F, B * V, (size_t)n_slots * TS, L * QKV * C, L * 2 * F * C,
                           cfg->qkv_bias ? L * QKV : 0, qn * B * (Q + KVD), qn * B * (H + KVH)};
    size_t total = 0;
    for (size_t i = 0; i < KV_PIECES; i++) {
        sizes[i] = s[i];
        total += (s[i] + 15) & ~(size_t)15;
    }
    return total;
}

/* Tokens of the inference workspace of a cache for B_max x T_max: the whole batch when small, else chunks of
 * MODEL_KV_WORK_TOKENS (always at least one sequence). */
static size_t kv_work_tokens(int B_max, int T_max) {
    size_t all = (size_t)B_max * T_max, n = all < MODEL_KV_WORK_TOKENS ? all : MODEL_KV_WORK_TOKENS;
    return n < (size_t)T_max ? (size_t)T_max : n;
}

size_t model_kv_bytes(const ModelConfig *cfg, int B_max, int T_max) {
    size_t sizes[KV_PIECES], B = B_max;
    size_t n = kv_sizes(cfg, B_max, T_max, kernels_threads(), sizes);
    return big_bytes(n * sizeof(float)) + (2 * B * T_max + 11 * B) * sizeof(int) + B * (sizeof(float) + sizeof(size_t)) +
           model_acts_bytes(cfg, kv_work_tokens(B_max, T_max), 0); /* the inference workspace */
}

ModelKV *model_kv_new(const ModelConfig *cfg, int B_max, int T_max) {
    assert(config_ok(cfg) && B_max > 0 && T_max > 0 && T_max <= cfg->max_T);
    ModelKV *kv = calloc(1, sizeof *kv);
    if (!kv) return NULL;
    kv->cfg = *cfg;
    kv->B_max = B_max;
    kv->T_max = T_max;
    kv->TS = (T_max + 15) / 16 * 16;
    kv->n_slots = kernels_threads();
    size_t B = B_max, T = T_max, D = model_head_dim(cfg), sizes[KV_PIECES];
    size_t total = kv_sizes(cfg, B_max, T_max, kv->n_slots, sizes), off = 0, n = KV_PIECES;
    float **ptrs[] = {&kv->kt, &kv->v, &kv->cos_tab, &kv->sin_tab, &kv->x, &kv->xn, &kv->qkv, &kv->atty,
                      &kv->gu, &kv->hsw, &kv->logits, &kv->scores, &kv->wqkv, &kv->wgu, &kv->bqkv, &kv->qkn,
                      &kv->qkn_rstd};
    assert(n == sizeof ptrs / sizeof ptrs[0]);
    kv->mem = big_alloc(total * sizeof(float));
    kv->seq = calloc(B, sizeof(int));
    kv->pos = calloc(B, sizeof(int));
    kv->tok = calloc(B, sizeof(int));
    kv->ptok = calloc(B * T, sizeof(int));
    kv->rstd = calloc(B, sizeof(float));
    kv->lead = calloc(B, sizeof(int));
    kv->plen = calloc(B, sizeof(int));
    kv->pseq = calloc(B, sizeof(int));
    kv->ppl = calloc(B, sizeof(int));
    kv->urow = calloc(B, sizeof(int));
    kv->uidx = calloc(B, sizeof(int));
    kv->utok = calloc(B * T, sizeof(int));
    kv->prow = calloc(B, sizeof(int));
    kv->ridx = calloc(B, sizeof(size_t));
    kv->pre = model_acts_new_inference(cfg, kv_work_tokens(B_max, T_max));
    if (!kv->mem || !kv->seq || !kv->pos || !kv->tok || !kv->ptok || !kv->rstd || !kv->ridx || !kv->lead || !kv->plen ||
        !kv->pseq || !kv->ppl || !kv->urow || !kv->uidx || !kv->utok || !kv->prow || !kv->pre) {
        model_kv_free(kv);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        *ptrs[i] = sizes[i] ? kv->mem + off : NULL;
        off += (sizes[i] + 15) & ~(size_t)15;
    }
    memcpy(kv->cos_tab, kv->pre->cos_tab, T * D / 2 * sizeof(float));
    memcpy(kv->sin_tab, kv->pre->sin_tab, T * D / 2 * sizeof(float));
    return kv;
}

ModelActs *model_kv_workspace(ModelKV *kv) { return kv->pre; }

void model_kv_free(ModelKV *kv) {
    if (!kv) return;
    free(kv->mem);
    free(kv->seq);
    free(kv->pos);
    free(kv->tok);
    free(kv->ptok);
    free(kv->rstd);
    free(kv->lead);
    free(kv->plen);
    free(kv->pseq);
    free(kv->ppl);
    free(kv->urow);
    free(kv->uidx);
    free(kv->utok);
    free(kv->prow);
    free(kv->ridx);
    model_acts_free(kv->pre);
    free(kv);
}

/* stores keys and values of positions [0, T) of sequences [b0, b1) of layer l (qkv rows b*T + t) */
static void kv_store(ModelKV *kv, int l, const float *qkv, const int *seq, const int *pos, int N, int T) {
    int D = model_head_dim(&kv->cfg), H = model_kv_heads(&kv->cfg), Q = kv->cfg.H * D, KVD = H * D, TM = kv->TS;
    size_t layer = (size_t)l * kv->B_max * KVD * TM;
    for (int n = 0; n < N; n++) {
        int b = seq[n], p = pos ? pos[n] : n % T;
        const float *k = qkv + (size_t)n * (Q + 2 * KVD) + Q, *v = k + KVD;
        for (int h = 0; h < H; h++) { /* the key/value heads */
            float *kt = kv->kt + layer + ((size_t)b * H + h) * D * TM + (size_t)(p / 16) * D * 16 + p % 16;
            float *vv = kv->v + layer + (((size_t)b * H + h) * TM + p) * D;
            for (int d = 0; d < D; d++) kt[(size_t)d * 16] = k[h * D + d];
            memcpy(vv, v + h * D, D * sizeof(float));
        }
    }
}

/* ------------------------------------------------------------------------------------------- recording */

void model_kv_record(ModelKV *kv, ModelActs *a, int T) {
    assert(!a || (a->train && !memcmp(&a->cfg, &kv->cfg, sizeof a->cfg) && T >= 1 && T <= kv->T_max));
    kv->rec = a;
    kv->rec_T = a ? T : 0;
    if (a) a->rec_B = 0;
}

/* A hash of the parameters' bits: any change of the weights (an optimizer step) changes it. */
static uint64_t params_hash(const Model *m) {
    const uint32_t *w = (const uint32_t *)(const void *)m->params_mem;
    uint64_t h = 0;
    for (size_t i = 0; i < m->n_params; i++) h += (uint64_t)w[i] * (2 * (uint64_t)i + 1);
    return h ^ (uint64_t)m->n_params;
}

/* The per-row activation arrays of ModelActs: base, row width, layers (stride LS rows). */
typedef struct { float *base; size_t width; int layers; } ActsArray;

static int acts_arrays(const ModelActs *a, ActsArray *out) {
    size_t C = a->cfg.C, F = a->cfg.F, D = model_head_dim(&a->cfg), H = a->cfg.H, KVH = model_kv_heads(&a->cfg);
    int L = a->cfg.L, n = 0;
    out[n++] = (ActsArray){a->x, C, L + 1};
    out[n++] = (ActsArray){a->xn1, C, L};
    out[n++] = (ActsArray){a->rstd1, 1, L};
    out[n++] = (ActsArray){a->qkv, (H + 2 * KVH) * D, L};
    out[n++] = (ActsArray){a->atty, H * D, L};
    out[n++] = (ActsArray){a->xmid, C, L};
    out[n++] = (ActsArray){a->xn2, C, L};
    out[n++] = (ActsArray){a->rstd2, 1, L};
    out[n++] = (ActsArray){a->gu, 2 * F, L};
    out[n++] = (ActsArray){a->hsw, F, L};
    out[n++] = (ActsArray){a->xf, C, 1};
    out[n++] = (ActsArray){a->rstdf, 1, 1};
    if (a->cfg.qk_norm) {
        out[n++] = (ActsArray){a->qkn, (H + KVH) * D, L};
        out[n++] = (ActsArray){a->qkn_rstd, H + KVH, L};
    }
    return n;
}
#define ACTS_ARRAYS 14

typedef struct {
    ModelActs *a;
    ActsArray arr[ACTS_ARRAYS];
    int n_arr, B, T_from, T_to, n_pos;
    const int *keep; /* finalize: row b keeps positions below keep[b], the rest becomes zeros (NULL: restride) */
    const int *src;  /* growing only: row b's positions come from row src[b] (src[b] <= b; NULL: row b) */
} RestrideJob;

/* task = one (array, layer), or one layer of attention log-sum-exps (rows (b, h, t)) after the arrays */
static void restride_task(void *ctx, int task) {
    RestrideJob *j = ctx;
    ModelActs *a = j->a;
    int B = j->B, Tf = j->T_from, Tt = j->T_to, n = j->n_pos, H = a->cfg.H, grow = Tt > Tf;
    int lay = 0, k = 0;
    for (; k < j->n_arr; k++) {
        if (task < lay + j->arr[k].layers) break;
        lay += j->arr[k].layers;
    }
    if (k < j->n_arr) {
        size_t w = j->arr[k].width;
        float *base = j->arr[k].base + (size_t)(task - lay) * a->LS * w;
        if (Tt != Tf)
            for (long i = 0; i < (long)B * n; i++) {
                long r = grow ? (long)B * n - 1 - i : i;
                int b = (int)(r / n), t = (int)(r % n), sb = j->src ? j->src[b] : b;
                memmove(base + ((size_t)b * Tt + t) * w, base + ((size_t)sb * Tf + t) * w, w * sizeof(float));
            }
        if (j->keep)
            for (int b = 0; b < B; b++)
                if (j->keep[b] < Tt)
                    memset(base + ((size_t)b * Tt + j->keep[b]) * w, 0, (size_t)(Tt - j->keep[b]) * w * sizeof(float));
        return;
    }
    int l = task - lay;
    float *lse = a->att_lse + (size_t)l * a->LS * H;
    /* per (b, h), a run of n positions; as for the rows above, growing goes back to front and shrinking front to
     * back, so no run is overwritten before it is read (src[b] <= b) */
    if (Tt != Tf)
        for (long i = 0; i < (long)B * H; i++) {
            long bh = grow ? (long)B * H - 1 - i : i, sbh = j->src ? (long)j->src[bh / H] * H + bh % H : bh;
            memmove(lse + (size_t)bh * Tt, lse + (size_t)sbh * Tf, n * sizeof(float));
        }
    if (j->keep)
        for (int b = 0; b < B; b++)
            if (j->keep[b] < Tt)
                for (int h = 0; h < H; h++) /* positions keep[b].. of each head's run */
                    memset(lse + ((size_t)b * H + h) * Tt + j->keep[b], 0, (size_t)(Tt - j->keep[b]) * sizeof(float));
}

/* Moves the activations of positions [0, n_pos) of B sequences from the layout of a forward of (B, T_from)
 * tokens to that of (B, T_to); with keep, then zeroes positions keep[b].. of each row; with src (T_to > T_from
 * only), row b is a copy of row src[b] <= b of the old layout. */
static void acts_restride_src(ModelActs *a, int B, int T_from, int T_to, int n_pos, const int *keep,
                              const int *src) {
    assert(!src || T_to > T_from);
    RestrideJob j = {.a = a, .B = B, .T_from = T_from, .T_to = T_to, .n_pos = n_pos, .keep = keep, .src = src};
    j.n_arr = acts_arrays(a, j.arr);
    int tasks = a->cfg.L;
    for (int k = 0; k < j.n_arr; k++) tasks += j.arr[k].layers;
    kernels_parallel(tasks, restride_task, &j);
}

static void acts_restride_keep(ModelActs *a, int B, int T_from, int T_to, int n_pos, const int *keep) {
    acts_restride_src(a, B, T_from, T_to, n_pos, keep, NULL);
}

int model_forward_recorded(const Model *m, ModelActs *a, const int *tokens, int B, int T) {
    assert(B >= 1 && T >= 1);
    if (!a->train || a->rec_B != B || a->rec_model != m || T > a->rec_T) return -1;
    for (int b = 0; b < B; b++) {
        if (a->rec_len[b] > T) return -1;
        if (memcmp(a->rec_tok + (size_t)b * a->rec_T, tokens + (size_t)b * T, a->rec_len[b] * sizeof(int)))
            return -1;
    }
    if (params_hash(m) != a->rec_hash) return -1;
    acts_restride_keep(a, B, a->rec_T, T, T, a->rec_len);
    a->rec_B = 0;
    a->B = B;
    a->T = T;
    a->lse_valid = 0;
    a->dlogp_valid = 0;
    a->lm_head = m->params.lm_head;
    return 0;
}

typedef struct {
    ModelKV *kv;
    const int *lens;
    int u_off;      /* the forward's first row is lead row u_off */
} PrefillCtx;

/* layer hook of the prefill forward: copies keys and values of the real positions of sequences [b0, b1) into
 * the cache (qkv points at row b0*T) */
static void prefill_hook(void *ud, int l, const float *qkv, int u0, int u1, int T) {
    PrefillCtx *pc = ud;
    const ModelConfig *c = &pc->kv->cfg;
    size_t row = (size_t)(c->H + 2 * model_kv_heads(c)) * model_head_dim(c);
    for (int u = u0; u < u1; u++) { /* the forward's rows are the lead rows */
        int b = pc->kv->urow[pc->u_off + u];
        for (int t = 0; t < pc->lens[b]; t++) kv_store(pc->kv, l, qkv + ((size_t)(u - u0) * T + t) * row, &b, &t, 1, 1);
    }
}

void model_prefill(const Model *m, ModelKV *kv, const int *tokens, const int *lens, int B, int T, float *logits) {
    assert(B >= 1 && B <= kv->B_max && T >= 1 && T <= kv->T_max);
    /* padding may hold anything (even -1): causal attention keeps it from touching real positions, so it is run
     * as token 0 */
    int *tok = kv->ptok;
    for (int b = 0; b < B; b++) {
        assert(lens[b] >= 1 && lens[b] <= T);
        for (int t = 0; t < T; t++) {
            int id = tokens[(size_t)b * T + t];
            assert(t >= lens[b] || (id >= 0 && id < m->cfg.V));
            tok[(size_t)b * T + t] = t < lens[b] ? id : 0;
        }
    }
    /* rows with the same prompt (a GRPO group) share the keys and values of its positions, and the prefill
     * runs only the first row of each such set (U lead rows) */
    int U = 0;
    for (int b = 0; b < B; b++) {
        kv->plen[b] = lens[b];
        kv->lead[b] = b;
        int prev = b > 0 ? kv->lead[b - 1] : 0; /* a group's rows are usually adjacent: try its lead first */
        for (int k = -1; k < b; k++) {
            int u = k < 0 ? prev : k;
            if (u >= b || kv->lead[u] != u || lens[u] != lens[b]) continue;
            if (!memcmp(tok + (size_t)u * T, tok + (size_t)b * T, lens[b] * sizeof(int))) {
                kv->lead[b] = u;
                break;
            }
        }
        if (kv->lead[b] == b) {
            memcpy(kv->utok + (size_t)U * T, tok + (size_t)b * T, T * sizeof(int));
            kv->urow[U++] = b;
        }
        kv->uidx[b] = kv->lead[b] == b ? U - 1 : kv->uidx[kv->lead[b]];
    }
    const ModelConfig *c = &m->cfg;
    size_t D = model_head_dim(c), Q = c->H * D, KVD = model_kv_heads(c) * D, QKV = Q + 2 * KVD;
    size_t QC = Q * c->C, KC = KVD * c->C, FC = (size_t)c->F * c->C;
    for (size_t l = 0; l < (size_t)c->L; l++) {
        float *w = kv->wqkv + l * QKV * c->C;
        memcpy(w, m->params.wq + l * QC, QC * sizeof(float));
        memcpy(w + QC, m->params.wk + l * KC, KC * sizeof(float));
        memcpy(w + QC + KC, m->params.wv + l * KC, KC * sizeof(float));
        memcpy(kv->wgu + (2 * l + 0) * FC, m->params.w_gate + l * FC, FC * sizeof(float));
        memcpy(kv->wgu + (2 * l + 1) * FC, m->params.w_up + l * FC, FC * sizeof(float));
        if (c->qkv_bias) {
            memcpy(kv->bqkv + l * QKV, m->params.bq + l * Q, Q * sizeof(float));
            memcpy(kv->bqkv + l * QKV + Q, m->params.bk + l * KVD, KVD * sizeof(float));
            memcpy(kv->bqkv + l * QKV + Q + KVD, m->params.bv + l * KVD, KVD * sizeof(float));
        }
    }
    kv->bound = m;
    if (kv->rec) kv->rec->rec_B = 0; /* a new generation: any earlier recording is void */
    PrefillCtx pc = {kv, lens, 0};
    ModelActs *a = kv->rec && T < kv->rec_T && (size_t)B * kv->rec_T <= kv->rec->max_tokens ? kv->rec : kv->pre;
    if (a == kv->rec) {
        mt_forward_f32(&m->params, a, kv->utok, U, T, prefill_hook, &pc);
        for (int b = 0; b < B; b++) kv->prow[b] = kv->uidx[b] * T + lens[b] - 1;
        model_logits_rows(a, kv->prow, B, logits);
    } else { /* the lead rows in chunks that fit the workspace; each chunk's rows get their logits */
        int per = (int)(a->max_tokens / (size_t)T), V = c->V;
        for (int u0 = 0; u0 < U; u0 += per) {
            int nu = U - u0 < per ? U - u0 : per, n = 0;
            pc.u_off = u0;
            mt_forward_f32(&m->params, a, kv->utok + (size_t)u0 * T, nu, T, prefill_hook, &pc);
            for (int b = 0; b < B; b++)
                if (kv->uidx[b] >= u0 && kv->uidx[b] < u0 + nu) kv->prow[n++] = (kv->uidx[b] - u0) * T + lens[b] - 1;
            model_logits_rows(a, kv->prow, n, kv->logits); /* decode's row buffer is free during a prefill */
            n = 0;
            for (int b = 0; b < B; b++)
                if (kv->uidx[b] >= u0 && kv->uidx[b] < u0 + nu)
                    memcpy(logits + (size_t)b * V, kv->logits + (size_t)n++ * V, V * sizeof(float));
        }
    }
    if (a == kv->rec) { /* the prompts' activations move to the recording's layout, copied to every row of a
                         * lead's set; the decode steps fill the rest */
        acts_restride_src(a, B, T, kv->rec_T, T, NULL, kv->uidx);
        a->rec_B = B;
        a->rec_T = kv->rec_T;
        a->rec_model = m;
        a->rec_hash = params_hash(m);
        for (int b = 0; b < B; b++) {
            a->rec_len[b] = lens[b];
            memcpy(a->rec_tok + (size_t)b * a->rec_T, tok + (size_t)b * T, lens[b] * sizeof(int));
        }
    }
}

typedef struct {
    const Model *m;
    ModelKV *kv;
    int n, n_tasks;
    float *logits; /* (B, V) output rows, indexed by seq */
    ModelActs *rec; /* recording into these activations (NULL: not) with rows of rec_T positions */
    int rec_T;
} DecodeJob;

/* dst row ridx[r] (width w) = src row r, for R dense rows */
static void rec_rows(float *dst, size_t w, const float *src, const size_t *ridx, int R) {
    kernels_scatter_rows(dst, w, src, ridx, R);
}

static void decode_task(void *ctx, int task) {
    DecodeJob *j = ctx;
    ModelKV *kv = j->kv;
    const ModelTensors *p = &j->m->params;
    const ModelConfig *c = &kv->cfg;
    int C = c->C, F = c->F, H = c->H, V = c->V, D = model_head_dim(c), KVH = model_kv_heads(c), TM = kv->TS;
    int Q = H * D, KVD = KVH * D, QKV = Q + 2 * KVD, QK = Q + KVD;
    int r0 = (int)((long)j->n * task / j->n_tasks), r1 = (int)((long)j->n * (task + 1) / j->n_tasks), R = r1 - r0;
    if (R == 0) return;
    size_t QC = (size_t)Q * C, FC = (size_t)F * C;
    float *x = kv->x + (size_t)r0 * C, *xn = kv->xn + (size_t)r0 * C, *qkv = kv->qkv + (size_t)r0 * QKV;
    float *atty = kv->atty + (size_t)r0 * Q, *gu = kv->gu + (size_t)r0 * 2 * F, *hsw = kv->hsw + (size_t)r0 * F;
    float *qkn = c->qk_norm ? kv->qkn + (size_t)r0 * QK : NULL;
    float *qkn_rstd = c->qk_norm ? kv->qkn_rstd + (size_t)r0 * (H + KVH) : NULL;
    const int *seq = kv->seq + r0, *pos = kv->pos + r0, *pseq = kv->pseq + r0, *ppl = kv->ppl + r0;
    float *scores = kv->scores + (size_t)task * TM;
    /* recording: each result is also copied to the row of its position in the training activations */
    ModelActs *a = j->rec;
    const size_t *ridx = kv->ridx + r0, LS = a ? a->LS : 0;
    float *rstd = a ? kv->rstd + r0 : NULL;
    float *lse = NULL;
#define REC(arr, layer, w, src) if (a) rec_rows(a->arr + (size_t)(layer) * LS * (w), (w), (src), ridx, R)
    encoder_forward(x, kv->tok + r0, p->wte, R, C);
    for (int l = 0; l < c->L; l++) {
        size_t layer = (size_t)l * kv->B_max * KVD * TM;
        if (a) lse = a->att_lse + (size_t)l * LS * H;
        REC(x, l, C, x);
        rmsnorm_forward(xn, rstd, x, p->attn_norm + (size_t)l * C, R, C, c->norm_eps);
        REC(xn1, l, C, xn);
        REC(rstd1, l, 1, rstd);
        matmul_gemm(0, 1, R, QKV, C, 1.0f, xn, C, kv->wqkv + (size_t)l * QKV * C, C, 0, qkv, QKV);
        if (c->qkv_bias) mt_bias_add_f32(qkv, kv->bqkv + (size_t)l * QKV, R, QKV, QKV);
        if (c->qk_norm) {
            mt_qk_norm_forward_f32(qkv, qkn, qkn_rstd, p->q_norm + (size_t)l * D, p->k_norm + (size_t)l * D, R, H,
                                   KVH, D, QKV, c->norm_eps);
            REC(qkn, l, QK, qkn);
            REC(qkn_rstd, l, H + KVH, qkn_rstd);
        }
        rope_forward(qkv, kv->cos_tab, kv->sin_tab, pos, R, 1, H, D, QKV);
        rope_forward(qkv + Q, kv->cos_tab, kv->sin_tab, pos, R, 1, KVH, D, QKV);
        REC(qkv, l, QKV, qkv);
        kv_store(kv, l, qkv, seq, pos, R, 1);
        attention_decode(atty, lse, scores, qkv, QKV, kv->kt + layer, kv->v + layer, seq, pos, pseq, ppl, R, H, KVH, D,
                         TM, j->rec_T);
        REC(atty, l, Q, atty);
        matmul_gemm(0, 1, R, C, Q, 1.0f, atty, Q, p->wo + l * QC, Q, 1, x, C); /* x += atty Wo^T */
        REC(xmid, l, C, x);
        rmsnorm_forward(xn, rstd, x, p->mlp_norm + (size_t)l * C, R, C, c->norm_eps);
        REC(xn2, l, C, xn);
        REC(rstd2, l, 1, rstd);
        matmul_gemm(0, 1, R, 2 * F, C, 1.0f, xn, C, kv->wgu + 2 * l * FC, C, 0, gu, 2 * F);
        REC(gu, l, 2 * F, gu);
        swiglu_forward(hsw, gu, R, F);
        REC(hsw, l, F, hsw);
        matmul_gemm(0, 1, R, C, F, 1.0f, hsw, F, p->w_down + l * FC, F, 1, x, C); /* x += .. */
    }
    REC(x, c->L, C, x);
    rmsnorm_forward(xn, rstd, x, p->norm, R, C, c->norm_eps);
    REC(xf, 0, C, xn);
    REC(rstdf, 0, 1, rstd);
    float *lg = kv->logits + (size_t)r0 * V;
    matmul_gemm(0, 1, R, V, C, 1.0f, xn, C, p->lm_head, C, 0, lg, V);
#undef REC
    for (int r = 0; r < R; r++) memcpy(j->logits + (size_t)seq[r] * V, lg + (size_t)r * V, V * sizeof(float));
}

void model_decode(const Model *m, ModelKV *kv, const int *token, const int *pos, const int *active, int B,
                  float *logits) {
    assert(B >= 1 && B <= kv->B_max);
    assert(kv->bound == m); /* decode continues the last model_prefill, with the same model */
    int n = 0;
    for (int b = 0; b < B; b++) {
        if (active && !active[b]) continue;
        assert(pos[b] >= 0 && pos[b] < kv->T_max && token[b] >= 0 && token[b] < m->cfg.V);
        kv->seq[n] = b;
        kv->pos[n] = pos[b];
        kv->tok[n] = token[b];
        kv->pseq[n] = kv->lead[b];
        kv->ppl[n] = kv->plen[b];
        n++;
    }
    if (n == 0) return;
    /* recording: positions must follow the prefill's in order; anything else ends the recording */
    ModelActs *a = kv->rec && kv->rec->rec_B == B && kv->rec->rec_model == m ? kv->rec : NULL;
    for (int i = 0; a && i < n; i++) {
        int b = kv->seq[i];
        if (kv->pos[i] != a->rec_len[b] || kv->pos[i] >= a->rec_T) {
            a->rec_B = 0;
            a = NULL;
            break;
        }
        kv->ridx[i] = (size_t)b * a->rec_T + kv->pos[i];
    }
    int n_tasks = kv->n_slots < n ? kv->n_slots : n;
    if (n_tasks > kernels_threads()) n_tasks = kernels_threads();
    DecodeJob j = {m, kv, n, n_tasks, logits, a, a ? a->rec_T : 0};
    kernels_parallel(n_tasks, decode_task, &j);
    for (int i = 0; a && i < n; i++) {
        int b = kv->seq[i];
        a->rec_tok[(size_t)b * a->rec_T + kv->pos[i]] = kv->tok[i];
        a->rec_len[b] = kv->pos[i] + 1;
    }
}
