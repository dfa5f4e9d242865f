"""Every private FastAPI and Starlette access of Shushang, each behind an import guard.

Nothing else in app/, sdk/ or bench/ imports a `_name` from fastapi or starlette, reads a
scope key FastAPI keeps for itself, or patches a framework object: it asks this module.
Each access is tried once, at import. One that is gone leaves its flag False and its
public fallback is used, so an upgrade that removes an internal makes Shushang slower (or,
for 4, more lenient), never wrong. `tests/web/test_fastapi_compat.py` fails on such an
upgrade, naming what went, and runs every fallback. pyproject.toml pins FastAPI to the
range checked below: widen it only after checking the new versions here.

Checked: FastAPI 0.165.0 (the lock's, with its Starlette 1.10.0: tests/web and the routing,
replica, HTTP, conditional-read, idempotency and OpenAPI tests), 0.137.0
(the range's lower bound: every access resolves, and tests/web, tests/test_routing.py,
test_replica.py and test_http.py pass with the locked Starlette), and the sources of
0.138.0, 0.139.0, 0.139.2, 0.140.0, 0.150.0, 0.155.0, 0.160.0, 0.162.0, 0.163.0 and
0.164.0 (each has what 1, 3 and 4 use). 0.136 and older lack 1 (on 0.136.0 the app runs
on fallback 1: test_replica.py and test_http.py pass, and tests/web names what is
missing); 0.120 and older lack 3 (and `Depends(scope=...)`).

1. `fastapi.routing._IncludedRouter`, its `original_router` and its `matches`
   (FastAPI >= 0.137; before, `include_router` copied every route into the app's router).
   Why: `app/web/routing.py` guards each included router's `matches` by the static prefix its
   routes share, so that a request is not matched against the eighty routes of routers it
   cannot belong to (31 % of an inclusion proof's server time, docs/performance.md).
   Fallback: no guard; every router is asked, as FastAPI does: slower, the same answers.
2. `starlette._utils.get_route_path`: the scope's path below its `root_path`, the path
   Starlette's routes match. Why: the prefix guard must look at what the routes look at.
   Fallback: the same rule, written here from the ASGI scope's public `path` and
   `root_path`.
3. The scope key `fastapi_function_astack` (FastAPI >= 0.121, with
   `Depends(scope="function")`): the exit stack FastAPI closes right after the endpoint,
   before the response is sent, where function-scoped dependencies end (the commit of
   `app.web.deps.get_session`). Why: the read sessions (`app.web.deps.get_read_session`) are plain
   functions, cheaper than generator dependencies, and close a replica's session on it;
   `ReplicaAwareRoute` gives each try a stack of its own, so a failed try gives back its
   connections before the retry. Guard: `solve_dependencies` still names the key.
   Fallback: the route's own stack for each try, on `request.state` (public), inside
   FastAPI's: a read session still closes after the endpoint and before the commit; a
   failed try's primary session is held until the request ends (one more connection
   during a retry). A read session outside a `ReplicaAwareRoute` is then a RuntimeError
   saying so (tests/test_replica.py checks every reading route is one).
4. `APIRoute.dependant` with `Dependant.query_params` and `.dependencies`
   (`fastapi.dependencies.models`, undocumented). Why: `app.web.deps.known_query_parameters`
   refuses the query parameters a route does not take. Fallback: the query parameters of
   the route's OpenAPI operation (`fastapi.openapi.utils.get_openapi`, public); a route
   left out of the schema is not checked (FastAPI's own way: unknown ones are ignored).

Public, so not here: `scope["route"]` (set by Starlette's router and by FastAPI's routes,
read by the middleware and the audit log), `Depends(scope="function")`, `request.state`,
and overriding `APIRoute.get_route_handler` (FastAPI's documented way to a custom route
class: app/core/commit.py, app/web/replica.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import fastapi
import starlette
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]

# 1. Included routers.
_included_class: type[BaseRoute] | None
try:
    from fastapi.routing import _IncludedRouter as _imported_router

    _imported_router.matches  # noqa: B018 - the guard: the method we wrap
    _imported_router.__dataclass_fields__["original_router"]
    _included_class = _imported_router
except (ImportError, AttributeError, KeyError):
    _included_class = None
INCLUDED_ROUTER = _included_class is not None

# 2. The path the routes match.
_get_route_path: Callable[[Scope], str] | None
try:
    from starlette._utils import get_route_path as _imported_path

    _get_route_path = _imported_path
except ImportError:
    _get_route_path = None
ROUTE_PATH = _get_route_path is not None

# 3. The function-scoped exit stack.
FUNCTION_STACK_KEY = "fastapi_function_astack"
try:
    from fastapi.dependencies.utils import solve_dependencies

    FUNCTION_STACK = FUNCTION_STACK_KEY in solve_dependencies.__code__.co_consts
except (ImportError, AttributeError):
    FUNCTION_STACK = False
_OWN_STACK = "function_stack"  # on `request.state`, in the fallback
_MISSING = object()

# 4. A route's dependency tree.
try:
    from fastapi.dependencies.models import Dependant

    DEPENDANT = {"query_params", "dependencies"} <= {f.name for f in dataclasses.fields(Dependant)}
except (ImportError, TypeError):
    DEPENDANT = False


@dataclass(frozen=True)
class Access:
    """One private access, whether this FastAPI has it, and what runs when it does not."""

    framework: str
    version: str
    name: str
    available: bool
    fallback: str

    def missing(self) -> str:
        return (
            f"{self.framework} {self.version} removed {self.name} "
            f"(fallback in use: {self.fallback}): update app/web/_fastapi_compat.py "
            "and the FastAPI range in pyproject.toml"
        )


def accesses() -> list[Access]:
    """Each private access of the docstring's list, as resolved now."""
    fa, st = ("FastAPI", fastapi.__version__), ("Starlette", starlette.__version__)
    return [
        Access(
            *fa,
            "fastapi.routing._IncludedRouter.matches",
            INCLUDED_ROUTER,
            "routers are not guarded by prefix",
        ),
        Access(*st, "starlette._utils.get_route_path", ROUTE_PATH, "the route path computed here"),
        Access(
            *fa,
            f"the scope key {FUNCTION_STACK_KEY!r}",
            FUNCTION_STACK,
            "the route's own stack on request.state",
        ),
        Access(
            *fa,
            "Dependant.query_params / .dependencies",
            DEPENDANT,
            "query parameter names from the route's OpenAPI operation",
        ),
    ]


# 1. Included routers.


def included_routers(app: FastAPI) -> list[BaseRoute]:
    """The routers included in `app` (FastAPI's `_IncludedRouter`s); none in the fallback."""
    if not INCLUDED_ROUTER or _included_class is None:
        return []
    return [route for route in app.router.routes if isinstance(route, _included_class)]


def routes_of(included: BaseRoute) -> list[BaseRoute]:
    """The routes of the router that `included` includes."""
    routes: list[BaseRoute] = included.original_router.routes  # type: ignore[attr-defined]
    return routes


def wrap_matches(included: BaseRoute, wrap: Callable[[Matcher], Matcher]) -> None:
    """Put `wrap` around `included`'s `matches`, for this one included router."""
    included.matches = wrap(included.matches)  # type: ignore[method-assign,assignment]


def unguarded_matches(included: BaseRoute, scope: Scope) -> tuple[Match, Scope]:
    """FastAPI's own answer for `included`, whatever `wrap_matches` put around it."""
    return type(included).matches(included, scope)


# 2. The path the routes match.


def route_path(scope: Scope) -> str:
    """`scope`'s path below its `root_path`, as Starlette's routes match it."""
    if ROUTE_PATH and _get_route_path is not None:
        return _get_route_path(scope)
    return _route_path(scope)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


# 3. The function-scoped exit stack.


def function_stack(request: Request) -> AsyncExitStack:
    """The exit stack that closes right after the endpoint, before the request commits."""
    if FUNCTION_STACK:
        stack = request.scope.get(FUNCTION_STACK_KEY)
    else:
        stack = getattr(request.state, _OWN_STACK, None)
    if not isinstance(stack, AsyncExitStack):
        raise RuntimeError(
            f"{request.scope.get('route')} has no function-scoped exit stack: a route that "
            "takes a read session must be a ReplicaAwareRoute (app/web/replica.py)"
        )
    return stack


@asynccontextmanager
async def function_stack_per_try(request: Request) -> AsyncIterator[None]:
    """A function-scoped exit stack of its own for one try of a route's handler: what the
    try's dependencies put on it is closed when the try ends, and the request's stack is
    the function stack again afterwards."""
    scope, state = request.scope, request.state
    outer = (
        scope.get(FUNCTION_STACK_KEY, _MISSING)
        if FUNCTION_STACK
        else getattr(state, _OWN_STACK, _MISSING)
    )
    try:
        async with AsyncExitStack() as stack:
            if FUNCTION_STACK:
                scope[FUNCTION_STACK_KEY] = stack
            else:
                setattr(state, _OWN_STACK, stack)
            yield
    finally:
        _restore(scope, state, outer)


def _restore(scope: Scope, state: Any, outer: object) -> None:
    if FUNCTION_STACK:
        if outer is _MISSING:
            scope.pop(FUNCTION_STACK_KEY, None)
        else:
            scope[FUNCTION_STACK_KEY] = outer
    elif outer is _MISSING:
        if hasattr(state, _OWN_STACK):
            delattr(state, _OWN_STACK)
    else:
        setattr(state, _OWN_STACK, outer)


# 4. A route's dependency tree.


def query_parameter_names(route: APIRoute) -> frozenset[str] | None:
    """The names of the query parameters `route` takes (its dependencies' too), or None
    when they cannot be known (the fallback, for a route left out of the schema)."""
    dependant = getattr(route, "dependant", None) if DEPENDANT else None
    if dependant is not None:
        found: set[str] = set()
        dependants = [dependant]
        while dependants:
            dependant = dependants.pop()
            found.update(param.alias for param in dependant.query_params)
            dependants.extend(dependant.dependencies)
        return frozenset(found)
    if not route.include_in_schema:
        return None
    schema = get_openapi(title="", version="", routes=[route])
    return frozenset(
        parameter["name"]
        for path in schema.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    )
