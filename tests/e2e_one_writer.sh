#!/usr/bin/env bash
# e2e_one_writer.sh - one writer per run. While a headless run writes RUN.db and its checkpoint folder:
#   - a second `train` on the same database and a second `train --resume` of it are refused, naming the lock file
#     and the pid of the writer, and write nothing (no run row, no checkpoint folder);
#   - a run of the same name and out_dir on another database (run id 1 as well) trains in a folder of its own;
#   - readers keep working (sqlite3, export).
# Then the writer is SIGKILLed: its lock file stays behind but holds no lock, and `--resume` continues the run;
# a clean exit leaves no lock file.
# Usage: e2e_one_writer.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_one_writer.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_one_writer.sh BINARY SOURCE_DIR}
command -v sqlite3 >/dev/null || { echo "e2e_one_writer: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_one_writer_XXXXXX)
DB=$WORK/run.db
OUT=$WORK/out
CFG=$SRC/configs/test-fast.ini
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() {
    echo "e2e_one_writer: FAIL: $*"
    for f in "$WORK"/*.log; do echo "--- $f:"; tail -n 6 "$f"; done
    exit 1
}
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$DB" "$1" 2>/dev/null; }
# poll COND (a shell expression) up to 120 s
wait_until() { for _ in $(seq 1200); do eval "$1" && return 0; sleep 0.1; done; return 1; }

# The writer: many steps, a checkpoint every 2.
"$BIN" train "$CFG" --headless --db "$DB" --set run.out_dir="$OUT" --set run.checkpoint_every=2 \
    --set run.steps=100000 >"$WORK/first.log" 2>&1 &
PID=$!
wait_until '[ "$(q "SELECT count(*) FROM checkpoints;")" -ge 1 ] 2>/dev/null' || fail "the first run recorded no checkpoint"
kill -0 "$PID" 2>/dev/null || fail "the first run ended early"

expect_refused() {   # $1: log name, $2: the lock file the message must name; the rest: the command
    local log=$WORK/$1.log lock=$2
    shift 2
    "$@" >"$log" 2>&1 && fail "$1: a second writer was not refused"
    grep -qF "$lock" "$log" || fail "$1: the message does not name the lock file $lock"
    grep -qF "process $PID" "$log" || fail "$1: the message does not name the writer's pid $PID"
}
runs_before=$(q "SELECT count(*) FROM runs;")
expect_refused second "$DB.lock" "$BIN" train "$CFG" --headless --db "$DB" --set run.out_dir="$OUT" --set run.name=second
[ -e "$OUT/second" ] && fail "the refused run created its checkpoint folder"
expect_refused resume "$DB.lock" "$BIN" train --resume "$DB" --headless
"$BIN" train "$CFG" --headless --db "$WORK/other.db" --set run.out_dir="$OUT" --set run.steps=2 >"$WORK/same_dir.log" \
    2>&1 || fail "same_dir: a run of the same name and out_dir on another database failed"
other=$(sqlite3 -batch -noheader "$WORK/other.db" "SELECT path FROM checkpoints;")
[ "$other" = "$OUT/test-fast/run-1-2/step-000002" ] || fail "same_dir: its checkpoint went to '$other', expected a folder of its own"
first=$(q "SELECT path || ' ' || sha256 FROM checkpoints WHERE step = 2;")
[ "$(sha256sum <"${first% *}/model.safetensors" | cut -d' ' -f1)" = "${first#* }" ] \
    || fail "same_dir: the first run's checkpoint ${first% *} no longer has the checksum its database recorded"
[ "$(q "SELECT count(*) FROM runs;")" = "$runs_before" ] || fail "a refused writer added a run row"
[ "$(q "SELECT status FROM runs;")" = running ] || fail "a refused writer changed the run's status"

# Readers are not writers.
[ "$(q "SELECT count(*) FROM rollouts;")" -gt 0 ] || fail "sqlite3 cannot read while the run writes"
"$BIN" export "$DB" --jsonl "$WORK/export.jsonl" >"$WORK/export.log" 2>&1 || fail "export refused while the run writes"
[ -s "$WORK/export.jsonl" ] || fail "export wrote nothing"

# SIGKILL: the lock file stays, the lock does not.
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
[ -e "$DB.lock" ] || fail "expected the killed writer's lock file to stay behind (the stale-lock case is not tested)"
"$BIN" train --resume "$DB" --headless >"$WORK/resumed.log" 2>&1 &
PID=$!
wait_until 'grep -q "^step " "$WORK/resumed.log"' || fail "the resumed run did not train (a stale lock file blocked it?)"
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" = 0 ] || fail "the resumed run stopped with exit status $rc"
[ "$(q "SELECT status FROM runs;")" = stopped ] || fail "status after SIGTERM: $(q "SELECT status FROM runs;")"
[ -e "$DB.lock" ] && fail "a clean exit left $DB.lock"
[ -e "$OUT/test-fast/run-1/.lock" ] && fail "a clean exit left $OUT/test-fast/run-1/.lock"
echo "e2e_one_writer: ok (refused: same database, resume; same out_dir on another database: own folder; readers work; stale lock ignored)"
