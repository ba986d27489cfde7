"""One authenticated, retrying HTTP session with a LAYR platform.

Sends a request, logs in when there is no token yet, logs in again once on a 401 (D5), retries
GET and PUT (see "when to retry" below), respects the caller's deadline, counts the
requests it sends and logs each one at DEBUG on ``reconciler.platform`` (method, path, status,
attempt, elapsed; never headers or bodies). Safe to share between threads.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler import __version__
from reconciler.core.redaction import install_log_redaction, register_secret
from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import (
    APIError,
    DeadlineExceeded,
    InsecureURLError,
    TransportError,
    UnexpectedResponseError,
    api_error,
)
from reconciler.platform.jsonio import dumps, loads
from reconciler.platform.wire.auth import AUTH_PATH, bearer, login_body, parse_token
from reconciler.platform.wire.errors import error_message

log = install_log_redaction()

# -- when to retry ----------------------------------------------------------------------------
# Only GET and PUT are retried: both are idempotent here (a schedule PUT is a per-point upsert,
# D1; a bid PUT replaces one product's bids, D12). POST never is. Retried: 5xx, 429 (waiting at
# least its Retry-After), connection errors, resets and timeouts. Waits grow exponentially with
# "equal jitter" (half fixed, half random), so parallel clients spread out.

RETRYABLE_METHODS = frozenset({"GET", "PUT"})
TOO_MANY_REQUESTS = 429

# Failures where no HTTP answer came back; LocalProtocolError/UnsupportedProtocol are our bugs.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 0.25  # seconds before the second attempt (before jitter)
    max_delay: float = 8.0  # cap of one wait
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: the error is raised

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * float(2 ** (attempt - 1)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def should_retry_status(method: str, status: int) -> bool:
    return method in RETRYABLE_METHODS and (status >= 500 or status == TOO_MANY_REQUESTS)


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None if absent/invalid."""
    if header is None:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


UNAUTHORIZED = 401


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> httpx.URL:
    """The URL, if credentials may travel to it: https anywhere, plain http to loopback only."""
    url = httpx.URL(base_url)
    if url.scheme == "https" and url.host:
        return url
    if url.scheme == "http" and is_loopback_host(url.host):
        return url
    if url.scheme == "http":
        raise InsecureURLError(
            f"refusing plain http:// to {url.host}: credentials would travel unencrypted; use https://"
        )
    raise InsecureURLError(
        f"{base_url!r} is not an https:// URL (plain http:// is allowed for loopback only)"
    )


# Without TCP_NODELAY a keep-alive request waits ~40 ms for the peer's delayed ACK (Nagle):
# every read of a plan would pay it.
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


class Session:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        max_attempts: int,
        max_connections: int,
        transport: httpx.BaseTransport | None,
        retry: RetryPolicy,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = str(check_base_url(base_url)).rstrip("/")
        self.credentials = credentials
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.retry = retry
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            limits=limits,
            transport=transport or httpx.HTTPTransport(limits=limits, socket_options=NO_DELAY),
            headers={"User-Agent": f"reconciler/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )
        self._token = credentials.token
        self._refused_login: APIError | None = None  # credentials the platform refused: not sent again
        self._auth_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._request_count = 0
        self._rng = random.Random()

    @property
    def request_count(self) -> int:
        with self._count_lock:
            return self._request_count

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        deadline: float | None = None,
    ) -> Any:
        """Send with auth, one re-login on 401, retries; return the parsed JSON or raise APIError."""
        token = self._current_token()
        response = self._send(method, path, params=params, body=body, token=token, deadline=deadline)
        if response.status_code == UNAUTHORIZED and self.credentials.can_login:
            log.debug("%s %s: token refused, logging in again", method, path)
            token = self._renew_token(token)
            response = self._send(method, path, params=params, body=body, token=token, deadline=deadline)
        return self._result(method, path, response)

    def _result(self, method: str, path: str, response: httpx.Response) -> Any:
        if not response.is_success:
            message = error_message(response.text, response.reason_phrase, response.status_code)
            raise api_error(response.status_code, method, path, message)
        if not response.content:
            return None
        try:
            return loads(response.content)
        except ValueError:
            raise UnexpectedResponseError(
                f"unexpected response from the platform: {method} {path} answered {response.status_code} "
                "with a body that is not JSON"
            ) from None

    def _current_token(self) -> str:
        with self._auth_lock:
            if self._token is None:
                self._token = self._login()
            return self._token

    def _renew_token(self, refused: str) -> str:
        """Log in again unless another thread already replaced the refused token."""
        with self._auth_lock:
            if self._token == refused or self._token is None:
                self._token = self._login()
            return self._token

    def _login(self) -> str:
        """Called under the auth lock. Once the platform refuses the credentials (4xx), every later
        caller gets the same error without a request: parallel reads must not hammer the login
        with a wrong password (an account lockout on a real platform)."""
        if (refused := self._refused_login) is not None:
            raise api_error(refused.status, refused.method, refused.path, refused.message)
        username, password = self.credentials.username, self.credentials.password
        assert username is not None and password is not None
        response = self._send("POST", AUTH_PATH, body=login_body(username, password))
        try:
            token = parse_token(self._result("POST", AUTH_PATH, response))
        except APIError as error:
            if error.status < 500:
                self._refused_login = error
            raise
        register_secret(token.access_token)
        log.debug("logged in as %s; token valid for %d s", username, token.expires_in)
        return token.access_token

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        token: str | None = None,
        deadline: float | None = None,
    ) -> httpx.Response:
        """One request with retries; returns the last HTTP answer or raises TransportError."""
        headers = bearer(token) if token is not None else {}
        content = None
        if body is not None:
            content = dumps(body).encode()
            headers["Content-Type"] = "application/json"
        retryable = method in RETRYABLE_METHODS
        attempt = 0
        while True:
            attempt += 1
            timeout = self._timeout_within(deadline, method, path, attempt, "before sending")
            started = time.monotonic()
            try:
                response = self._http.request(
                    method, path, params=params, content=content, headers=headers, timeout=timeout
                )
            except RETRYABLE_EXCEPTIONS as exc:
                self._count()
                failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.debug(
                    "%s %s failed (%s) attempt=%d elapsed=%.3fs",
                    method, path, failure, attempt, time.monotonic() - started,
                )  # fmt: skip
                if not retryable or attempt >= self.max_attempts:
                    raise TransportError(
                        f"{method} {path}: no answer from {self.base_url} after {attempt} "
                        f"attempt{'s' if attempt > 1 else ''} ({failure})"
                    ) from None
                self._wait(self.retry.backoff(attempt, self._rng), deadline, method, path, attempt, failure)
                continue
            self._count()
            log.debug(
                "%s %s -> %d attempt=%d elapsed=%.3fs",
                method, path, response.status_code, attempt, time.monotonic() - started,
            )  # fmt: skip
            if attempt >= self.max_attempts or not should_retry_status(method, response.status_code):
                return response
            delay = self.retry.backoff(attempt, self._rng)
            requested = retry_after_seconds(response.headers.get("Retry-After"))
            if requested is not None:
                if requested > self.retry.max_retry_after:
                    return response
                delay = max(delay, requested)
            self._wait(delay, deadline, method, path, attempt, f"HTTP {response.status_code}")

    def _timeout_within(
        self, deadline: float | None, method: str, path: str, attempt: int, when: str
    ) -> httpx.Timeout:
        if deadline is None:
            return httpx.Timeout(self.timeout)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(
                f"{method} {path}: the deadline passed {when} (attempt {attempt}); not sent"
            )
        return httpx.Timeout(min(self.timeout, remaining))

    def _wait(
        self, delay: float, deadline: float | None, method: str, path: str, attempt: int, failure: str
    ) -> None:
        if deadline is not None and time.monotonic() + delay >= deadline:
            raise DeadlineExceeded(
                f"{method} {path}: gave up after {attempt} attempt{'s' if attempt > 1 else ''} ({failure}): "
                "the next retry would start after the deadline"
            )
        time.sleep(delay)

    def _count(self) -> None:
        with self._count_lock:
            self._request_count += 1
