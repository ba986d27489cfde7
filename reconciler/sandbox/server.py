"""Serving the sandbox over real HTTP: in a background thread (tests, embedded default) or in the
foreground (``reconciler sandbox``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from reconciler.core.errors import ReconcilerError
from reconciler.market import isoformat_z, parse_instant
from reconciler.sandbox.app import create_app
from reconciler.sandbox.faults import SilenceInjectedResets
from reconciler.sandbox.fixture import Fixture, load_fixture

STARTUP_TIMEOUT_S = 10.0


class _BackgroundServer(uvicorn.Server):
    """uvicorn's server with a main loop that can be woken, so stopping takes no extra 100 ms tick."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # on_tick refreshes the Date header when counter % 10 == 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    def stop(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)


def _silence_injected_resets() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, SilenceInjectedResets) for f in logger.filters):
        logger.addFilter(SilenceInjectedResets())


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # IPPROTO_TCP, and without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ReconcilerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    return sock


def _url(host: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _config(fixture: Fixture, log_level: str, tls: Path | None = None) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(fixture),
        log_level=log_level,
        lifespan="off",
        access_log=False,
        ssl_certfile=tls,
    )


@dataclass
class RunningSandbox:
    """A sandbox serving on ``url``; the helpers call its admin routes over real HTTP."""

    url: str
    fixture: Fixture
    http: httpx.Client = field(repr=False)

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code != 200:
            raise ReconcilerError(
                f"sandbox admin {method} {path} answered {response.status_code}: {response.text}"
            )
        return response.json()

    def now(self) -> datetime:
        return parse_instant(self._admin("GET", "/_sandbox/clock")["now"])

    def set_clock(self, moment: datetime | str) -> datetime:
        text = moment if isinstance(moment, str) else isoformat_z(moment)
        return parse_instant(self._admin("POST", "/_sandbox/clock", {"now": text})["now"])

    def advance(self, seconds: float) -> datetime:
        return parse_instant(self._admin("POST", "/_sandbox/clock", {"advance": seconds})["now"])

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._admin("GET", "/_sandbox/requests")["requests"]
        return result

    def set_faults(self, **plan: Any) -> None:
        self._admin("POST", "/_sandbox/faults", plan)

    def add_unavailability(
        self,
        virtual_asset_id: str,
        start: datetime | str,
        end: datetime | str,
        *,
        charge_power: float | int | None = None,
        discharge_power: float | int | None = None,
        energy_capacity: float | int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "virtualAssetID": virtual_asset_id,
            "start": start if isinstance(start, str) else isoformat_z(start),
            "end": end if isinstance(end, str) else isoformat_z(end),
        }
        for key, value in (
            ("chargePowerCapacity", charge_power),
            ("dischargePowerCapacity", discharge_power),
            ("energyCapacity", energy_capacity),
        ):
            if value is not None:
                body[key] = value
        result: dict[str, Any] = self._admin("POST", "/_sandbox/unavailabilities", body)
        return result


@contextmanager
def running_sandbox(
    fixture: Fixture | Path | str, host: str = "127.0.0.1", port: int = 0, *, tls: Path | None = None
) -> Iterator[RunningSandbox]:
    """Serve a fresh sandbox with uvicorn in a background thread.

    Returns once it accepts connections (port 0 = an ephemeral port, see ``.url``); shuts the
    server down and joins the thread on exit. ``tls``: a PEM file with the server's private key
    and certificate chain, to serve ``https://`` (tests of the client's TLS).
    """
    seed = fixture if isinstance(fixture, Fixture) else load_fixture(fixture)
    _silence_injected_resets()
    sock = _bind(host, port)
    server = _BackgroundServer(_config(seed, "warning", tls))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="reconciler-sandbox", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            raise ReconcilerError("the sandbox server did not start")
        url = _url(host, sock.getsockname()[1], "https" if tls else "http")
        # The admin client verifies nothing: no certificate store to build (saves ~100 ms per client).
        with httpx.Client(base_url=url, timeout=30, trust_env=False, verify=False) as admin:
            yield RunningSandbox(url, seed, admin)
    finally:
        server.stop()
        thread.join(STARTUP_TIMEOUT_S)
        sock.close()


def listen(host: str, port: int) -> tuple[socket.socket, str]:
    """Bind the listening socket first, so a busy port is a clear error before anything prints."""
    sock = _bind(host, port)
    return sock, _url(host, sock.getsockname()[1])


def serve(fixture: Fixture, sock: socket.socket) -> None:
    """Serve in the foreground until Ctrl-C (uvicorn handles the signal and shuts down cleanly)."""
    _silence_injected_resets()
    try:
        uvicorn.Server(_config(fixture, "info")).run(sockets=[sock])
    finally:
        sock.close()
