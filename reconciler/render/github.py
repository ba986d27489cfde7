"""Diagnostics as GitHub Actions workflow commands: each one an annotation on its file and line.

GitHub reads ``::error file=…,line=…,col=…,title=…::message`` from a step's output and shows it on
the pull request's diff and in the run's summary. Values are escaped as the Actions toolkit does
(``@actions/core``): in the message ``%``, CR and LF; in a property also ``:`` and ``,``, which
would otherwise end the property. So a manifest's text can never start a command of its own.
"""

from __future__ import annotations

from reconciler.core.diagnostics import Diagnostic, Severity

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str | int | None) -> str:
    """``::command key=value,…::message`` with every value escaped; ``None`` values are left out."""
    given = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None
    )
    return f"::{command}{' ' + given if given else ''}::{escape_data(message)}"


def annotation(diagnostic: Diagnostic) -> str:
    """One diagnostic as an annotation: the field path and message, then what was expected and found."""
    message = f"({diagnostic.path}) {diagnostic.message}" if diagnostic.path else diagnostic.message
    if diagnostic.expected is not None or diagnostic.found is not None:
        message += f"\nexpected {diagnostic.expected or '?'}, found {diagnostic.found or '?'}"
    return workflow_command(
        _COMMANDS[diagnostic.severity],
        message,
        file=diagnostic.file,
        line=diagnostic.line,
        col=diagnostic.column,
        title=f"reconciler {diagnostic.code}",
    )
