"""Redaction: what masking every secret on standard output costs per megabyte of output.

Every byte a command prints passes through ``reconciler.core.redaction.redact`` (all forms of
every secret: raw, escaped, encoded). This times it on the JSON plan of the example portfolio,
repeated to the size given, with a password, an environment token and a few access tokens
registered (a long command renews its login). Best of N.

    python benchmarks/redaction.py [--megabytes 4] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

from fleet import machine, stamp

from reconciler.cli import main
from reconciler.core.redaction import redact, register_secret, secrets_scope

ROOT = Path(__file__).resolve().parent.parent


def plan_json() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(["plan", str(ROOT / "examples"), "--format", "json"])
    return out.getvalue()


def main_() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--megabytes", type=float, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one = plan_json()
    text = one * max(1, int(args.megabytes * 1_000_000 / len(one)))
    size_mb = len(text.encode()) / 1_000_000
    timings: dict[str, float] = {}
    with secrets_scope():
        timings["no secret registered"] = best(text, args.runs)
        register_secret("pw-Zq9rT4-never-print-7731")
        register_secret("eyJhbGciOiJIUzI1NiJ9.env-token-" + "x" * 40)
        for n in range(4):
            register_secret(f"access-token-{n}-" + os.urandom(16).hex())
        timings["6 secrets registered"] = best(text, args.runs)
    print(stamp(), machine())
    print(f"text: {size_mb:.1f} MB (the example portfolio's JSON plan, repeated)")
    for label, seconds in timings.items():
        print(f"  {label:<22} {seconds:.3f} s  ({size_mb / seconds if seconds else float('inf'):.0f} MB/s)")


def best(text: str, runs: int) -> float:
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        redact(text)
        results.append(time.perf_counter() - start)
    return min(results)


if __name__ == "__main__":
    sys.exit(main_())
