#!/usr/bin/env bash
# e2e_crash.sh - crash safety of the run database: a headless run is killed with SIGKILL at random moments, many
# times, and resumed each time with `train --resume`. After every kill:
#   - PRAGMA integrity_check is ok and the FTS index agrees with the texts (FTS5 integrity-check);
#   - every step that was committed before the kill is still there (a reader counts rollouts just before the kill);
#   - every step present has all its rollouts (prompts x samples), its text rows and its metrics, and steps are
#     contiguous from 1;
#   - the next --resume starts from the last checkpoint row and the run keeps going.
# Usage: e2e_crash.sh GRPO_STUDIO_BINARY SOURCE_DIR [KILLS]
set -u
BIN=${1:?usage: e2e_crash.sh BINARY SOURCE_DIR [KILLS]}
SRC=${2:?usage: e2e_crash.sh BINARY SOURCE_DIR [KILLS]}
KILLS=${3:-24}
PER_STEP=16   # test-fast: 4 prompts x 4 samples

command -v sqlite3 >/dev/null || { echo "e2e_crash: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_crash_XXXXXX)
DB=$WORK/run.db
LOG=$WORK/train.log
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

fail() {
    echo "e2e_crash: FAIL: $*"
    echo "--- last lines of the training log:"; tail -n 15 "$LOG"
    exit 1
}
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$DB" "$1"; }

. "$SRC/tests/crash_checks.sh"   # check_db COMMITTED: the invariants of a database nobody is writing

run_bg() {
    "$BIN" "$@" >>"$LOG" 2>&1 &
    PID=$!
}

# committed_now [all]: rollouts no kill may lose. A resumed run rolls back the steps after the last checkpoint while
# it starts (as designed), so unless the run is known to be past its start-up ("all"), only the rollouts up to the
# last checkpoint are counted.
committed_now() {
    local where=""
    [ "${1:-}" = all ] || where="WHERE step <= (SELECT coalesce(max(step), 0) FROM checkpoints)"
    sqlite3 -batch -noheader "$DB" "SELECT count(*) FROM rollouts $where;" 2>/dev/null || echo 0
}

echo "e2e_crash: $KILLS kills in $WORK"
run_bg train "$SRC/configs/test-fast.ini" --headless --db "$DB" \
    --set run.steps=1000000 --set run.checkpoint_every=3 --set run.out_dir="$WORK/ck"
# Wait for the first checkpoint row: before it there is nothing to resume from.
for _ in $(seq 1 600); do
    [ "$(q "SELECT count(*) FROM checkpoints;" 2>/dev/null || echo 0)" -ge 1 ] && break
    kill -0 "$PID" 2>/dev/null || fail "the first run exited early"
    sleep 0.05
done
[ "$(q "SELECT count(*) FROM checkpoints;")" -ge 1 ] || fail "no checkpoint after 30 s"

# Half of the kills wait for the resumed run's banner first (so the kill lands inside training), the other half land
# at any moment, start-up and rollback included. Every resume that was waited for must have said it resumed, and no
# run may print an error: what is asserted never depends on how fast a loaded machine starts a process.
banners() { grep -c "resumed from" "$LOG"; }
wait_banner() {   # $1: banners expected
    for _ in $(seq 1 1200); do
        [ "$(banners)" -ge "$1" ] && return 0
        kill -0 "$PID" 2>/dev/null || fail "a resumed run exited before its banner"
        sleep 0.05
    done
    fail "no banner from the resumed run after 60 s"
}
first_max=
resumes=0
before=0
for k in $(seq 1 "$KILLS"); do
    started=$([ "$resumes" = 0 ] && echo all)   # the first run rolls nothing back
    if [ "$resumes" -gt 0 ] && [ $((k % 2)) = 0 ]; then
        wait_banner "$((before + 1))"   # the banner comes after the rollback
        started=all
    fi
    sleep "$((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))"
    committed=$(committed_now $started)
    kill -9 "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
    PID=
    check_db "$committed"
    steps=$(q "SELECT coalesce(max(step),0) FROM rollouts;")
    ck=$(q "SELECT coalesce(max(step),0) FROM checkpoints WHERE run_id = (SELECT max(id) FROM runs);")
    [ -z "$first_max" ] && first_max=$steps
    echo "  kill $k: $(q "SELECT count(*) FROM rollouts;") rollouts, steps 1..$steps, last checkpoint $ck: ok"
    echo "# --- resume after kill $k (checkpoint $ck)" >>"$LOG"
    before=$(banners)
    run_bg train --resume "$DB" --headless
    resumes=$((resumes + 1))
done

# A last resume that stops cleanly (SIGTERM) once it has gone past where the first kill left the run.
wait_banner "$((before + 1))"
for _ in $(seq 1 2400); do
    [ "$(q "SELECT coalesce(max(step),0) FROM rollouts;")" -gt "$first_max" ] && break
    kill -0 "$PID" 2>/dev/null || fail "the last run exited early"
    sleep 0.05
done
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" = 0 ] || fail "the last run exited with $rc after SIGTERM"
check_db 0
final=$(q "SELECT max(step) FROM rollouts;")
status=$(q "SELECT status FROM runs ORDER BY id DESC LIMIT 1;")
[ "$(q "SELECT count(*) FROM runs;")" = 1 ] || fail "resume created a new run instead of continuing"
[ "$final" -gt "$first_max" ] || fail "no progress across resumes: $final steps now, $first_max after the first kill"
[ "$(q "SELECT n_rollouts FROM runs;")" = "$(q "SELECT count(*) FROM rollouts;")" ] || fail "run counter n_rollouts is off"
[ "$(q "SELECT last_step FROM runs;")" = "$final" ] || fail "run counter last_step is off"
[ "$status" = stopped ] || fail "status after SIGTERM is '$status', expected 'stopped'"
errors=$(grep -c "^grpo-studio train:" "$LOG")
[ "$errors" = 0 ] || fail "$errors error lines in the log: $(grep "^grpo-studio train:" "$LOG" | head -3)"
resumes=$(banners)
echo "e2e_crash: ok: $KILLS SIGKILLs, $resumes resumes, $final steps, status '$status', every check passed"
