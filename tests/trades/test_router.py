"""Trades through the API: validation, fees, idempotency, events, and the ledger leaves."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, idempotent, make_key, make_merchant
from tests.ledger.test_merkle import ref_mth, ref_path, ref_subproof
from tests.trades.conftest import Parties


async def test_record_and_prove(parties: Parties, client: httpx.AsyncClient) -> None:
    first = await parties.record(venue_code="HZDEX", amount="100000.50")
    assert first.status_code == 201, first.text
    trade = first.json()
    assert trade["venue_code"] == "HZDEX" and trade["leaf_index"] == 0
    assert trade["amount"] == "100000.50"
    assert trade["fee"] == "300.00"  # 100000.50 × 0.003 = 300.0015 → 300.00
    second = (await parties.record(venue_code="HZDEX", amount="999.50")).json()
    assert second["leaf_index"] == 1 and second["fee"] == "3.00"  # 2.9985 rounds half-up

    entries = []
    for index in (0, 1):
        entry = (
            await client.get(f"/v1/ledgers/HZDEX/entries/{index}", headers=parties.auditor)
        ).json()
        canonical = entry["entry_canonical"].encode()
        assert entry["leaf_hash"] == hashlib.sha256(b"\x00" + canonical).hexdigest()
        entries.append(canonical)
    first_entry = await client.get("/v1/ledgers/HZDEX/entries/0", headers=parties.seller_key)
    assert first_entry.json()["entry"]["trade_id"] == trade["id"]

    head = (await client.get("/v1/ledgers/HZDEX/tree-head")).json()
    assert head["tree_size"] == 2
    assert head["root_hash"] == ref_mth(entries).hex()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
        bytes.fromhex(head["signature"]), head["signed_message"].encode()
    )
    assert f'"root_hash":"{head["root_hash"]}"' in head["signed_message"]
    assert hashlib.sha256(bytes.fromhex(head["public_key"])).hexdigest()[:16] == head["key_id"]

    proof = (
        await client.get("/v1/ledgers/HZDEX/proofs/inclusion", params={"index": 1, "tree_size": 2})
    ).json()
    assert proof["audit_path"] == [h.hex() for h in ref_path(1, entries)]
    assert proof["root_hash"] == head["root_hash"]

    for amount in ("1.00", "2.00", "3.00"):
        await parties.record(venue_code="HZDEX", amount=amount)
    grown = [bytes.fromhex("00")] * 0
    for index in range(5):
        grown.append(
            (await client.get(f"/v1/ledgers/HZDEX/entries/{index}", headers=parties.buyer_key))
            .json()["entry_canonical"]
            .encode()
        )
    consistency = (
        await client.get("/v1/ledgers/HZDEX/proofs/consistency", params={"first": 2, "second": 5})
    ).json()
    assert consistency["proof"] == [h.hex() for h in ref_subproof(2, grown, True)]
    assert consistency["root_hash"] == ref_mth(grown).hex()


async def test_ledger_edges(parties: Parties, client: httpx.AsyncClient) -> None:
    await parties.record(venue_code="WZDEX")
    for path, params, status in (
        ("/v1/ledgers/WZDEX/proofs/inclusion", {"index": 0, "tree_size": 2}, 404),
        ("/v1/ledgers/WZDEX/proofs/inclusion", {"index": 1, "tree_size": 1}, 400),
        ("/v1/ledgers/WZDEX/proofs/consistency", {"first": 0, "second": 1}, 400),
        ("/v1/ledgers/WZDEX/proofs/consistency", {"first": 1, "second": 9}, 404),
        ("/v1/ledgers/WZDEX/entries/1", {}, 404),
        ("/v1/ledgers/NOPE/tree-head", {}, 404),
        ("/v1/ledgers/WZDEX/proofs/inclusion", {"index": -1, "tree_size": 1}, 422),
    ):
        response = await client.get(path, params=params)
        assert response.status_code == status, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    empty = (await client.get("/v1/ledgers/NBSE/tree-head")).json()
    assert empty["tree_size"] == 0 and empty["root_hash"] == hashlib.sha256(b"").hexdigest()


async def test_idempotency(parties: Parties, session: AsyncSession) -> None:
    missing = await parties.client.post(
        "/v1/transactions", json=parties.body(), headers=parties.admin
    )
    assert missing.status_code == 400
    first = await parties.record(key="order-42")
    replay = await parties.record(key="order-42")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = await parties.record(key="order-42", amount="1.00")
    assert other.status_code == 422
    # Keys belong to the caller: another key may use the same string.
    assert (await parties.record(headers=parties.seller_key, key="order-42")).status_code == 201
    count = (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one()
    assert count == 2


async def test_one_key_sent_fifty_times_at_once_makes_one_trade(
    parties: Parties, session: AsyncSession
) -> None:
    responses = await asyncio.gather(*(parties.record(key="burst") for _ in range(50)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    assert (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one() == 1


async def test_two_hundred_at_once_get_gapless_indices(
    parties: Parties, session: AsyncSession
) -> None:
    """All 200 sent at once. Past the connection pool some may be told 503 (nothing done);
    like any client, they retry with the same Idempotency-Key until answered."""
    keys = [str(uuid.uuid4()) for _ in range(200)]
    answered: dict[str, dict[str, Any]] = {}
    for _ in range(10):
        pending = [k for k in keys if k not in answered]
        if not pending:
            break
        responses = await asyncio.gather(
            *(parties.record(key=k, venue_code="ZJBDEX") for k in pending)
        )
        for key, response in zip(pending, responses, strict=True):
            assert response.status_code in (201, 409, 503), response.text
            if response.status_code == 201:
                answered[key] = response.json()
    assert len(answered) == 200
    assert sorted(t["leaf_index"] for t in answered.values()) == list(range(200))
    size = (
        await session.execute(text("SELECT size FROM ledger_head WHERE venue_code = 'ZJBDEX'"))
    ).scalar_one()
    assert size == 200


async def test_rules(parties: Parties) -> None:
    same = await parties.record(buyer_merchant_id=str(parties.seller.id))
    assert same.status_code == 422
    for amount in ("0", "0.00", "1000000000000.01", "12.345"):
        assert (await parties.record(amount=amount)).status_code == 422, amount
    assert (await parties.record(amount=12.5)).status_code == 422  # money is a string
    assert (await parties.record(amount="1000000000000")).status_code == 201
    assert (await parties.record(on_venue=True)).status_code == 422  # no listing
    ghost = await parties.record(on_venue=True, listing_id=str(uuid.uuid4()))
    assert ghost.status_code == 422
    assert (await parties.record(contract_digest="abc")).status_code == 422
    assert (await parties.record(occurred_at="2026-11-20T10:00:00")).status_code == 422  # no offset
    assert (await parties.record(venue_code="NOPE")).status_code == 404


async def test_who_records_and_reads(parties: Parties, session: AsyncSession) -> None:
    own_sale = await parties.record(headers=parties.seller_key)
    assert own_sale.status_code == 201
    assert (await parties.record(headers=parties.buyer_key)).status_code == 403  # not the seller
    assert (await parties.record(headers=parties.seller_key, on_venue=True)).status_code == 403
    assessor = auth(await make_key(session, Role.assessor))
    assert (await parties.record(headers=assessor)).status_code == 403
    stranger = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    trade_id = own_sale.json()["id"]
    for headers, status in ((parties.buyer_key, 200), (parties.auditor, 200), (stranger, 404)):
        assert (
            await parties.client.get(f"/v1/transactions/{trade_id}", headers=headers)
        ).status_code == status
    listed = await parties.client.get("/v1/transactions", headers=stranger)
    assert listed.json()["items"] == []
    assert (await parties.client.get("/v1/transactions", headers=assessor)).status_code == 403
    assert (await parties.client.get("/v1/transactions")).status_code == 401
    for method in ("PUT", "PATCH", "DELETE"):
        response = await parties.client.request(
            method, f"/v1/transactions/{trade_id}", headers=parties.admin
        )
        assert response.status_code == 405


async def test_filters(parties: Parties) -> None:
    await parties.record(
        venue_code="HZDEX", amount="100.00", occurred_at="2026-01-05T00:00:00+08:00"
    )
    await parties.record(
        venue_code="OTC", amount="5000.00", occurred_at="2026-06-05T00:00:00+08:00"
    )

    async def amounts(**params: Any) -> list[str]:
        response = await parties.client.get(
            "/v1/transactions", params=params, headers=parties.auditor
        )
        assert response.status_code == 200, response.text
        return [t["amount"] for t in response.json()["items"]]

    assert await amounts(venue="HZDEX") == ["100.00"]
    assert await amounts(amount_min="1000") == ["5000.00"]
    assert await amounts(amount_max="1000") == ["100.00"]
    assert await amounts(occurred_from="2026-03-01T00:00:00+08:00") == ["5000.00"]
    assert await amounts(on_venue=True) == []
    assert await amounts(merchant_id=str(parties.buyer.id)) == ["100.00", "5000.00"]


async def test_events_in_order_and_on_the_ledger(
    parties: Parties, client: httpx.AsyncClient
) -> None:
    trade = (await parties.record(venue_code="NBSE")).json()
    url = f"/v1/transactions/{trade['id']}/events"

    async def add(kind: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await client.post(
            url, json={"type": kind}, headers=idempotent(headers or parties.admin)
        )

    assert (await add("refunded")).status_code == 409  # nothing settled yet
    assert (await add("disputed")).status_code == 409  # nothing delivered yet
    delivered = await add("delivered", parties.seller_key)
    assert delivered.status_code == 201 and delivered.json()["leaf_index"] == 1
    assert (await add("delivered")).status_code == 409
    assert (await add("settled", parties.buyer_key)).status_code == 403  # the seller settles
    assert (await add("settled", parties.seller_key)).status_code == 201
    assert (await add("cancelled")).status_code == 409  # settled: refund instead
    assert (await add("refunded")).status_code == 201
    closed = await add("disputed")
    assert closed.status_code == 409 and closed.json()["events"] == [
        "delivered",
        "settled",
        "refunded",
    ]
    detail = (await client.get(f"/v1/transactions/{trade['id']}", headers=parties.auditor)).json()
    assert [e["type"] for e in detail["events"]] == ["delivered", "settled", "refunded"]
    leaf = (await client.get("/v1/ledgers/NBSE/entries/2", headers=parties.auditor)).json()
    assert leaf["entry"]["event"] == "settled" and leaf["entry"]["trade_id"] == trade["id"]

    cancelled = (await parties.record(venue_code="NBSE")).json()
    assert (
        await client.post(
            f"/v1/transactions/{cancelled['id']}/events",
            json={"type": "cancelled"},
            headers=idempotent(parties.admin),
        )
    ).status_code == 201
    after = await client.post(
        f"/v1/transactions/{cancelled['id']}/events",
        json={"type": "settled"},
        headers=idempotent(parties.admin),
    )
    assert after.status_code == 409


async def test_the_database_refuses_to_rewrite_trades_or_the_ledger(
    parties: Parties, session: AsyncSession
) -> None:
    await parties.record(venue_code="HZDEX")
    for statement in (
        "UPDATE trade SET amount = 1",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_node SET hash = '\\x00'",
        "UPDATE ledger_head SET size = 0",
    ):
        with pytest.raises(DBAPIError):
            await session.execute(text(statement))
        await session.rollback()


async def test_on_venue_trades_need_a_listed_listing(
    parties: Parties, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    from tests.listings.test_router import Exchange

    ex = await Exchange(client, session).setup()
    product_id = await ex.product()
    listing_id = await ex.listing(product_id)
    body = {
        "on_venue": True,
        "venue_code": "HZDEX",
        "listing_id": listing_id,
        "seller_merchant_id": str(ex.merchant.id),
    }
    draft = await parties.record(**body)
    assert draft.status_code == 409 and draft.json()["current_status"] == "draft"
    await ex.step(listing_id, "submit", ex.owner)
    await ex.step(listing_id, "approve", ex.admin)
    wrong_venue = await parties.record(**{**body, "venue_code": "NBSE"})
    assert wrong_venue.status_code == 422
    made = await parties.record(**body)
    assert made.status_code == 201, made.text
    assert made.json()["product_id"] == product_id and made.json()["on_venue"] is True
    assert Decimal(made.json()["fee"]) == Decimal("37.04")  # 12345.67 × 0.003 = 37.037


async def test_export_streams_csv_with_bom(parties: Parties, session: AsyncSession) -> None:
    for n in range(5):
        await parties.record(
            venue_code="HZDEX" if n % 2 else "OTC", amount=f"{n + 1}00.00", quantity="1 份数据集"
        )
    stranger = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    response = await parties.client.get(
        "/v1/transactions/export", params={"venue": "HZDEX"}, headers=parties.auditor
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,venue_code,on_venue")
    assert len(lines) == 3 and all(",HZDEX," in line for line in lines[1:])
    assert "1 份数据集" in lines[1]
    everything = await parties.client.get("/v1/transactions/export", headers=parties.seller_key)
    assert len(everything.content.decode("utf-8-sig").splitlines()) == 6
    nothing = await parties.client.get("/v1/transactions/export", headers=stranger)
    assert len(nothing.content.decode("utf-8-sig").splitlines()) == 1
    assert (await parties.client.get("/v1/transactions/export")).status_code == 401


async def test_export_cells_are_never_formulas_and_times_are_shanghai(
    parties: Parties,
) -> None:
    """A merchant's `term` of `=HYPERLINK(…)` reached the auditor's spreadsheet as a live
    formula (OWASP CSV injection); timestamps were UTC."""
    typed = ['=HYPERLINK("http://evil.example","点我")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for n, term in enumerate(typed):
        made = await parties.record(
            headers=parties.seller_key,
            term=term,
            quantity=term,
            occurred_at="1991-07-01T12:00:00+09:00" if n == 0 else "2026-11-20T10:00:00+08:00",
        )
        assert made.status_code == 201, made.text
    await parties.record(term="12 个月", quantity="正常=文本")
    response = await parties.client.get("/v1/transactions/export", headers=parties.auditor)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(typed) + 1
    for row in rows:
        for cell in (row["term"], row["quantity"]):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert sorted(r["term"] for r in rows if r["term"].startswith("'")) == sorted(
        "'" + t for t in typed
    )
    assert {r["quantity"] for r in rows} >= {"正常=文本"}
    occurred = sorted(r["occurred_at"] for r in rows)
    assert occurred[0] == "1991-07-01T12:00:00.000000+09:00"  # summer time then
    assert occurred[-1] == "2026-11-20T10:00:00.000000+08:00"
    assert all(r["created_at"].endswith("+08:00") for r in rows)


async def test_turnover_in_the_overview(parties: Parties) -> None:
    await parties.record(venue_code="OTC", amount="100.10", occurred_at="2026-10-31T23:30:00+08:00")
    await parties.record(
        venue_code="OTC", amount="200.20", occurred_at="2026-10-31T16:30:00Z"
    )  # Nov in Shanghai
    cancelled = (await parties.record(venue_code="OTC", amount="999.00")).json()
    await parties.client.post(
        f"/v1/transactions/{cancelled['id']}/events",
        json={"type": "cancelled"},
        headers=idempotent(parties.admin),
    )
    overview = (await parties.client.get("/v1/stats/overview", headers=parties.auditor)).json()
    months = {(m["venue_code"], m["month"]): m for m in overview["turnover_by_venue_and_month"]}
    assert months[("OTC", "2026-10")]["off_venue"] == {"trades": 1, "turnover": "100.10"}
    assert months[("OTC", "2026-11")]["off_venue"] == {"trades": 1, "turnover": "200.20"}
    assert months[("OTC", "2026-11")]["on_venue"] == {"trades": 0, "turnover": "0.00"}


async def test_text_postgresql_cannot_store_is_422_not_500(
    parties: Parties, session: AsyncSession
) -> None:
    """A NUL (or a lone surrogate) in `term` reached PostgreSQL, which cannot store it: a
    500."""
    for field, value in (("term", "12\u0000个月"), ("quantity", "\ud800 份")):
        refused = await parties.client.post(
            "/v1/transactions",
            content=json.dumps(parties.body(**{field: value})),  # escaped: \\ud800
            headers={**parties.admin, "Idempotency-Key": field, "Content-Type": "application/json"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", field]
    assert (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one() == 0
