#!/usr/bin/env bash
# e2e_hf_run.sh - GRPO from a Hugging Face model folder (the Qwen3 fixture: BF16 in two shards, q/k norms, head_dim
# apart from C/H, its byte-level tokenizer.json): headless steps with a database on GSM8K-format problems, a
# checkpoint that `sample` opens, `train --resume`, then `convert` back to a Hugging Face folder in BF16 that opens
# again (sample) and carries the source's tokenizer.
# Usage: e2e_hf_run.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_hf_run.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_hf_run.sh BINARY SOURCE_DIR}
WORK=$(mktemp -d /tmp/e2e_hf_run_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_hf_run: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done
    exit 1
}
Q3=$SRC/tests/fixtures/hf/qwen3
cd "$WORK"
# short questions: the fixture's context is 128 tokens
for i in $(seq 1 40); do
    printf '{"question": "What is %d plus %d?", "answer": "%d+%d=<<%d+%d=%d>>%d\\n#### %d"}\n' \
        $i $((i * 3)) $i $((i * 3)) $i $((i * 3)) $((i * 4)) $((i * 4)) $((i * 4))
done > sums.jsonl
SETS=(--set "model.init=$Q3" --set task.path=sums.jsonl --set task.eval_size=4
      --set 'task.prompt_template="<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n<think>"'
      --set sampling.max_new_tokens=24 --set run.eval_problems=4 --set run.eval_every=2 --set run.checkpoint_every=2
      --set run.out_dir=out --set run.name=hf)
"$BIN" train "$SRC/configs/hf-gsm8k.ini" --headless "${SETS[@]}" --set run.steps=2 --db run.db >train.log 2>&1 \
    || fail "train exited $?"
grep -q "from $Q3" train.log || fail "the run does not say it started from the folder"
CK=$(sed -n 's/^# last checkpoint //p' train.log)
[ -n "$CK" ] && [ -d "$CK" ] || fail "no checkpoint (\"$CK\")"
cmp -s "$Q3/tokenizer.json" "$CK/tokenizer.json" || fail "the checkpoint's tokenizer.json is not the folder's"
n=$(sqlite3 run.db "select count(*) from rollouts where step = 2")
[ "$n" = 16 ] || fail "step 2 has $n rollouts, expected 16 (4 prompts x 4)"
"$BIN" sample "$CK" "What is 2 plus 2?" -n 2 --max-new 8 >sample.log 2>&1 || fail "sample from the checkpoint exited $?"
"$BIN" train --resume run.db --headless --set run.steps=3 >resume.log 2>&1 || fail "resume exited $?"
[ "$(sqlite3 run.db "select max(step) from rollouts")" = 3 ] || fail "resume did not reach step 3"
CK3=$(sed -n 's/^# last checkpoint //p' resume.log)
"$BIN" convert "$CK3" --out hf-out >convert.log 2>&1 || fail "convert exited $?"
grep -q "Qwen3ForCausalLM in bfloat16" convert.log || fail "convert: $(cat convert.log)"
cmp -s "$Q3/tokenizer.json" hf-out/tokenizer.json || fail "the converted folder's tokenizer.json is not the source's"
"$BIN" sample hf-out "What is 2 plus 2?" -n 1 --max-new 4 >sample2.log 2>&1 || fail "sample from the converted folder exited $?"
echo "e2e_hf_run: ok (2 steps, resumed to 3, converted to BF16)"
