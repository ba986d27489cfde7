"""Fleets of virtual assets for the benchmarks: a sandbox fixture with N assets, manifests that
change every one of them, the sandbox served in a process of its own, and the CLI run in this one.

The assets are copies of the example's munich-1 (10 MWh, 5 MW, 95 % efficient, 5 %-95 % SoC) with
their own IDs; the clock is the example's (2026-11-23 06:55 CET, before the FCR deadline).
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.cli import main

ORG, USER, PASSWORD = "org-bench", "bench", "bench-password"
NOW = "2026-11-23T06:55:00+01:00"
FIRST_DAY = date(2026, 11, 23)


def asset_id(index: int) -> str:
    return f"7c1e0d4e-0000-4000-8000-{index:012d}"


def asset_name(index: int) -> str:
    return f"asset-{index:04d}"


def fixture_data(count: int, days: int = 3) -> dict[str, Any]:
    """``count`` assets living ``days`` local days from 2026-11-23 (no DST change in that span)."""
    end = FIRST_DAY + timedelta(days=days)
    assets = [
        {
            "id": asset_id(i),
            "name": asset_name(i),
            "start": f"{FIRST_DAY.isoformat()}T00:00:00+01:00",
            "end": f"{end.isoformat()}T00:00:00+01:00",
            "energyCapacity": 10000,
            "ratedChargePower": 5000,
            "ratedDischargePower": 5000,
            "chargeEfficiency": "0.95",
            "dischargeEfficiency": "0.95",
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
        "now": NOW,
        "tokenExpiresIn": 86400,
        "organisations": [
            {"id": ORG, "users": [{"username": USER, "password": PASSWORD}], "virtualAssets": assets}
        ],
    }


def write_fixture(path: Path, count: int, days: int = 3) -> Path:
    text = yaml.safe_dump(fixture_data(count, days), sort_keys=False)
    path.write_text(text.replace("'0.95'", "0.95"), encoding="utf-8")  # numbers, not strings
    return path


def write_project(root: Path, url: str, count: int) -> Path:
    """One manifest per asset: a 2-hour charge and an FCR bid on 2026-11-24, i.e. two writes each."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}}}\n"
    )
    for i in range(1, count + 1):
        (root / f"{asset_name(i)}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: VirtualAsset\n"
            f"metadata: {{name: {asset_name(i)}}}\n"
            f"spec:\n  virtualAsset: {asset_id(i)}\n"
            '  wholesale: {unit: MW, mode: partial, schedule: [{from: "2026-11-24T02:00", to: "2026-11-24T04:00", power: -2}]}\n'
            "  fcr: {unit: MW, bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1, capacityPrice: 95}]}\n"
        )
    return root


class ServedSandbox:
    """A ``reconciler sandbox`` process, driven through its admin routes."""

    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid
        self._http = httpx.Client(base_url=url, timeout=60)

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    def set_clock(self, moment: str) -> None:
        self._admin("POST", "/_sandbox/clock", {"now": moment})

    def set_faults(self, **plan: Any) -> None:
        self._admin("POST", "/_sandbox/faults", plan)

    def requests(self) -> list[dict[str, Any]]:
        """The request log: method, path, status, time (platform routes only)."""
        log: list[dict[str, Any]] = self._admin("GET", "/_sandbox/requests")["requests"]
        return log

    def close(self) -> None:
        self._http.close()


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timed:
    wall_s: float
    cpu_s: float
    rss_mb: float
    requests: int
    sandbox_cpu_s: float
    output: str


def timed(sandbox: ServedSandbox, command: list[str], accept: tuple[int, ...] = (0, 2)) -> Timed:
    """Run ``command`` in its own process, logged in as the fleet's user: its wall time, CPU time and
    peak memory (``wait4``), the requests it made and the CPU the sandbox spent on them."""
    env = dict(os.environ, LAYR_USERNAME=USER, LAYR_PASSWORD=PASSWORD)
    env.pop("LAYR_TOKEN", None)
    before, sandbox_before = len(sandbox.requests()), cpu_of(sandbox.pid)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in accept:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{output[-3000:]}")
    return Timed(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,  # kB on Linux
        requests=len(sandbox.requests()) - before,
        sandbox_cpu_s=cpu_of(sandbox.pid) - sandbox_before,
        output=output,
    )


@contextlib.contextmanager
def served_sandbox(fixture: Path) -> Iterator[ServedSandbox]:
    """``reconciler sandbox`` in its own process (its CPU is not this process's), on a free port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--fixture", str(fixture), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # "LAYR sandbox serving http://127.0.0.1:PORT (...)"
        if "serving" not in banner:
            raise RuntimeError(f"the sandbox did not start: {banner!r}")
        sandbox = ServedSandbox(banner.split()[3], process.pid)
        yield sandbox
        sandbox.close()
    finally:
        process.terminate()
        process.wait(10)


def run_cli(*args: str) -> tuple[int, str]:
    """The real entry point in this process, credentials from the environment; output captured."""
    os.environ.update(LAYR_USERNAME=USER, LAYR_PASSWORD=PASSWORD)
    os.environ.pop("LAYR_TOKEN", None)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue()


def machine() -> str:
    """CPU model, cores and Python: where the figures were taken."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()} ({sys.platform})"


def stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
