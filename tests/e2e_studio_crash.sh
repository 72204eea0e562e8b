#!/usr/bin/env bash
# e2e_studio_crash.sh - crash safety of a live studio: the studio (not the headless printer) trains in tmux and is
# killed with SIGKILL at random moments, many times, and reopened each time with `train --resume`. After every
# kill the database holds every invariant of tests/crash_checks.sh (integrity_check, FTS, no committed step lost,
# complete and contiguous steps); the resumed studio comes back on its Train screen and the run goes on; at the end
# q + y quits cleanly with status 'stopped' and one run in the database.
# Usage: e2e_studio_crash.sh GRPO_STUDIO_BINARY SOURCE_DIR [KILLS]   (the issue's figure is 50; make test runs 12)
set -u
BIN=$(readlink -f "${1:?usage: e2e_studio_crash.sh BINARY SOURCE_DIR [KILLS]}")
SRC=$(readlink -f "${2:?usage: e2e_studio_crash.sh BINARY SOURCE_DIR [KILLS]}")
KILLS=${3:-12}
PER_STEP=16   # test-fast: 4 prompts x 4 samples
PANE=crash
. "$SRC/tests/tmux_lib.sh"
need sqlite3
WORK=$(mktemp -d /tmp/e2e_studio_crash_XXXXXX)
DB=$WORK/run.db
cleanup() { T kill-server 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$DB" "$1"; }
. "$SRC/tests/crash_checks.sh"

pane() { T display-message -p -t crash "$1"; }
# the studio: the pane's process itself at first (exec), then the child of the shell that records its exit status
WRAPPED=0
studio_pid() {
    local p c
    p=$(pane '#{pane_pid}')
    [ "$WRAPPED" = 1 ] || { echo "$p"; return; }
    for _ in $(seq 1 200); do   # the shell may not have started the studio yet
        c=$(pgrep -P "$p" 2>/dev/null) && { echo "$c"; return; }
        sleep 0.05
    done
    fail "the shell of the pane started no studio"
}
# committed_now [all]: rollouts no kill may lose. A resumed studio rolls back the steps after the last checkpoint
# while it starts (as designed), so unless it is known to be past its start-up ("all"), only the rollouts up to the
# last checkpoint are counted.
committed_now() {
    local where=""
    [ "${1:-}" = all ] || where="WHERE step <= (SELECT coalesce(max(step), 0) FROM checkpoints)"
    q "SELECT count(*) FROM rollouts $where;" 2>/dev/null || echo 0
}
max_step() { q "SELECT coalesce(max(step),0) FROM rollouts;"; }

echo "e2e_studio_crash: $KILLS kills in $WORK"
T new-session -d -s crash -x 100 -y 30 \
    "cd '$WORK' && exec '$BIN' train '$SRC/configs/test-fast.ini' --db '$DB' --set run.steps=1000000 \
     --set run.checkpoint_every=3 --set run.out_dir='$WORK/ck'"
T set-option -t crash remain-on-exit on >/dev/null
for _ in $(seq 1 1200); do
    [ "$(q "SELECT count(*) FROM checkpoints;" 2>/dev/null || echo 0)" -ge 1 ] && break
    [ "$(pane '#{pane_dead}')" = 1 ] && fail "the first studio exited early"
    sleep 0.05
done
[ "$(q "SELECT count(*) FROM checkpoints;")" -ge 1 ] || fail "no checkpoint after 60 s"

first_max=
for k in $(seq 1 "$KILLS"); do
    # every other kill waits until the resumed studio shows its Train screen; the rest land at any moment
    started=$([ "$k" = 1 ] && echo all)   # the first studio rolls nothing back
    if [ "$k" -gt 1 ] && [ $((k % 2)) = 0 ]; then
        # the Train screen comes after the rollback
        wait_for 'step [0-9]+/1000000 +RUNNING' 60 || fail "the resumed studio did not show its Train screen"
        started=all
    fi
    sleep "$((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))"
    [ "$(pane '#{pane_dead}')" = 1 ] && fail "the studio exited by itself before kill $k"
    committed=$(committed_now $started)
    kill -9 "$(studio_pid)"
    for _ in $(seq 1 200); do [ "$(pane '#{pane_dead}')" = 1 ] && break; sleep 0.05; done
    [ "$(pane '#{pane_dead}')" = 1 ] || fail "the studio did not die from SIGKILL"
    check_db "$committed"
    [ -z "$first_max" ] && first_max=$(max_step)
    echo "  kill $k: $(committed_now all) rollouts, steps 1..$(max_step), last checkpoint" \
         "$(q "SELECT coalesce(max(step),0) FROM checkpoints;"): ok"
    rm -f "$WORK/exit"
    WRAPPED=1
    T respawn-pane -k -t crash "cd '$WORK' && '$BIN' train --resume '$DB'; echo \$? > '$WORK/exit'"
done

# the last studio: back on its Train screen, past where the first kill left the run, then q + y
wait_for 'step [0-9]+/1000000 +RUNNING' 60 || fail "the last resumed studio did not show its Train screen"
for _ in $(seq 1 2400); do
    [ "$(max_step)" -gt "$first_max" ] && break
    [ "$(pane '#{pane_dead}')" = 1 ] && fail "the last studio exited early"
    sleep 0.05
done
T send-keys -t crash q
wait_for 'quit' 10 || fail "q did not ask to quit"
T send-keys -t crash y
for _ in $(seq 1 1200); do [ "$(pane '#{pane_dead}')" = 1 ] && break; sleep 0.05; done
[ "$(pane '#{pane_dead}')" = 1 ] || fail "the studio did not exit after q y"
for _ in $(seq 1 200); do [ -s "$WORK/exit" ] && break; sleep 0.05; done
[ "$(cat "$WORK/exit" 2>/dev/null)" = 0 ] || fail "the studio exited with status '$(cat "$WORK/exit" 2>/dev/null)'"
check_db 0
final=$(max_step)
[ "$(q "SELECT count(*) FROM runs;")" = 1 ] || fail "a resume created a new run instead of continuing"
[ "$final" -gt "$first_max" ] || fail "no progress across resumes: $final steps now, $first_max after the first kill"
[ "$(q "SELECT last_step FROM runs;")" = "$final" ] || fail "run counter last_step is off"
status=$(q "SELECT status FROM runs;")
[ "$status" = stopped ] || fail "status after q is '$status', expected 'stopped'"
echo "e2e_studio_crash: ok: $KILLS SIGKILLs of a live studio, $final steps, status '$status', every check passed"
