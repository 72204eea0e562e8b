#!/usr/bin/env bash
# e2e_studio.sh - the studio in a real terminal: tmux send-keys and capture-pane, polling until the expected text
# appears and printing the screen when it does not.
#   bash tests/e2e_studio.sh <path-to-grpo-studio> <source-dir>
# Checks: the Train screen shows steps advancing; Space shows PAUSED and the step count stops; editing the learning
# rate shows the new value and writes the event to the run database; the Rollouts list shows rows, a search finds
# one, Enter shows its transcript, g shows the G rows of its group; resizing to 60x20 shows the too-small screen and
# back restores it; q + y exits with status 0, a checkpoint written and the terminal restored (canonical mode, echo).
# Also measures responsiveness: the loop thread's CPU use while training, and (tests/studio_latency.py, in a
# pseudo-terminal) how long a key takes to show on screen.
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=studio
. "$SRC/tests/tmux_lib.sh"
need sqlite3
TMP=$(mktemp -d /tmp/e2e_studio.XXXXXX)
# Closing the terminal (kill-server) makes a studio still running save its final checkpoint (SIGHUP): wait for it
# to exit before removing its folder.
PID=
cleanup() {
    T kill-server 2>/dev/null
    for ((i = 0; i < 600; i++)); do [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && sleep 0.1 || break; done
    rm -rf "$TMP"
}
trap cleanup EXIT
DB="$TMP/run.db"
OUT="$TMP/out"
FAILED=0

# the step count of the status bar ("step 12/100000")
step_now() { screen | head -1 | sed -nE 's/.*step ([0-9]+)\/.*/\1/p'; }

T new-session -d -s studio -x 80 -y 24 \
    "cd '$TMP' && '$BIN' train '$SRC/configs/test-fast.ini' --set run.steps=1000000 --set run.db='$DB' \
     --set run.out_dir='$OUT' --set run.checkpoint_every=0; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | \
     grep -E '^-?(icanon|echo)\$' | tr '\n' ' '; echo; sleep 600"
T set-option -t studio remain-on-exit on >/dev/null

# 1. the Train screen, steps advancing
wait_for 'step [0-9]+/1000000' 30 || fail "the Train screen did not appear"
wait_for 'Spc pause' 5 || fail "no key hints on the bottom line"
s1=$(step_now); sleep 1; s2=$(step_now)
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s2" -gt "$s1" ] || fail "steps do not advance ($s1 -> $s2)"
echo "ok: steps advance ($s1 -> $s2)"
screen | grep -q 'reward' && screen | grep -q 'length' && screen | grep -q 'metrics' && screen | grep -q 'trace' ||
    fail "a Train panel is missing"

# responsiveness: the loop thread's CPU while training (utime + stime of the main thread, in clock ticks)
PID=$(pgrep -f -n -- "$BIN train .*run\.db=$DB") || fail "no grpo-studio process"   # this test's (others run beside)
ticks() { awk '{print $14 + $15}' "/proc/$PID/task/$PID/stat"; }
HZ=$(getconf CLK_TCK)
c0=$(ticks); t0=$(date +%s.%N); sleep 3; c1=$(ticks); t1=$(date +%s.%N)
LOOP_CPU=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / (t1 - t0) }')
echo "measure: loop thread CPU while training: $LOOP_CPU% of a core"
awk -v c="$LOOP_CPU" 'BEGIN { exit !(c < 5) }' || fail "the loop thread uses $LOOP_CPU% of a core (limit 5%)"
# the help screen opens on ? and closes on Esc
T send-keys -t studio '?'
wait_for 'help: every key binding' 5 || fail "? did not open help"
T send-keys -t studio Escape
wait_for 'Spc pause' 5 || fail "Esc did not return from help"
# the variant chart: v cycles the length panel (80x24 has no second chart row) to the clip view, V back
T send-keys -t studio 'v'
wait_for '─ clip_low [^ ]+ . clip_high' 5 || fail "v did not show the clip_low / clip_high chart"
T send-keys -t studio 'V'
wait_for '─ length [^ ]+ \[' 5 || fail "V did not return to the length chart"
echo "ok: v / V cycle the variant chart"

# 2. Space pauses: PAUSED shown and the step count stops
T send-keys -t studio ' '
wait_for 'PAUSED' 10 || fail "Space did not show PAUSED"
sleep 0.5; p1=$(step_now); sleep 1.5; p2=$(step_now)
[ "$p1" = "$p2" ] || fail "steps go on while paused ($p1 -> $p2)"
echo "ok: paused at step $p1"

# 3. edit the learning rate: a bad value is refused in place, a good one applied, shown, and in the events
T send-keys -t studio 'e'
wait_for 'hyperparameters: Enter edit' 5 || fail "e did not open the editor"
T send-keys -t studio Enter C-u '5' Enter
wait_for 'expected .*0\.1' 5 || fail "an out-of-range lr was not refused with its range"
T send-keys -t studio C-u '0.0025' Enter
wait_for 'optim.lr: 0.001 -> 0.0025' 5 || fail "the new lr was not applied"
T send-keys -t studio Escape
T send-keys -t studio 's'    # one step: the change takes effect at the next step
wait_for 'lr +0\.0025 ' 10 || fail "the hyperparameter panel does not show lr 0.0025"
# the single step done and paused again before Space (else Space would pause the step in progress, not resume)
stepped() { local n; n=$(step_now); [ -n "$n" ] && [ "$n" -gt "$p1" ] && screen | head -1 | grep -q PAUSED; }
for ((i = 0; i < 600; i++)); do stepped && break; sleep 0.05; done
stepped || fail "s did not run a step and pause again"
for i in $(seq 50); do
    n=$(sqlite3 "$DB" "select count(*) from events where name = 'optim.lr' and new_value = '0.0025'" 2>/dev/null)
    [ "${n:-0}" -ge 1 ] && break
    sleep 0.1
done
[ "${n:-0}" -ge 1 ] || fail "no optim.lr event in the database"
echo "ok: lr 0.0025 shown and recorded ($(sqlite3 "$DB" "select step, name, old_value, new_value from events where name = 'optim.lr'"))"
T send-keys -t studio ' '    # resume
wait_for 'RUNNING' 5 || fail "Space did not resume"

# 4. the browser: rows, a search, a transcript, a group
T send-keys -t studio '2'
wait_for '[0-9]+ rollouts?' 10 || fail "the Rollouts screen did not appear"
wait_for '^│ +[0-9]+ +[0-9]+/[0-9]+ +-?[0-9]+\.[0-9]+' 10 || fail "the rollout list has no rows"
# a word that occurs in some completion (the search tokenizes on letters and digits)
WORD=$(sqlite3 "$DB" "select completion from rollout_texts limit 50" 2>/dev/null | grep -oE '[A-Za-z]{3,}' | head -1)
[ -n "$WORD" ] || WORD=think
T send-keys -t studio '/' C-u "$WORD" Enter
wait_for "search \"$WORD\".* [1-9][0-9]* rollout" 10 || fail "searching '$WORD' found nothing"
wait_for '^│ +[0-9]+ +[0-9]+/[0-9]+ ' 5 || fail "no rows after the search"
echo "ok: search '$WORD': $(screen | sed -n 2p | grep -oE '[0-9]+ rollouts?')"
T send-keys -t studio Enter
wait_for 'reference answer:' 5 || fail "Enter did not open a transcript"
screen | grep -q 'transcript' || fail "no transcript title"
echo "ok: transcript"
T send-keys -t studio 'g'
wait_for 'G=4' 5 || fail "g did not open the group view"
rows=$(screen | grep -cE '^│ +[0-3] +-?[0-9]+\.[0-9]+ +[+-][0-9]')
[ "$rows" -eq 4 ] || fail "the group view shows $rows rows, expected G = 4"
echo "ok: group view with $rows rows"

# 5. too small and back
T resize-window -t studio -x 60 -y 20
wait_for 'terminal too small: need 80 x 24' 5 || fail "no too-small screen at 60x20"
T resize-window -t studio -x 80 -y 24
wait_for 'G=4' 5 || fail "the group view did not come back at 80x24"
echo "ok: too small at 60x20, restored at 80x24"

# 6. quit: q, confirm; exit status 0, checkpoint, terminal restored
T send-keys -t studio '1'
wait_for 'Spc pause' 5 || fail "1 did not go back to the Train screen"
T send-keys -t studio 'q'
wait_for 'Quit\?' 5 || fail "q did not ask for confirmation"
T send-keys -t studio 'y'
wait_for 'EXIT=' 60 || fail "the studio did not exit"
# the shell prints the stty line a moment after EXIT=: wait for it rather than read the screen once
wait_for '^-?icanon -?echo' 10 || fail "no stty line after the exit"
screen | grep -q 'EXIT=0' || fail "exit status is not 0"
screen | grep -Eq '^icanon echo' || fail "the terminal is not restored (stty: $(screen | grep -E 'icanon'))"
screen | grep -q 'Spc pause' && fail "the studio's screen is still shown after exit"
ls -d "$OUT"/test-fast/run-1/step-* >/dev/null 2>&1 || fail "no checkpoint written under $OUT"
echo "ok: exit 0, checkpoint $(ls -d "$OUT"/test-fast/run-1/step-* | tail -1 | xargs basename), terminal restored"

# 7. key latency measured in a pseudo-terminal (tmux capture-pane itself takes tens of milliseconds)
if command -v python3 >/dev/null; then
    python3 "$SRC/tests/studio_latency.py" "$BIN" "$SRC/configs/test-fast.ini" --set run.steps=1000000 \
        --set run.db="$TMP/latency.db" --set run.out_dir="$TMP/latency" --set run.checkpoint_every=0 ||
        fail "responsiveness"
fi
echo "PASS"
