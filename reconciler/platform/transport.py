"""An HTTP transport that ends every request at its total deadline, whatever the server does.

httpx's timeouts bound each socket operation, never a whole request (encode/httpx#1450): a server
that trickles one byte every few seconds keeps a request open forever. This transport wraps
httpcore's network backend so that every socket wait (connect, TLS handshake, each send and each
receive) is clamped to what is left of the deadline of the request being sent on this thread;
past it, the wait fails at once as a timeout (``httpx.ConnectTimeout``/``ReadTimeout``/
``WriteTimeout``), which the session treats like any other timeout.

The deadline travels in a thread-local set by :func:`total_deadline`: a sync httpx client sends a
request and reads its whole answer on the calling thread, so the backend of that thread's socket
waits knows which request it serves.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx

_current = threading.local()


@contextmanager
def total_deadline(deadline: float | None) -> Iterator[None]:
    """Every socket wait on this thread inside the block ends by ``deadline`` (a monotonic time)."""
    outer = getattr(_current, "deadline", None)
    _current.deadline = deadline
    try:
        yield
    finally:
        _current.deadline = outer


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline: float | None = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's total time limit passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        upgraded = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(upgraded)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` (TLS verified as httpx does), its sockets bound by :func:`total_deadline`."""

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> None:
        context = _tls_context()
        super().__init__(verify=context, limits=limits, socket_options=socket_options)
        # httpx takes no network backend, so its connection pool is built again with one; the
        # rest of HTTPTransport (request and answer mapping, exception mapping) stays httpx's own.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            socket_options=socket_options,
            network_backend=_DeadlineBackend(),
        )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certificates verified), built once per process: loading the
    CA bundle takes about 0.1 s, and every client and clock read would pay it again."""
    return httpx.create_ssl_context()
