"""Credentials from the environment (DESIGN.md §3): ``LAYR_USERNAME`` + ``LAYR_PASSWORD``, or ``LAYR_TOKEN``.

A token alone is used as it is; with a username and password as well, the client can log in
again when the token expires (D5). Secrets are registered for redaction the moment a
:class:`Credentials` exists, and its repr never shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.core.redaction import MASK, register_secret
from reconciler.platform.errors import CredentialsError

USERNAME_VAR = "LAYR_USERNAME"
PASSWORD_VAR = "LAYR_PASSWORD"
TOKEN_VAR = "LAYR_TOKEN"


class Credentials:
    """A username and password, or a bearer token, or both; never printed."""

    __slots__ = ("_password", "_token", "username")

    def __init__(self, *, username: str | None = None, password: str | None = None, token: str | None = None):
        if bool(username) != bool(password):
            raise CredentialsError("a username needs a password and a password needs a username")
        if token is not None and not token.isascii():
            # it goes into an HTTP header, which carries ASCII only; never show the value
            raise CredentialsError(f"{TOKEN_VAR} holds characters a bearer token can't have (only ASCII)")
        if not username and not token:
            raise CredentialsError("credentials need a username and password, or a token")
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
        if token is not None and not token.isascii():
            # it goes into an HTTP header, which carries ASCII only; never show the value
            raise CredentialsError(f"{TOKEN_VAR} holds characters a bearer token can't have (only ASCII)")
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
