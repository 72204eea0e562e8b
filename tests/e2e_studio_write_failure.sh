#!/usr/bin/env bash
# e2e_studio_write_failure.sh - the studio, in a real terminal (tmux), when the run database's disk fills up
# (ulimit -f, SIGXFSZ ignored: writes fail with EFBIG as with ENOSPC): it pauses when the write fails and says so
# on screen, naming the database; q + y then exits with a non-zero status and the error.
#   bash tests/e2e_studio_write_failure.sh <path-to-grpo-studio> <source-dir>
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PANE=studio CAPTURE_FLAGS=-J
. "$SRC/tests/tmux_lib.sh"
TMP=$(mktemp -d /tmp/e2e_studio_wf.XXXXXX)
cleanup() { T kill-server 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
DB="$TMP/full.db"


T new-session -d -s studio -x 160 -y 40 \
    "cd '$TMP' && (trap '' XFSZ; ulimit -f 400; exec '$BIN' train '$SRC/configs/test-fast.ini' --set run.steps=100000 \
     --set run.db='$DB' --set run.out_dir='$TMP/out' --set run.checkpoint_every=0) 2>'$TMP/err'; \
     echo \"EXIT=\$?\"; sleep 600"
T set-option -t studio remain-on-exit on >/dev/null

wait_for 'step [0-9]+/100000' 30 || fail "the Train screen did not appear"
wait_for 'PAUSED' 120 || fail "the studio did not pause when the database write failed"
wait_for 'full\.db' 5 || fail "the screen does not name the database that failed"
# the reason stays on the hint bar while the run is paused by it (the 8-second flash alone is gone by then), and
# is said again when a resume meets the same failure
sleep 9
screen | tail -1 | grep -q 'paused by an error: .*full\.db' || fail "the reason for the pause is not on the hint bar after 9 s"
step_now() { screen | head -1 | sed -nE 's/.*step ([0-9]+)\/.*/\1/p'; }
before=$(step_now)
T send-keys -t studio ' '
for _ in $(seq 1 1200); do [ "$(step_now)" -gt "$before" ] 2>/dev/null && break; sleep 0.05; done
[ "$(step_now)" -gt "$before" ] || fail "Space did not resume the run (step $before)"
wait_for 'PAUSED' 60 || fail "the run went on after a resume with the database still failing"
wait_for 'paused by an error: .*full\.db' 10 || fail "after a resume the reason for the new pause is not shown"
T send-keys -t studio q
wait_for 'Quit\?' 10 || fail "q did not ask"
T send-keys -t studio y
wait_for 'EXIT=[0-9]+' 60 || fail "the studio did not exit"
code=$(screen | sed -nE 's/.*EXIT=([0-9]+).*/\1/p' | tail -1)
[ "$code" != 0 ] || fail "exit status 0 after a failed database write"
grep -qF "$DB" "$TMP/err" || fail "no error naming $DB after the studio closed: $(cat "$TMP/err")"
echo "e2e_studio_write_failure: ok (paused, named the database, exit status $code)"
