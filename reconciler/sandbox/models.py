"""The sandbox's wire models as JSON Schema (2020-12, as OpenAPI 3.1 uses it).

The OpenAPI document (:mod:`.openapi`) is generated from these and from the route table in
:mod:`.app`; the tests run an API fuzzer against that document and check every answer against these
models, so a model that drifts from what the handlers send fails the suite.
"""

from __future__ import annotations

from typing import Any

from reconciler.market import Direction, Market
from reconciler.rules.vocabulary import Category
from reconciler.sandbox.wire import MAX_JSON_DEPTH

JSON = dict[str, Any]

NUMBER: JSON = {"type": "number"}
NULLABLE_NUMBER: JSON = {"type": ["number", "null"]}
TEXT: JSON = {"type": "string"}
NULLABLE_TEXT: JSON = {"type": ["string", "null"]}
TIME: JSON = {"type": "string", "format": "date-time", "description": "RFC 3339, UTC with Z"}
DAY: JSON = {"type": "string", "format": "date", "description": "a delivery day, YYYY-MM-DD (Europe/Berlin)"}
BOOL: JSON = {"type": "boolean"}


def obj(
    properties: dict[str, JSON], required: tuple[str, ...] | None = None, *, closed: bool = False
) -> JSON:
    """An object schema; ``required`` defaults to every property."""
    schema: JSON = {
        "type": "object",
        "properties": properties,
        "required": list(properties if required is None else required),
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def array(items: JSON) -> JSON:
    return {"type": "array", "items": items}


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR_PATTERN = "^(auth|not found|invalid operation|forbidden operation|error on the platform) error: "

SCHEMAS: dict[str, JSON] = {
    "Error": {
        **obj({"error": {"type": "string", "pattern": ERROR_PATTERN}}, closed=True),
        "description": "D3: '<category> error: <description>'",
    },
    "Credentials": obj({"username": TEXT, "password": {"type": "string", "format": "password"}}),
    "Tokens": obj(
        {
            "access_token": TEXT,
            "expires_in": {"type": "integer"},
            "id_token": TEXT,
            "refresh_token": TEXT,
            "scope": TEXT,
            "token_type": TEXT,
        }
    ),
    "BlockMetadata": obj({"end": TIME, "id": TEXT, "market": TEXT, "start": TIME}),
    "VirtualAsset": obj(
        {
            "annualCycleLimit": NUMBER,
            "availableEnergyCapacity": NUMBER,
            "blockIDs": array(TEXT),
            "blockMetadata": array(ref("BlockMetadata")),
            "chargeEfficiency": NUMBER,
            "createdAt": TIME,
            "dailyCycleLimit": NUMBER,
            "deliveryZone": TEXT,
            "dischargeEfficiency": NUMBER,
            "dispatchGateClosureSeconds": {"type": "integer"},
            "eicCode": NULLABLE_TEXT,
            "end": TIME,
            "endStateOfChargePercentage": NUMBER,
            "energyCapacity": NUMBER,
            "feedback": TEXT,
            "finalSoCTolerance": NUMBER,
            "id": TEXT,
            "imbalanceCharge": NUMBER,
            "imbalanceDischarge": NUMBER,
            "portfolioID": NULLABLE_TEXT,
            "protectedDurationSeconds": {"type": "integer"},
            "rampRate": NULLABLE_NUMBER,
            "ratedChargePower": NUMBER,
            "ratedDischargePower": NUMBER,
            "start": TIME,
            "totalAllowedCycles": NULLABLE_NUMBER,
            "unitsEnergy": {"const": "kWh"},
            "unitsPower": {"const": "kW"},
        }
    ),
    "PowerCapacity": obj(
        {
            "chargePowerCapacity": NUMBER,
            "dischargePowerCapacity": NUMBER,
            "ratedChargePowerCapacity": NUMBER,
            "ratedDischargePowerCapacity": NUMBER,
            "time": TIME,
        }
    ),
    "SchedulePoint": obj({"power": NUMBER, "time": TIME}),
    "Block": obj(
        {
            "end": TIME,
            "id": TEXT,
            "powerCapacity": array(ref("PowerCapacity")),
            "ratedChargePower": NUMBER,
            "ratedDischargePower": NUMBER,
            "schedule": array(ref("SchedulePoint")),
            "start": TIME,
            "unitsPower": {"const": "kW"},
        }
    ),
    "ScheduleUpdate": {
        **obj({"schedule": array(ref("SchedulePoint"))}),
        "description": "D1: a per-point upsert of the periods sent; atomic",
    },
    "Adjustments": obj(
        {
            "adjustments": array(
                obj(
                    {
                        "acceptedSchedule": NUMBER,
                        "adjustedSchedule": NUMBER,
                        "reason": TEXT,
                        "timestamp": TIME,
                    }
                )
            )
        }
    ),
    "EnergyCapacity": obj(
        {
            "energyCapacity": array(
                obj({"availableEnergyCapacity": NUMBER, "energyCapacity": NUMBER, "time": TIME})
            ),
            "unitsEnergy": {"const": "kWh"},
        }
    ),
    "StateOfEnergy": obj({"soe": NUMBER, "time": TIME}),
    "StateOfChargeProjection": obj(
        {
            "stateOfChargePercentageTimeseries": array(
                obj({"boundaries": obj({"lower": NUMBER, "upper": NUMBER}), "soc": NUMBER, "time": TIME})
            )
        }
    ),
    "Operational": {
        **obj(
            {
                "data": {
                    "type": "object",
                    "propertyNames": {"enum": [c.value for c in Category]},
                    "additionalProperties": array(obj({"time": TIME, "value": NUMBER})),
                },
                "metaData": {
                    "type": "object",
                    "propertyNames": {"enum": [c.value for c in Category]},
                    "additionalProperties": obj({"unit": TEXT}),
                },
            }
        ),
        "description": "D4 envelope; D19 cone and D22 cycle categories included",
    },
    # --- bids, per-market routes (D12) ---------------------------------------------------
    "BidEntry": {
        **obj(
            {"offeredCapacity": NUMBER, "capacityPrice": NULLABLE_NUMBER, "energyPrice": NULLABLE_NUMBER},
            required=("offeredCapacity",),
        ),
        "description": "D13: kW truncated to whole kW, then a positive multiple of 1000; prices in "
        "[-15000, 15000]; FCR: capacityPrice only; aFRR capacity: both; aFRR energy: energyPrice only",
    },
    "ProductBidsRequest": obj(
        {"product": TEXT, "deliveryDay": DAY, "bids": {**array(ref("BidEntry")), "maxItems": 1}}
    ),
    "ProductBids": obj(
        {
            "bids": array(ref("BidEntry")),
            "deliveryDay": DAY,
            "product": TEXT,
            "productDateCode": TEXT,
        }
    ),
    "Result": obj(
        {
            "accepted": BOOL,
            "acceptedCapacity": NUMBER,
            "capacityPrice": NULLABLE_NUMBER,
            "energyPrice": NULLABLE_NUMBER,
            "offeredCapacity": NUMBER,
            "settlementPrice": NULLABLE_NUMBER,
        }
    ),
    "ProductResults": obj(
        {"deliveryDay": DAY, "product": TEXT, "productDateCode": TEXT, "results": array(ref("Result"))}
    ),
    # --- bids, unified ancillary API (D18) -------------------------------------------------
    "AncillaryBidsRequest": {
        **obj(
            {
                "market": {"enum": [m.value for m in Market]},
                "product": TEXT,
                "deliveryDay": DAY,
                "bids": {**array(ref("BidEntry")), "maxItems": 1},
            }
        ),
        "description": "D18: create or replace per product and day; bids [] deletes; FCR and aFRR "
        "items in separate requests",
    },
    "AncillaryBid": obj(
        {
            "bidID": TEXT,
            "offeredCapacity": NUMBER,
            "capacityPrice": NULLABLE_NUMBER,
            "energyPrice": NULLABLE_NUMBER,
        }
    ),
    "AncillaryBids": obj(
        {
            "market": {"enum": [m.value for m in Market]},
            "product": TEXT,
            "deliveryDay": DAY,
            "bids": array(ref("AncillaryBid")),
        }
    ),
    "AncillaryResult": obj(
        {
            "bidID": TEXT,
            "accepted": BOOL,
            "offeredCapacity": NUMBER,
            "acceptedCapacity": NUMBER,
            "capacityPrice": NULLABLE_NUMBER,
            "settlementPrice": NULLABLE_NUMBER,
            "energyPrice": NULLABLE_NUMBER,
        }
    ),
    "AncillaryResults": obj(
        {
            "market": {"enum": [m.value for m in Market]},
            "product": TEXT,
            "deliveryDay": DAY,
            "results": array(ref("AncillaryResult")),
        }
    ),
    # --- admin (DESIGN.md §6) ---------------------------------------------------------------
    "Clock": obj({"now": TIME}),
    "MarketTimes": {
        **obj(
            {
                "openingDaysBefore": {"type": "integer"},
                "fcrDeadline": TEXT,
                "afrrCapacityDeadline": TEXT,
                "afrrEnergyDeadlineMinutes": {"type": "integer"},
                "fcrResults": TEXT,
                "afrrCapacityResults": TEXT,
                "afrrEnergyResultsMinutes": {"type": "integer"},
            }
        ),
        "description": "the D14 times (Europe/Berlin) this sandbox uses: a fixture's deadlines or the defaults",
    },
    "ClockMove": {
        "oneOf": [
            obj({"now": TIME}, closed=True),
            obj({"advance": {"type": "number", "minimum": 0}}, closed=True),
        ]
    },
    "Unavailability": obj(
        {
            "virtualAssetID": TEXT,
            "start": TIME,
            "end": TIME,
            "chargePowerCapacity": {"type": "number", "minimum": 0},
            "dischargePowerCapacity": {"type": "number", "minimum": 0},
            "energyCapacity": {"type": "number", "minimum": 0},
        },
        required=("virtualAssetID", "start", "end"),
    ),
    "Clipped": obj(
        {
            "virtualAssetID": TEXT,
            "clipped": array(
                obj({"acceptedSchedule": NUMBER, "adjustedSchedule": NUMBER, "timestamp": TIME})
            ),
        }
    ),
    "FaultPlan": obj(
        {
            "errorRate": {"type": "number", "minimum": 0, "maximum": 1},
            "statuses": array({"type": "integer", "minimum": 400, "maximum": 599}),
            "latencyMs": {"type": "integer", "minimum": 0},
            "resetRate": {"type": "number", "minimum": 0, "maximum": 1},
            "seed": {"type": "integer", "minimum": 0},
            "methods": array({"enum": ["GET", "PUT", "POST"]}),
        },
        required=(),
        closed=True,
    ),
    "FaultState": obj({"faults": {"enum": ["set", "cleared"]}}),
    "RequestLog": obj(
        {
            "requests": array(
                obj(
                    {"method": TEXT, "path": TEXT, "time": TIME, "status": {"type": "integer"}},
                    required=("method", "path", "time"),
                )
            )
        }
    ),
    "OpenAPI": {"type": "object", "description": "this document"},
}

DIRECTIONS = [d.value for d in Direction]
MARKETS = [m.value for m in Market]
NOTE = f"JSON nested deeper than {MAX_JSON_DEPTH} levels, numbers beyond ±1E308 and times outside 2000–2100 are 400"
