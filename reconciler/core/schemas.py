"""Where the published JSON Schemas live, in a source checkout and in an installed wheel.

The files are kept once, in ``schemas/`` at the repository root; the wheel force-includes that
folder as ``reconciler/schemas/`` (pyproject.toml). Every reader goes through :func:`schema_path`
or :func:`load_schema`, so the two layouts never need special cases elsewhere.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcilerError

_REPO_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

# Every published schema's ``$id`` is this base plus its file name: one stable address that editors
# can fetch (the README says to point them at it; a release tag in place of ``main`` pins one).
SCHEMA_BASE_URL = "https://raw.githubusercontent.com/terralayr/reconciler/main/schemas/"


def schema_url(name: str) -> str:
    """The published address (``$id``) of schema ``name``."""
    return SCHEMA_BASE_URL + name


def schema_path(name: str) -> Path:
    """The file of schema ``name`` (e.g. ``manifest.schema.json``): packaged copy first, then the repo."""
    packaged = resources.files("reconciler") / "schemas" / name
    if packaged.is_file():
        return Path(str(packaged))
    in_repo = _REPO_SCHEMAS / name
    if in_repo.is_file():
        return in_repo
    raise ReconcilerError(
        f"schema {name} is missing: looked in the installed package (reconciler/schemas/) and in "
        f"{_REPO_SCHEMAS}; reinstall reconciler"
    )


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema (cached: schemas do not change while the process runs)."""
    path = schema_path(name)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReconcilerError(f"schema {path} cannot be read: {exc}") from None
    if not isinstance(schema, dict):
        raise ReconcilerError(f"schema {path} is not a JSON object")
    return schema
