#!/usr/bin/python3
"""torch_grpo_ref.py -- the "user would pick this instead" anchor.

GRPO Studio's copy of /work/shared/bench/torch_grpo_ref.py, extended (and nothing else changed) with the shape of
a model people fine-tune - SmolLM2-135M: vocab 49152, d 576, 30 layers, 9 query heads and 3 key-value heads of 64
(grouped-query attention as Hugging Face's LlamaAttention runs it: k and v repeated to every query head), SwiGLU
hidden 1536, RoPE theta 1e5, tied - and with the batch as options (--prompts, --group, --prompt-tokens,
--new-tokens), so that `grpo-studio bench --model smollm2-135m --group 4 --new-tokens 128` has its PyTorch twin:
  /usr/bin/python3 tests/bench/torch_grpo_ref.py --model smollm2-135m --group 4 --new-tokens 128 --threads 1

A plain PyTorch (CPU, fp32, eager) implementation of ONE GRPO training step for a
llama-style decoder, timed phase by phase.  Benchmark "grpo-step":

  model tiny : vocab 64, d 128, 4 layers, 4 heads (hd 32), SwiGLU hidden 384
  model small: vocab 64, d 256, 6 layers, 8 heads (hd 32), SwiGLU hidden 768
  both       : RMSNorm eps 1e-5, RoPE theta 1e4 (rotate-half pairing), tied
               embeddings, no biases, max_seq 256
  batch      : 16 prompts x G=8 = 128 sequences, prompt 32 random tokens,
               exactly 96 new tokens, T=1 multinomial sampling, KV cache
               preallocated [B, heads, 256, head_dim]
  rewards    : random {0,1}; adv = (r - mean_g) / (std_g + 1e-4)  (unbiased std)
  loss       : GRPO, num_iterations=1: ratio = exp(logp - logp.detach()),
               clipped surrogate eps=0.2, k3 KL to frozen reference beta=0.04,
               masked to completion tokens, mean per sequence then over batch
  optimizer  : clip_grad_norm_(1.0) + AdamW(lr=1e-4; torch defaults otherwise:
               betas (0.9,0.999), eps 1e-8, weight_decay 0.01)

Usage:
  /usr/bin/python3 torch_grpo_ref.py --model tiny --threads 2 [--gen-compare] [--json out.jsonl]
  /usr/bin/python3 torch_grpo_ref.py --check          # correctness checks only
"""
import argparse
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--model", choices=["tiny", "small", "smollm2-135m"], default="tiny")
ap.add_argument("--prompts", type=int, default=16, help="distinct prompts per step")
ap.add_argument("--group", type=int, default=8, help="samples per prompt (G)")
ap.add_argument("--prompt-tokens", type=int, default=32, help="random tokens per prompt")
ap.add_argument("--new-tokens", type=int, default=96, help="new tokens per sample, all generated")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--warmup", type=int, default=1)
ap.add_argument("--gen-mode", choices=["inference_mode", "no_grad"], default="inference_mode")
ap.add_argument("--gen-compare", action="store_true",
                help="after the steps, time generation 5x each under inference_mode and no_grad (interleaved)")
ap.add_argument("--check", action="store_true", help="run correctness checks and exit")
ap.add_argument("--json", default=None, help="append one JSON line with the results to this file")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--blas-threads", type=int, default=None,
                help="OPENBLAS_NUM_THREADS (default: same as --threads)")
ap.add_argument("--label", default="", help="free-form config label stored in the JSON line")
ap.add_argument("--profile", action="store_true", help="print a torch.profiler table for one extra step")
args = ap.parse_args()

# Thread pools must be sized before torch (and its OpenBLAS) initialise.  Debian's
# torch calls OpenBLAS (pthread build) for fp32 GEMM, which has its own pool.
os.environ["OMP_NUM_THREADS"] = str(args.threads)
os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads or args.threads)

import ctypes  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)


@dataclass
class Cfg:
    vocab: int
    d: int
    n_layers: int
    n_heads: int
    ffn: int
    max_seq: int = 256
    eps: float = 1e-5
    theta: float = 10000.0
    n_kv_heads: int = 0  # 0: n_heads (no grouped-query attention)
    head_dim: int = 0  # 0: d // n_heads

    @property
    def hd(self):
        return self.head_dim or self.d // self.n_heads

    @property
    def kvh(self):
        return self.n_kv_heads or self.n_heads


MODELS = {
    "tiny": Cfg(vocab=64, d=128, n_layers=4, n_heads=4, ffn=384),
    "small": Cfg(vocab=64, d=256, n_layers=6, n_heads=8, ffn=768),
    "smollm2-135m": Cfg(vocab=49152, d=576, n_layers=30, n_heads=9, ffn=1536, theta=100000.0, n_kv_heads=3,
                        head_dim=64),
}


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    """x [B, H, T, hd]; cos/sin [T, hd/2]; rotate-half pairing (i, i + hd/2)."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, c: Cfg):
        super().__init__()
        self.c = c
        self.attn_norm = RMSNorm(c.d, c.eps)
        self.wqkv = nn.Linear(c.d, (c.n_heads + 2 * c.kvh) * c.hd, bias=False)  # fused q|k|v
        self.wo = nn.Linear(c.n_heads * c.hd, c.d, bias=False)
        self.ffn_norm = RMSNorm(c.d, c.eps)
        self.w13 = nn.Linear(c.d, 2 * c.ffn, bias=False)  # fused gate|up
        self.w2 = nn.Linear(c.ffn, c.d, bias=False)

    def forward(self, x, cos, sin, mask, cache, pos):
        c = self.c
        B, T, _ = x.shape
        q, k, v = self.wqkv(self.attn_norm(x)).split([c.n_heads * c.hd, c.kvh * c.hd, c.kvh * c.hd], dim=-1)
        q = q.view(B, T, c.n_heads, c.hd).transpose(1, 2)
        k = k.view(B, T, c.kvh, c.hd).transpose(1, 2)
        v = v.view(B, T, c.kvh, c.hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if cache is not None:  # write into the preallocated KV cache, attend to [0, pos+T)
            kc, vc = cache
            kc[:, :, pos:pos + T] = k
            vc[:, :, pos:pos + T] = v
            k, v = kc[:, :, :pos + T], vc[:, :, :pos + T]
        if c.kvh != c.n_heads:  # grouped-query attention: each key-value head serves n_heads / kvh query heads
            k = k.repeat_interleave(c.n_heads // c.kvh, dim=1)
            v = v.repeat_interleave(c.n_heads // c.kvh, dim=1)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c.hd))
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, T, c.n_heads * c.hd)
        x = x + self.wo(y)
        g, u = self.w13(self.ffn_norm(x)).split(c.ffn, dim=-1)
        return x + self.w2(F.silu(g) * u)


class LlamaLite(nn.Module):
    def __init__(self, c: Cfg):
        super().__init__()
        self.c = c
        self.tok_emb = nn.Embedding(c.vocab, c.d)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.norm = RMSNorm(c.d, c.eps)
        inv = 1.0 / c.theta ** (torch.arange(0, c.hd, 2, dtype=torch.float64) / c.hd)
        f = torch.outer(torch.arange(c.max_seq, dtype=torch.float64), inv)
        self.register_buffer("cos", f.cos().float(), persistent=False)
        self.register_buffer("sin", f.sin().float(), persistent=False)
        causal = torch.ones(c.max_seq, c.max_seq, dtype=torch.bool).triu(1)
        self.register_buffer("causal", causal, persistent=False)
        for n, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, cache=None, pos=0, last_only=False):
        B, T = idx.shape
        x = self.tok_emb(idx)
        cos, sin = self.cos[pos:pos + T].to(x.dtype), self.sin[pos:pos + T].to(x.dtype)
        mask = self.causal[pos:pos + T, :pos + T] if T > 1 else None
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, None if cache is None else cache[i], pos)
        if last_only:
            x = x[:, -1:]
        return self.norm(x) @ self.tok_emb.weight.t()  # tied output head


def new_cache(c: Cfg, B, dtype):
    return [(torch.empty(B, c.kvh, c.max_seq, c.hd, dtype=dtype),
             torch.empty(B, c.kvh, c.max_seq, c.hd, dtype=dtype)) for _ in range(c.n_layers)]


def generate(model, prompts, n_new, gen, mode="inference_mode", temperature=1.0, keep_logits=False):
    """Batched sampling with a KV cache: 1 prefill forward + (n_new-1) one-token forwards."""
    ctx = torch.inference_mode() if mode == "inference_mode" else torch.no_grad()
    with ctx:
        B, P = prompts.shape
        cache = new_cache(model.c, B, model.tok_emb.weight.dtype)
        seq = torch.empty(B, P + n_new, dtype=torch.long)
        seq[:, :P] = prompts
        logits = model(prompts, cache, 0, last_only=True)[:, -1]
        kept = []
        for i in range(n_new):
            if keep_logits:
                kept.append(logits.clone())
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=gen)
            seq[:, P + i] = nxt[:, 0]
            if i + 1 < n_new:
                logits = model(nxt, cache, P + i, last_only=True)[:, -1]
    if mode == "inference_mode":
        seq = seq.clone()  # a normal tensor, usable in autograd (inference tensors are not)
    if keep_logits:
        return seq, torch.stack(kept, 1)
    return seq


def advantages(rewards_g):  # [n_prompts, G]
    return ((rewards_g - rewards_g.mean(1, keepdim=True)) / (rewards_g.std(1, keepdim=True) + 1e-4)).reshape(-1)


def completion_logp(model, seq, P):
    """log p(seq[:, t] | seq[:, :t]) for completion positions t = P..T-1 -> [B, T-P]."""
    logits = model(seq)[:, P - 1:-1]
    tgt = seq[:, P:]
    return logits.gather(-1, tgt.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)


def grpo_loss_from_logp(logp, logp_old, ref_logp, adv, mask, eps=0.2, beta=0.04):
    ratio = torch.exp(logp - logp_old)
    A = adv.unsqueeze(1)
    pg = -torch.min(ratio * A, torch.clamp(ratio, 1 - eps, 1 + eps) * A)
    d = ref_logp - logp
    kl = torch.exp(d) - d - 1  # k3 estimator
    per_tok = pg + beta * kl
    return ((per_tok * mask).sum(1) / mask.sum(1)).mean()


def grpo_loss(policy, seq, P, adv, ref_logp, mask, eps=0.2, beta=0.04):
    logp = completion_logp(policy, seq, P)
    return grpo_loss_from_logp(logp, logp.detach(), ref_logp, adv, mask, eps, beta)


# --------------------------------------------------------------------------- FLOPs
def flops(c: Cfg, B=128, P=32, N=96):
    body = c.n_layers * (c.d * (2 * c.n_heads + 2 * c.kvh) * c.hd + 3 * c.d * c.ffn)  # matmul params in blocks
    head = c.vocab * c.d
    Pmm = body + head
    T = P + N
    width = c.n_heads * c.hd  # every query head attends over hd dimensions
    attn_full = 4 * T * width * c.n_layers  # per token: QK^T + AV over all T keys
    fwd_tok = 2 * Pmm + attn_full  # per token, full (non-causal) T x T scores as executed
    train = B * T * 3 * fwd_tok  # fwd + bwd (= 2x fwd)
    ref = B * T * fwd_tok
    # generation as executed: prefill P tokens (P x P scores, head on last position only),
    # then N-1 one-token steps at position p with ctx = p + 1 keys.
    gen = B * (P * (2 * body + 4 * P * width * c.n_layers) + 2 * head)
    for p in range(P, P + N - 1):
        gen += B * (2 * Pmm + 4 * (p + 1) * width * c.n_layers)
    return dict(params_matmul=Pmm, params_total=Pmm + 2 * c.d * c.n_layers + c.d,
                gen=gen, policy_fwd_bwd=train, ref_fwd=ref, fwd_per_token=fwd_tok)


# --------------------------------------------------------------------------- checks
def run_checks():
    ok = True
    torch.manual_seed(1)
    c = Cfg(vocab=16, d=16, n_layers=2, n_heads=2, ffn=24, max_seq=32)
    n_prompts, G, P, N = 2, 4, 5, 6
    B = n_prompts * G

    # 1. KV-cache generation == full forward (fp64 and fp32; plain and grouped-query attention)
    gqa = Cfg(vocab=16, d=16, n_layers=2, n_heads=4, ffn=24, max_seq=32, n_kv_heads=2, head_dim=6)
    for cc, dt, tol in ((c, torch.float64, 1e-12), (c, torch.float32, 1e-5), (gqa, torch.float64, 1e-12)):
        m = LlamaLite(cc).to(dt)
        for p in m.parameters():
            p.data.normal_(0, 0.3)
        prompts = torch.randint(c.vocab, (n_prompts, P)).repeat_interleave(G, 0)
        seq, kept = generate(m, prompts, N, torch.Generator().manual_seed(0), keep_logits=True)
        with torch.no_grad():
            full = m(seq)[:, P - 1:-1]
        err = (full - kept).abs().max().item()
        good = err < tol
        ok &= good
        kind = "GQA 4/2 heads of 6" if cc is gqa else "MHA"
        print(f"[check] KV-cache decode vs full forward logits ({dt}, {kind}): max|diff| = {err:.2e}  "
              f"{'OK' if good else 'FAIL'}")

    # 2. finite-difference gradient check of the GRPO loss in float64
    torch.manual_seed(2)
    pol = LlamaLite(c).double()
    for p in pol.parameters():
        p.data.normal_(0, 0.3)
    ref = LlamaLite(c).double()
    ref.load_state_dict(pol.state_dict())
    for p in ref.parameters():  # make ref differ, so the KL gradient is non-zero
        p.data.add_(torch.randn_like(p) * 0.1)
    prompts = torch.randint(c.vocab, (n_prompts, P)).repeat_interleave(G, 0)
    seq = generate(pol, prompts, N, torch.Generator().manual_seed(3))
    rewards = torch.tensor([[1., 0, 0, 1], [0, 0, 1, 0]], dtype=torch.float64)
    adv = advantages(rewards)
    mask = torch.ones(B, N, dtype=torch.float64)
    mask[0, 4:] = 0  # exercise masking with unequal lengths
    with torch.no_grad():
        ref_logp = completion_logp(ref, seq, P)
        logp0 = completion_logp(pol, seq, P)
    cases = [("on-policy (ratio=1, as in the benchmark)", logp0.clone()),
             ("off-policy old logp (exercises clipping)", logp0 + torch.randn_like(logp0) * 0.4)]
    named = dict(pol.named_parameters())
    picks = [("tok_emb.weight", (3, 5)), ("layers.0.wqkv.weight", (2, 7)), ("layers.0.wqkv.weight", (40, 1)),
             ("layers.1.wo.weight", (4, 9)), ("layers.1.w13.weight", (30, 3)), ("layers.0.w2.weight", (5, 20)),
             ("layers.1.attn_norm.weight", (6,)), ("norm.weight", (11,))]
    h = 1e-5  # central differences; error floor ~1e-11 absolute in fp64
    for name, old in cases:
        ratio = torch.exp(logp0 - old)
        frac_clipped = ((ratio < 0.8) | (ratio > 1.2)).double().mean().item()
        pol.zero_grad()
        loss = grpo_loss_from_logp(completion_logp(pol, seq, P), old, ref_logp, adv, mask)
        loss.backward()
        worst = 0.0
        for pn, ix in picks:
            p = named[pn]
            g_an = p.grad[ix].item()
            with torch.no_grad():
                orig = p[ix].item()
                p[ix] = orig + h
                lp = grpo_loss_from_logp(completion_logp(pol, seq, P), old, ref_logp, adv, mask).item()
                p[ix] = orig - h
                lm = grpo_loss_from_logp(completion_logp(pol, seq, P), old, ref_logp, adv, mask).item()
                p[ix] = orig
            g_fd = (lp - lm) / (2 * h)
            rel = abs(g_an - g_fd) / max(abs(g_an), abs(g_fd), 1e-4)  # floor: tiny grads are FD-noise limited
            worst = max(worst, rel)
            if os.environ.get("GRPO_CHECK_VERBOSE"): print(f"    {pn}{ix}: autograd {g_an:+.10e} fd {g_fd:+.10e} rel {rel:.1e}")
        good = worst < 1e-6
        ok &= good
        print(f"[check] FD grad, {name}: {len(picks)} params, clipped tokens {frac_clipped:.0%}, "
              f"max rel err {worst:.2e}  {'OK' if good else 'FAIL'}")

    # 3. identical rewards within every group => advantages 0 => policy-gradient part is exactly zero
    same = torch.tensor([[1., 1, 1, 1], [0, 0, 0, 0]], dtype=torch.float64)
    adv0 = advantages(same)
    pol.zero_grad()
    grpo_loss(pol, seq, P, adv0, ref_logp, mask, beta=0.0).backward()
    gmax = max(p.grad.abs().max().item() for p in pol.parameters())
    pol.zero_grad()
    grpo_loss(pol, seq, P, adv0, ref_logp, mask, beta=0.04).backward()
    g_full = [p.grad.clone() for p in pol.parameters()]
    pol.zero_grad()
    lp = completion_logp(pol, seq, P)
    d = ref_logp - lp
    (0.04 * (((torch.exp(d) - d - 1) * mask).sum(1) / mask.sum(1)).mean()).backward()
    diff = max((a - p.grad).abs().max().item() for a, p in zip(g_full, pol.parameters()))
    good = adv0.abs().max().item() == 0.0 and gmax == 0.0 and diff < 1e-14
    ok &= good
    print(f"[check] identical rewards per group: max|adv| = {adv0.abs().max().item():.1e}, "
          f"max|grad| with beta=0 = {gmax:.1e}, full grad - KL-only grad = {diff:.1e}  {'OK' if good else 'FAIL'}")
    print("[check] ALL OK" if ok else "[check] SOME CHECKS FAILED")
    return ok


# --------------------------------------------------------------------------- benchmark
def openblas_info():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()
    except OSError:
        return "?", -1


def bench():
    c = MODELS[args.model]
    n_prompts, G, P, N = args.prompts, args.group, args.prompt_tokens, args.new_tokens
    B, T = n_prompts * G, P + N
    c.max_seq = max(c.max_seq, T)
    torch.manual_seed(args.seed)
    policy = LlamaLite(c)
    ref = LlamaLite(c)
    ref.load_state_dict(policy.state_dict())
    ref.requires_grad_(False).eval()
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(args.seed)
    fl = flops(c, B, P, N)

    def one_step():
        t0 = time.perf_counter()
        prompts = torch.randint(c.vocab, (n_prompts, P), generator=gen).repeat_interleave(G, 0)
        seq = generate(policy, prompts, N, gen, args.gen_mode)
        t1 = time.perf_counter()
        rewards = torch.randint(0, 2, (n_prompts, G), generator=gen).float()
        adv = advantages(rewards)
        mask = torch.ones(B, N)  # EOS ignored: every completion token counts
        with torch.inference_mode():
            ref_logp = completion_logp(ref, seq, P)
        ref_logp = ref_logp.clone()  # inference tensors cannot enter autograd graphs
        t2 = time.perf_counter()
        loss = grpo_loss(policy, seq, P, adv, ref_logp, mask)
        t3 = time.perf_counter()
        loss.backward()
        t4 = time.perf_counter()
        gnorm = torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        t5 = time.perf_counter()
        return dict(gen=t1 - t0, ref_fwd=t2 - t1, policy_fwd=t3 - t2, policy_bwd=t4 - t3,
                    policy_fwd_bwd=t4 - t2, opt=t5 - t4, step=t5 - t0, loss=loss.item(), gnorm=gnorm.item())

    rows = []
    for step in range(args.warmup + args.steps):
        r = one_step()
        tag = "warmup" if step < args.warmup else f"step {step - args.warmup}"
        print(f"{tag:8s} gen {r['gen']:.3f}s ref {r['ref_fwd']:.3f}s pol fwd {r['policy_fwd']:.3f}s "
              f"bwd {r['policy_bwd']:.3f}s opt {r['opt']:.4f}s step {r['step']:.3f}s "
              f"loss {r['loss']:+.5f} |g| {r['gnorm']:.3f}", flush=True)
        if step >= args.warmup:
            rows.append(r)
    if args.profile:
        from torch.profiler import profile, ProfilerActivity
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            one_step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    core, obt = openblas_info()
    out = dict(label=args.label, model=args.model, sequences=B, prompt_tokens=P, new_tokens=N, threads=args.threads, LD_PRELOAD=os.environ.get("LD_PRELOAD"), torch_threads=torch.get_num_threads(),
               openblas_core=core, openblas_threads=obt, OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE"),
               gen_mode=args.gen_mode, median=med, flops=fl,
               gen_tok_s=B * N / med["gen"], train_tok_s=B * T / med["policy_fwd_bwd"],
               gflops=dict(gen=fl["gen"] / med["gen"] / 1e9,
                           policy_fwd_bwd=fl["policy_fwd_bwd"] / med["policy_fwd_bwd"] / 1e9,
                           ref_fwd=fl["ref_fwd"] / med["ref_fwd"] / 1e9,
                           step=(fl["gen"] + fl["ref_fwd"] + fl["policy_fwd_bwd"]) / med["step"] / 1e9))
    if args.gen_compare:
        cmp = {"inference_mode": [], "no_grad": []}
        for i in range(6):
            for mode in ("inference_mode", "no_grad"):
                prompts = torch.randint(c.vocab, (n_prompts, P), generator=gen).repeat_interleave(G, 0)
                a = time.perf_counter()
                generate(policy, prompts, N, gen, mode)
                if i > 0:
                    cmp[mode].append(time.perf_counter() - a)
        out["gen_compare_median"] = {k: statistics.median(v) for k, v in cmp.items()}
    print(f"model={args.model} threads={args.threads} openblas={core}/{obt}t "
          f"OPENBLAS_CORETYPE={out['OPENBLAS_CORETYPE']} params={fl['params_total']}")
    print(f"median of {args.steps}: gen {med['gen']:.3f}s ({out['gen_tok_s']:.0f} new tok/s, "
          f"{out['gflops']['gen']:.1f} GFLOPS) | policy fwd+bwd {med['policy_fwd_bwd']:.3f}s "
          f"({out['train_tok_s']:.0f} tok/s, {out['gflops']['policy_fwd_bwd']:.1f} GFLOPS) | "
          f"ref fwd {med['ref_fwd']:.3f}s ({out['gflops']['ref_fwd']:.1f} GFLOPS) | opt {med['opt'] * 1e3:.1f}ms | "
          f"step {med['step']:.3f}s")
    if args.gen_compare:
        g = out["gen_compare_median"]
        print(f"generation: inference_mode {g['inference_mode']:.3f}s vs no_grad {g['no_grad']:.3f}s")
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    if args.check:
        sys.exit(0 if run_checks() else 1)
    bench()
