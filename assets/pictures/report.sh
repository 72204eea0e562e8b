#!/usr/bin/env bash
# report.sh - remakes assets/pictures/report.png, the README's picture of `grpo-studio report`: a real run of the
# default experiment from the shipped base model (assets/base-add), shortened to 24 steps of 8 prompts x 8 samples,
# and a fork of it at step 8 with a 3x learning rate; the report of both, rendered by headless Chromium (the top of
# the page: the runs table and the overlaid curves). About ten minutes on two cores.
# Usage: assets/pictures/report.sh [BUILD_DIR]   (default: build; run `make build` first)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(readlink -f "${1:-$SRC/build}")/grpo-studio
[ -x "$BIN" ] || { echo "report.sh: no $BIN: run make build first"; exit 1; }
CHROMIUM=$(command -v chromium || command -v chromium-browser) || { echo "report.sh: needs chromium"; exit 1; }
WORK=$(mktemp -d /tmp/report_picture_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" train "$SRC/configs/default.ini" --headless --db runs.db --set "model.init=$SRC/assets/base-add" \
    --set run.steps=24 --set grpo.prompts_per_step=8 --set grpo.group_size=8 --set run.checkpoint_every=8 \
    --set run.eval_every=4 --set run.eval_problems=40 --set run.eval_samples=4 >train.log
"$BIN" train --headless --fork runs.db:1:8 --set optim.lr=3e-4 >fork.log
"$BIN" report runs.db --out report.html
HOME=$WORK "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$WORK/report.png" \
    --window-size=1200,900 "file://$WORK/report.html" 2>/dev/null
cp report.png "$SRC/assets/pictures/report.png"
echo "wrote $SRC/assets/pictures/report.png ($(stat -c %s "$SRC/assets/pictures/report.png") bytes)"
