#!/usr/bin/env bash
# bench_dblog.sh - what logging every rollout to the run database costs a training step: the same headless run
# (same config, same seed) with --db none and with a database, alternated ROUNDS times so that drift in machine load
# hits both alike; prints the mean step time of each and the overhead. Not a CTest test (it measures, it does not
# assert): run it by hand on a quiet machine.
# Usage: bench_dblog.sh GRPO_STUDIO_BINARY SOURCE_DIR [STEPS] [ROUNDS] [extra --set options...]
set -eu
BIN=${1:?usage: bench_dblog.sh BINARY SOURCE_DIR [STEPS] [ROUNDS]}
SRC=${2:?}
STEPS=${3:-8}
ROUNDS=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
WORK=$(mktemp -d /tmp/bench_dblog_XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# 128 rollouts a step (16 prompts x 8 samples, the default experiment's shape) from a random tiny model.
SETS=(--set model.init=random --set run.steps="$STEPS" --set run.checkpoint_every=0 --set run.eval_every=0
      --set run.out_dir="$WORK/ck" --set sampling.max_new_tokens=64 --set run.seed=1 "$@")

# Mean of the per-step times ("... 1.23s" at the end of each step line), skipping step 1 (warm-up).
mean_step() { awk '/^step /{ t=$NF; sub(/s$/,"",t); n++; if (n>1) { s+=t; m++ } } END { if (m) printf "%.4f", s/m; else print "nan" }' "$1"; }

# One run; appends "cpu_seconds" of the whole process (user + sys) to $2.cpu. $1: log file, rest: --db option.
run_one() {
    local log=$1; shift
    local TIMEFORMAT='%U %S'
    { time "$BIN" train "$SRC/configs/default.ini" --headless "$@" "${SETS[@]}" >"$log" 2>&1 ; } 2>"$log.time"
    awk '{ print $1 + $2 }' "$log.time" >"$log.cpu"
}

none_sum=0; db_sum=0; none_cpu=0; db_cpu=0
for r in $(seq 1 "$ROUNDS"); do
    rm -f "$WORK/run.db"*
    # Alternate which goes first, so a load trend does not favour one side.
    if [ $((r % 2)) = 1 ]; then
        run_one "$WORK/none.$r.log" --db none; run_one "$WORK/db.$r.log" --db "$WORK/run.db"
    else
        run_one "$WORK/db.$r.log" --db "$WORK/run.db"; run_one "$WORK/none.$r.log" --db none
    fi
    n=$(mean_step "$WORK/none.$r.log"); d=$(mean_step "$WORK/db.$r.log")
    nc=$(cat "$WORK/none.$r.log.cpu"); dc=$(cat "$WORK/db.$r.log.cpu")
    rows=$(sqlite3 -noheader "$WORK/run.db" "SELECT count(*) FROM rollouts;" 2>/dev/null || echo "?")
    echo "round $r: no database $n s/step ($nc s CPU), database $d s/step ($dc s CPU, $rows rollouts logged)"
    none_sum=$(awk -v a="$none_sum" -v b="$n" 'BEGIN{print a+b}'); db_sum=$(awk -v a="$db_sum" -v b="$d" 'BEGIN{print a+b}')
    none_cpu=$(awk -v a="$none_cpu" -v b="$nc" 'BEGIN{print a+b}'); db_cpu=$(awk -v a="$db_cpu" -v b="$dc" 'BEGIN{print a+b}')
done
awk -v n="$none_sum" -v d="$db_sum" -v r="$ROUNDS" -v nc="$none_cpu" -v dc="$db_cpu" 'BEGIN {
    printf "mean step: no database %.4f s, database %.4f s, overhead %+.2f%%\n", n/r, d/r, 100*(d-n)/n
    printf "process CPU: no database %.2f s, database %.2f s, overhead %+.2f%%\n", nc/r, dc/r, 100*(dc-nc)/nc }'
