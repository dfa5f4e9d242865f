"""The listing (挂牌) state machine, as data.

    draft ──submit──▶ submitted ──approve──▶ listed ◀──resume── suspended
                          │                    │ └──suspend──▶ ┘   │
                          └─reject─▶ rejected  └────delist──▶ delisted ◀──delist──┘

Each step names the states it leaves, the state it reaches, who may take it (operators
always; the product's merchant for some), whether it needs a reason, and whether the
listing gates (DOMAIN.md, Listing) are checked. Every step that reaches `listed` checks
them, against the product's current revision: a listing keeps its gates for life.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ListingStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    listed = "listed"
    suspended = "suspended"
    delisted = "delisted"
    rejected = "rejected"


# A listing in one of these occupies its (product, venue): a second is refused.
LIVE = frozenset(
    {ListingStatus.draft, ListingStatus.submitted, ListingStatus.listed, ListingStatus.suspended}
)


class Action(StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    suspend = "suspend"
    resume = "resume"
    delist = "delist"


@dataclass(frozen=True)
class Step:
    leaves: frozenset[ListingStatus]
    reaches: ListingStatus
    merchant_may: bool
    needs_reason: bool
    checks_gates: bool


S = ListingStatus
STEPS: dict[Action, Step] = {
    Action.submit: Step(frozenset({S.draft}), S.submitted, True, False, True),
    Action.approve: Step(frozenset({S.submitted}), S.listed, False, False, True),
    Action.reject: Step(frozenset({S.submitted}), S.rejected, False, True, False),
    Action.suspend: Step(frozenset({S.listed}), S.suspended, False, True, False),
    Action.resume: Step(frozenset({S.suspended}), S.listed, False, False, True),
    Action.delist: Step(frozenset({S.listed, S.suspended}), S.delisted, True, True, False),
}


class Caller(StrEnum):
    """Who asks, as the state machine sees it."""

    operator = "operator"
    owner = "owner"  # a key of the listing's own merchant
    other = "other"  # anyone else: other merchants, assessors, auditors, anonymous


def may_take(step: Step, caller: Caller) -> bool:
    return caller is Caller.operator or (caller is Caller.owner and step.merchant_may)


def allowed_for(status: ListingStatus, caller: Caller) -> list[str]:
    """The steps `caller` may take on a listing in `status` (`allowed_actions`): all of the
    state's for an operator, the merchant's own for the owner, none for anyone else."""
    return [
        action.value
        for action, step in STEPS.items()
        if status in step.leaves and may_take(step, caller)
    ]
