#!/usr/bin/env bash
# e2e_progress.sh - `sample --rejection` says how far it is, on stderr: into a log a plain line at each tenth of the
# way (never more than ten, the last one "generating N/N problems"), with standard output left to the summary; in a
# terminal (tmux) one line redrawn in place with a bar, that ends at N/N. (bench reports its steps the same way,
# through the same ui/progress.c that tests/test_progress.c checks.)
# Usage: e2e_progress.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
command -v tmux >/dev/null || { echo "e2e_progress: needs tmux"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_progress_XXXXXX)
SOCK="e2e_progress_$$"
T() { tmux -L "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
screen() { T capture-pane -p -t prog 2>/dev/null; }
fail() {
    echo "e2e_progress: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 12 "$f"; }; done
    if T has-session -t prog 2>/dev/null; then echo "----- screen -----"; screen; echo "------------------"; fi
    exit 1
}
cd "$WORK" || exit 1
"$BIN" sample "$SRC/assets/base-add" --rejection out.jsonl --problems 120 -n 2 >out.log 2>err.log \
    || fail "sample --rejection failed"
n=$(grep -c '^generating [0-9]*/120 problems$' err.log)
[ "$n" -ge 2 ] && [ "$n" -le 10 ] || fail "expected 2 to 10 progress lines in the log, got $n"
[ "$(tail -n 1 err.log)" = "generating 120/120 problems" ] || fail "the last progress line is not 120/120"
grep -q $'\r' err.log && fail "carriage returns in a log"
grep -q generating out.log && fail "progress went to standard output"
grep -q '^rejection sampling: kept [0-9]* of 240 samples' out.log || fail "no summary on standard output"
echo "ok: into a log, $n progress lines, the last one 120/120"

T new-session -d -s prog -x 100 -y 20 "'$BIN' sample '$SRC/assets/base-add' --rejection tty.jsonl --problems 120 -n 2 >/dev/null; echo EXITED; sleep 600"
for ((i = 0; i < 2400; i++)); do screen | grep -q EXITED && break; sleep 0.05; done
screen | grep -q EXITED || fail "sample --rejection did not finish in the terminal"
screen | grep -q '^generating 120/120 problems \[####################\]$' || fail "no finished progress bar on the terminal"
[ "$(screen | grep -c '^generating')" = 1 ] || fail "the progress line is not redrawn in place"
echo "e2e_progress: ok"
