#!/usr/bin/env bash
# e2e_learn.sh BIN SRC - pretrain a small model on a synthetic addition corpus, then GRPO from it, and check that
# learning happened: the mean reward of the last 5 steps is clearly above that of the first 5 (read back from the
# run database). Fixed seed; well under two minutes on two cores.
set -euo pipefail
bin=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" pretrain "$src/configs/test-learn.ini" --out base --no-eval > pretrain.log || { cat pretrain.log; exit 1; }
tail -1 pretrain.log
"$bin" train "$src/configs/test-learn.ini" --headless --set model.init=base --db run.db > train.log \
  || { cat train.log; exit 1; }
first=$(sqlite3 run.db "select avg(value) from metrics where name='reward' and step between 1 and 5")
last=$(sqlite3 run.db "select avg(value) from metrics where name='reward' and step between 26 and 30")
acc_first=$(sqlite3 run.db "select avg(value) from metrics where name='accuracy' and step between 1 and 5")
acc_last=$(sqlite3 run.db "select avg(value) from metrics where name='accuracy' and step between 26 and 30")
echo "mean reward steps 1-5: $first, steps 26-30: $last; accuracy $acc_first -> $acc_last"
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b >= a + 0.15) }' || { echo "FAIL: reward did not rise by 0.15"; cat train.log; exit 1; }
