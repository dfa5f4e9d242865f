"""Listings: every step, every gate, one live listing per venue, and the public catalog."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.roles import Role
from app.listings.states import STEPS, Action
from tests.factories import auth, make_key, make_merchant, make_product

CSV = "城市,日期,用电量\n" + "".join(f"杭州,2025-06-{d:02d},{1000 + d}.5\n" for d in range(1, 29))
PRICE = {"model": "subscription", "amount": "12000.00", "unit": "year"}
COST = {
    "method": "cost",
    "return_rate": "0.1",
    "quality_coefficient": "0.8",
    "cost_items": [{"kind": "processing", "amount": "50000"}],
}


class Exchange:
    """The keys a test needs, and a product taken as far as the test asks."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        self.client = client
        self.session = session

    async def setup(self) -> Exchange:
        self.merchant = await make_merchant(self.session)
        self.owner = auth(await make_key(self.session, Role.merchant, self.merchant.id))
        self.admin = auth(await make_key(self.session, Role.operator))
        self.assessor = auth(await make_key(self.session, Role.assessor))
        return self

    async def product(self, *, active: bool = True, assessed: bool = True, **fields: Any) -> str:
        product = await make_product(self.session, self.merchant, **fields)
        product_id = str(product.id)
        if active:
            await self.client.patch(
                f"/v1/products/{product_id}", json={"status": "active"}, headers=self.owner
            )
        upload = await self.client.post(
            f"/v1/products/{product_id}/samples",
            files={"file": ("s.csv", CSV.encode(), "text/csv")},
            headers=self.owner,
        )
        assert upload.status_code == 201
        if assessed:
            await self.assess(product_id)
        return product_id

    async def assess(
        self,
        product_id: str,
        who: dict[str, str] | None = None,
        kinds: tuple[str, ...] = ("quality", "compliance", "valuation"),
    ) -> None:
        who = who or self.assessor
        paths = {
            "quality": ("quality-assessments", None),
            "compliance": ("compliance-assessments", None),
            "valuation": ("valuations", COST),
        }
        for kind in kinds:
            path, body = paths[kind]
            response = await self.client.post(
                f"/v1/products/{product_id}/{path}", json=body, headers=who
            )
            assert response.status_code == 201, response.text

    async def listing(self, product_id: str, venue: str = "HZDEX") -> str:
        response = await self.client.post(
            "/v1/listings",
            json={"product_id": product_id, "venue_code": venue, "price": PRICE},
            headers=self.owner,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def step(
        self, listing_id: str, action: str, who: dict[str, str], **body: Any
    ) -> httpx.Response:
        return await self.client.post(f"/v1/listings/{listing_id}/{action}", json=body, headers=who)


@pytest.fixture
async def ex(client: httpx.AsyncClient, session: AsyncSession) -> Exchange:
    return await Exchange(client, session).setup()


async def test_the_whole_way(ex: Exchange) -> None:
    product_id = await ex.product()
    listing_id = await ex.listing(product_id)
    listing = (await ex.client.get(f"/v1/listings/{listing_id}", headers=ex.owner)).json()
    assert listing["status"] == "draft"
    assert listing["price"] == {
        "model": "subscription",
        "amount": "12000.00",
        "unit": "year",
        "currency": "CNY",
    }
    assert listing["allowed_actions"] == ["submit"]

    assert (await ex.step(listing_id, "submit", ex.owner)).json()["status"] == "submitted"
    assert (await ex.step(listing_id, "approve", ex.owner)).status_code == 403
    approved = await ex.step(listing_id, "approve", ex.admin)
    assert approved.json()["status"] == "listed" and approved.json()["listed_at"]
    assert (await ex.step(listing_id, "suspend", ex.admin)).status_code == 422  # needs a reason
    assert (await ex.step(listing_id, "suspend", ex.admin, reason="核查数据来源")).json()[
        "status"
    ] == "suspended"
    assert (await ex.step(listing_id, "resume", ex.admin)).json()["status"] == "listed"
    delisted = await ex.step(listing_id, "delist", ex.owner, reason="产品下线")
    assert delisted.json()["status"] == "delisted"
    assert delisted.json()["allowed_actions"] == []

    events = (await ex.client.get(f"/v1/listings/{listing_id}/events", headers=ex.owner)).json()[
        "items"
    ]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "listed"),
        ("suspend", "listed", "suspended"),
        ("resume", "suspended", "listed"),
        ("delist", "listed", "delisted"),
    ]
    assert events[3]["reason"] == "核查数据来源" and events[3]["actor_role"] == "operator"
    audit = (
        await ex.client.get(
            "/v1/audit-events", params={"resource_type": "listing"}, headers=ex.admin
        )
    ).json()
    assert len(audit["items"]) == 6


async def test_illegal_steps_name_the_state_and_what_is_allowed(ex: Exchange) -> None:
    listing_id = await ex.listing(await ex.product())
    refused = await ex.step(listing_id, "approve", ex.admin)
    assert refused.status_code == 409
    assert refused.json()["current_status"] == "draft"
    assert refused.json()["allowed_actions"] == ["submit"]
    # The step template's wording (app/core/steps.py), word for word.
    assert refused.json()["detail"] == "A draft listing cannot approve; it may: submit."
    await ex.step(listing_id, "submit", ex.owner)
    assert (await ex.step(listing_id, "reject", ex.admin)).status_code == 422
    rejected = await ex.step(listing_id, "reject", ex.admin, reason="价格说明不完整")
    assert rejected.json()["status"] == "rejected"
    for action in ("submit", "approve", "resume", "suspend", "delist"):
        response = await ex.step(listing_id, action, ex.admin, reason="xx")
        assert response.status_code == 409, action
    assert (await ex.step(listing_id, "teleport", ex.admin)).status_code == 422


async def test_every_unmet_gate_is_named(ex: Exchange) -> None:
    product_id = await ex.product(active=False, assessed=False)
    listing_id = await ex.listing(product_id)
    refused = await ex.step(listing_id, "submit", ex.owner)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:shushang:problem:gate-not-met"
    assert refused.json()["missing"] == [
        "product_active",
        "compliance_assessment",
        "quality_assessment",
        "valuation",
    ]

    await ex.client.patch(f"/v1/products/{product_id}", json={"status": "active"}, headers=ex.owner)
    expected = ["compliance_assessment", "quality_assessment", "valuation"]
    # The product changed (revision 2): assessments now bind to it.
    for kind, gate in (
        ("quality", "quality_assessment"),
        ("valuation", "valuation"),
        ("compliance", "compliance_assessment"),
    ):
        await ex.assess(product_id, ex.owner, (kind,))  # a self-check does not count
        assert (await ex.step(listing_id, "submit", ex.owner)).json()["missing"] == expected
        await ex.assess(product_id, kinds=(kind,))
        expected.remove(gate)
        response = await ex.step(listing_id, "submit", ex.owner)
        if expected:
            assert response.json()["missing"] == expected
    assert response.status_code == 200 and response.json()["status"] == "submitted"


async def test_assessments_of_an_older_revision_or_too_old_do_not_count(ex: Exchange) -> None:
    product_id = await ex.product()
    await ex.client.patch(f"/v1/products/{product_id}", json={"tags": ["新标签"]}, headers=ex.owner)
    listing_id = await ex.listing(product_id)
    stale = await ex.step(listing_id, "submit", ex.owner)
    assert stale.json()["missing"] == ["compliance_assessment", "quality_assessment", "valuation"]

    await ex.assess(product_id)
    # Age every assessment past 180 days (the table refuses updates, so copy them aged).
    await ex.session.execute(text("ALTER TABLE assessment DISABLE TRIGGER assessment_immutable"))
    await ex.session.execute(
        text("UPDATE assessment SET created_at = :old"), {"old": utcnow() - timedelta(days=181)}
    )
    await ex.session.execute(text("ALTER TABLE assessment ENABLE TRIGGER assessment_immutable"))
    await ex.session.commit()
    old = await ex.step(listing_id, "submit", ex.owner)
    assert old.json()["missing"] == ["compliance_assessment", "quality_assessment", "valuation"]


async def test_one_live_listing_per_product_and_venue(ex: Exchange) -> None:
    product_id = await ex.product()
    first = await ex.listing(product_id)
    again = await ex.client.post(
        "/v1/listings",
        json={"product_id": product_id, "venue_code": "HZDEX", "price": PRICE},
        headers=ex.owner,
    )
    assert again.status_code == 409
    await ex.listing(product_id, "ZJBDEX")  # another venue is another listing
    await ex.step(first, "submit", ex.owner)
    await ex.step(first, "reject", ex.admin, reason="材料不全")
    await ex.listing(product_id, "HZDEX")  # after a rejection, a new one may start


async def test_each_venue_decides_on_its_own(ex: Exchange) -> None:
    product_id = await ex.product(assessed=False, description="包含军事设施周边的测绘信息")
    await ex.client.put("/v1/venues/NBSE/negative-list", json={"rules": []}, headers=ex.admin)
    await ex.assess(product_id)
    nbse, hzdex = await ex.listing(product_id, "NBSE"), await ex.listing(product_id, "HZDEX")
    assert (await ex.step(nbse, "submit", ex.owner)).status_code == 200
    assert (await ex.step(nbse, "approve", ex.admin)).json()["status"] == "listed"
    blocked = await ex.step(hzdex, "submit", ex.owner)
    assert blocked.json()["missing"] == ["compliance_assessment", "negative_list"]


async def test_a_changed_negative_list_needs_a_new_assessment(ex: Exchange) -> None:
    product_id = await ex.product()
    listing_id = await ex.listing(product_id)
    await ex.client.put("/v1/venues/HZDEX/negative-list", json={"rules": []}, headers=ex.admin)
    assert (await ex.step(listing_id, "submit", ex.owner)).json()["missing"] == ["negative_list"]
    await ex.assess(product_id, kinds=("compliance",))
    assert (await ex.step(listing_id, "submit", ex.owner)).status_code == 200


async def test_prices(ex: Exchange) -> None:
    product_id = await ex.product(assessed=False)
    for bad in (
        {"model": "negotiable", "amount": "100"},
        {"model": "one_time"},
        {"model": "one_time", "amount": "0"},
        {"model": "subscription", "amount": "1"},
        {"model": "per_call", "amount": "0.5", "unit": "month"},
        {"model": "one_time", "amount": 100.5},
        {"model": "barter"},
    ):
        response = await ex.client.post(
            "/v1/listings",
            json={"product_id": product_id, "venue_code": "HZDEX", "price": bad},
            headers=ex.owner,
        )
        assert response.status_code == 422, bad
    ok = await ex.client.post(
        "/v1/listings",
        json={
            "product_id": product_id,
            "venue_code": "HZDEX",
            "price": {"model": "negotiable"},
            "trial_terms": "免费试用 7 天",
            "licence": "仅限内部分析使用",
        },
        headers=ex.owner,
    )
    assert ok.status_code == 201 and ok.json()["price"]["amount"] is None


async def test_who_may_list_what(ex: Exchange) -> None:
    product_id = await ex.product(assessed=False)
    stranger = auth(await make_key(ex.session, Role.merchant, (await make_merchant(ex.session)).id))
    body = {"product_id": product_id, "venue_code": "HZDEX", "price": PRICE}
    assert (await ex.client.post("/v1/listings", json=body, headers=stranger)).status_code == 403
    assert (await ex.client.post("/v1/listings", json=body, headers=ex.assessor)).status_code == 403
    assert (
        await ex.client.post("/v1/listings", json={**body, "venue_code": "NOPE"}, headers=ex.owner)
    ).status_code == 404
    listing_id = await ex.listing(product_id)
    assert (await ex.client.get(f"/v1/listings/{listing_id}", headers=stranger)).status_code == 404
    assert (await ex.step(listing_id, "submit", stranger)).status_code == 404


async def test_the_public_catalog(ex: Exchange) -> None:
    listed_product = await ex.product(name="杭州城市交通出行OD数据集")
    hidden_product = await ex.product(name="杭州城市交通卡口数据集", assessed=False)
    listing_id = await ex.listing(listed_product)
    await ex.listing(hidden_product)
    assert (await ex.client.get("/v1/listings")).json()["items"] == []
    await ex.step(listing_id, "submit", ex.owner)
    await ex.step(listing_id, "approve", ex.admin)

    public = (await ex.client.get("/v1/listings")).json()["items"]
    assert [item["id"] for item in public] == [listing_id]
    products = (await ex.client.get("/v1/products", params={"q": "交通"})).json()["items"]
    assert [p["id"] for p in products] == [listed_product]
    assert (await ex.client.get(f"/v1/products/{listed_product}")).status_code == 200
    assert (await ex.client.get(f"/v1/products/{hidden_product}")).status_code == 404
    by_venue = await ex.client.get(
        "/v1/products", params={"venue": "HZDEX", "facets": True}, headers=ex.admin
    )
    assert [p["id"] for p in by_venue.json()["items"]] == [listed_product]
    assert by_venue.json()["facets"]["venue"] == {"HZDEX": 1}
    assert (await ex.client.get("/v1/products", params={"venue": "NBSE"}, headers=ex.admin)).json()[
        "items"
    ] == []
    # Another merchant can now see (but not change) the listed product.
    stranger = auth(await make_key(ex.session, Role.merchant, (await make_merchant(ex.session)).id))
    assert (
        await ex.client.get(f"/v1/products/{listed_product}", headers=stranger)
    ).status_code == 200
    change = await ex.client.patch(
        f"/v1/products/{listed_product}", json={"name": "x"}, headers=stranger
    )
    assert change.status_code == 403
    assess = await ex.client.post(
        f"/v1/products/{listed_product}/quality-assessments", headers=stranger
    )
    assert assess.status_code == 403


async def test_retiring_or_failing_suspends_automatically(ex: Exchange) -> None:
    async def listed(product_id: str) -> str:
        listing_id = await ex.listing(product_id)
        await ex.step(listing_id, "submit", ex.owner)
        assert (await ex.step(listing_id, "approve", ex.admin)).json()["status"] == "listed"
        return listing_id

    retired_product = await ex.product()
    retired_listing = await listed(retired_product)
    await ex.client.patch(
        f"/v1/products/{retired_product}", json={"status": "retired"}, headers=ex.owner
    )
    listing = (await ex.client.get(f"/v1/listings/{retired_listing}", headers=ex.owner)).json()
    assert listing["status"] == "suspended"
    last = (await ex.client.get(f"/v1/listings/{retired_listing}/events", headers=ex.owner)).json()[
        "items"
    ][-1]
    assert last["automatic"] is True and last["reason"] == "product_retired"
    assert last["actor_role"] == "system" and last["actor_key_id"] is None

    failing_product = await ex.product()
    failing_listing = await listed(failing_product)
    await ex.client.put(
        "/v1/venues/HZDEX/negative-list",
        json={"rules": [{"code": "KEYWORDS", "kind": "keywords", "values": ["杭州"]}]},
        headers=ex.admin,
    )
    await ex.assess(failing_product, kinds=("compliance",))
    assert (await ex.client.get(f"/v1/listings/{failing_listing}", headers=ex.owner)).json()[
        "status"
    ] == "suspended"
    last = (await ex.client.get(f"/v1/listings/{failing_listing}/events", headers=ex.owner)).json()[
        "items"
    ][-1]
    assert (last["automatic"], last["reason"], last["actor_role"]) == (
        True,
        "compliance_failed",
        "system",
    )
    assert last["details"]["assessment_id"]


async def test_stats_overview(ex: Exchange) -> None:
    await make_merchant(ex.session, region_code="330203", tier="leading")
    listing_id = await ex.listing(await ex.product())
    await ex.step(listing_id, "submit", ex.owner)
    await ex.step(listing_id, "approve", ex.admin)
    overview = (await ex.client.get("/v1/stats/overview", headers=ex.admin)).json()
    cities = {c["city_code"]: c for c in overview["merchants_by_city"]}
    assert cities["330100"]["city_name"] == "杭州市" and cities["330100"]["total"] == 1
    assert cities["330200"]["by_tier"] == {"leading": 1}
    assert overview["listed_products_by_venue"] == [{"venue_code": "HZDEX", "listed_products": 1}]
    assert (await ex.client.get("/v1/stats/overview", headers=ex.owner)).status_code == 403


# Who may take each step, from the state that allows it: operator, the product's merchant,
# another merchant, an assessor, an auditor, and no key at all. Another merchant gets 404
# where it may not see the listing and 403 where it may (a listed listing is public).
ROLES = ("operator", "owner", "stranger", "assessor", "auditor", "anonymous")
ROLE_MATRIX = {
    # action:   (from state,  statuses in the order of ROLES)
    "submit":   ("draft",     (200, 200, 404, 403, 403, 401)),
    "approve":  ("submitted", (200, 403, 404, 403, 403, 401)),
    "reject":   ("submitted", (200, 403, 404, 403, 403, 401)),
    "suspend":  ("listed",    (200, 403, 403, 403, 403, 401)),
    "resume":   ("suspended", (200, 403, 404, 403, 403, 401)),
    "delist":   ("listed",    (200, 200, 403, 403, 403, 401)),
}  # fmt: skip
PATH_TO = {
    "draft": [],
    "submitted": ["submit"],
    "listed": ["submit", "approve"],
    "suspended": ["submit", "approve", "suspend"],
}


@pytest.mark.parametrize("action", list(ROLE_MATRIX))
async def test_every_step_for_every_role(ex: Exchange, action: str) -> None:
    state, statuses = ROLE_MATRIX[action]
    expected = dict(zip(ROLES, statuses, strict=True))
    stranger = auth(await make_key(ex.session, Role.merchant, (await make_merchant(ex.session)).id))
    callers = {
        "operator": ex.admin,
        "owner": ex.owner,
        "stranger": stranger,
        "assessor": ex.assessor,
        "auditor": auth(await make_key(ex.session, Role.auditor)),
        "anonymous": {},
    }
    for role, status in expected.items():
        listing_id = await ex.listing(await ex.product())
        for step in PATH_TO[state]:
            moved = await ex.step(listing_id, step, ex.admin, reason="准备测试")
            assert moved.status_code == 200, (step, moved.text)
        response = await ex.step(listing_id, action, callers[role], reason="测试原因")
        assert response.status_code == status, (action, role, response.text)
        if status == 200:
            assert response.json()["status"] == STEPS[Action(action)].reaches.value
