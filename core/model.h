/* model.h - the llama-style decoder: parameters, forward, backward, and KV-cache decoding.
 *
 * Dimension legend (used in every core file):
 *   B sequences, T time steps, C channels (d_model), H query heads, KVH key/value heads, D head size,
 *   F SwiGLU hidden, V vocabulary, L layers.
 *
 * Block: x += Wo . attn(RoPE(qn(Wq . rms(x) + bq)), RoPE(kn(Wk . rms(x) + bk)), Wv . rms(x) + bv);
 *        x += Wdown . (silu(Wgate . rms(x)) * Wup . rms(x))
 * Wq is (H D, C), Wk and Wv (KVH D, C), Wo (C, H D): grouped-query attention, query head h reading key/value head
 * h / (H / KVH). The biases (Qwen2) and the per-head RMSNorms qn, kn over D (Qwen3) are optional; without them,
 * with KVH = H and D = C / H, this is the plain llama the project pretrains.
 * then a final RMSNorm and logits = norm(x) . lm_head^T (lm_head is the embedding when tied). Logits are computed
 * a chunk of rows at a time and never kept for a whole batch (a vocabulary of 150k tokens makes them gigabytes).
 * RoPE pairs dimension i with i + D/2 of each head ("rotate half", as Hugging Face llama does).
 * Weight matrices use Hugging Face's (out, in) layout so checkpoints map one to one.
 *
 * Memory: parameters, gradients and activations each live in one contiguous float buffer, allocated by the
 * *_init / *_new functions and never inside a step; activations are sized by a capacity in tokens. Every matmul
 * goes through kernels.h's sgemm wrapper. */
#ifndef GRPO_MODEL_H
#define GRPO_MODEL_H
#include <stddef.h>
#include <stdint.h>

/* RoPE frequency rewrites (rope_scaling in a Hugging Face config.json) */
enum { MODEL_ROPE_DEFAULT = 0, MODEL_ROPE_LLAMA3 = 1 };

/* A zero in n_kv_heads or head_dim means "as in the plain model" (KVH = H, D = C / H), so a config written as
 * {V, C, L, H, F, max_T, theta, eps, tied} stays what it always was. Read them through model_kv_heads and
 * model_head_dim. */
typedef struct {
    int V;            /* vocabulary size */
    int C;            /* channels */
    int L;            /* layers */
    int H;            /* query heads */
    int F;            /* SwiGLU hidden size */
    int max_T;        /* longest sequence (RoPE table, KV cache) */
    float rope_theta; /* 10000 */
    float norm_eps;   /* 1e-5 */
    int tied;         /* 1: the output layer is the token embedding */
    int n_kv_heads;   /* KVH, H % KVH == 0; 0: H */
    int head_dim;     /* D, even; 0: C / H (then C % H == 0) */
    int qkv_bias;     /* 1: q, k and v projections have biases (Qwen2) */
    int qk_norm;      /* 1: RMSNorm of each q and k head over D, weights (D) per layer, before RoPE (Qwen3) */
    int rope_type;    /* MODEL_ROPE_DEFAULT, or MODEL_ROPE_LLAMA3 with the four values below */
    float rope_factor, rope_low_freq_factor, rope_high_freq_factor;
    int rope_original_max_T; /* original_max_position_embeddings */
} ModelConfig;

static inline int model_kv_heads(const ModelConfig *c) { return c->n_kv_heads > 0 ? c->n_kv_heads : c->H; }
static inline int model_head_dim(const ModelConfig *c) { return c->head_dim > 0 ? c->head_dim : c->C / c->H; }
/* 1 when the config describes a model model_init accepts (sizes positive, H % KVH == 0, D even, ...). */
int model_config_valid(const ModelConfig *cfg);

/* Fills `cfg` with a named preset ("tiny" C128 L4 H4 F384, "small" C256 L6 H8 F768; V and max_T left as given).
 * Returns 0, or -1 for an unknown name. */
int model_preset(ModelConfig *cfg, const char *name);

/* Pointers into one contiguous buffer (parameters, or gradients of the same shape). */
typedef struct {
    float *wte;       /* (V, C) token embedding */
    float *attn_norm; /* (L, C) */
    float *wq;        /* (L, H*D, C) */
    float *wk;        /* (L, KVH*D, C) */
    float *wv;        /* (L, KVH*D, C) */
    float *wo;        /* (L, C, H*D) */
    float *mlp_norm;  /* (L, C) */
    float *w_gate;    /* (L, F, C) */
    float *w_up;      /* (L, F, C) */
    float *w_down;    /* (L, C, F) */
    float *norm;      /* (C) final norm */
    float *lm_head;   /* (V, C); the same pointer as wte when tied */
    float *bq;        /* (L, H*D) qkv_bias only, else NULL */
    float *bk;        /* (L, KVH*D) qkv_bias only */
    float *bv;        /* (L, KVH*D) qkv_bias only */
    float *q_norm;    /* (L, D) qk_norm only */
    float *k_norm;    /* (L, D) qk_norm only */
} ModelTensors;

typedef struct {
    ModelConfig cfg;
    size_t n_params;      /* floats in params_mem (lm_head counted once when tied) */
    float *params_mem;
    float *grads_mem;
    ModelTensors params;
    ModelTensors grads;
} Model;

/* Allocates parameters and gradients and initialises them (normal std 0.02 for matrices, ones for norms)
 * from `seed`. Returns 0, or -1 when out of memory. Pair with model_free. */
int model_init(Model *m, const ModelConfig *cfg, uint64_t seed);
/* Parameters only, no gradients (a frozen reference model): model_zero_grad and model_backward are not for it.
 * Parameters are zero: fill them (model_copy_params). Returns 0 or -1 (out of memory). Pair with model_free. */
int model_init_frozen(Model *m, const ModelConfig *cfg);
void model_free(Model *m);              /* accepts NULL and a zeroed Model */
void model_zero_grad(Model *m);
/* Copies parameters of `src` into `dst` (same config). */
void model_copy_params(Model *dst, const Model *src);
/* dst = alpha * src + (1 - alpha) * dst, parameter by parameter (same shapes as model_copy_params); alpha = 1
 * copies (the reference refresh of grpo.ref_mix). */
void model_mix_params(Model *dst, const Model *src, float alpha);

/* Named tensors, for checkpoints: HF name, shape, pointer. Iterate i = 0.. until it returns 0. A Model whose
 * memory is not allocated yet (only cfg set, the rest zero) gives names and shapes with data NULL. Per layer the
 * nine weights of the plain model, then (when the config has them) self_attn.{q,k,v}_proj.bias and
 * self_attn.{q,k}_norm.weight. */
typedef struct { char name[64]; int ndim; int shape[2]; float *data; size_t numel; } ModelTensorInfo;
int model_tensor_info(const Model *m, int i, ModelTensorInfo *out);

/* Sizes, for estimating a run's memory before allocating anything: the floats of a model's parameters, the bytes
 * model_init allocates for them (and as many again for the gradients), and the bytes model_acts_new (train 1) or
 * model_acts_new_inference (train 0) with a capacity of max_tokens, and model_kv_new, would allocate - exactly
 * (the pool's thread count, kernels_set_threads, must be the same as when allocating).
 * model_acts_token_bytes is what one more token of capacity costs: model_acts_bytes(cfg, n, train) is
 * model_acts_bytes(cfg, 0, train) + n * model_acts_token_bytes(cfg, train), except that an allocation of 2 MiB
 * or more is rounded up to whole 2 MiB huge pages. A byte budget buys
 * (budget - model_acts_bytes(cfg, 0, train)) / model_acts_token_bytes(cfg, train) tokens, give or take that
 * rounding (check the result with model_acts_bytes). */
size_t model_n_params(const ModelConfig *cfg);
size_t model_params_bytes(const ModelConfig *cfg);
size_t model_acts_bytes(const ModelConfig *cfg, size_t max_tokens, int train);
size_t model_acts_token_bytes(const ModelConfig *cfg, int train);
size_t model_kv_bytes(const ModelConfig *cfg, int B_max, int T_max);

/* Activations of forward passes, sized by a token capacity: they serve any forward of (B, T) tokens with
 * B*T <= max_tokens and T <= cfg->max_T. */
typedef struct ModelActs ModelActs;
/* Training activations: every layer is kept for model_backward. Returns NULL when out of memory. Pair with
 * model_acts_free. Per-thread scratch is sized by the pool's thread count now (core/kernels.h). */
ModelActs *model_acts_new(const ModelConfig *cfg, size_t max_tokens);
/* Activations for forward passes that are never differentiated (the reference model, evaluation): one layer's
 * worth of memory reused layer after layer. model_forward, model_logits_rows and model_token_logprobs accept
 * them; model_logprob_backward and model_backward assert against them. Pair with model_acts_free. */
ModelActs *model_acts_new_inference(const ModelConfig *cfg, size_t max_tokens);
void model_acts_free(ModelActs *a); /* accepts NULL */
/* The capacity in tokens the activations were made for. */
size_t model_acts_capacity(const ModelActs *a);

/* Forward of tokens (B, T) (row b at tokens + b*T) up to the final RMSNorm. The output layer runs later, a chunk
 * of rows at a time, wherever logits are needed (model_token_logprobs, model_backward, model_logits_rows): `a`
 * remembers m's output weights, so they must stay unchanged until the last of those calls. */
void model_forward(const Model *m, ModelActs *a, const int *tokens, int B, int T);
/* The logits of n chosen rows of the last forward into out (n, V): rows[i] = b*T + t is position t of sequence
 * b (the prefill asks for each row's last prompt token, tests for everything). Costs n rows of the output layer. */
void model_logits_rows(ModelActs *a, const int *rows, int n, float *out);
/* After model_forward: log p(tokens[b, t+1] | tokens[b, :t+1]) into logp (B, T-1) and, if entropy is not NULL,
 * the entropy of the distribution at position t into entropy (B, T-1). logp may be NULL too. Keeps each row's
 * log-normaliser for the backward. */
void model_token_logprobs(ModelActs *a, const int *tokens, int B, int T, float *logp, float *entropy);
/* As model_token_logprobs for n chosen positions only, rows[i] = b*T + t with t < T-1 (a completion's, the prompt
 * left out): logp and entropy are written at b*(T-1) + t and left untouched elsewhere, for n rows of the output
 * layer instead of B*T (with a vocabulary of 150k tokens the output layer is most of a small model's forward). A
 * gradient set after it (model_logprob_backward) must be zero outside the chosen positions. */
void model_token_logprobs_rows(ModelActs *a, const int *tokens, int B, int T, const int *rows, int n, float *logp,
                               float *entropy);
/* Sets d loss / d logp (B, T-1) for the same tokens (copied; the backward turns it into the logit gradient
 * dlogp * (onehot - p)). Positions with dlogp == 0 (prompt, padding) cost nothing in the backward. */
void model_logprob_backward(ModelActs *a, const int *tokens, const float *dlogp, int B, int T);
/* Backward of the last forward from the gradient set above, starting at the output layer (its logits computed
 * again for the rows with a nonzero dlogp); ACCUMULATES into m->grads. */
void model_backward(Model *m, ModelActs *a, const int *tokens, int B, int T);

/* KV cache for batched incremental decoding of up to B_max sequences of up to T_max tokens. Pair with
 * model_kv_free (accepts NULL). */
typedef struct ModelKV ModelKV;
ModelKV *model_kv_new(const ModelConfig *cfg, int B_max, int T_max);
void model_kv_free(ModelKV *kv);
/* A cache's inference workspace (model_acts_new_inference): min(B_max * T_max, MODEL_KV_WORK_TOKENS) tokens, at
 * least T_max. The prefill runs in it (its prompts in chunks that fit); between generations it is free for other
 * forward passes on the same thread - the reference model's - so that one workspace serves all of them. */
#define MODEL_KV_WORK_TOKENS 4096
ModelActs *model_kv_workspace(ModelKV *kv);
/* Prefill: runs prompts (B, T) right-padded (row b has lens[b] real tokens) through the model, fills the cache,
 * and writes the logits of each row's last real token into logits (B, V). */
void model_prefill(const Model *m, ModelKV *kv, const int *tokens, const int *lens, int B, int T, float *logits);
/* One decode step: token[b] sits at position pos[b]; writes its K/V into the cache and the next-token logits
 * into logits (B, V). Rows with active[b] == 0 are skipped (active may be NULL: all active).
 * `m` must be the model of the last model_prefill on this cache, with its parameters unchanged since: the
 * prefill copies the weights into the fused layout the decode steps use. */
void model_decode(const Model *m, ModelKV *kv, const int *token, const int *pos, const int *active, int B,
                  float *logits);

/* Recording a generation for training: generation already runs the policy over the very tokens it is then
 * trained on, so the prefill and decode steps can leave behind the activations a forward over the finished
 * sequences would compute, and the first policy update skips that forward.
 * model_kv_record attaches training activations `a` (model_acts_new; NULL detaches) to the cache: from the next
 * model_prefill on, the prefill and every decode step that continues each row in order also store the
 * activations of the positions they process into `a`, laid out as model_forward of (B, T) tokens would
 * (T >= prompt width + new tokens; the sampler passes exactly that). A generation of B rows is recorded only
 * when B*T <= a's capacity (max_tokens). Recording costs copies of each step's rows; any model_forward on `a`
 * discards the recording. */
void model_kv_record(ModelKV *kv, ModelActs *a, int T);
/* Instead of model_forward(m, a, tokens, B, T) after a recorded generation: when `a` holds a recording of
 * these B rows made with m's current parameters (checked by a hash of them), whose recorded tokens match
 * `tokens` (right-padded rows; the recording covers each row up to its last token but one, which it never
 * ran), lays it out for (B, T), zeroes the positions not recorded, and returns 0. `a` is then ready for
 * model_token_logprobs / model_logits_rows / model_logprob_backward / model_backward: the log-probs of every
 * token after the first up to a row's last recorded position + 1 are those of a fresh forward (within float
 * rounding), and so is the gradient of any loss that gives zero weight to the log-probs beyond (a row's
 * padding). Returns -1 (leaving the caller to run model_forward) when there is no such recording: none made,
 * another model or batch, other tokens, changed weights, or already used (a recording serves one call). */
int model_forward_recorded(const Model *m, ModelActs *a, const int *tokens, int B, int T);

/* Threads: model_forward/backward, model_prefill and model_decode split their batch over kernels_parallel's
 * pool (core/kernels.h: kernels_set_threads). Results do not depend on the number of threads except for the
 * order in which per-thread weight gradients are summed (float rounding). */

/* Double-precision twin of a model, for finite-difference gradient checks: the same forward/backward source
 * (core/model_tmpl.h) compiled over double, running the double variants of the same kernels. */
typedef struct {
    double *wte, *attn_norm, *wq, *wk, *wv, *wo, *mlp_norm, *w_gate, *w_up, *w_down, *norm, *lm_head;
    double *bq, *bk, *bv, *q_norm, *k_norm;
} ModelTensorsF64; /* shapes as in ModelTensors */
typedef struct {
    ModelConfig cfg;
    size_t n_params;
    double *params_mem;
    double *grads_mem;
    ModelTensorsF64 params;
    ModelTensorsF64 grads;
} ModelF64;
typedef struct ModelActsF64 ModelActsF64;
/* Allocates a twin holding src's parameters converted to double, gradients zeroed. Returns 0 or -1 (memory).
 * Pair with model_f64_free (accepts NULL and a zeroed ModelF64). */
int model_f64_init(ModelF64 *m, const Model *src);
void model_f64_free(ModelF64 *m);
/* As model_acts_new / model_forward / model_logits_rows / model_token_logprobs(_rows) / model_logprob_backward /
 * model_backward, in double. */
ModelActsF64 *model_f64_acts_new(const ModelConfig *cfg, size_t max_tokens);
void model_f64_acts_free(ModelActsF64 *a);
void model_f64_forward(const ModelF64 *m, ModelActsF64 *a, const int *tokens, int B, int T);
void model_f64_logits_rows(ModelActsF64 *a, const int *rows, int n, double *out);
void model_f64_token_logprobs(ModelActsF64 *a, const int *tokens, int B, int T, double *logp, double *entropy);
void model_f64_token_logprobs_rows(ModelActsF64 *a, const int *tokens, int B, int T, const int *rows, int n,
                                   double *logp, double *entropy);
void model_f64_logprob_backward(ModelActsF64 *a, const int *tokens, const double *dlogp, int B, int T);
void model_f64_backward(ModelF64 *m, ModelActsF64 *a, const int *tokens, int B, int T);

#endif
