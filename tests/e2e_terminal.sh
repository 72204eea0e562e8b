#!/usr/bin/env bash
# e2e_terminal.sh BIN SRC - `train` without a terminal the studio can use checks that before creating anything and
# trains headless, saying why on stderr, instead of a blank screen (TERM=dumb) or a run database left behind by a
# studio that then cannot start (stdin not a terminal, TERM unset):
#   TERM=dumb, TERM unset, an unknown TERM (each in a pseudo-terminal, from `script`), stdin from /dev/null, stdout
#   to a file: exit 0, the reason on stderr, progress lines, one run in the database, status 'done', its final
#   checkpoint. `browse` with stdin from /dev/null refuses with the reason and exit 1.
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
command -v sqlite3 >/dev/null || { echo "e2e_terminal: FAIL: needs sqlite3 (make deps installs it)"; exit 1; }
TMP=$(mktemp -d /tmp/e2e_terminal.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
LOG=
fail() {
    echo "FAIL: $*"
    [ -n "$LOG" ] && [ -f "$LOG" ] && { echo "----- output -----"; tail -n 20 "$LOG"; }
    exit 1
}
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$1" "$2" 2>/dev/null; }

# check_headless NAME RC REASON: the run in $TMP/NAME trained headless to the end, having said REASON
check_headless() {
    local name=$1 rc=$2 reason=$3 d=$TMP/$1
    LOG=$d/out.log
    [ "$rc" = 0 ] || fail "$name: exit status $rc"
    grep -q "no studio ($reason): training headless" "$LOG" || fail "$name: no line saying why ('$reason')"
    grep -q '^step .*/10 ' "$LOG" || fail "$name: no progress lines"
    [ "$(q "$d/run.db" "select count(*) || ' ' || max(status) from runs")" = "1 done" ] ||
        fail "$name: the database holds '$(q "$d/run.db" "select count(*), group_concat(status) from runs")', expected one run, done"
    [ -f "$d/out/test-fast/run-1/step-000010/model.safetensors" ] || fail "$name: no final checkpoint"
    echo "ok: $name: headless, said '$reason', run done with its checkpoint"
}
# the arguments of a 10-step test-fast run in $TMP/$1. Every run is under `timeout`: a studio that did start
# (on a dumb terminal, say) would wait for q forever.
args() { echo "train '$SRC/configs/test-fast.ini' --db '$TMP/$1/run.db' --set run.out_dir='$TMP/$1/out'"; }

if command -v script >/dev/null; then
    # `script` gives the command a pseudo-terminal; -e returns its exit status
    for t in dumb unset nosuchterm; do
        d=$TMP/term-$t
        mkdir -p "$d"
        case $t in
        unset) env -u TERM timeout 300 script -qec "'$BIN' $(args term-$t)" /dev/null >"$d/out.log" 2>&1; rc=$?; reason='TERM is not set' ;;
        dumb) TERM=dumb timeout 300 script -qec "'$BIN' $(args term-$t)" /dev/null >"$d/out.log" 2>&1; rc=$?; reason='TERM=dumb cannot place the cursor' ;;
        *) TERM=$t timeout 300 script -qec "'$BIN' $(args term-$t)" /dev/null >"$d/out.log" 2>&1; rc=$?; reason="TERM=$t is not in the terminfo database" ;;
        esac
        check_headless "term-$t" "$rc" "$reason"
    done
    d=$TMP/stdout-file
    mkdir -p "$d"
    TERM=xterm timeout 300 script -qec "'$BIN' $(args stdout-file) >'$d/out.log' 2>&1" /dev/null >/dev/null 2>&1
    check_headless stdout-file $? 'stdout is not a terminal'
else
    echo "e2e_terminal: FAIL: needs 'script' (util-linux, Debian package bsdutils) for the pseudo-terminal cases"
    exit 1
fi

d=$TMP/stdin-null
mkdir -p "$d"
eval "timeout 300 '$BIN' $(args stdin-null)" </dev/null >"$d/out.log" 2>&1
check_headless stdin-null $? 'stdin is not a terminal'

LOG=$TMP/browse.log
timeout 300 "$BIN" browse "$TMP/stdin-null/run.db" </dev/null >"$LOG" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "browse without a terminal: exit status $rc, expected 1"
grep -q 'the studio needs a terminal: stdin is not a terminal' "$LOG" || fail "browse: no reason given"
echo "ok: browse without a terminal refuses: $(head -1 "$LOG")"
echo PASS
