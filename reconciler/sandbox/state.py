"""The sandbox's whole memory: clock, organisations, users, tokens, assets, faults, request log.

One lock guards it; every route runs its read or write under it, so a write is applied whole or
not at all and readers never see half of one.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reconciler.market import MarketTimes
from reconciler.sandbox.assets import AssetState
from reconciler.sandbox.faults import LOG_ENTRIES, FaultPlan
from reconciler.sandbox.fixture import Fixture
from reconciler.sandbox.wire import ApiError, not_found


@dataclass
class IssuedToken:
    """A token the sandbox's login handed out: for which organisation, valid until when (D5)."""

    organisation: str
    expires_at: datetime


@dataclass
class OrganisationState:
    id: str
    passwords: dict[str, str]
    assets: dict[str, AssetState]


@dataclass
class SandboxState:
    now: datetime
    organisations: dict[str, OrganisationState]
    token_expires_in: int
    clearing_prices: dict[str, Any]
    partial_acceptance: dict[str, Any]
    market_times: MarketTimes
    faults: FaultPlan | None = None
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_ENTRIES))
    lock: threading.RLock = field(default_factory=threading.RLock)
    # This run's identity (GET /_sandbox/clock): a restarted sandbox of the same fixture and clock
    # gives byte-identical plans, and is another platform to the record of plans applied once.
    instance: str = field(default_factory=lambda: secrets.token_hex(8))

    @classmethod
    def from_fixture(cls, fixture: Fixture) -> SandboxState:
        organisations = {
            org.id: OrganisationState(
                org.id,
                {user.username: user.password for user in org.users},
                {spec.id: AssetState.seed(spec, org.id, fixture.now) for spec in org.virtual_assets},
            )
            for org in fixture.organisations
        }
        return cls(
            now=fixture.now,
            organisations=organisations,
            token_expires_in=fixture.token_expires_in,
            clearing_prices=dict(fixture.clearing_prices),
            partial_acceptance=dict(fixture.partial_acceptance),
            market_times=fixture.market_times,
        )

    def all_assets(self) -> list[AssetState]:
        return [asset for org in self.organisations.values() for asset in org.assets.values()]

    # --- auth (D5) ----------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> tuple[str, int]:
        for org in self.organisations.values():
            known = org.passwords.get(username)
            if known is not None and secrets.compare_digest(known.encode(), password.encode()):
                token = secrets.token_urlsafe(32)
                self.tokens[token] = IssuedToken(org.id, self.now + timedelta(seconds=self.token_expires_in))
                return token, self.token_expires_in
        raise ApiError("auth", "invalid username or password")

    def organisation_of(self, authorization: str | None) -> str:
        """The organisation a ``Bearer`` token belongs to; 401 when missing, unknown or expired."""
        if not authorization:
            raise ApiError("auth", "missing Authorization header (expected 'Bearer <access token>')")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("auth", "the Authorization header must be 'Bearer <access token>'")
        issued = self.tokens.get(token.strip())
        if issued is None:
            raise ApiError("auth", "unknown access token")
        if self.now >= issued.expires_at:
            raise ApiError("auth", "the access token has expired; authenticate again")
        return issued.organisation

    def organisation(self, authorization: str | None, organisation_id: str) -> OrganisationState:
        """The caller's organisation; any other one is 404, so nothing leaks (D3)."""
        own = self.organisation_of(authorization)
        if organisation_id != own or own not in self.organisations:
            raise not_found(f"organisation {organisation_id} not found")
        return self.organisations[own]

    def asset(self, authorization: str | None, organisation_id: str, asset_id: str) -> AssetState:
        org = self.organisation(authorization, organisation_id)
        asset = org.assets.get(asset_id)
        if asset is None:
            raise not_found(f"virtual asset {asset_id} not found")
        return asset
