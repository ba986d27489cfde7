"""``--only PATTERN``: which objects a run plans, writes or reports.

Addresses name objects: ``munich-1`` (an asset), ``munich-1/wholesale`` (its schedule),
``munich-1/fcr/2026-11-24_NEGPOS_08_12`` and ``munich-1/afrr/…`` (one bid product). A pattern is
shell-style and matched segment by segment (``*`` never crosses a ``/``), and a pattern that
matches an address selects everything below it: ``munich-1`` selects the whole asset,
``munich-1/fcr`` its FCR bids, ``*/afrr/2026-11-24_*`` every asset's aFRR bids of that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase


def _segments(text: str) -> list[str]:
    return text.strip("/").split("/")


def _matches(pattern: str, address: str) -> bool:
    wanted, parts = _segments(pattern), _segments(address)
    if len(wanted) > len(parts):
        return False
    return all(fnmatchcase(part, glob) for part, glob in zip(parts, wanted, strict=False))


@dataclass(frozen=True)
class Selection:
    """The ``--only`` patterns of a run; none selects everything."""

    patterns: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.patterns

    def selects(self, address: str) -> bool:
        return self.everything or any(_matches(p, address) for p in self.patterns)

    def touches_asset(self, name: str) -> bool:
        """Whether any object of the asset ``name`` may be selected (its first segment matches)."""
        return self.everything or any(fnmatchcase(name, _segments(p)[0]) for p in self.patterns)

    def unmatched(self, addresses: Iterable[str]) -> list[str]:
        """The patterns that select none of ``addresses`` (probably a typo)."""
        known = list(addresses)
        return [p for p in self.patterns if not any(_matches(p, a) for a in known)]

    def describe(self) -> str:
        return " ".join(f"--only {p}" for p in self.patterns)


EVERYTHING = Selection()  # no --only: every object the manifests declare
