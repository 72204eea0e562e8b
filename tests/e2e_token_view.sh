#!/usr/bin/env bash
# e2e_token_view.sh - the transcript's per-token view in a real terminal (tmux send-keys and capture-pane, polling
# until the expected text appears and printing the screen when it does not):
#   - `browse` a finished run (num_iterations 2, so importance ratios are stored), open a transcript, `t` shows the
#     per-token view: the legend names the measure (log-prob) and its scale, the tokens are drawn on coloured
#     backgrounds (the captured escape sequences carry at least two background colours); `m` cycles to entropy and
#     to ratio, each legend with its own scale; `t` returns to the text;
#   - a run with num_iterations 1 says that no ratio is stored (every ratio is 1);
#   - in the live studio, a rollout of the running training opens in the per-token view too.
# Usage: e2e_token_view.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=tv
. "$SRC/tests/tmux_lib.sh"
TMP=$(mktemp -d /tmp/e2e_token_view.XXXXXX)
cleanup() { T kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
train() { "$BIN" train "$SRC/configs/test-fast.ini" --headless --set run.steps=3 "$@" >>"$TMP/train.log" 2>&1 ||
    { cat "$TMP/train.log"; echo "FAIL: a run failed"; exit 1; }; }
cd "$TMP" || exit 1
train --db mu2.db --set grpo.num_iterations=2
train --db mu1.db

T new-session -d -s tv -x 100 -y 30 "'$BIN' browse mu2.db; sleep 600"
wait_for 'rollouts of run #1 test-fast' 20 || fail "browse did not open on the run's rollouts"
T send-keys -t tv Enter
wait_for '^.─ transcript ' 5 || fail "Enter did not open the transcript"
T send-keys -t tv t
wait_for 'transcript: per-token view' 5 || fail "t did not open the per-token view"
wait_for 'log-prob +>=-0\.1 +-0\.1\.\.-0\.5 +-0\.5\.\.-1\.2 +-1\.2\.\.-2\.3 +<-2\.3' 5 ||
    fail "no log-prob legend with its scale"
screen | grep -Eq '[0-9]+ tokens +mean log-prob -?[0-9.]+ +lowest' || fail "no summary line of the tokens"
# the tokens sit on coloured backgrounds: at least two distinct background colours in the body
bgs=$(T capture-pane -p -e -t tv | sed -n '6,$p' | LC_ALL=C grep -ao $'\e\\[[0-9;]*m' |
    LC_ALL=C grep -aoE '(4[0-7]|48;5;[0-9]+)m' | sort -u | wc -l)
[ "$bgs" -ge 2 ] || fail "the tokens are not drawn on coloured backgrounds ($bgs background colour(s) seen)"
echo "ok: per-token view, log-prob legend, $bgs background colours"
T send-keys -t tv m
wait_for 'entropy \(nats\) +<0\.1 +0\.1-0\.4 +0\.4-0\.8 +0\.8-1\.5 +>=1\.5' 5 || fail "m did not cycle to entropy"
T send-keys -t tv m
wait_for 'ratio \(last update\) +<0\.8 +0\.8-0\.95 +0\.95-1\.05 +1\.05-1\.2 +>1\.2' 5 ||
    fail "m did not cycle to the importance ratio (num_iterations 2 stores it)"
screen | grep -Eq 'mean ratio [0-9.]+ +farthest from 1' || fail "no ratio summary"
T send-keys -t tv m
wait_for 'log-prob +>=-0\.1' 5 || fail "m did not cycle back to log-prob"
T send-keys -t tv t
wait_for '^.─ transcript ─' 5 || fail "t did not return to the text"
screen | grep -q 'log-prob' && fail "the legend is still shown after t"
echo "ok: m cycles entropy, ratio, log-prob; t returns to the text"
T send-keys -t tv q
T kill-session -t tv 2>/dev/null

T new-session -d -s tv -x 100 -y 30 "'$BIN' browse mu1.db; sleep 600"
wait_for 'rollouts of run #1 test-fast' 20 || fail "browse of the num_iterations 1 run did not open"
T send-keys -t tv Enter
wait_for '^.─ transcript ' 5 || fail "Enter did not open the transcript"
T send-keys -t tv m m   # the first m opens the view (on log-prob), the second cycles to entropy ...
wait_for 'entropy \(nats\)' 5 || fail "m did not open the view and cycle"
T send-keys -t tv m
wait_for 'ratio \(last update\) none stored \(grpo\.num_iterations 1: every ratio is 1\)' 5 ||
    fail "a run with num_iterations 1 does not say why there is no ratio"
echo "ok: no ratio with num_iterations 1, said so"
T kill-session -t tv 2>/dev/null

# live: the studio trains; its rollouts open in the per-token view
T new-session -d -s tv -x 100 -y 30 "'$BIN' train '$SRC/configs/test-fast.ini' --db live.db --set run.steps=1000000 \
    --set run.checkpoint_every=0 --set run.out_dir=$TMP/ck; sleep 600"
wait_for 'step [1-9][0-9]*/1000000' 30 || fail "the live run did not start"
T send-keys -t tv 2
wait_for 'rollouts of run #1 test-fast' 10 || fail "2 did not show the live run's rollouts"
wait_for '^. +[0-9]+ +[0-9]+/[0-9]+ ' 20 || fail "no rollout of the live run listed"
T send-keys -t tv Enter t
wait_for 'log-prob +>=-0\.1' 10 || fail "the per-token view of a live run's rollout shows no legend"
screen | grep -Eq '[0-9]+ tokens +mean log-prob' || fail "the live rollout's tokens are not shown"
echo "ok: the per-token view of a live run's rollout"
T send-keys -t tv Escape Escape 1 q y
wait_for 'run #1 test-fast stopped after step' 60 || fail "the live studio did not quit"
echo "e2e_token_view: ok"
