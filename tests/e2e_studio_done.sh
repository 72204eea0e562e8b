#!/usr/bin/env bash
# e2e_studio_done.sh - the studio after a run finishes (DONE), in a real terminal (tmux): the clock stops, the hint
# bar no longer offers pause, step, edit or checkpoint, `e` refuses with a message saying the run is finished (and
# how to go on) instead of opening an editor whose changes would never apply, Space says there is nothing to pause,
# and the status bar names the run by id. Also the held-out chart is drawn with the run's evaluations.
# Usage: e2e_studio_done.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=done
. "$SRC/tests/tmux_lib.sh"
TMP=$(mktemp -d /tmp/e2e_studio_done.XXXXXX)
cleanup() { T kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
clock() { screen | head -1 | grep -Eo '[0-9]{2}:[0-9]{2}:[0-9]{2}'; }

T new-session -d -s done -x 140 -y 30 "cd '$TMP' && '$BIN' train '$SRC/configs/test-fast.ini' --db run.db \
    --set run.steps=8 --set run.eval_every=4; sleep 600"
wait_for 'run #1 test-fast +step 8/8 +DONE' 60 || fail "the run did not finish in the studio"
wait_for 'held-out pass@1 [0-9.]+ . cons@[0-9]+ [0-9.]+' 5 || fail "no held-out chart with the last evaluation"
c1=$(clock)
# The clock used to keep counting after DONE: it must read the same once it has had time to change.
sleep 2.2
c2=$(clock)
[ -n "$c1" ] && [ "$c1" = "$c2" ] || fail "the clock goes on after DONE ($c1 -> $c2)"
wait_for '^ 2 rollouts  4 runs  \? help  q quit' 10 || fail "the hint bar does not show the keys of a finished run"
hints=$(screen | tail -1)
echo "$hints" | grep -Eq 'pause|step|edit|ckpt' && fail "the hint bar still offers training keys: $hints"
echo "$hints" | grep -q 'q quit' || fail "the hint bar lost q quit: $hints"
T send-keys -t done e
wait_for 'the run is finished \(8/8 steps\): nothing to change. To go on: train --resume run.db' 5 \
    || fail "e did not say the run is finished"
screen | grep -q 'Enter apply' && fail "the editor opened on a finished run"
T send-keys -t done ' '
wait_for 'training has finished: nothing to pause' 5 || fail "Space did not say there is nothing to pause"
echo "e2e_studio_done: ok (clock stopped at $c2, hints without training keys, editor refused, held-out chart)"
