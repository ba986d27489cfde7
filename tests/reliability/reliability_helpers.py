"""The example portfolio aimed at a running sandbox, CLI runs in-process and as subprocesses, and
readings of the sandbox's request log (what was processed, what was only answered with a fault).

The portfolio (examples/portfolio against examples/sandbox-fixture.yaml) plans 13 writes over three
assets: schedules, FCR and aFRR bids, so every kind of write is exercised.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconciler.sandbox.server import RunningSandbox
from tests.processes import reconciler_argv
from tests.support.harness import ORG

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PORTFOLIO_WRITES = 14  # the changes `plan` of the example portfolio shows against the example fixture
PORTFOLIO_REQUESTS = 12  # the requests that make them (unified ancillary API, D18: bids grouped)
USERNAME, PASSWORD = "demo", "demo-password"
SUMMARY_PREFIX = "Apply: "


def portfolio_project(root: Path, url: str, ancillary_api: str | None = None) -> Path:
    """A copy of examples/portfolio whose default target is the sandbox at ``url`` (kind emulator),
    speaking ``ancillary_api`` (the default when None)."""
    shutil.copytree(EXAMPLES / "portfolio", root)
    api = f", ancillaryApi: {ancillary_api}" if ancillary_api else ""
    (root / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}{api}}}\n"
    )
    return root


def fleet_fixture(count: int) -> dict[str, Any]:
    """``count`` assets like the example's munich-1, living on 2026-11-24, the example's clock."""
    assets = [
        {
            "id": fleet_asset(i),
            "start": "2026-11-24T00:00:00+01:00",
            "end": "2026-11-25T00:00:00+01:00",
            "energyCapacity": 10000,
            "ratedChargePower": 5000,
            "ratedDischargePower": 5000,
            "chargeEfficiency": Decimal("0.95"),
            "dischargeEfficiency": Decimal("0.95"),
            "initialStateOfEnergy": 5000,
            "stateOfChargeBounds": {"lower": 5, "upper": 95},
            "dispatchGateClosureSeconds": 330,
            "dailyCycleLimit": 2,
            "annualCycleLimit": 730,
            "fcrCapacityAvailable": 4000,
            "afrrCapacityPosAvailable": 5000,
            "afrrCapacityNegAvailable": 5000,
            "maxTotalAncillaryCapacityChargeAvailable": 5000,
            "maxTotalAncillaryCapacityDischargeAvailable": 5000,
        }
        for i in range(1, count + 1)
    ]
    return {
        "now": "2026-11-23T06:55:00+01:00",
        "tokenExpiresIn": 86400,
        "organisations": [
            {"id": ORG, "users": [{"username": USERNAME, "password": PASSWORD}], "virtualAssets": assets}
        ],
    }


def fleet_asset(index: int) -> str:
    return f"7c1e0d4e-0000-4000-8000-{index:012d}"


def fleet_project(root: Path, url: str, count: int) -> Path:
    """One manifest per fleet asset: a 2-hour charge and an FCR bid, i.e. two writes each."""
    root.mkdir(parents=True)
    (root / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}}}\n"
    )
    for i in range(1, count + 1):
        (root / f"asset-{i:03d}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: VirtualAsset\n"
            f"metadata: {{name: asset-{i:03d}}}\nspec:\n  virtualAsset: {fleet_asset(i)}\n"
            '  wholesale: {unit: MW, mode: partial, schedule: [{from: "2026-11-24T02:00", to: "2026-11-24T04:00", power: -2}]}\n'
            "  fcr: {unit: MW, bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1, capacityPrice: 95}]}\n"
        )
    return root


def credentials_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYR_")}
    env.update(LAYR_USERNAME=USERNAME, LAYR_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1", NO_COLOR="1")
    return env


def spawn(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    """``python -m reconciler ARGS`` in its own process, talking HTTP to a sandbox of this process."""
    return subprocess.Popen(
        reconciler_argv(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=credentials_env(),
        cwd=cwd,
    )


# -- the request log -------------------------------------------------------------------------


def is_write(entry: dict[str, Any]) -> bool:
    return entry["method"] in ("PUT", "POST") and not str(entry["path"]).startswith("/auth")


def processed_writes(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Writes the sandbox carried out (answered 2xx), including those whose answer was then cut."""
    return [
        e for e in log if is_write(e) and e.get("fault") != "error" and 200 <= int(e.get("status", 0)) < 300
    ]


def delivered(entry: dict[str, Any]) -> bool:
    """The client received the answer: the write was processed and the connection not cut."""
    return entry.get("fault") is None


def write_units(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What one write sets: ``(path, period, kW)`` per schedule point, ``(path, productDateCode,
    bids)`` per product of a unified POST (D18), or ``(path, "bids", body)`` for one product's PUT."""
    body = entry.get("body")
    if isinstance(body, dict) and "schedule" in body:
        return [(entry["path"], p["time"], canonical(p["power"])) for p in body["schedule"]]
    if isinstance(body, list) and body and all(isinstance(item, dict) and "market" in item for item in body):
        return [
            (entry["path"], f"{item['deliveryDay']}_{item['product']}", canonical(item["bids"]))
            for item in body
        ]
    return [(entry["path"], "bids", canonical(body))]


def canonical(value: Any) -> str:
    """One text per JSON value, whatever its numbers were read as: 100, 100.0 and Decimal("1E+2")
    are all ``100`` (the log reads Decimal, a JSON plan int and float)."""
    return json.dumps(_plain_numbers(value), sort_keys=True)


def _plain_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return format(Decimal(str(value)).normalize(), "f")
    return value


def changes_written(log: list[dict[str, Any]]) -> int:
    """How many planned changes the processed writes carried: one per schedule PUT or bid PUT,
    one per product of a grouped POST (D18)."""
    return sum(1 if isinstance(e.get("body"), dict) else len(write_units(e)) for e in processed_writes(log))


def planned_count(output: str) -> int:
    """The changes in ``Plan: N to create, M to update, K to delete`` (the plan's own count)."""
    line = next(line for line in output.splitlines() if line.startswith("Plan: "))
    create, update, delete = (int(part.split()[-1]) for part in line.split(" to ")[:3])
    return create + update + delete


def units_written_twice(log: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Periods and bid products whose write reached the client as done more than once."""
    counts = Counter(
        (path, what) for e in processed_writes(log) if delivered(e) for path, what, _ in write_units(e)
    )
    return {unit: n for unit, n in counts.items() if n > 1}


def values_per_unit(log: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """Every value each period or bid product was set to by a processed write."""
    values: dict[tuple[str, str], set[str]] = {}
    for entry in processed_writes(log):
        for path, what, value in write_units(entry):
            values.setdefault((path, what), set()).add(value)
    return values


def applied_count(output: str) -> int:
    """The number in ``Apply: N applied, ...`` (the report's own count)."""
    line = next(line for line in output.splitlines() if line.startswith(SUMMARY_PREFIX))
    return int(line.removeprefix(SUMMARY_PREFIX).split(" ", 1)[0])


# -- watching a sandbox from a thread --------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, interval: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@contextmanager
def on_first_write(sandbox: RunningSandbox, action: Callable[[], object]) -> Iterator[threading.Event]:
    """Run ``action`` in a thread as soon as the sandbox has processed the first write; the event
    says whether it ran."""
    done, stop = threading.Event(), threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if processed_writes(sandbox.requests()):
                action()
                done.set()
                return
            time.sleep(0.002)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield done
    finally:
        stop.set()
        thread.join(10)


@contextmanager
def ticking_clock(sandbox: RunningSandbox, step: float = 0.05) -> Iterator[None]:
    """Let the sandbox clock follow real time (it only moves when told), like a real platform's."""
    stop = threading.Event()

    def tick() -> None:
        last = time.monotonic()
        while not stop.wait(step):
            now = time.monotonic()
            sandbox.advance(now - last)
            last = now

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)
