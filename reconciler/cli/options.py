"""Options shared by the commands: the platform to talk to, colour, format, quiet and verbose."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.shell_completion import CompletionItem

from reconciler.cli.progress import Verbosity, client_log

if TYPE_CHECKING:
    from reconciler.plan.selection import Selection
    from reconciler.project.workflow import Session

F = TypeVar("F", bound=Callable[..., Any])


DEFAULT_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class PlatformOptions:
    target: str | None
    api_url: str | None
    organisation: str | None
    config: Path | None
    parallelism: int
    deadline: float | None = None  # time.monotonic() when the command must stop talking (--timeout)


def platform_options(command: F) -> F:
    """``--target``, ``--api-url``/``--organisation``, ``--config``, ``--parallelism``, ``--timeout``."""

    @click.option(
        "--target", metavar="NAME", shell_complete=complete_targets, help="A target named in reconciler.yaml."
    )
    @click.option(
        "--api-url", metavar="URL", help="Platform base URL (with --organisation; no config needed)."
    )
    @click.option("--organisation", metavar="ID", help="Organisation ID on the platform.")
    @click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Project config (default: reconciler.yaml beside the manifests or in a parent folder).",
    )
    @click.option(
        "--parallelism",
        type=click.IntRange(1, 100),
        default=10,
        show_default=True,
        help="Requests in flight at once: reads, and writes to different assets.",
    )
    @click.option(
        "--timeout",
        metavar="SECONDS",
        type=click.IntRange(1, 86400),
        default=DEFAULT_TIMEOUT_SECONDS,
        show_default=True,
        help="Stop after this long however the platform answers; what is not written by then is reported.",
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        target: str | None,
        api_url: str | None,
        organisation: str | None,
        config: Path | None,
        parallelism: int,
        timeout: int,
        **kwargs: Any,
    ) -> Any:
        deadline = time.monotonic() + timeout
        options = PlatformOptions(target, api_url, organisation, config, parallelism, deadline)
        return command(*args, platform=options, **kwargs)

    return wrapper  # type: ignore[return-value]


def complete_targets(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``--target`` completes the names in the reconciler.yaml the command would read: the one of
    ``--config``, else the nearest one at or above the paths typed so far (or the working folder).
    A config that is missing or broken completes nothing: completion never prints an error."""
    from reconciler.core.errors import ReconcilerError
    from reconciler.project.config import find_config, load_config

    # Completing an option's value stops click's parsing there: the paths typed before it are
    # left in ctx.args, not yet given to their argument.
    typed = [Path(word) for word in ctx.args if not word.startswith("-")]
    for name, value in ctx.params.items():
        if isinstance(value, Path) and name != "config":
            typed.append(value)
        elif isinstance(value, tuple):
            typed += [v for v in value if isinstance(v, Path)]
    try:
        found = find_config(typed, ctx.params.get("config"))
        targets = load_config(found).targets if found is not None else {}
    except (ReconcilerError, OSError):
        return []
    return [
        CompletionItem(name, help=" ".join(filter(None, (target.kind, target.api_url))))
        for name, target in sorted(targets.items())
        if name.startswith(incomplete)
    ]


def platform_session(
    paths: Sequence[Path],
    platform: PlatformOptions,
    selection: Selection | None = None,
    lock_timeout: float | None = None,
) -> AbstractContextManager[Session]:
    """:func:`reconciler.project.workflow.open_session` with a command's platform options; with
    ``lock_timeout`` (apply) holding the target's lock."""
    from reconciler.plan.selection import Selection
    from reconciler.project.workflow import open_session  # connects to platforms: only when a command does

    return open_session(
        paths,
        target=platform.target,
        api_url=platform.api_url,
        organisation=platform.organisation,
        config=platform.config,
        parallelism=platform.parallelism,
        selection=selection or Selection(),
        lock_timeout=lock_timeout,
        note=note,
        deadline=platform.deadline,
    )


def note(text: str) -> None:
    """A note for the person running the command (waiting for a lock, ...), on standard error."""
    click.echo(text, err=True)


def lock_timeout_option(command: F) -> F:
    return click.option(
        "--lock-timeout",
        type=click.FloatRange(min=0),
        default=0,
        show_default=True,
        metavar="SECONDS",
        help="Wait this long for another apply to the same target to finish (0: fail at once, naming it).",
    )(command)


def only_option(command: F) -> F:
    """``--only PATTERN`` (repeatable): the command gets ``selection``, a :class:`Selection`."""

    def check(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Selection:
        from reconciler.plan.selection import Selection

        for pattern in value:
            if not pattern.strip("/"):
                raise click.BadParameter("an empty pattern selects nothing; give an address such as munich-1")
        return Selection(tuple(value))

    return click.option(
        "--only",
        "selection",
        metavar="PATTERN",
        multiple=True,
        callback=check,
        help="Only objects whose address matches (repeatable, shell-style, * within one /-segment): "
        "munich-1, munich-1/wholesale, munich-1/fcr/*, */afrr/2026-11-24_*.",
    )(command)


def color_option(command: F) -> F:
    return click.option("--no-color", is_flag=True, help="No colours (also when NO_COLOR is set).")(command)


def use_color(no_color: bool) -> bool:
    """Whether to print colours, in the order Python 3.13 decides it: never with ``--no-color`` or
    a non-empty ``NO_COLOR``; always with a non-empty ``FORCE_COLOR`` (CI logs that render ANSI);
    never when ``TERM=dumb``; else only on a terminal. The answer also goes to click's context,
    so ``click.echo`` keeps the colours it would strip from a pipe."""
    if no_color or os.environ.get("NO_COLOR"):
        color = False
    elif os.environ.get("FORCE_COLOR"):
        color = True
    elif os.environ.get("TERM") == "dumb":
        color = False
    else:
        color = sys.stdout.isatty()
    context = click.get_current_context(silent=True)
    if context is not None:
        context.color = color
    return color


QUIET_HELP = "Print only the result and errors: no progress, no notes."
VERBOSE_HELP = "Also log every platform request on standard error (secrets masked)."


def verbosity_options(verbose_help: str = VERBOSE_HELP) -> Callable[[F], F]:
    """``-q/--quiet`` and ``-v/--verbose``: the command gets ``verbosity``; -v turns on the client's log."""

    def decorate(command: F) -> F:
        @click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP)
        @click.option("-v", "--verbose", is_flag=True, help=verbose_help)
        @functools.wraps(command)
        def wrapper(*args: Any, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
            if quiet and verbose:
                raise click.UsageError("--quiet and --verbose exclude each other; pass one of them")
            verbosity = Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL
            with client_log(verbosity):
                return command(*args, verbosity=verbosity, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )
