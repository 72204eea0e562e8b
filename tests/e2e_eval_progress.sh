#!/usr/bin/env bash
# e2e_eval_progress.sh - the studio says how far a held-out evaluation is, in a real terminal (tmux): before the first
# step the trace panel reads "evaluating the base model N/M [###   ]" and the status bar "evaluating N/M", with N the
# problems evaluated so far (a frame with N < M is caught), a later evaluation shows its count in the status bar too,
# and once the run is finished the count is gone, the held-out chart shows the evaluations and the database holds them.
# The evaluation is made long enough to watch by its size (a wider model, 160 problems, long completions), not by a
# clock: nothing here asserts a duration.
# Usage: e2e_eval_progress.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=evp
. "$SRC/tests/tmux_lib.sh"
need sqlite3
TMP=$(mktemp -d /tmp/e2e_eval_progress.XXXXXX)
cleanup() { T kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

T new-session -d -s evp -x 140 -y 30 "cd '$TMP' && '$BIN' train '$SRC/configs/test-fast.ini' --db run.db \
    --set run.steps=2 --set run.eval_every=1 --set task.eval_size=160 --set run.eval_problems=160 \
    --set run.eval_samples=1 --set model.d_model=128 --set model.n_layers=4 --set model.ffn_hidden=256 \
    --set model.max_seq=256 --set sampling.max_new_tokens=200; sleep 600"
wait_for 'evaluating the base model [0-9]+/160 \[#* *\]' 60 || fail "no count while the base model is evaluated"
screen | head -n 1 | grep -Eq 'step 0/2  evaluating [0-9]+/160' || fail "the status bar has no evaluation count"
# a frame part of the way: 0 < N < 160 problems evaluated
wait_for 'evaluating the base model ([1-9]|[1-9][0-9]|1[0-5][0-9])/160 \[#+ *\]' 60 \
    || fail "no frame shows the base evaluation part of the way"
line=$(screen | grep -Eo 'evaluating the base model [0-9]+/160' | head -n 1)
echo "ok: base evaluation shown part of the way: ${line##* }"
wait_for 'step 1/2  evaluating [0-9]+/160' 120 || fail "the evaluation after step 1 shows no count in the status bar"
echo "ok: the evaluation after step 1 is counted in the status bar"
wait_for 'run #1 test-fast +step 2/2 +DONE' 180 || fail "the run did not finish"
screen | grep -q 'evaluating' && fail "a count is still shown after the run finished"
wait_for 'held-out pass@1 [0-9.]+ . cons@1 [0-9.]+' 5 || fail "no held-out chart with the evaluations"
got=$(sqlite3 -batch -noheader -cmd ".timeout 10000" "$TMP/run.db" \
    "SELECT count(*) FROM metrics WHERE run_id = 1 AND name = 'eval_problems' AND value = 160;")
[ "$got" = 3 ] || fail "the database holds $got evaluations of 160 problems, expected 3 (steps 0, 1, 2)"
T send-keys -t evp q
echo "e2e_eval_progress: ok"
