#!/usr/bin/env bash
# e2e_bpe_run.sh - GRPO with a real tokenizer: a small random model with Llama-2's tokenizer.json on the shipped
# GSM8K-style problems, headless, with a database; then the checkpoint carries the tokenizer byte for byte, the
# rollouts' prompts hold the questions verbatim, `sample` opens the checkpoint, and `train --resume` continues.
# Usage: e2e_bpe_run.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_bpe_run.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_bpe_run.sh BINARY SOURCE_DIR}
TOK=$(dirname "$BIN")/tokenizers/llama2/tokenizer.json
WORK=$(mktemp -d /tmp/e2e_bpe_run_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_bpe_run: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done
    exit 1
}
[ -s "$TOK" ] || fail "no $TOK (the build decompresses tests/fixtures/tokenizers)"
cd "$WORK"
SETS=(--set model.init=random --set "model.tokenizer=$TOK" --set model.preset=custom --set model.d_model=64
      --set model.n_layers=2 --set model.n_heads=2 --set model.ffn_hidden=128 --set model.max_seq=320
      --set task.name=gsm8k --set "task.path=$SRC/assets/gsm8k-style/problems.jsonl"
      --set 'task.prompt_template="User: {question}\nAssistant: <think>"'
      --set grpo.prompts_per_step=2 --set grpo.group_size=4 --set sampling.max_new_tokens=16
      --set run.eval_problems=4 --set run.eval_samples=2 --set run.eval_every=2 --set run.checkpoint_every=2
      --set run.out_dir=out --set run.name=bpe)
"$BIN" train "$SRC/configs/default.ini" --headless "${SETS[@]}" --set run.steps=2 --db run.db >train.log 2>&1 \
    || fail "train exited $?"
CK=$(sed -n 's/^# last checkpoint //p' train.log)
[ -n "$CK" ] && [ -d "$CK" ] || fail "no checkpoint (\"$CK\")"
case "$CK" in */step-000002) ;; *) fail "last checkpoint $CK is not step 2's" ;; esac
cmp -s "$TOK" "$CK/tokenizer.json" || fail "the checkpoint's tokenizer.json differs from the one trained with"
n=$(sqlite3 run.db "select count(*) from rollouts where step = 2")
[ "$n" = 8 ] || fail "step 2 has $n rollouts, expected 8"
# the prompt text of a rollout is the template around a question of the file, verbatim
q=$(sqlite3 run.db "select t.prompt from rollout_texts t join rollouts r on r.id = t.id where r.step = 1 limit 1")
case "$q" in "User: "*"?"$'\n'"Assistant: <think>") ;; *) fail "prompt text not as templated: $q" ;; esac
question=${q#User: }; question=${question%$'\n'Assistant: <think>}
grep -qF "\"question\": \"$question\"" "$SRC/assets/gsm8k-style/problems.jsonl" || fail "question not verbatim: $question"
"$BIN" sample "$CK" "Tom has 3 pens." -n 2 --max-new 8 >sample.log 2>&1 || fail "sample from the checkpoint exited $?"
grep -q "^Tom has 3 pens.<think>" sample.log || fail "sample does not echo the prompt"
"$BIN" train --resume run.db --headless --set run.steps=3 >resume.log 2>&1 || fail "resume exited $?"
s=$(sqlite3 run.db "select max(step) from rollouts")
[ "$s" = 3 ] || fail "after resume the last step is $s, expected 3"
echo "e2e_bpe_run: ok ($(grep -c '^step' train.log) steps, resumed to step $s)"
