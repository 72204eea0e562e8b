/* model_tmpl.h - forward, backward and log-probabilities of the model, written once over `real`. model.c
 * includes it twice: for float (the model everything runs) and for double (the twin the gradient checks run).
 * Expects: real; KFN(name) naming the kernels of that precision; MFN(name) naming this file's functions;
 * TENS (the tensor-pointer struct), MODEL (the model struct) and ACTS (the activation struct tag).
 *
 * Activations are sized by a token capacity (max_tokens rows): a forward of (B, T) uses rows b*T + t for
 * B*T <= max_tokens. The forward stops at the final RMSNorm; the output layer (logits = xf . lm_head^T) runs
 * MODEL_OUT_ROWS rows at a time wherever logits are needed (log-probs, the backward, model_logits_rows), so
 * memory never holds the logits of a whole batch - with real vocabularies those would be gigabytes.
 *
 * Threading: a batch is split into contiguous runs of sequences, one task each (kernels_parallel). A task runs
 * every layer on its own rows, so the forward needs no synchronisation at all; in the backward each task adds
 * weight gradients into its own buffer (task 0: the model's) and the buffers are summed at the end. The output
 * layer's chunks are handed out the same way, each task with its own slot of chunk scratch. Attention keeps one
 * tile of scores per pool thread (kernels_worker), not per task: the forward may run more tasks than threads.
 * Not a header to include directly. */

typedef void (*MFN(layer_hook))(void *ud, int layer, const real *qkv, int b0, int b1, int T);

/* The output layer works on chunks of this many rows at a time, so [rows, V] logits exist only for a chunk per
 * task, never for a whole batch. */
#define MODEL_OUT_ROWS 64

struct ACTS {
    ModelConfig cfg;
    size_t max_tokens; /* capacity: any forward of (B, T) with B*T <= max_tokens and T <= cfg.max_T */
    int train;      /* 1: every layer kept for the backward; 0: one layer's buffers reused */
    size_t LS;      /* rows between one layer's buffers and the next: max_tokens, or 0 for inference */
    int n_slots;    /* pool threads at allocation (kernels_threads()): tasks that may run at once, output-layer
                     * scratch per task, attention scratch per pool thread (kernels_worker); in a backward, the
                     * model's gradients + n_slots-1 private buffers */
    size_t n_params;
    int B, T;       /* shape of the last forward; row b*T + t is position t of sequence b */
    int lse_valid;  /* lse holds the log-normalisers of the last forward's logits */
    int dlogp_valid; /* dlogp was set for the last forward */
    const real *lm_head; /* (V, C) the output weights the last forward ran with (the model's, not a copy) */
    real *mem;
    size_t n_mem;
    /* fixed-size pieces */
    real *cos_tab, *sin_tab; /* (max_T, D/2) RoPE tables */
    real *out_logits;  /* (n_slots, MODEL_OUT_ROWS, V) one chunk of logits per task */
    real *out_x;       /* (n_slots, MODEL_OUT_ROWS, C) the chunk's final-norm rows, gathered */
    real *out_dlogits; /* (n_slots, MODEL_OUT_ROWS, V) training only */
    real *out_dx;      /* (n_slots, MODEL_OUT_ROWS, C) training only */
    real *att_scratch; /* (n_slots, kernels_att_scratch(max_T, train)) attention's tile of scores per pool thread */
    real *slot_grads;  /* (n_slots - 1, n_params) training only */
    /* forward (layer l at offset l*LS rows; BT below is the capacity, max_tokens) */
    real *x;        /* (L+1, BT, C) residual stream entering each layer; x[L] enters the final norm (inference:
                     * one layer, updated in place) */
    real *xn1;      /* (L, BT, C) attention RMSNorm output */
    real *qkv;      /* (L, BT, QKV) q|k|v, QKV = (H + 2 KVH) D, biases, q/k norms and RoPE applied */
    real *att_lse;  /* (L, BT, H) log-sum-exp of each query's attention scores, the probabilities' stand-in
                     * (kernels_api.h: attention_forward): a forward of (B, T) keeps (B, H, T) per layer, layer l
                     * at offset l*LS*H */
    real *atty;     /* (L, BT, H D) attention output before Wo */
    real *xmid;     /* (L, BT, C) residual stream after attention */
    real *xn2;      /* (L, BT, C) MLP RMSNorm output */
    real *gu;       /* (L, BT, 2F) gate|up pre-activations */
    real *hsw;      /* (L, BT, F) silu(gate) * up */
    real *xf;       /* (BT, C) final RMSNorm output: the output layer's input */
    /* backward (training only) */
    real *dx;       /* (BT, C) gradient of the residual stream */
    real *dxn;      /* (BT, C) */
    real *datty;    /* (BT, H D) */
    real *dqkv;     /* (BT, QKV) */
    real *dgu;      /* (BT, 2F) */
    real *dhsw;     /* (BT, F) */
    real *qkn;      /* (L, BT, (H + KVH) D) q|k before their per-head norms (qk_norm only, else NULL) */
    real *dqkn;     /* (BT, (H + KVH) D) their gradient (qk_norm, training only) */
    /* one real per row (last, so that the wide pieces above start 64-byte aligned when their widths allow) */
    real *rstd1;    /* (L, BT) */
    real *rstd2;    /* (L, BT) */
    real *rstdf;    /* (BT) */
    real *lse;      /* (BT) log-normaliser of each row's logits */
    real *dlogp;    /* (B, T-1) d loss / d logp as given to logprob_backward (training only) */
    real *qkn_rstd; /* (L, BT, H + KVH) the per-head norms' 1/rms (qk_norm only) */
    /* a generation recorded into these activations (model.c: model_kv_record; float, training acts only) */
    int rec_B, rec_T;  /* layout of the recording, (rec_B, rec_T) rows; rec_B 0: nothing recorded */
    const void *rec_model; /* the model it was made with, and a hash of its parameters then */
    uint64_t rec_hash;
    int *rec_len;      /* (max_tokens) row b holds positions 0..rec_len[b]-1 */
    int *rec_tok;      /* (max_tokens) the tokens of those positions, row stride rec_T */
};

/* Lays the parameters out in `base` (NULL: only count). Returns the number of reals. */
static size_t MFN(layout)(TENS *t, real *base, const ModelConfig *c) {
    size_t C = c->C, F = c->F, L = c->L, V = c->V, off = 0;
    size_t D = (size_t)model_head_dim(c), Q = (size_t)c->H * D, KVD = (size_t)model_kv_heads(c) * D;
#define TAKE(field, n) do { if (base) t->field = base + off; off += (n); } while (0)
    if (base) t->bq = t->bk = t->bv = t->q_norm = t->k_norm = NULL;
    TAKE(wte, V * C);
    TAKE(attn_norm, L * C);
    TAKE(wq, L * Q * C);
    TAKE(wk, L * KVD * C);
    TAKE(wv, L * KVD * C);
    TAKE(wo, L * C * Q);
    TAKE(mlp_norm, L * C);
    TAKE(w_gate, L * F * C);
    TAKE(w_up, L * F * C);
    TAKE(w_down, L * C * F);
    TAKE(norm, C);
    if (c->tied) {
        if (base) t->lm_head = t->wte;
    } else {
        TAKE(lm_head, V * C);
    }
    if (c->qkv_bias) {
        TAKE(bq, L * Q);
        TAKE(bk, L * KVD);
        TAKE(bv, L * KVD);
    }
    if (c->qk_norm) {
        TAKE(q_norm, L * D);
        TAKE(k_norm, L * D);
    }
#undef TAKE
    return off;
}

static void MFN(acts_free)(struct ACTS *a) {
    if (!a) return;
    free(a->mem);
    free(a->rec_len);
    free(a->rec_tok);
    free(a);
}

#define ACTS_PIECES 32
/* The space in reals of the pieces of an activation buffer, in the order acts_new lays them out (the fields of
 * struct ACTS from cos_tab to dlogp). Returns the total; *per_token (may be NULL) receives the reals one more
 * token of capacity adds. Fixed-size pieces come first, each rounded up to 16 reals (64 bytes); the pieces that
 * grow with max_tokens follow unrounded, so the total is exactly fixed + max_tokens * per_token. */
static size_t MFN(acts_sizes)(const ModelConfig *cfg, size_t max_tokens, int train, int n_slots,
                              size_t sizes[ACTS_PIECES], size_t *per_token) {
    size_t C = cfg->C, F = cfg->F, V = cfg->V, L = cfg->L, H = cfg->H, T = cfg->max_T;
    size_t D = (size_t)model_head_dim(cfg), KVH = (size_t)model_kv_heads(cfg), Q = H * D, QKV = (H + 2 * KVH) * D;
    size_t Lk = train ? L : 1, tr = train ? 1 : 0, S = n_slots, K = MODEL_OUT_ROWS, qn = cfg->qk_norm ? 1 : 0;
    TENS dummy;
    size_t n_params = MFN(layout)(&dummy, NULL, cfg);
    size_t s[ACTS_PIECES][2] = {/* {fixed reals, reals per token} */
        {T * D / 2, 0}, {T * D / 2, 0},                                 /* cos, sin */
        {S * K * V, 0}, {S * K * C, 0}, {tr * S * K * V, 0}, {tr * S * K * C, 0}, /* out_logits .. out_dx */
        {S * kernels_att_scratch((int)T, train), 0}, {tr * (S - 1) * n_params, 0}, /* att_scratch, slot_grads */
        {0, (Lk + tr) * C}, {0, Lk * C}, {0, Lk * QKV}, {0, Lk * H},  /* x, xn1, qkv, att_lse */
        {0, Lk * Q}, {0, Lk * C}, {0, Lk * C}, {0, Lk * 2 * F}, {0, Lk * F}, /* atty, xmid, xn2, gu, hsw */
        {0, C},                                                         /* xf */
        {0, tr * C}, {0, tr * C}, {0, tr * Q}, {0, tr * QKV}, {0, tr * 2 * F}, {0, tr * F}, /* dx .. dhsw */
        {0, qn * Lk * (QKV - KVH * D)}, {0, qn * tr * (QKV - KVH * D)}, /* qkn, dqkn */
        {0, Lk}, {0, Lk}, {0, 1}, {0, 1}, {0, tr},                      /* rstd1, rstd2, rstdf, lse, dlogp */
        {0, qn * Lk * (H + KVH)},                                       /* qkn_rstd */
    };
    size_t total = 0, per = 0;
    for (size_t i = 0; i < ACTS_PIECES; i++) {
        assert(!s[i][0] || !s[i][1]);
        sizes[i] = s[i][1] ? s[i][1] * max_tokens : (s[i][0] + 15) & ~(size_t)15;
        total += sizes[i];
        per += s[i][1];
    }
    if (per_token) *per_token = per;
    return total;
}

static struct ACTS *MFN(acts_new)(const ModelConfig *cfg, size_t max_tokens, int train) {
    assert(model_config_valid(cfg) && max_tokens > 0 && max_tokens <= INT_MAX);
    struct ACTS *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->cfg = *cfg;
    a->max_tokens = max_tokens;
    a->train = train;
    size_t T = cfg->max_T, D = (size_t)model_head_dim(cfg);
    a->LS = train ? max_tokens : 0;
    a->n_slots = kernels_threads();
    TENS dummy;
    a->n_params = MFN(layout)(&dummy, NULL, cfg);
    size_t sizes[ACTS_PIECES];
    size_t total = MFN(acts_sizes)(cfg, max_tokens, train, a->n_slots, sizes, NULL);
    real **ptrs[] = {&a->cos_tab, &a->sin_tab, &a->out_logits, &a->out_x, &a->out_dlogits, &a->out_dx,
                     &a->att_scratch, &a->slot_grads, &a->x, &a->xn1, &a->qkv, &a->att_lse, &a->atty, &a->xmid,
                     &a->xn2, &a->gu, &a->hsw, &a->xf, &a->dx, &a->dxn, &a->datty, &a->dqkv, &a->dgu, &a->dhsw,
                     &a->qkn, &a->dqkn, &a->rstd1, &a->rstd2, &a->rstdf, &a->lse, &a->dlogp, &a->qkn_rstd};
    size_t n = ACTS_PIECES;
    assert(n == sizeof ptrs / sizeof ptrs[0]);
    a->mem = big_alloc(total * sizeof(real));
    if (train) {
        a->rec_len = calloc(max_tokens, sizeof(int));
        a->rec_tok = calloc(max_tokens, sizeof(int));
    }
    if (!a->mem || (train && (!a->rec_len || !a->rec_tok))) {
        MFN(acts_free)(a);
        return NULL;
    }
    a->n_mem = total;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        *ptrs[i] = sizes[i] ? a->mem + off : NULL;
        off += sizes[i];
    }
    for (size_t p = 0; p < T; p++)
        for (size_t i = 0; i < D / 2; i++) {
            double ang = (double)p * rope_inv_freq(cfg, (int)i);
            a->cos_tab[p * (D / 2) + i] = (real)cos(ang);
            a->sin_tab[p * (D / 2) + i] = (real)sin(ang);
        }
    return a;
}

/* ---------------------------------------------------------------------------------------------------- forward */

/* x (R rows of n, stride ld) += b (n) */
static void MFN(bias_add)(real *x, const real *b, size_t R, int n, int ld) {
    for (size_t r = 0; r < R; r++) {
        real *restrict xr = x + r * ld;
        for (int i = 0; i < n; i++) xr[i] += b[i];
    }
}

/* db (n) += the column sums of dx (R rows of n, stride ld) */
static void MFN(bias_backward)(real *db, const real *dx, size_t R, int n, int ld) {
    for (size_t r = 0; r < R; r++) {
        const real *restrict dr = dx + r * ld;
        for (int i = 0; i < n; i++) db[i] += dr[i];
    }
}

/* The per-head norms of q and k (qk_norm): the H + KVH heads of each qkv row (stride QKV) are copied to qkn
 * (R, (H + KVH) D), kept for the backward, and written back normalised; rstd (R, H + KVH). */
static void MFN(qk_norm_forward)(real *qkv, real *qkn, real *rstd, const real *wqn, const real *wkn, size_t R,
                                 int H, int KVH, int D, int QKV, real eps) {
    int QK = (H + KVH) * D;
    for (size_t r = 0; r < R; r++) {
        real *row = qkv + r * QKV, *in = qkn + r * QK, *rs = rstd + r * (H + KVH);
        memcpy(in, row, QK * sizeof(real));
        KFN(rmsnorm_forward)(row, rs, in, wqn, H, D, eps);
        KFN(rmsnorm_forward)(row + H * D, rs + H, in + H * D, wkn, KVH, D, eps);
    }
}

/* The backward of qk_norm_forward: dqkv's q|k part (the gradient of the normalised heads) becomes the gradient of
 * the heads before the norm; dqn, dkn (D) accumulate; dqkn (R, (H + KVH) D) is scratch. */
static void MFN(qk_norm_backward)(real *dqkv, real *dqkn, real *dqn, real *dkn, const real *qkn, const real *rstd,
                                  const real *wqn, const real *wkn, size_t R, int H, int KVH, int D, int QKV) {
    int QK = (H + KVH) * D;
    memset(dqkn, 0, R * QK * sizeof(real));
    for (size_t r = 0; r < R; r++) {
        real *drow = dqkv + r * QKV, *dn = dqkn + r * QK;
        const real *in = qkn + r * QK, *rs = rstd + r * (H + KVH);
        KFN(rmsnorm_backward)(dn, dqn, drow, in, wqn, rs, H, D);
        KFN(rmsnorm_backward)(dn + H * D, dkn, drow + H * D, in + H * D, wkn, rs + H, KVH, D);
        memcpy(drow, dn, QK * sizeof(real));
    }
}

typedef struct {
    const TENS *p;
    struct ACTS *a;
    const int *tokens;
    int B, T, n_tasks;
    MFN(layer_hook) hook;
    void *ud;
} MFN(FwdJob);

static void MFN(forward_task)(void *ctx, int task) {
    MFN(FwdJob) *j = ctx;
    const TENS *p = j->p;
    struct ACTS *a = j->a;
    const ModelConfig *c = &a->cfg;
    int C = c->C, F = c->F, H = c->H, T = j->T, D = model_head_dim(c), KVH = model_kv_heads(c);
    int Q = H * D, KVD = KVH * D, QKV = Q + 2 * KVD, QK = Q + KVD;
    int b0 = (int)((long)j->B * task / j->n_tasks), b1 = (int)((long)j->B * (task + 1) / j->n_tasks);
    if (b0 == b1) return;
    size_t o = (size_t)b0 * T, R = (size_t)(b1 - b0) * T, LS = a->LS;
    assert(kernels_worker() < a->n_slots);
    real *scratch = a->att_scratch + (size_t)kernels_worker() * kernels_att_scratch(c->max_T, a->train);
    KFN(encoder_forward)(a->x + o * C, j->tokens + o, p->wte, (int)R, C);
    for (int l = 0; l < c->L; l++) {
        size_t lo = l * LS + o;
        real *x = a->x + lo * C, *xnext = a->x + ((l + 1) * LS + o) * C;
        real *xn1 = a->xn1 + lo * C, *rstd1 = a->rstd1 + lo, *qkv = a->qkv + lo * QKV;
        real *att_lse = a->att_lse + l * LS * H + o * H, *atty = a->atty + lo * Q, *xmid = a->xmid + lo * C;
        real *xn2 = a->xn2 + lo * C, *rstd2 = a->rstd2 + lo, *gu = a->gu + lo * 2 * F, *hsw = a->hsw + lo * F;
        size_t QC = (size_t)Q * C, KC = (size_t)KVD * C, FC = (size_t)F * C;
        KFN(rmsnorm_forward)(xn1, rstd1, x, p->attn_norm + l * C, (int)R, C, c->norm_eps);
        KFN(matmul_forward)(qkv, xn1, p->wq + l * QC, (int)R, C, Q, QKV);
        KFN(matmul_forward)(qkv + Q, xn1, p->wk + l * KC, (int)R, C, KVD, QKV);
        KFN(matmul_forward)(qkv + QK, xn1, p->wv + l * KC, (int)R, C, KVD, QKV);
        if (c->qkv_bias) {
            MFN(bias_add)(qkv, p->bq + (size_t)l * Q, R, Q, QKV);
            MFN(bias_add)(qkv + Q, p->bk + (size_t)l * KVD, R, KVD, QKV);
            MFN(bias_add)(qkv + QK, p->bv + (size_t)l * KVD, R, KVD, QKV);
        }
        if (c->qk_norm)
            MFN(qk_norm_forward)(qkv, a->qkn + lo * QK, a->qkn_rstd + lo * (H + KVH), p->q_norm + (size_t)l * D,
                                 p->k_norm + (size_t)l * D, R, H, KVH, D, QKV, c->norm_eps);
        KFN(rope_forward)(qkv, a->cos_tab, a->sin_tab, NULL, (int)R, T, H, D, QKV);
        KFN(rope_forward)(qkv + Q, a->cos_tab, a->sin_tab, NULL, (int)R, T, KVH, D, QKV);
        if (j->hook) j->hook(j->ud, l, qkv, b0, b1, T);
        KFN(attention_forward)(atty, att_lse, scratch, qkv, b1 - b0, T, H, KVH, D);
        KFN(matmul_forward)(xmid, atty, p->wo + l * QC, (int)R, Q, C, C);
        KFN(residual_forward)(xmid, xmid, x, R * C);
        KFN(rmsnorm_forward)(xn2, rstd2, xmid, p->mlp_norm + l * C, (int)R, C, c->norm_eps);
        KFN(matmul_forward)(gu, xn2, p->w_gate + l * FC, (int)R, C, F, 2 * F);
        KFN(matmul_forward)(gu + F, xn2, p->w_up + l * FC, (int)R, C, F, 2 * F);
        KFN(swiglu_forward)(hsw, gu, (int)R, F);
        KFN(matmul_forward)(xnext, hsw, p->w_down + l * FC, (int)R, F, C, C);
        KFN(residual_forward)(xnext, xnext, xmid, R * C);
    }
    real *xL = a->x + ((size_t)c->L * LS + o) * C;
    KFN(rmsnorm_forward)(a->xf + o * C, a->rstdf + o, xL, p->norm, (int)R, C, c->norm_eps);
}

static int MFN(n_tasks)(int B, int cap) {
    int n = kernels_threads();
    if (n > cap) n = cap;
    return n < B ? n : B;
}

static void MFN(forward)(const TENS *p, struct ACTS *a, const int *tokens, int B, int T, MFN(layer_hook) hook,
                         void *ud) {
    assert(B >= 1 && T >= 1 && T <= a->cfg.max_T && (size_t)B * T <= a->max_tokens);
    for (size_t i = 0; i < (size_t)B * T; i++) assert(tokens[i] >= 0 && tokens[i] < a->cfg.V);
    MFN(FwdJob) j = {p, a, tokens, B, T, MFN(n_tasks)(B, 1 << 30), hook, ud};
    /* tasks of a few sequences keep their rows' activations in cache from layer to layer (with inference
     * activations, one layer's buffers serve every layer); the pool hands the tasks out */
    int per = 512 / T > 1 ? 512 / T : 1;
    if ((B + per - 1) / per > j.n_tasks) j.n_tasks = (B + per - 1) / per;
    a->B = B;
    a->T = T;
    a->lse_valid = 0;
    a->dlogp_valid = 0;
    a->lm_head = p->lm_head;
    a->rec_B = 0; /* overwrites any recording */
    kernels_parallel(j.n_tasks, MFN(forward_task), &j);
}

/* ------------------------------------------------------------------------------------------- output layer */

/* The logits (n, V) of n <= MODEL_OUT_ROWS rows of the last forward into out: rows r0, r0+1, .. (rows NULL), or
 * rows[0..n) gathered into the task's slot of out_x first. Returns the (n, C) final-norm rows it multiplied. */
static const real *MFN(out_logits)(struct ACTS *a, real *out, int task, const int *rows, size_t r0, int n) {
    size_t C = a->cfg.C;
    const real *x = a->xf + r0 * C;
    if (rows) {
        real *xg = a->out_x + (size_t)task * MODEL_OUT_ROWS * C;
        for (int i = 0; i < n; i++) memcpy(xg + i * C, a->xf + (size_t)rows[i] * C, C * sizeof(real));
        x = xg;
    }
    KFN(matmul_forward)(out, x, a->lm_head, n, (int)C, a->cfg.V, a->cfg.V);
    return x;
}

typedef struct {
    struct ACTS *a;
    const int *tokens, *rows;
    real *logp, *entropy, *out;
    size_t n_rows, n_chunks;
    int n_tasks;
} MFN(LpJob);

/* chunks [c0, c1) of a job's rows for this task: the chunks are fixed by the rows alone, so results do not depend
 * on the number of tasks */
static void MFN(chunk_range)(const MFN(LpJob) *j, int task, size_t *c0, size_t *c1) {
    *c0 = j->n_chunks * task / j->n_tasks;
    *c1 = j->n_chunks * (task + 1) / j->n_tasks;
}

static void MFN(logprobs_task)(void *ctx, int task) {
    MFN(LpJob) *j = ctx;
    struct ACTS *a = j->a;
    size_t T = a->T, V = a->cfg.V, c0, c1;
    real *lg = a->out_logits + (size_t)task * MODEL_OUT_ROWS * V;
    MFN(chunk_range)(j, task, &c0, &c1);
    if (j->rows) { /* chosen positions only */
        for (size_t ch = c0; ch < c1; ch++) {
            size_t i0 = ch * MODEL_OUT_ROWS, i1 = i0 + MODEL_OUT_ROWS < j->n_rows ? i0 + MODEL_OUT_ROWS : j->n_rows;
            MFN(out_logits)(a, lg, task, j->rows + i0, 0, (int)(i1 - i0));
            for (size_t i = i0; i < i1; i++) {
                size_t r = (size_t)j->rows[i], k = r / T * (T - 1) + r % T;
                KFN(logprob_forward)(j->logp ? j->logp + k : NULL, j->entropy ? j->entropy + k : NULL, a->lse + r,
                                     lg + (i - i0) * V, j->tokens + r + 1, 1, (int)V);
            }
        }
        return;
    }
    for (size_t ch = c0; ch < c1; ch++) {
        size_t r0 = ch * MODEL_OUT_ROWS, r1 = r0 + MODEL_OUT_ROWS < j->n_rows ? r0 + MODEL_OUT_ROWS : j->n_rows;
        MFN(out_logits)(a, lg, task, NULL, r0, (int)(r1 - r0));
        for (size_t r = r0; r < r1;) {
            size_t b = r / T, t = r % T, last = b * T + T - 1; /* the sequence's last row has no next token */
            size_t n = (last < r1 ? last : r1) - r, i = b * (T - 1) + t;
            if (n > 0)
                KFN(logprob_forward)(j->logp ? j->logp + i : NULL, j->entropy ? j->entropy + i : NULL, a->lse + r,
                                     lg + (r - r0) * V, j->tokens + r + 1, (int)n, (int)V);
            r += n;
            if (r == last && r < r1) { /* only its normaliser */
                KFN(logprob_forward)(NULL, NULL, a->lse + r, lg + (r - r0) * V, NULL, 1, (int)V);
                r++;
            }
        }
    }
}

static int MFN(chunk_tasks)(const struct ACTS *a, size_t n_chunks) {
    return n_chunks < (size_t)a->n_slots ? (int)n_chunks : a->n_slots;
}

static void MFN(token_logprobs)(struct ACTS *a, const int *tokens, int B, int T, real *logp, real *entropy) {
    assert(B == a->B && T == a->T && T >= 2);
    size_t n = (size_t)B * T, chunks = (n + MODEL_OUT_ROWS - 1) / MODEL_OUT_ROWS;
    MFN(LpJob) j = {a, tokens, NULL, logp, entropy, NULL, n, chunks, MFN(chunk_tasks)(a, chunks)};
    kernels_parallel(j.n_tasks, MFN(logprobs_task), &j);
    a->lse_valid = 1;
}

static void MFN(token_logprobs_rows)(struct ACTS *a, const int *tokens, int B, int T, const int *rows, int n,
                                     real *logp, real *entropy) {
    assert(B == a->B && T == a->T && T >= 2 && n >= 0);
    for (int i = 0; i < n; i++) assert(rows[i] >= 0 && rows[i] < B * T && rows[i] % T < T - 1);
    size_t chunks = ((size_t)n + MODEL_OUT_ROWS - 1) / MODEL_OUT_ROWS;
    MFN(LpJob) j = {a, tokens, rows, logp, entropy, NULL, (size_t)n, chunks, MFN(chunk_tasks)(a, chunks)};
    if (n > 0) kernels_parallel(j.n_tasks, MFN(logprobs_task), &j);
    a->lse_valid = 1; /* for these rows: the backward asks for no other */
}

static void MFN(logits_rows_task)(void *ctx, int task) {
    MFN(LpJob) *j = ctx;
    size_t c0, c1, V = j->a->cfg.V;
    MFN(chunk_range)(j, task, &c0, &c1);
    for (size_t ch = c0; ch < c1; ch++) {
        size_t i0 = ch * MODEL_OUT_ROWS, i1 = i0 + MODEL_OUT_ROWS < j->n_rows ? i0 + MODEL_OUT_ROWS : j->n_rows;
        MFN(out_logits)(j->a, j->out + i0 * V, task, j->rows + i0, 0, (int)(i1 - i0));
    }
}

static void MFN(logits_rows)(struct ACTS *a, const int *rows, int n, real *out) {
    assert(n >= 0 && a->lm_head);
    for (int i = 0; i < n; i++) assert(rows[i] >= 0 && (size_t)rows[i] < (size_t)a->B * a->T);
    size_t chunks = ((size_t)n + MODEL_OUT_ROWS - 1) / MODEL_OUT_ROWS;
    MFN(LpJob) j = {a, NULL, rows, NULL, NULL, out, (size_t)n, chunks, MFN(chunk_tasks)(a, chunks)};
    kernels_parallel(j.n_tasks, MFN(logits_rows_task), &j);
}

static void MFN(logprob_backward)(struct ACTS *a, const int *tokens, const real *dlogp, int B, int T) {
    (void)tokens;
    assert(a->train && B == a->B && T == a->T && T >= 2);
    memcpy(a->dlogp, dlogp, sizeof(real) * B * (T - 1));
    a->dlogp_valid = 1;
}

/* --------------------------------------------------------------------------------------------------- backward */

typedef struct {
    const TENS *p;
    TENS *grads;          /* the model's gradients (task 0) */
    real *grads_mem;
    struct ACTS *a;
    const int *tokens;
    int B, T, n_tasks;
} MFN(BwdJob);

/* The output layer's backward for rows [o, o + R): dxn rows = d loss / d xf, d lm_head into g. Only rows with a
 * nonzero dlogp do any work: their logits are computed again, MODEL_OUT_ROWS rows at a time. */
static void MFN(output_backward)(MFN(BwdJob) *j, TENS *g, int task, size_t o, size_t R) {
    struct ACTS *a = j->a;
    size_t C = a->cfg.C, V = a->cfg.V, T = j->T, K = MODEL_OUT_ROWS;
    real *lg = a->out_logits + task * K * V, *dlg = a->out_dlogits + task * K * V, *dxg = a->out_dx + task * K * C;
    int rows[MODEL_OUT_ROWS], targets[MODEL_OUT_ROWS], n = 0;
    real dl[MODEL_OUT_ROWS], lse[MODEL_OUT_ROWS];
    for (size_t r = o; r <= o + R; r++) {
        if (r < o + R) {
            size_t b = r / T, t = r % T;
            real d = t + 1 < T ? a->dlogp[b * (T - 1) + t] : 0;
            if (d == 0) {
                memset(a->dxn + r * C, 0, C * sizeof(real));
                continue;
            }
            rows[n] = (int)r, targets[n] = j->tokens[r + 1], dl[n] = d, lse[n] = a->lse[r];
            if (++n < (int)K) continue;
        }
        if (n == 0) continue;
        const real *xg = MFN(out_logits)(a, lg, task, rows, 0, n);
        if (!a->lse_valid) KFN(logprob_forward)(NULL, NULL, lse, lg, NULL, n, (int)V);
        memset(dlg, 0, sizeof(real) * n * V);
        KFN(logprob_backward)(dlg, dl, lg, lse, targets, n, (int)V);
        KFN(matmul_gemm)(0, 0, n, (int)C, (int)V, 1, dlg, (int)V, a->lm_head, (int)C, 0, dxg, (int)C);
        KFN(matmul_backward)(NULL, g->lm_head, dlg, xg, a->lm_head, n, (int)C, (int)V, (int)V);
        for (int i = 0; i < n; i++) memcpy(a->dxn + (size_t)rows[i] * C, dxg + i * C, C * sizeof(real));
        n = 0;
    }
}

/* The backward of sequences [b0, b1) of the task `task`, weight gradients into g. */
static void MFN(backward_rows)(MFN(BwdJob) *j, TENS *g, int task, int b0, int b1) {
    const TENS *p = j->p;
    struct ACTS *a = j->a;
    const ModelConfig *c = &a->cfg;
    int C = c->C, F = c->F, H = c->H, T = j->T, D = model_head_dim(c), KVH = model_kv_heads(c);
    int Q = H * D, KVD = KVH * D, QKV = Q + 2 * KVD, QK = Q + KVD;
    size_t o = (size_t)b0 * T, R = (size_t)(b1 - b0) * T, LS = a->LS;
    size_t QC = (size_t)Q * C, KC = (size_t)KVD * C, FC = (size_t)F * C;
    real *dx = a->dx + o * C, *dxn = a->dxn + o * C, *datty = a->datty + o * Q, *dqkv = a->dqkv + o * QKV;
    real *dgu = a->dgu + o * 2 * F, *dhsw = a->dhsw + o * F;
    assert(kernels_worker() < a->n_slots);
    real *scratch = a->att_scratch + (size_t)kernels_worker() * kernels_att_scratch(c->max_T, 1);

    /* output layer and final norm. The first contribution to each scratch gradient is written (gemm with
     * beta 0) rather than accumulated into a zeroed buffer: saves a memset pass over every buffer. */
    MFN(output_backward)(j, g, task, o, R);
    memset(dx, 0, sizeof(real) * R * C);
    KFN(rmsnorm_backward)(dx, g->norm, dxn, a->x + ((size_t)c->L * LS + o) * C, p->norm, a->rstdf + o, (int)R, C);

    for (int l = c->L - 1; l >= 0; l--) {
        size_t lo = l * LS + o;
        const real *x = a->x + lo * C, *xn1 = a->xn1 + lo * C, *rstd1 = a->rstd1 + lo, *qkv = a->qkv + lo * QKV;
        const real *att_lse = a->att_lse + l * LS * H + o * H, *atty = a->atty + lo * Q;
        const real *xmid = a->xmid + lo * C, *xn2 = a->xn2 + lo * C, *rstd2 = a->rstd2 + lo;
        const real *gu = a->gu + lo * 2 * F, *hsw = a->hsw + lo * F;
        const real *wq = p->wq + l * QC, *wk = p->wk + l * KC, *wv = p->wv + l * KC, *wo = p->wo + l * QC;
        const real *wg = p->w_gate + l * FC, *wu = p->w_up + l * FC, *wd = p->w_down + l * FC;
        /* MLP: x_next = xmid + Wdown (silu(Wgate xn2) * Wup xn2), xn2 = rms(xmid); dx holds d x_next */
        KFN(matmul_gemm)(0, 0, (int)R, F, C, 1, dx, C, wd, F, 0, dhsw, F);
        KFN(matmul_backward)(NULL, g->w_down + l * FC, dx, hsw, wd, (int)R, F, C, C);
        memset(dgu, 0, sizeof(real) * R * 2 * F);
        KFN(swiglu_backward)(dgu, dhsw, gu, (int)R, F);
        KFN(matmul_gemm)(0, 0, (int)R, C, F, 1, dgu, 2 * F, wg, C, 0, dxn, C);
        KFN(matmul_backward)(dxn, g->w_up + l * FC, dgu + F, xn2, wu, (int)R, C, F, 2 * F);
        KFN(matmul_backward)(NULL, g->w_gate + l * FC, dgu, xn2, wg, (int)R, C, F, 2 * F);
        KFN(rmsnorm_backward)(dx, g->mlp_norm + l * C, dxn, xmid, p->mlp_norm + l * C, rstd2, (int)R, C);
        /* attention: xmid = x + Wo attn(rope(Wq xn1), rope(Wk xn1), Wv xn1); dx now holds d xmid */
        KFN(matmul_gemm)(0, 0, (int)R, Q, C, 1, dx, C, wo, Q, 0, datty, Q);
        KFN(matmul_backward)(NULL, g->wo + l * QC, dx, atty, wo, (int)R, Q, C, C);
        memset(dqkv, 0, sizeof(real) * R * QKV);
        KFN(attention_backward)(dqkv, scratch, datty, qkv, atty, att_lse, b1 - b0, T, H, KVH, D);
        KFN(rope_backward)(dqkv, a->cos_tab, a->sin_tab, NULL, (int)R, T, H, D, QKV);
        KFN(rope_backward)(dqkv + Q, a->cos_tab, a->sin_tab, NULL, (int)R, T, KVH, D, QKV);
        if (c->qk_norm)
            MFN(qk_norm_backward)(dqkv, a->dqkn + o * QK, g->q_norm + (size_t)l * D, g->k_norm + (size_t)l * D,
                                  a->qkn + lo * QK, a->qkn_rstd + lo * (H + KVH), p->q_norm + (size_t)l * D,
                                  p->k_norm + (size_t)l * D, R, H, KVH, D, QKV);
        if (c->qkv_bias) {
            MFN(bias_backward)(g->bq + (size_t)l * Q, dqkv, R, Q, QKV);
            MFN(bias_backward)(g->bk + (size_t)l * KVD, dqkv + Q, R, KVD, QKV);
            MFN(bias_backward)(g->bv + (size_t)l * KVD, dqkv + QK, R, KVD, QKV);
        }
        KFN(matmul_gemm)(0, 0, (int)R, C, Q, 1, dqkv, QKV, wq, C, 0, dxn, C);
        KFN(matmul_backward)(NULL, g->wq + l * QC, dqkv, xn1, wq, (int)R, C, Q, QKV);
        KFN(matmul_backward)(dxn, g->wk + l * KC, dqkv + Q, xn1, wk, (int)R, C, KVD, QKV);
        KFN(matmul_backward)(dxn, g->wv + l * KC, dqkv + QK, xn1, wv, (int)R, C, KVD, QKV);
        KFN(rmsnorm_backward)(dx, g->attn_norm + l * C, dxn, x, p->attn_norm + l * C, rstd1, (int)R, C);
    }
    KFN(encoder_backward)(g->wte, dx, j->tokens + o, (int)R, C);
}

static void MFN(backward_task)(void *ctx, int task) {
    MFN(BwdJob) *j = ctx;
    struct ACTS *a = j->a;
    const ModelConfig *c = &a->cfg;
    int T = j->T;
    int b0 = (int)((long)j->B * task / j->n_tasks), b1 = (int)((long)j->B * (task + 1) / j->n_tasks);
    TENS gs, *g = j->grads;
    if (task > 0) { /* a private gradient buffer, summed into the model's after all tasks */
        real *mem = a->slot_grads + (size_t)(task - 1) * a->n_params;
        memset(mem, 0, sizeof(real) * a->n_params);
        MFN(layout)(&gs, mem, c);
        g = &gs;
    }
    /* a few sequences at a time through every layer, so their gradient buffers stay in cache */
    int per = 512 / T > 1 ? 512 / T : 1;
    for (int s0 = b0; s0 < b1; s0 += per) MFN(backward_rows)(j, g, task, s0, s0 + per < b1 ? s0 + per : b1);
}

typedef struct {
    real *dst;
    const real *slots;
    size_t n;
    int n_slots, n_tasks;
} MFN(SumJob);

static void MFN(sum_task)(void *ctx, int task) {
    MFN(SumJob) *j = ctx;
    size_t i0 = j->n * task / j->n_tasks, i1 = j->n * (task + 1) / j->n_tasks;
    for (int s = 0; s < j->n_slots; s++) {
        const real *restrict src = j->slots + (size_t)s * j->n;
        real *restrict dst = j->dst;
        for (size_t i = i0; i < i1; i++) dst[i] += src[i];
    }
}

static void MFN(backward)(TENS *grads, real *grads_mem, const TENS *p, struct ACTS *a, const int *tokens, int B,
                          int T) {
    assert(a->train && B == a->B && T == a->T && T >= 2 && a->dlogp_valid && a->lm_head == p->lm_head);
    MFN(BwdJob) j = {p, grads, grads_mem, a, tokens, B, T, MFN(n_tasks)(B, a->n_slots)};
    kernels_parallel(j.n_tasks, MFN(backward_task), &j);
    if (j.n_tasks > 1) {
        MFN(SumJob) s = {grads_mem, a->slot_grads, a->n_params, j.n_tasks - 1, kernels_threads()};
        kernels_parallel(s.n_tasks, MFN(sum_task), &s);
    }
}
