"""Scenarios of the watch and status tests: the docs' re-validation example (API.md §6.3) as a
sandbox fixture, manifests that trigger it, and a ``reconciler watch`` subprocess to read from."""

from __future__ import annotations

import http.server
import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from tests.processes import reconciler_argv
from tests.support.harness import MUNICH, manifest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# The docs' example: E0 19 000 kWh, E_max 20 000 kWh, η 1, P −10 000 kW gives −4 000 kW (D7).
# munich-1 holds 19 000 of 20 000 kWh and nothing is scheduled before 10:00 CET, so the 10:00
# period starts at 19 000 kWh and its re-validation at 09:53 cuts it.
DOCS_EXAMPLE_ASSET: dict[str, Any] = {
    "energyCapacity": 20000,
    "ratedChargePower": 10000,
    "ratedDischargePower": 10000,
    "chargeEfficiency": 1,
    "dischargeEfficiency": 1,
    "initialStateOfEnergy": 19000,
    "stateOfChargeBounds": {"lower": 0, "upper": 100},
    "fcrCapacityAvailable": 4000,
    "afrrCapacityPosAvailable": 5000,
    "afrrCapacityNegAvailable": 5000,
    "maxTotalAncillaryCapacityChargeAvailable": 5000,
    "maxTotalAncillaryCapacityDischargeAvailable": 5000,
    "schedule": [],
}
CUT_PERIOD = "2026-11-23T09:00:00Z"  # 10:00 CET
BEFORE_REVALIDATION = "2026-11-23T09:50:00+01:00"
AFTER_REVALIDATION = "2026-11-23T09:54:00+01:00"  # re-validated at 09:53, gate at 09:54:30

CUT_BODY = """\
    wholesale:
      unit: kW
      mode: partial
      schedule:
        - {at: "2026-11-23T10:00", power: -10000}
    """
BIDS_BODY = """\
    fcr:
      unit: MW
      bids:
        - {day: 2026-11-24, product: NEGPOS_16_20, capacity: 2, capacityPrice: 130}   # above clearing 120
        - {day: 2026-11-24, product: NEGPOS_20_24, capacity: 2, capacityPrice: 100}   # clears at 120
    afrr:
      unit: MW
      bids:
        - {day: 2026-11-24, product: POS_16_20, capacity: 1, capacityPrice: 12.5, energyPrice: 80}
        - {day: 2026-11-24, product: POS_033, capacity: 1, energyPrice: 90}
    """
CUT_MANIFEST = manifest("munich-1", MUNICH, CUT_BODY)
RESULTS_PUBLISHED = "2026-11-23T09:21:00+01:00"  # FCR 08:20 and aFRR capacity 09:20 results are out


def docs_example_fixture() -> dict[str, Any]:
    """The example fixture with munich-1 turned into the docs' re-validation example."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "sandbox-fixture.yaml").read_text(encoding="utf-8"))
    munich = data["organisations"][0]["virtualAssets"][0]
    munich.update(DOCS_EXAMPLE_ASSET)
    return data


def credentials_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LAYR_TOKEN"}
    env.update(LAYR_USERNAME="demo", LAYR_PASSWORD="demo-password", NO_COLOR="1")
    return env


@dataclass
class WatchProcess:
    """A running ``reconciler watch``: its JSON lines and stderr lines arrive on queues."""

    process: subprocess.Popen[str]
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    log: queue.Queue[str] = field(default_factory=queue.Queue)
    stderr_lines: list[str] = field(default_factory=list)

    def next_event(
        self, timeout: float, where: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> dict[str, Any]:
        """The next event that matches, waiting at most ``timeout`` seconds of wall time."""
        while True:
            event = self.events.get(timeout=timeout)
            if where(event):
                return event

    def drain(self) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                found.append(self.events.get_nowait())
            except queue.Empty:
                return found

    def log_line(self, timeout: float, containing: str) -> str:
        while True:
            line = self.log.get(timeout=timeout)
            if containing in line:
                return line

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout)


def _pump(stream: IO[str], sink: Callable[[str], None]) -> None:
    for line in stream:
        sink(line.rstrip("\n"))


@contextmanager
def watching(project: Path, *args: str) -> Iterator[WatchProcess]:
    """Start ``reconciler watch PROJECT ARGS`` and wait until it says it is watching."""
    process = subprocess.Popen(
        reconciler_argv("watch", str(project), *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=credentials_env(),
    )
    running = WatchProcess(process)
    assert process.stdout is not None and process.stderr is not None

    def on_err(line: str) -> None:
        running.stderr_lines.append(line)
        running.log.put(line)

    threads = [
        threading.Thread(
            target=_pump,
            args=(process.stdout, lambda line: running.events.put(json.loads(line))),
            daemon=True,
        ),
        threading.Thread(target=_pump, args=(process.stderr, on_err), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        running.log_line(30, "watching ")
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


class _Receiver(http.server.BaseHTTPRequestHandler):
    server: ReceiverServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.hold is not None:
            self.server.hold.wait(30)  # a webhook that does not answer until released
        status = 200
        if self.server.refuse > 0:
            self.server.refuse -= 1
            status = 404
        elif self.server.fail_next > 0:
            self.server.fail_next -= 1
            status = 500
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if status == 200:
            self.server.bodies.put(json.loads(body))

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ReceiverServer(http.server.ThreadingHTTPServer):
    bodies: queue.Queue[dict[str, Any]]
    fail_next: int
    refuse: int
    hold: threading.Event | None


@contextmanager
def webhook_receiver(
    fail_next: int = 0, refuse: int = 0, hold: threading.Event | None = None
) -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """A chat webhook on loopback: ``(its URL, the JSON bodies it accepted)``; it answers 404 to
    its first ``refuse`` requests, then 500 to the next ``fail_next``; with ``hold``, it answers
    nothing until that event is set."""
    server = ReceiverServer(("127.0.0.1", 0), _Receiver)
    server.bodies = queue.Queue()
    server.fail_next = fail_next
    server.refuse = refuse
    server.hold = hold
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/T0KEN-SECRET", server.bodies
    finally:
        server.shutdown()
        server.server_close()
