#!/usr/bin/env bash
# e2e_fork_marker.sh - the Train screen's charts mark where a fork branches off its parent, in a real terminal (tmux):
#   - browse: the fork (run 2, from run 1's checkpoint at step 4) charted with its parent overlaid shows a mark
#     labelled "fork of run 1 @ 4" (or, on a narrow chart, "fork 1@4": whole, never cut);
#   - the parent charted with the fork overlaid shows the same mark;
#   - live: a fork trained in the studio marks its own branch point, the chart reaching back to step 4.
# Usage: e2e_fork_marker.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=fm
. "$SRC/tests/tmux_lib.sh"
WORK=$(mktemp -d /tmp/e2e_fork_marker_XXXXXX)
on_fail() { for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done; }
trap 'T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

"$BIN" train "$SRC/configs/test-fast.ini" --headless --db a.db --set run.steps=8 --set run.checkpoint_every=2 \
    >parent.log 2>&1 || fail "the parent run failed"
"$BIN" train --headless --fork a.db:4 --set optim.lr=3e-3 --set run.steps=10 >fork.log 2>&1 || fail "the fork failed"

# browse: the fork charted, its parent overlaid
T new-session -d -s fm -x 160 -y 40 "'$BIN' browse a.db; sleep 600"
wait_for 'runs \(2\)' 20 || fail "browse did not open on the run list"
T send-keys -t fm G ' ' k ' ' G Enter
wait_for 'rollouts of run #2 test-fast' 10 || fail "Enter did not open the fork's rollouts"
T send-keys -t fm 1
wait_for '^└─ . #1 test-fast' 10 || fail "no legend of the overlaid parent on the Train screen"
wait_for 'fork of run 1 @ 4' 5 || fail "the fork's charts do not mark where it branched off run 1"
screen | grep -Eq 'fork of run 1 @ 4~|fork 1@4~' && fail "a fork label is cut"
n=$(screen | grep -o 'fork of run 1 @ 4\|fork 1@4' | wc -l)
[ "$n" -ge 2 ] || fail "the fork mark is labelled on $n chart(s), expected at least the reward and length charts"
echo "ok: browse, the fork charted with its parent overlaid: 'fork of run 1 @ 4' on $n charts"

# the parent charted, the fork overlaid
T send-keys -t fm 4
wait_for 'runs \(2\)' 5 || fail "4 did not show the Runs screen"
T send-keys -t fm g Enter
wait_for 'rollouts of run #1 test-fast' 10 || fail "Enter did not open the parent's rollouts"
T send-keys -t fm 1
wait_for '^└─ . #2 test-fast' 10 || fail "no legend of the overlaid fork on the parent's charts"
wait_for 'fork of run 1 @ 4' 5 || fail "the parent's charts do not mark where the overlaid fork branches"
echo "ok: browse, the parent charted with the fork overlaid: the mark is there too"
T send-keys -t fm q
T kill-session -t fm

# live: a fork trained in the studio marks its own branch point
T new-session -d -s fm -x 120 -y 30 "'$BIN' train --fork a.db:1:4 --set run.steps=1000000; sleep 600"
wait_for 'run #3 test-fast +step ([6-9]|[1-9][0-9]+)/1000000' 30 || fail "the live fork does not train"
wait_for 'fork of run 1 @ 4|fork 1@4' 5 || fail "the live fork's charts do not mark where it branched"
screen | grep -Eq 'fork of run 1 @ 4~|fork 1@4~' && fail "a fork label is cut on the live charts"
wait_for '└4[─ ]' 10 || fail "the live fork's chart does not reach back to step 4"
echo "ok: live, the fork marks its own branch point"
T send-keys -t fm q y
wait_for 'run #3 test-fast stopped after step' 60 || fail "the live fork did not quit"
echo "e2e_fork_marker: ok"
