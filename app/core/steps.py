"""The step template of the exchange's state machines (listings, IP registrations).

A service taking a step on a row it has already locked (`SELECT … FOR UPDATE`, 404 when the
caller does not see it) refuses, in this order and changing nothing:
- 403 when the caller is no party that may take the step (`refused` says who may);
- 412 when `If-Match` names another version than the row's;
- 409 when the row's current state does not admit the step, naming the state and the steps
  the caller may take instead ("…; it may: publish, withdraw.", and `allowed_actions`).

Each machine keeps its own parties, states and wording; this is the one home of the order
and of the 409's shape."""

from __future__ import annotations

from collections.abc import Callable, Container
from enum import StrEnum

from app.core.errors import Conflict, Forbidden
from app.core.etags import check_if_match
from app.core.i18n import Text

IT_MAY = Text("it may", "可执行")
YOU_MAY = Text("you may", "您可执行")


def check_step(
    *,
    may: bool,
    refused: Text,
    if_match: str | None,
    version: int,
    current: StrEnum,
    leaves: Container[StrEnum],
    action: str,
    thing: Text,
    allowed: Callable[[], list[str]],
    you_may: Text = IT_MAY,
    note: str = "",
) -> None:
    """Refuse the step `action` on a locked row of version `version` in state `current`:
    403 (`refused`) unless the caller `may`; 412 on a stale `if_match`; 409 unless `current`
    is among the step's `leaves`, saying `A {current} {thing} cannot {action}{note};
    {you_may}: {allowed()}` (`allowed` is asked only then)."""
    if not may:
        raise Forbidden(refused)
    check_if_match(if_match, version)
    if current not in leaves:
        steps = allowed()
        raise Conflict(
            Text(
                f"A {current.value} {thing.en} cannot {action}{note}; {you_may.en}: "
                f"{', '.join(steps) or 'nothing more'}.",
                f"处于 {current.value} 状态的{thing.zh}不能执行 {action};{you_may.zh}:"
                f"{'、'.join(steps) or '无'}。",
            ),
            current_status=current.value,
            allowed_actions=steps,
        )
