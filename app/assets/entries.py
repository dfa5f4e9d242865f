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

from app.assets.models import (
    DataAssetCostItem,
    DataAssetMovement,
    DataAssetPeriodClose,
    DataAssetRestatement,
)
from app.core.money import cents
from app.ledger.sequencer import utc_text

FIN_LOG = "FIN"
COST_ITEM_LEAF = "asset_cost_item"
MOVEMENT_LEAF = "asset_movement"
PERIOD_CLOSE_LEAF = "asset_close"
RESTATEMENT_LEAF = "asset_restated"


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
        # Keys of 2026-12-07, present only when set: the leaves of earlier items are the
        # same bytes as when they were recorded.
        **_present(
            invoice=_invoice(item),
            vat_deductible=item.vat_deductible,
            restatement_id=str(item.restatement_id) if item.restatement_id else None,
        ),
    }


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _invoice(item: DataAssetCostItem) -> dict[str, Any] | None:
    if item.invoice_number is None:
        return None
    assert item.invoice_issued_on is not None and item.invoice_amount is not None
    return {
        "number": item.invoice_number,
        "issued_on": item.invoice_issued_on.isoformat(),
        "amount": cents(item.invoice_amount),
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
        **_present(
            restatement_id=str(movement.restatement_id) if movement.restatement_id else None
        ),
    }


def period_close_entry(close: DataAssetPeriodClose) -> dict[str, Any]:
    """A merchant's months closed through `through`; `report_sha256` is the SHA-256 of the
    RFC 8785 canonical as-reported disclosure of the fiscal year of `through`, January to
    `through` (`GET …/data-asset-disclosure?from=YYYY-01&to=through&basis=as_reported`, the
    document without its `report_sha256` key)."""
    return {
        "type": "data_asset_period_close",
        "close_id": str(close.id),
        "merchant_id": str(close.merchant_id),
        "through": close.through.isoformat()[:7],
        "report_sha256": close.report_sha256,
        "recorded_at": utc_text(close.closed_at),
    }


def restatement_entry(restatement: DataAssetRestatement) -> dict[str, Any]:
    """An applied restatement: who asked, who approved (the same operator when it applied at
    once), and the cost item or movement it recorded (itself a leaf of `FIN`)."""
    assert restatement.record_type is not None and restatement.decided_at is not None
    return {
        "type": "data_asset_restatement",
        "restatement_id": str(restatement.id),
        "asset_id": str(restatement.asset_id),
        "merchant_id": str(restatement.merchant_id),
        "period": restatement.period.isoformat()[:7],
        "reason": restatement.reason,
        "entry": restatement.entry,
        "requested_by_role": restatement.requested_by_role,
        "record_type": restatement.record_type,
        "record_id": str(restatement.record_id),
        "recorded_at": utc_text(restatement.decided_at),
    }


# For the ledger's registry of leaf kinds: kind → (table, entry function).
LEAF_KINDS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    COST_ITEM_LEAF: (DataAssetCostItem, cost_item_entry),
    MOVEMENT_LEAF: (DataAssetMovement, movement_entry),
    PERIOD_CLOSE_LEAF: (DataAssetPeriodClose, period_close_entry),
    RESTATEMENT_LEAF: (DataAssetRestatement, restatement_entry),
}
