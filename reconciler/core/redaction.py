"""Keep passwords and tokens out of every message, log record and repr.

Each secret the client learns (a password, a token from the environment, an access token from a
login) is registered here. :func:`redact` replaces them in any text, and :class:`RedactingFilter`,
installed on the ``reconciler.platform`` logger and on the loggers of httpx and httpcore, applies
it to every record before a handler sees it. The registry is process-wide because log records and
exceptions are too.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "***"
LOGGER_NAME = "reconciler.platform"
_FILTERED_LOGGERS = (LOGGER_NAME, "httpx", "httpcore", "httpcore.http11", "httpcore.connection")

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret so that :func:`redact` masks it from now on."""
    if secret:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first)."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _redact_arg(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value  # keeps %d / %f format specifiers working
    return redact(str(value))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and arguments with secrets masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if isinstance(record.args, dict):
            record.args = {key: _redact_arg(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_redact_arg(value) for value in record.args)
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> logging.Logger:
    """Attach the filter (once) and return the ``reconciler.platform`` logger."""
    for name in _FILTERED_LOGGERS:
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    return logging.getLogger(LOGGER_NAME)
