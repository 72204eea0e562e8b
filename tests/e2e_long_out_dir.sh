#!/usr/bin/env bash
# e2e_long_out_dir.sh - checkpoint paths are never truncated: a run whose run.out_dir is over 400 characters (and
# whose name is 60) checkpoints, records the full path, and `--resume` continues from it. An out_dir longer than the
# config can hold is refused when the config is read, naming the key, and nothing is created.
# Usage: e2e_long_out_dir.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_long_out_dir.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_long_out_dir.sh BINARY SOURCE_DIR}
command -v sqlite3 >/dev/null || { echo "e2e_long_out_dir: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_long_out_dir_XXXXXX)
CFG=$SRC/configs/test-fast.ini
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_long_out_dir: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 6 "$f"; }; done
    exit 1
}
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$DB" "$1"; }

seg=$(printf 'd%.0s' $(seq 49))
OUT=$WORK
while [ ${#OUT} -lt 400 ]; do OUT=$OUT/$seg; done
NAME=$(printf 'n%.0s' $(seq 60))
DB=$WORK/run.db
"$BIN" train "$CFG" --headless --db "$DB" --set run.out_dir="$OUT" --set run.name="$NAME" --set run.steps=4 \
    --set run.checkpoint_every=2 >"$WORK/first.log" 2>&1 || fail "a run with a ${#OUT}-character out_dir failed"
want="$OUT/$NAME/run-1/step-000004"
[ -f "$want/model.safetensors" ] || fail "no checkpoint at $want"
[ "$(q "SELECT path FROM checkpoints ORDER BY step DESC LIMIT 1;")" = "$want" ] \
    || fail "the checkpoint row holds a different path than $want (${#want} characters)"
[ "$(q "SELECT detail FROM events WHERE kind_name = 'checkpoint' ORDER BY step DESC LIMIT 1;")" = "$want" ] \
    || fail "the checkpoint event's detail is not the full path"

"$BIN" train --resume "$DB" --headless --set run.steps=6 >"$WORK/resume.log" 2>&1 || fail "--resume failed"
grep -qF "resumed from $want" "$WORK/resume.log" || fail "the resume did not start from $want"
[ "$(q "SELECT last_step || ' ' || status FROM runs;")" = "6 done" ] || fail "after resume: $(q "SELECT last_step, status FROM runs;")"
[ -f "$OUT/$NAME/run-1/step-000006/model.safetensors" ] || fail "no checkpoint after the resumed steps"

# Longer than the config holds: refused by name, before anything exists.
long=$OUT/$seg/$seg
"$BIN" train "$CFG" --headless --db "$WORK/never.db" --set run.out_dir="$long" >"$WORK/toolong.log" 2>&1 \
    && fail "a ${#long}-character out_dir was accepted"
grep -q "out_dir" "$WORK/toolong.log" && grep -q "too long" "$WORK/toolong.log" \
    || fail "the refusal does not say that run.out_dir is too long"
ls "$WORK"/never.db* >/dev/null 2>&1 && fail "the refused run left a database behind"
echo "e2e_long_out_dir: ok (${#OUT}-character out_dir, ${#want}-character checkpoint path, resumed)"
