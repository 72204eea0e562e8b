#!/usr/bin/env bash
# e2e_fork.sh - `train --fork RUN.db:STEP` starts a new run from another run's checkpoint:
#   - the child is a new run (id 2) with its own checkpoint folder (run-2), its steps continue from the fork step,
#     the database records its parent run, step and checkpoint, and a --set change is applied at the first step (an
#     event optim.lr old -> new) and is in the child's recorded config;
#   - the parent's checkpoint files keep the checksums recorded for them and its rows are untouched;
#   - a fork with no change continues exactly as the parent did (the same metrics at the next steps): weights,
#     optimizer state, step counter and RNG all come from the checkpoint;
#   - RUN.db:ID:STEP and --db elsewhere: the parent database's path is recorded and the Runs screen names it;
#   - bad specs are refused by name: no such database, no such run (listing the run ids), no checkpoint at that step
#     (listing the steps that have one), a key the checkpoint fixes, a malformed spec;
#   - in tmux, the Runs screen shows "run 1 @ step 4" as the child's parent, and F shows the exact command that forks
#     the selected run at its newest checkpoint (Up: the checkpoint before; another step typed: that one's); that command, run as shown, makes
#     the fork (tests/e2e_fork_studio.sh starts it from the studio).
# Usage: e2e_fork.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=fork
. "$SRC/tests/tmux_lib.sh"
on_fail() { for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done; }
command -v sqlite3 >/dev/null || { echo "e2e_fork: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_fork_XXXXXX)
trap 'T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$1" "$2"; }
sums() { q a.db "SELECT path FROM checkpoints WHERE run_id = 1 ORDER BY step;" |
    while read -r p; do sha256sum "$p/model.safetensors"; done; }

"$BIN" train "$SRC/configs/test-fast.ini" --headless --db a.db --set run.steps=6 --set run.checkpoint_every=2 \
    --set run.eval_every=2 >parent.log 2>&1 || fail "the parent run failed"
before=$(sums)
rows_before=$(q a.db "SELECT count(*) || ':' || sum(value) FROM metrics WHERE run_id = 1;")
[ -n "$before" ] || fail "the parent run recorded no checkpoint"

# A fork with a change.
"$BIN" train --headless --fork a.db:4 --set optim.lr=3e-3 --set run.steps=8 >lr.log 2>&1 || fail "the fork failed"
grep -qF "# fork of run 1 'test-fast' of a.db at step 4" lr.log || fail "the headless output does not name the parent"
[ "$(q a.db "SELECT parent_run || ' ' || parent_step || ' ' || parent_checkpoint || ' ' || coalesce(parent_db, '-') \
    FROM runs WHERE id = 2;")" = "1 4 a/run-1/step-000004 -" ] \
    || fail "run 2 does not record its parent: $(q a.db "SELECT * FROM runs WHERE id = 2;")"
[ "$(q a.db "SELECT min(step) || '-' || max(step) FROM metrics WHERE run_id = 2;")" = "5-8" ] \
    || fail "the fork's steps do not continue from step 4: $(q a.db "SELECT min(step), max(step) FROM metrics WHERE run_id = 2;")"
[ "$(q a.db "SELECT step || ' ' || old_value || ' -> ' || new_value FROM events WHERE run_id = 2 AND name = 'optim.lr';")" \
    = "5 0.001 -> 0.003" ] || fail "the fork's --set is not an event at its first step"
q a.db "SELECT config FROM runs WHERE id = 2;" | grep -qx 'lr = 0.003' || fail "the fork's recorded config lacks its --set"
[ "$(q a.db "SELECT group_concat(path, ' ') FROM checkpoints WHERE run_id = 2;")" = \
    "a/run-2/step-000006 a/run-2/step-000008" ] || fail "the fork's checkpoints are not in a folder of its own"
[ "$(sums)" = "$before" ] || fail "the parent's checkpoint files changed"
[ "$(q a.db "SELECT count(*) || ':' || sum(value) FROM metrics WHERE run_id = 1;")" = "$rows_before" ] \
    || fail "the parent's metrics changed"
echo "ok: fork with a change: run 2 from run 1 @ step 4, steps 5-8, own folder, parent untouched"

# A fork with no change repeats the parent's next steps exactly.
"$BIN" train --headless --fork a.db:1:4 --set run.steps=6 >same.log 2>&1 || fail "the fork without changes failed"
same=$(q a.db "SELECT count(*) FROM metrics p JOIN metrics c ON c.step = p.step AND c.name = p.name
    WHERE p.run_id = 1 AND c.run_id = 3 AND p.step IN (5, 6)
    AND p.name IN ('reward', 'kl', 'grad_norm', 'entropy', 'completion_length', 'policy_loss') AND p.value IS c.value;")
[ "$same" = 12 ] || fail "a fork without changes does not repeat the parent's steps 5-6 ($same of 12 metrics equal)"
echo "ok: a fork without changes repeats the parent's steps 5 and 6 (12 metrics equal)"

# Into another database.
"$BIN" train --headless --fork a.db:1:2 --db b.db --set run.steps=3 >b.log 2>&1 || fail "the fork into b.db failed"
[ "$(q b.db "SELECT parent_run || ' ' || parent_step || ' ' || parent_db FROM runs WHERE id = 1;")" = \
    "1 2 $(readlink -f a.db)" ] || fail "b.db does not record the parent database: $(q b.db "SELECT * FROM runs;")"
[ -f b/run-1/step-000003/model.safetensors ] || fail "the fork into b.db has no checkpoint in b/run-1"
echo "ok: a fork into another database records the parent's database"

# Errors, by name.
refuse() {   # refuse LABEL EXPECTED-TEXT ARGS...
    local label=$1 want=$2; shift 2
    "$BIN" train --headless "$@" >"$label.log" 2>&1 && fail "$label: accepted"
    grep -qF -- "$want" "$label.log" || fail "$label: expected '$want', got: $(cat "$label.log")"
}
refuse step "run 1 'test-fast' of a.db has no checkpoint at step 3; it has checkpoints at steps 2, 4, 6" --fork a.db:1:3
refuse run "a.db has no run with id 9 (its runs: 1, 2, 3)" --fork a.db:9:4
refuse db "--fork: nope.db: No such file or directory" --fork nope.db:4
refuse spec "expected RUN.db:STEP or RUN.db:ID:STEP" --fork a.db
refuse fixed "which fixes model.d_model" --fork a.db:1:4 --set model.d_model=64
refuse both "--fork starts from the parent run's recorded config" --fork a.db:4 --resume a.db
# The parent's database held by its writer (a live run): the fork is told to use a database of its own.
command -v flock >/dev/null || fail "needs flock (Debian package util-linux)"
exec 9>>a.db.lock
flock -n 9 || fail "cannot take a.db's writer lock"
refuse live "give the fork a database of its own: --db FILE" --fork a.db:1:4
exec 9>&-
[ "$(q a.db "SELECT count(*) FROM runs;")" = 3 ] || fail "a refused fork left a run behind"
echo "ok: refusals name the database, the run ids, the checkpoint steps and the fixed key"

T new-session -d -s fork -x 160 -y 40 "'$BIN' browse a.db; sleep 600"
wait_for 'runs \(3\)' 20 || fail "browse did not open on the run list"
screen | grep -Eq '^. +2 test-fast +run 1 @ step 4 ' || fail "run 2's parent is not shown as run 1 @ step 4"
T send-keys -t fork g F
wait_for 'fork at step 6 .*grpo-studio train --fork a\.db:1:6 --set optim\.lr=\.\.\.' 5 \
    || fail "F does not show the command forking run 1 at its newest checkpoint"
T send-keys -t fork Up
wait_for 'fork at step 4 .*--fork a\.db:1:4 ' 5 || fail "Up does not step back to the checkpoint before"
T send-keys -t fork Up Up C-u 4
wait_for 'fork at step 4 .*--fork a\.db:1:4 ' 5 || fail "typing step 4 does not change the command shown"
T send-keys -t fork Escape
wait_for 'fork at step 4 \(to copy\)' 5 || fail "Esc does not leave the command shown"
cmd=$(screen | grep -o 'grpo-studio train --fork [^ ]* --set optim.lr=\.\.\.' | head -n 1)
T send-keys -t fork q
T kill-session -t fork 2>/dev/null
echo "ok: the Runs screen shows the parent and F's command: $cmd"
run=${cmd/#grpo-studio/}
run=${run/optim.lr=.../optim.lr=2e-3}
# shellcheck disable=SC2086
"$BIN" $run --headless --set run.steps=5 >shown.log 2>&1 || fail "the command the Runs screen showed failed"
[ "$(q a.db "SELECT parent_run || ' ' || parent_step FROM runs WHERE id = 4;")" = "1 4" ] \
    || fail "the shown command did not fork run 1 at step 4"

# A fork opened in the studio: a new run (5), its step counter continuing from the parent's step 4.
T new-session -d -s fork -x 120 -y 30 "'$BIN' train --fork a.db:1:4 --set run.steps=1000000; sleep 600"
wait_for 'run #5 test-fast +step ([5-9]|[1-9][0-9]+)/1000000' 30 || fail "the fork in the studio is not run 5 counting from step 4"
T send-keys -t fork q y
wait_for 'run #5 test-fast stopped after step' 60 || fail "the forked studio run did not quit"
got=$(q a.db "SELECT parent_run || ' ' || parent_step || ' ' || (SELECT min(step) FROM metrics WHERE run_id = 5) \
    FROM runs WHERE id = 5;")
[ "$got" = "1 4 5" ] || fail "the studio's fork does not record run 1 @ step 4 or start at step 5 (parent run, step, first step: '$got')"
echo "ok: a fork in the studio"
echo "e2e_fork: ok"
