#!/usr/bin/env bash
# overlay.sh - remakes assets/pictures/overlay.png, the README's picture of two runs compared: the default experiment
# trained twice from the shipped base model (40 steps, learning rate 1e-4 - the default - and 3e-4) into one database, browsed in
# tmux at 160 x 45 with 256 colours, both runs marked on the Runs screen and their curves overlaid on the browsed
# run's Train screen (a legend names them), the cursor at step 30 reading each run's value; captured with its
# colours (tmux capture-pane -e), turned into HTML by aha and photographed by headless Chromium. A few minutes.
# Usage: assets/pictures/overlay.sh      (from anywhere, after `make build`)
# Needs tmux, aha and chromium (Debian packages of the same names).
set -eu
. "$(dirname "$0")/snapshot.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/build/grpo-studio"
OUT="$ROOT/assets/pictures/overlay.png"
for tool in tmux aha chromium; do command -v $tool >/dev/null || { echo "overlay.sh: needs $tool"; exit 1; }; done
[ -x "$BIN" ] || { echo "overlay.sh: build first (make build): no $BIN"; exit 1; }
TMP=$(mktemp -d /tmp/overlay_pic.XXXXXX)
SOCK="overlay_pic_$$"
export LC_ALL=C.UTF-8
T() { tmux -u -L "$SOCK" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
DB="$TMP/runs.db"
for lr in 1e-4 3e-4; do
    echo "training the default experiment for 40 steps at lr $lr ..."
    (cd "$ROOT" && "$BIN" train configs/default.ini --headless --set run.steps=40 --set run.eval_every=10 \
        --set optim.lr=$lr --set run.db="$DB" --set run.out_dir="$TMP/ck" >"$TMP/train.log") ||
        { cat "$TMP/train.log"; exit 1; }
done
wait_for() {
    local i
    for ((i = 0; i < 400; i++)); do T capture-pane -p -t pic | grep -Eq -- "$1" && return 0; sleep 0.05; done
    echo "overlay.sh: the screen never showed /$1/:"; T capture-pane -p -t pic; exit 1
}
T new-session -d -s pic -x 160 -y 45 "TERM=xterm-256color NCURSES_NO_UTF8_ACS=1 '$BIN' browse '$DB'; sleep 600"
wait_for 'browse +2 runs'
T send-keys -t pic ' ' k ' '          # mark run 2 (selected), then run 1
wait_for 'overlaid: '
T send-keys -t pic Enter              # browse run 1 ...
wait_for 'rollouts of run'
T send-keys -t pic 1                  # ... on its Train screen, the marked runs overlaid
wait_for 'reward '
T send-keys -t pic x
for ((i = 0; i < 10; i++)); do T send-keys -t pic Left; done
wait_for 'cursor @'
sleep 0.5
T capture-pane -p -e -t pic >"$TMP/screen.ans"
snapshot "$TMP/screen.ans" "$OUT" "GRPO Studio: two runs overlaid" 12 1200 720
