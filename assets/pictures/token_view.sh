#!/usr/bin/env bash
# token_view.sh - remakes assets/pictures/token-view.png, the README's picture of the per-token view: a real run of
# the default experiment (20 steps; or the run database given), browsed in tmux at 100 x 30 with 256 colours, the
# first right rollout whose thinking says "wait" (a caught slip, redone) opened in the per-token view (log-prob),
# the screen captured with its colours (tmux capture-pane -e), turned into HTML by aha and photographed by headless
# Chromium.
# Usage: assets/pictures/token_view.sh [RUN.db]      (from the repository root, after `make build`)
# Needs tmux, aha and chromium (Debian packages of the same names).
set -eu
. "$(dirname "$0")/snapshot.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/build/grpo-studio"
OUT="$ROOT/assets/pictures/token-view.png"
for tool in tmux aha chromium; do command -v $tool >/dev/null || { echo "token_view.sh: needs $tool"; exit 1; }; done
[ -x "$BIN" ] || { echo "token_view.sh: build first (make build): no $BIN"; exit 1; }
TMP=$(mktemp -d /tmp/token_view_pic.XXXXXX)
SOCK="token_view_pic_$$"
export LC_ALL=C.UTF-8   # box drawing and the token marks in UTF-8, whatever the caller's locale
T() { tmux -u -L "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
DB=${1:-}
if [ -z "$DB" ]; then
    DB="$TMP/run.db"
    echo "training the default experiment for 20 steps (a few minutes) ..."
    (cd "$ROOT" && "$BIN" train configs/default.ini --headless --set run.steps=20 --set run.db="$DB" \
        --set run.out_dir="$TMP/ck" >"$TMP/train.log") || { cat "$TMP/train.log"; exit 1; }
fi
wait_for() {
    local i
    for ((i = 0; i < 400; i++)); do T capture-pane -p -t pic | grep -Eq -- "$1" && return 0; sleep 0.05; done
    echo "token_view.sh: the screen never showed /$1/:"; T capture-pane -p -t pic; exit 1
}
T new-session -d -s pic -x 100 -y 30 "TERM=xterm-256color NCURSES_NO_UTF8_ACS=1 '$BIN' browse '$DB'; sleep 600"
wait_for 'rollouts of run'
T send-keys -t pic /; T send-keys -t pic -l 'wait'; T send-keys -t pic Enter
wait_for 'search "wait"'
T send-keys -t pic c
wait_for 'correct'
T send-keys -t pic Enter
wait_for 'reference answer:'
T send-keys -t pic t
wait_for 'log-prob +>='
sleep 0.3
T capture-pane -p -e -t pic >"$TMP/screen.ans"
snapshot "$TMP/screen.ans" "$OUT" "GRPO Studio: per-token view" 13 820 500
