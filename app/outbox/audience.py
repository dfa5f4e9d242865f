"""Who reads which outbox event (DOMAIN.md "Events"): the mechanism, one rule per group.

An event is visible exactly to the callers who may read its noun, and shows them what the
noun's own endpoint shows. The rule of each group of `types.py` (`listing`, `trade`, …) is
an `Audience`, written by the domain whose noun it is (`app/<domain>/audience.py`) and
registered here by `app/wiring.py`, so the outbox imports no domain:

- in full, to the roles `full` and to the merchants the event names
  (`OutboxEvent.merchant_ids`, stored by the emitter: the merchants who read the noun in
  full, as each domain's audience module says);
- to anyone else only through `others`, a SQL condition the domain builds for the caller on
  the event's `subject_id` (the listing or registration is visible to it *now*, so a
  listing delisted since, or a registration withdrawn from notice, stops showing its
  events), with the `redacted` keys of `data` null; without `others`, to nobody else.

The feed applies all of it in its query (`visible_to`), so keyset paging by id stays exact.
`/v1/events` needs a key: an anonymous caller reads public nouns at their own endpoints.

Webhooks deliver the same events (app/webhooks/fanout.py): an operator's subscription
every event (operators are in every group's `full`, checked by `register`), a merchant's
the events that name its merchant, which it reads in full; so a subscription never
receives what its owner could not read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, or_, true

from app.core.principal import Principal
from app.core.roles import Role
from app.outbox.models import OutboxEvent
from app.outbox.types import EVENT_TYPES

STAFF = frozenset({Role.operator, Role.auditor})
READS_EVERYTHING = STAFF | {Role.assessor}

# A domain's condition: `who` may read the noun whose id (or number) is `subject_id`.
Others = Callable[[Principal, ColumnElement[str]], ColumnElement[bool]]


@dataclass(frozen=True)
class Audience:
    """Who reads a group's events (see the module's docstring)."""

    endpoint: str  # whose rule this is
    full: frozenset[Role]
    others: Others | None = None
    redacted: tuple[str, ...] = ()


_audiences: dict[str, Audience] = {}


def register(group: str, audience: Audience) -> None:
    """The rule for the events of `group`, once (app/wiring.py). Idempotent; a second,
    different rule for the same group is refused: one home per rule."""
    if group not in EVENT_TYPES:
        raise ValueError(f"no group of events is called {group!r} (app/outbox/types.py)")
    if Role.operator not in audience.full:
        raise ValueError(f"{group}: operators read every event; webhooks rely on it")
    if _audiences.setdefault(group, audience) != audience:
        raise ValueError(f"{group}: an audience is registered already")


def audiences() -> dict[str, Audience]:
    """Every group's audience; LookupError while a group has none (a wiring forgotten: no
    event of it could be shown, rather than shown to the wrong callers)."""
    missing = sorted(EVENT_TYPES.keys() - _audiences.keys())
    if missing:
        raise LookupError(
            f"no audience registered for {', '.join(missing)} events: call app.wiring.register()"
        )
    return dict(_audiences)


def group_of(event_type: str) -> str:
    return event_type.partition(".")[0]


def _audience_of(event: OutboxEvent) -> Audience:
    group = group_of(event.type)
    found = _audiences.get(group)
    if found is None:
        raise LookupError(f"no audience registered for {group} events: call app.wiring.register()")
    return found


def visible_to(who: Principal) -> ColumnElement[bool]:
    """The events `who` may see, as a condition of the feed's query (so that paging by id
    stays exact). One CASE on the group: each noun's condition, and its cast of
    `subject_id`, is evaluated only for that noun's events."""
    registered = audiences()
    if all(who.role in audience.full for audience in registered.values()):
        return true()  # operators and auditors: no condition at all
    conditions = {group: _condition(audience, who) for group, audience in registered.items()}
    return case(conditions, value=func.split_part(OutboxEvent.type, ".", 1), else_=false())


def _condition(audience: Audience, who: Principal) -> ColumnElement[bool]:
    if who.role in audience.full:
        return true()
    seen: list[ColumnElement[bool]] = []
    if who.role is Role.merchant and who.merchant_id is not None:
        seen.append(OutboxEvent.merchant_ids.contains([who.merchant_id]))
    if audience.others is not None:
        seen.append(audience.others(who, OutboxEvent.subject_id.expression))
    return or_(*seen) if seen else false()


def reads_in_full(who: Principal, event: OutboxEvent) -> bool:
    audience = _audience_of(event)
    return who.role in audience.full or (
        who.role is Role.merchant and who.merchant_id in event.merchant_ids
    )


def shown(who: Principal, event: OutboxEvent) -> dict[str, Any]:
    """The event's `data` as `who` may read it (an event `visible_to` it)."""
    if reads_in_full(who, event):
        return event.data
    redacted = _audience_of(event).redacted
    return {key: None if key in redacted else value for key, value in event.data.items()}
