# tmux_lib.sh - what the studio's terminal tests share. Source it after setting SRC:
#   PANE=studio
#   . "$SRC/tests/tmux_lib.sh"
# gives T (tmux on a server of the test's own, SOCK), screen (the text of the pane PANE, with CAPTURE_FLAGS such
# as -J), fail MESSAGE (says what failed, calls the test's on_fail if it has one, prints the screen, exits 1), wait_for REGEX [SECONDS] (polls the screen
# until the extended regex matches; 20 s by default) and need TOOL... (a missing tool fails the test: `make test`
# installs tmux and sqlite3, so a test never skips itself).
NAME=$(basename "$0" .sh)
SOCK="${NAME}_$$"
PANE=${PANE:-studio}
T() {
    case "${1:-}" in
    kill-server) tmux_lib_reap -a -- kill-server; return 0 ;;
    kill-session) shift; tmux_lib_reap -s "$@" -- kill-session "$@"; return 0 ;;
    esac
    tmux -L "$SOCK" "$@"
}
# Killing a session (or the server) hangs up its panes; a program that does not end within 10 s of that is killed,
# so that no test leaves a process behind (a sanitizer build's browse, hung up, stayed in its exit spinning at 90% CPU
# for minutes). tmux_lib_reap LIST_PANES_ARGS... -- TMUX_COMMAND...
tmux_lib_reap() {
    local list=() pids kids p i alive
    while [ $# -gt 0 ] && [ "$1" != -- ]; do list+=("$1"); shift; done
    shift
    pids=$(tmux -L "$SOCK" list-panes "${list[@]}" -F '#{pane_pid}' 2>/dev/null)
    kids=$(for p in $pids; do pgrep -P "$p"; done 2>/dev/null)
    tmux -L "$SOCK" "$@" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        alive=0
        for p in $pids $kids; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && return 0
        sleep 0.1
    done
    for p in $pids $kids; do kill -9 "$p" 2>/dev/null; done
    return 0
}
screen() { T capture-pane -p ${CAPTURE_FLAGS:-} -t "$PANE" 2>/dev/null; }
fail() {
    echo "$NAME: FAIL: $*"
    if declare -F on_fail >/dev/null; then on_fail; fi   # a test's own report (its logs), when it defines one
    echo "----- screen -----"
    screen
    echo "------------------"
    exit 1
}
wait_for() {
    local re=$1 limit=${2:-20} i
    for ((i = 0; i < limit * 20; i++)); do
        screen | grep -Eq -- "$re" && return 0
        sleep 0.05
    done
    return 1
}
need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "$NAME: FAIL: needs $t (Debian package $t; make deps installs it)"; exit 1; }
    done
}
need tmux
# A session that lives as long as the test: killing a test's last session would stop the server, and a session
# created just after could reach the server while it shuts down ("server exited unexpectedly").
T new-session -d -s keep -x 80 -y 24 "sleep 86400" || { echo "$NAME: FAIL: tmux cannot start a server"; exit 1; }
