"""Cold start: how long ``reconciler --help`` takes in a fresh process (best and median of N runs),
and what a command's own ``--help`` adds by importing that command.

Target: ``reconciler --help`` under 0.3 s. Commands are imported only when invoked, so the top
level help imports click and the command table only.

    python benchmarks/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

from fleet import machine, stamp

TARGET_S = 0.3


def launcher() -> list[str]:
    """The installed ``reconciler`` script, as a user runs it (else ``python -m reconciler``)."""
    script = shutil.which("reconciler")
    return [script] if script else [sys.executable, "-m", "reconciler"]


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    base = launcher()
    python = timed([sys.executable, "-c", "pass"], options.runs)
    print(f"cold start, best and median of {options.runs} runs; {machine()}; {stamp()}")
    print(f"  {'python -c pass':<28} best {min(python):.3f} s  median {statistics.median(python):.3f} s")
    rows = [
        ["--help"],
        ["validate", "--help"],
        ["plan", "--help"],
        ["apply", "--help"],
        ["sandbox", "--help"],
    ]
    results = {}
    for args in rows:
        times = timed([*base, *args], options.runs)
        results[" ".join(args)] = min(times)
        print(
            f"  {'reconciler ' + ' '.join(args):<28} best {min(times):.3f} s  median {statistics.median(times):.3f} s"
        )
    best = results["--help"]
    verdict = "meets" if best < TARGET_S else "MISSES"
    print(f"target: reconciler --help in {best:.3f} s: {verdict} < {TARGET_S} s")


if __name__ == "__main__":
    main()
