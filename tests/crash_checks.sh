# crash_checks.sh - sourced by the crash tests (e2e_crash.sh, e2e_studio_crash.sh): the invariants of a run
# database that nobody is writing, after a process that wrote it was killed. Needs DB, PER_STEP (rollouts per
# step) and the functions fail and q (q SQL: one query's rows) from the sourcing script.
#   check_db COMMITTED  - COMMITTED: rollouts a reader saw committed just before the kill.
# Checked: PRAGMA integrity_check is ok; the FTS index agrees with the texts; no committed rollout is lost; every
# step present has all its rollouts, their text rows and its metrics; steps are contiguous from 1; the run's
# counters agree with the tables (they are written in the same transaction).
check_db() {
    local committed=$1 ic n texts bad_steps nsteps maxstep minstep msteps
    ic=$(q "PRAGMA integrity_check;") || fail "integrity_check could not run"
    [ "$ic" = "ok" ] || fail "integrity_check: $ic"
    q "INSERT INTO rollouts_fts(rollouts_fts) VALUES ('integrity-check');" >/dev/null 2>"$WORK/fts.err" \
        || fail "FTS index out of step with the texts: $(cat "$WORK/fts.err")"
    n=$(q "SELECT count(*) FROM rollouts;")
    [ "$n" -ge "$committed" ] || fail "committed rollouts lost: $committed before the kill, $n after"
    texts=$(q "SELECT count(*) FROM rollout_texts;")
    [ "$n" = "$texts" ] || fail "$n rollouts but $texts text rows"
    bad_steps=$(q "SELECT group_concat(step) FROM (SELECT step FROM rollouts GROUP BY step HAVING count(*) != $PER_STEP);")
    [ -z "$bad_steps" ] || fail "steps with a partial set of rollouts: $bad_steps"
    read -r nsteps minstep maxstep <<<"$(q "SELECT count(DISTINCT step), coalesce(min(step),0), coalesce(max(step),0) FROM rollouts;" | tr '|' ' ')"
    [ "$nsteps" = "$maxstep" ] && { [ "$nsteps" = 0 ] || [ "$minstep" = 1 ]; } \
        || fail "steps not contiguous from 1: $nsteps distinct, min $minstep, max $maxstep"
    msteps=$(q "SELECT count(*) FROM (SELECT DISTINCT step FROM metrics) m WHERE m.step NOT IN (SELECT step FROM rollouts);")
    [ "$msteps" = 0 ] || fail "$msteps steps have metrics but no rollouts"
    [ "$(q "SELECT n_rollouts FROM runs ORDER BY id DESC LIMIT 1;")" = "$n" ] \
        || fail "the run's n_rollouts counter disagrees with the table (same transaction, must match)"
}
