"""Credentials from the environment (DESIGN.md §3): ``LAYR_USERNAME`` + ``LAYR_PASSWORD``, or ``LAYR_TOKEN``.

A token alone is used as it is; with a username and password as well, the client can log in
again when the token expires (D5). Secrets are registered for redaction the moment a
:class:`Credentials` exists, and its repr never shows them.

Credentials that could not work, or could not be kept out of output, are refused before any
request and without showing them: a token with a character an HTTP header cannot carry (it is
sent as ``Authorization: Bearer …``), and a password or token shorter than
:data:`~reconciler.core.redaction.MIN_SECRET_LENGTH` characters (masking it would mangle ordinary
words of every message).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.core.redaction import MASK, MIN_SECRET_LENGTH, PASSWORD_VAR, TOKEN_VAR, register_secret
from reconciler.platform.errors import CredentialsError

USERNAME_VAR = "LAYR_USERNAME"
__all__ = ["PASSWORD_VAR", "TOKEN_VAR", "USERNAME_VAR", "Credentials", "check_secret"]

HEADER_CHARS = frozenset(chr(code) for code in range(0x20, 0x7F))  # printable ASCII


def header_problem(value: str) -> str | None:
    """What in ``value`` an HTTP header cannot carry, described without showing it."""
    if "\r" in value or "\n" in value:
        return "a line break (CR or LF)"
    if any(not char.isascii() for char in value):
        return "a non-ASCII character"
    if any(char not in HEADER_CHARS for char in value):
        return "a control character"
    return None


def check_secret(value: str | None, name: str, *, header: bool) -> None:
    """Refuse a secret that is too short to mask, or (``header``) one a header cannot carry.
    The message names ``name`` (the variable or field) and never the value."""
    if value is None:
        return
    if len(value) < MIN_SECRET_LENGTH:
        raise CredentialsError(
            f"{name} is shorter than {MIN_SECRET_LENGTH} characters, so it is refused: a secret that "
            "short could not be kept out of messages without mangling them; set the real one"
        )
    if header and (problem := header_problem(value)) is not None:
        raise CredentialsError(
            f"{name} holds {problem}, which an HTTP header cannot carry (it is sent as "
            "'Authorization: Bearer …'); check how it was set"
        )


class Credentials:
    """A username and password, or a bearer token, or both; never printed."""

    __slots__ = ("_password", "_token", "username")

    def __init__(self, *, username: str | None = None, password: str | None = None, token: str | None = None):
        if bool(username) != bool(password):
            raise CredentialsError("a username needs a password and a password needs a username")
        if not username and not token:
            raise CredentialsError("credentials need a username and password, or a token")
        check_secret(password or None, "the password", header=False)
        check_secret(token or None, "the token", header=True)
        self.username = username or None
        self._password = password or None
        self._token = token or None
        register_secret(self._password)
        register_secret(self._token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read the credentials; the error names the variables that are missing."""
        env = os.environ if environ is None else environ
        username, password, token = (
            env.get(name, "").strip() or None for name in (USERNAME_VAR, PASSWORD_VAR, TOKEN_VAR)
        )
        if username and not password:
            raise CredentialsError(
                f"{USERNAME_VAR} is set but {PASSWORD_VAR} is not; set both, or {TOKEN_VAR}"
            )
        if password and not username:
            raise CredentialsError(
                f"{PASSWORD_VAR} is set but {USERNAME_VAR} is not; set both, or {TOKEN_VAR}"
            )
        check_secret(password, PASSWORD_VAR, header=False)
        check_secret(token, TOKEN_VAR, header=True)
        if not username and not token:
            raise CredentialsError(
                f"no platform credentials in the environment: set {USERNAME_VAR} and {PASSWORD_VAR}, "
                f"or {TOKEN_VAR}"
            )
        return cls(username=username, password=password, token=token)

    @property
    def password(self) -> str | None:
        return self._password

    @property
    def token(self) -> str | None:
        return self._token

    @property
    def can_login(self) -> bool:
        """True when a fresh token can be fetched (a username and password are known)."""
        return self.username is not None and self._password is not None

    def __repr__(self) -> str:
        parts = []
        if self.username is not None:
            parts += [f"username={self.username!r}", f"password={MASK}"]
        if self._token is not None:
            parts.append(f"token={MASK}")
        return f"Credentials({', '.join(parts)})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self.username, self._password, self._token) == (other.username, other._password, other._token)

    def __hash__(self) -> int:
        return hash((self.username, self._password, self._token))
