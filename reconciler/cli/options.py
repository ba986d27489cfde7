"""Options shared by the commands that talk to a platform, and output helpers."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class PlatformOptions:
    target: str | None
    api_url: str | None
    organisation: str | None
    config: Path | None
    parallelism: int


def platform_options(command: F) -> F:
    """``--target``, ``--api-url``/``--organisation``, ``--config``, ``--parallelism``."""

    @click.option("--target", metavar="NAME", help="A target named in reconciler.yaml.")
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
        help="Reads in flight at once.",
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        target: str | None,
        api_url: str | None,
        organisation: str | None,
        config: Path | None,
        parallelism: int,
        **kwargs: Any,
    ) -> Any:
        options = PlatformOptions(target, api_url, organisation, config, parallelism)
        return command(*args, platform=options, **kwargs)

    return wrapper  # type: ignore[return-value]


def color_option(command: F) -> F:
    return click.option("--no-color", is_flag=True, help="No colours (also when NO_COLOR is set).")(command)


def use_color(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )
