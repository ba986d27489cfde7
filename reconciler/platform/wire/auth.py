"""Login (DECISIONS.md D5): ``POST /auth/public/authenticate``.

Request ``{"username", "password"}``; answer ``{"access_token", "expires_in", ...}``. The
access token goes into ``Authorization: Bearer …``. No refresh endpoint is documented, so an
expired token (401 ``auth error: …``) is answered by logging in again, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.platform.credentials import header_problem
from reconciler.platform.errors import UnexpectedResponseError
from reconciler.platform.wire.fields import as_object, text, whole_number

AUTH_PATH = "/auth/public/authenticate"


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    expires_in: int

    def __repr__(self) -> str:
        return f"Token(access_token=<redacted>, expires_in={self.expires_in})"


def login_body(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password}


def parse_token(raw: Any) -> Token:
    doc = as_object(raw, "authentication answer")
    access_token = text(doc, "access_token", "authentication answer")
    if (problem := header_problem(access_token)) is not None:
        raise UnexpectedResponseError(
            f"unexpected response from the platform: the authentication answer's access_token holds "
            f"{problem}, which an HTTP header cannot carry"
        )
    return Token(access_token, expires_in=whole_number(doc, "expires_in", "authentication answer"))


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}
