"""API paths of one organisation's virtual assets (API.md §2), IDs URL-quoted."""

from __future__ import annotations

from urllib.parse import quote


def segment(identifier: str) -> str:
    """One path segment: an ID can never add a ``/`` or a query to the path."""
    return quote(identifier, safe="")


def va_path(organisation: str, va_id: str | None = None, *rest: str) -> str:
    """``/organisations/{org}/virtual-assets[/{va}[/rest…]]``."""
    path = f"/organisations/{segment(organisation)}/virtual-assets"
    if va_id is not None:
        path += f"/{segment(va_id)}"
    return "/".join([path, *rest])
