"""Who sees which listing (one rule, lists and single reads alike), which steps each caller is
offered (`allowed_actions`), and what another caller learns from a listing's events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant
from tests.listings.test_router import Exchange

# The steps each state offers an operator, and the owner (DESIGN.md "Additions":
# `allowed_actions` lists only what the caller may do).
OFFERED = {
    "draft": (["submit"], ["submit"]),
    "submitted": (["approve", "reject"], []),
    "listed": (["suspend", "delist"], ["delist"]),
    "suspended": (["resume", "delist"], ["delist"]),
    "delisted": ([], []),
    "rejected": ([], []),
}
PATH_TO = {
    "draft": [],
    "submitted": ["submit"],
    "listed": ["submit", "approve"],
    "suspended": ["submit", "approve", "suspend"],
    "delisted": ["submit", "approve", "delist"],
    "rejected": ["submit", "reject"],
}
CALLERS = ("operator", "owner", "stranger", "assessor", "auditor", "anonymous")


class World:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    async def build(self) -> World:
        ex = self.ex
        stranger = await make_merchant(ex.session)
        self.callers: dict[str, dict[str, str]] = {
            "operator": ex.admin,
            "owner": ex.owner,
            "stranger": auth(await make_key(ex.session, Role.merchant, stranger.id)),
            "assessor": ex.assessor,
            "auditor": auth(await make_key(ex.session, Role.auditor)),
            "anonymous": {},
        }
        # One listing of the owner's in every state, each of its own product.
        self.listings: dict[str, str] = {}
        for state, path in PATH_TO.items():
            listing_id = await ex.listing(await ex.product(assessed=state != "draft"))
            for step in path:
                moved = await ex.step(listing_id, step, ex.admin, reason="准备测试")
                assert moved.status_code == 200, (state, step, moved.text)
            self.listings[state] = listing_id
        return self

    async def listed_ids(self, caller: str) -> dict[str, dict[str, Any]]:
        response = await self.ex.client.get(
            "/v1/listings", params={"limit": 200}, headers=self.callers[caller]
        )
        assert response.status_code == 200
        return {item["id"]: item for item in response.json()["items"]}


@pytest.fixture
async def world(client: httpx.AsyncClient, session: AsyncSession) -> World:
    return await World(await Exchange(client, session).setup()).build()


async def test_the_list_and_the_single_read_agree_for_every_caller(world: World) -> None:
    seen_by = {
        "operator": set(PATH_TO),
        "owner": set(PATH_TO),
        "assessor": set(PATH_TO),
        "auditor": set(PATH_TO),
        "stranger": {"listed"},
        "anonymous": {"listed"},
    }
    for caller in CALLERS:
        listed = await world.listed_ids(caller)
        for state, listing_id in world.listings.items():
            one = await world.ex.client.get(
                f"/v1/listings/{listing_id}", headers=world.callers[caller]
            )
            assert (one.status_code == 404) == (listing_id not in listed), (caller, state)
            assert (listing_id in listed) == (state in seen_by[caller]), (caller, state)
            if one.status_code == 200:
                assert one.json() == listed[listing_id], (caller, state)


async def test_allowed_actions_are_what_the_caller_may_do(world: World) -> None:
    for caller in CALLERS:
        listed = await world.listed_ids(caller)
        for state, listing_id in world.listings.items():
            if listing_id not in listed:
                continue
            operator, owner = OFFERED[state]
            expected = {"operator": operator, "owner": owner}.get(caller, [])
            assert listed[listing_id]["allowed_actions"] == expected, (caller, state)

    # An illegal step's problem offers the caller's steps only.
    ex = world.ex
    refused = await ex.step(world.listings["listed"], "submit", ex.owner)
    assert refused.status_code == 409 and refused.json()["allowed_actions"] == ["delist"]
    refused = await ex.step(world.listings["listed"], "submit", ex.admin)
    assert refused.json()["allowed_actions"] == ["suspend", "delist"]
    # A step's answer too: the owner's submit leaves it nothing to do until the venue decides.
    draft = await ex.listing(await ex.product())
    submitted = await ex.step(draft, "submit", ex.owner)
    assert submitted.json()["allowed_actions"] == []


async def test_another_callers_view_of_the_events_keeps_nothing_internal(world: World) -> None:
    ex = world.ex
    listing_id = world.listings["listed"]
    await ex.step(listing_id, "suspend", ex.admin, reason="核查数据来源:举报线索 #4711")
    await ex.step(listing_id, "resume", ex.admin)

    async def events(caller: str) -> httpx.Response:
        return await ex.client.get(
            f"/v1/listings/{listing_id}/events", headers=world.callers[caller]
        )

    full = (await events("operator")).json()["items"]
    assert [e["action"] for e in full] == ["create", "submit", "approve", "suspend", "resume"]
    assert full[3]["reason"] == "核查数据来源:举报线索 #4711"
    assert all(e["actor_key_id"] and e["request_id"] for e in full)
    assert full[2]["details"] == {"product_revision": 2}
    for caller in ("owner", "auditor"):
        assert (await events(caller)).json()["items"] == full, caller

    for caller in ("stranger", "assessor"):
        shown = (await events(caller)).json()["items"]
        assert [set(e) for e in shown] == [set(e) for e in full], caller  # the same schema
        for mine, theirs in zip(full, shown, strict=True):
            assert (theirs["actor_key_id"], theirs["request_id"], theirs["reason"]) == (
                None,
                None,
                None,
            ), caller
            assert theirs["details"] == {}, caller
            kept = ("id", "action", "from_status", "to_status", "automatic", "actor_role")
            assert {k: theirs[k] for k in kept} == {k: mine[k] for k in kept}, caller
    assert (await events("anonymous")).status_code == 401
    # Events of a listing the caller may not see are not found at all.
    hidden = await ex.client.get(
        f"/v1/listings/{world.listings['suspended']}/events", headers=world.callers["stranger"]
    )
    assert hidden.status_code == 404
