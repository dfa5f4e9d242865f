"""Reactions, not upward calls (issue 28; STYLE.md "Additions of 2026-12-07"): the domains
that emit a fact import none of those that react to it, `app/wiring.py` subscribes every
reaction once, and a product made core still suspends its listings and certificates."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app import wiring
from app.assessments import repository as assessments_repository
from app.assessments.reactions import ComplianceFailed
from app.auth.reactions import KeyRevoked
from app.core import reactions
from app.core.config import Settings
from app.core.principal import Principal
from app.core.provided import Provided
from app.ip import automatic as ip_automatic
from app.listings import automatic as listings_automatic
from app.listings import repository as listings_repository
from app.main import create_app
from app.merchants import repository as merchants_repository
from app.products import repository as products_repository
from app.products.reactions import ProductRevised
from app.trades import comparables
from app.webhooks import service as webhooks
from tests.ip.test_integrity import listed_and_certified

APP = Path(__file__).resolve().parents[1] / "app"

EXPECTED = {
    ProductRevised: [listings_automatic.on_product_revised, ip_automatic.on_product_revised],
    ComplianceFailed: [listings_automatic.on_compliance_failed],
    KeyRevoked: [webhooks.on_key_revoked],
}

# Emitting package → the packages that react to its facts, which it must not import.
UPWARD = {
    "products": {"listings", "ip"},
    "assessments": {"listings"},
    "auth": {"webhooks"},
}
# Provided reads (app/core/provided.py): each slot a lower domain declares, and the query of
# the higher domain that app/wiring.py fills it with.
PROVIDED = {
    "products.LISTED": (products_repository.LISTED, listings_repository.listed),
    "merchants.LISTED": (merchants_repository.LISTED, listings_repository.listed),
    "assessments.MARKET": (assessments_repository.MARKET, comparables.market_comparables),
}


def test_the_registry_holds_exactly_the_wired_reactions(settings: Settings) -> None:
    create_app(settings, database_url="postgresql+asyncpg://wiring@localhost/none")
    assert reactions.subscribed() == EXPECTED
    wiring.register()
    wiring.register()  # idempotent: every entry point may call it
    assert reactions.subscribed() == EXPECTED


def test_every_provided_read_is_filled_by_its_higher_domain(settings: Settings) -> None:
    create_app(settings, database_url="postgresql+asyncpg://wiring@localhost/none")
    for name, (slot, query) in PROVIDED.items():
        assert slot.get is query, name


def test_a_slot_unfilled_is_loud_and_filled_once() -> None:
    slot: Provided[Any] = Provided("the thing under test")
    with pytest.raises(LookupError, match="the thing under test"):
        _ = slot.get  # a wiring forgotten never reads as an empty fact

    def one() -> None: ...

    def another() -> None: ...

    slot.provide(one)
    slot.provide(one)  # idempotent
    with pytest.raises(ValueError, match="provided already"):
        slot.provide(another)
    assert slot.get is one


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_emitting_domains_do_not_import_the_reacting_ones() -> None:
    upward = []
    for package, reacting in UPWARD.items():
        for path in sorted((APP / package).rglob("*.py")):
            name = path.relative_to(APP).as_posix()
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] != "app" or len(parts) < 2 or parts[1] not in reacting:
                    continue
                upward.append(f"{name} imports {module}")
    assert upward == []


def test_the_scan_sees_an_upward_import(tmp_path: Path) -> None:
    planted = tmp_path / "service.py"
    planted.write_text("from app.listings import automatic\nimport app.webhooks.service\n")
    assert {"app.listings.automatic", "app.webhooks.service"} <= set(_imports(planted))


@dataclass(frozen=True)
class _Happened:
    n: int


async def test_emit_runs_handlers_in_order_and_lets_their_errors_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reactions, "_handlers", {})
    session, who = cast(AsyncSession, object()), cast(Principal, object())
    with pytest.raises(LookupError, match="_Happened"):
        await reactions.emit(session, who, _Happened(0))  # a wiring forgotten is loud
    seen: list[str] = []

    async def first(session: AsyncSession, who: Principal, event: _Happened) -> None:
        seen.append(f"first {event.n}")

    async def second(session: AsyncSession, who: Principal, event: _Happened) -> None:
        seen.append(f"second {event.n}")
        raise ValueError("refused")

    async def third(session: AsyncSession, who: Principal, event: _Happened) -> None:
        seen.append("third")

    for handler in (first, second, third, first):
        reactions.subscribe(_Happened, handler)
    with pytest.raises(ValueError, match="refused"):
        await reactions.emit(session, who, _Happened(1))
    assert seen == ["first 1", "second 1"]


async def test_a_product_made_core_suspends_its_listings_and_certificates(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Through the HTTP API: the revision emits ProductRevised; listings and the registry
    react in the same transaction, as the system."""
    ex, _registry, product_id, listing_id, rid = await listed_and_certified(client, session)
    made_core = await client.patch(
        f"/v1/products/{product_id}",
        json={"classification": "core", "classification_level": None},
        headers=ex.owner,
    )
    assert made_core.status_code == 200, made_core.text
    listing = (await client.get(f"/v1/listings/{listing_id}", headers=ex.admin)).json()
    assert listing["status"] == "suspended"
    history: list[dict[str, Any]] = (
        await client.get(f"/v1/listings/{listing_id}/events", headers=ex.admin)
    ).json()["items"]
    assert history[-1]["actor_role"] == "system", history[-1]
    assert history[-1]["reason"] == "product_changed", history[-1]
    read = (await client.get(f"/v1/ip-registrations/{rid}", headers=ex.owner)).json()
    assert read["status"] == "suspended" and read["suspension_reason"] == "core_data"


async def test_a_failing_reaction_fails_the_revision_and_keeps_nothing(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reactions run inside the revision's transaction: when one raises, the request
    fails and neither the revision nor the listings' suspension is kept."""
    ex, _registry, product_id, listing_id, _rid = await listed_and_certified(client, session)

    async def broken(session: AsyncSession, who: Principal, event: ProductRevised) -> None:
        raise RuntimeError("a reaction failed")

    wired = reactions.subscribed()
    monkeypatch.setattr(
        reactions, "_handlers", {**wired, ProductRevised: [*wired[ProductRevised], broken]}
    )
    before = (await client.get(f"/v1/products/{product_id}", headers=ex.owner)).json()
    failed = await client.patch(
        f"/v1/products/{product_id}",
        json={"classification": "core", "classification_level": None},
        headers=ex.owner,
    )
    assert failed.status_code == 500
    after = (await client.get(f"/v1/products/{product_id}", headers=ex.owner)).json()
    assert after == before
    listing = (await client.get(f"/v1/listings/{listing_id}", headers=ex.admin)).json()
    assert listing["status"] == "listed"
