"""Recording trades: validation, the fee, the ledger leaf, and idempotent retries.

A trade, its ledger leaf and the idempotency record holding the first response are written
in one transaction (app/trades/recorder.py, shared with the venue's other waiting trades).
A retry with the same key and body gets that response again; another body under the same
key is 422; a retry while the first is still running is 409 (the process tracks its keys in
flight; across processes, the record's primary key lets only one of two racers commit).
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.db import driver, new_id, utcnow
from app.core.errors import (
    Conflict,
    Forbidden,
    IdempotencyInFlight,
    IdempotencyMismatch,
    NotFound,
    ValidationFailed,
)
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.money import round_half_up
from app.core.principal import Principal
from app.core.roles import Role
from app.ledger import sequencer
from app.listings.states import ListingStatus
from app.outbox import service as outbox
from app.trades import repository
from app.trades.confirmation import is_confirmed, is_large, is_operator_confirmed
from app.trades.entries import canonical, event_entry
from app.trades.models import NewTrade, Trade, TradeEvent
from app.trades.repository import FirstResponse, RecordingFacts, TradeFilter
from app.trades.rules import refusal, standings
from app.trades.schemas import TradeCreate, TradeEventCreate
from app.venues.service import VENUE

TRADE = Text("trade", "交易")


# The fields of a trade's body, and only those: an import's line (app/trades/imports.py)
# carries its idempotency key too, and hashes as the same trade sent alone would.
_BODY_FIELDS = set(TradeCreate.model_fields)


def request_hash(data: TradeCreate) -> bytes:
    return hashlib.sha256(canonical(data.model_dump(mode="json", include=_BODY_FIELDS))).digest()


def _invalid(field: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed.field(["body", field], Text(en, zh))


def replay(first: FirstResponse | None, digest: bytes) -> FirstResponse | None:
    """The first response for this key, or None when this request is the first."""
    if first is not None and first.request_hash != digest:
        raise IdempotencyMismatch()
    return first


def in_flight() -> IdempotencyInFlight:
    return IdempotencyInFlight()


# The states a listing reaches only by having been `listed`: a historical import may record
# a trade made on it back then (draft, submitted and rejected listings never traded).
ONCE_LISTED = frozenset({ListingStatus.listed, ListingStatus.suspended, ListingStatus.delisted})


def _checked_product(
    who: Principal, data: TradeCreate, facts: RecordingFacts, historical: bool
) -> UUID | None:
    """The rules of DOMAIN.md (Trades) on the facts read: the trade's product, or a problem.

    `historical` (an operator's import of past trades) relaxes only the listing: an
    on-venue trade may name no listing (one that predates this service), or a listing that
    was listed once and is suspended or delisted now. Everything else holds as ever."""
    if facts.fee_rate is None:
        raise NotFound.of(VENUE, data.venue_code)
    if data.buyer_merchant_id == data.seller_merchant_id:
        raise _invalid(
            "buyer_merchant_id", "is the seller: a trade has two parties", "与卖方相同:交易须有两方"
        )
    if not facts.seller_known:
        raise _invalid("seller_merchant_id", "names no merchant", "数商不存在")
    if not facts.buyer_known:
        raise _invalid("buyer_merchant_id", "names no merchant", "数商不存在")
    if not who.is_operator and (data.on_venue or not who.owns_merchant(data.seller_merchant_id)):
        raise Forbidden(
            Text(
                "A merchant key registers only its own off-venue (场外) sales; "
                "operators record the rest.",
                "数商密钥只能登记本数商作为卖方的场外交易;其余由运营方记录。",
            )
        )
    venue = data.venue_code
    if not data.on_venue and data.listing_id is not None:
        raise _invalid("listing_id", "is for on-venue trades only", "仅场内交易填写挂牌")
    if not data.on_venue or (historical and data.listing_id is None):
        if data.product_id is not None and facts.product_merchant_id != data.seller_merchant_id:
            raise _invalid("product_id", "names no product of the seller", "不是卖方的产品")
        return data.product_id
    if data.listing_id is None:
        raise _invalid("listing_id", "is required for an on-venue trade", "场内交易须提供挂牌")
    if facts.listing_venue != venue:
        raise _invalid("listing_id", f"names no listing at {venue}", f"不是 {venue} 的挂牌")
    if historical and facts.listing_status not in ONCE_LISTED:
        raise Conflict(
            Text(
                f"The listing is {facts.listing_status}: it was never listed, so nothing "
                "was traded on it.",
                f"该挂牌状态为 {facts.listing_status}:从未挂牌,不可能有场内交易。",
            ),
            current_status=facts.listing_status,
        )
    if not historical and facts.listing_status != ListingStatus.listed.value:
        raise Conflict(
            Text(
                f"The listing is {facts.listing_status}, not listed.",
                f"该挂牌状态为 {facts.listing_status},不是已挂牌。",
            ),
            current_status=facts.listing_status,
        )
    if facts.listing_merchant_id != data.seller_merchant_id:
        raise _invalid("seller_merchant_id", "is not the listing's merchant", "不是挂牌的数商")
    if data.product_id is not None and data.product_id != facts.listing_product_id:
        raise _invalid("product_id", "is not the listing's product", "不是挂牌的产品")
    return facts.listing_product_id


def new_trade(
    who: Principal,
    data: TradeCreate,
    facts: RecordingFacts,
    *,
    large_amount: Decimal,
    historical: bool = False,
) -> NewTrade:
    """The trade to record, once the rules of DOMAIN.md hold on the facts read (else a
    problem); its fee from the venue's rate, rounded half-up to the cent. `historical`:
    see `_checked_product`; `large_amount`: `SHUSHANG_LARGE_TRADE_AMOUNT`."""
    product_id = _checked_product(who, data, facts, historical)
    if product_id is not None and facts.product_classification == "core":
        # Core data (核心数据) is not traded, on or off the venue, imported or not.
        raise Conflict(
            Text(
                "The product is classified core data: no trade may name it.",
                "该产品为核心数据:不得交易。",
            ),
            product_id=str(product_id),
        )
    assert facts.fee_rate is not None
    amount = Decimal(data.amount)
    # A merchant key reports (only its own off-venue sales, checked above): the trade waits
    # for the counterparty's `confirmed`. An operator's recording confirms it.
    reporter = who.merchant_id if who.role is Role.merchant else None
    fee = round_half_up(amount * facts.fee_rate)
    return NewTrade(
        id=new_id(),
        venue_code=data.venue_code,
        listing_id=data.listing_id if data.on_venue else None,
        product_id=product_id,
        seller_merchant_id=data.seller_merchant_id,
        buyer_merchant_id=data.buyer_merchant_id,
        amount=amount,
        fee=fee,
        fee_before_waiver=fee,  # the waiver, if any, is the recorder's (`waive`)
        currency="CNY",
        quantity=data.quantity,
        term=data.term,
        on_venue=data.on_venue,
        contract_digest=data.contract_digest,
        occurred_at=data.occurred_at.astimezone(UTC),
        recorded_by_key_id=who.key_id,
        reported_by_merchant_id=reporter,
        created_at=utcnow(),
        confirmed=is_confirmed(reporter, ()),
        operator_confirmed=is_operator_confirmed(reporter, ()),
        large=is_large(data.on_venue, amount, large_amount),
    )


async def get_visible(
    session: AsyncSession, who: Principal, trade_id: UUID, large_amount: Decimal
) -> Trade:
    trade = await repository.get(session, who, trade_id, large_amount)
    if trade is None:
        raise NotFound.of(TRADE, trade_id)
    return trade


async def add_event(
    session: AsyncSession,
    who: Principal,
    trade_id: UUID,
    data: TradeEventCreate,
    if_match: str | None = None,
) -> TradeEvent:
    """Append an event, if the caller's standing towards the trade allows it now
    (app/trades/rules.py): 404 for a trade it may not see, 403 for an event its standing
    never allows, 412 when `if_match` names another version than the trade's (the number of
    its events), 409 for one out of order."""
    trade = await repository.lock(session, who, trade_id)  # one event at a time per trade
    if trade is None:
        raise NotFound.of(TRADE, trade_id)
    recorded = await repository.events(session, trade.id)
    so_far = [e.type for e in recorded]
    refused = refusal(
        data.type.value,
        on_venue=trade.on_venue,
        standing=standings(
            is_operator=who.is_operator,
            merchant_id=who.merchant_id if who.role is Role.merchant else None,
            seller=trade.seller_merchant_id,
            buyer=trade.buyer_merchant_id,
            reporter=trade.reported_by_merchant_id,
        ),
        so_far=so_far,
        # From the events read under the lock: a `confirmed` committed while this request
        # waited for it counts.
        confirmed=is_confirmed(trade.reported_by_merchant_id, so_far),
        operator_confirmed=is_operator_confirmed(
            trade.reported_by_merchant_id, [(e.type, e.recorded_by_role) for e in recorded]
        ),
    )
    if refused is not None and refused.forbidden:
        raise Forbidden(refused.reason)
    check_if_match(if_match, len(so_far))
    if refused is not None:
        raise Conflict(refused.reason, events=so_far)
    now = utcnow()
    event = TradeEvent(
        id=new_id(),
        trade_id=trade.id,
        type=data.type.value,
        occurred_at=(data.occurred_at or now).astimezone(UTC),
        note=data.note,
        recorded_by_key_id=who.key_id,
        recorded_by_role=who.role.value,
        created_at=now,
    )
    index = await sequencer.append(
        await driver(session), trade.venue_code, "trade_event", event.id, event_entry(event)
    )
    event.leaf_index = index
    await repository.add(session, event)
    await audit.record(
        session,
        who,
        f"trade.{data.type.value}",
        "trade",
        trade.id,
        {"event_id": str(event.id), "leaf_index": index},
    )
    await outbox.emit(
        session,
        f"trade.{data.type.value}",
        "trade",
        trade.id,
        [trade.seller_merchant_id, trade.buyer_merchant_id],
        {"trade_id": str(trade.id), "event_id": str(event.id), "leaf_index": index},
    )
    return event


async def list_page(
    session: AsyncSession,
    who: Principal,
    where: TradeFilter,
    after: UUID | None,
    limit: int,
    large_amount: Decimal,
) -> list[Trade]:
    return await repository.list_page(session, who, where, after, limit, large_amount)


async def recorded_with_digest(
    session: AsyncSession, digest: str, listing_id: UUID, seller: UUID, buyer: UUID
) -> UUID | None:
    """The first trade recorded on `listing_id` between `seller` and `buyer` with
    `contract_digest` = `digest` (an agreement's, app/contracts/): the trade that records
    it. Reads the seller's trades (`ix_trade_seller`)."""
    return await repository.recorded_with_digest(session, digest, listing_id, seller, buyer)
