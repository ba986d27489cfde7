"""Which platforms are protected: the guard follows the API URL and organisation, never a name.

A target is protected when its entry in ``reconciler.yaml`` says ``protected: true``, or when its
API URL is the real LAYR production platform (:data:`PRODUCTION_HOST`, protected for every
organisation, with or without a config). Protection then belongs to the (API URL, organisation)
pair: every invocation that resolves to that pair is protected, whichever way it got there
(``--target``, ``--api-url``, another target's entry with the same URL, a saved plan's recorded
target), and writing to it needs the protected target's name typed at a terminal, or
``--auto-approve`` with that target named explicitly (``--target NAME``).

URLs are compared by :func:`platform_identity`: scheme and host in lower case, a default port
and trailing slashes dropped, every loopback name (``localhost``, ``127.0.0.1``, ``[::1]``) one
host. Two different names of one server (a DNS alias, an IP address) are not recognised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from reconciler.core.errors import ReconcilerError, UsageError
from reconciler.platform.session import is_loopback_host

PRODUCTION_API_URL = "https://api.trlyr.com"
PRODUCTION_HOST = "api.trlyr.com"  # any scheme, port or path on this host is production


def platform_identity(api_url: str) -> str:
    """``api_url`` as a key that two spellings of one base URL share."""
    try:
        url = httpx.URL(api_url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise UsageError(f"{api_url!r} is not a URL ({exc})") from None
    host = url.host.lower().rstrip(".")
    if is_loopback_host(host):
        host = "localhost"
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme.lower()}://{host}{port}{url.path.rstrip('/')}"


def is_production(api_url: str) -> bool:
    return httpx.URL(api_url.strip()).host.lower().rstrip(".") == PRODUCTION_HOST


@dataclass(frozen=True)
class ProtectedEntry:
    """A target entry of a config, as far as protection is concerned."""

    name: str
    api_url: str | None
    organisation: str
    protected: bool
    source: str  # file:line


@dataclass(frozen=True)
class Protection:
    """Why an invocation is protected, and which target names unlock it."""

    names: tuple[str, ...]  # the protected targets with this URL and organisation (may be empty)
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def merged(self, other: Protection | None) -> Protection:
        if other is None:
            return self
        names = self.names + tuple(n for n in other.names if n not in self.names)
        reasons = self.reasons + tuple(r for r in other.reasons if r not in self.reasons)
        return Protection(names, reasons)


def protection_for(
    api_url: str | None, organisation: str, entries: Iterable[ProtectedEntry]
) -> Protection | None:
    """The protection of the pair (``api_url``, ``organisation``), or None when it has none."""
    if api_url is None:
        return None  # the embedded sandbox lives inside this process
    identity = platform_identity(api_url)
    names: list[str] = []
    reasons: list[str] = []
    for entry in entries:
        if entry.api_url is None or platform_identity(entry.api_url) != identity:
            continue
        if entry.organisation != organisation or not (entry.protected or is_production(entry.api_url)):
            continue
        if entry.name not in names:
            names.append(entry.name)
            reasons.append(f"target {entry.name!r} ({entry.source}) is protected")
    if is_production(api_url):
        reasons.append(f"{PRODUCTION_HOST} is the LAYR production platform, protected for every organisation")
    if not reasons:
        return None
    return Protection(tuple(names), tuple(reasons))


def approve_write(
    protection: Protection | None,
    *,
    where: str,
    target_name: str,
    named: str | None,
    auto_approve: bool,
    prompt_fn: Callable[[str], str | None],
) -> None:
    """Let a write to a protected platform through only with a protected target's name typed, or
    ``--auto-approve`` together with ``--target NAME`` naming one. ``where`` describes the
    platform and organisation; ``named`` is the ``--target`` given on the command line. Where no
    config names the platform (the production URL given with ``--api-url``), the name to type is
    ``target_name``. ``prompt_fn`` returns None when there is no terminal to ask on."""
    if protection is None:
        return
    names = protection.names
    if names:
        how = f"--target {names[0]} --auto-approve"
    else:
        how = "declare it in reconciler.yaml (protected: true) and pass --target NAME --auto-approve"
    if auto_approve:
        if named is not None and named in names:
            return
        raise ReconcilerError(
            f"not applied: {where} is protected ({protection.reason}); --auto-approve writes to a "
            f"protected platform only when the protected target is named on the command line: {how}. "
            "Nothing was written"
        )
    expected = names or (target_name,)
    answer = prompt_fn(
        f"{where} is protected ({protection.reason}). Type {expected[0]!r} to apply, or anything else to stop:"
    )
    if answer is None:
        raise ReconcilerError(
            f"not applied: {where} is protected ({protection.reason}) and there is no terminal to type "
            f"its name on; to apply non-interactively: {how}. Nothing was written"
        )
    if answer.strip() not in expected:
        raise ReconcilerError(
            f"not applied: {where} is protected and {expected[0]!r} was not typed "
            "(or pass --auto-approve with --target NAME). Nothing was written"
        )
