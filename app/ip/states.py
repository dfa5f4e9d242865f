"""The data IP registration (数据知识产权登记) state machine, as data.

    submitted ──examine──▶ publicizing ──grant──▶ registered ──revoke──▶ revoked
        │                   │      ▲                  │ ├──cancel──▶ cancelled
        │          objection│      │dismiss (last)    │ └──(valid_until passes)──▶ expired
        │                   ▼      │                  │
        └──reject──▶ rejected ◀─uphold/reject── objected
                                                      └─ renew, change, transfer, license,
                                                         pledge, release: stay registered

Each action names the states it leaves, the state it reaches (None: it stays), and who may
take it: the operator, the holder (a merchant key of the holding merchant; the operator
too), or anyone authenticated (objections).
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


class Who(StrEnum):
    operator = "operator"
    holder = "holder"
    anyone = "anyone"


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
    who: Who


S = IpStatus
_REGISTERED = frozenset({S.registered})
STEPS: dict[Action, Step] = {
    Action.examine: Step(frozenset({S.submitted}), S.publicizing, Who.operator),
    Action.reject: Step(frozenset({S.submitted, S.objected}), S.rejected, Who.operator),
    Action.object: Step(frozenset({S.publicizing, S.objected}), S.objected, Who.anyone),
    Action.uphold: Step(frozenset({S.objected}), S.rejected, Who.operator),
    Action.dismiss: Step(frozenset({S.objected}), None, Who.operator),
    Action.grant: Step(frozenset({S.publicizing}), S.registered, Who.operator),
    Action.renew: Step(_REGISTERED, None, Who.holder),
    Action.change: Step(_REGISTERED, None, Who.holder),
    Action.transfer: Step(_REGISTERED, None, Who.holder),
    Action.license: Step(_REGISTERED, None, Who.holder),
    Action.pledge: Step(_REGISTERED, None, Who.holder),
    Action.release: Step(_REGISTERED, None, Who.holder),
    Action.cancel: Step(_REGISTERED, S.cancelled, Who.holder),
    Action.revoke: Step(_REGISTERED, S.revoked, Who.operator),
}


def allowed_from(status: IpStatus) -> list[str]:
    """The actions a registration in `status` may take."""
    return [action.value for action, step in STEPS.items() if status in step.leaves]
