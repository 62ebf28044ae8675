#!/usr/bin/env bash
# End-to-end tests of mlx.launch, one case per ctest entry:
#   launch_test.sh CASE LAUNCHER RANK_PROBE RESTART_PROGRAM
# Runtime bounds come from each test's ctest TIMEOUT: nothing here sleeps to
# wait; waiting is on pipes (a fifo of the launcher's output) or locks.
set -u

case_name=$1
launcher=$2
probe=$3
restart_program=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL ($case_name): $*"
  for f in "$work"/stdout "$work"/stderr; do
    [ -f "$f" ] && { echo "--- $f"; head -40 "$f"; }
  done
  exit 1
}

# Runs the launcher; its output goes to $work/stdout and $work/stderr.
launch() {
  "$launcher" "$@" > "$work/stdout" 2> "$work/stderr"
  rc=$?
}

expect_rc() {
  [ "$rc" -eq "$1" ] || fail "exit code $rc, expected $1"
}

expect_line() { # file line
  grep -Fxq -- "$2" "$1" || fail "no line '$2' in $(basename "$1")"
}

expect_text() { # file text
  grep -Fq -- "$2" "$1" || fail "no '$2' in $(basename "$1")"
}

# Starts the launcher in the background and reads its stdout (through a fifo)
# until N lines containing "ready" have arrived.
start_until_ready() { # N launcher-args...
  local wanted=$1 seen=0 line
  shift
  mkfifo "$work/fifo"
  "$launcher" "$@" > "$work/fifo" 2> "$work/stderr" &
  launcher_pid=$!
  exec 5< "$work/fifo"
  while [ "$seen" -lt "$wanted" ] && IFS= read -r line <&5; do
    printf '%s\n' "$line" >> "$work/stdout"
    case $line in *ready*) seen=$((seen + 1)) ;; esac
  done
  [ "$seen" -eq "$wanted" ] || fail "only $seen of $wanted ranks got ready"
}

# Reads the rest of the launcher's output and waits for it to exit.
finish_background() {
  cat <&5 >> "$work/stdout"
  exec 5<&-
  wait "$launcher_pid"
  rc=$?
}

# Every line of FILE is "[r] KIND rank=r line=i <letters of rank r> end",
# and each of RANKS ranks wrote lines 0..COUNT-1 in order.
check_prefixed_lines() { # file kind ranks count
  awk -v kind="$2" -v ranks="$3" -v count="$4" '
    function bad(why) { print why ": " $0; failed = 1 }
    {
      if ($0 !~ /^\[[0-9]+\] [a-z]+ rank=[0-9]+ line=[0-9]+ [a-z]+ end$/) {
        bad("malformed line " NR); next
      }
      r = substr($1, 2, length($1) - 2) + 0
      letter = sprintf("%c", 97 + r)
      if ($2 != kind) bad("line from the wrong stream")
      if ($3 != "rank=" r) bad("prefix does not match the rank")
      if ($5 !~ "^" letter "+$") bad("line mixed with another rank")
      if (substr($4, 6) + 0 != next_line[r]) bad("line out of order")
      next_line[r]++
    }
    END {
      for (r = 0; r < ranks; r++)
        if (next_line[r] != count) {
          print "rank " r ": " next_line[r] + 0 " lines, expected " count
          failed = 1
        }
      exit failed
    }' "$1" || fail "bad $2 lines"
}

case $case_name in
InterleavedOutputIsPrefixedLineByLine)
  launch -n 4 "$probe" lines 300
  expect_rc 0
  check_prefixed_lines "$work/stdout" out 4 300
  check_prefixed_lines "$work/stderr" err 4 300
  ;;

ProgramWithoutDoubleDash)
  launch -n 2 --env X=1 "$probe" env X
  expect_rc 0
  expect_line "$work/stdout" "[0] X=1"
  launch -n 2 -- "$probe" env X
  expect_rc 0
  expect_line "$work/stdout" "[1] X unset"
  ;;

FailingRankCodeIsPropagatedAndOthersStopped)
  # Ranks other than 2 block in pause(): only being stopped ends them, and
  # the ctest TIMEOUT bounds how long that may take.
  launch -n 4 "$probe" fail 2 3
  expect_rc 3
  expect_line "$work/stderr" \
    "mlx.launch: rank 2 exited with code 3; stopping the other ranks"
  expect_line "$work/stdout" "[2] failing"
  ;;

SignalDeathGives128PlusSignal)
  launch -n 3 "$probe" signal 1 10 # SIGUSR1
  expect_rc 138
  expect_text "$work/stderr" "mlx.launch: rank 1 was killed by signal 10"
  launch -n 2 "$probe" signal 0 9 # SIGKILL
  expect_rc 137
  ;;

MissingProgramGives127)
  launch -n 2 "$work/no-such-program"
  expect_rc 127
  expect_text "$work/stderr" "cannot run '$work/no-such-program'"
  ;;

LauncherSignalsAreForwarded)
  for sig in INT TERM; do
    rm -f "$work/fifo" "$work/stdout"
    start_until_ready 3 -n 3 "$probe" report-signal
    kill -s "$sig" "$launcher_pid"
    finish_background
    num=$(kill -l "$sig")
    expect_line "$work/stderr" "mlx.launch: got SIG$sig; passing it to the ranks"
    expect_rc $((128 + num))
    for r in 0 1 2; do
      expect_line "$work/stdout" "[$r] got signal $num"
    done
  done
  ;;

RankIgnoringSigtermIsKilled)
  start_until_ready 2 -n 2 "$probe" ignore-term
  kill -s TERM "$launcher_pid"
  finish_background
  expect_rc 143
  expect_text "$work/stderr" "did not stop within"
  ;;

EnvIsPassed)
  launch -n 2 --env FOO=bar --env "SPACED=a b" --env=EMPTY= -- \
    "$probe" env FOO SPACED EMPTY MLX_RANK
  expect_rc 0
  for r in 0 1; do
    expect_line "$work/stdout" "[$r] FOO=bar"
    expect_line "$work/stdout" "[$r] SPACED=a b"
    expect_line "$work/stdout" "[$r] EMPTY="
    expect_line "$work/stdout" "[$r] MLX_RANK=$r"
  done
  ;;

RingSecretIsInTheEnvironmentNotOnCommandLines)
  # Local ranks and a rank over (fake) ssh get the same fresh secret; no
  # command line of a rank or its ancestors (the ssh command, the remote
  # sh -c) shows it, nor does the hostfile.
  printf '[{"ssh": "localhost"}, {"ssh": "fakehost", "ips": ["10.11.12.13"]}]' \
    > "$work/hosts.json"
  export MLX_LAUNCH_SSH="$here/fake_ssh.sh"
  unset MLX_RING_SECRET
  launch --hostfile "$work/hosts.json" -n 3 "$probe" secret
  expect_rc 0
  expect_line "$work/stderr" "[1] fake_ssh: connected to fakehost"
  grep -q 'secret found' "$work/stdout" && fail "the secret leaked"
  first=$(grep '^\[0\] secret ' "$work/stdout")
  prefix=${first#"[0] secret 64 "}
  [ "${#prefix}" -eq 8 ] || fail "rank 0 got no 64-character secret"
  for r in 0 1 2; do
    expect_line "$work/stdout" "[$r] secret 64 $prefix"
  done
  cp "$work/stdout" "$work/first"
  launch -n 1 "$probe" secret
  grep -Fxq "[0] secret 64 $prefix" "$work/stdout" &&
    fail "two jobs got the same secret"
  # One exported in the launcher's environment is used as it is; --env
  # would put it on command lines and is refused.
  MLX_RING_SECRET=0123456789abcdef0123456789abcdef-pinned \
    launch --hostfile "$work/hosts.json" "$probe" secret
  expect_rc 0
  expect_line "$work/stdout" "[1] secret 39 01234567"
  grep -q 'secret found' "$work/stdout" && fail "the secret leaked"
  launch -n 2 --env MLX_RING_SECRET=0123456789abcdef0123456789abcdef \
    "$probe" secret
  expect_rc 2
  expect_text "$work/stderr" "--env MLX_RING_SECRET=... would show the secret"
  MLX_RING_SECRET=short launch -n 2 "$probe" secret
  expect_rc 2
  expect_text "$work/stderr" "MLX_RING_SECRET is 5 characters long"
  ;;

CwdIsUsed)
  mkdir "$work/run dir"
  launch -n 2 --cwd "$work/run dir" "$probe" cwd
  expect_rc 0
  expect_line "$work/stdout" "[0] $work/run dir"
  expect_line "$work/stdout" "[1] $work/run dir"
  ;;

RingHostfileForFourRanks)
  # Rank 0 prints the hostfile it was given; --verbose prints the same.
  launch -n 4 --verbose --starting-port 45100 "$probe" hostfile
  expect_rc 0
  grep '^\[0\] ' "$work/stdout" | sed 's/^\[0\] //' > "$work/hostfile"
  [ "$(sed -n 1p "$work/hostfile")" = "[" ] || fail "hostfile does not open a list"
  [ "$(sed -n 6p "$work/hostfile")" = "]" ] || fail "hostfile does not close"
  ports=$(sed -n '2,5p' "$work/hostfile" |
    sed -n 's/^  \["127\.0\.0\.1:\([0-9]*\)"\],\{0,1\}$/\1/p')
  [ "$(echo "$ports" | wc -l)" -eq 4 ] || fail "expected 4 '127.0.0.1:port' entries"
  echo "$ports" | awk 'NR == 1 && $1 < 45100 { exit 1 }
                       NR > 1 && $1 <= last { exit 1 } { last = $1 }' ||
    fail "ports not increasing from 45100: $ports"
  sed -n '2,5p' "$work/hostfile" | while IFS= read -r entry; do
    expect_line "$work/stderr" "$entry"
  done
  # Two connections per ip: two consecutive ports per rank.
  launch -n 2 --dry-run --starting-port 45200 --connections-per-ip 2 "$probe"
  expect_rc 0
  sed -n 's/^  \["127\.0\.0\.1:\([0-9]*\)", "127\.0\.0\.1:\([0-9]*\)"\],\{0,1\}$/\1 \2/p' \
    "$work/stderr" > "$work/pairs"
  [ "$(wc -l < "$work/pairs")" -eq 2 ] || fail "expected 2 entries of 2 addresses"
  awk '$2 != $1 + 1 { exit 1 }' "$work/pairs" || fail "ports not consecutive"
  ;;

MpiCommandLine)
  root_flag=""
  [ "$(id -u)" -eq 0 ] && root_flag=" --allow-run-as-root"
  launch --backend mpi -n 4096 --dry-run --env A=1 --cwd /tmp \
    --mpi-arg --bind-to --mpi-arg none "$probe" env A
  expect_rc 0
  expect_line "$work/stderr" "mlx.launch: mpirun -np 4096$root_flag --oversubscribe --wdir /tmp -x A=1 -x MLX_RESTART_COUNT=0 --bind-to none $probe env A"
  launch --backend mpi --hosts nodeA,nodeB -n 5 --dry-run "$probe" cwd
  expect_rc 0
  expect_line "$work/stderr" "mlx.launch: mpirun -np 5 --host nodeA:3,nodeB:2$root_flag -x MLX_RESTART_COUNT=0 $probe cwd"
  ;;

MpiRunsTwoRanks)
  launch --backend mpi -n 2 --verbose --env A=1 --cwd "$work" "$probe" env A
  expect_rc 0
  expect_text "$work/stderr" "mlx.launch: mpirun -np 2"
  expect_text "$work/stderr" " -x A=1 "
  [ "$(grep -cFx "A=1" "$work/stdout")" -eq 2 ] || fail "expected A=1 from 2 ranks"
  launch --backend mpi -n 2 --cwd "$work" "$probe" cwd
  expect_rc 0
  [ "$(grep -cFx "$work" "$work/stdout")" -eq 2 ] || fail "expected cwd from 2 ranks"
  launch --backend mpi -n 2 "$probe" fail 1 3
  [ "$rc" -ne 0 ] || fail "a failing rank under mpirun gave exit code 0"
  ;;

MalformedHostfileGivesExit2)
  check_hostfile() { # contents expected-problem
    printf '%s' "$1" > "$work/hosts.json"
    launch --hostfile "$work/hosts.json" "$probe" cwd
    expect_rc 2
    expect_text "$work/stderr" "hostfile '$work/hosts.json': $2"
  }
  check_hostfile '[{"ssh": "a"},' "not valid JSON: [json]"
  check_hostfile '{"ssh": "a"}' "expected a JSON list of hosts, got object"
  check_hostfile '[]' "the list of hosts is empty"
  check_hostfile '["a"]' "host 0: expected an object"
  check_hostfile '[{"ssh": "a"}, {"ips": ["1.2.3.4"]}]' 'host 1: missing "ssh"'
  check_hostfile '[{"ssh": 3}]' 'host 0: "ssh" must be a non-empty string'
  check_hostfile '[{"ssh": "a", "ips": "1.2.3.4"}]' 'host 0: "ips" must be a list'
  launch --hostfile "$work/missing.json" "$probe" cwd
  expect_rc 2
  expect_text "$work/stderr" "hostfile '$work/missing.json': cannot read it"
  ;;

BadArgumentsGiveExit2)
  check_args() { # expected-message args...
    local message=$1
    shift
    launch "$@"
    expect_rc 2
    expect_text "$work/stderr" "mlx.launch: error: $message"
  }
  check_args "-n expects an integer from 1 to 65535, got '0'" -n 0 "$probe"
  check_args "-n expects an integer from 1 to 65535, got 'x'" -n x "$probe"
  check_args "-n expects a value" -n
  check_args "--backend expects 'ring' or 'mpi', got 'tcp'" --backend tcp "$probe"
  check_args "--env expects NAME=VALUE" --env NOVALUE "$probe"
  check_args "unknown option '--frobnicate'" --frobnicate "$probe"
  check_args "no program to launch" -n 2
  check_args "give either --hosts or --hostfile" --hosts a --hostfile f "$probe"
  check_args "--mpi-arg applies to --backend mpi only" --mpi-arg x "$probe"
  check_args "--starting-port applies to --backend ring only" \
    --backend mpi --starting-port 4000 "$probe"
  check_args "--starting-port expects an integer from 1 to 65535" \
    --starting-port 70000 "$probe"
  check_args "2 ranks with 1 connections per ip need ports up to 65536" -n 2 --starting-port 65535 "$probe"
  check_args "--cwd '$work/none' is not a directory" --cwd "$work/none" "$probe"
  launch --help
  expect_rc 0
  expect_text "$work/stdout" "usage: mlx.launch"
  ;;

RemoteRanksRunOverSsh)
  printf '[{"ssh": "localhost"}, {"ssh": "fakehost", "ips": ["10.11.12.13"]}]' \
    > "$work/hosts.json"
  export MLX_LAUNCH_SSH="$here/fake_ssh.sh"
  mkdir "$work/run dir"
  launch --hostfile "$work/hosts.json" --cwd "$work/run dir" \
    --env "QUOTED=it's \$HOME" "$probe" env MLX_RANK QUOTED
  expect_rc 0
  expect_line "$work/stderr" "[1] fake_ssh: connected to fakehost"
  [ "$(grep -c 'fake_ssh' "$work/stderr")" -eq 1 ] || fail "rank 0 went through ssh"
  for r in 0 1; do
    expect_line "$work/stdout" "[$r] MLX_RANK=$r"
    expect_line "$work/stdout" "[$r] QUOTED=it's \$HOME"
  done
  launch --hostfile "$work/hosts.json" --cwd "$work/run dir" "$probe" cwd
  expect_line "$work/stdout" "[1] $work/run dir"
  launch --hostfile "$work/hosts.json" --starting-port 45300 "$probe" hostfile
  expect_rc 0
  grep -Eq '^\[1\]   \["10\.11\.12\.13:[0-9]+"\]$' "$work/stdout" ||
    fail "rank 1's hostfile lacks its ip"
  launch --hostfile "$work/hosts.json" "$probe" fail 1 7
  expect_rc 7
  ;;

RemoteRankStopsWhenSshGoesAway)
  # The "remote" side runs in its own session, so only the closing of ssh's
  # stdin can stop it; its lock is released when it has stopped.
  printf '[{"ssh": "localhost"}, {"ssh": "fakehost", "ips": ["10.11.12.13"]}]' \
    > "$work/hosts.json"
  export MLX_LAUNCH_SSH="$here/fake_ssh_detached.sh"
  start_until_ready 2 --hostfile "$work/hosts.json" -- \
    sh -c 'exec "$0" hold-lock "$1.$MLX_RANK"' "$probe" "$work/lock"
  kill -s TERM "$launcher_pid"
  finish_background
  expect_rc 143
  flock "$work/lock.1" true || fail "could not take the remote rank's lock"
  ;;

RestartResumesFromCheckpoint)
  # Rank 1 kills itself at step 4 of 6 on the first start; the restarted
  # job resumes after step 3 (rank 0's checkpoint). Each step s adds
  # all_sum((rank+1)*s) = 3s over 2 ranks: 3 * (1+...+6) = 63.
  launch -n 2 --max-restarts 1 --verbose --starting-port 45400 \
    "$restart_program" "$work" 6 resume
  expect_rc 0
  expect_line "$work/stderr" \
    "mlx.launch: rank 1 was killed by signal 9 (Killed); stopping the other ranks"
  expect_line "$work/stderr" "mlx.launch: restarting all ranks with MLX_RESTART_COUNT=1 (restart 1 of 1) after rank 1 was killed by signal 9 (Killed)"
  for r in 0 1; do
    expect_line "$work/stdout" "[$r] start restart=0 from step=0"
    expect_line "$work/stdout" "[$r] start restart=1 from step=3"
    expect_line "$work/stdout" "[$r] result 63"
  done
  grep -Ev '^\[[01]\] (start restart=[01] from step=[03]|result 63)$' \
    "$work/stdout" && fail "unexpected stdout lines"
  [ "$(grep -c '^start ' "$work/starts")" -eq 4 ] || fail "expected 4 starts"
  # The second start listens above the first one's ports.
  ports=$(sed -n 's/^  \["127\.0\.0\.1:\([0-9]*\)"\],\{0,1\}$/\1/p' "$work/stderr")
  [ "$(echo "$ports" | wc -l)" -eq 4 ] || fail "expected 2 hostfiles: $ports"
  echo "$ports" | awk 'NR > 1 && $1 <= last { exit 1 } { last = $1 }' ||
    fail "the restart reused ports: $ports"
  ;;

RestartsRunOutNamingTheRank)
  launch -n 2 --max-restarts 2 --starting-port 45500 \
    "$restart_program" "$work" 6 always-fail
  expect_rc 3
  expect_line "$work/stderr" "mlx.launch: rank 1 exited with code 3; no restarts left (--max-restarts 2), giving up with exit code 3"
  for c in 0 1 2; do
    expect_line "$work/starts" "start rank=1 restart=$c"
  done
  [ "$(grep -c 'rank=1' "$work/starts")" -eq 3 ] || fail "expected 3 starts"
  [ "$(grep -c '^mlx.launch: restarting' "$work/stderr")" -eq 2 ] ||
    fail "expected 2 restarts"
  # Without --max-restarts a failure ends the job at once.
  rm "$work/starts"
  launch -n 2 --starting-port 45500 "$restart_program" "$work" 6 always-fail
  expect_rc 3
  [ "$(grep -c 'rank=1' "$work/starts")" -eq 1 ] || fail "expected 1 start"
  grep -q 'restart' "$work/stderr" && fail "restarted without --max-restarts"
  ;;

MpiRestartResumesFromCheckpoint)
  # As RestartResumesFromCheckpoint, with mpirun started again.
  launch --backend mpi -n 2 --max-restarts 1 \
    "$restart_program" "$work" 6 resume
  expect_rc 0
  expect_text "$work/stderr" "mlx.launch: restarting all ranks with MLX_RESTART_COUNT=1 (restart 1 of 1) after mpirun "
  [ "$(grep -cFx "start restart=0 from step=0" "$work/stdout")" -eq 2 ] ||
    fail "expected 2 first starts"
  [ "$(grep -cFx "start restart=1 from step=3" "$work/stdout")" -eq 2 ] ||
    fail "expected 2 resumed starts"
  [ "$(grep -cFx "result 63" "$work/stdout")" -eq 2 ] || fail "expected 2 results"
  ;;

MpiRestartsRunOut)
  launch --backend mpi -n 2 --max-restarts 2 \
    "$restart_program" "$work" 6 always-fail
  [ "$rc" -ne 0 ] || fail "exit code 0"
  expect_text "$work/stderr" "no restarts left (--max-restarts 2), giving up"
  [ "$(grep -c 'rank=1' "$work/starts")" -eq 3 ] || fail "expected 3 starts"
  ;;

*)
  fail "unknown case"
  ;;
esac
echo "PASS ($case_name)"
