"""One authenticated, retrying HTTP session with a LAYR platform.

Sends a request, logs in when there is no token yet (one login at a time for every thread, see
:mod:`reconciler.platform.login`), logs in again once on a 401 (D5), retries (see "when to retry"
below), keeps every request within its time limits (see "time limits"), counts the requests it
sends and logs each one at DEBUG on ``reconciler.platform`` (method, path, status, attempt,
elapsed; never headers or bodies). Safe to share between threads.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

import httpx

from reconciler import __version__
from reconciler.core.redaction import install_log_redaction, register_secret
from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import (
    APIError,
    CommandTimeout,
    DeadlineExceeded,
    InsecureURLError,
    LoginFailed,
    TransportError,
    UnexpectedResponseError,
    api_error,
)
from reconciler.platform.jsonio import dumps, loads
from reconciler.platform.login import SingleFlightLogin
from reconciler.platform.transport import Answer, HttpFailure, HttpTransport, Timeout
from reconciler.platform.wire.auth import AUTH_PATH, bearer, login_body, parse_token
from reconciler.platform.wire.errors import error_message

log = install_log_redaction()

# -- when to retry ----------------------------------------------------------------------------
# GET and PUT are retried: both are idempotent here (a schedule PUT is a per-point upsert, D1; a
# bid PUT replaces one product's bids, D12); so is the login POST, which changes nothing on the
# platform. No other POST is. Retried: 5xx, 429 (waiting at least its Retry-After), connection
# errors, resets and timeouts. Waits grow exponentially with "equal jitter" (half fixed, half
# random), so parallel clients spread out.
#
# How long: a request with a ``retry_until`` (the reads of a plan) retries as often as fits before
# that moment; any other (writes) up to ``max_attempts`` times.
#
# Why a hand-written loop and not tenacity or stamina (reviewed again for issue 14.7): each would
# own only the loop and the sleep. Every decision here would be a custom callable all the same:
# the wait (equal jitter is neither library's, and it must be at least Retry-After), the stop (an
# absolute monotonic ``retry_until`` that counts the coming wait, or ``max_attempts``; a
# Retry-After beyond ``max_retry_after`` stops and returns the answer), giving back the last HTTP
# answer rather than raising, the checks before each attempt and each wait that raise
# CommandTimeout/DeadlineExceeded with what was sent, each attempt's own total deadline, the
# request count and the per-attempt log line. Same code, one more dependency.
#
# -- time limits ------------------------------------------------------------------------------
# Every attempt ends by ``request_timeout`` after it starts, however the server answers (a
# trickling server included: :mod:`reconciler.platform.transport`); each socket wait also by
# ``timeout``. A request's ``deadline`` (a write's gate closure or bid deadline): nothing is sent
# or waited for after it (DeadlineExceeded). The session's ``run_deadline`` (the command's
# ``--timeout``): the same for every request of the run (CommandTimeout).

RETRYABLE_METHODS = frozenset({"GET", "PUT"})
TOO_MANY_REQUESTS = 429
UNAUTHORIZED = 401

DEFAULT_HEADERS = {"User-Agent": f"reconciler/{__version__}", "Accept": "application/json"}


def retryable_status(status: int) -> bool:
    return status >= 500 or status == TOO_MANY_REQUESTS


def should_retry_status(method: str, status: int) -> bool:
    """Whether an answer to a request of ``method`` (the login aside) is worth another attempt."""
    return method in RETRYABLE_METHODS and retryable_status(status)


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 0.25  # seconds before the second attempt (before jitter)
    max_delay: float = 8.0  # cap of one wait
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: the error is raised

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 64))  # no overflow
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Budget:
    """The time a request may take, as :func:`time.monotonic` values (None: no such limit)."""

    deadline: float | None = None  # nothing is sent, and no answer awaited, after it
    retry_until: float | None = None  # retries start until then, however many (None: max_attempts)


class Attempts:
    """How often one request was sent (its login aside), for a caller that reports it (apply's
    JSON); read after the request, whatever it returned or raised."""

    def __init__(self) -> None:
        self.count = 0


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


class HttpSession:
    """The client's connection to one platform: login (once, shared by threads), one re-login on
    401, and retries of what may be retried within the caller's budget."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float,
        request_timeout: float,
        max_attempts: int,
        max_connections: int,
        transport: HttpTransport | None,
        retry: RetryPolicy,
        run_deadline: float | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = str(check_base_url(base_url)).rstrip("/")
        self.credentials = credentials
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.retry = retry
        self.run_deadline = run_deadline
        self._http = transport or HttpTransport(
            self.base_url, max_connections=max_connections, timeout=timeout
        )
        self._login = SingleFlightLogin(credentials.token)
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
        budget: Budget = Budget(),
        retryable: bool | None = None,
        attempts: Attempts | None = None,
    ) -> Any:
        """Send with auth, one re-login on 401, retries; return the parsed JSON or raise PlatformError.

        ``retryable``: whether failed attempts are repeated; by default GETs and PUTs are.
        ``attempts`` (when given) counts every time the request is sent."""
        token = self._login.token(lambda: self._log_in(budget))
        send = partial(
            self._send,
            method,
            path,
            params=params,
            body=body,
            budget=budget,
            retryable=retryable,
            attempts=attempts,
        )
        response = send(token=token)
        if response.status == UNAUTHORIZED and self.credentials.can_login:
            log.debug("%s %s: token refused, logging in again", method, path)
            token = self._login.token(lambda: self._log_in(budget), refused=token)
            response = send(token=token)
        return self._result(method, path, response)

    def _result(self, method: str, path: str, response: Answer) -> Any:
        if not response.is_success:
            message = error_message(response.text, response.reason, response.status)
            raise api_error(response.status, method, path, message)
        if not response.content:
            return None
        try:
            return loads(response.content)
        except ValueError:
            raise UnexpectedResponseError(
                f"unexpected response from the platform: {method} {path} answered {response.status} "
                "with a body that is not JSON"
            ) from None

    def _log_in(self, budget: Budget) -> str:
        """One login, retried like a read; :class:`SingleFlightLogin` lets only one run at a time."""
        username, password = self.credentials.username, self.credentials.password
        if username is None or password is None:
            raise AssertionError("no username and password to log in with")
        try:
            response = self._send(
                "POST", AUTH_PATH, body=login_body(username, password), budget=budget, retryable=True
            )
            token = parse_token(self._result("POST", AUTH_PATH, response))
        except APIError as error:
            if error.status < 500 and error.status != TOO_MANY_REQUESTS:
                raise  # refused: SingleFlightLogin never sends these credentials again
            raise LoginFailed(f"could not log in to {self.base_url}: {error}") from None
        except (CommandTimeout, DeadlineExceeded):
            raise
        except TransportError as error:
            raise LoginFailed(f"could not log in to {self.base_url}: {error}") from None
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
        budget: Budget,
        retryable: bool | None = None,
        attempts: Attempts | None = None,
    ) -> Answer:
        """One request with retries; returns the last HTTP answer or raises TransportError."""
        headers = dict(DEFAULT_HEADERS)
        if token is not None:
            headers.update(bearer(token))
        content = None
        if body is not None:
            content = dumps(body).encode()
            headers["Content-Type"] = "application/json"
        target = f"{path}?{urlencode(params)}" if params else path
        if retryable is None:
            retryable = method in RETRYABLE_METHODS
        attempt = 0
        while True:
            attempt += 1
            ends = self._attempt_end(budget, method, path, attempt)
            if attempts is not None:
                attempts.count += 1
            started = time.monotonic()
            try:
                response = self._http.send(method, target, headers=headers, body=content, deadline=ends)
            except HttpFailure as exc:
                self._count()
                failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if isinstance(exc, Timeout) and time.monotonic() >= ends:
                    failure = f"no complete answer within {self.request_timeout:g} s"
                log.debug(
                    "%s %s failed (%s) attempt=%d elapsed=%.3fs",
                    method, path, failure, attempt, time.monotonic() - started,
                )  # fmt: skip
                self._check_cut_short(budget, method, path, attempt)
                delay = self.retry.backoff(attempt, self._rng)
                if not retryable or not self._may_retry(attempt, delay, budget):
                    raise TransportError(
                        f"{method} {path}: no answer from {self.base_url} after {_attempts(attempt)} ({failure})"
                    ) from None
                self._wait(delay, budget, method, path, attempt, failure)
                continue
            self._count()
            log.debug(
                "%s %s -> %d attempt=%d elapsed=%.3fs",
                method, path, response.status, attempt, time.monotonic() - started,
            )  # fmt: skip
            status = response.status
            if not retryable or not retryable_status(status):
                return response
            delay = self.retry.backoff(attempt, self._rng)
            requested = retry_after_seconds(response.headers.get("Retry-After"))
            if requested is not None:
                if requested > self.retry.max_retry_after:
                    return response
                delay = max(delay, requested)
            if not self._may_retry(attempt, delay, budget):
                return response
            self._wait(delay, budget, method, path, attempt, f"HTTP {status}")

    def _attempt_end(self, budget: Budget, method: str, path: str, attempt: int) -> float:
        """When the attempt about to start must have its whole answer; raises if it may not start."""
        now = time.monotonic()
        if self.run_deadline is not None and now >= self.run_deadline:
            raise CommandTimeout(f"{method} {path}: not sent: {RUN_OUT} ({_attempt_no(attempt)})")
        if budget.deadline is not None and now >= budget.deadline:
            raise DeadlineExceeded(
                f"{method} {path}: the deadline passed before sending ({_attempt_no(attempt)}); not sent"
            )
        return min(
            now + self.request_timeout,
            budget.deadline if budget.deadline is not None else float("inf"),
            self.run_deadline if self.run_deadline is not None else float("inf"),
        )

    def _check_cut_short(self, budget: Budget, method: str, path: str, attempt: int) -> None:
        """After a failed attempt: raise if the run's time limit or the deadline ended it."""
        now = time.monotonic()
        unknown = "" if method == "GET" or path == AUTH_PATH else "; whether it was processed is unknown"
        if self.run_deadline is not None and now >= self.run_deadline:
            raise CommandTimeout(
                f"{method} {path}: no complete answer before {RUN_OUT} ({_attempt_no(attempt)}){unknown}"
            )
        if budget.deadline is not None and now >= budget.deadline:
            raise DeadlineExceeded(
                f"{method} {path}: no complete answer before the deadline ({_attempt_no(attempt)}){unknown}"
            )

    def _may_retry(self, attempt: int, delay: float, budget: Budget) -> bool:
        if budget.retry_until is not None:
            return time.monotonic() + delay < budget.retry_until
        return attempt < self.max_attempts

    def _wait(self, delay: float, budget: Budget, method: str, path: str, attempt: int, failure: str) -> None:
        starts = time.monotonic() + delay
        gave_up = f"{method} {path}: gave up after {_attempts(attempt)} ({failure})"
        if self.run_deadline is not None and starts >= self.run_deadline:
            raise CommandTimeout(f"{gave_up}: the next retry would start after {RUN_OUT}")
        if budget.deadline is not None and starts >= budget.deadline:
            raise DeadlineExceeded(f"{gave_up}: the next retry would start after the deadline")
        time.sleep(delay)

    def _count(self) -> None:
        with self._count_lock:
            self._request_count += 1


RUN_OUT = "the command's time limit ran out (--timeout)"


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n > 1 else ''}"


def _attempt_no(n: int) -> str:
    return f"attempt {n}"
