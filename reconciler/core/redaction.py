"""Keep passwords and tokens out of every message, log record, output stream and file.

Each secret the client learns (a password, a token from the environment, an access token from a
login) is registered here. :func:`redact` masks it in any text, in every form it can take once a
message has been quoted, logged or put into a URL: raw, Python ``repr``/``ascii`` escapes (of the
text or of its UTF-8 bytes, either quote), JSON escapes, percent-encoding (any safe set, ``+``
for a space), and escapes of escapes (a repr of a JSON text), in any mixture.

It is applied on every output path: :func:`redacted_output` routes standard output and standard
error of a command through it (the CLI's one handler enters it, knowing the secrets of the
environment from the start, so even a command that never logs in masks them), :class:`RedactingFilter` rewrites
log records (installed on the ``reconciler.platform`` logger and on httpx's and httpcore's), and
:func:`redact` is called on every text written to a file (plan files, manifests, lock files).
The registry is process-wide because log records and exceptions are too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

MASK = "***"
# A secret this short would be masked inside ordinary words ("/organisa***ions/…"), so it is
# refused as a credential instead (reconciler.platform.credentials).
MIN_SECRET_LENGTH = 8
# The environment variables that hold secrets (reconciler.platform.credentials reads and checks them)
PASSWORD_VAR = "LAYR_PASSWORD"
TOKEN_VAR = "LAYR_TOKEN"
LOGGER_NAME = "reconciler.platform"
_FILTERED_LOGGERS = (LOGGER_NAME, "httpx", "httpcore", "httpcore.http11", "httpcore.connection")

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Python's and JSON's one-letter escapes: repr writes \n \r \t, JSON also \b \f
_LETTER_ESCAPES = {"\n": "n", "\r": "r", "\t": "t", "\b": "b", "\f": "f", "\v": "v", "\a": "a", "\0": "0"}
_ESCAPE = r"\\+"  # one backslash, or more where an escaped text was escaped again


def _hex(value: int, width: int) -> str:
    """``value`` as ``width`` hex digits, matching either case."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


def _char_pattern(char: str) -> str:
    """Every way one character of a secret can be written out."""
    code = ord(char)
    try:
        utf8 = char.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only its escapes can be printed
        utf8 = b""
    ways = [re.escape(char)]
    if utf8:
        ways.append("".join("%" + _hex(byte, 2) for byte in utf8))  # URL encoding
    if char == " ":
        ways.append(r"\+")  # form encoding
    if char in "\\'\"/":
        ways.append(_ESCAPE + re.escape(char))
    if char in _LETTER_ESCAPES:
        ways.append(_ESCAPE + _LETTER_ESCAPES[char])
    if code < 0x100:
        ways.append(_ESCAPE + "x" + _hex(code, 2))
    if code >= 0x80 and utf8:
        ways.append("".join(_ESCAPE + "x" + _hex(byte, 2) for byte in utf8))  # a bytes repr
    if code < 0x10000:
        ways.append(_ESCAPE + "u" + _hex(code, 4))
    else:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        ways.append(_ESCAPE + "u" + _hex(high, 4) + _ESCAPE + "u" + _hex(low, 4))  # JSON
    ways.append(_ESCAPE + "U" + _hex(code, 8))
    return "(?:" + "|".join(ways) + ")"


def secret_pattern(secret: str) -> str:
    """A regular expression matching ``secret`` in each of the forms listed in the module's doc."""
    return "".join(_char_pattern(char) for char in secret)


def register_secret(secret: str | None) -> None:
    """Remember a secret so that :func:`redact` masks it from now on."""
    global _pattern
    if secret:
        with _lock:
            if secret not in _secrets:
                _secrets.add(secret)
                _pattern = None


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _secrets:
            longest_first = sorted(_secrets, key=lambda s: (-len(s), s))
            # the lookahead lets the engine skip, in C, every position no form can start at
            starts = {s[0] for s in _secrets} | {"%", "\\", "+"}
            first = "(?=[" + "".join(re.escape(c) for c in sorted(starts)) + "])"
            _pattern = re.compile(first + "(?:" + "|".join(secret_pattern(s) for s in longest_first) + ")")
        return _pattern


_MARKERS = ("%", "\\", "+")
"""Every form of a character but the character itself holds one of these (see :func:`_char_pattern`)."""


def redact(text: str) -> str:
    """``text`` with every form of every registered secret replaced by ``***``."""
    pattern = _compiled()
    if pattern is None:
        return text
    if not any(marker in text for marker in _MARKERS):
        # only a raw secret can be in it: C substring scans, where the pattern takes 30 ms a megabyte
        with _lock:
            known = tuple(_secrets)
        if not any(secret in text for secret in known):
            return text
    masked = pattern.sub(MASK, text)
    while len(masked) < len(text):  # a mask may complete another match (a secret with '*' in it)
        text, masked = masked, pattern.sub(MASK, masked)
    return masked


@contextmanager
def secrets_scope() -> Iterator[None]:
    """Secrets registered inside the block are forgotten after it (one command's, in tests that
    run several commands in one process)."""
    global _pattern
    with _lock:
        before = set(_secrets)
    try:
        yield
    finally:
        with _lock:
            _secrets.intersection_update(before)
            _pattern = None


class RedactingStream:
    """A text stream that masks secrets in everything written through it; its ``buffer`` masks
    bytes the same way (click writes bytes there, e.g. shell-completion scripts).

    Writing bytes to the text stream itself is refused, as a real text stream refuses it, so that
    click treats it as the text stream it is instead of wrapping it in a text layer of its own
    (which would cut long outputs into chunks, and a secret with them).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.buffer = _RedactingBuffer(stream)

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a redacting stream takes text, not bytes")
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self._stream, "errors", None) or "strict"

    @property
    def closed(self) -> bool:
        return bool(getattr(self._stream, "closed", False))


class _RedactingBuffer:
    """The binary side of a :class:`RedactingStream`: bytes are read as UTF-8, masked, written on."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        text = redact(bytes(data).decode("utf-8", errors="surrogateescape"))
        binary = getattr(self._stream, "buffer", None)
        if binary is not None:
            self._stream.flush()
            binary.write(text.encode("utf-8", errors="surrogateescape"))
        else:
            self._stream.write(
                text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
            )
        return len(data)

    def flush(self) -> None:
        binary = getattr(self._stream, "buffer", None)
        (binary if binary is not None else self._stream).flush()

    def writable(self) -> bool:
        return True


@contextmanager
def redacted_output() -> Iterator[None]:
    """Standard output and standard error pass through :func:`redact` for the block, and the
    secrets registered during it are forgotten after it. The secrets of the environment are
    registered first (those too short to be credentials are refused when used, not masked)."""
    saved = sys.stdout, sys.stderr
    with secrets_scope():
        for name in (PASSWORD_VAR, TOKEN_VAR):
            value = os.environ.get(name, "").strip()
            if len(value) >= MIN_SECRET_LENGTH:
                register_secret(value)
        sys.stdout = RedactingStream(saved[0])
        sys.stderr = RedactingStream(saved[1])
        try:
            yield
        finally:
            for stream in (sys.stdout, sys.stderr):
                with suppress(OSError, ValueError):  # a closed pipe: nothing left to flush to
                    stream.flush()
            sys.stdout, sys.stderr = saved


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
