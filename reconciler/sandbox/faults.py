"""Fault injection and the request log, for the platform API routes only (never ``/_sandbox``),
and the body-size limit of D23 for every route.

Faults (POST /_sandbox/faults): a share ``errorRate`` of requests answers a status from
``statuses`` without being processed; a share ``resetRate`` is processed and then the connection
breaks mid-body (the response declares its full Content-Length, half of it is sent, the server
closes the connection) — what a client's retries and idempotency must survive; ``latencyMs``
delays every response; ``methods`` (e.g. ``["PUT"]``) limits all of it to those methods, and
``paths`` (e.g. one asset's ``/organisations/o/virtual-assets/va``) to paths starting with one of
them. Every draw comes from ``random.Random(seed)``, three per faulted request, so a seed replays
the same sequence for the same sequence of requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.market import isoformat_z
from reconciler.sandbox.wire import (
    MAX_BODY_BYTES,
    ApiError,
    body_too_large,
    dumps,
    error_response,
    invalid,
    require_object,
)

if TYPE_CHECKING:
    from reconciler.sandbox.state import SandboxState

ADMIN_PREFIX = "/_sandbox"
AUTH_PATH = "/auth/public/authenticate"  # its body holds a password: never logged
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_STATUSES = (500, 503)
MAX_LATENCY_MS = 60_000  # a fault plan may slow answers, never hold them for ever
LOG_ENTRIES = 10_000  # D23: the request log keeps the last 10 000 entries ...
LOG_BODY_BYTES = 4096  # ... and at most 4 KiB of each body


class InjectedConnectionReset(Exception):
    """Raised after half a response body, so the server drops the connection (a fault, not a bug)."""


class SilenceInjectedResets(logging.Filter):
    """Keeps uvicorn from logging a traceback for every reset the sandbox injects on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedConnectionReset))


@dataclass
class FaultPlan:
    error_rate: float = 0.0
    statuses: tuple[int, ...] = DEFAULT_STATUSES
    latency_ms: int = 0
    reset_rate: float = 0.0
    seed: int = 0
    methods: frozenset[str] | None = None  # only requests with these methods are faulted (None: all)
    paths: tuple[str, ...] | None = None  # only requests whose path starts with one of these (None: all)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def applies(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and (
            self.paths is None or path.startswith(self.paths)
        )

    def draw(self) -> tuple[int | None, bool]:
        """``(status to answer without processing, or None; whether to break the connection)``."""
        error, reset, pick = self.rng.random(), self.rng.random(), self.rng.random()
        if error < self.error_rate:
            return self.statuses[int(pick * len(self.statuses))], False
        return None, reset < self.reset_rate


def parse_fault_plan(body: Any) -> FaultPlan | None:
    """``{}`` clears; otherwise each field is checked (a mistake is a 400, nothing changes)."""
    data = require_object(body, "the request body")
    if not data:
        return None
    unknown = set(data) - {"errorRate", "statuses", "latencyMs", "resetRate", "seed", "methods", "paths"}
    if unknown:
        raise invalid(f"unknown fault fields {', '.join(sorted(unknown))}")

    def rate(key: str) -> float:
        value = data.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not 0 <= value <= 1:
            raise invalid(f"{key} must be a number between 0 and 1, found {value}")
        return float(value)

    def whole(key: str, default: int, most: int | None = None) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid(f"{key} must be a non-negative integer, found {value}")
        if most is not None and value > most:
            raise invalid(f"{key} must be at most {most}, found {value}")
        return value

    statuses = data.get("statuses", list(DEFAULT_STATUSES))
    if (
        not isinstance(statuses, list)
        or not statuses
        or not all(isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in statuses)
    ):
        raise invalid(f"statuses must be a non-empty list of HTTP error statuses (400-599), found {statuses}")
    methods = data.get("methods")
    if methods is not None and (
        not isinstance(methods, list) or not methods or not all(m in ("GET", "PUT", "POST") for m in methods)
    ):
        raise invalid(f"methods must be a non-empty list of GET, PUT, POST, found {methods}")
    paths = data.get("paths")
    if paths is not None and (
        not isinstance(paths, list)
        or not paths
        or not all(isinstance(p, str) and p.startswith("/") for p in paths)
    ):
        raise invalid(f"paths must be a non-empty list of paths starting with /, found {paths}")
    return FaultPlan(
        rate("errorRate"),
        tuple(statuses),
        whole("latencyMs", 0, MAX_LATENCY_MS),
        rate("resetRate"),
        whole("seed", 0),
        frozenset(methods) if methods is not None else None,
        tuple(paths) if paths is not None else None,
    )


class _Body:
    """A request body as it streams in: refused past :data:`MAX_BODY_BYTES` (413, D23), and its first
    :data:`LOG_BODY_BYTES` kept for the request log."""

    def __init__(self, receive: Receive) -> None:
        self.receive, self.size, self.head = receive, 0, bytearray()

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > MAX_BODY_BYTES:
                raise body_too_large()
            self.head += chunk[: max(0, LOG_BODY_BYTES - len(self.head))]
        return message

    def logged(self) -> Any:
        """The body for the log: its JSON when it fits in 4 KiB, else its first 4 KiB as text."""
        raw = bytes(self.head)
        if self.size > LOG_BODY_BYTES:
            return raw.decode("utf-8", "replace")
        try:
            return json.loads(raw, parse_float=Decimal) if raw.strip() else None
        except (ValueError, RecursionError):
            return raw.decode("utf-8", "replace")


def _declared_size(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


class PlatformMiddleware:
    """Logs every platform API request and applies the fault plan; admin routes pass straight
    through. Every route gets the body-size limit."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_size(scope) > MAX_BODY_BYTES:  # refused before a byte of it is read
            await error_response(body_too_large())(scope, receive, send)
            return
        if str(scope["path"]).startswith(ADMIN_PREFIX):
            await self.app(scope, _Body(receive), send)
            return
        state = self.state
        with state.lock:
            entry: dict[str, Any] = {
                "method": scope["method"],
                "path": scope["path"],
                "time": isoformat_z(state.now),
            }
            if scope.get("query_string"):
                entry["query"] = bytes(scope["query_string"]).decode("latin-1")
            plan = state.faults
            if plan and not plan.applies(scope["method"], str(scope["path"])):
                plan = None
            status, reset = plan.draw() if plan else (None, False)
            latency = plan.latency_ms if plan else 0
        receive_body = _Body(receive)
        if latency:
            await asyncio.sleep(latency / 1000)
        try:
            if status is not None:
                entry["fault"] = "error"
                entry["status"] = status
                await self._send_error(send, status)
            elif reset:
                entry["fault"] = "reset"
                await self._process_then_reset(scope, receive_body, send, entry)
            else:
                await self._process(scope, receive_body, send, entry)
        except ClientDisconnect:
            entry["fault"] = "abandoned"  # the client gave up during the injected latency: nothing ran
        finally:
            if scope["method"] in WRITE_METHODS and scope["path"] != AUTH_PATH and status is None:
                entry["body"] = receive_body.logged()
            with state.lock:
                state.requests.append(entry)

    async def _process(self, scope: Scope, receive: Receive, send: Send, entry: dict[str, Any]) -> None:
        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        await self.app(scope, receive, send_and_note)

    async def _process_then_reset(
        self, scope: Scope, receive: Receive, send: Send, entry: dict[str, Any]
    ) -> None:
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start = messages[0]
        entry["status"] = start["status"]
        body = b"".join(m.get("body", b"") for m in messages[1:])
        await send(start)
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        raise InjectedConnectionReset(f"injected connection reset after {entry['method']} {entry['path']}")

    @staticmethod
    async def _send_error(send: Send, status: int) -> None:
        error = ApiError("error on the platform", "injected fault (sandbox fault plan)", status)
        payload = dumps({"error": error.message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
