"""What can go wrong when talking to a LAYR platform, as one exception tree.

::

    ReconcilerError                      (reconciler.core.errors: the CLI prints the message, exit 1)
    └── PlatformError                    .message: the text (the platform's own, where it sent one)
          ├── TransportError             connection refused/reset, timeout: after every retry
          │     ├── DeadlineExceeded     the caller's deadline ran out while retrying
          │     └── CommandTimeout       the command's time limit (``--timeout``) ran out
          ├── LoginFailed                the login kept failing (5xx, no answer) through its retries
          ├── InsecureURLError           plain http:// to a host that is not loopback
          ├── CredentialsError           nothing usable in the environment (names the variables)
          ├── UnexpectedResponseError    a 2xx answer whose body is not the documented shape
          └── APIError                   .status, .method, .path, .message
                ├── AuthError                401 (after one transparent re-login)
                ├── NotFoundError            404 (also another organisation's object: D3)
                ├── InvalidOperationError    400 (strict rules, malformed bodies)
                ├── ForbiddenOperationError  403
                └── ServerError              5xx (after every retry)

``APIError.message`` is the platform's ``"<category> error: <description>"`` text verbatim
(DECISIONS.md D3); ``str()`` adds the request that got it. Every message passes through
:func:`reconciler.core.redaction.redact`, so a password or token can never reach the user
even if a platform echoed one back.
"""

from __future__ import annotations

from reconciler.core.errors import ReconcilerError
from reconciler.core.redaction import redact


class PlatformError(ReconcilerError):
    """Any failure talking to the platform; ``message`` is the user-facing text."""

    def __init__(self, message: str) -> None:
        self.message = redact(message)
        super().__init__(self.message)


class TransportError(PlatformError):
    """The request never got an HTTP answer (after retries, where the method allows them)."""


class DeadlineExceeded(TransportError):
    """The caller's deadline passed before the request could succeed; nothing more was sent."""


class CommandTimeout(TransportError):
    """The whole command's time limit passed: nothing more is sent, whatever the request's own deadline."""


class LoginFailed(PlatformError):
    """Logging in kept failing through every retry (the platform refused nothing: that is :class:`AuthError`)."""


class InsecureURLError(PlatformError):
    """Credentials would travel in clear text: ``http://`` is allowed for loopback hosts only."""


class CredentialsError(PlatformError):
    """The environment holds no usable credentials."""


class UnexpectedResponseError(PlatformError):
    """A successful answer that does not have the documented shape (a field missing or mistyped)."""


class APIError(PlatformError):
    """The platform answered with an error status."""

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return f"{self.message} ({self.method} {self.path} -> {self.status})"


class AuthError(APIError):
    """401: the credentials were refused (a fresh login was already tried once)."""


class NotFoundError(APIError):
    """404: no such object for this organisation (another organisation's looks the same)."""


class InvalidOperationError(APIError):
    """400: a strict rule was broken or the request was malformed; nothing changed (D1)."""


class ForbiddenOperationError(APIError):
    """403: the operation is not allowed by the platform's business rules."""


class ServerError(APIError):
    """5xx: the platform failed, and kept failing through every retry."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidOperationError,
    401: AuthError,
    403: ForbiddenOperationError,
    404: NotFoundError,
}


def api_error(status: int, method: str, path: str, message: str) -> APIError:
    """The most specific :class:`APIError` for an HTTP status."""
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    return cls(status, method, path, message)


RUN_WIDE_ERRORS: tuple[type[PlatformError], ...] = (
    AuthError,
    LoginFailed,
    CommandTimeout,
    CredentialsError,
    InsecureURLError,
)
"""Failures no other request of the run can escape (credentials, login, the run's time limit): they
stop the run, where any other failure of a read blocks only the asset it was for."""


def raised_again(error: PlatformError) -> PlatformError:
    """A fresh exception equal to ``error``, to raise in another thread than the one that got it."""
    if isinstance(error, APIError):
        return api_error(error.status, error.method, error.path, error.message)
    return type(error)(error.message)
