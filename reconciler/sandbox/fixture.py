"""The sandbox fixture: YAML → checked, typed seed data (DESIGN.md §6).

The shape is ``schemas/sandbox-fixture.schema.json``; every error names the file and line, the
field, what was expected and what was found. Numbers are ``Decimal``; times are aware UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.core import schema_errors
from reconciler.core.errors import ReconcilerError
from reconciler.core.yamlsource import FieldPath as ValuePath
from reconciler.core.yamlsource import FileTooLargeError, YamlSourceError, load_single, read_file
from reconciler.market import (
    DEFAULT_MARKET_TIMES,
    MarketTimes,
    ProductError,
    is_quarter_hour,
    isoformat_z,
    market_times_from_json,
    parse_instant,
    parse_product_date_code,
)
from reconciler.rules.lifecycle import DEFAULT_FINAL_SOC_TOLERANCE
from reconciler.rules.soe import SOC_BOUNDS_DEFAULT

SCHEMA_NAME = "sandbox-fixture.schema.json"
DEFAULT_TOKEN_EXPIRES_IN = 3600  # D5: seconds of sandbox time
MARKET_KEYS = ("FCR", "AFRRCapacity", "AFRREnergy")


class FixtureError(ReconcilerError):
    """A sandbox fixture that cannot be used; the message says file:line, field, expected, found."""


@dataclass(frozen=True)
class User:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class AssetSpec:
    """One virtual asset as the fixture declares it (kW, kWh, ratios, aware UTC times)."""

    id: str
    name: str | None
    start: datetime
    end: datetime
    energy_capacity: Decimal
    rated_charge_power: Decimal
    rated_discharge_power: Decimal
    charge_efficiency: Decimal
    discharge_efficiency: Decimal
    initial_state_of_energy: Decimal
    soc_lower: Decimal
    soc_upper: Decimal
    dispatch_gate_closure_seconds: int
    daily_cycle_limit: Decimal
    annual_cycle_limit: Decimal
    fcr_capacity_available: Decimal
    afrr_capacity_pos_available: Decimal
    afrr_capacity_neg_available: Decimal
    max_total_charge_available: Decimal
    max_total_discharge_available: Decimal
    schedule: tuple[tuple[datetime, Decimal], ...] = ()
    delivery_zone: str = "TenneT"
    eic_code: str | None = None
    ramp_rate: Decimal | None = None
    protected_duration_seconds: int = 3600
    final_soc_tolerance: Decimal = DEFAULT_FINAL_SOC_TOLERANCE
    portfolio_id: str | None = None
    total_allowed_cycles: Decimal | None = None


@dataclass(frozen=True)
class Organisation:
    id: str
    users: tuple[User, ...]
    virtual_assets: tuple[AssetSpec, ...]


@dataclass(frozen=True)
class Fixture:
    """Everything the sandbox is seeded with. ``source`` is the file it came from (for messages)."""

    now: datetime
    organisations: tuple[Organisation, ...]
    token_expires_in: int = DEFAULT_TOKEN_EXPIRES_IN
    clearing_prices: dict[str, Decimal] = field(default_factory=dict)
    partial_acceptance: dict[str, Decimal] = field(default_factory=dict)
    market_times: MarketTimes = DEFAULT_MARKET_TIMES
    source: str = "<fixture>"


@cache
def fixture_schema() -> dict[str, Any]:
    """The published JSON Schema (from the wheel's ``reconciler/schemas`` or the source tree)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas" / SCHEMA_NAME, package.parent / "schemas" / SCHEMA_NAME):
        if candidate.is_file():
            schema: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
            return schema
    raise FixtureError(f"the sandbox fixture schema {SCHEMA_NAME} is missing from the installation")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(fixture_schema())


def _field(path: ValuePath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


class _Reporter:
    def __init__(self, source: str, lines: dict[ValuePath, int]) -> None:
        self.source, self.lines = source, lines

    def line_of(self, path: ValuePath) -> int:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: ValuePath, expected: str, found: str, what: str = "") -> FixtureError:
        head = f"{self.source}:{self.line_of(path)}: {_field(path)}"
        return FixtureError(f"{head}: {what + '; ' if what else ''}expected {expected}, found {found}")


def load_fixture(path: Path | str) -> Fixture:
    """Read, check and type a fixture file; raises :class:`FixtureError`."""
    source = str(path)
    try:
        text = read_file(Path(path))
    except OSError as exc:
        raise FixtureError(f"{source}: cannot read the sandbox fixture ({exc.strerror or exc})") from None
    except FileTooLargeError as exc:
        raise FixtureError(f"{source}: {exc}") from None
    except UnicodeDecodeError:
        raise FixtureError(f"{source}: the sandbox fixture is not UTF-8 text") from None
    try:
        data, lines = load_single(text, source)
    except YamlSourceError as exc:
        raise FixtureError(f"{source}:{exc.line}: {exc}") from None
    return fixture_from_data(data, lines, source)


def fixture_from_data(data: Any, lines: dict[ValuePath, int], source: str) -> Fixture:
    reporter = _Reporter(source, lines)
    _check_schema(data, reporter)
    return _Builder(reporter).fixture(data)


def _found(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else repr(value) if isinstance(value, str) else str(value)


def _check_schema(data: Any, reporter: _Reporter) -> None:
    problems = schema_errors.explain(_validator().iter_errors(data), describe=_found)
    if not problems:
        return
    problems.sort(key=lambda p: reporter.line_of(p.path))
    raise FixtureError("\n".join(str(_schema_error(problem, reporter)) for problem in problems[:10]))


def _schema_error(problem: schema_errors.SchemaProblem, reporter: _Reporter) -> FixtureError:
    if problem.code == schema_errors.UNKNOWN_KEY:
        hint = f" (did you mean {problem.hint!r}?)" if problem.hint else ""
        return reporter.error(problem.path, problem.expected, f"unknown field {problem.key!r}{hint}")
    if problem.code == schema_errors.MISSING_KEY:
        return reporter.error(problem.path, f"a value for required field {problem.key!r}", "nothing")
    return reporter.error(problem.path, problem.expected, problem.found)


class _Builder:
    """Turns schema-valid data into typed values, checking what a schema cannot."""

    def __init__(self, reporter: _Reporter) -> None:
        self.reporter = reporter

    def instant(self, value: str, path: ValuePath, *, on_grid: bool = False) -> datetime:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise self.reporter.error(path, "an RFC 3339 time with an offset", repr(value)) from None
        if parsed.tzinfo is None:
            raise self.reporter.error(path, "a time with an offset (e.g. +01:00 or Z)", repr(value))
        moment = parse_instant(parsed.isoformat())
        if on_grid and not is_quarter_hour(moment):
            raise self.reporter.error(path, "a quarter-hour boundary", repr(value))
        return moment

    def fixture(self, data: dict[str, Any]) -> Fixture:
        organisations = tuple(
            self.organisation(org, ("organisations", i)) for i, org in enumerate(data["organisations"])
        )
        self.unique([o.id for o in organisations], lambda i: ("organisations", i, "id"), "organisation id")
        usernames = [(i, j, u.username) for i, o in enumerate(organisations) for j, u in enumerate(o.users)]
        seen_users: set[str] = set()
        for i, j, name in usernames:
            if name in seen_users:
                raise self.reporter.error(
                    ("organisations", i, "users", j, "username"), "a unique username", repr(name)
                )
            seen_users.add(name)
        asset_ids = [
            (i, j, a.id) for i, o in enumerate(organisations) for j, a in enumerate(o.virtual_assets)
        ]
        seen_assets: set[str] = set()
        for i, j, asset_id in asset_ids:
            if asset_id in seen_assets:
                raise self.reporter.error(
                    ("organisations", i, "virtualAssets", j, "id"), "a unique id", repr(asset_id)
                )
            seen_assets.add(asset_id)
        return Fixture(
            now=self.instant(data["now"], ("now",)),
            organisations=organisations,
            token_expires_in=int(data.get("tokenExpiresIn", DEFAULT_TOKEN_EXPIRES_IN)),
            clearing_prices=self.prices(data.get("clearingPrices", {}), "clearingPrices"),
            partial_acceptance=self.prices(data.get("partialAcceptance", {}), "partialAcceptance"),
            market_times=self.market_times(data.get("deadlines", {})),
            source=self.reporter.source,
        )

    def unique(self, values: list[str], path_of: Any, what: str) -> None:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                raise self.reporter.error(path_of(index), f"a unique {what}", repr(value))
            seen.add(value)

    def prices(self, mapping: dict[str, Decimal | int], name: str) -> dict[str, Decimal]:
        result: dict[str, Decimal] = {}
        for key, value in mapping.items():
            if key not in MARKET_KEYS:
                try:
                    result[str(parse_product_date_code(key))] = Decimal(value)
                except ProductError as exc:
                    raise self.reporter.error(
                        (name, key), "a market or an existing productDateCode", str(exc)
                    ) from None
                continue
            result[key] = Decimal(value)
        return result

    def market_times(self, data: dict[str, Any]) -> MarketTimes:
        return market_times_from_json(data)  # the schema has checked each value's form

    def organisation(self, data: dict[str, Any], path: ValuePath) -> Organisation:
        users = tuple(User(u["username"], u["password"]) for u in data["users"])
        assets = tuple(
            self.asset(asset, (*path, "virtualAssets", i))
            for i, asset in enumerate(data.get("virtualAssets", []))
        )
        return Organisation(data["id"], users, assets)

    def asset(self, data: dict[str, Any], path: ValuePath) -> AssetSpec:
        start = self.instant(data["start"], (*path, "start"), on_grid=True)
        end = self.instant(data["end"], (*path, "end"), on_grid=True)
        if end <= start:
            raise self.reporter.error(
                (*path, "end"), f"an end after start {isoformat_z(start)}", isoformat_z(end)
            )
        capacity = Decimal(data["energyCapacity"])
        initial = Decimal(data["initialStateOfEnergy"])
        if initial > capacity:
            raise self.reporter.error(
                (*path, "initialStateOfEnergy"),
                f"at most the energy capacity {capacity} kWh",
                f"{initial} kWh",
            )
        bounds = data.get("stateOfChargeBounds", {})
        default_lower, default_upper = SOC_BOUNDS_DEFAULT
        lower, upper = (
            Decimal(bounds.get("lower", default_lower)),
            Decimal(bounds.get("upper", default_upper)),
        )
        if lower > upper:
            raise self.reporter.error(
                (*path, "stateOfChargeBounds"), "lower ≤ upper", f"lower {lower} > upper {upper}"
            )
        charge, discharge = Decimal(data["ratedChargePower"]), Decimal(data["ratedDischargePower"])
        schedule = self.schedule(data.get("schedule", []), (*path, "schedule"), start, end, charge, discharge)

        def optional(key: str) -> Decimal | None:
            return None if data.get(key) is None else Decimal(data[key])

        return AssetSpec(
            id=data["id"],
            name=data.get("name"),
            start=start,
            end=end,
            energy_capacity=capacity,
            rated_charge_power=charge,
            rated_discharge_power=discharge,
            charge_efficiency=Decimal(data["chargeEfficiency"]),
            discharge_efficiency=Decimal(data["dischargeEfficiency"]),
            initial_state_of_energy=initial,
            soc_lower=lower,
            soc_upper=upper,
            dispatch_gate_closure_seconds=int(data["dispatchGateClosureSeconds"]),
            daily_cycle_limit=Decimal(data["dailyCycleLimit"]),
            annual_cycle_limit=Decimal(data["annualCycleLimit"]),
            fcr_capacity_available=Decimal(data["fcrCapacityAvailable"]),
            afrr_capacity_pos_available=Decimal(data["afrrCapacityPosAvailable"]),
            afrr_capacity_neg_available=Decimal(data["afrrCapacityNegAvailable"]),
            max_total_charge_available=Decimal(data["maxTotalAncillaryCapacityChargeAvailable"]),
            max_total_discharge_available=Decimal(data["maxTotalAncillaryCapacityDischargeAvailable"]),
            schedule=schedule,
            delivery_zone=data.get("deliveryZone", "TenneT"),
            eic_code=data.get("eicCode"),
            ramp_rate=optional("rampRate"),
            protected_duration_seconds=int(data.get("protectedDurationSeconds", 3600)),
            final_soc_tolerance=Decimal(data.get("finalSoCTolerance", DEFAULT_FINAL_SOC_TOLERANCE)),
            portfolio_id=data.get("portfolioID"),
            total_allowed_cycles=optional("totalAllowedCycles"),
        )

    def schedule(
        self,
        points: list[dict[str, Any]],
        path: ValuePath,
        start: datetime,
        end: datetime,
        charge: Decimal,
        discharge: Decimal,
    ) -> tuple[tuple[datetime, Decimal], ...]:
        result: dict[datetime, Decimal] = {}
        for index, point in enumerate(points):
            moment = self.instant(point["time"], (*path, index, "time"), on_grid=True)
            if not start <= moment < end:
                raise self.reporter.error(
                    (*path, index, "time"),
                    f"a period within the asset's life {isoformat_z(start)}/{isoformat_z(end)}",
                    isoformat_z(moment),
                )
            if moment in result:
                raise self.reporter.error(
                    (*path, index, "time"), "each period once", f"{isoformat_z(moment)} again"
                )
            power = Decimal(point["power"])
            if not -charge <= power <= discharge:
                raise self.reporter.error(
                    (*path, index, "power"), f"a power within [-{charge}, {discharge}] kW", f"{power} kW"
                )
            result[moment] = power
        return tuple(sorted(result.items()))
