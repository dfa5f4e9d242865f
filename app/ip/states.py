"""The data IP registration (数据知识产权登记) state machine, as data.

    submitted ──examine──▶ publicizing ──grant──▶ registered ──revoke──▶ revoked
        │                   │      ▲                  │ ├──cancel──▶ cancelled
        │          objection│      │dismiss (last)    │ └──(valid_until passes)──▶ expired
        │                   ▼      │                  │
        └──reject──▶ rejected ◀─uphold/reject── objected
                                                      └─ renew, change, transfer, license,
                                                         pledge, release: stay registered

Each action names the states it leaves, the state it reaches (None: it stays), and the
parties who may take it (DOMAIN.md, "Who may do what, under hostile use"). A caller is a
party by its key: an operator key; a merchant key of the holder; of the pledgee a pledge
names; or of any other merchant. Auditors, assessors and anonymous callers are no party:
they take no step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IpStatus(StrEnum):
    submitted = "submitted"
    publicizing = "publicizing"
    objected = "objected"
    rejected = "rejected"
    registered = "registered"
    revoked = "revoked"
    expired = "expired"
    cancelled = "cancelled"


# Visible to anyone: under public notice (公示) or with a certificate issued.
PUBLIC = frozenset(
    {
        IpStatus.publicizing,
        IpStatus.objected,
        IpStatus.registered,
        IpStatus.revoked,
        IpStatus.expired,
        IpStatus.cancelled,
    }
)


class Party(StrEnum):
    operator = "operator"
    holder = "holder"
    # A merchant an unreleased pledge names (`pledgee_merchant_id`): it may release that pledge.
    pledgee = "pledgee"
    # A merchant key of a merchant that is not the holder (a pledgee is one too).
    other_merchant = "other_merchant"


class Action(StrEnum):
    submit = "submit"
    examine = "examine"
    reject = "reject"
    object = "object"
    uphold = "uphold"
    dismiss = "dismiss"
    grant = "grant"
    renew = "renew"
    change = "change"
    transfer = "transfer"
    license = "license"
    pledge = "pledge"
    release = "release"
    cancel = "cancel"
    revoke = "revoke"
    expire = "expire"


@dataclass(frozen=True)
class Step:
    leaves: frozenset[IpStatus]
    reaches: IpStatus | None  # None: the registration stays where it is
    by: frozenset[Party]


S = IpStatus
P = Party
_REGISTERED = frozenset({S.registered})
OPERATOR = frozenset({P.operator})
HOLDER = frozenset({P.operator, P.holder})
# Objections come from the market: never the holder itself, nor the exchange's own auditors
# and assessors (they are no party).
OBJECTORS = frozenset({P.operator, P.other_merchant})
# The registry records the pledgee's release: the operator, or the pledgee's own key. Never
# the holder alone, who would otherwise free the certificate to be transferred.
RELEASERS = frozenset({P.operator, P.pledgee})
STEPS: dict[Action, Step] = {
    Action.examine: Step(frozenset({S.submitted}), S.publicizing, OPERATOR),
    Action.reject: Step(frozenset({S.submitted, S.objected}), S.rejected, OPERATOR),
    Action.object: Step(frozenset({S.publicizing, S.objected}), S.objected, OBJECTORS),
    Action.uphold: Step(frozenset({S.objected}), S.rejected, OPERATOR),
    Action.dismiss: Step(frozenset({S.objected}), None, OPERATOR),
    Action.grant: Step(frozenset({S.publicizing}), S.registered, OPERATOR),
    Action.renew: Step(_REGISTERED, None, HOLDER),
    Action.change: Step(_REGISTERED, None, HOLDER),
    Action.transfer: Step(_REGISTERED, None, HOLDER),
    Action.license: Step(_REGISTERED, None, HOLDER),
    Action.pledge: Step(_REGISTERED, None, HOLDER),
    Action.release: Step(_REGISTERED, None, RELEASERS),
    Action.cancel: Step(_REGISTERED, S.cancelled, HOLDER),
    Action.revoke: Step(_REGISTERED, S.revoked, OPERATOR),
}


def allowed_from(status: IpStatus, parties: frozenset[Party]) -> list[str]:
    """The actions a registration in `status` admits from a caller who is `parties`."""
    return [
        action.value
        for action, step in STEPS.items()
        if status in step.leaves and parties & step.by
    ]


def who_may(action: Action) -> tuple[str, str]:
    """Who may take `action`, in words (English, Chinese), for a 403's detail."""
    by = STEPS[action].by
    names = {
        P.operator: ("an operator", "运营方"),
        P.holder: ("the holder", "权利人"),
        P.pledgee: ("the pledgee named by the pledge", "质押登记载明的质权人"),
        P.other_merchant: ("a merchant other than the holder", "权利人以外的数商"),
    }
    # The operator last: "the holder or an operator".
    ordered = [names[p] for p in (P.holder, P.pledgee, P.other_merchant, P.operator) if p in by]
    return " or ".join(en for en, _ in ordered), "或".join(zh for _, zh in ordered)
