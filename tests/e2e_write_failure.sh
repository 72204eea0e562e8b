#!/usr/bin/env bash
# e2e_write_failure.sh - a failed write is reported when it happens, and a headless run stops with a non-zero exit:
#   - the run database's disk fills up: a file size limit (ulimit -f, SIGXFSZ ignored, so writes fail with EFBIG
#     as they would with ENOSPC) stops the run within a step of the failed write, with a message naming the
#     database, instead of training on unrecorded and saying so at exit;
#   - a checkpoint cannot be written (a file stands in its place): the run stops at that checkpoint, exits
#     non-zero, and its status is 'failed' - not exit 0 and 'done';
#   - a checkpoint folder that cannot be made at all is refused before the database is created.
# Usage: e2e_write_failure.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_write_failure.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_write_failure.sh BINARY SOURCE_DIR}
command -v sqlite3 >/dev/null || { echo "e2e_write_failure: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_write_failure_XXXXXX)
CFG=$SRC/configs/test-fast.ini
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() {
    echo "e2e_write_failure: FAIL: $*"
    for f in "$WORK"/*.log "$WORK"/*.err; do [ -e "$f" ] && { echo "--- $f:"; tail -n 6 "$f"; }; done
    exit 1
}
# run_until_exit NAME COMMAND...: runs the command in the background (stdout NAME.log, stderr NAME.err) and waits for
# it to end (bounded for a run that does not stop: 100000 steps would take many minutes). Sets RC.
run_until_exit() {
    local name=$1
    shift
    "$@" >"$WORK/$name.log" 2>"$WORK/$name.err" &
    PID=$!
    for _ in $(seq 3000); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && fail "$name: the run did not stop after the failed write"
    wait "$PID"
    RC=$?
    PID=
}

# 1. The database's disk is full. Checkpoints (under 200 KB here) still fit under the limit; the database's WAL
#    reaches it after a few steps.
DB=$WORK/full.db
run_until_exit full bash -c 'trap "" XFSZ; ulimit -f 400; exec "$0" "$@"' "$BIN" train "$CFG" --headless --db "$DB" \
    --set run.out_dir="$WORK/out" --set run.steps=100000
[ "$RC" != 0 ] || fail "disk full: exit status 0"
grep -qF "$DB" "$WORK/full.err" || fail "disk full: the message does not name the database $DB"
err_step=$(sed -n 's/^# error at step \([0-9]*\): .*full\.db.*/\1/p' "$WORK/full.log" | head -1)
[ -n "$err_step" ] || fail "disk full: no error event in the progress output when it happened"
last_step=$(sed -n 's/^step *\([0-9]*\)\/.*/\1/p' "$WORK/full.log" | tail -1)
[ "$last_step" -le $((err_step + 1)) ] || fail "disk full: trained on to step $last_step after the failed write at step $err_step"

# 2. A checkpoint cannot be written: a regular file stands where the step-5 checkpoint goes. A new run's folder is
#    always new (nothing can stand in it), so the run is made first and resumed into its folder with the obstacle.
DB=$WORK/ckpt.db
"$BIN" train "$CFG" --headless --db "$DB" --set run.out_dir="$WORK/out2" --set run.steps=2 >"$WORK/ckpt0.log" 2>&1 \
    || fail "failed checkpoint: the first two steps failed"
[ -d "$WORK/out2/test-fast/run-1/step-000002" ] || fail "failed checkpoint: no run-1/step-000002 after the first steps"
: >"$WORK/out2/test-fast/run-1/step-000005"
run_until_exit ckpt "$BIN" train --resume "$DB" --headless --set run.steps=100000 --set run.checkpoint_every=5
[ "$RC" != 0 ] || fail "failed checkpoint: exit status 0"
grep -q "checkpoint" "$WORK/ckpt.err" && grep -qF "$WORK/out2/test-fast/run-1/step-000005" "$WORK/ckpt.err" \
    || fail "failed checkpoint: the message does not say which checkpoint failed"
status=$(sqlite3 -batch -noheader "$DB" "SELECT status || ' ' || (end_time IS NOT NULL) || ' ' || last_step FROM runs;")
read -r st has_end steps <<<"$status"
[ "$st" = failed ] || fail "failed checkpoint: run status '$st', expected 'failed'"
[ "$has_end" = 1 ] || fail "failed checkpoint: no end time"
[ "$steps" -le 6 ] || fail "failed checkpoint: trained on to step $steps after the checkpoint at step 5 failed"
[ "$(sqlite3 -batch -noheader "$DB" "SELECT count(*) FROM events WHERE kind_name = 'error';")" -ge 1 ] \
    || fail "failed checkpoint: no error event in the database"

# 3. A checkpoint folder that cannot be made at all (under a regular file) is refused before anything is created.
: >"$WORK/a-file"
"$BIN" train "$CFG" --headless --db "$WORK/never.db" --set run.out_dir="$WORK/a-file/out" >"$WORK/never.log" 2>&1 \
    && fail "an out_dir under a regular file was accepted"
grep -qF "$WORK/a-file/out" "$WORK/never.log" || fail "the refusal does not name the checkpoint folder"
ls "$WORK"/never.db* >/dev/null 2>&1 && fail "the refused run left a database behind: $(ls "$WORK"/never.db*)"
echo "e2e_write_failure: ok (disk full stopped at step $last_step, error at step $err_step; failed checkpoint -> status failed)"
