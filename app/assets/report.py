"""The disclosure as the API carries it, and its digest: the one document a close's
`report_sha256` names (SHA-256 of its RFC 8785 canonical JSON without that key), so that
anyone holding the JSON answer can check it against the close's leaf in `FIN`."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

import rfc8785

from app.assets import disclosure, engine, service
from app.assets.engine import AssetClass, Source, Status
from app.assets.schemas import (
    AssetLife,
    BalanceSheet,
    Basis,
    DisclosedRestatement,
    Disclosure,
    EstimateChangeOut,
    EstimatesOut,
    ImpairmentTestMissing,
    IndefiniteLifeNote,
    IntangibleTable,
    InventoryCostingNote,
    InventoryTable,
    Notes,
    NrvNote,
    PledgeInForce,
    RestatedEffect,
    RestrictedAsset,
    SignificantAsset,
)

DIGEST_EXCLUDES = {"report_sha256"}


def digest(body: Disclosure) -> str:
    """SHA-256 (hex) of the disclosure as served, as RFC 8785 JSON, without `report_sha256`."""
    document = body.model_dump(mode="json", by_alias=True, exclude=DIGEST_EXCLUDES)
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def disclosure_out(data: disclosure.DisclosureData) -> Disclosure:
    """The disclosure, its `report_sha256` the digest of the rest."""
    body = _document(data)
    body.report_sha256 = digest(body)
    return body


def _document(data: disclosure.DisclosureData) -> Disclosure:
    tables = data.tables
    last = data.last
    return Disclosure.model_validate(
        {
            "merchant_id": data.merchant_id,
            "from": engine.month_text(data.first),
            "to": engine.month_text(last),
            "basis": Basis(data.basis),
            "closed": data.closed,
            "report_sha256": "",
            "unevidenced_items": {
                "count": data.unevidenced[0],
                "amount": data.unevidenced[1],
            },
            "restatements": [
                DisclosedRestatement(
                    restatement_id=r.restatement.id,
                    asset_id=r.asset.id,
                    asset_name=r.asset.name,
                    period=r.restatement.period.isoformat()[:7],
                    reason=r.restatement.reason,
                    type=str(r.restatement.entry.get("type")),
                    leaf_index=r.restatement.leaf_index,
                    effect=RestatedEffect.model_validate(r.effect),
                )
                for r in data.restatements
            ],
            "intangible": IntangibleTable.model_validate(
                {k: asdict(v) for k, v in tables.intangible.items()}
            ),
            "inventory": InventoryTable.model_validate(
                {k: asdict(v) for k, v in tables.inventory.items()}
            ),
            "balance_sheet": BalanceSheet(
                inventory=tables.inventory_closing,
                intangible_assets=tables.intangible_closing,
                development_expenditure=tables.development_expenditure,
            ),
            "research_expense": tables.research_expense,
            "research_expense_terminated": tables.research_expense_terminated,
            "revenue": tables.revenue,
            "cost_of_sales": tables.cost_of_sales,
            "disposal_gain": tables.disposal_gain,
            "assets": [
                AssetLife(
                    asset_id=v.asset.id,
                    name=v.asset.name,
                    asset_class=v.book.asset_class,  # as of the period end
                    source=Source(v.asset.source),
                    status=Status(v.book.status),
                    capitalised_on=v.book.capitalised_on,
                    useful_life_months=v.book.useful_life_months,
                    indefinite_life=v.book.indefinite,
                    amortisation_method=service.STRAIGHT_LINE
                    if v.book.useful_life_months
                    else None,
                    residual_value=v.book.residual_value,
                )
                for v in data.on_books
            ],
            "significant": [
                SignificantAsset(
                    asset_id=v.asset.id,
                    name=v.asset.name,
                    description=v.asset.description,
                    carrying_amount=v.book.carrying(last),
                    remaining_months=v.book.remaining_months(last),
                )
                for v in data.significant
            ],
            "restricted": [
                RestrictedAsset(
                    asset_id=r.view.asset.id,
                    name=r.view.asset.name,
                    asset_class=r.view.book.asset_class,
                    certificate_number=r.certificate_number,
                    pledges=[
                        PledgeInForce(
                            pledge_id=p.id,
                            pledgee_name=p.pledgee_name,
                            secured_amount=p.secured_amount,
                            starts_on=p.starts_on,
                            ends_on=p.ends_on,
                        )
                        for p in r.pledges
                    ],
                    carrying_amount=r.view.book.carrying(last),
                    amortisation_charge=r.view.book.charge(data.first, last),
                )
                for r in data.restricted
            ],
            "notes": _notes(data),
            "impairment_tests_missing": _tests_missing(data),
            "estimate_changes": [
                EstimateChangeOut(
                    asset_id=v.asset.id,
                    name=v.asset.name,
                    date=c.on,
                    old=_estimates(c.old),
                    new=_estimates(c.new),
                    reason=c.reason,
                    carrying_amount=c.carrying_amount,
                    remaining_months=c.remaining_months,
                )
                for v in data.on_books
                for c in v.book.estimate_changes
                if data.first <= engine.month_of(c.on) <= last
            ],
        }
    )


def _estimates(found: engine.Estimates) -> EstimatesOut:
    return EstimatesOut(
        useful_life_months=found.useful_life_months,
        indefinite_life=found.indefinite,
        residual_value=found.residual_value,
    )


def _notes(data: disclosure.DisclosureData) -> Notes:
    """The notes of DOMAIN.md: inventory costing, NRV basis, indefinite lives."""
    first, last = data.first, data.last
    costing, nrv, indefinite = [], [], []
    for v in data.on_books:
        book = v.book
        if book.asset_class is AssetClass.inventory and book.capitalised_on is not None:
            costing.append(
                InventoryCostingNote(
                    asset_id=v.asset.id,
                    name=v.asset.name,
                    costing=book.costing or "fraction",
                    quantity=book.quantity,
                    remaining_quantity=book.remaining_quantity,
                    unit=book.unit,
                    basis=book.costing_basis,
                )
            )
        shown = [m for m in v.movements if engine.month_of(m.occurred_on) <= last]
        for m in shown:
            if m.type in ("write_down", "reverse_write_down") and first <= engine.month_of(
                m.occurred_on
            ):
                nrv.append(
                    NrvNote(
                        asset_id=v.asset.id,
                        name=v.asset.name,
                        date=m.occurred_on,
                        movement=m.type,
                        net_realisable_value=m.details["net_realisable_value"],
                        basis=m.details.get("nrv_basis"),
                    )
                )
        if book.asset_class is AssetClass.intangible and book.indefinite:
            bases = [
                m.details["indefinite_basis"]
                for m in sorted(shown, key=lambda m: (m.occurred_on, m.sequence))
                if m.details.get("indefinite_basis")
            ]
            indefinite.append(
                IndefiniteLifeNote(
                    asset_id=v.asset.id, name=v.asset.name, basis=bases[-1] if bases else None
                )
            )
    return Notes(inventory_costing=costing, nrv_basis=nrv, indefinite_life=indefinite)


def _tests_missing(data: disclosure.DisclosureData) -> list[ImpairmentTestMissing]:
    """Those needing a yearly impairment test without one in the year of the period end."""
    last = data.last
    year_start = last - last % 12
    missing = []
    for v in data.on_books:
        book = v.book
        if book.status is Status.capitalised and book.indefinite:
            reason = "indefinite_life"
        elif book.status is Status.in_development and book.development_expenditure(last) > 0:
            reason = "development"
        else:
            continue
        if not any(year_start <= m <= last for m in book.impairment_tests):
            missing.append(
                ImpairmentTestMissing(asset_id=v.asset.id, name=v.asset.name, reason=reason)
            )
    return missing
