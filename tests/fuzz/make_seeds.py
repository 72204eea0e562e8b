#!/usr/bin/env python3
"""make_seeds.py - writes the hand-made seed inputs of the fuzz corpora (tests/fuzz/corpus/<target>/seed-*).

Run from anywhere: python3 tests/fuzz/make_seeds.py. The real inputs of the repository (configs/*.ini,
assets/base-add/*.json and the safetensors header) are copied in too. The committed corpora are these seeds merged
with what the fuzzer found (libFuzzer -merge=1 into a fresh directory, see the Makefile's fuzz target)."""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPECIALS = ["<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"]
ALPHABET = "\n" + "".join(chr(c) for c in range(32, 127))
ST_SEP = b"\n--model.safetensors--\n"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def llama_config(V=103, C=4, F=2, L=1, H=1, T=8, tied=True, **extra):
    c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": V, "hidden_size": C,
         "intermediate_size": F, "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": H,
         "head_dim": C // H, "max_position_embeddings": T, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
         "tie_word_embeddings": tied, "hidden_act": "silu", "torch_dtype": "float32", "bos_token_id": 1,
         "eos_token_id": 2, "pad_token_id": 0, "attention_bias": False, "mlp_bias": False}
    c.update(extra)
    return c


def tensors(V, C, F, L, tied):
    """(name, shape) in the order core/model.c's model_tensor_info lists them."""
    out = [("model.embed_tokens.weight", [V, C])]
    for l in range(L):
        p = "model.layers.%d." % l
        out += [(p + "input_layernorm.weight", [C]), (p + "self_attn.q_proj.weight", [C, C]),
                (p + "self_attn.k_proj.weight", [C, C]), (p + "self_attn.v_proj.weight", [C, C]),
                (p + "self_attn.o_proj.weight", [C, C]), (p + "post_attention_layernorm.weight", [C]),
                (p + "mlp.gate_proj.weight", [F, C]), (p + "mlp.up_proj.weight", [F, C]),
                (p + "mlp.down_proj.weight", [C, F])]
    out.append(("model.norm.weight", [C]))
    if not tied:
        out.append(("lm_head.weight", [V, C]))
    return out


def safetensors(V=103, C=4, F=2, L=1, tied=True, value=0.01, reverse=False):
    header, data, at = {"__metadata__": {"format": "pt"}}, b"", 0
    items = tensors(V, C, F, L, tied)
    for name, shape in (reversed(items) if reverse else items):
        n = 1
        for s in shape:
            n *= s
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [at, at + 4 * n]}
        data += struct.pack("<%df" % n, *([value] * n))
        at += 4 * n
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def checkpoint_seeds():
    for name in ("config.json",):
        shutil.copy(os.path.join(ROOT, "assets/base-add", name), os.path.join(HERE, "corpus/checkpoint/seed-base-add-" + name))
    cfg = lambda **k: json.dumps(llama_config(**k), indent=1).encode()
    # base-add's real header (its data cut short) under a tiny config.json, which the harness can afford to load:
    # the header parses, then its first tensor has the wrong shape
    with open(os.path.join(ROOT, "assets/base-add/model.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        f.seek(0)
        head = f.read(8 + n + 64)
    put("checkpoint", "base-add-header", cfg() + ST_SEP + head)
    put("checkpoint", "tiny-tied", cfg() + ST_SEP + safetensors())
    put("checkpoint", "tiny-untied", cfg(tied=False, L=2, C=4, H=2) + ST_SEP + safetensors(tied=False, L=2))
    put("checkpoint", "tiny-reversed-order", cfg() + ST_SEP + safetensors(reverse=True))
    put("checkpoint", "nan-weights", cfg() + ST_SEP + safetensors(value=float("nan")))
    put("checkpoint", "lm-head-when-tied", cfg() + ST_SEP + safetensors(tied=False))
    put("checkpoint", "wrong-shape", cfg(C=2, F=2) + ST_SEP + safetensors())
    st = bytearray(safetensors())
    st[0:8] = struct.pack("<Q", 1 << 40)
    put("checkpoint", "huge-header-length", cfg() + ST_SEP + bytes(st))
    put("checkpoint", "gqa", cfg(H=2, num_key_value_heads=1))
    put("checkpoint", "odd-head", cfg(C=6, H=2, head_dim=3))
    put("checkpoint", "bad-types", json.dumps(dict(llama_config(), vocab_size=103.5, rope_theta="x")).encode())
    # more tensors than the loader's table holds (9 L + 2 > 4096): model.norm.weight left out of the header
    st = safetensors(V=103, C=2, F=1, L=455)
    n = struct.unpack("<Q", st[:8])[0]
    header = json.loads(st[8:8 + n])
    del header["model.norm.weight"]
    h = json.dumps(header, separators=(",", ":")).encode()
    put("checkpoint", "455-layers", cfg(C=2, F=1, L=455) + ST_SEP + struct.pack("<Q", len(h)) + h + st[8 + n:-8])
    put("checkpoint", "not-object", b"[1, 2, 3]" + ST_SEP + b"\x02\0\0\0\0\0\0\0{}")


def tokenizer_seeds():
    shutil.copy(os.path.join(ROOT, "assets/base-add/tokenizer.json"), os.path.join(HERE, "corpus/tokenizer/seed-base-add"))
    tok = lambda **k: json.dumps(dict({"type": "grpo-studio-char", "version": 1, "specials": SPECIALS}, **k)).encode()
    put("tokenizer", "bytes", tok(alphabet_bytes=[ord(c) for c in ALPHABET[:-1]] + [200]))
    put("tokenizer", "spells-special", tok(alphabet="<>padbos/thinkeswr" + ALPHABET[40:118]))
    put("tokenizer", "duplicate-char", tok(alphabet="aab"))
    put("tokenizer", "both-forms", tok(alphabet="ab", alphabet_bytes=[97]))
    put("tokenizer", "nul", tok(alphabet="a\u0000b"))
    put("tokenizer", "wrong-special", tok(specials=SPECIALS[::-1], alphabet=ALPHABET))
    put("tokenizer", "version-2", tok(version=2, alphabet=ALPHABET))


def jsonl_seeds():
    lines = [{"prompt": "%d+%d=" % (i, 2 * i), "answer": str(3 * i)} for i in range(12)]
    text = "".join(json.dumps(l) + "\n" for l in lines)
    put("task_jsonl", "add", text)
    put("task_jsonl", "numbers", '{"prompt": "half of 3", "answer": 1.5}\n{"prompt": "big", "answer": 1e300}\r\n'
        '\n   \n{"prompt": "neg", "answer": -7}\n{"prompt": "int", "answer": 12345678901234567890}\n')
    put("task_jsonl", "errors", '{"prompt": "a", "answer": "1"}\n{"prompt": "b<think>", "answer": "1"}\n')
    put("task_jsonl", "nul-in-line", b'{"prompt": "a", "answer": "1"}\n{"prompt": "b", "ans\0wer": "1"}\n')
    put("task_jsonl", "unicode", '{"prompt": "caf\\u00e9", "answer": "1"}\n')
    put("task_jsonl", "duplicates", '{"prompt": "a", "answer": "1"}\n' * 3 + '{"prompt": "b", "answer": " 1 "}')
    sft = [{"prompt": "%d+%d=<think>" % (i, i), "completion": "</think><answer>%d</answer>" % (2 * i)} for i in range(6)]
    text = "".join(json.dumps(l) + "\n" for l in sft)
    put("sft_jsonl", "add", text)
    put("sft_jsonl", "too-long", json.dumps({"prompt": "x" * 40, "completion": "y"}) + "\n" + text)
    put("sft_jsonl", "empty-completion", '{"prompt": "", "completion": ""}\n')
    put("sft_jsonl", "bad-char", '{"prompt": "a", "completion": "\\u00e9"}\n')
    put("sft_jsonl", "nul-in-line", b'{"prompt": "a", "completion": "b"}\0garbage\n')
    put("sft_jsonl", "not-object", '[1]\n"x"\n')


def query_seeds():
    flags = lambda fts, sort, desc: bytes([(1 if fts else 0) | (sort << 1) | (8 if desc else 0)])
    put("query", "words", flags(0, 0, 1) + b"\nwait check")
    put("query", "filter-all", flags(0, 1, 0) + b"step=1-3 reward>=0.25 correct aha truncated len<=20 prompt=1\n")
    put("query", "fts-near", flags(1, 0, 1) + b'step>=2\n"wait" NEAR/5 "check"')
    put("query", "fts-prefix-or", flags(1, 2, 0) + b"wrong noaha\nveri* OR carry")
    put("query", "fts-bad", flags(1, 3, 1) + b'\n"unterminated AND (')
    put("query", "punctuation", flags(0, 0, 1) + b'\n% " * ^ :')
    put("query", "bad-filter", flags(0, 0, 0) + b"step=5-2 reward>x len>=3\n")
    put("query", "column-filter", flags(1, 1, 1) + b"selfcorrect finished\ncompletion: ok")


def config_seeds():
    for ini in sorted(os.listdir(os.path.join(ROOT, "configs"))):
        shutil.copy(os.path.join(ROOT, "configs", ini), os.path.join(HERE, "corpus/config/seed-" + ini))
    put("config", "set-args", b"[run]\nsteps = 5\n\0run.seed=7\0model.preset=custom\0model.d_model=64")
    put("config", "quoted-multiline", '[task]\nname = jsonl\npath = "a\\x3bb" "c\\n"\n  "continued"\n')
    put("config", "enum-bool", "[model]\n  preset = small\n[grpo]\naggregation = DR_GRPO\nscale_std = off\n")
    put("config", "bad-section", "[modle]\nd_model = 64\n")
    put("config", "set-overflow", b"\0grpo.group_size=99999999999999999999\0")
    put("config", "long-line", "[run]\nname = " + "n" * 5000 + "\n")


if __name__ == "__main__":
    for t in ("config", "checkpoint", "tokenizer", "task_jsonl", "sft_jsonl", "query"):
        os.makedirs(os.path.join(HERE, "corpus", t), exist_ok=True)
    config_seeds()
    checkpoint_seeds()
    tokenizer_seeds()
    jsonl_seeds()
    query_seeds()
