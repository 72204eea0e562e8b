#!/usr/bin/env bash
# e2e_resume_untouched.sh - a `train --resume` that fails leaves everything as it was:
#   - a path that does not exist is not created; a 0-byte file gets no schema; a file that is not SQLite is not
#     modified; none of them is left with a -wal, -shm or lock file;
#   - a finished run whose resume is refused (its checkpoint folder held by another process, or its checkpoint
#     gone) keeps its status and end time.
# Usage: e2e_resume_untouched.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_resume_untouched.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_resume_untouched.sh BINARY SOURCE_DIR}
command -v sqlite3 >/dev/null || { echo "e2e_resume_untouched: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
command -v flock >/dev/null || { echo "e2e_resume_untouched: needs flock (Debian package util-linux)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_resume_untouched_XXXXXX)
CFG=$SRC/configs/test-fast.ini
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_resume_untouched: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 4 "$f"; }; done
    exit 1
}
no_side_files() { for s in -wal -shm .lock; do [ -e "$1$s" ] && fail "$2: left $1$s behind"; done; }

"$BIN" train --resume "$WORK/missing.db" --headless >"$WORK/missing.log" 2>&1 && fail "resume of a missing file succeeded"
grep -qF "$WORK/missing.db" "$WORK/missing.log" || fail "missing: the message does not name the file"
[ -e "$WORK/missing.db" ] && fail "resume of a missing path created it"
no_side_files "$WORK/missing.db" missing

: >"$WORK/empty.db"
"$BIN" train --resume "$WORK/empty.db" --headless >"$WORK/empty.log" 2>&1 && fail "resume of an empty file succeeded"
grep -qF "$WORK/empty.db" "$WORK/empty.log" || fail "empty: the message does not name the file"
[ "$(stat -c %s "$WORK/empty.db")" = 0 ] || fail "resume wrote into a 0-byte file ($(stat -c %s "$WORK/empty.db") bytes now)"
no_side_files "$WORK/empty.db" empty

printf 'not a database, just text that is long enough to fill an SQLite header......................\n' >"$WORK/text.db"
sum=$(md5sum <"$WORK/text.db")
"$BIN" train --resume "$WORK/text.db" --headless >"$WORK/text.log" 2>&1 && fail "resume of a text file succeeded"
[ "$(md5sum <"$WORK/text.db")" = "$sum" ] || fail "resume modified a file that is not a database"
no_side_files "$WORK/text.db" text

# A finished run; its status and end time must survive failed resumes.
DB=$WORK/run.db
OUT=$WORK/out
"$BIN" train "$CFG" --headless --db "$DB" --set run.out_dir="$OUT" --set run.steps=4 >"$WORK/first.log" 2>&1 \
    || fail "the first run failed"
before=$(sqlite3 -batch -noheader "$DB" "SELECT status || ' ' || end_time FROM runs;")
[ "${before%% *}" = done ] || fail "the first run ended '$before'"

exec 9>"$OUT/test-fast/run-1/.lock"          # this shell holds the checkpoint folder's lock, as another writer would
flock -n 9 || fail "cannot take the lock for the test"
"$BIN" train --resume "$DB" --headless >"$WORK/held.log" 2>&1 && fail "resume succeeded while its checkpoint folder was held"
exec 9>&-
grep -qF "$OUT/test-fast/run-1/.lock" "$WORK/held.log" || fail "held: the message does not name the lock file"
[ "$(sqlite3 -batch -noheader "$DB" "SELECT status || ' ' || end_time FROM runs;")" = "$before" ] \
    || fail "a refused resume rewrote status/end_time: '$before' became '$(sqlite3 -batch -noheader "$DB" "SELECT status || ' ' || end_time FROM runs;")'"

rm -rf "$OUT/test-fast/run-1"/step-*
"$BIN" train --resume "$DB" --headless >"$WORK/gone.log" 2>&1 && fail "resume succeeded without its checkpoint"
[ "$(sqlite3 -batch -noheader "$DB" "SELECT status || ' ' || end_time FROM runs;")" = "$before" ] \
    || fail "a failed resume rewrote status/end_time"
no_side_files "$DB" "failed resume"
echo "e2e_resume_untouched: ok"
