"""Routing: each included router is asked only about the paths it can hold.

FastAPI (0.16x) matches a request against the app's included routers one after the other,
and each router against every one of its routes, with its own bookkeeping in the scope
around each route's regular expression; the router that matches then matches again to
handle the request. A request for a router included late (the ledger's, the webhooks')
paid for some eighty routes first: profiled, 31 % of an inclusion proof's server time
(docs/performance.md, "Profiles of 2026-11-30").

`skip_by_prefix` gives every included router the part of the path that all its routes
begin with (`/v1/ledgers/`, `/v1/products`, …, up to the first path parameter) and answers
"no match" at once for a path that does not begin with it: no route of that router could
have matched it, so which route handles a request, and every 404 and 405, stay as they
were. Only the order of the work changes; the routers, their routes and the OpenAPI
document are FastAPI's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def skip_by_prefix(app: FastAPI) -> None:
    """Guard each router included in `app` by the static prefix its routes share, as its
    routes are now: call it once every router is included and has all its routes
    (`create_app` does, last)."""
    for included in app.router.routes:
        if isinstance(included, _IncludedRouter):
            prefix = static_prefix(included.original_router.routes)
            if prefix not in ("", "/"):
                included.matches = _guarded(included.matches, prefix)  # type: ignore[method-assign,assignment]


def static_prefix(routes: list[BaseRoute]) -> str:
    """The longest start every route's path shares before its first parameter."""
    starts = [getattr(route, "path", "").split("{", 1)[0] for route in routes]
    # By character, not by segment: `/v1/products` is the start of `/v1/products/{id}`.
    return os.path.commonprefix(starts) if starts else ""  # noqa: RUF071


def _guarded(
    matches: Callable[[Scope], tuple[Match, Scope]], prefix: str
) -> Callable[[Scope], tuple[Match, Scope]]:
    def guarded(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket") or get_route_path(scope).startswith(prefix):
            return matches(scope)
        return Match.NONE, {}

    return guarded
