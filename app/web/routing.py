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
document are FastAPI's own. The FastAPI and Starlette internals this takes (included
routers, the route path) come from app/web/_fastapi_compat.py: a FastAPI without them
leaves every router unguarded, slower and as correct.
"""

from __future__ import annotations

import os
from functools import partial

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app.web._fastapi_compat import Matcher, included_routers, route_path, routes_of, wrap_matches


def skip_by_prefix(app: FastAPI) -> None:
    """Guard each router included in `app` by the static prefix its routes share, as its
    routes are now: call it once every router is included and has all its routes
    (`create_app` does, last)."""
    for included in included_routers(app):  # none if FastAPI changed them: unguarded then
        prefix = static_prefix(routes_of(included))
        if prefix not in ("", "/"):
            wrap_matches(included, partial(_guarded, prefix=prefix))


def static_prefix(routes: list[BaseRoute]) -> str:
    """The longest start every route's path shares before its first parameter."""
    starts = [getattr(route, "path", "").split("{", 1)[0] for route in routes]
    # By character, not by segment: `/v1/products` is the start of `/v1/products/{id}`.
    return os.path.commonprefix(starts) if starts else ""  # noqa: RUF071


def _guarded(matches: Matcher, prefix: str) -> Matcher:
    def guarded(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket") or route_path(scope).startswith(prefix):
            return matches(scope)
        return Match.NONE, {}

    return guarded
