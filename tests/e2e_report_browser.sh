#!/usr/bin/env bash
# e2e_report_browser.sh - the HTML report rendered by a real browser: headless Chromium (Debian package chromium,
# in the Makefile's DEBS) takes a screenshot of a report of two runs (a parent and its fork, a few steps of
# configs/test-fast.ini), and tests/png_pixels.py decodes the PNG with zlib to check that it is not blank and that
# both runs' colours were drawn (the charts' curves and legends). Chromium missing is a failure, not a skip.
# Usage: e2e_report_browser.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "e2e_report_browser: FAIL: headless Chromium is needed to render the report: install the Debian package chromium (make deps does)"; exit 1; }
command -v python3 >/dev/null || { echo "e2e_report_browser: FAIL: needs python3 (Debian package python3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_report_browser_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_report_browser: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done
    exit 1
}
cd "$WORK" || exit 1
"$BIN" train "$SRC/configs/test-fast.ini" --headless --db a.db --set run.steps=6 --set run.checkpoint_every=3 \
    --set run.eval_every=3 >train.log 2>&1 || fail "the run failed"
"$BIN" train --headless --fork a.db:3 --set optim.lr=0.004 >>train.log 2>&1 || fail "the fork failed"
"$BIN" report a.db --out report.html >report.log 2>&1 || fail "report failed"

# Chromium writes its profile under HOME; a throwaway one keeps the user's alone.
HOME=$WORK timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="$WORK/report.png" --window-size=1200,1600 "file://$WORK/report.html" >chromium.log 2>&1
[ -s report.png ] || fail "Chromium wrote no screenshot (exit status $?)"
read -r w h ink blue red < <(python3 "$SRC/tests/png_pixels.py" report.png 1f77b4 d62728) \
    || fail "the screenshot is not a PNG python3 can read"
[ "$w" = 1200 ] && [ "$h" = 1600 ] || fail "the screenshot is ${w}x${h}, not 1200x1600"
# A blank page has no ink; text alone has little. Charts, tables and text cover several per cent of the page.
[ "$ink" -gt 40000 ] || fail "the rendered report is (nearly) blank: $ink non-white pixels of $((w * h))"
[ "$blue" -gt 300 ] || fail "run 1's colour (#1f77b4) is hardly drawn: $blue pixels"
[ "$red" -gt 300 ] || fail "run 2's colour (#d62728) is hardly drawn: $red pixels"
echo "e2e_report_browser: ok: Chromium rendered the report: $ink non-white pixels of $((w * h)), run 1's colour $blue, run 2's $red"
