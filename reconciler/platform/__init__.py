"""The LAYR platform API client: auth, retries, parallel reads, typed models, wire adapters.

Imports ``reconciler.market`` and ``reconciler.rules`` only (DESIGN.md §7).
Its names are loaded when first used (PEP 562): ``show``, ``validate`` and the renderers need the
models, not the HTTP client, and httpx alone costs more to import than they spend on a plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.core.lazy import lazy_names

if TYPE_CHECKING:
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

_HOMES = {
    "APIError": "reconciler.platform.errors",
    "AncillaryApi": "reconciler.platform.ancillary",
    "AuthError": "reconciler.platform.errors",
    "CommandTimeout": "reconciler.platform.errors",
    "Credentials": "reconciler.platform.credentials",
    "CredentialsError": "reconciler.platform.errors",
    "DEFAULT_ANCILLARY_API": "reconciler.platform.ancillary",
    "DeadlineExceeded": "reconciler.platform.errors",
    "ForbiddenOperationError": "reconciler.platform.errors",
    "InsecureURLError": "reconciler.platform.errors",
    "InvalidOperationError": "reconciler.platform.errors",
    "LoginFailed": "reconciler.platform.errors",
    "NotFoundError": "reconciler.platform.errors",
    "PASSWORD_VAR": "reconciler.platform.credentials",
    "PlatformClient": "reconciler.platform.client",
    "PlatformError": "reconciler.platform.errors",
    "RetryPolicy": "reconciler.platform.session",
    "ServerError": "reconciler.platform.errors",
    "TOKEN_VAR": "reconciler.platform.credentials",
    "TransportError": "reconciler.platform.errors",
    "USERNAME_VAR": "reconciler.platform.credentials",
    "UnexpectedResponseError": "reconciler.platform.errors",
}


__getattr__ = lazy_names(__name__, _HOMES)


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
