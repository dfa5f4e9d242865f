"""Retries never double money or title (app/web/idempotency.py): a data asset's movements, an IP
registration's steps and a trade's events need `If-Match` or `Idempotency-Key` (428
without either, nothing changed); the same key and request again is the first answer
replayed; the key for another request is 422; a key in flight is 409; a failed step keeps
no record; keys live in the caller's API key's space."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.web.idempotency import request_hash
from tests.assets.conftest import Books
from tests.ip.test_router import Registry
from tests.trades.conftest import Parties

PROBLEM = "urn:shushang:problem:"


@pytest.fixture
async def books(client: httpx.AsyncClient, session: AsyncSession) -> Books:
    return await Books().setup(client, session)


@pytest.fixture
async def registry(client: httpx.AsyncClient, session: AsyncSession) -> Registry:
    return await Registry().setup(client, session)


@pytest.fixture
async def parties(client: httpx.AsyncClient, session: AsyncSession) -> Parties:
    return await Parties().setup(client, session)


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def counts(books: Books) -> dict[str, int]:
    return {
        table: await books.count(table)
        for table in ("data_asset_cost_item", "data_asset_movement", "idempotency_record")
    }


async def inventory(books: Books) -> dict[str, Any]:
    """The attack's asset: inventory that cost 30000.00, capitalised."""
    return await books.capitalised("30000.00", "2025-01-10", asset_class="inventory")


async def test_a_second_dispose_without_a_header_is_refused_and_books_nothing(
    books: Books,
) -> None:
    """The attack: two identical `dispose` calls, no If-Match, both booked (30000 → 27000 →
    24300). Now both are 428, `If-Match: *` too, and the cost stays."""
    asset = await inventory(books)
    aid = asset["id"]
    before = await counts(books)
    body = {"date": "2025-03-01", "fraction": "0.1"}
    for extra in ({}, {"If-Match": "*"}, {"Idempotency-Key": ""}):
        for _ in range(2):
            answer = await books.client.post(
                f"/v1/data-assets/{aid}/dispose", json=body, headers={**books.key, **extra}
            )
            assert answer.status_code == 428, answer.text
            problem = answer.json()
            assert problem["type"] == PROBLEM + "precondition-required"
            assert answer.headers["content-type"] == "application/problem+json"
            assert "Idempotency-Key" in problem["detail"]
    chinese = await books.client.post(
        f"/v1/data-assets/{aid}/dispose",
        json=body,
        headers={**books.key, "Accept-Language": "zh-CN"},
    )
    assert chinese.status_code == 428 and chinese.json()["title"] == "缺少前置条件"
    assert await counts(books) == before
    shown = (await books.client.get(f"/v1/data-assets/{aid}", headers=books.key)).json()
    assert shown["cost"] == "30000.00" and shown["version"] == asset["version"]

    # With the ETag read: once, then the same call again is stale.
    etag = (await books.client.get(f"/v1/data-assets/{aid}", headers=books.key)).headers["etag"]
    headers = {**books.key, "If-Match": etag}
    sold = await books.client.post(f"/v1/data-assets/{aid}/dispose", json=body, headers=headers)
    assert sold.status_code == 200, sold.text
    assert sold.json()["cost"] == "27000.00"
    again = await books.client.post(f"/v1/data-assets/{aid}/dispose", json=body, headers=headers)
    assert again.status_code == 412, again.text
    assert (await counts(books))["data_asset_movement"] == before["data_asset_movement"] + 1


async def test_the_same_key_twice_books_once_and_replays_the_first_answer(books: Books) -> None:
    asset = await inventory(books)
    aid = asset["id"]
    before = await counts(books)
    headers = {**books.key, **key()}
    body = {"date": "2025-03-01", "fraction": "0.1"}
    first = await books.client.post(f"/v1/data-assets/{aid}/dispose", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["cost"] == "27000.00"
    assert "idempotent-replayed" not in first.headers
    # The same body, spaced and ordered otherwise, is the same request.
    retry = await books.client.post(
        f"/v1/data-assets/{aid}/dispose",
        content=b'{ "fraction": "0.1",  "date": "2025-03-01" }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert retry.status_code == 200, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["content-type"] == first.headers["content-type"]
    after = await counts(books)
    assert after["data_asset_movement"] == before["data_asset_movement"] + 1
    assert after["idempotency_record"] == before["idempotency_record"] + 1
    shown = (await books.client.get(f"/v1/data-assets/{aid}", headers=books.key)).json()
    assert shown["cost"] == "27000.00"

    # The key for another body, or another step: 422, and nothing booked.
    for path, other in [
        ("dispose", {"date": "2025-03-01", "fraction": "0.2"}),
        ("write-down", {"date": "2025-03-31", "net_realisable_value": "1.00", "nrv_basis": "x"}),
    ]:
        reused = await books.client.post(
            f"/v1/data-assets/{aid}/{path}", json=other, headers=headers
        )
        assert reused.status_code == 422, reused.text
        assert reused.json()["type"] == PROBLEM + "idempotency-key-reused"
    assert await counts(books) == after

    # A cost item's first answer keeps its Location too.
    fresh = await books.asset()
    cost_headers = {**books.key, **key()}
    item = {"kind": "processing", "amount": "1000.00", "incurred_on": "2025-01-05"}
    added = await books.client.post(
        f"/v1/data-assets/{fresh['id']}/costs", json=item, headers=cost_headers
    )
    assert added.status_code == 201, added.text
    replayed = await books.client.post(
        f"/v1/data-assets/{fresh['id']}/costs", json=item, headers=cost_headers
    )
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.headers["location"] == added.headers["location"]
    assert await books.count("data_asset_cost_item") == after["data_asset_cost_item"] + 1


async def test_a_failed_step_keeps_no_record_and_its_retry_does_the_step(books: Books) -> None:
    asset = await inventory(books)
    aid = asset["id"]
    headers = {**books.key, **key()}
    before = await counts(books)
    early = await books.client.post(
        f"/v1/data-assets/{aid}/dispose",
        json={"date": "2024-12-01", "fraction": "0.1"},  # before it was capitalised
        headers=headers,
    )
    assert early.status_code in (409, 422), early.text
    assert await counts(books) == before
    # The same key now serves the corrected request: the failure was not kept.
    sold = await books.client.post(
        f"/v1/data-assets/{aid}/dispose",
        json={"date": "2025-03-01", "fraction": "0.1"},
        headers=headers,
    )
    assert sold.status_code == 200, sold.text
    assert "idempotent-replayed" not in sold.headers


async def test_a_key_in_flight_is_409_with_retry_after(books: Books) -> None:
    """While the first request with a key runs, it holds the key's advisory lock until its
    commit (here the test holds it, as that request would): a retry is 409, and nothing is
    booked; once the lock is gone the retry goes through."""
    asset = await inventory(books)
    aid = asset["id"]
    idempotency_key = str(uuid.uuid4())
    key_id = (
        await books.session.execute(
            text("SELECT id FROM api_key WHERE merchant_id = :m"), {"m": books.merchant.id}
        )
    ).scalar_one()
    before = await counts(books)
    engine = books.session.bind
    async with engine.connect() as holder:
        await holder.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:claim, 0))"),
            {"claim": f"{key_id} {idempotency_key}"},
        )
        busy = await books.client.post(
            f"/v1/data-assets/{aid}/dispose",
            json={"date": "2025-03-01", "fraction": "0.1"},
            headers={**books.key, "Idempotency-Key": idempotency_key},
        )
        await holder.rollback()
    assert busy.status_code == 409, busy.text
    assert busy.json()["type"] == PROBLEM + "idempotency-in-flight"
    assert busy.headers["retry-after"] == "1"
    assert await counts(books) == before
    done = await books.client.post(
        f"/v1/data-assets/{aid}/dispose",
        json={"date": "2025-03-01", "fraction": "0.1"},
        headers={**books.key, "Idempotency-Key": idempotency_key},
    )
    assert done.status_code == 200, done.text


async def test_keys_live_in_the_callers_key_space(books: Books) -> None:
    """Two merchants using the same key string each book their own step: one never gets
    the other's answer."""
    mine = await books.asset()
    other_key = books.other_key
    theirs = await books.asset(headers=other_key, asset_class="inventory")
    shared = {"Idempotency-Key": "erp-order-1"}
    item = {"kind": "processing", "amount": "500.00", "incurred_on": "2025-01-05"}
    first = await books.client.post(
        f"/v1/data-assets/{mine['id']}/costs", json=item, headers={**books.key, **shared}
    )
    assert first.status_code == 201, first.text
    second = await books.client.post(
        f"/v1/data-assets/{theirs['id']}/costs", json=item, headers={**other_key, **shared}
    )
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] == theirs["id"]
    # Nor may the other replay mine, whatever it sends.
    spied = await books.client.post(
        f"/v1/data-assets/{mine['id']}/costs", json=item, headers={**other_key, **shared}
    )
    assert spied.status_code == 422, spied.text


async def test_an_ip_transfer_retried_moves_title_once(registry: Registry) -> None:
    registration = await registry.registered()
    rid = registration["id"]
    body = {"to_merchant_id": str(registry.other.id), "reason": "股权转让"}
    client = registry.client
    steps = "SELECT count(*) FROM ip_step WHERE registration_id = :r AND action = 'transfer'"

    async def transfers() -> int:
        value = (await registry.session.execute(text(steps), {"r": rid})).scalar_one()
        await registry.session.commit()
        return int(value)

    bare = await client.post(
        f"/v1/ip-registrations/{rid}/transfer", json=body, headers=registry.holder_key
    )
    assert bare.status_code == 428, bare.text
    shown = (await client.get(f"/v1/ip-registrations/{rid}", headers=registry.admin)).json()
    assert shown["holder_merchant_id"] == str(registry.holder.id) and await transfers() == 0

    headers = {**registry.holder_key, **key()}
    moved = await client.post(f"/v1/ip-registrations/{rid}/transfer", json=body, headers=headers)
    assert moved.status_code == 200, moved.text
    again = await client.post(f"/v1/ip-registrations/{rid}/transfer", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.content == moved.content
    assert again.headers["etag"] == moved.headers["etag"]
    assert await transfers() == 1
    shown = (await client.get(f"/v1/ip-registrations/{rid}", headers=registry.admin)).json()
    assert shown["holder_merchant_id"] == str(registry.other.id)


async def test_a_retried_objection_counts_once(registry: Registry) -> None:
    applied = (await registry.apply()).json()
    rid = applied["id"]
    examined = await registry.step(rid, "examine", {"decision": "accept"})
    assert examined.status_code == 200, examined.text
    headers = {**registry.other_key, **key()}
    objection = {"kind": "ownership", "grounds": "数据由我方采集"}
    path = f"/v1/ip-registrations/{rid}/objections"
    first = await registry.client.post(path, json=objection, headers=headers)
    assert first.status_code == 201, first.text
    again = await registry.client.post(path, json=objection, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    count = await registry.session.execute(
        text("SELECT count(*) FROM ip_objection WHERE registration_id = :r"), {"r": rid}
    )
    assert count.scalar_one() == 1


async def test_a_trade_event_retried_is_appended_once(parties: Parties) -> None:
    client = parties.client
    trade = (await parties.record()).json()
    url = f"/v1/transactions/{trade['id']}/events"

    async def events() -> list[str]:
        detail = await client.get(f"/v1/transactions/{trade['id']}", headers=parties.admin)
        return [e["type"] for e in detail.json()["events"]]

    bare = await client.post(url, json={"type": "delivered"}, headers=parties.seller_key)
    assert bare.status_code == 428, bare.text
    assert await events() == []

    headers = {**parties.seller_key, **key()}
    delivered = await client.post(url, json={"type": "delivered"}, headers=headers)
    assert delivered.status_code == 201, delivered.text
    again = await client.post(url, json={"type": "delivered"}, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == delivered.json()
    assert await events() == ["delivered"]

    # If-Match: the trade's ETag, whose version is its number of events.
    read = await client.get(f"/v1/transactions/{trade['id']}", headers=parties.seller_key)
    etag = read.headers["etag"]
    assert etag.startswith('"1.')
    settled = await client.post(
        url, json={"type": "settled"}, headers={**parties.seller_key, "If-Match": etag}
    )
    assert settled.status_code == 201, settled.text
    stale = await client.post(
        url, json={"type": "disputed"}, headers={**parties.buyer_key, "If-Match": etag}
    )
    assert stale.status_code == 412, stale.text
    assert await events() == ["delivered", "settled"]


def test_a_request_is_its_method_path_and_body() -> None:
    same = request_hash("POST", "/v1/x", "", b'{"a": 1, "b": "2"}')
    assert same == request_hash("POST", "/v1/x", "", b'{"b":"2","a":1}')
    assert same != request_hash("POST", "/v1/y", "", b'{"a": 1, "b": "2"}')
    assert same != request_hash("PUT", "/v1/x", "", b'{"a": 1, "b": "2"}')
    assert same != request_hash("POST", "/v1/x", "q=1", b'{"a": 1, "b": "2"}')
    assert same != request_hash("POST", "/v1/x", "", b'{"a": 1, "b": "3"}')
    assert request_hash("POST", "/v1/x", "", b"\xff") != request_hash("POST", "/v1/x", "", b"")
