#!/usr/bin/env python3
"""check_safetensors.py - an independent check of checkpoint directories written by core/checkpoint.c.

Not part of the test suite (it needs torch): run it by hand on one or more checkpoint directories,
    python3 tests/check_safetensors.py runs/default/run-1/step-000050
It reads model.safetensors the way the safetensors specification (and the Rust crate's validation) does - 8-byte
little-endian header length, a JSON header starting with '{', "__metadata__" {"format": "pt"}, byte ranges that
tile the data exactly - checks every tensor's name, dtype and shape against config.json as Hugging Face's
LlamaForCausalLM expects them, and loads each tensor into torch."""
import json
import struct
import sys

import torch


def check(d):
    raw = open(f"{d}/model.safetensors", "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    hdr = raw[8:8 + n]
    assert hdr[:1] == b"{", "header must start with {"
    h = json.loads(hdr.decode("utf-8"))
    assert h.pop("__metadata__") == {"format": "pt"}
    buf = raw[8 + n:]
    at = 0
    for b, e, k in sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in h.items()):
        assert b == at, f"{k}: begins at {b}, expected {at}"
        at = e
    assert at == len(buf), f"data ends at {at} but the buffer holds {len(buf)} bytes"
    cfg = json.load(open(f"{d}/config.json"))
    assert cfg["model_type"] == "llama" and cfg["architectures"] == ["LlamaForCausalLM"]
    C, F, V, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    want = {"model.embed_tokens.weight": [V, C], "model.norm.weight": [C]}
    for i in range(L):
        p = f"model.layers.{i}."
        for x in "qkvo":
            want[p + f"self_attn.{x}_proj.weight"] = [C, C]
        want[p + "mlp.gate_proj.weight"] = [F, C]
        want[p + "mlp.up_proj.weight"] = [F, C]
        want[p + "mlp.down_proj.weight"] = [C, F]
        want[p + "input_layernorm.weight"] = [C]
        want[p + "post_attention_layernorm.weight"] = [C]
    if not cfg["tie_word_embeddings"]:
        want["lm_head.weight"] = [V, C]
    assert set(want) == set(h), f"tensor names differ: {sorted(set(want) ^ set(h))}"
    total = 0
    for k, v in h.items():
        assert v["dtype"] == "F32" and v["shape"] == want[k], (k, v)
        b, e = v["data_offsets"]
        t = torch.frombuffer(bytearray(buf[b:e]), dtype=torch.float32).reshape(v["shape"])
        assert torch.isfinite(t).all(), k
        total += t.numel()
    print(f"{d}: ok, {len(h)} tensors, {total} parameters")


if __name__ == "__main__":
    for d in sys.argv[1:]:
        check(d)
