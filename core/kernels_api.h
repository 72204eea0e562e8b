/* kernels_api.h - the prototypes of the numeric kernels, written once over `real` and included twice by
 * kernels.h: once with real = float (names as written) and once with real = double (names with the suffix
 * _f64), so that the double-precision gradient checks run the very code the float model runs.
 *
 * Conventions (llm.c style): outputs first, then inputs, then sizes. A backward function ACCUMULATES (+=) into
 * every gradient it is given, so a residual branch or a tied embedding needs no special case; the caller zeroes
 * gradients first. Rows are independent unless said otherwise; N is a number of rows (B*T, or active rows).
 * Dimension letters: see the legend in kernels.h.
 *
 * No kernel allocates, prints or exits. Kernels are single-threaded; the model splits work across threads
 * (kernels_parallel) by giving each thread its own rows. Not a header to include directly. */

/* ---- matmul: the one wrapper around BLAS gemm (sgemm for float, dgemm for double) ---------------------------
 * C (M, N, row stride ldc) = alpha * op(A) op(B) + beta * C, row-major; op(A) is (M, K), op(B) is (K, N);
 * trans_a/trans_b nonzero means A is stored (K, M) / B is stored (N, K). beta == 0 ignores C's old contents. */
void KFN(matmul_gemm)(int trans_a, int trans_b, int M, int N, int K, real alpha, const real *A, int lda,
                      const real *B, int ldb, real beta, real *C, int ldc);
/* The same contract as matmul_gemm with plain loops: the reference the BLAS path is tested against. */
void KFN(matmul_gemm_ref)(int trans_a, int trans_b, int M, int N, int K, real alpha, const real *A, int lda,
                          const real *B, int ldb, real beta, real *C, int ldc);
/* out (N, OC) with row stride ldo = inp (N, C) . weight^T, weight (OC, C) (Hugging Face's (out, in) layout).
 * ldo > OC lets q|k|v or gate|up land side by side in one fused row. */
void KFN(matmul_forward)(real *out, const real *inp, const real *weight, int N, int C, int OC, int ldo);
/* dinp (N, C) += dout . weight; dweight (OC, C) += dout^T . inp; dout has row stride ldo. Either gradient
 * may be NULL to skip it. */
void KFN(matmul_backward)(real *dinp, real *dweight, const real *dout, const real *inp, const real *weight,
                          int N, int C, int OC, int ldo);

/* ---- embedding ------------------------------------------------------------------------------------------- */
/* out (N, C) = wte[tokens[n]]; tokens in [0, V). */
void KFN(encoder_forward)(real *out, const int *tokens, const real *wte, int N, int C);
/* dwte[tokens[n]] += dout[n]. */
void KFN(encoder_backward)(real *dwte, const real *dout, const int *tokens, int N, int C);

/* ---- RMSNorm: out = inp / sqrt(mean(inp^2) + eps) * weight ------------------------------------------------ */
/* out (N, C), rstd (N) = 1 / sqrt(mean(inp^2) + eps) kept for the backward (may be NULL). */
void KFN(rmsnorm_forward)(real *out, real *rstd, const real *inp, const real *weight, int N, int C, real eps);
/* dinp (N, C) += ..., dweight (C) += ... (dweight may be NULL). */
void KFN(rmsnorm_backward)(real *dinp, real *dweight, const real *dout, const real *inp, const real *weight,
                           const real *rstd, int N, int C);

/* ---- RoPE, rotate-half: within each head, dimension i pairs with i + D/2 -----------------------------------
 * x (N rows of H heads of D, row stride ld) is rotated IN PLACE by the angle pos * theta^(-2i/D), read from
 * cos_tab/sin_tab (max_T, D/2). Row n sits at position pos[n], or at n % T when pos is NULL.
 * The backward applies the inverse (transposed) rotation to the gradient in place: the map is orthogonal and
 * its input is never needed, so in-place is the natural form here rather than accumulation. */
void KFN(rope_forward)(real *x, const real *cos_tab, const real *sin_tab, const int *pos, int N, int T, int H,
                       int D, int ld);
void KFN(rope_backward)(real *dx, const real *cos_tab, const real *sin_tab, const int *pos, int N, int T, int H,
                        int D, int ld);

/* ---- causal self-attention over whole sequences (training, prefill) ----------------------------------------
 * qkv (B, T, (H + 2 KVH) D): q (H heads) | k (KVH heads) | v (KVH heads) per row, RoPE already applied;
 * heads are D wide. Grouped-query attention: query head h reads key/value head h / (H / KVH) (H % KVH == 0).
 * out (B, T, H D) = softmax(S) v with S = q k^T / sqrt(D) (causal); lse (B, H, T) keeps what the backward needs
 * of the probabilities: the log-sum-exp of each query row's scores, lse[b, h, t] = log sum_{s<=t} exp(S[t, s]).
 * The probabilities themselves are never stored (as flash attention does): the work is done on the lower
 * triangle in tiles of KERNELS_ATT_TILE query rows through matmul_gemm, each tile's scores in scratch
 * (kernels_att_scratch(T, 0) reals). */
void KFN(attention_forward)(real *out, real *lse, real *scratch, const real *qkv, int B, int T, int H, int KVH,
                            int D);
/* dqkv (B, T, (H + 2 KVH) D) += the gradient of the forward's out given dout (B, T, H D); out and lse are the
 * forward's.
 * Recomputes each tile's probabilities P = exp(S - lse) and, with delta_t = dout_t . out_t per head:
 * dv += P^T dout, dS = P (dout v^T - delta), dq += dS k / sqrt(D), dk += dS^T q / sqrt(D).
 * scratch holds kernels_att_scratch(T, 1) reals. */
void KFN(attention_backward)(real *dqkv, real *scratch, const real *dout, const real *qkv, const real *out,
                             const real *lse, int B, int T, int H, int KVH, int D);

/* ---- attention of single new tokens against a KV cache (decoding) ------------------------------------------
 * Row n (query q + n*ldq, H heads of D) belongs to cache sequence seq[n] and sits at position pos[n]; it attends
 * to cache positions 0..pos[n]. kt is one layer of keys stored transposed in blocks of 16 positions,
 * (B_cache, KVH, max_T/16, D, 16) - key (position s, dimension d) of a head at ((s/16)*D + d)*16 + s%16 - so the
 * scores of 16 positions are one contiguous read; max_T is a multiple of 16. v is (B_cache, KVH, max_T, D).
 * Query head h reads key/value head h / (H / KVH). out (N, H D). scratch holds max_T reals.
 * Shared prompts: when pre_seq is not NULL, row n reads positions below pre_len[n] from cache sequence
 * pre_seq[n] instead (rows sampled from one prompt keep its keys and values once, so they are read once).
 * lse (may be NULL) receives the log-sum-exp of the scores as attention_forward keeps it for a (B_cache, T_att)
 * batch: row n, head h at lse + (seq[n]*H + h)*T_att + pos[n]; pos[n] < T_att. */
void KFN(attention_decode)(real *out, real *lse, real *scratch, const real *q, int ldq, const real *kt,
                           const real *v, const int *seq, const int *pos, const int *pre_seq, const int *pre_len,
                           int N, int H, int KVH, int D, int max_T, int T_att);

/* ---- SwiGLU: out = silu(gate) * up, gu (N, 2F) = gate | up side by side ------------------------------------- */
void KFN(swiglu_forward)(real *out, const real *gu, int N, int F);
/* dgu (N, 2F) += ... */
void KFN(swiglu_backward)(real *dgu, const real *dout, const real *gu, int N, int F);

/* ---- residual: out = a + b (out may alias a or b) ------------------------------------------------------------ */
void KFN(residual_forward)(real *out, const real *a, const real *b, size_t n);
/* da += dout, db += dout. */
void KFN(residual_backward)(real *da, real *db, const real *dout, size_t n);

/* ---- output distribution: log-softmax, token log-probabilities, entropy ------------------------------------
 * For logits (N, V): lse[n] = log sum exp logits[n]; if targets and logp are given, logp[n] = logits[n,
 * targets[n]] - lse[n]; if entropy is given, entropy[n] = -sum p log p. lse is required (kept for the
 * backward); logp/entropy/targets may be NULL. */
void KFN(logprob_forward)(real *logp, real *entropy, real *lse, const real *logits, const int *targets, int N,
                          int V);
/* dlogits (N, V) += dlogp[n] * (onehot(targets[n]) - softmax(logits[n])). Rows with dlogp[n] == 0 are left
 * untouched (no work). */
void KFN(logprob_backward)(real *dlogits, const real *dlogp, const real *logits, const real *lse,
                           const int *targets, int N, int V);
