"""Files a manifest names (CSV schedules, CSV bids) stay inside the project.

A manifest in a repository is input from whoever can open a pull request, and its output is
posted on that pull request; so a path it names must not reach anything else on the machine
(``/proc/self/environ`` holds the credentials). The rules, checked before a byte is read:

- the path is relative: to the manifest's folder;
- every step of it, each symlink and ``..`` followed, stays inside the **project root**: the
  nearest folder at or above the manifest that holds ``reconciler.yaml``, else the manifest's
  own folder (:func:`project_root`);
- it ends at a regular file (no folder, FIFO or device) of at most :data:`MAX_FILE_BYTES`.

Anything else is an error at the manifest's field that names the rule, never the file's content.
What is read of a project file may be quoted back only as a short :func:`excerpt`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.core.yamlsource import MAX_FILE_BYTES, FieldPath
from reconciler.manifest.context import DocumentContext

PROJECT_CONFIG = "reconciler.yaml"
MAX_EXCERPT = 40  # characters of a project file's content a diagnostic may quote

OUTSIDE = "path-outside-project"
NOT_A_FILE = "path-not-a-file"
TOO_LARGE = "file-too-large"
UNREADABLE = "file-unreadable"


class Refused(Exception):
    """A path a manifest may not read, with the diagnostic's code, message, expected and found."""

    def __init__(self, code: str, message: str, expected: str, found: str) -> None:
        super().__init__(message)
        self.code, self.message, self.expected, self.found = code, message, expected, found


def project_root(folder: Path) -> Path:
    """The resolved project root of a manifest in ``folder``."""
    start = folder.resolve()
    for candidate in (start, *start.parents):
        if (candidate / PROJECT_CONFIG).is_file():
            return candidate
    return start


def contained_path(folder: Path, relative: str, root: Path | None = None) -> Path:
    """The resolved file ``relative`` names from a manifest in ``folder``; raises :class:`Refused`
    for a path that is absolute or leaves the project on the way, and ``FileNotFoundError`` for a
    missing one. ``root`` overrides :func:`project_root`."""
    inside = f"a relative path inside the project (the folder of {PROJECT_CONFIG}, else the manifest's)"
    if "\0" in relative or Path(relative).is_absolute():
        raise Refused(OUTSIDE, f"{relative!r} is not a path relative to the manifest", inside, relative)
    base = folder.resolve()
    top = root.resolve() if root is not None else project_root(folder)
    current = base
    for part in Path(relative).parts:
        try:
            current = (current / part).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            raise Refused(OUTSIDE, f"{relative!r} runs into a symlink loop", inside, relative) from None
        if not current.is_relative_to(top):
            raise Refused(OUTSIDE, f"{relative!r} leads outside the project", inside, relative)
    mode = os.stat(current).st_mode  # FileNotFoundError for the caller
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO, socket or device)"
        raise Refused(NOT_A_FILE, f"{relative!r} is {kind}", "a regular file", kind)
    return current


def read_project_file(path: Path) -> str:
    """The text of a file :func:`contained_path` accepted, reading at most :data:`MAX_FILE_BYTES`
    and never following a symlink or blocking on a FIFO put in its place meanwhile.

    Raises :class:`Refused`, ``OSError`` or ``UnicodeDecodeError``."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise Refused(NOT_A_FILE, f"{path.name} is not a regular file", "a regular file", "another kind")
        if status.st_size > MAX_FILE_BYTES:
            raise _too_large(status.st_size)
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(len(data))
    return data.decode("utf-8-sig")


def read_named_file(
    ctx: DocumentContext, relative: str, field: FieldPath, *, missing_code: str, what: str
) -> tuple[str, str] | None:
    """``(display path, text)`` of the file a manifest field names, or ``None`` after reporting
    at the field why it cannot be read (``missing_code`` when it does not exist)."""
    display = str(ctx.directory / relative)
    try:
        path = contained_path(ctx.directory, relative, ctx.project_root)
        return display, read_project_file(path)
    except Refused as refused:
        ctx.error(refused.code, refused.message, field, expected=refused.expected, found=refused.found)
    except FileNotFoundError:
        ctx.error(
            missing_code,
            f"the {what} {display} does not exist",
            field,
            expected=f"a {what} path relative to the manifest",
            found=relative,
        )
    except UnicodeDecodeError as exc:
        ctx.error(
            UNREADABLE,
            f"{display} is not UTF-8 text: byte {exc.start} cannot be decoded",
            field,
            expected="a UTF-8 text file",
            found="other bytes",
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        ctx.error(
            UNREADABLE, f"cannot read {display}: {reason}", field, expected="a readable file", found=reason
        )
    return None


def excerpt(text: str) -> str:
    """A short, printable quote of project-file content for a diagnostic."""
    shown = "".join(c if c.isprintable() else "?" for c in text[:MAX_EXCERPT])
    return shown + ("..." if len(text) > MAX_EXCERPT else "")


def _too_large(size: int) -> Refused:
    limit = f"at most {MAX_FILE_BYTES // 2**20} MiB"
    return Refused(TOO_LARGE, f"the file is too large ({size} bytes)", limit, "more")
