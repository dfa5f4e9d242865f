"""Refused writes in the audit trail: a mutating request answered 401, 403 or 409.

The change itself rolled back, so the attempt is written afterwards in a transaction of its
own, with the actor (when its key was recognised), the route, the status and the reason an
auditor can read. Wherever a problem is rendered (the error handlers, the trade lane) it is
remembered on the request's scope (`app.core.errors.remember`); the request-context middleware,
which sees the final status of every request, calls `record` once the response has gone
out, so the caller never waits for it.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import Scope

from app.audit.models import AuditEvent
from app.audit.service import event
from app.core.db import unit_of_work
from app.core.errors import ShushangError, answered_problem

logger = logging.getLogger("shushang.audit")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDITED = frozenset({401, 403, 409})


def refused_event(scope: Scope, error: ShushangError) -> AuditEvent:
    """The audit event of a refused request: who, which route and resource, why."""
    route = getattr(scope.get("route"), "path", None) or scope.get("path", "")
    parts = [p for p in str(route).split("/") if p and p != "v1"]
    params: dict[str, Any] = scope.get("path_params") or {}
    resource_id = next(iter(params.values()), "") if params else ""
    details: dict[str, Any] = {
        "status": error.status,
        "problem": error.type_uri(),
        "reason": error.detail.en,
        "method": scope.get("method"),
        "path": str(scope.get("path", ""))[:512],
    }
    for name in ("missing", "current_status", "allowed_actions"):
        if name in error.extensions:
            details[name] = error.extensions[name]
    added = event(
        scope.get("state", {}).get("principal"),
        f"{scope.get('method')} {route}"[:64],
        (parts[0] if parts else "unknown")[:32],
        str(resource_id)[:64],
        details,
    )
    added.outcome = "refused"
    return added


async def record(scope: Scope, status: int) -> None:
    """Write the audit event of a refused write, if the request was one. Never raises: the
    trail of an attempt is not worth a failure of its own (the database may be away)."""
    if status not in AUDITED or scope.get("method") not in MUTATING:
        return
    error = answered_problem(scope)
    if error is None or error.status != status:
        return
    app = scope.get("app")
    factory = getattr(getattr(app, "state", None), "sessionmaker", None)
    if factory is None:
        return
    try:
        async with unit_of_work(factory) as session:
            session.add(refused_event(scope, error))
    except Exception:
        logger.warning("could not record a refused request", exc_info=True)
