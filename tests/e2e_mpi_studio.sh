#!/usr/bin/env bash
# e2e_mpi_studio.sh - the studio on rank 0 of `mpirun -np 2 --stdin none` (2 ranks oversubscribed on one machine) in
# a real terminal (tmux): rank 0 takes the terminal mpirun was started from; Space pauses every rank at a step
# boundary and the job outlives a pause longer than GRPO_MPI_TIMEOUT (rank 0's heartbeat keeps the other rank's
# watchdog quiet); s runs one step on every rank; Space resumes; q + y stops every rank, exit 0, a final checkpoint,
# and the database holds G x P rollouts for every step. Registered only in builds with GRPO_MPI.
# Usage: e2e_mpi_studio.sh GRPO_STUDIO_BINARY SOURCE_DIR
set -u
BIN=$(readlink -f "${1:?usage: e2e_mpi_studio.sh BINARY SOURCE_DIR}")
SRC=$(readlink -f "${2:?usage: e2e_mpi_studio.sh BINARY SOURCE_DIR}")
PANE=studio
. "$SRC/tests/tmux_lib.sh"
for c in tmux sqlite3 mpirun; do command -v $c >/dev/null || { echo "e2e_mpi_studio: FAIL: needs $c"; exit 1; }; done
TMP=$(mktemp -d /tmp/e2e_mpi_studio.XXXXXX)
cleanup() { T kill-server 2>/dev/null; sleep 1; rm -rf "$TMP"; }
trap cleanup EXIT
DB="$TMP/run.db"
OUT="$TMP/out"
step_now() { screen | head -1 | sed -nE 's/.*step ([0-9]+)\/.*/\1/p'; }

T new-session -d -s studio -x 100 -y 30 \
    "cd '$TMP' && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
     GRPO_MPI_TIMEOUT=3 mpirun -np 2 --stdin none --oversubscribe --mca btl self,vader \
     --mca btl_vader_single_copy_mechanism none '$BIN' train '$SRC/configs/test-fast.ini' --set run.steps=1000000 \
     --set run.db='$DB' --set run.out_dir='$OUT' --set run.checkpoint_every=0 2>'$TMP/err.log'; echo \"EXIT=\$?\"; \
     sleep 600"
T set-option -t studio remain-on-exit on >/dev/null

wait_for 'step [0-9]+/1000000' 60 || fail "the Train screen did not appear on rank 0"
s1=$(step_now); sleep 1; s2=$(step_now)
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s2" -gt "$s1" ] || fail "steps do not advance ($s1 -> $s2)"

T send-keys -t studio ' '
wait_for 'PAUSED' 10 || fail "Space did not show PAUSED"
p1=$(step_now)
sleep 5    # longer than GRPO_MPI_TIMEOUT: the other rank waits at the boundary, its watchdog must not fire
p2=$(step_now)
[ "$p1" = "$p2" ] || fail "steps go on while paused ($p1 -> $p2)"
screen | grep -q 'EXIT=' && fail "the job ended while paused: $(cat "$TMP/err.log")"
grep -q 'no answer' "$TMP/err.log" && fail "a watchdog fired while paused: $(cat "$TMP/err.log")"

T send-keys -t studio 's'
stepped() { local n; n=$(step_now); [ -n "$n" ] && [ "$n" = $((p1 + 1)) ] && screen | head -1 | grep -q PAUSED; }
for ((i = 0; i < 300; i++)); do stepped && break; sleep 0.1; done
stepped || fail "s did not run one step on every rank and pause again (step $(step_now), was $p1)"

T send-keys -t studio ' '
wait_for 'RUNNING' 10 || fail "Space did not resume"
r1=$(step_now); sleep 1.5; r2=$(step_now)
[ "$r2" -gt "$r1" ] || fail "steps do not advance after resuming ($r1 -> $r2)"

T send-keys -t studio 'q'
sleep 0.5
T send-keys -t studio 'y'
wait_for 'EXIT=' 60 || fail "q + y did not end the job"
wait_for 'EXIT=0' 1 || fail "the job ended with $(screen | grep -o 'EXIT=[0-9]*'): $(cat "$TMP/err.log")"
last=$(sqlite3 -batch -noheader "$DB" "SELECT MAX(step) FROM rollouts;")
bad=$(sqlite3 -batch -noheader "$DB" "SELECT COUNT(*) FROM (SELECT step FROM rollouts GROUP BY step HAVING COUNT(*) != 16);")
[ "$bad" = 0 ] || fail "$bad steps do not hold 4 x 4 rollouts"
st=$(sqlite3 -batch -noheader "$DB" "SELECT status FROM runs;")
[ "$st" = stopped ] || fail "the run's status is '$st'"
[ -s "$(ls -d "$OUT"/test-fast/run-1/step-* | tail -n 1)/model.safetensors" ] || fail "no final checkpoint"
pauses=$(sqlite3 -batch -noheader "$DB" "SELECT COUNT(*) FROM events WHERE kind_name = 'pause';")
[ "${pauses:-0}" -ge 1 ] || fail "no pause event in the database"
echo "e2e_mpi_studio: ok (paused 5 s at step $p1 past a 3 s timeout, one step, resumed, stopped at step $last)"
