"""The role table and the order of trade events (app/trades/rules.py), pure."""

from __future__ import annotations

import itertools
import uuid

import pytest

from app.trades.rules import WHO_MAY, Standing, refusal, standings

S = Standing
SELLER, BUYER, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
EVENTS = list(WHO_MAY)

# DOMAIN.md's table, transcribed cell by cell: (event, on-venue?) → {standing: condition},
# condition "" (always), "confirmed" (only once confirmed) or "unconfirmed" (only before).
DOMAIN = {
    ("confirmed", True): {S.operator: ""},  # "–": the operator is told 409 (already confirmed)
    ("confirmed", False): {S.counterparty: "", S.operator: ""},
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
    for standing, confirmed in itertools.product(S, (True, False)):
        if on_venue and (not confirmed or standing in (S.reporter, S.counterparty)):
            continue  # on-venue trades are confirmed and reported by no one
        refused = refusal(
            event, on_venue=on_venue, standing={standing}, so_far=so_far, confirmed=confirmed
        )
        case = (event, on_venue, standing, confirmed, refused)
        if standing not in cell:
            assert refused is not None and refused.forbidden, case
            continue
        condition = cell[standing]
        already = event == "confirmed" and confirmed
        holds = not condition or (condition == "confirmed") == confirmed
        if holds and not already:
            assert refused is None, case
        else:
            assert refused is not None and not refused.forbidden, case


def test_operators_are_refused_only_by_the_trades_state() -> None:
    for event, on_venue, confirmed in itertools.product(EVENTS, (True, False), (True, False)):
        for so_far in ([], ["cancelled"], ["settled"], ["confirmed", "delivered"]):
            refused = refusal(
                event, on_venue=on_venue, standing={S.operator}, so_far=so_far, confirmed=confirmed
            )
            assert refused is None or not refused.forbidden


def test_no_standing_no_event() -> None:
    for event, on_venue in itertools.product(EVENTS, (True, False)):
        refused = refusal(event, on_venue=on_venue, standing=set(), so_far=[], confirmed=False)
        assert refused is not None and refused.forbidden


@pytest.mark.parametrize(
    ("so_far", "event", "confirmed", "allowed"),
    [
        ([], "confirmed", False, True),
        (["confirmed"], "confirmed", True, False),  # once only
        ([], "confirmed", True, False),  # confirmed by its recording
        (["cancelled"], "confirmed", False, False),  # nothing follows a cancellation
        (["settled"], "confirmed", False, True),  # an operator settled it first
        (["settled", "refunded"], "confirmed", False, False),
        ([], "refunded", True, False),
        (["settled"], "cancelled", True, False),
        (["delivered"], "delivered", True, False),
        ([], "disputed", True, False),
        (["settled"], "disputed", True, True),
    ],
)
def test_order(so_far: list[str], event: str, confirmed: bool, allowed: bool) -> None:
    refused = refusal(
        event, on_venue=False, standing={S.operator}, so_far=so_far, confirmed=confirmed
    )
    assert (refused is None) is allowed, refused


def test_a_seller_that_reported_is_held_to_both_standings() -> None:
    """The reporter is the seller too: it may cancel while unconfirmed (as reporter), and
    deliver only once confirmed (as seller)."""
    mine = {S.seller, S.reporter}
    assert refusal("cancelled", on_venue=False, standing=mine, so_far=[], confirmed=False) is None
    not_now = refusal("cancelled", on_venue=False, standing=mine, so_far=[], confirmed=True)
    assert not_now is not None and not not_now.forbidden
    early = refusal("delivered", on_venue=False, standing=mine, so_far=[], confirmed=False)
    assert early is not None and not early.forbidden
    own = refusal("confirmed", on_venue=False, standing=mine, so_far=[], confirmed=False)
    assert own is not None and own.forbidden
