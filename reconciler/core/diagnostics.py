"""Diagnostics: the errors and warnings that validation and planning report.

One shape for every layer (manifest loading, static rules, live validation), so the CLI renders
them the same way and the JSON plan carries them unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Diagnostic:
    """One finding.

    ``file``/``line``/``column`` point into a manifest (1-based) when the finding comes from one;
    ``path`` is the field path inside the document (``spec.fcr.bids[0].capacity``); ``expected``
    and ``found`` say what the rule wanted and what it got; ``address`` names the object it is
    about (``munich-1/wholesale``, ``munich-1/fcr/2026-07-02_NEGPOS_08_12``).
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    expected: str | None = None
    found: str | None = None
    address: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        """``file:line:column`` as far as known, or an empty string."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Severity) else v) for k, v in asdict(self).items()}

    def render(self) -> str:
        """One or two human lines: ``file:line:col: error[code]: message`` plus expected/found."""
        where = self.location()
        head = f"{where}: " if where else ""
        field = f" ({self.path})" if self.path else ""
        text = f"{head}{self.severity}[{self.code}]{field}: {self.message}"
        if self.expected is not None or self.found is not None:
            text += f"\n    expected {self.expected or '?'}, found {self.found or '?'}"
        return text


class Source(Protocol):
    """Where something was declared (``reconciler.manifest.SourceRef`` has this shape)."""

    @property
    def file(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...

    @property
    def path(self) -> str: ...


def located(
    severity: Severity,
    code: str,
    message: str,
    source: Source | None,
    address: str | None = None,
    expected: str | None = None,
    found: str | None = None,
) -> Diagnostic:
    """A diagnostic pointing at ``source`` (file, line, column, field path) when there is one."""
    return Diagnostic(
        severity=severity,
        code=code,
        message=message,
        file=source.file if source else None,
        line=source.line if source else None,
        column=source.column if source else None,
        path=(source.path or None) if source else None,
        expected=expected,
        found=found,
        address=address,
    )


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.file or "", d.line or 0, d.column or 0, d.code)
