"""The data IP registration (数据知识产权登记) state machine, as data.

    submitted ──examine──▶ publicizing ──grant──▶ registered ──revoke──▶ revoked
        │                   │      ▲                  │ ├──cancel──▶ cancelled
        │          objection│      │dismiss (last)    │ ├──(valid_until passes)──▶ expired
        │                   ▼      │                  │ └──(product made core)──▶ suspended
        └──reject──▶ rejected ◀─uphold/reject── objected      ──reinstate──▶ registered
                                                      └─ renew, change, transfer, license,
                                                         pledge, confirm, withdraw, consent,
                                                         release: stay registered

A `suspended` registration (its product was reclassified core data) admits no licence,
transfer, renewal, pledge or confirmation; its pledges may still be withdrawn, consented
to and released, the holder may cancel it, the operator revoke or `reinstate` it.

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
    suspended = "suspended"


class PledgeStatus(StrEnum):
    """applied ──confirm──▶ in_force ──release──▶ released; applied ──withdraw──▶ withdrawn."""

    applied = "applied"
    in_force = "in_force"
    withdrawn = "withdrawn"
    released = "released"


# Visible to anyone: under public notice (公示) or with a certificate issued.
PUBLIC = frozenset(
    {
        IpStatus.publicizing,
        IpStatus.objected,
        IpStatus.registered,
        IpStatus.revoked,
        IpStatus.expired,
        IpStatus.cancelled,
        IpStatus.suspended,
    }
)


class Party(StrEnum):
    operator = "operator"
    holder = "holder"
    # A merchant an open (applied or in force) pledge names (`pledgee_merchant_id`): it may
    # confirm that pledge while applied, and release it once in force.
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
    confirm = "confirm"
    withdraw = "withdraw"
    consent = "consent"
    release = "release"
    cancel = "cancel"
    revoke = "revoke"
    expire = "expire"
    suspend = "suspend"
    reinstate = "reinstate"


@dataclass(frozen=True)
class Step:
    leaves: frozenset[IpStatus]
    reaches: IpStatus | None  # None: the registration stays where it is
    by: frozenset[Party]


S = IpStatus
P = Party
_REGISTERED = frozenset({S.registered})
_HELD = frozenset({S.registered, S.suspended})  # a certificate issued and not ended
OPERATOR = frozenset({P.operator})
HOLDER = frozenset({P.operator, P.holder})
# Objections come from the market: never the holder itself, nor the exchange's own auditors
# and assessors (they are no party).
OBJECTORS = frozenset({P.operator, P.other_merchant})
# The registry records the pledgee's release: the operator, or the pledgee's own key. Never
# the holder alone, who would otherwise free the certificate to be transferred.
RELEASERS = frozenset({P.operator, P.pledgee})
# A pledge is registered when both sides act (质押登记 is applied for jointly): the holder
# applies, the pledgee's key or the registry (the operator, having seen the contract) confirms.
CONFIRMERS = RELEASERS
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
    Action.confirm: Step(_REGISTERED, None, CONFIRMERS),
    Action.withdraw: Step(_HELD, None, HOLDER),
    Action.consent: Step(_HELD, None, OPERATOR),
    Action.release: Step(_HELD, None, RELEASERS),
    Action.cancel: Step(_HELD, S.cancelled, HOLDER),
    Action.revoke: Step(_HELD, S.revoked, OPERATOR),
    Action.reinstate: Step(frozenset({S.suspended}), S.registered, OPERATOR),
}
# `expire` and `suspend` are the system's own steps (a date passing, a product made core
# data): no caller takes them, so they have no entry here.


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
