# snapshot.sh - what the picture scripts share: a tmux screen captured with its colours made into a PNG.
#   . "$(dirname "$0")/snapshot.sh"; snapshot ANSI_FILE OUT_PNG TITLE FONT_PX WIDTH HEIGHT
# aha turns the escape sequences into HTML; every symbol is then set one cell wide (two for wide characters), as in
# the terminal - a browser draws braille and some symbols from a fallback font of another width, which would shift
# the rest of the row; headless Chromium takes the screenshot.
snapshot() {
    local ans=$1 out=$2 title=$3 px=$4 w=$5 h=$6 dir
    dir=$(mktemp -d /tmp/snapshot.XXXXXX)
    aha --black --title "$title" <"$ans" |
        sed "s|<pre>|<pre style=\"font-family: DejaVu Sans Mono, monospace; font-size: ${px}px; line-height: 1.15; margin: 6px\">|" \
        >"$dir/raw.html"
    python3 - "$dir/raw.html" "$dir/screen.html" <<'PY'
import re, sys, unicodedata
text = open(sys.argv[1], encoding="utf-8").read()
def cell(m):
    ch = m.group(0)
    w = "2ch" if unicodedata.east_asian_width(ch) in "WF" else "1ch"
    return f'<span style="display:inline-block;width:{w}">{ch}</span>'
open(sys.argv[2], "w", encoding="utf-8").write(re.sub(r"[\u2000-\U0010ffff]", cell, text))
PY
    HOME=$dir chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$w,$h" \
        --screenshot="$out" "file://$dir/screen.html" >/dev/null 2>&1
    rm -rf "$dir"
    echo "wrote $out ($(stat -c %s "$out") bytes)"
}
