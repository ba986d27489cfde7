"""Third-party JavaScript clients the tests run for real: mermaid in Debian's Chromium, the YAML
language server. They are installed once, from the pinned lock file beside this module, into the
git-ignored ``.cache/node-tools/`` of the checkout (CI starts from a fresh machine, so the tests
install what they need). Chromium comes from Debian's package (puppeteer never downloads a
browser); ``apt-get`` runs only as root. Where neither can be had, :class:`ToolMissing` says why,
and the test skips with that reason.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).resolve().parent / "node-tools"  # package.json + package-lock.json
CACHE = ROOT / ".cache" / "node-tools"
STAMP = ".installed"  # holds the hash of the lock file the folder was installed from
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# A fresh machine's first Chromium start, beside the other test workers, took longer than
# puppeteer's default 30 s to print its DevTools endpoint (seen in CI); allow it minutes.
CHROMIUM_LAUNCH_TIMEOUT_MS = 240_000
INSTALL_TIMEOUT_SECONDS = 900


class ToolMissing(Exception):
    """A tool the test needs cannot be installed here; the message is the skip reason."""


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """One installer at a time across pytest-xdist workers."""
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(CACHE.parent / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _can_apt() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS, check=False
        )
        if done.returncode != 0:
            raise ToolMissing(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")


def _lock_hash() -> str:
    return hashlib.sha256((SPEC / "package-lock.json").read_bytes()).hexdigest()


def node_tools() -> Path:
    """The ``node_modules/.bin`` folder holding ``mmdc`` and ``yaml-language-server``."""
    bin_dir = CACHE / "node_modules" / ".bin"
    stamp = CACHE / STAMP
    with _locked("node-tools"):
        if stamp.is_file() and stamp.read_text() == _lock_hash():
            return bin_dir
        if shutil.which("npm") is None:
            if not _can_apt():
                raise ToolMissing("npm is not installed, and apt-get cannot install it (not root)")
            _apt_install("nodejs", "npm")
        CACHE.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(SPEC / name, CACHE / name)
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CACHE,
            env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"},
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            raise ToolMissing(f"npm ci in {CACHE} failed: {done.stderr.strip()[-800:]}")
        stamp.write_text(_lock_hash())
        return bin_dir


def chromium() -> str:
    """Debian's Chromium, installed with apt-get when missing and possible."""
    with _locked("chromium"):
        if not Path(CHROMIUM).is_file():
            if not _can_apt():
                raise ToolMissing(f"{CHROMIUM} is missing, and apt-get cannot install it (not root)")
            _apt_install("chromium", "fonts-liberation")
        return CHROMIUM
