"""The platform's words, spelled once: adjustments and their reasons (DECISIONS.md D2) and
operational data categories (D4). The sandbox serves them and the client and planner read them, so
both sides name them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class AdjustmentReason(StrEnum):
    """Why the platform changed a scheduled power on its own (D2)."""

    STATE_OF_ENERGY_BOUNDARIES = "STATE_OF_ENERGY_BOUNDARIES"  # re-validation at start - 7 min (D7)
    AVAILABILITY = "AVAILABILITY"  # clipping after an unavailability (D9)


@dataclass(frozen=True)
class Adjustment:
    """A period the platform corrected on its own (D2): ``accepted`` was submitted, ``adjusted`` is
    active, both kW."""

    time: datetime
    accepted: Decimal
    adjusted: Decimal
    reason: str  # an AdjustmentReason, kept as text: the platform may add others


class Category(StrEnum):
    """Operational data categories of ``GET …/operational`` (D4). The aFRR availability names and
    the state-of-charge bounds are this project's assumption (the docs' category list is cut off
    after ``stateOf…``); the others are the documented names."""

    ENERGY_CAPACITY_RATED = "energyCapacityRated"
    ENERGY_CAPACITY_AVAILABLE = "energyCapacityAvailable"
    POWER_CHARGE_RATED = "powerCapacityChargeRated"
    POWER_CHARGE_AVAILABLE = "powerCapacityChargeAvailable"
    POWER_DISCHARGE_RATED = "powerCapacityDischargeRated"
    POWER_DISCHARGE_AVAILABLE = "powerCapacityDischargeAvailable"
    FCR_AVAILABLE = "fcrCapacityAvailable"
    AFRR_POS_AVAILABLE = "afrrCapacityPosAvailable"
    AFRR_NEG_AVAILABLE = "afrrCapacityNegAvailable"
    MAX_ANCILLARY_CHARGE = "maxTotalAncillaryCapacityChargeAvailable"
    MAX_ANCILLARY_DISCHARGE = "maxTotalAncillaryCapacityDischargeAvailable"
    CHARGE_EFFICIENCY = "chargeEfficiency"
    DISCHARGE_EFFICIENCY = "dischargeEfficiency"
    MAXIMUM_DELIVERABLE_POWER = "maximumDeliverablePower"  # D19, the cone of flexibility
    MINIMUM_DELIVERABLE_POWER = "minimumDeliverablePower"
    CYCLES_WHOLESALE = "cyclesWholesale"  # D22: discharged energy / rated energy capacity
    CYCLES_FCR = "cyclesFCR"
    CYCLES_AFRR = "cyclesAFRR"
    CYCLES_TOTAL = "cyclesTotal"
    AED_WHOLESALE = "availableEnergyDischargesWholesale"  # D22: / available energy capacity
    AED_FCR = "availableEnergyDischargesFCR"
    AED_AFRR = "availableEnergyDischargesAFRR"
    AED_TOTAL = "availableEnergyDischargesTotal"
    # the operational bounds of the SoC, in % of the available energy capacity (D6); the deprecated
    # ``…/state-of-charge/projected`` carries them as ``boundaries.lower/upper``
    SOC_LOWER_BOUND = "stateOfChargeLowerBound"
    SOC_UPPER_BOUND = "stateOfChargeUpperBound"


ANCILLARY_AVAILABILITY = (
    Category.FCR_AVAILABLE,
    Category.AFRR_POS_AVAILABLE,
    Category.AFRR_NEG_AVAILABLE,
    Category.MAX_ANCILLARY_CHARGE,
    Category.MAX_ANCILLARY_DISCHARGE,
)
"""What the planner reads to check bid capacity (D15)."""
