"""The role table and the order of trade events (app/trades/rules.py), pure."""

from __future__ import annotations

import itertools
import uuid

import pytest

from app.trades.rules import WHO_MAY, Refusal, Standing, refusal, standings

S = Standing
SELLER, BUYER, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
EVENTS = list(WHO_MAY)
# (confirmed, operator-confirmed): unconfirmed, confirmed by the counterparty only, by an
# operator (or its recording: every on-venue trade).
STATES = [(False, False), (True, False), (True, True)]

# DOMAIN.md's table, transcribed cell by cell: (event, on-venue?) → {standing: condition},
# condition "" (always), "confirmed" (only once confirmed) or "unconfirmed" (only before).
# Nobody confirms a trade an operator recorded or confirmed (409, "already confirmed").
DOMAIN = {
    ("confirmed", True): {S.operator: ""},  # "–": the operator is told 409 (already confirmed)
    ("confirmed", False): {S.counterparty: "unconfirmed", S.operator: ""},
    ("delivered", True): {S.seller: "", S.operator: ""},
    ("delivered", False): {S.seller: "confirmed", S.operator: ""},
    ("disputed", True): {S.buyer: "", S.seller: "", S.operator: ""},
    ("disputed", False): {S.buyer: "confirmed", S.seller: "confirmed", S.operator: ""},
    ("settled", True): {S.operator: ""},
    ("settled", False): {S.seller: "confirmed", S.operator: ""},
    ("refunded", True): {S.operator: ""},
    ("refunded", False): {S.seller: "", S.operator: ""},
    ("cancelled", True): {S.operator: ""},
    ("cancelled", False): {S.reporter: "unconfirmed", S.operator: ""},
}


def test_standings() -> None:
    def of(
        merchant: uuid.UUID | None, reporter: uuid.UUID | None, operator: bool = False
    ) -> set[S]:
        return set(
            standings(
                is_operator=operator,
                merchant_id=merchant,
                seller=SELLER,
                buyer=BUYER,
                reporter=reporter,
            )
        )

    assert of(SELLER, SELLER) == {S.seller, S.reporter}
    assert of(BUYER, SELLER) == {S.buyer, S.counterparty}
    assert of(SELLER, None) == {S.seller}  # an operator recorded it: no reporter
    assert of(BUYER, None) == {S.buyer}
    assert of(OTHER, SELLER) == set()
    assert of(None, SELLER) == set()  # an auditor or assessor
    assert of(None, SELLER, operator=True) == {S.operator}


@pytest.mark.parametrize(("event", "on_venue"), list(DOMAIN))
def test_every_cell_is_domains(event: str, on_venue: bool) -> None:
    """For each standing alone, in a state where the order allows the event: allowed when
    the table says so and its condition holds; 409 when only the condition fails; else 403."""
    cell = DOMAIN[(event, on_venue)]
    # Events before `event` that make it legal in order (refunds follow a settlement,
    # disputes a delivery).
    so_far = {"refunded": ["settled"], "disputed": ["delivered"]}.get(event, [])
    for standing, (confirmed, by_operator) in itertools.product(S, STATES):
        if on_venue and (not by_operator or standing in (S.reporter, S.counterparty)):
            continue  # on-venue trades are confirmed by an operator and reported by no one
        refused = refusal(
            event,
            on_venue=on_venue,
            standing={standing},
            so_far=so_far,
            confirmed=confirmed,
            operator_confirmed=by_operator,
        )
        case = (event, on_venue, standing, confirmed, by_operator, refused)
        if standing not in cell:
            assert refused is not None and refused.forbidden, case
            continue
        condition = cell[standing]
        already = event == "confirmed" and by_operator
        holds = not condition or (condition == "confirmed") == confirmed
        if holds and not already:
            assert refused is None, case
        else:
            assert refused is not None and not refused.forbidden, case


def test_operators_are_refused_only_by_the_trades_state() -> None:
    for event, on_venue, state in itertools.product(EVENTS, (True, False), STATES):
        for so_far in ([], ["cancelled"], ["settled"], ["confirmed", "delivered"]):
            refused = refusal(
                event,
                on_venue=on_venue,
                standing={S.operator},
                so_far=so_far,
                confirmed=state[0],
                operator_confirmed=state[1],
            )
            assert refused is None or not refused.forbidden


def test_no_standing_no_event() -> None:
    for event, on_venue in itertools.product(EVENTS, (True, False)):
        refused = refusal(
            event,
            on_venue=on_venue,
            standing=set(),
            so_far=[],
            confirmed=False,
            operator_confirmed=False,
        )
        assert refused is not None and refused.forbidden


@pytest.mark.parametrize(
    ("so_far", "event", "state", "allowed"),
    [
        ([], "confirmed", (False, False), True),
        (["confirmed"], "confirmed", (True, True), False),  # an operator's: once only
        ([], "confirmed", (True, True), False),  # confirmed by its recording
        # The counterparty confirmed it (settled too): an operator may still, and then not.
        (["confirmed"], "confirmed", (True, False), True),
        (["confirmed", "settled"], "confirmed", (True, False), True),
        (["confirmed", "settled", "confirmed"], "confirmed", (True, True), False),
        (["cancelled"], "confirmed", (False, False), False),  # nothing follows a cancellation
        (["settled"], "confirmed", (False, False), True),  # an operator settled it first
        (["settled", "refunded"], "confirmed", (False, False), False),
        ([], "refunded", (True, True), False),
        (["settled"], "cancelled", (True, True), False),
        (["delivered"], "delivered", (True, True), False),
        ([], "disputed", (True, True), False),
        (["settled"], "disputed", (True, True), True),
    ],
)
def test_order(so_far: list[str], event: str, state: tuple[bool, bool], allowed: bool) -> None:
    refused = refusal(
        event,
        on_venue=False,
        standing={S.operator},
        so_far=so_far,
        confirmed=state[0],
        operator_confirmed=state[1],
    )
    assert (refused is None) is allowed, refused


def test_a_counterparty_confirms_once_and_only_before_anyone_else() -> None:
    for state in ((True, False), (True, True)):
        again = refusal(
            "confirmed",
            on_venue=False,
            standing={S.buyer, S.counterparty},
            so_far=["confirmed"],
            confirmed=state[0],
            operator_confirmed=state[1],
        )
        assert again is not None and not again.forbidden


def test_a_seller_that_reported_is_held_to_both_standings() -> None:
    """The reporter is the seller too: it may cancel while unconfirmed (as reporter), and
    deliver only once confirmed (as seller)."""
    mine = {S.seller, S.reporter}

    def mine_now(event: str, confirmed: bool) -> Refusal | None:
        return refusal(
            event,
            on_venue=False,
            standing=mine,
            so_far=[],
            confirmed=confirmed,
            operator_confirmed=False,
        )

    assert mine_now("cancelled", False) is None
    not_now = mine_now("cancelled", True)
    assert not_now is not None and not not_now.forbidden
    early = mine_now("delivered", False)
    assert early is not None and not early.forbidden
    own = mine_now("confirmed", False)
    assert own is not None and own.forbidden
