#!/usr/bin/env bash
# e2e_charts.sh - the Train screen's charts and the rollout list in a real terminal (tmux send-keys and
# capture-pane, polling until the expected text appears and printing the screen when it does not).
#   bash tests/e2e_charts.sh <path-to-grpo-studio> <source-dir>
# Checks, at 160x45 on a live run: x puts a cursor on the charts that every title reads ("@N"), Left moves it one
# step, Esc takes it off; S shows the smoothing weight; m opens the metric picker, typing narrows it, Enter puts
# the metric in the focused panel; a change submitted while paused is drawn "(pending)", then labelled
# "optim.lr 0.001 -> 0.0005" once applied. At 120x30, the rollout list has a question column beside the
# transcript, F freezes it (its first row stays while rows arrive) and follows again, ':' jumps to a step, a
# search is highlighted, P with a missing $PAGER says so. Then `browse` of the finished run: 1 shows its charts,
# the cursor works there too.
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=studio
. "$SRC/tests/tmux_lib.sh"
TMP=$(mktemp -d /tmp/e2e_charts.XXXXXX)
PID=
cleanup() {
    T kill-server 2>/dev/null
    for ((i = 0; i < 600; i++)); do [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && sleep 0.1 || break; done
    rm -rf "$TMP"
}
trap cleanup EXIT
DB="$TMP/run.db"

# the cursor's step in the status bar ("cursor @123")
cursor_now() { screen | head -1 | sed -nE 's/.*cursor @([0-9]+).*/\1/p'; }

T new-session -d -s studio -x 160 -y 45 \
    "cd '$TMP' && PAGER=no-such-pager-$$ '$BIN' train '$SRC/configs/test-fast.ini' --set run.steps=1000000 \
     --set run.db='$DB' --set run.out_dir='$TMP/out' --set run.checkpoint_every=0 --set run.eval_every=20; \
     echo \"EXIT=\$?\"; sleep 600"
T set-option -t studio remain-on-exit on >/dev/null
wait_for 'step [0-9]+/1000000' 30 || fail "the Train screen did not appear"
wait_for 'held-out pass@1 [0-9]' 30 || fail "no evaluation shown"
PID=$(pgrep -f -n -- "$BIN train .*run\.db=$DB") || fail "no grpo-studio process"

# 1. the cursor: every chart title reads the cursor's step; Left moves it one step; Esc takes it off
T send-keys -t studio x
wait_for 'cursor @[0-9]+' 5 || fail "x did not put a cursor on the charts"
c1=$(cursor_now)
for title in "reward @$c1 " "length @$c1 " "kl @$c1 " "entropy @$c1 " "held-out pass@1 @$c1 "; do
    screen | grep -qF -- "$title" || fail "the chart title \"$title\" does not read the cursor's step"
done
T send-keys -t studio Left
wait_for "cursor @$((c1 - 1))" 5 || fail "Left did not move the cursor one step back (from $c1)"
sleep 1   # the run goes on: the cursor stays where it was put
[ "$(cursor_now)" = "$((c1 - 1))" ] || fail "the cursor moved by itself"
T send-keys -t studio Home
wait_for 'cursor @0 ' 5 || fail "Home did not take the cursor to the first step (0: the base model's evaluation)"
echo "ok: cursor reads step $c1 in every chart title, Left and Home move it"
T send-keys -t studio Escape
for ((i = 0; i < 100; i++)); do screen | head -1 | grep -q 'cursor @' || break; sleep 0.05; done
screen | head -1 | grep -q 'cursor @' && fail "Esc did not take the cursor off"

# 2. smoothing: S cycles the weight, shown in the status bar; back to off after the last
T send-keys -t studio S
wait_for 'smooth 0\.6' 5 || fail "S did not show the smoothing weight"
T send-keys -t studio S S S S
wait_for 'smooth 0\.99' 5 || fail "S did not reach 0.99"
T send-keys -t studio S
for ((i = 0; i < 100; i++)); do screen | head -1 | grep -q 'smooth' || break; sleep 0.05; done
screen | head -1 | grep -q 'smooth' && fail "smoothing did not go back to off"
T send-keys -t studio ']'
wait_for 'smooth 0\.6' 5 || fail "] did not raise the smoothing"
echo "ok: smoothing weight shown and cycled"

# 3. the metric picker: m opens it, typing narrows, Enter shows the metric in the focused (length) panel
T send-keys -t studio m
wait_for 'metric for the length panel' 5 || fail "m did not open the metric picker"
T send-keys -t studio s t e p _ t
wait_for 'filter: step_t' 5 || fail "the picker did not take the typed filter"
screen | grep -q 'grad_norm' && fail "the picker did not narrow the list"
T send-keys -t studio Enter
wait_for 'step_time [0-9]' 5 || fail "the picked metric is not charted"
screen | grep -qE 'length [0-9].*\[' && fail "the length chart is still shown in the focused panel"
echo "ok: metric picker puts step_time in the length panel"

# 4. a change while paused is pending on the charts, then labelled once it applies
T send-keys -t studio ' '
wait_for 'PAUSED' 10 || fail "Space did not pause"
T send-keys -t studio e
wait_for 'hyperparameters: Enter edit' 5 || fail "e did not open the editor"
T send-keys -t studio Enter C-u '0.0005' Enter
sleep 0.3
T send-keys -t studio Escape
wait_for 'optim\.lr 0\.001 -> 0\.0005 \(pending\)' 5 || fail "no pending change on the charts"
T send-keys -t studio s   # one step: the change applies at its boundary
for ((i = 0; i < 200; i++)); do screen | grep -q '(pending)' || break; sleep 0.05; done
screen | grep -q '(pending)' && fail "the change stays pending after a step"
wait_for 'optim\.lr 0\.001 -> 0\.0005' 5 || fail "the applied change has no label on the charts"
T send-keys -t studio ' '
echo "ok: change marker pending, then labelled 'optim.lr 0.001 -> 0.0005'"

# 5. the rollout list at 120x30: question column beside the transcript; freeze / follow; jump; highlight; pager
T resize-window -t studio -x 120 -y 30 2>/dev/null || T resize-window -x 120 -y 30
T send-keys -t studio 2
wait_for 'question +completion' 10 || fail "no question column in the rollout list"
wait_for 'transcript \(Enter' 5 || fail "no transcript beside the list at 120 columns"
wait_for 'FOLLOWING' 5 || fail "the live list does not say it follows new rows"
T send-keys -t studio F
wait_for 'FROZEN' 5 || fail "F did not freeze the list"
first() { screen | sed -n 5p | awk '{print $2, $3}'; }
count() { screen | sed -nE '2s/.* ([0-9]+) rollouts.*/\1/p'; }
f1=$(first); n1=$(count)
for ((i = 0; i < 100; i++)); do [ "$(count)" != "$n1" ] && break; sleep 0.1; done
[ "$(count)" != "$n1" ] || fail "no rows arrived while frozen"
[ "$(first)" = "$f1" ] || fail "the frozen list moved ($f1 -> $(first))"
T send-keys -t studio F
wait_for 'FOLLOWING' 5 || fail "F did not follow again"
echo "ok: frozen list held '$f1' while rows came ($n1 -> more), F follows again"
T send-keys -t studio :
wait_for 'jump to step:' 5 || fail ": did not ask for a step"
T send-keys -t studio 5 Enter
for ((i = 0; i < 100; i++)); do [ "$(screen | sed -n 5p | awk '{print $2}')" = 5 ] && break; sleep 0.05; done
[ "$(screen | sed -n 5p | awk '{print $2}')" = 5 ] || fail "the jump did not bring step 5 to the top"
T send-keys -t studio : C-u x y Enter
wait_for 'not a step number' 5 || fail "a bad step number was not refused"
T send-keys -t studio Escape
echo "ok: jump to step 5, a bad number refused"
T send-keys -t studio / C-u 'think' Enter
wait_for 'search "think"' 5 || fail "the search did not apply"
T capture-pane -p -e -t studio | sed -n '4,20p' | grep -q $'\e\\[[0-9;]*43m[^\e]*think' ||
    T capture-pane -p -e -t studio | sed -n '4,20p' | grep -q $'\e\\[[0-9;]*7m[^\e]*think' ||
    fail "the search match is not highlighted in the list"
echo "ok: search match highlighted"
T send-keys -t studio P
wait_for 'pager "no-such-pager' 5 || fail "a missing pager was not reported"
screen | grep -q 'rollouts of run' || fail "the list is gone after a missing pager"
echo "ok: a missing \$PAGER is a message"

# 6. quit, then browse the finished run: its charts on the Train screen, the cursor there too
T send-keys -t studio q y
wait_for 'EXIT=0' 60 || fail "the studio did not exit cleanly"
T respawn-pane -k -t studio "cd '$TMP' && '$BIN' browse '$DB'; echo \"EXIT=\$?\"; sleep 600"
wait_for 'rollouts of run' 20 || fail "browse did not open"
T send-keys -t studio 1
wait_for 'reward [0-9-]' 10 || fail "1 did not show the run's charts in browse"
# (the label is cut where the marker leaves no room: how far right the change sits depends on how many steps ran)
wait_for 'optim\.lr 0\.001' 5 || fail "the stored change is not marked on the browsed charts"
screen | grep -qE 'lr +0\.0005' || fail "the browsed run's panel does not show the changed learning rate"
T send-keys -t studio x
wait_for 'cursor @[0-9]+' 5 || fail "x did not put a cursor on the browsed charts"
c=$(cursor_now)
screen | grep -qF -- "reward @$c " || fail "the browsed reward chart does not read the cursor"
T send-keys -t studio Escape q
wait_for 'EXIT=0' 10 || fail "browse did not exit cleanly"
echo "ok: browse shows the stored run's charts, change label and cursor"
echo "PASS"
