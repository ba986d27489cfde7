"""SIGTERM and Ctrl-C stop ``reconciler watch`` with exit 0 within 5 s, even while a read hangs
on a platform that accepted the connection and never answers."""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import write_project
from tests.watch.watch_helpers import CUT_MANIFEST, watching

pytestmark = pytest.mark.slow

STOP_WITHIN_S = 5.0  # the issue: exit 0 within 5 s


class _Hanging(http.server.BaseHTTPRequestHandler):
    server: HangingServer

    def do_GET(self) -> None:
        if self.path == "/_sandbox/clock":
            body = json.dumps({"now": "2026-11-23T05:55:00Z"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self._hang()

    def do_POST(self) -> None:
        self._hang()

    def _hang(self) -> None:
        self.server.in_flight.set()
        self.server.release.wait(30)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HangingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    in_flight: threading.Event
    release: threading.Event


@contextmanager
def hanging_platform() -> Iterator[HangingServer]:
    server = HangingServer(("127.0.0.1", 0), _Hanging)
    server.in_flight, server.release = threading.Event(), threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_watch_with_exit_0_while_a_read_hangs(tmp_path: Path, sig: signal.Signals) -> None:
    with hanging_platform() as platform:
        project = write_project(
            tmp_path, f"http://127.0.0.1:{platform.server_port}", {"m.yaml": CUT_MANIFEST}
        )
        with watching(project) as watch:
            assert platform.in_flight.wait(10), "watch never started reading"
            watch.process.send_signal(sig)
            try:
                code = watch.process.wait(STOP_WITHIN_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"watch did not stop within {STOP_WITHIN_S} s")
            assert code == 0
            watch.log_line(5, "watch stopped")
            assert not any("Traceback" in line for line in watch.stderr_lines)
