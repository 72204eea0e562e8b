#!/usr/bin/env bash
# e2e_run_folders.sh - every run has an id and a checkpoint folder of its own; nothing is ever overwritten:
#   - two runs of the same config in one place (the default runs/<name>.db) get ids 1 and 2, checkpoints in
#     runs/<name>/run-1 and run-2, and every checkpoint file keeps the checksum the database recorded for it,
#     also after the second run and after `--resume` of the second (which continues in run-2);
#   - `--db` elsewhere moves the checkpoints with it (x.db -> x/run-1), leaving runs/ alone;
#   - a database deleted and started again (run id 1 once more) never writes into the old run-1: it takes run-1-2;
#   - headless output names the run id and its folder (--json: every line has run_id); export keys every line by
#     run id.
# The two runs use different seeds, so that one overwriting the other would change the checksums.
# Usage: e2e_run_folders.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_run_folders.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_run_folders.sh BINARY SOURCE_DIR}
command -v sqlite3 >/dev/null || { echo "e2e_run_folders: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_run_folders_XXXXXX)
CFG=$SRC/configs/test-fast.ini
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_run_folders: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done
    exit 1
}
cd "$WORK" || exit 1
DB=runs/test-fast.db
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$1" "$2"; }
train() { local log=$1; shift; "$BIN" train "$CFG" --headless --set run.steps=4 --set run.checkpoint_every=2 "$@" \
    >"$WORK/$log.log" 2>&1 || fail "$log: the run failed"; }
# Every checkpoint row of database $1 names a file whose sha256 is the one recorded; prints how many were checked.
check_sums() {
    local n=0 path sum
    while IFS='|' read -r path sum; do
        [ -f "$path/model.safetensors" ] || fail "$1: checkpoint $path is gone"
        [ "$(sha256sum <"$path/model.safetensors" | cut -d' ' -f1)" = "$sum" ] \
            || fail "$1: $path/model.safetensors no longer has the checksum its database recorded ($2)"
        n=$((n + 1))
    done < <(q "$1" "SELECT path, sha256 FROM checkpoints ORDER BY run_id, step;")
    echo "$n"
}

train first --set run.seed=1
train second --set run.seed=2
[ "$(q $DB "SELECT group_concat(id || ':' || name, ' ') FROM runs;")" = "1:test-fast 2:test-fast" ] \
    || fail "expected runs 1 and 2 named test-fast: $(q $DB "SELECT group_concat(id || ':' || name, ' ') FROM runs;")"
grep -qF "# run 1 'test-fast'" first.log && grep -qF "# run 2 'test-fast'" second.log \
    || fail "the headless output does not name the run id"
grep -qF "# checkpoints runs/test-fast/run-2" second.log || fail "the headless output does not name the run's folder"
[ "$(q $DB "SELECT group_concat(path, ' ') FROM checkpoints WHERE run_id = 1;")" = \
  "runs/test-fast/run-1/step-000002 runs/test-fast/run-1/step-000004" ] || fail "run 1's checkpoints are not in run-1"
[ "$(q $DB "SELECT group_concat(path, ' ') FROM checkpoints WHERE run_id = 2;")" = \
  "runs/test-fast/run-2/step-000002 runs/test-fast/run-2/step-000004" ] || fail "run 2's checkpoints are not in run-2"
[ "$(q $DB "SELECT count(DISTINCT sha256) FROM checkpoints WHERE step = 4;")" = 2 ] \
    || fail "the two seeds gave the same weights: an overwrite could not be seen"
[ "$(check_sums $DB "after two runs")" = 4 ] || fail "expected 4 checkpoints checked"

"$BIN" train --resume $DB --headless --set run.steps=6 >resume.log 2>&1 || fail "--resume failed"
grep -qF "# database $DB (run id 2)" resume.log || fail "the resumed run is not run 2"
[ "$(q $DB "SELECT path FROM checkpoints WHERE run_id = 2 ORDER BY step DESC LIMIT 1;")" = \
  "runs/test-fast/run-2/step-000006" ] || fail "the resumed run did not continue in run-2"
[ "$(check_sums $DB "after resume")" = 5 ] || fail "expected 5 checkpoints checked after resume"

train elsewhere --db other/x.db --set run.seed=3
[ "$(q other/x.db "SELECT group_concat(path, ' ') FROM checkpoints;")" = \
  "other/x/run-1/step-000002 other/x/run-1/step-000004" ] || fail "--db other/x.db did not put the checkpoints beside it"
[ "$(ls runs/test-fast)" = "$(printf 'run-1\nrun-2')" ] || fail "--db elsewhere wrote under runs/: $(ls runs/test-fast)"
[ "$(check_sums other/x.db "--db elsewhere")" = 2 ] || fail "expected 2 checkpoints checked beside other/x.db"

# Start again from nothing in the same place: id 1 again, but run-1 holds the first run's checkpoints.
cp $DB old.db
rm -f $DB $DB-wal $DB-shm
train again --set run.seed=4
[ "$(q $DB "SELECT id || ' ' || group_concat(path, ' ') FROM checkpoints JOIN runs ON runs.id = run_id;")" = \
  "1 runs/test-fast/run-1-2/step-000002 runs/test-fast/run-1-2/step-000004" ] \
    || fail "a new database's run 1 did not get a folder of its own: $(q $DB "SELECT path FROM checkpoints;")"
[ "$(check_sums old.db "after a new database in the same place")" = 5 ] || fail "the old runs' checkpoints changed"

"$BIN" train "$CFG" --headless --json --db json.db --set run.steps=2 >json.log 2>&1 || fail "--json run failed"
[ "$(grep -c '"run_id":1,' json.log)" -ge 3 ] || fail "--json lines do not carry the run id"

"$BIN" export old.db --jsonl old.jsonl >export.log 2>&1 || fail "export failed"
ids=$(grep -o '"run_id":[0-9]*' old.jsonl | sort -u | tr '\n' ' ')
[ "$ids" = '"run_id":1 "run_id":2 ' ] || fail "export does not key the two runs named test-fast by id: $ids"
echo "e2e_run_folders: ok (two runs, resume, --db elsewhere, a new database in the same place: 12 checkpoints, none overwritten)"
