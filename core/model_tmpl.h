/* model_tmpl.h - forward, backward and log-probabilities of the model, written once over `real`. model.c
 * includes it twice: for float (the model everything runs) and for double (the twin the gradient checks run).
 * Expects: real; KFN(name) naming the kernels of that precision; MFN(name) naming this file's functions;
 * TENS (the tensor-pointer struct), MODEL (the model struct) and ACTS (the activation struct tag).
 *
 * Threading: a batch is split into contiguous runs of sequences, one task each (kernels_parallel). A task runs
 * every layer on its own rows, so the forward needs no synchronisation at all; in the backward each task adds
 * weight gradients into its own buffer (task 0: the model's) and the buffers are summed at the end. Attention
 * keeps one tile of scores per pool thread (kernels_worker), not per task: the forward may run more tasks than
 * threads. Not a header to include directly. */

typedef void (*MFN(layer_hook))(void *ud, int layer, const real *qkv, int b0, int b1, int T);

struct ACTS {
    ModelConfig cfg;
    int B_max, T_max;
    int train;      /* 1: every layer kept for the backward; 0: one layer's buffers reused */
    size_t LS;      /* rows between one layer's buffers and the next: B_max*T_max, or 0 for inference */
    int n_slots;    /* tasks a backward may use: the model's gradients + n_slots-1 private buffers */
    int n_workers;  /* pool threads the attention scratch was sized for (kernels_threads() at allocation) */
    size_t n_params;
    int B, T;       /* shape of the last forward */
    int lse_valid;  /* lse holds the log-normalisers of the last forward's logits */
    real *mem;
    size_t n_mem;
    real *cos_tab, *sin_tab; /* (T_max, D/2) RoPE tables */
    /* forward (layer l at offset l*LS rows) */
    real *x;        /* (L+1, BT, C) residual stream entering each layer; x[L] enters the final norm */
    real *xn1;      /* (L, BT, C) attention RMSNorm output */
    real *rstd1;    /* (L, BT) */
    real *qkv;      /* (L, BT, 3C) q|k|v, RoPE applied */
    real *att_lse;  /* (L, B, H, T) log-sum-exp of each query's attention scores, the probabilities' stand-in
                     * (kernels_api.h: attention_forward); layer l at offset l*LS*H */
    real *atty;     /* (L, BT, C) attention output before Wo */
    real *xmid;     /* (L, BT, C) residual stream after attention */
    real *xn2;      /* (L, BT, C) MLP RMSNorm output */
    real *rstd2;    /* (L, BT) */
    real *gu;       /* (L, BT, 2F) gate|up pre-activations */
    real *hsw;      /* (L, BT, F) silu(gate) * up */
    real *xf;       /* (BT, C) final RMSNorm output */
    real *rstdf;    /* (BT) */
    real *logits;   /* (BT, V) */
    real *lse;      /* (BT) */
    /* backward (training only) */
    real *dlogits;  /* (BT, V) */
    real *dx;       /* (BT, C) gradient of the residual stream */
    real *dxn;      /* (BT, C) */
    real *datty;    /* (BT, C) */
    real *dqkv;     /* (BT, 3C) */
    real *dgu;      /* (BT, 2F) */
    real *dhsw;     /* (BT, F) */
    real *slot_grads;  /* (n_slots - 1, n_params) */
    /* attention's tile of scores, one per pool thread (kernels_worker): forward and backward (training) */
    real *att_scratch; /* (n_workers, kernels_att_scratch(T_max, train)) */
    /* a generation recorded into these activations (model.c: model_kv_record; float, training acts only) */
    int rec_B, rec_T;  /* layout of the recording, (rec_B, rec_T) rows; rec_B 0: nothing recorded */
    const void *rec_model; /* the model it was made with, and a hash of its parameters then */
    uint64_t rec_hash;
    int *rec_len;      /* (B_max) row b holds positions 0..rec_len[b]-1 */
    int *rec_tok;      /* (B_max, T_max) the tokens of those positions, row stride rec_T */
};

/* Lays the parameters out in `base` (NULL: only count). Returns the number of reals. */
static size_t MFN(layout)(TENS *t, real *base, const ModelConfig *c) {
    size_t C = c->C, F = c->F, L = c->L, V = c->V, off = 0;
#define TAKE(field, n) do { if (base) t->field = base + off; off += (n); } while (0)
    TAKE(wte, V * C);
    TAKE(attn_norm, L * C);
    TAKE(wq, L * C * C);
    TAKE(wk, L * C * C);
    TAKE(wv, L * C * C);
    TAKE(wo, L * C * C);
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

#define ACTS_PIECES 26
/* The sizes in reals of the pieces of an activation buffer, in the order acts_new lays them out. Returns the total
 * (each piece rounded up to 16 reals, so every piece starts 64-byte aligned). */
static size_t MFN(acts_sizes)(const ModelConfig *cfg, int B_max, int T_max, int train, int n_slots, int n_workers,
                              size_t sizes[ACTS_PIECES]) {
    size_t C = cfg->C, F = cfg->F, V = cfg->V, L = cfg->L, H = cfg->H, D = C / H, T = T_max;
    size_t BT = (size_t)B_max * T_max, Lk = train ? L : 1;
    TENS dummy;
    size_t n_params = MFN(layout)(&dummy, NULL, cfg);
    size_t s[ACTS_PIECES] = {
        T * D / 2, T * D / 2,                                   /* cos, sin */
        (Lk + 1) * BT * C, Lk * BT * C, Lk * BT, Lk * BT * 3 * C, /* x, xn1, rstd1, qkv */
        Lk * BT * H, Lk * BT * C, Lk * BT * C,                  /* att_lse, atty, xmid */
        Lk * BT * C, Lk * BT, Lk * BT * 2 * F, Lk * BT * F,     /* xn2, rstd2, gu, hsw */
        BT * C, BT, BT * V, BT,                                 /* xf, rstdf, logits, lse */
        train ? BT * V : 0, train ? BT * C : 0, train ? BT * C : 0, train ? BT * C : 0, /* dlogits dx dxn datty */
        train ? BT * 3 * C : 0, train ? BT * 2 * F : 0, train ? BT * F : 0,            /* dqkv dgu dhsw */
        train ? (n_slots - 1) * n_params : 0, n_workers * kernels_att_scratch(T_max, train), /* slot_grads, scratch */
    };
    size_t total = 0;
    for (size_t i = 0; i < ACTS_PIECES; i++) {
        sizes[i] = s[i];
        total += (s[i] + 15) & ~(size_t)15;
    }
    return total;
}

static struct ACTS *MFN(acts_new)(const ModelConfig *cfg, int B_max, int T_max, int train) {
    assert(cfg->C % cfg->H == 0 && (cfg->C / cfg->H) % 2 == 0 && B_max > 0 && T_max > 0 && T_max <= cfg->max_T);
    struct ACTS *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->cfg = *cfg;
    a->B_max = B_max;
    a->T_max = T_max;
    a->train = train;
    size_t BT = (size_t)B_max * T_max, T = T_max, D = cfg->C / cfg->H;
    a->LS = train ? BT : 0;
    a->n_slots = train ? kernels_threads() : 1;
    a->n_workers = kernels_threads();
    TENS dummy;
    a->n_params = MFN(layout)(&dummy, NULL, cfg);
    size_t sizes[ACTS_PIECES];
    size_t total = MFN(acts_sizes)(cfg, B_max, T_max, train, a->n_slots, a->n_workers, sizes);
    real **ptrs[] = {&a->cos_tab, &a->sin_tab, &a->x, &a->xn1, &a->rstd1, &a->qkv, &a->att_lse, &a->atty,
                     &a->xmid, &a->xn2, &a->rstd2, &a->gu, &a->hsw, &a->xf, &a->rstdf, &a->logits, &a->lse,
                     &a->dlogits, &a->dx, &a->dxn, &a->datty, &a->dqkv, &a->dgu, &a->dhsw, &a->slot_grads,
                     &a->att_scratch};
    size_t n = ACTS_PIECES;
    assert(n == sizeof ptrs / sizeof ptrs[0]);
    a->mem = big_alloc(total * sizeof(real));
    if (train) {
        a->rec_len = calloc(B_max, sizeof(int));
        a->rec_tok = calloc(BT, sizeof(int));
    }
    if (!a->mem || (train && (!a->rec_len || !a->rec_tok))) {
        MFN(acts_free)(a);
        return NULL;
    }
    a->n_mem = total;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        *ptrs[i] = sizes[i] ? a->mem + off : NULL;
        off += (sizes[i] + 15) & ~(size_t)15;
    }
    for (size_t p = 0; p < T; p++)
        for (size_t i = 0; i < D / 2; i++) {
            double ang = (double)p * pow(cfg->rope_theta, -2.0 * (double)i / (double)D);
            a->cos_tab[p * (D / 2) + i] = (real)cos(ang);
            a->sin_tab[p * (D / 2) + i] = (real)sin(ang);
        }
    return a;
}

/* ---------------------------------------------------------------------------------------------------- forward */

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
    int C = c->C, F = c->F, H = c->H, V = c->V, T = j->T, D = C / H;
    int b0 = (int)((long)j->B * task / j->n_tasks), b1 = (int)((long)j->B * (task + 1) / j->n_tasks);
    if (b0 == b1) return;
    size_t o = (size_t)b0 * T, R = (size_t)(b1 - b0) * T, LS = a->LS;
    assert(kernels_worker() < a->n_workers);
    real *scratch = a->att_scratch + (size_t)kernels_worker() * kernels_att_scratch(a->T_max, a->train);
    KFN(encoder_forward)(a->x + o * C, j->tokens + o, p->wte, (int)R, C);
    for (int l = 0; l < c->L; l++) {
        size_t lo = l * LS + o;
        real *x = a->x + lo * C, *xnext = a->x + ((l + 1) * LS + o) * C;
        real *xn1 = a->xn1 + lo * C, *rstd1 = a->rstd1 + lo, *qkv = a->qkv + lo * 3 * C;
        real *att_lse = a->att_lse + l * LS * H + o * H, *atty = a->atty + lo * C, *xmid = a->xmid + lo * C;
        real *xn2 = a->xn2 + lo * C, *rstd2 = a->rstd2 + lo, *gu = a->gu + lo * 2 * F, *hsw = a->hsw + lo * F;
        size_t CC = (size_t)C * C, FC = (size_t)F * C;
        KFN(rmsnorm_forward)(xn1, rstd1, x, p->attn_norm + l * C, (int)R, C, c->norm_eps);
        KFN(matmul_forward)(qkv, xn1, p->wq + l * CC, (int)R, C, C, 3 * C);
        KFN(matmul_forward)(qkv + C, xn1, p->wk + l * CC, (int)R, C, C, 3 * C);
        KFN(matmul_forward)(qkv + 2 * C, xn1, p->wv + l * CC, (int)R, C, C, 3 * C);
        KFN(rope_forward)(qkv, a->cos_tab, a->sin_tab, NULL, (int)R, T, H, D, 3 * C);
        KFN(rope_forward)(qkv + C, a->cos_tab, a->sin_tab, NULL, (int)R, T, H, D, 3 * C);
        if (j->hook) j->hook(j->ud, l, qkv, b0, b1, T);
        KFN(attention_forward)(atty, att_lse, scratch, qkv, b1 - b0, T, C, H);
        KFN(matmul_forward)(xmid, atty, p->wo + l * CC, (int)R, C, C, C);
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
    KFN(matmul_forward)(a->logits + o * V, a->xf + o * C, p->lm_head, (int)R, C, V, V);
}

static int MFN(n_tasks)(int B, int cap) {
    int n = kernels_threads();
    if (n > cap) n = cap;
    return n < B ? n : B;
}

static void MFN(forward)(const TENS *p, struct ACTS *a, const int *tokens, int B, int T, MFN(layer_hook) hook,
                         void *ud) {
    assert(B >= 1 && B <= a->B_max && T >= 1 && T <= a->T_max);
    for (size_t i = 0; i < (size_t)B * T; i++) assert(tokens[i] >= 0 && tokens[i] < a->cfg.V);
    MFN(FwdJob) j = {p, a, tokens, B, T, MFN(n_tasks)(B, 1 << 30), hook, ud};
    /* tasks of a few sequences keep their rows' activations in cache from layer to layer (with inference
     * activations, one layer's buffers serve every layer); the pool hands the tasks out */
    int per = 512 / T > 1 ? 512 / T : 1;
    if ((B + per - 1) / per > j.n_tasks) j.n_tasks = (B + per - 1) / per;
    a->B = B;
    a->T = T;
    a->lse_valid = 0;
    a->rec_B = 0; /* overwrites any recording */
    kernels_parallel(j.n_tasks, MFN(forward_task), &j);
}

/* ------------------------------------------------------------------------------------------------- log-probs */

typedef struct {
    struct ACTS *a;
    const int *tokens;
    real *logp, *entropy;
    const real *dlogp;
    int B, T, n_tasks;
} MFN(LpJob);

static void MFN(logprobs_task)(void *ctx, int task) {
    MFN(LpJob) *j = ctx;
    struct ACTS *a = j->a;
    int T = j->T, V = a->cfg.V;
    int b0 = (int)((long)j->B * task / j->n_tasks), b1 = (int)((long)j->B * (task + 1) / j->n_tasks);
    for (int b = b0; b < b1; b++) {
        size_t r = (size_t)b * T;
        /* the last position has no next token: only its normaliser */
        KFN(logprob_forward)(j->logp ? j->logp + (size_t)b * (T - 1) : NULL,
                             j->entropy ? j->entropy + (size_t)b * (T - 1) : NULL, a->lse + r,
                             a->logits + r * V, j->tokens + r + 1, T - 1, V);
        KFN(logprob_forward)(NULL, NULL, a->lse + r + T - 1, a->logits + (r + T - 1) * V, NULL, 1, V);
    }
}

static void MFN(token_logprobs)(struct ACTS *a, const int *tokens, int B, int T, real *logp, real *entropy) {
    assert(B == a->B && T == a->T && T >= 2);
    MFN(LpJob) j = {a, tokens, logp, entropy, NULL, B, T, MFN(n_tasks)(B, 1 << 30)};
    kernels_parallel(j.n_tasks, MFN(logprobs_task), &j);
    a->lse_valid = 1;
}

static void MFN(dlogits_task)(void *ctx, int task) {
    MFN(LpJob) *j = ctx;
    struct ACTS *a = j->a;
    int T = j->T, V = a->cfg.V;
    int b0 = (int)((long)j->B * task / j->n_tasks), b1 = (int)((long)j->B * (task + 1) / j->n_tasks);
    for (int b = b0; b < b1; b++) {
        size_t r = (size_t)b * T;
        memset(a->dlogits + r * V, 0, sizeof(real) * T * V);
        KFN(logprob_backward)(a->dlogits + r * V, j->dlogp + (size_t)b * (T - 1), a->logits + r * V, a->lse + r,
                              j->tokens + r + 1, T - 1, V);
    }
}

static void MFN(logprob_backward)(struct ACTS *a, const int *tokens, const real *dlogp, int B, int T) {
    assert(a->train && B == a->B && T == a->T && T >= 2);
    if (!a->lse_valid) MFN(token_logprobs)(a, tokens, B, T, NULL, NULL);
    MFN(LpJob) j = {a, tokens, NULL, NULL, dlogp, B, T, MFN(n_tasks)(B, 1 << 30)};
    kernels_parallel(j.n_tasks, MFN(dlogits_task), &j);
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

/* The backward of sequences [b0, b1), weight gradients into g. */
static void MFN(backward_rows)(MFN(BwdJob) *j, TENS *g, int b0, int b1) {
    const TENS *p = j->p;
    struct ACTS *a = j->a;
    const ModelConfig *c = &a->cfg;
    int C = c->C, F = c->F, H = c->H, V = c->V, T = j->T, D = C / H;
    size_t o = (size_t)b0 * T, R = (size_t)(b1 - b0) * T, LS = a->LS;
    size_t CC = (size_t)C * C, FC = (size_t)F * C;
    real *dx = a->dx + o * C, *dxn = a->dxn + o * C, *datty = a->datty + o * C, *dqkv = a->dqkv + o * 3 * C;
    real *dgu = a->dgu + o * 2 * F, *dhsw = a->dhsw + o * F;
    assert(kernels_worker() < a->n_workers);
    real *scratch = a->att_scratch + (size_t)kernels_worker() * kernels_att_scratch(a->T_max, 1);

    /* output layer and final norm. The first contribution to each scratch gradient is written (gemm with
     * beta 0) rather than accumulated into a zeroed buffer: saves a memset pass over every buffer. */
    KFN(matmul_gemm)(0, 0, (int)R, C, V, 1, a->dlogits + o * V, V, p->lm_head, C, 0, dxn, C);
    KFN(matmul_backward)(NULL, g->lm_head, a->dlogits + o * V, a->xf + o * C, p->lm_head, (int)R, C, V, V);
    memset(dx, 0, sizeof(real) * R * C);
    KFN(rmsnorm_backward)(dx, g->norm, dxn, a->x + ((size_t)c->L * LS + o) * C, p->norm, a->rstdf + o, (int)R, C);

    for (int l = c->L - 1; l >= 0; l--) {
        size_t lo = l * LS + o;
        const real *x = a->x + lo * C, *xn1 = a->xn1 + lo * C, *rstd1 = a->rstd1 + lo, *qkv = a->qkv + lo * 3 * C;
        const real *att_lse = a->att_lse + l * LS * H + o * H, *atty = a->atty + lo * C;
        const real *xmid = a->xmid + lo * C, *xn2 = a->xn2 + lo * C, *rstd2 = a->rstd2 + lo;
        const real *gu = a->gu + lo * 2 * F, *hsw = a->hsw + lo * F;
        const real *wq = p->wq + l * CC, *wk = p->wk + l * CC, *wv = p->wv + l * CC, *wo = p->wo + l * CC;
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
        KFN(matmul_gemm)(0, 0, (int)R, C, C, 1, dx, C, wo, C, 0, datty, C);
        KFN(matmul_backward)(NULL, g->wo + l * CC, dx, atty, wo, (int)R, C, C, C);
        memset(dqkv, 0, sizeof(real) * R * 3 * C);
        KFN(attention_backward)(dqkv, scratch, datty, qkv, atty, att_lse, b1 - b0, T, C, H);
        KFN(rope_backward)(dqkv, a->cos_tab, a->sin_tab, NULL, (int)R, T, H, D, 3 * C);
        KFN(rope_backward)(dqkv + C, a->cos_tab, a->sin_tab, NULL, (int)R, T, H, D, 3 * C);
        KFN(matmul_gemm)(0, 0, (int)R, C, C, 1, dqkv, 3 * C, wq, C, 0, dxn, C);
        KFN(matmul_backward)(NULL, g->wq + l * CC, dqkv, xn1, wq, (int)R, C, C, 3 * C);
        KFN(matmul_backward)(dxn, g->wk + l * CC, dqkv + C, xn1, wk, (int)R, C, C, 3 * C);
        KFN(matmul_backward)(dxn, g->wv + l * CC, dqkv + 2 * C, xn1, wv, (int)R, C, C, 3 * C);
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
    for (int s0 = b0; s0 < b1; s0 += per) MFN(backward_rows)(j, g, s0, s0 + per < b1 ? s0 + per : b1);
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
    assert(a->train && B == a->B && T == a->T);
    MFN(BwdJob) j = {p, grads, grads_mem, a, tokens, B, T, MFN(n_tasks)(B, a->n_slots)};
    kernels_parallel(j.n_tasks, MFN(backward_task), &j);
    if (j.n_tasks > 1) {
        MFN(SumJob) s = {grads_mem, a->slot_grads, a->n_params, j.n_tasks - 1, kernels_threads()};
        kernels_parallel(s.n_tasks, MFN(sum_task), &s);
    }
}
