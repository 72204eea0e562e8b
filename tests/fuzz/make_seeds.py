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


def gpt2_bytes():
    """GPT-2's byte-to-unicode map, as tokenizer.json's byte-level vocabularies spell bytes."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def bpe_json_seeds():
    """Small tokenizer.json files (under 4096 bytes) with the components core/bpe reads."""
    m = gpt2_bytes()
    vocab = {m[b]: b for b in range(256)}
    merges = [["\u0120", "t"], ["h", "e"], ["\u0120t", "he"], ["1", "2"]]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    added = [{"id": len(vocab), "content": "<|im_start|>", "special": True, "normalized": False},
             {"id": len(vocab) + 1, "content": "<think>", "special": False, "normalized": False, "lstrip": True}]
    byte_level = {"version": "1.0", "added_tokens": added, "normalizer": {"type": "NFC"},
                  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                      {"type": "Split", "pattern": {"Regex": "(?i:'s|'t)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                                                              "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s+(?!\\S)|\\s+"},
                       "behavior": "Isolated", "invert": False},
                      {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
                  "post_processor": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"},
                  "model": {"type": "BPE", "ignore_merges": True, "vocab": vocab, "merges": merges}}
    put("bpe_json", "byte-level", json.dumps(byte_level, ensure_ascii=False, separators=(",", ":")))
    byte_level["model"]["merges"] = [a + " " + b for a, b in merges]
    byte_level["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "use_regex": True}
    put("bpe_json", "byte-level-gpt2", json.dumps(byte_level, ensure_ascii=False, separators=(",", ":")))

    sp_vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        sp_vocab["<0x%02X>" % b] = len(sp_vocab)
    for tok in ["\u2581", "a", "b", "H", "e", "l", "o", "\u2581H", "ll", "\u2581He", "\u2581Hell", "\u2581Hello"]:
        sp_vocab[tok] = len(sp_vocab)
    sp = {"added_tokens": [{"id": i, "content": c, "special": True} for i, c in enumerate(["<unk>", "<s>", "</s>"])],
          "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                             {"type": "Replace", "pattern": {"String": " "},
                                                              "content": "\u2581"}]},
          "pre_tokenizer": None,
          "post_processor": {"type": "TemplateProcessing",
                             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                             "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
          "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                       {"type": "ByteFallback"}, {"type": "Fuse"},
                                                       {"type": "Strip", "content": " ", "start": 1, "stop": 1}]},
          "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True, "vocab": sp_vocab,
                    "merges": ["\u2581 H", "l l", "\u2581H e", "\u2581He ll", "\u2581Hell o"]}}
    put("bpe_json", "sentencepiece", json.dumps(sp, ensure_ascii=False, separators=(",", ":")))

    small = {"a": 0, "-": 1, "a-": 2, "-a": 3, "1": 4, "2": 5, "12": 6, "\u2581": 7, "\u2581a": 8, " ": 9}
    for i, pt in enumerate([
            {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithPrevious", "invert": False},
            {"type": "Split", "pattern": {"Regex": "-+"}, "behavior": "Contiguous", "invert": True},
            {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                   {"type": "Split", "pattern": {"String": "a"}, "behavior": "MergedWithNext"}]},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
            {"type": "Whitespace"}, {"type": "WhitespaceSplit"}]):
        tj = {"pre_tokenizer": pt, "model": {"type": "BPE", "ignore_merges": True, "vocab": small, "merges": ["a -"]},
              "normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "Strip"}, {"type": "NFKC"}]},
              "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
              "added_tokens": [{"id": 10, "content": "<x>", "single_word": True, "rstrip": True}]}
        put("bpe_json", "small-%d" % i, json.dumps(tj, ensure_ascii=False, separators=(",", ":")))
    put("bpe_json", "no-model", "{}")
    put("bpe_json", "wordpiece", '{"model": {"type": "WordPiece", "vocab": {}}}')


def bpe_text_seeds():
    """A tokenizer-choosing byte (even: Qwen3, odd: Llama-2), then text."""
    texts = ["Hello, world!", "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<think>4</think>", "\u4f60\u597d\u4e16\u754c",
             "  spaces\t\ttabs\n\n\nnewlines", "e\u0301 caf\u00e9 \ufb01 \u212b", "\U0001F468\u200d\U0001F469\u200d\U0001F467",
             "def f(x):\n    return x ** 2  # square\n", "$\\frac{1}{2}$ 12345678901234567890", "Hello</s>world<s>",
             "\u2581\u2581x \u180e\ufeff\u0085"]
    for i, s in enumerate(texts):
        for which in (0, 1):
            put("bpe_text", "%d-%s" % (i, "qwen3" if which == 0 else "llama2"), bytes([which]) + s.encode())
    put("bpe_text", "invalid", b"\x01a\xe4\xbd b\xff\xfe \xed\xa0\x80 \xf0\x9f\x98")
    put("bpe_text", "invalid-qwen3", b"\x00\xc0\xaf\xe0\x80\x80x\xf4\x90\x80\x80")
    put("bpe_text", "long-word", b"\x00" + b"a" * 3000)
    put("bpe_text", "long-word-llama2", b"\x01" + "\u4e2d".encode() * 1000)


if __name__ == "__main__":
    for t in ("config", "checkpoint", "tokenizer", "task_jsonl", "sft_jsonl", "query", "bpe_json", "bpe_text"):
        os.makedirs(os.path.join(HERE, "corpus", t), exist_ok=True)
    config_seeds()
    checkpoint_seeds()
    tokenizer_seeds()
    jsonl_seeds()
    query_seeds()
    bpe_json_seeds()
    bpe_text_seeds()
