"""One apply per target at a time on this machine, and each saved plan applied once.

``apply`` holds an exclusive lock on its target from before it reads live state until it ends.
The lock is an OS lock (``fcntl.flock``) on a file named after the target's API URL and
organisation (:func:`reconciler.project.protection.platform_identity`), so every project, clone
and target name on this machine that reaches the same platform and organisation shares it, and a
process that dies for any reason releases it. The file holds who has it (user, host, pid,
command, start time, like Terraform's lock info) for the message of whoever waits; a holder's
details left behind by a process that died are taken over with a note.

Beside it, ``<name>.applied`` lists the digests of the saved plans applied to the target (the
last :data:`APPLIED_KEPT`), written under the lock before the first write, so a second apply of
the same plan is refused even when the two started together.

Lock files live in ``$RECONCILER_LOCK_DIR``, else ``$XDG_STATE_HOME/reconciler/locks``, else
``~/.local/state/reconciler/locks``. The embedded sandbox needs none: each run has its own.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import hashlib
import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.core.redaction import redact
from reconciler.market import MARKET_TZ
from reconciler.plan.model import Plan
from reconciler.project.config import Target
from reconciler.project.protection import platform_identity

LOCK_DIR_VAR = "RECONCILER_LOCK_DIR"
APPLIED_KEPT = 1000
POLL_SECONDS = 0.05
_HOLDER_BYTES = 64 * 1024


class TargetLockedError(ReconcilerError):
    """Another apply holds the target's lock (beyond ``--lock-timeout``); nothing was read or written."""


class PlanAppliedError(ReconcilerError):
    """This saved plan was applied to the target before; nothing was written."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as written into its file."""

    user: str
    host: str
    pid: int
    command: str
    started_at: str  # ISO, UTC
    target: str

    def describe(self) -> str:
        return f"{self.user}@{self.host}, pid {self.pid}, since {_local(self.started_at)}: `{self.command}`"

    @classmethod
    def from_text(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            holder = cls(**{key: data[key] for key in cls.__dataclass_fields__})
        except (ValueError, TypeError, KeyError):
            return None
        return holder if isinstance(holder.pid, int) else None


def _local(moment: object) -> str:
    """An ISO instant from a lock file as people read it (2026-11-23 06:55:02 CET)."""
    try:
        return datetime.fromisoformat(str(moment)).astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M:%S %Z")
    except ValueError:
        return repr(moment)


def lock_dir(environ: Mapping[str, str] = os.environ) -> Path:
    if explicit := environ.get(LOCK_DIR_VAR):
        return Path(explicit)
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "reconciler" / "locks"


def lock_name(api_url: str, organisation: str) -> str:
    """``localhost-8321-org-demo-1a2b3c4d5e6f``: readable, and one per (API URL, organisation)."""
    identity = platform_identity(api_url)
    key = hashlib.sha256(f"{identity}\n{organisation}".encode()).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9.]+", "-", f"{identity.split('://', 1)[1]}-{organisation}").strip("-.")
    return f"{readable[:80]}-{key}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return str(os.getuid())


class TargetLock:
    """A held lock, and the record of the saved plans applied to its target (none for the
    embedded sandbox: each run has a fresh one, so a plan may be applied to each)."""

    def __init__(self, path: Path | None, label: str) -> None:
        self.path = path
        self.label = label
        self.applied_path = path.with_suffix(".applied") if path is not None else None

    def _records(self) -> list[str]:
        if self.applied_path is None:
            return []
        try:
            return self.applied_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []

    def applied(self, digest: str, instance: str | None = None) -> dict[str, Any] | None:
        """The record of an earlier apply of the plan with ``digest`` to the emulator run
        ``instance`` (None: a platform, or an emulator that does not say), if there was one."""
        for line in reversed(self._records()):
            with suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and (record.get("digest"), record.get("instance")) == (
                    digest,
                    instance,
                ):
                    return record
        return None

    def claim_plan(self, plan: Plan, shown_as: str, instance: str | None = None) -> None:
        """Record ``plan`` as applied, or raise :class:`PlanAppliedError` if it was before. Called
        just before the first write: a plan whose apply crashed mid-way counts as applied.
        ``instance``: the emulator run it is applied to; a restarted sandbox of the same fixture and
        clock gives byte-identical plans, and each of its runs may take them once."""
        if self.applied_path is None:
            return
        digest = plan.digest  # the saved plan's own, checked against its content when it was read
        if (earlier := self.applied(digest, instance)) is not None:
            raise PlanAppliedError(
                f"{shown_as}: this plan was applied to {self.label} already (by {earlier.get('user')}@"
                f"{earlier.get('host')}, pid {earlier.get('pid')}, at {_local(earlier.get('applied_at'))}); a saved "
                "plan is applied once: make a new plan with `reconciler plan --out`. Nothing was written"
            )
        record = {
            "digest": digest,
            "instance": instance,
            "applied_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "user": _user(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "plan": shown_as,
        }
        kept = self._records()[-(APPLIED_KEPT - 1) :]
        text = "".join(line + "\n" for line in kept) + redact(json.dumps(record)) + "\n"
        temporary = self.applied_path.with_suffix(f".applied.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.applied_path)


def _open_lock_file(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        reason = "it is a symbolic link" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise ReconcilerError(
            f"cannot open the apply lock {path}: {reason}; set {LOCK_DIR_VAR} to a folder this user can "
            "write. Nothing was read or written"
        ) from None


def _read_holder(fd: int) -> Holder | None:
    return Holder.from_text(os.pread(fd, _HOLDER_BYTES, 0).decode("utf-8", errors="replace"))


def _locked_message(label: str, holder: Holder | None, path: Path, timeout: float) -> str:
    who = holder.describe() if holder is not None else "another apply (its details are not written yet)"
    waited = f"waited {timeout:g} s; " if timeout > 0 else ""
    return (
        f"{label} is locked by another apply: {who}. It is released when that apply ends; "
        f"{waited}wait for it with --lock-timeout SECONDS. Lock file: {path}. Nothing was read or written"
    )


@contextmanager
def hold_target_lock(
    target: Target, *, timeout: float, note: Callable[[str], None], environ: Mapping[str, str] = os.environ
) -> Iterator[TargetLock]:
    """Hold ``target``'s apply lock for the block, waiting up to ``timeout`` seconds for it.

    The embedded sandbox needs no lock (nothing is shared). ``note`` hears about waiting and about
    a lock taken over from a process that died."""
    if target.api_url is None or target.kind == "embedded":
        yield TargetLock(None, f"target {target.name!r}")
        return
    label = f"target {target.name!r} ({target.api_url}, organisation {target.organisation})"
    path = lock_dir(environ) / f"{lock_name(target.api_url, target.organisation)}.lock"
    fd = _open_lock_file(path)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(fd)
                if time.monotonic() >= deadline:
                    raise TargetLockedError(_locked_message(label, holder, path, timeout)) from None
                if not told:
                    who = holder.describe() if holder else "another apply"
                    note(f"Waiting up to {timeout:g} s for the lock on {label}, held by {who}.")
                    told = True
                time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        _take_over(_read_holder(fd), label, note)
        holder = Holder(
            user=_user(),
            host=socket.gethostname(),
            pid=os.getpid(),
            command=redact(" ".join(["reconciler", *sys.argv[1:]])),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            target=label,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder)).encode("utf-8"), 0)
        try:
            yield TargetLock(path, label)
        finally:
            os.ftruncate(fd, 0)  # released cleanly: nothing for the next one to take over
    finally:
        os.close(fd)  # closing releases the flock


def _take_over(previous: Holder | None, label: str, note: Callable[[str], None]) -> None:
    """Details left in a free lock mean its holder ended without releasing it (killed, crashed):
    a clean release empties the file. The OS released the lock itself when the process died."""
    if previous is None:
        return
    here = previous.host == socket.gethostname()
    gone = " (no longer running)" if here and not _pid_alive(previous.pid) else ""
    note(
        f"Note: took over the lock on {label} from an apply that ended without releasing it: "
        f"{previous.describe()}{gone}."
    )
