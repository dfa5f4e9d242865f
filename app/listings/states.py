"""The listing (挂牌) state machine, as data.

    draft ──submit──▶ submitted ──approve──▶ listed ◀──resume── suspended
                          │                    │ └──suspend──▶ ┘   │
                          └─reject─▶ rejected  └────delist──▶ delisted ◀──delist──┘

Each step names the states it leaves, the state it reaches, who may take it (operators
always; the product's merchant for some), whether it needs a reason, and whether the
listing gates (DOMAIN.md, Listing) are checked.
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
    Action.resume: Step(frozenset({S.suspended}), S.listed, False, False, False),
    Action.delist: Step(frozenset({S.listed, S.suspended}), S.delisted, True, True, False),
}


def allowed_from(status: ListingStatus) -> list[str]:
    """The actions a listing in `status` may take."""
    return [action.value for action, step in STEPS.items() if status in step.leaves]
