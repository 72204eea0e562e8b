#!/usr/bin/env bash
# e2e_cli.sh - bad command lines are usage errors: each exits 2 (never 0, 1, or a crash such as SIGABRT 134 or
# SIGSEGV 139) with a message naming the option, the value and what is allowed, before anything is loaded or
# written; and a good one still works.
#   bash tests/e2e_cli.sh <path-to-grpo-studio> <source-dir>
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
TMP=$(mktemp -d /tmp/e2e_cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
CK="$SRC/assets/base-add"
FAILED=0

# expect CODE 'MESSAGE PART' ARGS... : runs grpo-studio ARGS, checks the exit status and that stderr has the part.
expect() {
    local want=$1 part=$2
    shift 2
    timeout 120 "$BIN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    local rc=$?
    if [ "$rc" != "$want" ] || ! grep -qF -- "$part" "$TMP/err"; then
        echo "FAIL: grpo-studio $* -> exit $rc (want $want), stderr:"
        sed 's/^/    /' "$TMP/err"
        [ -n "$part" ] && echo "    (expected to contain: $part)"
        FAILED=1
    fi
}

# the ones the issue names
expect 2 "--max-new: sampling.max_new_tokens = 0: expected an integer in 1 .. 16384" sample "$CK" 1+2= --max-new 0
expect 2 "--samples: run.eval_samples = 0: expected an integer in 1 .. 64" eval "$CK" --samples 0
expect 2 "--samples: run.eval_samples = abc: not an integer" eval "$CK" --samples abc
expect 2 "--samples: run.eval_samples = 100000: expected an integer in 1 .. 64" eval "$CK" --samples 100000
# sample
expect 2 "-n 0: expected an integer in 1 .. 256" sample "$CK" 1+2= -n 0
expect 2 "-n 1000: expected an integer in 1 .. 256" sample "$CK" 1+2= -n 1000
expect 2 "-n 65: expected an integer in 1 .. 64" sample "$CK" --rejection "$TMP/r.jsonl" -n 65
expect 2 "--temperature: sampling.temperature = 0: expected a number in 0.01 .. 10" sample "$CK" 1+2= --temperature 0
expect 2 "--temperature: sampling.temperature = nan" sample "$CK" 1+2= --temperature nan
expect 2 "--top-p: sampling.top_p = 1.5" sample "$CK" 1+2= --top-p 1.5
expect 2 "--top-k: sampling.top_k = 3x" sample "$CK" 1+2= --top-k 3x
expect 2 "--max-new: sampling.max_new_tokens = 99999999999999999999" sample "$CK" 1+2= --max-new 99999999999999999999
expect 2 "--seed: run.seed = -1" sample "$CK" 1+2= --seed -1
expect 2 "--problems 0: expected an integer in 1 .. 1000000" sample "$CK" --rejection "$TMP/r.jsonl" --problems 0
expect 2 "--max-length abc" sample "$CK" --rejection "$TMP/r.jsonl" --max-length abc
expect 2 "option '--max-new' needs a value" sample "$CK" 1+2= --max-new
expect 2 "unknown option '--frobnicate'" sample "$CK" 1+2= --frobnicate
expect 2 "unexpected argument 'extra'" sample "$CK" 1+2= extra
[ -e "$TMP/r.jsonl" ] && { echo "FAIL: a refused rejection run created its output file"; FAILED=1; }
# eval
expect 2 "--problems: run.eval_problems = -5" eval "$CK" --problems -5
expect 2 "--task: task.name = nosuch: expected one of add|mul|countdown|letters|jsonl" eval "$CK" --task nosuch
expect 2 "--set run.eval_samples = 0" eval "$CK" --set run.eval_samples=0
expect 2 "unknown key (did you mean sampling.top_k?)" eval "$CK" --set sampling.topk=3
expect 2 "option '--samples' needs a value" eval "$CK" --samples
# train, pretrain, sft
expect 2 "--set run.threads = 0: expected an integer in 1 .. 64" train --headless --set run.threads=0
expect 2 "--set run.threads = 65" train --headless --set run.threads=65
expect 2 "--set grpo.group_size = many" train --headless --set grpo.group_size=many
expect 2 "unknown option '--headlesss'" train --headlesss
expect 2 "more than one config given ('b.ini')" train a.ini b.ini
expect 2 "cannot be given too" train --resume run.db "$SRC/configs/default.ini"
expect 2 "--json goes with --headless" train --json
expect 2 "--set pretrain.steps = 1.5" pretrain "$SRC/configs/pretrain-add.ini" --set pretrain.steps=1.5
expect 2 "--from is an option of sft" pretrain "$SRC/configs/pretrain-add.ini" --from x
expect 2 "--corpus 0: expected an integer in 1 .. 100000" pretrain "$SRC/configs/pretrain-countdown.ini" --corpus 0
expect 2 "--corpus is an option of pretrain" sft "$SRC/configs/pretrain-add.ini" --corpus 3
expect 1 "[task] numbers_min = 4 is above numbers = 3" pretrain "$SRC/configs/pretrain-countdown.ini" --corpus 2 --set task.numbers_min=4
expect 1 "task.numbers_min = 1: expected 0 (= task.numbers) or 2..3" pretrain "$SRC/configs/pretrain-countdown.ini" --corpus 2 --set task.numbers_min=1
expect 2 "--set sft.batch_size = 0" sft "$SRC/configs/default.ini" --set sft.batch_size=0
ls runs checkpoints >/dev/null 2>&1 && { echo "FAIL: a refused command line created files: $(ls)"; FAILED=1; }
# export, browse, bench, filldb
expect 2 "--min-step 3x: expected an integer in 0 .. 1073741824" export run.db --jsonl - --min-step 3x
expect 2 "--max-reward inf: expected a number" export run.db --jsonl - --max-reward inf
expect 2 "--run 0: expected an integer in 1 .." export run.db --jsonl - --run 0
expect 2 "--search: at most 255 characters" export run.db --jsonl - --search "$(printf 'w%.0s' {1..300})"
expect 2 "unknown option '--nope'" browse --nope run.db
expect 1 "cannot read b.db" browse "$SRC/configs/default.ini" b.db
expect 2 "--threads 0: expected an integer in 1 .. 64" bench --threads 0
expect 2 "--steps many: expected an integer in 1 .. 100000" bench --steps many
expect 2 "--group 1: expected an integer in 2 .. 256" filldb "$TMP/f.db" --group 1
expect 2 "--rollouts -3: expected an integer in 1 .. 1000000000" filldb "$TMP/f.db" --rollouts -3
expect 2 "at most 65536 (run.max_batch)" filldb "$TMP/f.db" --group 256 --prompts 1024
[ -e "$TMP/f.db" ] && { echo "FAIL: a refused filldb created its database"; FAILED=1; }

# JSONL: failures at load time with file and line, long SFT examples reported
printf '{"prompt": "1+1=", "answer": "2"}\n{"prompt": "%s", "answer": "2"}\n{"prompt": "2+2=", "answer": "4"}\n' \
    "$(printf '1%.0s' {1..255})" >"$TMP/long.jsonl"
expect 1 "long.jsonl:2: the prompt is 257 tokens" eval "$CK" --set task.name=jsonl --set task.path="$TMP/long.jsonl"
expect 1 "long.jsonl:2: the prompt is 257 tokens" train --headless --db none --set task.name=jsonl \
    --set task.path="$TMP/long.jsonl"
printf '{"prompt": "1+1=", "answer": "2"}\n{"prompt": "2+2=", "answer": "4"}\0\n{"prompt": "3+3=", "answer": "6"}\n' \
    >"$TMP/nul.jsonl"
expect 1 "nul.jsonl:2: a NUL byte at byte 34" eval "$CK" --set task.name=jsonl --set task.path="$TMP/nul.jsonl"
{
    echo '{"prompt": "1+1=<think>", "completion": "2</think> <answer>2</answer>"}'
    printf '{"prompt": "1+2=<think>", "completion": "%s"}\n' "$(printf 'x%.0s' {1..300})"
    echo '{"prompt": "2+2=<think>", "completion": "4</think> <answer>4</answer>"}'
} >"$TMP/sft.jsonl"
expect 0 "sft.jsonl: left out 1 of 3 examples, longer than the model's context of 256 tokens (counting <bos> and <eos>): line 2 (307 tokens)" \
    sft "$SRC/configs/default.ini" --data "$TMP/sft.jsonl" --set sft.steps=1 --no-eval --out "$TMP/sft-out"

# search: punctuation is searched for, not dropped (which matched every rollout)
"$BIN" filldb "$TMP/s.db" --rollouts 256 --seed 3 >/dev/null 2>&1 || { echo "FAIL: filldb"; FAILED=1; }
for pat in '%' '"' '*' '%%'; do
    n=$("$BIN" export "$TMP/s.db" --jsonl - --search "$pat" 2>/dev/null | wc -l)
    [ "$n" = 0 ] || { echo "FAIL: export --search '$pat' gave $n of 256 rollouts (no completion holds it)"; FAILED=1; }
done
n=$("$BIN" export "$TMP/s.db" --jsonl - --search '</answer>' 2>/dev/null | grep -c '</answer>')
all=$("$BIN" export "$TMP/s.db" --jsonl - 2>/dev/null | grep -c '</answer>')
[ "$n" -gt 0 ] && [ "$n" = "$all" ] || { echo "FAIL: export --search '</answer>': $n, want $all"; FAILED=1; }
expect 2 'search ""%"" has no letter or digit' export "$TMP/s.db" --jsonl - --fts --search '"%"'

# tokenize (the fixture the build decompressed next to the binary)
TOK="$(dirname "$BIN")/tokenizers/llama2/tokenizer.json"
expect 2 "usage: grpo-studio tokenize" tokenize "Hello"
expect 2 "usage: grpo-studio tokenize" tokenize --tokenizer "$TOK" --tokens --decode "1 2"
expect 2 "--repeat 0: expected an integer in 1 .. 1000000" tokenize --tokenizer "$TOK" --stats --repeat 0 x
expect 1 "$TMP/none.json: unable to open" tokenize --tokenizer "$TMP/none.json" x
echo '{"model": {"type": "Unigram"}}' >"$TMP/uni.json"
expect 1 'model.type = "Unigram" is not supported' tokenize --tokenizer "$TMP/uni.json" x
[ "$("$BIN" tokenize --tokenizer "$TOK" "Hello world")" = "1 22557 1526" ] ||
    { echo "FAIL: tokenize 'Hello world' (Llama-2 file) did not give 1 22557 1526"; FAILED=1; }
[ "$(printf 'Hello world' | "$BIN" tokenize --tokenizer "$TOK" --no-special -)" = "22557 1526" ] ||
    { echo "FAIL: tokenize --no-special - did not give 22557 1526"; FAILED=1; }
[ "$("$BIN" tokenize --tokenizer "$TOK" --decode "1, 22557, 1526")" = "<s> Hello world" ] ||
    { echo "FAIL: tokenize --decode did not give '<s> Hello world'"; FAILED=1; }

# good command lines still work, options in any order
"$BIN" sample --max-new 4 "$CK" 12+34= -n 2 --seed 5 >"$TMP/out" 2>"$TMP/err" ||
    { echo "FAIL: sample with good options: $(cat "$TMP/err")"; FAILED=1; }
[ "$(grep -c -- '--- sample' "$TMP/out")" = 2 ] || { echo "FAIL: sample -n 2 did not print 2 samples"; FAILED=1; }
"$BIN" eval "$CK" --samples 2 --problems 3 --json >"$TMP/out" 2>"$TMP/err" ||
    { echo "FAIL: eval with good options: $(cat "$TMP/err")"; FAILED=1; }
grep -q '"problems":3,"k":2' "$TMP/out" || { echo "FAIL: eval --samples 2 --problems 3 gave: $(cat "$TMP/out")"; FAILED=1; }

# pretrain --corpus: the documents pretraining draws, of both phases, and nothing trained or written
"$BIN" pretrain "$SRC/configs/pretrain-countdown.ini" --corpus 40 >"$TMP/out" 2>"$TMP/err" ||
    { echo "FAIL: pretrain --corpus 40: $(cat "$TMP/err")"; FAILED=1; }
P2=$(sed -n 's/^phase2_start *= *//p' "$SRC/configs/pretrain-countdown.ini")
[ "$(grep -c '^# step 0, ' "$TMP/out")" = 40 ] && [ "$(grep -c "^# step $P2, " "$TMP/out")" = 40 ] ||
    { echo "FAIL: pretrain --corpus 40 did not print 40 documents of each phase"; FAILED=1; }
grep -q '^[0-9]* from [0-9],[0-9],[0-9]<think>' "$TMP/out" && grep -q ' vs [0-9]* ok$' "$TMP/out" &&
    grep -q '^wait$' "$TMP/out" || { echo "FAIL: pretrain --corpus: no countdown search in:"; head -20 "$TMP/out"; FAILED=1; }
[ -e runs ] && { echo "FAIL: pretrain --corpus wrote $(ls runs)"; FAILED=1; }

[ "$FAILED" = 0 ] && echo "e2e_cli: ok"
exit "$FAILED"
