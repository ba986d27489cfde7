"""Error bodies (DECISIONS.md D3): ``{"error": "<category> error: <description>"}``.

The message is taken verbatim. A body that is not JSON or has no ``error`` field (a proxy's
HTML page, an empty 404 of API.md §7) falls back to its text, or to the HTTP reason phrase.
"""

from __future__ import annotations

import json

ERROR_FIELD = "error"
MAX_FALLBACK_CHARS = 300


def error_message(body: str, reason_phrase: str, status: int) -> str:
    """The platform's message for an error answer, verbatim where it sent one."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get(ERROR_FIELD), str):
        return str(doc[ERROR_FIELD])
    stripped = body.strip()
    if stripped:
        return stripped[:MAX_FALLBACK_CHARS]
    return f"HTTP {status} {reason_phrase}".rstrip()
