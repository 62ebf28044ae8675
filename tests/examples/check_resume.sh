#!/usr/bin/env bash
# A training run killed with SIGKILL at a random step and resumed from its
# last checkpoint logs the same loss at every step, bit for bit, as an
# uninterrupted run:
#
#   check_resume.sh WORKDIR PROGRAM RANKS EVERY -- COMMAND...
#
# COMMAND runs PROGRAM (alone, or RANKS ranks under mlx.launch or mpirun)
# and takes --log FILE, --checkpoint DIR, --checkpoint-every N and --resume
# at its end; its log has a line per step. The killed run saves every EVERY
# steps; it is killed once its log shows a step chosen at random after the
# first checkpoint (KILL_STEP=S KILL_RANK=R reproduce a choice). In a job
# of several ranks one rank is killed and the rest must end within a
# bounded time (a dead peer is an error, never a hang).
set -euo pipefail
work="$1"
program=$(readlink -f "$2")
ranks="$3"
every="$4"
shift 5
rm -rf "$work" && mkdir -p "$work"
# The longest a run may take, and a job with a killed rank may linger.
run_limit=240
death_limit=60

fail() {
  echo "FAIL: $*"
  for f in "$work"/*.out; do
    echo "--- $f"
    tail -20 "$f"
  done
  exit 1
}

# "step loss" for the last line of each step of a JSON-lines log, the loss
# as written (exact digits).
losses() {
  sed -E 's/^\{"step":([0-9]+),"loss":([^,]+),.*/\1 \2/' "$1" |
    awk '{ last[$1] = $2 } END { for (s in last) print s, last[s] }' |
    sort -n
}

# All processes below pid $1.
descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

# The processes of PROGRAM below pid $1 (the ranks).
rank_pids() {
  local p
  for p in $(descendants "$1"); do
    [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$program" ] && echo "$p"
  done
  return 0
}

# Whether process $1 is rank $2 (by the variable its launcher set).
is_rank() {
  [ "$ranks" = 1 ] && return 0
  # Read whole first: grep -q ending early would fail the pipe (pipefail).
  local env
  env=$(tr '\0' '\n' < "/proc/$1/environ")
  grep -qxE "(MLX_RANK|OMPI_COMM_WORLD_RANK)=$2" <<< "$env"
}

# 1. The uninterrupted run.
timeout -k 5 "$run_limit" "$@" --log "$work/full.jsonl" \
  > "$work/full.out" 2>&1 || fail "the uninterrupted run failed"
steps=$(losses "$work/full.jsonl" | tail -1 | cut -d' ' -f1)
[ "$steps" -gt $((2 * every + 2)) ] || fail "$steps steps: too few for EVERY=$every"

# 2. The same run, saving every $every steps, killed at a random step after
# the first checkpoint is in place (a step's log line is written before
# that step's checkpoint, so the log showing every + 1 means it is done).
kill_step=${KILL_STEP:-$((every + 1 + RANDOM % (steps / 2 - every)))}
kill_rank=${KILL_RANK:-$((RANDOM % ranks))}
echo "killing rank $kill_rank at step $kill_step of $steps" \
  "(reproduce: KILL_STEP=$kill_step KILL_RANK=$kill_rank)"
ckpt=(--checkpoint "$work/checkpoint" --checkpoint-every "$every")
: > "$work/resumed.jsonl"
timeout -k 5 "$run_limit" "$@" --log "$work/resumed.jsonl" "${ckpt[@]}" \
  > "$work/killed.out" 2>&1 &
job=$!
# Block on the log until a step shows (tail ends with the job).
wait_for_step() {
  grep -m1 -q "^{\"step\":$1," \
    < <(tail -n +1 -f --pid="$job" "$work/resumed.jsonl")
}
# Once training runs, every rank is up: find them now, since steps are
# quick, then freeze them all as soon as the step shows and kill one.
wait_for_step 1 || fail "the run ended before its first step"
pids=$(rank_pids "$job")
[ "$(wc -w <<< "$pids")" = "$ranks" ] || fail "not $ranks ranks: $pids"
wait_for_step "$kill_step" || fail "the run ended before step $kill_step"
kill -STOP $pids || fail "the run ended before it could be killed"
victim=
for p in $pids; do
  is_rank "$p" "$kill_rank" && victim=$p
done
[ -n "$victim" ] || fail "no process of rank $kill_rank"
kill -KILL "$victim"
kill -CONT $pids 2> /dev/null || true
killed_at=$SECONDS
# The whole job must end: block until it does, within $death_limit s.
if ! timeout "$death_limit" tail -f --pid="$job" /dev/null; then
  kill -TERM "$job"
  fail "the job still ran $death_limit s after rank $kill_rank was killed"
fi
status=0
wait "$job" || status=$?
[ "$status" -ne 0 ] || fail "the killed job exited with status 0"
echo "the job ended $((SECONDS - killed_at)) s after the kill (status $status)"
[ -f "$work/checkpoint/checkpoint.h5" ] || fail "no checkpoint was written"

# 3. Resume, appending to the killed run's log.
timeout -k 5 "$run_limit" "$@" --log "$work/resumed.jsonl" "${ckpt[@]}" \
  --resume > "$work/resume.out" 2>&1 || fail "the resumed run failed"
log_lines=$(grep -c . "$work/resumed.jsonl")
echo "log: $log_lines lines for $steps steps (the resumed run redid" \
  "$((log_lines - steps)))"

if ! diff <(losses "$work/full.jsonl") <(losses "$work/resumed.jsonl"); then
  fail "the resumed run's losses differ (< uninterrupted, > resumed)"
fi
echo "all $steps losses identical"
