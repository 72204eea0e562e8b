#!/usr/bin/env bash
# e2e_mpi.sh - data-parallel training under mpirun (core/dist.h), 2 ranks oversubscribed on one machine:
#   - equivalence: with a fixed seed, `mpirun -np 2` stores the same rollouts (prompts, completions, rewards,
#     advantages) as one process at every step, the same counts per step, and losses and gradient norms within
#     1e-5 relative for 3 steps;
#   - the evaluation, its batches dealt to the ranks, gives one process's pass@1, cons@k and lengths;
#   - --resume under mpirun continues from the checkpoint and gives the uninterrupted run's step 3; a live change of
#     G and P (to 3 x 5: blocks of 1 and 2 groups) re-splits the next step, which equals one process's, with
#     entropy-masked updates (their threshold over the whole batch);
#   - dynamic sampling (rounds split across the ranks) gives one process's rollouts, draws, losses and gradient norms;
#   - a split that cannot be made (fewer prompts than ranks) is refused by name;
#   - SIGTERM to rank 0 stops every rank at the next step boundary, exit 0, with a final checkpoint;
#   - a rank killed mid-run ends the job with a non-zero exit; a rank that hangs (stopped) ends it through the
#     watchdog's message within GRPO_MPI_TIMEOUT; the last checkpoint stays whole.
# Registered only in builds with GRPO_MPI. Usage: e2e_mpi.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=${1:?usage: e2e_mpi.sh BINARY SOURCE_DIR}
SRC=${2:?usage: e2e_mpi.sh BINARY SOURCE_DIR}
command -v mpirun >/dev/null || { echo "e2e_mpi: FAIL: needs mpirun (Debian package openmpi-bin)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "e2e_mpi: FAIL: needs the sqlite3 command-line tool (Debian package sqlite3)"; exit 1; }
WORK=$(mktemp -d /tmp/e2e_mpi_XXXXXX)
CFG=$SRC/configs/test-fast.ini
# CI runs as root; one machine, two ranks on however many cores; shared memory without single-copy (containers)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPI=(mpirun -np 2 --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
JOB=
cleanup() { [ -n "$JOB" ] && kill -9 "$JOB" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() {
    echo "e2e_mpi: FAIL: $*"
    for f in "$WORK"/*.log "$WORK"/*.err; do [ -e "$f" ] && { echo "--- $f:"; tail -n 12 "$f"; }; done
    exit 1
}
# rewards that differ within a group (the random model's language score) so that the update learns something;
# evaluation before step 1 and after step 2, 10 problems x 2 samples: batches of 8 problems, one on each rank
ARGS=(--headless --json --set run.steps=3 --set reward.language=1 --set grpo.beta=0.04 --set run.checkpoint_every=1
      --set run.eval_every=2 --set run.eval_problems=10 --set run.eval_samples=2)

"$BIN" train "$CFG" "${ARGS[@]}" --db "$WORK/one.db" --set run.out_dir="$WORK/o1" >"$WORK/one.log" 2>"$WORK/one.err" \
    || fail "the one-process run failed"
"${MPI[@]}" "$BIN" train "$CFG" "${ARGS[@]}" --db "$WORK/two.db" --set run.out_dir="$WORK/o2" >"$WORK/two.log" \
    2>"$WORK/two.err" || fail "the 2-rank run failed"

rollouts() {
    sqlite3 -batch -noheader "$1" "SELECT r.step, r.prompt_index, r.sample_index, t.prompt, t.completion, r.reward,
        r.r_language, r.advantage, r.length, r.finish, r.flags FROM rollouts r JOIN rollout_texts t ON t.id = r.id
        WHERE r.step $2 ORDER BY 1, 2, 3;"
}
n1=$(sqlite3 -batch -noheader "$WORK/one.db" "SELECT COUNT(*) FROM rollouts WHERE step = 1;")
[ "$n1" = 16 ] || fail "step 1 of one process holds $n1 rollouts, not 4 x 4"
[ "$(rollouts "$WORK/one.db" '= 1')" = "$(rollouts "$WORK/two.db" '= 1')" ] || fail "the rollouts of step 1 differ:
$(diff <(rollouts "$WORK/one.db" '= 1') <(rollouts "$WORK/two.db" '= 1') | head -6)"
[ "$(rollouts "$WORK/one.db" '>= 1')" = "$(rollouts "$WORK/two.db" '>= 1')" ] || fail "the rollouts of steps 2-3 differ"
# the per-token record of every rollout: token ids exactly, generation-time log-probs and entropies as stored (half
# floats; a 2-rank step samples from the same logits, so they agree to the stored precision)
tokens() { sqlite3 -batch -noheader "$1" "SELECT r.step, r.prompt_index, r.sample_index, hex(k.ids), length(k.logprob),
    length(k.entropy) FROM rollouts r JOIN rollout_tokens k ON k.id = r.id ORDER BY 1, 2, 3;"; }
[ "$(tokens "$WORK/one.db" | wc -l)" -ge 16 ] || fail "one process stored no per-token record"
[ "$(tokens "$WORK/one.db")" = "$(tokens "$WORK/two.db")" ] || fail "the per-token records differ (rank 0 stores every rank's):
$(diff <(tokens "$WORK/one.db") <(tokens "$WORK/two.db") | head -4)"
counts() { sqlite3 -batch -noheader "$1" "SELECT step, COUNT(*) FROM rollouts GROUP BY step; SELECT step, COUNT(*)
                                          FROM metrics GROUP BY step; SELECT kind, COUNT(*) FROM events GROUP BY kind;"; }
[ "$(counts "$WORK/one.db")" = "$(counts "$WORK/two.db")" ] || fail "the counts per step differ:
$(diff <(counts "$WORK/one.db") <(counts "$WORK/two.db"))"
metric() { sqlite3 -batch -noheader "$1" "SELECT step, name, printf('%.17g', value) FROM metrics
                                          WHERE name IN ('loss', 'policy_loss', 'grad_norm') ORDER BY step, name;"; }
[ "$(metric "$WORK/one.db" | wc -l)" = 9 ] || fail "expected loss, policy_loss and grad_norm for 3 steps: $(metric "$WORK/one.db")"
paste -d'|' <(metric "$WORK/one.db") <(metric "$WORK/two.db") | awk -F'|' '
    { a = $3 + 0; b = $6 + 0; d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; if (b > m) m = b; if (-b > m) m = -b
      if ($1 != $4 || $2 != $5 || d > 1e-5 * m + 1e-12) { print "step " $1 " " $2 ": " $3 " vs " $6; bad = 1 } }
    $2 == "grad_norm" && a == 0 { print "step " $1 ": a zero gradient norm tests nothing"; bad = 1 }
    END { exit bad }' >"$WORK/compare.log" || fail "losses or gradient norms differ by more than 1e-5: $(cat "$WORK/compare.log")"
evals() { sqlite3 -batch -noheader "$1" "SELECT step, name, value FROM metrics WHERE name LIKE 'eval_%' ORDER BY 1, 2;"; }
[ "$(evals "$WORK/one.db" | grep -c '|eval_length|')" = 2 ] || fail "expected evaluations at steps 0 and 2: $(evals "$WORK/one.db")"
evals "$WORK/one.db" | grep '|eval_length|' | grep -q '|0.0$' && fail "an evaluation with no completion tokens tests nothing"
[ "$(evals "$WORK/one.db")" = "$(evals "$WORK/two.db")" ] || fail "the split evaluation differs from one process's:
$(diff <(evals "$WORK/one.db") <(evals "$WORK/two.db"))"
grep -q '"event":"checkpoint"' "$WORK/two.log" || fail "rank 0 wrote no checkpoint"
[ "$(ls "$WORK/o2/test-fast/run-1" | grep -c '^step-')" = 3 ] || fail "expected 3 checkpoints: $(ls -R "$WORK/o2")"

# --resume under mpirun: back to step 2 (the run's steps after it rolled back), then step 3 again from there
rm -rf "$WORK/o2/test-fast/run-1/step-000003"
sqlite3 "$WORK/two.db" "DELETE FROM checkpoints WHERE step = 3;"
"${MPI[@]}" "$BIN" train --resume "$WORK/two.db" --headless --json >"$WORK/resume.log" 2>"$WORK/resume.err" \
    || fail "the resumed 2-rank run failed"
[ "$(rollouts "$WORK/one.db" '= 3')" = "$(rollouts "$WORK/two.db" '= 3')" ] || fail "the resumed step 3 differs from the one-process run's"
[ "$(metric "$WORK/two.db" | wc -l)" = 9 ] || fail "the resumed run holds $(metric "$WORK/two.db" | wc -l) loss/grad rows, not 9"
# a live change of G and P re-splits the step (3 groups of 5 on 2 ranks: 1 + 2), with entropy-masked updates (the
# top half of the batch's tokens): step 4 equals one process's
for db in one two; do
    run=(); [ $db = two ] && run=("${MPI[@]}")
    "${run[@]}" "$BIN" train --resume "$WORK/$db.db" --headless --json --set run.steps=4 \
        --set grpo.prompts_per_step=3 --set grpo.group_size=5 --set grpo.entropy_top_fraction=0.5 \
        >"$WORK/live-$db.log" 2>"$WORK/live-$db.err" || fail "the resume of $db.db with P = 3, G = 5 failed"
done
n4=$(sqlite3 -batch -noheader "$WORK/two.db" "SELECT COUNT(*) FROM rollouts WHERE step = 4;")
[ "$n4" = 15 ] || fail "step 4 with 3 prompts x 5 holds $n4 rollouts"
[ "$(rollouts "$WORK/one.db" '= 4')" = "$(rollouts "$WORK/two.db" '= 4')" ] || fail "step 4 (P = 3, G = 5) differs from one process's"
m4() { sqlite3 -batch -noheader "$1" "SELECT name, printf('%.17g', value) FROM metrics WHERE step = 4 AND name IN
                                      ('entropy_masked', 'loss', 'grad_norm') ORDER BY name;"; }
paste -d'|' <(m4 "$WORK/one.db") <(m4 "$WORK/two.db") | awk -F'|' '
    { a = $2 + 0; b = $4 + 0; d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; if (b > m) m = b; if (-b > m) m = -b
      if ($1 != $3 || d > 1e-5 * m + 1e-12 || a == 0) { print $1 ": " $2 " vs " $4; bad = 1 } }
    END { exit bad || NR != 3 }' >"$WORK/m4.log" || fail "step 4 (entropy-masked, top half) differs: $(cat "$WORK/m4.log")"

# a split that cannot be made is refused by name
"${MPI[@]}" "$BIN" train "$CFG" --headless --db none --set run.out_dir="$WORK/o3" --set grpo.prompts_per_step=1 \
    >"$WORK/few.log" 2>&1 && fail "1 prompt on 2 ranks was accepted"
grep -q 'grpo.prompts_per_step = 1 is below the 2 MPI ranks' "$WORK/few.log" || fail "the refusal of 1 prompt does not say why"

# dynamic sampling: rounds of the groups still missing, each split across the ranks (2 samples of 3 tokens: many
# groups score alike and are dropped); the same rollouts, draws, losses and gradient norms as one process
DYN=(--headless --json --set run.steps=4 --set reward.language=1 --set grpo.group_size=2 --set sampling.max_new_tokens=3
     --set grpo.dynamic_sampling=1 --set grpo.beta=0.04)
"$BIN" train "$CFG" "${DYN[@]}" --db "$WORK/dyn1.db" --set run.out_dir="$WORK/d1" >"$WORK/dyn1.log" 2>&1 \
    || fail "the one-process dynamic sampling run failed"
"${MPI[@]}" "$BIN" train "$CFG" "${DYN[@]}" --db "$WORK/dyn2.db" --set run.out_dir="$WORK/d2" >"$WORK/dyn2.log" 2>&1 \
    || fail "the 2-rank dynamic sampling run failed"
[ "$(rollouts "$WORK/dyn1.db" '>= 1')" = "$(rollouts "$WORK/dyn2.db" '>= 1')" ] || fail "dynamic sampling: the rollouts differ"
more=$(sqlite3 -batch -noheader "$WORK/dyn1.db" "SELECT COUNT(*) FROM metrics WHERE name = 'prompts_drawn' AND value > 4;")
[ "$more" -ge 1 ] || fail "dynamic sampling never drew a second round: the test tests nothing"
dm() { sqlite3 -batch -noheader "$1" "SELECT step, name, printf('%.17g', value) FROM metrics WHERE name IN
                                      ('loss', 'grad_norm', 'prompts_drawn') ORDER BY step, name;"; }
paste -d'|' <(dm "$WORK/dyn1.db") <(dm "$WORK/dyn2.db") | awk -F'|' '
    { a = $3 + 0; b = $6 + 0; d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; if (b > m) m = b; if (-b > m) m = -b
      if ($1 != $4 || $2 != $5 || d > 1e-5 * m + 1e-12) { print "step " $1 " " $2 ": " $3 " vs " $6; bad = 1 } }
    END { exit bad || NR != 12 }' >"$WORK/dyn.cmp" || fail "dynamic sampling: metrics differ: $(cat "$WORK/dyn.cmp")"

# A rank that dies, then one that hangs: the job ends (bounded waits below: the test fails, never hangs).
rank_pid() { # the pid of rank $1 of the job started by mpirun $2
    for p in $(pgrep -P "$2"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo "$p"; return; }
    done
}
long_job() { # $1: name; runs many steps in the background, waits for step 2, sets JOB and RANK1
    GRPO_MPI_TIMEOUT=5 "${MPI[@]}" "$BIN" train "$CFG" --headless --json --db "$WORK/$1.db" --set run.steps=100000 \
        --set run.out_dir="$WORK/$1" --set run.checkpoint_every=1 >"$WORK/$1.log" 2>"$WORK/$1.err" &
    JOB=$!
    for _ in $(seq 600); do grep -q '"step":2,' "$WORK/$1.log" 2>/dev/null && break; sleep 0.1; done
    grep -q '"step":2,' "$WORK/$1.log" || fail "$1: the job did not reach step 2"
    RANK1=$(rank_pid 1 "$JOB")
    [ -n "$RANK1" ] || fail "$1: cannot find rank 1 among mpirun's children"
}
wait_job() { # $1: name; the job must end by itself (bounded), non-zero; sets RC
    for _ in $(seq 1200); do kill -0 "$JOB" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$JOB" 2>/dev/null && fail "$1: the job still runs 120 s after its rank was lost"
    wait "$JOB"; RC=$?; JOB=
    [ "$RC" != 0 ] || fail "$1: the job exited 0"
    last=$(ls -d "$WORK/$1"/test-fast/run-1/step-* | tail -n 1)
    [ -s "$last/model.safetensors" ] && [ -s "$last/config.json" ] || fail "$1: the last checkpoint $last is not whole"
}
# SIGTERM to rank 0 stops the whole job cleanly at the next step boundary: every rank exits 0, a final checkpoint
long_job stopped
kill -TERM "$(rank_pid 0 "$JOB")"
for _ in $(seq 1200); do kill -0 "$JOB" 2>/dev/null || break; sleep 0.1; done
kill -0 "$JOB" 2>/dev/null && fail "stopped: the job still runs 120 s after SIGTERM to rank 0"
wait "$JOB" || fail "stopped: the job exited $? after SIGTERM to rank 0"
JOB=
st=$(sqlite3 -batch -noheader "$WORK/stopped.db" "SELECT status FROM runs;")
[ "$st" = stopped ] || fail "stopped: the run's status is '$st'"
last=$(grep -o '"event":"stop","step":[0-9]*' "$WORK/stopped.log" | grep -o '[0-9]*$')
[ -s "$WORK/stopped/test-fast/run-1/step-$(printf %06d "$last")/model.safetensors" ] || fail "stopped: no checkpoint of step $last"

long_job killed
kill -9 "$RANK1"
wait_job killed
grep -qi 'signal 9\|killed' "$WORK/killed.err" || fail "killed: no message names the lost rank: $(cat "$WORK/killed.err")"

long_job hung
kill -STOP "$RANK1"
wait_job hung
kill -9 "$RANK1" 2>/dev/null
grep -q 'no answer from the other ranks for 5 s' "$WORK/hung.err" || fail "hung: the watchdog's message is missing"
echo "e2e_mpi: ok (rollouts equal over 3 steps, resume, refusals, killed rank rc $RC, hung rank)"
