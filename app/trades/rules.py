"""Who may append which trade event, and in which order. Pure.

Who (DOMAIN.md, "Trade events by role"), as data in `WHO_MAY`: each event names, for
on-venue and for off-venue trades, the standings that may append it and when. A caller's
standing towards a trade is what it is to it: operator, seller, buyer, and for an off-venue
trade a merchant key reported, the reporter (that merchant) and the counterparty (the other
party). A trade an operator recorded has no reporter, so no counterparty either: it is
confirmed from the start and only an operator cancels it.

    event        on-venue                  off-venue
    confirmed    operator (always 409)     counterparty while unconfirmed, operator
    delivered    seller, operator          seller once confirmed, operator
    disputed     buyer, seller, operator   buyer or seller once confirmed, operator
    settled      operator                  seller once confirmed, operator
    refunded     operator                  seller, operator (after a settlement, as below)
    cancelled    operator                  reporter while unconfirmed, operator

DOMAIN.md's "–" for confirming an on-venue trade: nobody does, the recording confirmed it.
Operators may append any event, so what refuses an operator is always the trade's state
(409, "already confirmed"); a merchant whose standing never allows the event is 403, and
one whose standing allows it only in another state (confirmed or not) is 409.

Order, for everyone: delivered, settled, disputed and cancelled happen at most once; a
trade an operator recorded or confirmed is confirmed for good (409), while one only its
counterparty confirmed may still be confirmed by an operator, at any point before its end: a
large off-venue trade counts only then (app/trades/confirmation.py); a dispute follows a
delivery or a settlement; a refund follows a settlement; a settled trade is refunded, not cancelled;
after a cancellation or a refund nothing more happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from app.core.i18n import Text
from app.trades.confirmation import UNDONE


class Standing(StrEnum):
    """What a caller is to a trade (it may be several: the seller that reported it)."""

    operator = "operator"
    seller = "seller"
    buyer = "buyer"
    reporter = "reporter"  # the merchant whose key reported the off-venue trade
    counterparty = "counterparty"  # the other party of a reported trade


class When(StrEnum):
    always = "always"
    confirmed = "confirmed"  # only once the trade is confirmed
    unconfirmed = "unconfirmed"  # only while it is not


@dataclass(frozen=True, slots=True)
class Grant:
    who: Standing
    when: When = When.always


@dataclass(frozen=True, slots=True)
class Cell:
    """Who may append an event, on-venue and off-venue."""

    on_venue: tuple[Grant, ...]
    off_venue: tuple[Grant, ...]


S, W = Standing, When
OPERATOR = Grant(S.operator)
WHO_MAY: dict[str, Cell] = {
    "confirmed": Cell((OPERATOR,), (Grant(S.counterparty, W.unconfirmed), OPERATOR)),
    "delivered": Cell(
        (Grant(S.seller), OPERATOR),
        (Grant(S.seller, W.confirmed), OPERATOR),
    ),
    "disputed": Cell(
        (Grant(S.buyer), Grant(S.seller), OPERATOR),
        (Grant(S.buyer, W.confirmed), Grant(S.seller, W.confirmed), OPERATOR),
    ),
    "settled": Cell((OPERATOR,), (Grant(S.seller, W.confirmed), OPERATOR)),
    "refunded": Cell((OPERATOR,), (Grant(S.seller), OPERATOR)),
    "cancelled": Cell((OPERATOR,), (Grant(S.reporter, W.unconfirmed), OPERATOR)),
}

_ONCE = {"delivered", "settled", "disputed", "cancelled"}  # `confirmed`: see order_problem


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an event may not be appended: `forbidden` (403, never by this caller) or not now
    (409, the trade's state)."""

    forbidden: bool
    reason: Text


def standings(
    *,
    is_operator: bool,
    merchant_id: UUID | None,
    seller: UUID,
    buyer: UUID,
    reporter: UUID | None,
) -> frozenset[Standing]:
    """What a caller (an operator, or a merchant key's merchant) is to a trade."""
    found: set[Standing] = set()
    if is_operator:
        found.add(S.operator)
    if merchant_id is not None:
        if merchant_id == seller:
            found.add(S.seller)
        if merchant_id == buyer:
            found.add(S.buyer)
        if reporter is not None and merchant_id == reporter:
            found.add(S.reporter)
        if reporter is not None and merchant_id != reporter and merchant_id in (seller, buyer):
            found.add(S.counterparty)
    return frozenset(found)


def grants(event: str, on_venue: bool, standing: Iterable[Standing]) -> list[Grant]:
    """The grants of the table that a caller of this standing holds for `event`."""
    cell = WHO_MAY[event]
    mine = set(standing)
    return [g for g in (cell.on_venue if on_venue else cell.off_venue) if g.who in mine]


def order_problem(
    so_far: Sequence[str], new: str, confirmed: bool, operator_confirmed: bool
) -> Text | None:
    """Why `new` may not follow the events `so_far` on a trade that is (or not) confirmed,
    and by an operator (or not), whoever asks; None when it may."""
    closed = [e for e in so_far if e in UNDONE]
    if closed:
        return Text(
            f"the trade was {closed[0]}: nothing follows", f"交易已{closed[0]},不能再追加事件"
        )
    if new == "confirmed" and operator_confirmed:
        return Text(
            "the trade is already confirmed, by an operator or by its recording",
            "交易已由运营方确认(或由其记录确认)",
        )
    if new in _ONCE and new in so_far:
        return Text(f"the trade is already {new}", f"交易已是 {new} 状态")
    if new == "refunded" and "settled" not in so_far:
        return Text("a refund follows a settlement", "退款须在结算之后")
    if new == "cancelled" and "settled" in so_far:
        return Text("a settled trade is refunded, not cancelled", "已结算的交易应退款而非取消")
    if new == "disputed" and not {"delivered", "settled"} & set(so_far):
        return Text("a dispute follows a delivery or a settlement", "争议须在交付或结算之后")
    return None


_NOT_NOW = {
    W.confirmed: Text(
        "the trade is not confirmed yet: the counterparty (or an operator) confirms it first",
        "交易尚未确认:须先由对方(或运营方)确认",
    ),
    W.unconfirmed: Text(
        "the trade is confirmed: only an operator may do this now",
        "交易已确认:现在只有运营方可以这样做",
    ),
}


def refusal(
    event: str,
    *,
    on_venue: bool,
    standing: Iterable[Standing],
    so_far: Sequence[str],
    confirmed: bool,
    operator_confirmed: bool,
) -> Refusal | None:
    """Whether a caller of this standing may append `event` now: None, or why not. Who
    first (403), then the order (409), then the table's "once confirmed" and "while
    unconfirmed" (409). `operator_confirmed` implies `confirmed`."""
    held = grants(event, on_venue, standing)
    if not held:
        return Refusal(
            True,
            Text(
                f"You may not append {event} to this trade.",
                f"您无权为该交易追加 {event} 事件。",
            ),
        )
    problem = order_problem(so_far, event, confirmed, operator_confirmed)
    if problem is None and not any(_holds(g.when, confirmed) for g in held):
        problem = _NOT_NOW[held[0].when]
    if problem is not None:
        return Refusal(False, Text(f"Not now: {problem.en}.", f"现在不行:{problem.zh}。"))
    return None


def _holds(when: When, confirmed: bool) -> bool:
    return when is W.always or (when is W.confirmed) == confirmed
