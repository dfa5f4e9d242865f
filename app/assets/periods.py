"""Closed periods and restatements (DOMAIN.md "Books a CPA signs": Periods, Closed means
closed, Bases; CAS 28 第十二条).

A close `through` a month closes every month of the merchant up to it (the first close
closes all the months before too; later ones the months after the last closed): months close
in order and never reopen. It is a leaf of `FIN` carrying the SHA-256 of the as-reported
disclosure of the fiscal year of `through`, January to `through`, which anyone can fetch and
check (`report.digest`). The close takes the merchant's books lock exclusively
(`repository.lock_books`), so every entry either lands before it (and is in its report) or
after it (and is refused if dated in a closed month).

A restatement records an entry dated in a closed month: an operator's applies at once; a
merchant's waits for an operator's `approve` or `reject`. Decisions where the contract is
silent:
- Reject exists (operator, with an optional reason): a merchant's request must end somehow,
  and a rejected one records nothing in the books. Nobody approves their own: only an
  operator decides, and a merchant's key never does (403).
- A restated `cost_item` is only for an asset still gathering costs; once capitalised, the
  cost is corrected by `cost_adjustment`.
- An entry is checked when asked (so a hopeless one is refused at once) and again when
  approved, against the books as they are then.
- The restatement's own leaf follows its entry's (a cost item or movement leaf naming it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import disclosure, engine, evidence, report, repository, service
from app.assets.engine import MovementType
from app.assets.entries import (
    FIN_LOG,
    PERIOD_CLOSE_LEAF,
    RESTATEMENT_LEAF,
    period_close_entry,
    restatement_entry,
)
from app.assets.models import DataAssetPeriodClose, DataAssetRestatement
from app.assets.schemas import (
    Capitalise,
    CostAdjustment,
    CostItemCreate,
    Derecognise,
    Dispose,
    Impair,
    Reclassify,
    RestatementCreate,
    Revise,
    WriteDown,
)
from app.audit import service as audit
from app.core.clock import shanghai_today
from app.core.db import driver, new_id, utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.money import cents
from app.core.principal import Principal
from app.core.roles import Role
from app.ledger import sequencer
from app.outbox import service as events

RESTATEMENT = Text("restatement", "前期差错更正")

# An entry's type → the movement it records (cost items aside), with its request's schema.
_MOVEMENTS: dict[str, tuple[MovementType, type[BaseModel]]] = {
    "capitalise": (MovementType.capitalise, Capitalise),
    "dispose": (MovementType.dispose, Dispose),
    "derecognise": (MovementType.derecognise, Derecognise),
    "impair": (MovementType.impair, Impair),
    "write-down": (MovementType.write_down, WriteDown),
    "write_down": (MovementType.write_down, WriteDown),
    "reverse-write-down": (MovementType.reverse_write_down, WriteDown),
    "reverse_write_down": (MovementType.reverse_write_down, WriteDown),
    "cost_adjustment": (MovementType.cost_adjustment, CostAdjustment),
    "revise": (MovementType.revise, Revise),
    "reclassify": (MovementType.reclassify, Reclassify),
}
ENTRY_TYPES = ("cost_item", *_MOVEMENTS)


# --- Closes --------------------------------------------------------------------------------


async def closes(
    session: AsyncSession, who: Principal, merchant_id: UUID
) -> list[DataAssetPeriodClose]:
    await disclosure.readable_books(session, who, merchant_id)
    return await repository.closes(session, merchant_id)


async def close(
    session: AsyncSession,
    who: Principal,
    merchant_id: UUID,
    through_text: str,
    if_match: str | None = None,
) -> DataAssetPeriodClose:
    """Close the merchant's months through `through_text` (YYYY-MM, a past month)."""
    if not (who.is_operator or who.owns_merchant(merchant_id)):
        if who.role is Role.merchant:
            raise NotFound.of(service.MERCHANT, merchant_id)  # another's books: not said
        raise Forbidden(
            Text(
                "Only the merchant itself or an operator closes its months.",
                "仅数商本身或运营方可结账。",
            )
        )
    await disclosure.readable_books(session, who, merchant_id)
    through = engine.parse_month(through_text)  # the schema's pattern holds
    current = engine.month_of(shanghai_today())
    if through >= current:
        raise ValidationFailed.field(
            ["body", "through"],
            Text(
                f"must be a past month (before {engine.month_text(current)}, Asia/Shanghai)",
                f"须为已结束的月份(早于 {engine.month_text(current)},北京时间)",
            ),
        )
    await repository.lock_books(session, merchant_id, exclusive=True)
    so_far = await repository.closes(session, merchant_id)
    check_if_match(if_match, len(so_far))  # the list of closes as read
    last = so_far[-1].through if so_far else None
    if last is not None and through <= engine.month_of(last):
        closed = engine.month_text(engine.month_of(last))
        raise Conflict(
            Text(
                f"Months through {closed} are closed already and never reopen: close a later "
                "month.",
                f"{closed} 及以前月份已结账,不得重新打开:请结账更晚的月份。",
            ),
            closed_through=closed,
        )
    first = through - through % 12  # January of the fiscal year of `through`
    # The report as it will read once closed: every record so far (all before the leaf).
    data = await disclosure.books_disclosure(
        session,
        merchant_id,
        first,
        through,
        disclosure.AS_REPORTED,
        True,
        so_far,
        None,
    )
    row = DataAssetPeriodClose(
        id=new_id(),
        merchant_id=merchant_id,
        through=engine.month_start(through),
        report_sha256=report.digest(report.disclosure_out(data)),
        actor_key_id=who.key_id,
        actor_role=who.role.value,
        closed_at=utcnow(),
    )
    row.leaf_index = await sequencer.append(
        await driver(session), FIN_LOG, PERIOD_CLOSE_LEAF, row.id, period_close_entry(row)
    )
    await repository.add(session, row)
    summary = {
        "close_id": str(row.id),
        "through": engine.month_text(through),
        "report_sha256": row.report_sha256,
        "leaf_index": row.leaf_index,
    }
    await audit.record(session, who, "data_asset.period_close", "merchant", merchant_id, summary)
    await events.emit(
        session,
        "data_asset.period_closed",
        "merchant",
        merchant_id,
        [merchant_id],
        {"merchant_id": str(merchant_id), **summary},
    )
    return row


# --- Restatements ----------------------------------------------------------------------------


def _entry_refused(field: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed.field(["body", "entry", field], Text(en, zh))


def _parse_entry(entry: dict[str, Any]) -> tuple[str, BaseModel, date]:
    """The entry's type, its validated fields (as the step's own request) and its date."""
    kind = entry.get("type")
    if kind not in ENTRY_TYPES:
        raise _entry_refused(
            "type",
            f"must be one of: {', '.join(ENTRY_TYPES)}",
            f"须为以下之一:{', '.join(ENTRY_TYPES)}",
        )
    fields = {k: v for k, v in entry.items() if k != "type"}
    schema: type[BaseModel]
    if kind == "cost_item":
        schema = CostItemCreate
        if "incurred_on" in fields:
            raise _entry_refused(
                "incurred_on",
                "a restated cost item is dated by `date`",
                "更正的成本项目以 date 记日期",
            )
        fields["incurred_on"] = fields.pop("date", None)
    else:
        schema = _MOVEMENTS[str(kind)][1]
    try:
        parsed = schema.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        loc = [str(p) for p in first["loc"]]
        loc = ["date" if p == "incurred_on" else p for p in loc]
        raise ValidationFailed.field(
            ["body", "entry", *loc], Text(first["msg"], first["msg"])
        ) from None
    found = (
        parsed.incurred_on if isinstance(parsed, CostItemCreate) else parsed.model_dump()["date"]
    )
    assert isinstance(found, date)
    day = found
    if isinstance(parsed, CostAdjustment) and Decimal(parsed.amount) == 0:
        raise _entry_refused("amount", "must not be zero", "不能为零")
    return str(kind), parsed, day


async def _check_period(
    session: AsyncSession, merchant_id: UUID, period: engine.Month, day: date
) -> None:
    await repository.lock_books(session, merchant_id, exclusive=False)
    through = await repository.closed_through(session, merchant_id)
    if through is None or period > engine.month_of(through):
        raise ValidationFailed.field(
            ["body", "period"],
            Text(
                "is not a closed month: an entry in an open month is recorded as usual",
                "不是已结账月份:未结账月份的记录按常规方式录入",
            ),
        )
    if engine.month_of(day) != period:
        raise ValidationFailed.field(
            ["body", "entry", "date"],
            Text(
                f"must lie in the restated period {engine.month_text(period)}",
                f"须在更正的期间 {engine.month_text(period)} 内",
            ),
        )


async def _check_or_apply(
    session: AsyncSession,
    who: Principal,
    restatement: DataAssetRestatement,
    large_amount: Decimal,
    *,
    record: bool,
) -> None:
    """Check the entry against the asset's books (locked) and, when `record`, record it and
    the restatement's leaf; else only check (nothing is written)."""
    asset = await repository.get_visible(session, restatement.asset_id, who, for_update=True)
    if asset is None:
        raise NotFound.of(service.ASSET, restatement.asset_id)
    kind, parsed, day = _parse_entry(restatement.entry)
    evidence.check_day(["body", "entry", "date"], day)
    await _check_period(session, asset.merchant_id, engine.month_of(restatement.period), day)
    view = await service.view_of(session, asset)
    loc = ("body", "entry")
    if kind != "cost_item":
        evidence.check_memo(asset, _MOVEMENTS[kind][0], parsed.model_dump(), loc)
    if not record:
        if kind == "cost_item":
            service.check_cost(who, asset, view, parsed, loc)  # type: ignore[arg-type]
        else:
            service.check_movement(who, asset, view, _MOVEMENTS[kind][0], parsed.model_dump(), loc)
        return
    row: Any
    if kind == "cost_item":
        assert isinstance(parsed, CostItemCreate)
        row = await service.record_cost(
            session, who, asset, view, parsed, large_amount, restatement.id, loc
        )
        record_type = "cost_item"
    else:
        row = await service.record_movement(
            session, who, asset, view, _MOVEMENTS[kind][0], parsed.model_dump(), restatement.id, loc
        )
        record_type = "movement"
    now = utcnow()
    restatement.state = "applied"
    restatement.record_type = record_type
    restatement.record_id = row.id
    restatement.decided_at = now
    restatement.decided_by_key_id = who.key_id
    restatement.updated_at = now
    restatement.leaf_index = await sequencer.append(
        await driver(session),
        FIN_LOG,
        RESTATEMENT_LEAF,
        restatement.id,
        restatement_entry(restatement),
    )
    await session.flush()
    await _announce(session, who, restatement, "restatement_applied")


async def _announce(
    session: AsyncSession, who: Principal, restatement: DataAssetRestatement, name: str
) -> None:
    summary = {
        "restatement_id": str(restatement.id),
        "asset_id": str(restatement.asset_id),
        "merchant_id": str(restatement.merchant_id),
        "period": restatement.period.isoformat()[:7],
        "state": restatement.state,
        "type": str(restatement.entry.get("type")),
        "leaf_index": restatement.leaf_index,
    }
    await audit.record(
        session, who, f"data_asset.{name}", "data_asset", restatement.asset_id, summary
    )
    await events.emit(
        session,
        f"data_asset.{name}",
        "data_asset",
        restatement.asset_id,
        [restatement.merchant_id],
        summary,
    )


async def request(
    session: AsyncSession,
    who: Principal,
    asset_id: UUID,
    data: RestatementCreate,
    if_match: str | None,
    large_amount: Decimal,
) -> DataAssetRestatement:
    """A restatement of the asset: applied at once by an operator, pending for a merchant."""
    asset = await service.locked(session, who, asset_id, if_match)
    now = utcnow()
    restatement = DataAssetRestatement(
        id=new_id(),
        asset_id=asset.id,
        merchant_id=asset.merchant_id,
        period=engine.month_start(engine.parse_month(data.period)),
        reason=data.reason,
        entry=_stored_entry(data.entry),
        state="pending",
        requested_by_key_id=who.key_id,
        requested_by_role=who.role.value,
        created_at=now,
        updated_at=now,
    )
    await _check_or_apply(session, who, restatement, large_amount, record=False)
    await repository.add(session, restatement)
    if who.is_operator:
        await _check_or_apply(session, who, restatement, large_amount, record=True)
    else:
        await _announce(session, who, restatement, "restatement_requested")
    return restatement


def _stored_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as asked, its type and fields validated (money as two places)."""
    kind, parsed, _ = _parse_entry(entry)
    fields = parsed.model_dump(mode="json", exclude_none=True)
    if "incurred_on" in fields:
        fields["date"] = fields.pop("incurred_on")
    for key in ("amount", "residual_value", "recoverable_amount", "net_realisable_value"):
        if key in fields:
            fields[key] = cents(Decimal(fields[key]))
    return {"type": kind, **fields}


async def _decidable(
    session: AsyncSession, who: Principal, restatement_id: UUID, if_match: str | None
) -> DataAssetRestatement:
    if not who.is_operator:
        raise Forbidden(
            Text(
                "Only an operator approves or rejects a restatement.",
                "仅运营方可批准或驳回前期差错更正。",
            )
        )
    restatement = await repository.get_restatement(session, restatement_id, who, for_update=True)
    if restatement is None:
        raise NotFound.of(RESTATEMENT, restatement_id)
    check_if_match(if_match, restatement.version)
    if restatement.state != "pending":
        raise Conflict(
            Text(
                f"The restatement is {restatement.state} already.",
                f"该更正已{'生效' if restatement.state == 'applied' else '驳回'}。",
            ),
            current_status=restatement.state,
        )
    return restatement


async def approve(
    session: AsyncSession,
    who: Principal,
    restatement_id: UUID,
    if_match: str | None,
    large_amount: Decimal,
) -> DataAssetRestatement:
    restatement = await _decidable(session, who, restatement_id, if_match)
    await _check_or_apply(session, who, restatement, large_amount, record=True)
    return restatement


async def reject(
    session: AsyncSession,
    who: Principal,
    restatement_id: UUID,
    reason: str | None,
    if_match: str | None,
) -> DataAssetRestatement:
    restatement = await _decidable(session, who, restatement_id, if_match)
    now = utcnow()
    restatement.state = "rejected"
    restatement.decision_reason = reason
    restatement.decided_at = now
    restatement.decided_by_key_id = who.key_id
    restatement.updated_at = now
    await session.flush()
    await _announce(session, who, restatement, "restatement_rejected")
    return restatement


async def get(session: AsyncSession, who: Principal, restatement_id: UUID) -> DataAssetRestatement:
    restatement = await repository.get_restatement(session, restatement_id, who)
    if restatement is None:
        raise NotFound.of(RESTATEMENT, restatement_id)
    return restatement


async def of_asset(
    session: AsyncSession, who: Principal, asset_id: UUID
) -> list[DataAssetRestatement]:
    await service.get_view(session, who, asset_id)  # 404 unless visible
    return await repository.restatements(session, asset_id=asset_id)
