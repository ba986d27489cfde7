"""Progress and verbosity: a bar for reads and writes at a terminal, the client's log with --verbose.

A bar is drawn (with rich, on standard error) only for a person watching: standard output and
standard error are both terminals, ``CI`` is not set, and neither ``--quiet`` nor ``--verbose``
was given (``--verbose`` prints a log line per request, which is progress enough and would tear a
bar apart). Everywhere else the output is exactly what it would be without this module.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import IntEnum
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:  # rich is imported only when a bar is drawn: --help and pipes stay fast
    from rich.progress import Progress, TaskID

    from reconciler.platform.reading import ReadProgress


class Verbosity(IntEnum):
    QUIET = -1
    NORMAL = 0
    VERBOSE = 1


def interactive(
    verbosity: Verbosity,
    environ: Mapping[str, str] = os.environ,
    streams: tuple[TextIO, ...] | None = None,
) -> bool:
    """True when a progress bar helps: a person at a terminal, outside CI, at normal verbosity."""
    if verbosity is not Verbosity.NORMAL or environ.get("CI"):
        return False
    return all(stream.isatty() for stream in (streams or (sys.stdout, sys.stderr)))


class Reporter:
    """Where a command's running commentary goes while work is in progress.

    Without a bar, :meth:`line` prints to standard output and the counters do nothing; with one,
    lines are printed above the bar so the two never overwrite each other.
    """

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress = progress
        self._task = task

    @property
    def on_read(self) -> ReadProgress | None:
        """A callback for :func:`reconciler.platform.live.read_live`, or None when nothing is drawn."""
        return self._reads if self._progress is not None else None

    def _reads(self, done: int, total: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)

    def advance(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

    def line(self, text: str, *, err: bool = False) -> None:
        if self._progress is None:
            click.echo(text, err=err)
        else:
            from rich.text import Text

            self._progress.console.print(Text.from_ansi(text))


@contextmanager
def progress(
    verbosity: Verbosity, color: bool, description: str, total: int | None = None
) -> Iterator[Reporter]:
    """A transient bar for the duration of the block when :func:`interactive`, else a plain reporter."""
    if not interactive(verbosity):
        yield Reporter()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, no_color=not color, highlight=False)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with bar:
        yield Reporter(bar, bar.add_task(description, total=total))


@contextmanager
def client_log(verbosity: Verbosity) -> Iterator[None]:
    """With ``--verbose``: the platform client's DEBUG log on standard error, secrets masked."""
    if verbosity is not Verbosity.VERBOSE:
        yield
        return
    from reconciler.core.redaction import LOGGER_NAME, RedactingFilter

    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)  # the stderr of this run (tests replace it)
    handler.addFilter(RedactingFilter())  # also here: records of child loggers skip the logger's filter
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
