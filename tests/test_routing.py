"""Routers are skipped by the prefix their routes share (app/web/routing.py): every path any
route takes, and paths no route takes, match exactly as FastAPI matches them unguarded."""

from __future__ import annotations

import re

from starlette.routing import Match

from app.main import create_app
from app.web._fastapi_compat import included_routers, routes_of, unguarded_matches
from app.web.routing import static_prefix

UNROUTED = ["/", "/v1", "/v1/", "/v1/product", "/v1/productsX", "/v1/ledgers", "/nowhere/x"]


def _concrete(path: str) -> list[str]:
    """Paths the route's template stands for: each parameter one value, and a trailing
    slash (a redirect's second try)."""
    filled = re.sub(r"\{[^}]+\}", "P1", path)
    return [filled, filled + "/", filled.rstrip("/") or "/"]


def test_a_guarded_router_matches_every_path_as_fastapi_does() -> None:
    app = create_app(database_url="postgresql+asyncpg://nobody@localhost/nothing")
    included = included_routers(app)
    paths = {p for r in app.routes for p in _concrete(getattr(r, "path", "/"))} | set(UNROUTED)
    guarded = [r for r in included if "matches" in vars(r)]
    assert len(guarded) >= len(included) - 1  # all but the ops router (`/healthz`, `/metrics`)
    for router in included:
        for path in sorted(paths):
            for method in ("GET", "POST", "DELETE"):
                for root in ("", "/api"):
                    scope = {
                        "type": "http", "method": method, "path": root + path,
                        "root_path": root, "headers": [], "query_string": b"",
                    }  # fmt: skip
                    unguarded = unguarded_matches(router, dict(scope))[0]
                    assert router.matches(dict(scope))[0] == unguarded, (router, path, method)
    # The guard does work: a ledger path is no business of the products router's.
    products = next(r for r in guarded if static_prefix(routes_of(r)) == "/v1/products")
    assert products.matches({"type": "http", "path": "/v1/ledgers/X/checkpoint"}) == (
        Match.NONE,
        {},
    )


def test_the_static_prefix_stops_at_the_first_parameter() -> None:
    class R:
        def __init__(self, path: str) -> None:
            self.path = path

    assert static_prefix([R("/v1/products"), R("/v1/products/{id}")]) == "/v1/products"  # type: ignore[list-item]
    assert static_prefix([R("/v1/certificates/{n}.pdf")]) == "/v1/certificates/"  # type: ignore[list-item]
    assert static_prefix([R("/healthz"), R("/readyz")]) == "/"  # type: ignore[list-item]
    assert static_prefix([]) == ""
