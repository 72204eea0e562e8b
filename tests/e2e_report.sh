#!/usr/bin/env bash
# e2e_report.sh - `grpo-studio report` on small real runs (a few steps of the default experiment from the shipped
# base model, so that rewards, evaluations and flags are not all zero): a parent, its fork with another learning rate
# (a.db) and a run in a second database (b.db) named with HTML's special characters. Checks that
#   - the report is one self-contained file: no script, no link or image fetched, inline SVG charts (five of them);
#   - every run is in it (table rows, chart legends, transcript headings), with its colour;
#   - what comes from the database is HTML-escaped (the run name '<i>&x', the completions' <think> tags);
#   - the numbers are the database's: each run's evaluations (as many rows, pass@1 and cons@k to 4 digits), best
#     reward and rollout count; the learning rate differs between the runs in the keys-that-differ table; the fork's
#     parent is shown and its change is an event; the fork's branch point is marked on the charts;
#   - a failed report leaves no file (and keeps an older report whole): a missing database, a run id that is not
#     there (the run ids are listed), a folder that does not exist.
# Usage: e2e_report.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
command -v sqlite3 >/dev/null || { echo "e2e_report: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_report_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() {
    echo "e2e_report: FAIL: $*"
    for f in "$WORK"/*.log; do [ -e "$f" ] && { echo "--- $f:"; tail -n 8 "$f"; }; done
    exit 1
}
cd "$WORK" || exit 1
q() { sqlite3 -batch -noheader -cmd ".timeout 10000" "$1" "$2"; }
train() { "$BIN" train "$SRC/configs/default.ini" --headless --set "model.init=$SRC/assets/base-add" \
    --set run.steps=4 --set grpo.prompts_per_step=4 --set grpo.group_size=4 --set run.checkpoint_every=2 \
    --set run.eval_every=2 --set run.eval_problems=10 --set run.eval_samples=2 "$@" >>train.log 2>&1 \
    || fail "a run failed"; }
train --db a.db
"$BIN" train --headless --fork a.db:1:2 --set optim.lr=0.004 >>train.log 2>&1 || fail "the fork failed"
train --db b.db --set "run.name=<i>&x" --set run.seed=5

"$BIN" report a.db b.db --out report.html >report.log 2>&1 || fail "report failed"
[ -s report.html ] || fail "no report written"
ls report.html.tmp-* >/dev/null 2>&1 && fail "a temporary file was left behind"
# self-contained
grep -qi '<script' report.html && fail "the report has a script"
grep -Eqi '(src|href)=' report.html && fail "the report links to something outside itself"
[ "$(grep -o 'http[s]*://[^"]*' report.html | sort -u)" = "http://www.w3.org/2000/svg" ] \
    || fail "the report names a URL other than the SVG namespace: $(grep -o 'http[s]*://[^"]*' report.html | sort -u)"
[ "$(grep -c '<svg' report.html)" = 5 ] || fail "expected 5 charts, found $(grep -c '<svg' report.html)"
# every run, escaped
for label in '#1 default@a.db' '#2 default@a.db' '#1 &lt;i&gt;&amp;x@b.db'; do
    n=$(grep -cF "$label" report.html)
    [ "$n" -ge 8 ] || fail "run '$label' appears $n times (expected in the legends of 5 charts, config, events, evals, transcripts)"
done
grep -qF '<i>&x' report.html && fail "the run name is not escaped"
grep -qF '&lt;think&gt;' report.html || fail "the completions' <think> tags are not shown escaped"
grep -q '<pre class="completion">[^<]*<think>' report.html && fail "a completion's <think> tag is written raw"
# the numbers are the database's
check_run() {   # check_run DB ID LABEL
    local db=$1 id=$2 label=$3 block
    block=$(awk -v l="<h3>.*${label}</h3>" '$0 ~ /<h2>Evaluations/ {on=1} on && $0 ~ l {p=1; next} p && /<h3>|<h2>/ {exit} p' report.html)
    local want got
    want=$(q "$db" "SELECT step, task, pass1, cons_k, k, problems FROM evals WHERE run_id = $id ORDER BY step;" |
        while IFS='|' read -r s t p c k n; do
            printf '<tr><td>%s</td><td>%s</td><td>%.4g</td><td>%.4g</td><td>%s</td><td>%s</td></tr>\n' "$s" "$t" "$p" "$c" "$k" "$n"
        done)
    got=$(printf '%s\n' "$block" | grep '^<tr><td>')
    [ -n "$want" ] || fail "run $id of $db recorded no evaluation"
    [ "$got" = "$want" ] || fail "the evaluations of run $id of $db differ from the database:
$got
expected:
$want"
    local best n
    best=$(printf '%.4g' "$(q "$db" "SELECT best_reward FROM runs WHERE id = $id;")")
    n=$(q "$db" "SELECT n_rollouts FROM runs WHERE id = $id;")
    grep -q "<td class=\"run\">$id</td><td>$db</td>.*<td>$n</td><td>$best</td>" report.html \
        || fail "the runs table does not show run $id of $db with $n rollouts and best reward $best"
}
check_run a.db 1 '#1 default@a.db'
check_run a.db 2 '#2 default@a.db'
check_run b.db 1 '#1 &lt;i&gt;&amp;x@b.db'
lr=$(q a.db "SELECT config FROM runs WHERE id = 1;" | sed -n 's/^lr = //p')
grep -q "<tr><td>optim.lr</td><td>$lr</td><td>0.004</td><td>$lr</td></tr>" report.html \
    || fail "the keys-that-differ table does not show optim.lr $lr / 0.004 / $lr"
nonzero=$(q a.db "SELECT count(*) FROM evals WHERE pass1 > 0;")
[ "$nonzero" -gt 0 ] || fail "no evaluation above 0: the numbers checked above would prove little"
grep -q '<td>run.seed</td>' report.html || fail "the keys-that-differ table does not show run.seed"
grep -q '<td>run 1 @ step 2</td>' report.html || fail "the fork's parent is not shown"
grep -q "<td>3</td><td>set</td><td>optim.lr $lr &rarr; 0.004</td>" report.html || fail "the fork's change is not an event"
[ "$(grep -o '#2 forks from #1 @ 2' report.html | wc -l)" = 5 ] || fail "the fork's branch point is not marked on every chart"
for what in best worst; do
    [ "$(grep -c "<h4>$what: step" report.html)" = 3 ] || fail "not every run has its $what transcript"
done
echo "ok: report of 3 runs in 2 databases: self-contained, escaped, numbers as in the databases"

# A single run, picked with --run.
"$BIN" report a.db --run 2 --out one.html >one.log 2>&1 || fail "report --run 2 failed"
grep -qF '#2 default' one.html && ! grep -qF '#1 default' one.html || fail "report --run 2 is not about run 2 alone"
grep -q '<details open><summary>' one.html || fail "a one-run report does not show its config"

# Failures leave no file and keep an older report whole.
sum=$(sha256sum <report.html)
"$BIN" report a.db --run 9 --out report.html >bad.log 2>&1 && fail "a missing run was accepted"
grep -qF 'a.db has no run with id 9 (its runs: 1, 2)' bad.log || fail "the missing run is not named: $(cat bad.log)"
"$BIN" report nope.db --out report.html >bad.log 2>&1 && fail "a missing database was accepted"
grep -qF 'nope.db: No such file or directory' bad.log || fail "the missing database is not named: $(cat bad.log)"
[ "$(sha256sum <report.html)" = "$sum" ] || fail "a failed report changed the older one"
"$BIN" report a.db --out no/such/dir/r.html >bad.log 2>&1 && fail "a report into a missing folder was accepted"
grep -qF 'no/such/dir/r.html.tmp-' bad.log || fail "the failed write does not name the file: $(cat bad.log)"
"$BIN" report --out x.html >bad.log 2>&1; [ $? = 2 ] || fail "no database given is not a usage error"
ls ./*.tmp-* x.html 2>/dev/null && fail "a failed report left a file"
echo "e2e_report: ok"
