#!/usr/bin/env bash
# style_stats.sh RUN.db [FIRST_STEP LAST_STEP] - the solution style of every rollout of a run database (addition
# and the other built-in tasks write their styles alike, core/task.h), with its share and accuracy:
#   direct      the thinking is empty ("</think><answer>...")
#   scratchpad  worked steps, no check
#   check       worked steps and "verify" (the inverse operation), no "wait"
#   wait        a check that found a mismatch, "wait", and the steps redone
# Also the rate of reflection-flagged rollouts (flag bit 1, what metric reflection_rate counts) and of
# self-corrections (bit 2). Reads only; needs the sqlite3 command-line shell.
set -euo pipefail
db=$1 lo=${2:-0} hi=${3:-1000000000}
sqlite3 -header -column "$db" "
with r as (
  select r.step, r.correct, r.length, r.flags, t.completion as c from rollouts r join rollout_texts t on t.id = r.id
  where r.step between $lo and $hi),
s as (
  select *, case when c like '%wait%' then 'wait'
                 when c like '%verify%' then 'check'
                 when instr(c, '</think>') = 1 then 'direct'
                 else 'scratchpad' end as style from r)
select style, count(*) as n, round(1.0 * count(*) / (select count(*) from s), 3) as share,
       round(avg(correct), 3) as accuracy, round(avg(length), 1) as mean_len
from s group by style
union all
select 'ALL', count(*), 1.0, round(avg(correct), 3), round(avg(length), 1) from s;
select round(avg((flags & 1) != 0), 4) as reflection_rate, round(avg((flags & 2) != 0), 4) as self_correction_rate,
       min(step) as first_step, max(step) as last_step
from rollouts where step between $lo and $hi;"
