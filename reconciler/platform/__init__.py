"""The LAYR platform API client: auth, retries, parallel reads, typed models, wire adapters.

Imports ``reconciler.market`` and ``reconciler.rules`` only (DESIGN.md §7).
"""

from reconciler.platform.ancillary import DEFAULT_ANCILLARY_API, AncillaryApi
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import PASSWORD_VAR, TOKEN_VAR, USERNAME_VAR, Credentials
from reconciler.platform.errors import (
    APIError,
    AuthError,
    CommandTimeout,
    CredentialsError,
    DeadlineExceeded,
    ForbiddenOperationError,
    InsecureURLError,
    InvalidOperationError,
    LoginFailed,
    NotFoundError,
    PlatformError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from reconciler.platform.session import RetryPolicy

__all__ = [
    "DEFAULT_ANCILLARY_API",
    "PASSWORD_VAR",
    "TOKEN_VAR",
    "USERNAME_VAR",
    "APIError",
    "AncillaryApi",
    "AuthError",
    "CommandTimeout",
    "Credentials",
    "CredentialsError",
    "DeadlineExceeded",
    "ForbiddenOperationError",
    "InsecureURLError",
    "InvalidOperationError",
    "LoginFailed",
    "NotFoundError",
    "PlatformClient",
    "PlatformError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
]
