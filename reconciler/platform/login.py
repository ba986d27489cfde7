"""The session's token, fetched by one login at a time however many threads need it.

The first thread that needs a token logs in (with retries, D5); every thread that needs one
meanwhile waits for that login and shares its outcome: its token, or its failure, without sending
credentials again. Credentials the platform refused (a 4xx answer) are never sent again in this
session: parallel reads must not turn a wrong password into one login per asset (an account
lockout on a real platform).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.platform.errors import APIError, DeadlineExceeded, PlatformError, raised_again


class _Flight:
    """One login in progress; ``done`` is set when it has a token or an error."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: str | None = None
        self.error: PlatformError | None = None


class SingleFlightLogin:
    def __init__(self, token: str | None) -> None:
        self._token = token  # a token from the environment is used until refused
        self._lock = threading.Lock()
        self._flight: _Flight | None = None
        self._refused: APIError | None = None

    def token(self, log_in: Callable[[], str], refused: str | None = None) -> str:
        """The current token; ``refused``: the platform rejected that one, so a fresh one is needed
        (unless another thread already replaced it). ``log_in`` fetches a token, raising on failure."""
        while True:
            with self._lock:
                if self._refused is not None:
                    raise raised_again(self._refused)
                if self._token is not None and self._token != refused:
                    return self._token
                flight, leader = self._flight, self._flight is None
                if flight is None:
                    flight = self._flight = _Flight()
            if leader:
                return self._lead(flight, log_in)
            flight.done.wait()
            if flight.token is not None:
                return flight.token
            assert flight.error is not None
            if isinstance(flight.error, DeadlineExceeded):
                # the leader ran out of *its own* request's time: this request may have more
                continue
            raise raised_again(flight.error)

    def _lead(self, flight: _Flight, log_in: Callable[[], str]) -> str:
        try:
            flight.token = log_in()
            return flight.token
        except PlatformError as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                if flight.token is not None:
                    self._token = flight.token
                elif isinstance(flight.error, APIError) and flight.error.status < 500:
                    self._refused = flight.error
                    self._token = None
                self._flight = None
            flight.done.set()
