#!/usr/bin/python3
"""Draws the loss and the throughput of training runs against the step.

    plot_training.py OUT.png LOG [LOG...] [--label NAME]...

Each LOG is a JSON-lines log written by the examples' --log FILE (one
object per line: step, loss, throughput, unit, lr, time). A resumed run
appends the steps it redoes to its log; the last line of each step wins.
Every run is one line on both panels, labelled by its file name (less the extension) or by the
--label given in the same order. Needs matplotlib (Debian's
python3-matplotlib); exits with status 77 when it is missing.
"""
import argparse
import json
import os
import sys

MISSING_DEPENDENCY = 77  # ctest's SKIP_RETURN_CODE for the test


def read_log(path):
    """(steps, losses, throughputs, unit) of a log, by step, last line wins."""
    entries = {}
    unit = ""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
                entries[int(entry["step"])] = entry
            except (ValueError, KeyError, TypeError) as e:
                sys.exit(f"plot_training.py: {path}:{number}: not a log line ({e})")
            unit = entry.get("unit", unit)
    steps = sorted(entries)
    return (
        steps,
        [entries[s]["loss"] for s in steps],
        [entries[s].get("throughput", 0.0) for s in steps],
        unit,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the PNG to write")
    parser.add_argument("logs", nargs="+", help="JSON-lines training logs")
    parser.add_argument(
        "--label", action="append", default=[], help="a run's name, in order"
    )
    args = parser.parse_args()
    if len(args.label) > len(args.logs):
        sys.exit("plot_training.py: more --label than logs")
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_training.py: matplotlib is missing (apt-get install "
              "python3-matplotlib)", file=sys.stderr)
        return MISSING_DEPENDENCY

    figure, (loss_axes, speed_axes) = plt.subplots(
        2, 1, figsize=(8, 7), sharex=True
    )
    units = set()
    for i, path in enumerate(args.logs):
        label = (
            args.label[i]
            if i < len(args.label)
            else os.path.splitext(os.path.basename(path))[0]
        )
        steps, losses, throughputs, unit = read_log(path)
        if not steps:
            sys.exit(f"plot_training.py: {path} has no entries")
        units.add(unit)
        loss_axes.plot(steps, losses, label=label)
        speed_axes.plot(steps, throughputs, label=label)
    loss_axes.set_ylabel("loss")
    loss_axes.set_title("training loss")
    loss_axes.legend()
    loss_axes.grid(alpha=0.3)
    speed_axes.set_ylabel(" / ".join(sorted(u for u in units if u)) or "throughput")
    speed_axes.set_title("throughput")
    speed_axes.set_xlabel("step")
    speed_axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
