"""The project's exception root.

``ReconcilerError`` and its subclasses are *expected* failures: bad input, a refused plan, a
platform that said no. The CLI's single error handler prints their message and exits 1. Any other
exception is a bug and exits 3 with a short "please report" line.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """An expected failure whose message is meant for the user (no traceback)."""


class UsageError(ReconcilerError):
    """The command line or project configuration is wrong."""
