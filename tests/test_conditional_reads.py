"""Conditional reads cost no body: the ETag comes from what the body is made of
(app/core/etags.py, `validator`), a matching If-None-Match is answered 304 before the body (one
resource's, or a page of products or listings) is built, and the ETag still changes
whenever anything the body shows changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.listings import router as listings_router
from app.merchants import service as merchants_service
from app.products.schemas import ProductOut
from app.venues.schemas import VenueOut
from tests.factories import auth, make_key, make_merchant, make_product

PRICE = {"model": "subscription", "amount": "12000.00", "unit": "year"}


def _never(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the body was built for a 304")


async def _conditional(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[str, httpx.Response]:
    first = await client.get(path, headers=headers)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    again = await client.get(path, headers={**headers, "If-None-Match": etag})
    return etag, again


@dataclass(frozen=True)
class World:
    """A merchant with a product and a draft listing of it at HZDEX, and three keys."""

    merchant: Any
    product: Any
    listing: str  # the listing's path
    owner: dict[str, str]
    admin: dict[str, str]
    auditor: dict[str, str]


async def _world(client: httpx.AsyncClient, session: AsyncSession) -> World:
    merchant = await make_merchant(session)
    owner = auth(await make_key(session, Role.merchant, merchant.id))
    admin = auth(await make_key(session, Role.operator))
    auditor = auth(await make_key(session, Role.auditor))
    product = await make_product(session, merchant)
    made = await client.post(
        "/v1/listings",
        json={"product_id": str(product.id), "venue_code": "HZDEX", "price": PRICE},
        headers=owner,
    )
    assert made.status_code == 201, made.text
    return World(merchant, product, f"/v1/listings/{made.json()['id']}", owner, admin, auditor)


async def test_a_304_builds_no_body_and_keeps_the_caching_headers(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await _world(client, session)
    merchant, product, owner, admin = w.merchant, w.product, w.owner, w.admin
    reads = [
        (f"/v1/products/{product.id}", admin),
        (w.listing, owner),
        (f"/v1/merchants/{merchant.id}", owner),
        (f"/v1/merchants/{merchant.id}", {}),
        ("/v1/venues/HZDEX", {}),
    ]
    firsts = {}
    for path, headers in reads:
        firsts[path, bool(headers)] = (await client.get(path, headers=headers)).headers
    monkeypatch.setattr(ProductOut, "model_validate", _never)
    monkeypatch.setattr(VenueOut, "model_validate", _never)
    monkeypatch.setattr(listings_router, "listing_out", _never)
    monkeypatch.setattr(merchants_service, "view", _never)
    for path, headers in reads:
        first = firsts[path, bool(headers)]
        again = await client.get(path, headers={**headers, "If-None-Match": first["etag"]})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == first["etag"]
        assert again.headers["cache-control"] == first["cache-control"]
        assert "Authorization" in again.headers["vary"]
        assert "content-type" not in again.headers
        head = await client.head(path, headers={**headers, "If-None-Match": first["etag"]})
        assert head.status_code == 304, path
    # The whole record names its version (what If-Match compares); the public profile not.
    assert firsts[f"/v1/merchants/{merchant.id}", True]["etag"].startswith('"1.')
    assert "." not in firsts[f"/v1/merchants/{merchant.id}", False]["etag"]
    assert firsts[f"/v1/products/{product.id}", True]["etag"].startswith('"1.')


async def test_the_etag_follows_everything_the_body_shows(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await _world(client, session)
    merchant, product, owner, admin, auditor = w.merchant, w.product, w.owner, w.admin, w.auditor
    listing = w.listing

    # The steps a caller may take differ by caller, and so does the ETag.
    by_owner = await client.get(listing, headers=owner)
    by_auditor = await client.get(listing, headers=auditor)
    assert by_owner.json()["allowed_actions"] == ["submit"]
    assert by_auditor.json()["allowed_actions"] == []
    assert by_owner.headers["etag"] != by_auditor.headers["etag"]
    etag = by_owner.headers["etag"]
    assert (
        await client.get(listing, headers={**auditor, "If-None-Match": etag})
    ).status_code == 200

    # A merchant's listed product count changes without a new version of the merchant.
    path = f"/v1/merchants/{merchant.id}"
    etag, again = await _conditional(client, path, {})
    assert again.status_code == 304
    await session.execute(
        text("UPDATE listing SET status = 'listed', listed_at = now() WHERE id = :id"),
        {"id": w.listing.rsplit("/", 1)[1]},
    )
    await session.commit()
    after = await client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["listed_product_count"] == 1
    assert after.headers["etag"] != etag

    # So do its certifications, which are rows of their own.
    etag, again = await _conditional(client, path, owner)
    assert again.status_code == 304
    await session.execute(
        text(
            "INSERT INTO merchant_certification (id, merchant_id, scheme, level, valid_until,"
            " created_at) VALUES (gen_random_uuid(), :id, 'DCMM', 3, '2099-01-01', now())"
        ),
        {"id": str(merchant.id)},
    )
    await session.commit()
    after = await client.get(path, headers={**owner, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["certifications"][0]["level"] == 3
    assert after.headers["etag"] != etag
    assert after.headers["etag"].split(".")[0] == etag.split(".")[0]  # the same version

    # A change of the product is a new revision: a new ETag, and If-Match names it.
    product_path = f"/v1/products/{product.id}"
    etag, again = await _conditional(client, product_path, admin)
    assert again.status_code == 304
    changed = await client.patch(
        product_path, json={"description": "新的说明"}, headers={**admin, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(product_path, headers={**admin, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"].startswith('"2.')


async def test_a_list_304_builds_no_page(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await _world(client, session)
    merchant, product, owner = w.merchant, w.product, w.owner
    reads = [
        (f"/v1/products?merchant_id={merchant.id}", owner),
        (f"/v1/products?merchant_id={merchant.id}&facets=true", owner),
        ("/v1/products?q=数据", {}),
        (f"/v1/listings?product_id={product.id}", owner),
        ("/v1/listings", {}),
        ("/v1/venues", {}),
        ("/v1/venues?limit=2", owner),
    ]
    firsts = {path + str(bool(h)): (await client.get(path, headers=h)).headers for path, h in reads}
    monkeypatch.setattr(ProductOut, "model_validate", _never)
    monkeypatch.setattr(VenueOut, "model_validate", _never)
    monkeypatch.setattr(listings_router, "listing_out", _never)
    for path, headers in reads:
        first = firsts[path + str(bool(headers))]
        again = await client.get(path, headers={**headers, "If-None-Match": first["etag"]})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == first["etag"]
        assert again.headers["cache-control"] == first["cache-control"]


async def test_a_list_etag_follows_its_rows_the_caller_and_the_counts(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    w = await _world(client, session)
    merchant, product, owner, admin, auditor = w.merchant, w.product, w.owner, w.admin, w.auditor
    products = f"/v1/products?merchant_id={merchant.id}"

    # A change of a product on the page is a new revision, and a new ETag of the page.
    etag, again = await _conditional(client, products, admin)
    assert again.status_code == 304
    changed = await client.patch(
        f"/v1/products/{product.id}", json={"description": "新的说明"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(products, headers={**admin, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["items"][0]["description"] == "新的说明"
    assert after.headers["etag"] != etag

    # So does a product joining the page, and the counts beside it.
    etag = after.headers["etag"]
    with_counts = await client.get(products + "&facets=true", headers=admin)
    assert with_counts.headers["etag"] != etag
    await make_product(session, merchant, name="第二个数据产品")
    after = await client.get(products, headers={**admin, "If-None-Match": etag})
    assert after.status_code == 200
    assert len(after.json()["items"]) == 2
    counted = await client.get(
        products + "&facets=true", headers={**admin, "If-None-Match": with_counts.headers["etag"]}
    )
    assert counted.status_code == 200
    assert sum(counted.json()["facets"]["product_type"].values()) == 2

    # The steps a caller may take on each listing differ by caller, and so does the ETag.
    listings = f"/v1/listings?product_id={product.id}"
    by_owner = await client.get(listings, headers=owner)
    by_auditor = await client.get(listings, headers=auditor)
    assert by_owner.json()["items"][0]["allowed_actions"] == ["submit"]
    assert by_auditor.json()["items"][0]["allowed_actions"] == []
    assert by_owner.headers["etag"] != by_auditor.headers["etag"]
    assert (
        await client.get(listings, headers={**auditor, "If-None-Match": by_owner.headers["etag"]})
    ).status_code == 200

    # A step is a new version of the listing (the ORM's version counter, as every change of
    # a listing is made), and a new ETag of the page: the owner may now delist, not submit.
    etag = by_owner.headers["etag"]
    await session.execute(
        text(
            "UPDATE listing SET status = 'listed', listed_at = now(), version = version + 1"
            " WHERE id = :id"
        ),
        {"id": w.listing.rsplit("/", 1)[1]},
    )
    await session.commit()
    after = await client.get(listings, headers={**owner, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["items"][0]["allowed_actions"] == ["delist"]
    assert after.headers["etag"] != etag


async def test_the_venues_page_etag_follows_its_venues(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    etag, again = await _conditional(client, "/v1/venues", {})
    assert again.status_code == 304
    body = {"code": "JXDEX", "name": "嘉兴数据交易中心", "region_code": "330400"}
    body["fee_rate"] = "0.0025"
    assert (await client.post("/v1/venues", json=body, headers=admin)).status_code == 201
    after = await client.get("/v1/venues", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert "JXDEX" in [v["code"] for v in after.json()["items"]]
    assert after.headers["etag"] != etag
