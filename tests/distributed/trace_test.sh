#!/bin/sh
# MLX_TRACE: runs a launcher command (its ranks get MLX_TRACE) and checks
# that every rank wrote valid Chrome-trace JSON in which a compute stream ran
# a Matmul and the communication stream ran a collective, each event with
# its start and duration.
# usage: trace_test.sh RANKS COMMAND...
set -eu
ranks=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
MLX_TRACE="$dir/trace.json"
export MLX_TRACE
"$@"
for r in $(seq 0 $((ranks - 1))); do
  python3 - "$dir/trace-rank$r.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    events = json.load(f)["traceEvents"]
names = {e["tid"]: e["args"]["name"] for e in events
         if e["ph"] == "M" and e["name"] == "thread_name"}
spans = [e for e in events if e["ph"] == "X"]
assert all(e["dur"] >= 0 and e["ts"] >= 0 for e in spans), path
comm = {t for t, n in names.items() if "communication" in n}
collectives = {e["name"] for e in spans if e["tid"] in comm}
compute = {e["name"] for e in spans if e["tid"] not in comm}
assert "AllSumMany" in collectives, f"{path}: collectives {collectives}"
assert "Matmul" in compute, f"{path}: compute primitives {compute}"
print(f"{path}: {len(spans)} events; communication: {sorted(collectives)}")
PY
done
