"""The state of checking one document: its diagnostics and which fields already failed.

A field with a structural error is not expanded (its meaning is unknown), but every other entry
of the document still is, so one run reports all problems, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.core.diagnostics import Diagnostic, Severity, has_errors
from reconciler.core.yamlsource import FieldPath, YamlDocument, format_path
from reconciler.manifest.model import SourceRef
from reconciler.market import MARKET_TZ


@dataclass
class DocumentContext:
    document: YamlDocument
    now: datetime | None = None
    tz: ZoneInfo = MARKET_TZ
    name: str | None = None  # metadata.name once known, for addresses
    project_root: Path | None = None  # where files the manifest names must lie; None: found from the file
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: set[FieldPath] = field(default_factory=set)

    @property
    def file(self) -> str:
        return self.document.file

    @property
    def directory(self) -> Path:
        return Path(self.document.file).parent

    def address(self, *parts: str) -> str | None:
        return "/".join((self.name, *parts)) if self.name else None

    def ref(self, path: FieldPath, *, key: bool = False) -> SourceRef:
        where = self.document.position(path, key=key)
        return SourceRef(self.file, where.line, where.column, format_path(path))

    def report(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: FieldPath,
        *,
        expected: str | None = None,
        found: str | None = None,
        key: bool = False,
        at: SourceRef | None = None,
        address: str | None = None,
    ) -> None:
        """Record a finding at ``path`` (or at ``at``, e.g. a CSV line); errors mark the field failed."""
        where = at or self.ref(path, key=key)
        self.diagnostics.append(
            Diagnostic(
                severity,
                code,
                message,
                file=where.file,
                line=where.line,
                column=where.column,
                path=where.path or None,
                expected=expected,
                found=found,
                address=address,
            )
        )
        if severity is Severity.ERROR:
            self.failed.add(path)

    def error(
        self,
        code: str,
        message: str,
        path: FieldPath,
        *,
        expected: str | None = None,
        found: str | None = None,
        at: SourceRef | None = None,
        address: str | None = None,
    ) -> None:
        self.report(
            Severity.ERROR, code, message, path, expected=expected, found=found, at=at, address=address
        )

    def add(self, path: FieldPath, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)
        if diagnostic.is_error:
            self.failed.add(path)

    def clean(self, path: FieldPath) -> bool:
        """No error was found at ``path`` or inside it."""
        size = len(path)
        return not any(failed[:size] == path for failed in self.failed)

    @property
    def has_errors(self) -> bool:
        return has_errors(self.diagnostics)
