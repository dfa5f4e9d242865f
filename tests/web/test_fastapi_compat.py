"""The private FastAPI and Starlette parts Shushang touches (app/web/_fastapi_compat.py):
each is there on the FastAPI the lock installs, inside the range pyproject.toml pins, and
each fallback, forced, keeps the answers the same."""

from __future__ import annotations

import tomllib
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import fastapi
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from packaging.requirements import Requirement
from starlette.requests import Request

from app.main import create_app
from app.web import _fastapi_compat as compat
from app.web import deps
from tests import test_replica, test_routing
from tests.test_replica import make_app  # noqa: F401 - the fixture the reused tests take

ROOT = Path(__file__).resolve().parents[2]


def test_every_private_access_resolves_on_this_fastapi() -> None:
    missing = [access.missing() for access in compat.accesses() if not access.available]
    assert missing == [], "\n".join(missing)


def test_the_installed_and_locked_fastapi_are_inside_the_pinned_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = next(
        r for r in map(Requirement, project["dependencies"]) if r.name == "fastapi"
    ).specifier
    # 0.136 has no `_IncludedRouter`, 0.120 no function-scoped exit stack.
    assert "0.136.0" not in pinned and "0.120.0" not in pinned, pinned
    assert fastapi.__version__ in pinned, (
        f"FastAPI {fastapi.__version__} is outside pyproject.toml's {pinned}: check "
        "app/web/_fastapi_compat.py against it, then widen the range"
    )
    locked = next(
        line.split("==")[1].strip()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line.startswith("fastapi==")
    )
    assert locked in pinned, f"requirements.lock's fastapi=={locked} is outside {pinned}"


@pytest.mark.parametrize(
    ("path", "root_path"),
    [
        ("/v1/products", ""),
        ("/api/v1/products", "/api"),
        ("/api", "/api"),
        ("/apix/v1", "/api"),
        ("/other/v1", "/api"),
        ("/", ""),
        ("/api/", "/api"),
    ],
)
def test_the_route_path_fallback_is_starlettes_rule(path: str, root_path: str) -> None:
    if compat._get_route_path is None:
        pytest.skip("Starlette's own is gone: see the first test")
    scope = {"type": "http", "path": path, "root_path": root_path}
    assert compat._route_path(scope) == compat._get_route_path(scope)


def test_without_included_routers_nothing_is_guarded_and_matching_is_fastapis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat, "INCLUDED_ROUTER", False)
    app = create_app(database_url="postgresql+asyncpg://nobody@localhost/nothing")
    assert compat.included_routers(app) == []
    assert not any("matches" in vars(route) for route in app.router.routes)


def test_the_guard_matches_as_fastapi_with_the_route_path_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat, "ROUTE_PATH", False)
    test_routing.test_a_guarded_router_matches_every_path_as_fastapi_does()


async def test_reads_keep_their_one_transaction_without_fastapis_function_stack(
    monkeypatch: pytest.MonkeyPatch,
    make_app: Any,  # noqa: F811
    session: Any,
) -> None:
    monkeypatch.setattr(compat, "FUNCTION_STACK", False)
    await test_replica.test_reads_send_no_begin_or_commit(make_app, session)
    await test_replica.test_a_read_holds_one_connection_of_the_pool(make_app, session)


async def test_a_failed_replica_read_is_retried_without_fastapis_function_stack(
    monkeypatch: pytest.MonkeyPatch,
    make_app: Any,  # noqa: F811
    session: Any,
    database_url: str,
) -> None:
    monkeypatch.setattr(compat, "FUNCTION_STACK", False)
    await test_replica.test_a_read_run_again_on_the_primary_takes_one_token(
        make_app, session, database_url
    )


def test_without_a_function_stack_a_read_session_says_which_route_class_it_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat, "FUNCTION_STACK", False)
    with pytest.raises(RuntimeError, match="must be a ReplicaAwareRoute"):
        compat.function_stack(Request({"type": "http", "route": None}))
    request = Request({"type": "http"})
    assert not hasattr(request.state, "function_stack")


async def test_the_function_stack_of_a_try_is_restored_after_it() -> None:
    for available in (True, False):
        outer = AsyncExitStack()
        request = Request({"type": "http"})
        if available:
            request.scope[compat.FUNCTION_STACK_KEY] = outer
        else:
            request.state.function_stack = outer
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compat, "FUNCTION_STACK", available)
            async with compat.function_stack_per_try(request):
                assert compat.function_stack(request) is not outer
            assert compat.function_stack(request) is outer


def _api_routes(app: FastAPI) -> list[APIRoute]:
    routes = list(app.router.routes)
    for included in compat.included_routers(app):
        routes += compat.routes_of(included)
    return [route for route in routes if isinstance(route, APIRoute)]


def test_the_query_names_fallback_finds_what_the_dependency_tree_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(database_url="postgresql+asyncpg://nobody@localhost/nothing")
    routes = _api_routes(app)
    assert len(routes) > 100
    direct = {id(route): compat.query_parameter_names(route) for route in routes}
    monkeypatch.setattr(compat, "DEPENDANT", False)
    for route in routes:
        fallback = compat.query_parameter_names(route)
        if route.include_in_schema:
            assert fallback == direct[id(route)], (route.path, route.methods)
        else:
            assert fallback is None, route.path


async def test_unknown_query_parameters_are_refused_with_the_fallback(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient
) -> None:
    monkeypatch.setattr(compat, "DEPENDANT", False)
    monkeypatch.setattr(deps, "_KNOWN_QUERY", {})
    answer = await client.get("/v1/listings", params={"venu_code": "HZDEX"})
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["query", "venu_code"]]
    assert (await client.get("/v1/listings", params={"venue_code": "HZDEX"})).status_code == 200
