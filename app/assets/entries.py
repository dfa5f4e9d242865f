"""What the register puts in the `FIN` log: one function per kind of leaf, used when recording
and again by whoever rebuilds the log from the stored rows (`shushang ledger verify FIN`,
once the ledger knows these kinds: `LEAF_KINDS` says which function rebuilds which table).

The log is merchant-independent, like `IPR`: every leaf names its asset and merchant, so an
auditor holding a disclosure can prove that the cost items and movements behind it are still
the ones recorded, in the order recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.assets.models import DataAssetCostItem, DataAssetMovement
from app.core.money import cents
from app.ledger.sequencer import utc_text

FIN_LOG = "FIN"
COST_ITEM_LEAF = "asset_cost_item"
MOVEMENT_LEAF = "asset_movement"


def cost_item_entry(item: DataAssetCostItem) -> dict[str, Any]:
    return {
        "type": "data_asset_cost_item",
        "cost_item_id": str(item.id),
        "asset_id": str(item.asset_id),
        "merchant_id": str(item.merchant_id),
        "asset_class": item.asset_class,
        "source": item.source,
        "kind": item.kind,
        "amount": cents(item.amount),
        "incurred_on": item.incurred_on.isoformat(),
        "phase": item.phase,
        "description": item.description,
        "trade_id": str(item.trade_id) if item.trade_id else None,
        "assessment_id": str(item.assessment_id) if item.assessment_id else None,
        "certificate_number": item.certificate_number,
        "recorded_at": utc_text(item.created_at),
    }


def movement_entry(movement: DataAssetMovement) -> dict[str, Any]:
    return {
        "type": "data_asset_movement",
        "movement_id": str(movement.id),
        "asset_id": str(movement.asset_id),
        "sequence": movement.sequence,
        "merchant_id": str(movement.merchant_id),
        "asset_class": movement.asset_class,
        "source": movement.source,
        "movement": movement.type,
        "occurred_on": movement.occurred_on.isoformat(),
        "from": movement.from_status,
        "to": movement.to_status,
        "details": movement.details,
        "effects": movement.effects,
        "recorded_at": utc_text(movement.created_at),
    }


# For the ledger's registry of leaf kinds: kind → (table, entry function).
LEAF_KINDS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    COST_ITEM_LEAF: (DataAssetCostItem, cost_item_entry),
    MOVEMENT_LEAF: (DataAssetMovement, movement_entry),
}
