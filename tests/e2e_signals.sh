#!/usr/bin/env bash
# e2e_signals.sh BIN SRC - SIGHUP (a closed terminal, a dropped ssh) stops a run like SIGTERM: at the next safe
# point, with a final checkpoint and the run's status 'stopped', every time; and every thread of the process blocks
# the signals the run takes itself (ui/signals.h), so none can land on a thread that does not expect it.
#   1. headless: SIGHUP three times and SIGTERM once, each to a fresh run: exit 0, a checkpoint at the last step
#      (periodic checkpoints off, so it is the final one), status 'stopped'. While it runs, every thread but the
#      main one (which takes them, in sigtimedwait) blocks SIGINT, SIGTERM and SIGHUP (/proc/PID/task/*/status).
#   1b. pretrain: SIGHUP stops it after the step in progress with its checkpoint, exit 0; every thread blocks them.
#   2. the studio in tmux: every thread, the loop's included (it reads them from a signalfd), blocks SIGINT,
#      SIGTERM, SIGHUP and SIGWINCH. kill -HUP with the terminal still there: exit 0, the terminal restored,
#      checkpoint, 'stopped'. Then a second studio whose tmux server is killed (the terminal closes: the kernel
#      sends SIGHUP): checkpoint, 'stopped'.
# Everything is polled (the database, the screen, the process); nothing depends on how long a step takes.
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
command -v sqlite3 >/dev/null || { echo "e2e_signals: FAIL: needs sqlite3 (make deps installs it)"; exit 1; }
TMP=$(mktemp -d /tmp/e2e_signals.XXXXXX)
SOCK="e2e_signals_$$"
PID=
T() { tmux -L "$SOCK" "$@"; }
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
    command -v tmux >/dev/null && T kill-server 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
LOG=
fail() {
    echo "FAIL: $*"
    [ -n "$LOG" ] && [ -f "$LOG" ] && { echo "----- log -----"; tail -n 20 "$LOG"; }
    exit 1
}
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$1" "$2" 2>/dev/null; }
# poll SECONDS COMMAND...: until COMMAND succeeds (20 tries a second)
poll() {
    local limit=$1 i; shift
    for ((i = 0; i < limit * 20; i++)); do "$@" && return 0; sleep 0.05; done
    return 1
}
steps_at_least() { [ "$(q "$1" "select coalesce(max(step), 0) from metrics")" -ge "$2" ] 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
# blocked PID TID MASK: the thread's SigBlk has every bit of MASK
blocked() {
    local hex
    hex=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/task/$2/status" 2>/dev/null) || return 0   # thread gone
    [ -z "$hex" ] && return 0
    (( (0x$hex & $3) == $3 ))
}
# check_threads PID MASK SKIP_MAIN [MIN]: every thread blocks MASK (the main thread too unless SKIP_MAIN); at least
# MIN threads (default 3: main, the trainer and the store writer)
check_threads() {
    local pid=$1 mask=$2 skip=$3 min=${4:-3} n=0 tid
    for tid in $(ls "/proc/$pid/task"); do
        n=$((n + 1))
        [ "$skip" = 1 ] && [ "$tid" = "$pid" ] && continue
        blocked "$pid" "$tid" "$mask" ||
            fail "thread $tid of $pid does not block the signals: SigBlk $(awk '/^SigBlk:/ { print $2 }' "/proc/$pid/task/$tid/status")"
    done
    [ "$n" -ge "$min" ] || fail "only $n threads, expected at least $min"
    echo "ok: all $n threads block them$([ "$skip" = 1 ] && echo ' (the main thread takes them)')"
}
# check_stopped DB: status 'stopped', and a checkpoint at the run's last step, on disk
check_stopped() {
    local db=$1 status last ck ckstep
    status=$(q "$db" "select status from runs order by id desc limit 1")
    [ "$status" = stopped ] || fail "run status '$status', expected 'stopped'"
    last=$(q "$db" "select coalesce(max(step), 0) from metrics")
    read -r ckstep ck <<<"$(q "$db" "select step, path from checkpoints order by step desc limit 1" | tr '|' ' ')"
    [ -n "$ck" ] || fail "no checkpoint recorded"
    [ "$ckstep" = "$last" ] || fail "the last checkpoint is at step $ckstep, the last step is $last"
    [ -f "$ck/model.safetensors" ] || fail "checkpoint $ck has no model.safetensors"
    echo "ok: stopped at step $last with checkpoint $(basename "$ck")"
}
HUP_TERM_INT=$(( (1 << 0) | (1 << 1) | (1 << 14) ))   # SIGHUP 1, SIGINT 2, SIGTERM 15: bit = signal - 1
WITH_WINCH=$(( HUP_TERM_INT | (1 << 27) ))            # SIGWINCH 28

# ---- 1. headless
for sig in HUP HUP HUP TERM; do
    d=$(mktemp -d "$TMP/headless.XXXX")
    LOG=$d/train.log
    "$BIN" train "$SRC/configs/test-fast.ini" --headless --set run.steps=100000 --set run.checkpoint_every=0 \
        --db "$d/run.db" --set run.out_dir="$d/out" >"$LOG" 2>&1 &
    PID=$!
    poll 120 steps_at_least "$d/run.db" 3 || fail "the run did not reach step 3"
    check_threads "$PID" "$HUP_TERM_INT" 1
    kill -"$sig" "$PID"
    wait "$PID"
    rc=$?
    PID=
    [ "$rc" = 0 ] || fail "SIG$sig: exit status $rc, expected 0"
    grep -q 'stopping at the next safe point' "$LOG" || fail "SIG$sig: no 'stopping' line"
    echo "ok: headless SIG$sig: exit 0"
    check_stopped "$d/run.db"
done

# ---- 1b. pretrain: the same signals stop it after the step in progress, with its checkpoint (all threads block them:
# the main thread runs the training and takes them after each step)
d=$(mktemp -d "$TMP/pretrain.XXXX")
LOG=$d/pretrain.log
"$BIN" pretrain "$SRC/configs/test-fast.ini" --set pretrain.steps=1000000 --set run.threads=2 --out "$d/base" \
    --no-eval >"$LOG" 2>&1 &
PID=$!
has_progress() { grep -q '^step ' "$LOG" 2>/dev/null; }
poll 120 has_progress || fail "pretrain printed no progress"
check_threads "$PID" "$HUP_TERM_INT" 0 2   # main and the kernels' pool thread
kill -HUP "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" = 0 ] || fail "pretrain after SIGHUP: exit status $rc, expected 0"
[ -f "$d/base/model.safetensors" ] && grep -q '^# checkpoint' "$LOG" || fail "pretrain after SIGHUP: no checkpoint"
echo "ok: pretrain SIGHUP: exit 0, $(grep '^# checkpoint' "$LOG")"

# ---- 2. the studio
command -v tmux >/dev/null || { echo "e2e_signals: FAIL: needs tmux for the studio part (make deps installs it)"; exit 1; }
screen() { T capture-pane -p -t studio 2>/dev/null; }
on_screen() { screen | grep -Eq -- "$1"; }
# start_studio DIR: the studio in a tmux session 'studio'; sets PID
start_studio() {
    local d=$1
    LOG=$d/stderr.log
    T new-session -d -s studio -x 80 -y 24 \
        "cd '$d' && sh -c 'echo \$\$ > pid; exec \"\$0\" \"\$@\"' '$BIN' train '$SRC/configs/test-fast.ini' \
         --set run.steps=1000000 --set run.db='$d/run.db' --set run.out_dir='$d/out' --set run.checkpoint_every=0 \
         2>'$d/stderr.log'; echo \"EXIT=\$?\"; stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo)\$' | tr '\n' ' '; \
         echo; sleep 600"
    T set-option -t studio remain-on-exit on >/dev/null
    poll 30 test -s "$d/pid" || fail "the studio did not start"
    PID=$(cat "$d/pid")
    poll 60 on_screen 'step [0-9]+/1000000' || { screen; fail "the Train screen did not appear"; }
    poll 120 steps_at_least "$d/run.db" 3 || { screen; fail "the studio's run did not reach step 3"; }
}

# ---- 1c. headless, its reader gone (| head): SIGPIPE is ignored, the closed stdout stops the run with a checkpoint
d=$(mktemp -d "$TMP/pipe.XXXX")
"$BIN" train "$SRC/configs/test-fast.ini" --headless --set run.steps=100000 --set run.checkpoint_every=0 \
    --db "$d/run.db" --set run.out_dir="$d/out" 2>"$d/err.log" | head -n 5 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "headless with its reader gone: exit status $rc (141 is death by SIGPIPE), expected 0"
grep -q 'standard output is closed' "$d/err.log" || fail "no line saying the output closed: $(cat "$d/err.log")"
echo "ok: headless with a closed pipe: exit 0"
check_stopped "$d/run.db"

d=$(mktemp -d "$TMP/studio-hup.XXXX")
start_studio "$d"
check_threads "$PID" "$WITH_WINCH" 0
kill -HUP "$PID"
poll 120 on_screen 'EXIT=' || { screen; fail "the studio did not exit after SIGHUP"; }
on_screen 'EXIT=0' || { screen; fail "exit status after SIGHUP is not 0"; }
poll 10 on_screen '^-?icanon' || { screen; fail "no stty line after the exit"; }
on_screen '^icanon echo' || { screen; fail "the terminal is not restored after SIGHUP"; }
PID=
echo "ok: studio SIGHUP: exit 0, terminal restored"
check_stopped "$d/run.db"
T kill-server 2>/dev/null

SOCK="${SOCK}_close"   # a fresh tmux server: the one just killed may still be going away
d=$(mktemp -d "$TMP/studio-close.XXXX")
start_studio "$d"
T kill-server    # the terminal closes: SIGHUP to the studio
poll 120 gone "$PID" || fail "the studio is still running after its terminal closed"
PID=
echo "ok: studio exited after its terminal closed"
check_stopped "$d/run.db"
echo PASS
