#!/usr/bin/env bash
# e2e_runs_screen.sh - the Runs screen in a real terminal (tmux send-keys and capture-pane, polling until the
# expected text appears and printing the screen when it does not):
#   - `browse` on two databases holding three runs (two named test-fast with different learning rates, one other)
#     opens on the run list: ids, names, status, steps, the databases, and the config keys that differ from the
#     selected run (optim.lr=...);
#   - Space marks runs: a legend names each overlaid run, the first column shows its colour, and the charts draw
#     each run in its own colour (the captured escape sequences carry two distinct series colours);
#   - the held-out pass@1 chart of a finished run is drawn (its title carries the last pass@1 and cons@k);
#   - Enter browses the selected run's rollouts (its id in the title), Esc comes back to the list;
#   - `browse` on a database holding one run opens on its rollouts as before, and 4 shows the Runs screen;
#   - in the live studio, 4 lists the run being trained; a finished run marked there is overlaid on the Train charts.
# Usage: e2e_runs_screen.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=runs
. "$SRC/tests/tmux_lib.sh"
TMP=$(mktemp -d /tmp/e2e_runs_screen.XXXXXX)
cleanup() { T kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
train() { "$BIN" train "$SRC/configs/test-fast.ini" --headless --set run.steps=12 --set run.eval_every=4 "$@" \
    >>"$TMP/train.log" 2>&1 || { cat "$TMP/train.log"; echo "FAIL: a run failed"; exit 1; }; }
cd "$TMP" || exit 1
train --db a.db --set optim.lr=1e-3
train --db a.db --set optim.lr=3e-3
train --db b.db --set run.name=other --set grpo.group_size=8 --set grpo.prompts_per_step=2

T new-session -d -s runs -x 160 -y 40 "'$BIN' browse a.db b.db; sleep 600"
wait_for 'browse +3 runs in 2 databases' 20 || fail "browse on two databases did not open on the run list"
screen | grep -Eq 'a\.db +1 test-fast .* done +12 ' || fail "run 1 of a.db is not listed with its status and steps"
screen | grep -Eq 'a\.db +2 test-fast ' || fail "run 2 of a.db is not listed"
screen | grep -Eq 'b\.db +1 other .*\(selected\)' || fail "the newest run is not the selected one"
T send-keys -t runs k
wait_for 'a\.db +1 test-fast .*optim\.lr=0\.001' 5 || fail "run 1 does not show the learning rate that differs from run 2"
screen | grep -q 'held-out pass@1 [0-9.]* . cons@[0-9]* [0-9.]*' || fail "no held-out pass@1 / cons@k chart for the selected run"
echo "ok: run list (3 runs, 2 databases, differing keys), held-out pass@1 chart"

T send-keys -t runs ' ' k ' '
wait_for 'overlaid: . #2 test-fast@a\.db . #1 test-fast@a\.db' 5 || fail "no legend for the two marked runs"
# the charts draw the two runs in two colours: braille cells after two different colour escapes
colours=$(T capture-pane -p -e -t runs | LC_ALL=C grep -ao $'\e\\[[0-9;]*m\xe2[\xa0-\xa3]' | LC_ALL=C sort -u |
    LC_ALL=C grep -ao '\[3[0-7]m' | sort -u | wc -l)   # distinct foreground colours of braille cells
[ "$colours" -ge 2 ] || fail "the overlaid curves are not drawn in distinct colours ($colours colour(s) seen)"
echo "ok: two runs marked, legend and $colours chart colours"

T send-keys -t runs Enter
wait_for 'rollouts of run #1 test-fast' 5 || fail "Enter did not open the selected run's rollouts"
T send-keys -t runs Escape
wait_for 'browse +3 runs in 2 databases' 5 || fail "Esc did not return to the run list"
T send-keys -t runs q
T kill-session -t runs 2>/dev/null

T new-session -d -s runs -x 120 -y 32 "'$BIN' browse b.db; sleep 600"
wait_for 'rollouts of run #1 other' 20 || fail "browse on one run did not open on its rollouts"
T send-keys -t runs 4
wait_for 'runs \(1\)' 5 || fail "4 did not show the Runs screen"
echo "ok: one run opens on its rollouts; 4 shows the run list"
T kill-session -t runs 2>/dev/null

# A live run on a.db: 4 lists it beside the two finished runs; a finished run marked there is overlaid on the Train
# screen's charts, named in a legend on the reward chart's bottom border.
T new-session -d -s runs -x 120 -y 30 "'$BIN' train '$SRC/configs/test-fast.ini' --db a.db --set run.steps=1000000 \
    --set run.checkpoint_every=0; sleep 600"
wait_for 'run #3 test-fast +step [0-9]+/1000000' 30 || fail "the live run is not run 3 of a.db"
T send-keys -t runs 4
wait_for '^. +3 test-fast .* running ' 10 || fail "the Runs screen does not list the live run"
T send-keys -t runs g ' ' 1
wait_for '^└─ . #1 test-fast ' 10 || fail "no legend of the overlaid run on the Train screen's reward chart"
echo "ok: a finished run overlaid on the live Train screen, with its legend"
T send-keys -t runs q y   # quit cleanly: the final checkpoint is written before the folder is removed
wait_for 'run #3 test-fast stopped after step' 60 || fail "the live studio did not quit"
echo "e2e_runs_screen: ok"
