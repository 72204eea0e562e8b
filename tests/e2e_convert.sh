#!/usr/bin/env bash
# e2e_convert.sh - `grpo-studio convert`: a Hugging Face folder (the Qwen3 fixture: BF16 in two shards) written back
# comes out in BF16 with every tensor's bytes equal to the source's, its config keys and side files carried; the
# refusals (no source named, a source of another shape, a bad command line) exit non-zero and leave nothing behind.
# Usage: e2e_convert.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_convert.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_convert.sh BINARY SOURCE_DIR}
command -v python3 >/dev/null || { echo "e2e_convert: needs python3 (Debian package python3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_convert_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "e2e_convert: FAIL: $*"; exit 1; }
Q3=$SRC/tests/fixtures/hf/qwen3
"$BIN" convert "$Q3" --like "$Q3" --out "$WORK/q3" >"$WORK/ok.log" 2>&1 || { cat "$WORK/ok.log"; fail "convert exited $?"; }
grep -q "Qwen3ForCausalLM in bfloat16" "$WORK/ok.log" || fail "output: $(cat "$WORK/ok.log")"
for f in tokenizer.json tokenizer_config.json generation_config.json; do
    cmp -s "$Q3/$f" "$WORK/q3/$f" || fail "$f not carried over unchanged"
done
python3 - "$Q3" "$WORK/q3" <<'PY' || fail "tensors differ"
import json, struct, sys
def tensors(d, files):
    out = {}
    for f in files:
        raw = open(f"{d}/{f}", "rb").read()
        (n,) = struct.unpack("<Q", raw[:8])
        h = json.loads(raw[8:8 + n])
        for k, v in h.items():
            if k == "__metadata__":
                continue
            a, b = v["data_offsets"]
            out[k] = (v["dtype"], v["shape"], raw[8 + n + a:8 + n + b])
    return out
src_files = sorted(set(json.load(open(f"{sys.argv[1]}/model.safetensors.index.json"))["weight_map"].values()))
a, b = tensors(sys.argv[1], src_files), tensors(sys.argv[2], ["model.safetensors"])
assert a.keys() == b.keys(), (sorted(a.keys() ^ b.keys()))
bad = [k for k in a if a[k] != b[k]]
assert not bad, bad[:5]
cfg_a, cfg_b = json.load(open(f"{sys.argv[1]}/config.json")), json.load(open(f"{sys.argv[2]}/config.json"))
assert cfg_b["architectures"] == ["Qwen3ForCausalLM"] and cfg_b["torch_dtype"] == "bfloat16", cfg_b
missing = [k for k in cfg_a if k not in cfg_b]
assert not missing, missing
print(f"e2e_convert: {len(a)} tensors bit-identical")
PY
# refusals: nothing written
"$BIN" convert "$SRC/assets/base-add" --out "$WORK/x1" >"$WORK/r1.log" 2>&1 && fail "convert without a source succeeded"
grep -q "give --like HF_FOLDER" "$WORK/r1.log" || fail "no-source message: $(cat "$WORK/r1.log")"
"$BIN" convert "$SRC/assets/base-add" --like "$Q3" --out "$WORK/x2" >"$WORK/r2.log" 2>&1 && fail "shape mismatch succeeded"
grep -q "is not shaped like" "$WORK/r2.log" || fail "shape message: $(cat "$WORK/r2.log")"
"$BIN" convert "$Q3" >"$WORK/r3.log" 2>&1; [ $? = 2 ] || fail "missing --out is not a usage error"
"$BIN" convert "$WORK/none" --out "$WORK/x3" >"$WORK/r4.log" 2>&1 && fail "a missing checkpoint succeeded"
for x in x1 x2 x3; do [ -e "$WORK/$x" ] && fail "$x was left behind"; done
ls "$WORK" | grep -q "tmp-" && fail "a temporary folder was left behind"
echo "e2e_convert: ok"
