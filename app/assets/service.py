"""The data-asset register's rules (DOMAIN.md "Data assets — 数据资产入表"): who keeps which
asset, its cost items and movements through the engine, its views and schedule. What
evidence a cost item may rest on: app/assets/evidence.py; the disclosure of a period:
app/assets/disclosure.py.

Every cost item and movement is written once (the tables refuse changes), appended to the
`FIN` log, audited and announced (`data_asset.*`), all in the request's transaction. Every
change to one asset takes the asset's row lock first, so a cost item racing `capitalise`
either lands before it (and is part of the cost) or after it (and is refused, 409).

Decisions where the contract is silent:
- Roles: a merchant's key keeps its own merchant's assets; operators keep anyone's (naming
  `merchant_id`); auditors read all and change nothing; assessors and anonymous callers see
  none (the register is a company's books, not a market fact): 403 and 401. Another
  merchant's asset is 404, whether read or changed, as a trade it is no party to.
- An asset's amounts (`cost`, `carrying_amount`, …) are at the end of the current month, or
  of the month of its latest movement when that is later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import engine, evidence, repository
from app.assets.engine import (
    Account,
    AssetClass,
    Book,
    MovementType,
    Phase,
    Refused,
    Source,
    Status,
)
from app.assets.entries import (
    COST_ITEM_LEAF,
    FIN_LOG,
    MOVEMENT_LEAF,
    cost_item_entry,
    movement_entry,
)
from app.assets.models import (
    DataAsset,
    DataAssetCostItem,
    DataAssetMovement,
)
from app.assets.schemas import CostItemCreate, DataAssetChange, DataAssetCreate
from app.audit import service as audit
from app.core.clock import EARLIEST_DAY, shanghai_today
from app.core.db import driver, new_id, utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.money import cents
from app.core.principal import Principal
from app.ledger import sequencer
from app.merchants import service as merchant_rules
from app.outbox import service as outbox
from app.products import repository as products

ASSET = Text("data asset", "数据资产")
MERCHANT = Text("merchant", "数商")
MAX_SCHEDULE_MONTHS = 1200
STRAIGHT_LINE = "straight_line"

# The event each movement announces.
_EVENTS = {
    MovementType.capitalise: "capitalised",
    MovementType.dispose: "disposed",
    MovementType.derecognise: "derecognised",
    MovementType.impair: "impaired",
    MovementType.write_down: "written_down",
    MovementType.reverse_write_down: "write_down_reversed",
    MovementType.cost_adjustment: "cost_adjusted",
    MovementType.revise: "estimates_revised",
    MovementType.reclassify: "reclassified",
}
# The path segment of each movement, as `allowed_actions` names it.
PATHS = {m: m.value.replace("_", "-") for m in MovementType}


class PeriodClosed(Conflict):
    """An entry dated in a month its merchant has closed (DOMAIN.md "Closed means closed"):
    only a restatement records one."""

    slug = "period-closed"
    title = Text("Period closed", "会计期间已结账")


async def check_open(
    session: AsyncSession, merchant_id: UUID, day: date, field: str = "date"
) -> None:
    """409 `period_closed` when `day` lies in a month the merchant has closed. Takes the
    merchant's books lock (shared) first, so a close under way is waited for and seen."""
    await repository.lock_books(session, merchant_id, exclusive=False)
    through = await repository.closed_through(session, merchant_id)
    if through is not None and engine.month_of(day) <= engine.month_of(through):
        closed = engine.month_text(engine.month_of(through))
        raise PeriodClosed(
            Text(
                f"{field} {day} lies in a closed month (closed through {closed}): a "
                "correction of a closed period is a restatement "
                "(POST /v1/data-assets/{id}/restatements).",
                f"{field} {day} 所在月份已结账(结账至 {closed}):更正已结账期间须作前期差错更正"
                "(POST /v1/data-assets/{id}/restatements)。",
            ),
            code="period_closed",
            closed_through=closed,
        )


@dataclass(frozen=True)
class View:
    """An asset with its record and its book, as the API shows it."""

    asset: DataAsset
    items: list[DataAssetCostItem]
    movements: list[DataAssetMovement]
    book: Book
    as_of: engine.Month


def _engine_items(items: Iterable[DataAssetCostItem]) -> list[engine.CostItem]:
    return [
        engine.CostItem(
            i.amount, i.incurred_on, Phase(i.phase) if i.phase else None, bool(i.vat_deductible)
        )
        for i in items
    ]


def _engine_movement(row: DataAssetMovement) -> engine.Movement:
    details = row.details
    amount = details.get(
        "recoverable_amount", details.get("net_realisable_value", details.get("amount"))
    )
    return engine.Movement(
        type=MovementType(row.type),
        on=row.occurred_on,
        useful_life_months=details.get("useful_life_months"),
        indefinite=bool(details.get("indefinite", False)),
        residual_value=Decimal(details.get("residual_value", "0")),
        fraction=Decimal(details.get("fraction", "1")),
        amount=Decimal(amount) if amount is not None else None,
        proceeds=Decimal(details.get("proceeds", "0")),
        reason=details.get("reason"),
        costing=details.get("costing"),
        quantity=details.get("quantity"),
        unit=details.get("unit"),
        basis=details.get("basis"),
        to=AssetClass(details["to"]) if details.get("to") else None,
    )


def before(rows: list[Any], leaf: int | None) -> list[Any]:
    """The records among `rows` recorded before leaf `leaf` of `FIN` (all: None)."""
    return rows if leaf is None else [r for r in rows if r.leaf_index < leaf]


def book_of(
    asset: DataAsset,
    items: list[DataAssetCostItem],
    movements: list[DataAssetMovement],
    through: date | None = None,
) -> Book:
    """The asset's book; with `through`, as it stood that day (movements dated after it left
    out: engine.replay)."""
    return engine.replay(
        AssetClass(asset.asset_class),
        Source(asset.source),
        _engine_items(items),
        [_engine_movement(m) for m in movements],
        through,
    )


def _as_of(book: Book) -> engine.Month:
    current = engine.month_of(shanghai_today())
    return max(current, engine.month_of(book.last_on)) if book.last_on else current


async def _view(session: AsyncSession, asset: DataAsset) -> View:
    items = (await repository.cost_items(session, [asset.id]))[asset.id]
    moves = (await repository.movements(session, [asset.id]))[asset.id]
    book = book_of(asset, items, moves)
    return View(asset, items, moves, book, _as_of(book))


view_of = _view


async def views(session: AsyncSession, assets: list[DataAsset]) -> list[View]:
    """The views of a page of assets: two queries, however many."""
    ids = [a.id for a in assets]
    items = await repository.cost_items(session, ids)
    moves = await repository.movements(session, ids)
    found = []
    for asset in assets:
        book = book_of(asset, items[asset.id], moves[asset.id])
        found.append(View(asset, items[asset.id], moves[asset.id], book, _as_of(book)))
    return found


def may_change(who: Principal | None, asset: DataAsset) -> bool:
    return who is not None and (who.is_operator or who.owns_merchant(asset.merchant_id))


def allowed_actions(view: View, who: Principal | None) -> list[str]:
    """What this caller may do with the asset now: nothing unless it keeps the asset; else
    what its state admits (a reversal only while a provision stands)."""
    if not may_change(who, view.asset):
        return []
    book = view.book
    if book.status is Status.in_development:  # 开发支出 may be impaired (CAS 8 第六条)
        return ["update", "costs", "capitalise", "derecognise", "impair"]
    if book.status in engine.GATHERING:
        return ["update", "costs", "capitalise", "derecognise"]
    if book.status is Status.capitalised:
        return ["update", "dispose", "derecognise", "impair", "revise", "reclassify"]
    if book.status is Status.held:
        held = ["update", "dispose", "derecognise", "write-down", "reclassify"]
        if book.balance(Account.write_down, view.as_of) > 0:
            held.append("reverse-write-down")
        return held
    return ["update"]


def amounts(view: View) -> dict[str, Any]:
    """The asset's amounts at the end of `as_of`; before capitalisation, what it has gathered."""
    book, month = view.book, view.as_of
    if book.status in engine.GATHERING:
        cost = book.capitalisable_cost
        amortisation = write_down = engine.ZERO
        impairment = book.development_provision(month)  # 开发支出 impaired in development
        carrying = cost - impairment
    else:
        cost = book.balance(Account.cost, month)
        amortisation = book.balance(Account.amortisation, month)
        impairment = book.balance(Account.impairment, month)
        write_down = book.balance(Account.write_down, month)
        carrying = book.carrying(month)
    return {
        "as_of": engine.month_text(month),
        "original_cost": book.original_cost if book.capitalised_on else book.capitalisable_cost,
        "cost": cost,
        "accumulated_amortisation": amortisation,
        "impairment": impairment,
        "write_down": write_down,
        "carrying_amount": carrying,
        "research_expense": book.research_expense,
        "capitalised_on": book.capitalised_on,
        "useful_life_months": book.useful_life_months,
        "indefinite_life": book.indefinite,
        "residual_value": book.residual_value,
        "amortisation_method": STRAIGHT_LINE if book.useful_life_months else None,
        "remaining_months": book.remaining_months(month) if book.ended_on is None else None,
        "ended_on": book.ended_on,
        "development_started_on": view.asset.development_started_on,
        "unevidenced_items": sum(1 for i in view.items if not evidence.evidenced(i)),
    }


# --- Reading ---------------------------------------------------------------------------------


async def get_view(session: AsyncSession, who: Principal, asset_id: UUID) -> View:
    asset = await repository.get_visible(session, asset_id, who)
    if asset is None:
        raise NotFound.of(ASSET, asset_id)
    return await _view(session, asset)


async def schedule(
    session: AsyncSession, who: Principal, asset_id: UUID, through: str | None
) -> tuple[str, list[engine.ScheduleRow]]:
    view = await get_view(session, who, asset_id)
    last = _month(["query", "through"], through) if through else view.as_of
    start = view.book.capitalised_month
    if start is not None and last - start + 1 > MAX_SCHEDULE_MONTHS:
        raise ValidationFailed.field(
            ["query", "through"],
            Text(
                f"at most {MAX_SCHEDULE_MONTHS} months after capitalisation "
                f"({engine.month_text(start)})",
                f"自确认月份({engine.month_text(start)})起最多 {MAX_SCHEDULE_MONTHS} 个月",
            ),
        )
    return engine.month_text(last), engine.schedule(view.book, last)


AssetFilter = repository.AssetFilter


async def list_page(
    session: AsyncSession, who: Principal, where: AssetFilter, after: UUID | None, limit: int
) -> list[DataAsset]:
    return await repository.list_page(session, who, where, after, limit)


def _month(loc: list[str | int], text: str) -> engine.Month:
    try:
        month = engine.parse_month(text)
    except ValueError:
        month = None
    if month is None or month < engine.month_of(EARLIEST_DAY):
        raise ValidationFailed.field(
            loc, Text("must be a month YYYY-MM from 1990-01", "须为 1990-01 起的月份 YYYY-MM")
        )
    return month


# --- Keeping the register --------------------------------------------------------------------


async def create(session: AsyncSession, who: Principal, data: DataAssetCreate) -> DataAsset:
    merchant_id = await merchant_rules.owner_of_new(session, who, data.merchant_id, ASSET)
    asset_class, source = data.asset_class, data.source
    if source not in engine.SOURCES[asset_class]:
        allowed = ", ".join(s.value for s in engine.SOURCES[asset_class])
        raise ValidationFailed.field(
            ["body", "source"],
            Text(
                f"an {asset_class.value} asset comes from one of: {allowed}",
                f"{asset_class.value} 类资产的取得方式须为:{allowed}",
            ),
        )
    if data.product_id is not None:
        await _own_product(session, merchant_id, data.product_id)
    if data.development_started_on is not None:
        if source is not Source.developed:
            raise ValidationFailed.field(
                ["body", "development_started_on"],
                Text("only a developed asset has a development phase", "仅自行开发资产有开发阶段"),
            )
        evidence.check_day(["body", "development_started_on"], data.development_started_on)
    now = utcnow()
    asset = DataAsset(
        id=new_id(),
        merchant_id=merchant_id,
        product_id=data.product_id,
        name=data.name,
        description=data.description,
        asset_class=asset_class.value,
        source=source.value,
        status=engine.initial_status(asset_class, source).value,
        development_started_on=data.development_started_on,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, asset)
    await audit.record(
        session,
        who,
        "data_asset.create",
        "data_asset",
        asset.id,
        {"merchant_id": str(merchant_id), "asset_class": asset.asset_class, "source": asset.source},
    )
    await _emit(session, asset, "created", {})
    return asset


async def _own_product(session: AsyncSession, merchant_id: UUID, product_id: UUID) -> None:
    product = await products.get(session, product_id)
    if product is None or product.merchant_id != merchant_id:
        raise ValidationFailed.field(
            ["body", "product_id"],
            Text("names no product of the asset's merchant", "不是该资产所属数商的数据产品"),
        )


async def locked(
    session: AsyncSession, who: Principal, asset_id: UUID, if_match: str | None
) -> DataAsset:
    """The asset, locked, once the caller may change it: 404 when it does not see it, 412 on
    a stale If-Match."""
    asset = await repository.get_visible(session, asset_id, who, for_update=True)
    if asset is None:
        raise NotFound.of(ASSET, asset_id)
    if not may_change(who, asset):  # an auditor: read only
        raise Forbidden(
            Text(
                "Only its merchant or an operator changes an asset.",
                "仅资产所属数商或运营方可变更资产。",
            )
        )
    check_if_match(if_match, asset.version)
    return asset


async def update(
    session: AsyncSession,
    who: Principal,
    asset_id: UUID,
    data: DataAssetChange,
    if_match: str | None,
) -> DataAsset:
    asset = await locked(session, who, asset_id, if_match)
    # A rename waits for a close under way (whose report names the asset as it was).
    await repository.lock_books(session, asset.merchant_id, exclusive=False)
    sent = data.model_fields_set
    if "name" in sent and data.name is None:
        raise ValidationFailed.field(["body", "name"], Text("may not be null", "不能为 null"))
    changes: dict[str, list[Any]] = {}
    if "product_id" in sent and data.product_id != asset.product_id:
        if await repository.rests_on_assessment(session, asset.id):
            raise Conflict(
                Text(
                    "A cost item rests on an assessment of the asset's product: the product "
                    "cannot change.",
                    "已有成本项目以该产品的评估为凭证:不能更换产品。",
                )
            )
        if data.product_id is not None:
            await _own_product(session, asset.merchant_id, data.product_id)
        changes["product_id"] = [_text(asset.product_id), _text(data.product_id)]
        asset.product_id = data.product_id
    for name in ("name", "description"):
        if name in sent and getattr(data, name) != getattr(asset, name):
            changes[name] = [getattr(asset, name), getattr(data, name)]
            setattr(asset, name, getattr(data, name))
    if changes:
        asset.updated_at = utcnow()
        await session.flush()
        await audit.record(session, who, "data_asset.update", "data_asset", asset.id, changes)
        await _emit(session, asset, "updated", {"changes": sorted(changes)})
    return asset


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _check_date(field: str, day: date) -> None:
    evidence.check_day(["body", field], day)


def _refusal(
    refused: Refused, view_status: str, allowed: list[str], loc: tuple[str, ...] = ("body",)
) -> Exception:
    if refused.field is not None:
        return ValidationFailed.field([*loc, refused.field], refused.message)
    return Conflict(refused.message, current_status=view_status, allowed_actions=allowed)


async def add_cost(
    session: AsyncSession,
    who: Principal,
    asset_id: UUID,
    data: CostItemCreate,
    if_match: str | None,
    large_amount: Decimal,
) -> DataAsset:
    """Add a cost item; `large_amount`: SHUSHANG_LARGE_TRADE_AMOUNT, for trade evidence."""
    asset = await locked(session, who, asset_id, if_match)
    _check_date("incurred_on", data.incurred_on)
    await check_open(session, asset.merchant_id, data.incurred_on, "incurred_on")
    await record_cost(session, who, asset, await _view(session, asset), data, large_amount)
    return asset


def check_cost(
    who: Principal, asset: DataAsset, view: View, data: CostItemCreate, loc: tuple[str, ...]
) -> None:
    """What the asset's state and kind say of a cost item (its evidence aside)."""
    try:
        engine.admits_cost(view.book)
    except Refused as refused:
        raise _refusal(refused, asset.status, allowed_actions(view, who), loc) from None
    developed = asset.source == Source.developed.value
    if developed and data.phase is None:
        raise ValidationFailed.field(
            [*loc, "phase"],
            Text(
                "a developed asset's cost item is research or development",
                "自行开发资产的成本项目须注明研究或开发阶段",
            ),
        )
    if not developed and data.phase is not None:
        raise ValidationFailed.field(
            [*loc, "phase"],
            Text("only a developed asset's items have a phase", "仅自行开发资产的成本项目有阶段"),
        )
    amount = Decimal(data.amount)
    so_far = view.book.capitalisable_cost + view.book.research_expense
    if so_far + amount > engine.MAX_AMOUNT:
        raise ValidationFailed.field(
            [*loc, "amount"],
            Text(
                f"would take the asset's costs past {engine.MAX_AMOUNT}",
                f"将使资产成本合计超过 {engine.MAX_AMOUNT}",
            ),
        )


async def record_cost(
    session: AsyncSession,
    who: Principal,
    asset: DataAsset,
    view: View,
    data: CostItemCreate,
    large_amount: Decimal,
    restatement_id: UUID | None = None,
    loc: tuple[str, ...] = ("body",),
) -> DataAssetCostItem:
    """Record a cost item on the locked `asset` (its date checked by the caller: an open
    month, or a restatement's closed one)."""
    check_cost(who, asset, view, data, loc)
    amount = Decimal(data.amount)
    evidence.check_phase_order(asset, data, loc)
    await evidence.check_evidence(session, asset, data, large_amount)
    if data.phase is Phase.development and asset.development_started_on is None:
        asset.development_started_on = data.incurred_on  # the first development item
    item = DataAssetCostItem(
        id=new_id(),
        asset_id=asset.id,
        merchant_id=asset.merchant_id,
        asset_class=asset.asset_class,
        source=asset.source,
        kind=data.kind.value,
        amount=amount,
        incurred_on=data.incurred_on,
        phase=data.phase.value if data.phase else None,
        description=data.description,
        trade_id=data.trade_id,
        assessment_id=data.assessment_id,
        certificate_number=data.certificate_number,
        invoice_number=data.invoice.number if data.invoice else None,
        invoice_issued_on=data.invoice.issued_on if data.invoice else None,
        invoice_amount=Decimal(data.invoice.amount) if data.invoice else None,
        vat_deductible=data.vat_deductible,
        restatement_id=restatement_id,
        actor_key_id=who.key_id,
        actor_role=who.role.value,
        created_at=utcnow(),
    )
    item.leaf_index = await sequencer.append(
        await driver(session), FIN_LOG, COST_ITEM_LEAF, item.id, cost_item_entry(item)
    )
    await repository.add(session, item)
    asset.updated_at = item.created_at
    await session.flush()
    summary = {
        "cost_item_id": str(item.id),
        "kind": item.kind,
        "amount": cents(item.amount),
        "phase": item.phase,
        "leaf_index": item.leaf_index,
    }
    if restatement_id is not None:
        summary["restatement_id"] = str(restatement_id)
    await audit.record(session, who, "data_asset.cost", "data_asset", asset.id, summary)
    await _emit(session, asset, "cost_added", summary)
    return item


# Optional inputs left out of the stored details when not given (the records taken before
# they existed have no such key, and a new one without them reads the same).
_ABSENT_WHEN_NONE = frozenset(
    {"memo", "proceeds", "indefinite_basis", "costing", "quantity", "unit", "basis"}
)


def _details(kind: MovementType, body: dict[str, Any]) -> dict[str, Any]:
    """The inputs of a movement as stored (money with two places; no memo: no key)."""
    details = {
        k: v for k, v in body.items() if k != "date" and not (k in _ABSENT_WHEN_NONE and v is None)
    }
    for key in (
        "residual_value",
        "recoverable_amount",
        "net_realisable_value",
        "amount",
        "proceeds",
    ):
        if key in details:
            details[key] = cents(Decimal(details[key]))
    if kind in (MovementType.capitalise, MovementType.revise, MovementType.reclassify) and (
        details.get("useful_life_months") is None
    ):
        details.pop("useful_life_months", None)
    return details


async def move(
    session: AsyncSession,
    who: Principal,
    asset_id: UUID,
    kind: MovementType,
    body: dict[str, Any],
    if_match: str | None,
) -> DataAsset:
    """Take a movement: `body` is its validated request (`date` and its inputs)."""
    asset = await locked(session, who, asset_id, if_match)
    evidence.check_memo(asset, kind, body, ("body",))
    day: date = body["date"]
    _check_date("date", day)
    await check_open(session, asset.merchant_id, day)
    await record_movement(session, who, asset, await _view(session, asset), kind, body)
    return asset


def _replay_with(
    view: View, new: engine.Movement
) -> tuple[Book, Status, Status, dict[str, Decimal]]:
    """A restatement's movement dated back among the asset's others: the book with it, the
    status it found and left, and what it did. Every later movement must still hold (else
    Refused)."""
    asset = view.asset
    taken = [_engine_movement(m) for m in view.movements]
    book = engine.new_book(
        AssetClass(asset.asset_class), Source(asset.source), _engine_items(view.items)
    )
    for movement in sorted((m for m in taken if m.on <= new.on), key=lambda m: m.on):
        engine.apply(book, movement)
    found = book.status
    effects = engine.apply(book, new)
    left = book.status
    for movement in sorted((m for m in taken if m.on > new.on), key=lambda m: m.on):
        try:
            engine.apply(book, movement)
        except Refused as refused:
            raise Refused(
                Text(
                    f"The restatement contradicts the {movement.type.value} of {movement.on}: "
                    f"{refused.message.en}",
                    f"该更正与 {movement.on} 的 {movement.type.value} 相矛盾:{refused.message.zh}",
                )
            ) from None
    return book, found, left, effects


def check_movement(
    who: Principal,
    asset: DataAsset,
    view: View,
    kind: MovementType,
    body: dict[str, Any],
    loc: tuple[str, ...],
) -> tuple[str, str, str, dict[str, Decimal]]:
    """A restatement's movement dated back among the asset's others, checked without
    writing: the status it finds, the one it leaves, the asset's final one, its effects."""
    new = _engine_movement(
        DataAssetMovement(type=kind.value, occurred_on=body["date"], details=_details(kind, body))
    )
    try:
        book, found, left, effects = _replay_with(view, new)
    except Refused as refused:
        raise _refusal(refused, asset.status, allowed_actions(view, who), loc) from None
    return found.value, left.value, book.status.value, effects


async def record_movement(
    session: AsyncSession,
    who: Principal,
    asset: DataAsset,
    view: View,
    kind: MovementType,
    body: dict[str, Any],
    restatement_id: UUID | None = None,
    loc: tuple[str, ...] = ("body",),
) -> DataAssetMovement:
    """Record a movement on the locked `asset`; a restatement's may be dated before others."""
    day: date = body["date"]
    details = _details(kind, body)
    row = DataAssetMovement(
        id=new_id(),
        asset_id=asset.id,
        sequence=len(view.movements) + 1,
        merchant_id=asset.merchant_id,
        asset_class=asset.asset_class,
        source=asset.source,
        type=kind.value,
        occurred_on=day,
        from_status=asset.status,
        details=details,
        restatement_id=restatement_id,
        actor_key_id=who.key_id,
        actor_role=who.role.value,
        created_at=utcnow(),
    )
    if restatement_id is None:
        try:
            effects = engine.apply(view.book, _engine_movement(row))
        except Refused as refused:
            raise _refusal(refused, asset.status, allowed_actions(view, who), loc) from None
        row.to_status = final = view.book.status.value
    else:
        found, left, final, effects = check_movement(who, asset, view, kind, body, loc)
        row.from_status, row.to_status = found, left
    row.effects = {k: cents(v) for k, v in effects.items()}
    row.leaf_index = await sequencer.append(
        await driver(session), FIN_LOG, MOVEMENT_LEAF, row.id, movement_entry(row)
    )
    await repository.add(session, row)
    asset.status = final
    asset.updated_at = row.created_at
    await session.flush()
    summary = {
        "movement_id": str(row.id),
        "movement": row.type,
        "date": day.isoformat(),
        "from": row.from_status,
        "to": row.to_status,
        "effects": row.effects,
        "leaf_index": row.leaf_index,
    }
    if restatement_id is not None:
        summary["restatement_id"] = str(restatement_id)
    await audit.record(session, who, f"data_asset.{kind.value}", "data_asset", asset.id, summary)
    await _emit(session, asset, _EVENTS[kind], summary)
    return row


async def _emit(session: AsyncSession, asset: DataAsset, name: str, data: dict[str, Any]) -> None:
    await outbox.emit(
        session,
        f"data_asset.{name}",
        "data_asset",
        asset.id,
        [asset.merchant_id],
        {
            "asset_id": str(asset.id),
            "merchant_id": str(asset.merchant_id),
            "asset_class": asset.asset_class,
            "status": asset.status,
            **data,
        },
    )
