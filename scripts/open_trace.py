#!/usr/bin/env python3
"""Summarize (and merge) MLX_TRACE timelines.

A program run with MLX_TRACE=trace.json writes, at exit, Chrome trace events:
one track per stream, one "X" event per primitive it ran (collectives on the
"communication" stream). Several ranks write trace-rank0.json, trace-rank1.json...

View a file: open https://ui.perfetto.dev and drag it in ("Open trace file"),
or chrome://tracing in Chrome and "Load". This script prints, per file and
stream, the primitives' count and busy time, and how much of the
communication stream's time overlaps with work on other streams:

    scripts/open_trace.py trace-rank0.json [trace-rank1.json ...]
    scripts/open_trace.py --merge all.json trace-rank*.json   # one file, one
                                                              # process per rank
"""
import argparse
import collections
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)["traceEvents"]


def union_length(intervals):
    """Total length covered by (start, end) intervals."""
    total, end = 0.0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


def intersection_length(xs, ys):
    """Length covered by both interval sets (each merged first)."""
    def merged(iv):
        out = []
        for a, b in sorted(iv):
            if out and a <= out[-1][1]:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return out
    xs, ys = merged(xs), merged(ys)
    i = j = 0
    total = 0.0
    while i < len(xs) and j < len(ys):
        lo, hi = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        total += max(0.0, hi - lo)
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return total


def summarize(path, top):
    events = load(path)
    names = {e["tid"]: e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    spans = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X":
            spans[e["tid"]].append(e)
    print(f"{path}:")
    comm = [t for t, n in names.items() if "communication" in n]
    for tid in sorted(spans):
        evs = spans[tid]
        busy = union_length([(e["ts"], e["ts"] + e["dur"]) for e in evs])
        first = min(e["ts"] for e in evs)
        last = max(e["ts"] + e["dur"] for e in evs)
        print(f"  {names.get(tid, f'stream {tid}')}: {len(evs)} primitives, "
              f"busy {busy / 1e3:.2f} ms of {(last - first) / 1e3:.2f} ms")
        per_name = collections.Counter()
        for e in evs:
            per_name[e["name"]] += e["dur"]
        for name, dur in per_name.most_common(top):
            print(f"    {name:24s} {dur / 1e3:9.2f} ms")
    for c in comm:
        mine = [(e["ts"], e["ts"] + e["dur"]) for e in spans.get(c, [])]
        others = [(e["ts"], e["ts"] + e["dur"])
                  for t, evs in spans.items() if t != c for e in evs]
        total = union_length(mine)
        if total > 0:
            both = intersection_length(mine, others)
            print(f"  communication overlapped with compute: "
                  f"{both / 1e3:.2f} of {total / 1e3:.2f} ms "
                  f"({100 * both / total:.0f}%)")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--merge", metavar="OUT",
                        help="write the files' events into one trace")
    parser.add_argument("--top", type=int, default=5,
                        help="primitives listed per stream (default 5)")
    args = parser.parse_args()
    if args.merge:
        events = [e for path in args.files for e in load(path)]
        with open(args.merge, "w") as f:
            json.dump({"displayTimeUnit": "ms", "traceEvents": events}, f)
        print(f"wrote {args.merge}: open it in https://ui.perfetto.dev")
    for path in args.files:
        summarize(path, args.top)


if __name__ == "__main__":
    sys.exit(main())
