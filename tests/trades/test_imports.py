"""Bulk import of trades (`POST /v1/transactions/imports`): per-line results in file order,
replays, refusals of each kind, ledger order = file order, historical imports, the caps."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.ledger import merkle
from app.main import create_app
from app.trades import imports
from tests.factories import auth, make_key, make_merchant, make_product
from tests.ledger.test_verify import verify
from tests.trades.conftest import DIGEST, Parties

NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(lines: list[dict[str, Any] | str]) -> bytes:
    return "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines).encode()


def line(parties: Parties, key: str | None = None, **fields: Any) -> dict[str, Any]:
    return {**parties.body(**fields), "idempotency_key": str(uuid.uuid4()) if key is None else key}


async def post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: bytes,
    *,
    historical: bool = False,
    **extra: str,
) -> httpx.Response:
    params = {"historical": "true"} if historical else {}
    return await client.post(
        "/v1/transactions/imports",
        content=body,
        params=params,
        headers={**headers, **NDJSON, **extra},
    )


def results(answer: httpx.Response) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    counted = {s: sum(r["status"] == s for r in body["results"]) for s in ("created", "replayed")}
    assert body["created"] == counted["created"] and body["replayed"] == counted["replayed"]
    assert body["refused"] == len(body["results"]) - sum(counted.values())
    assert [r["line"] for r in body["results"]] == list(range(1, len(body["results"]) + 1))
    out: list[dict[str, Any]] = body["results"]
    return out


async def count(session: AsyncSession, sql: str) -> int:
    value = (await session.execute(text(sql))).scalar_one()
    await session.commit()  # a fresh snapshot next time
    return int(value)


async def proves(
    client: httpx.AsyncClient, venue: str, result: dict[str, Any], reader: dict[str, str]
) -> None:
    """The line's trade is the leaf it was given, and the leaf's inclusion proof verifies
    against the venue's signed tree head (the entry read by `reader`: contents are private)."""
    head = (await client.get(f"/v1/ledgers/{venue}/tree-head")).json()
    index = result["leaf_index"]
    entry = (await client.get(f"/v1/ledgers/{venue}/entries/{index}", headers=reader)).json()
    assert entry["entry"]["trade_id"] == result["trade_id"]
    proof = (
        await client.get(
            f"/v1/ledgers/{venue}/proofs/inclusion",
            params={"index": result["leaf_index"], "tree_size": head["tree_size"]},
        )
    ).json()
    assert merkle.verify_inclusion(
        result["leaf_index"],
        head["tree_size"],
        bytes.fromhex(entry["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )


async def test_lines_get_one_result_each_in_order(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = ndjson(
        [
            line(parties, venue_code="HZDEX", amount="100.00"),
            line(parties, venue_code="OTC", amount="200.00"),
            '{"venue_code": "HZDEX", "amount": ',  # bad JSON, in the middle
            line(
                parties,
                venue_code="HZDEX",
                amount="300.00",
                buyer_merchant_id=str(parties.seller.id),
            ),
            line(parties, venue_code="HZDEX", amount="400.00", colour="red"),  # unknown field
            line(parties, venue_code="OTC", amount="500.00"),
            line(parties, venue_code="HZDEX", amount="600.00"),
        ]
    )
    answer = await post(client, parties.admin, body)
    got = results(answer)
    assert [r["status"] for r in got] == [
        "created", "created", "refused", "refused", "refused", "created", "created",
    ]  # fmt: skip
    assert got[2]["problem"]["status"] == 422 and got[2]["problem"]["errors"][0]["loc"] == ["body"]
    assert got[3]["problem"]["errors"][0]["loc"] == ["body", "buyer_merchant_id"]
    assert got[4]["problem"]["errors"][0]["loc"] == ["body", "colour"]
    assert all("trade_id" not in r and "leaf_index" not in r for r in got if r.get("problem"))
    assert all("problem" not in r for r in got if r["status"] == "created")

    # Each venue's log has the created lines in file order.
    assert [r["leaf_index"] for r in (got[0], got[6])] == [0, 1]  # HZDEX
    assert [r["leaf_index"] for r in (got[1], got[5])] == [0, 1]  # OTC
    for venue, result in (("HZDEX", got[0]), ("HZDEX", got[6]), ("OTC", got[1]), ("OTC", got[5])):
        await proves(client, venue, result, parties.auditor)
    trade = await client.get(f"/v1/transactions/{got[6]['trade_id']}", headers=parties.auditor)
    made = trade.json()
    assert made["amount"] == "600.00" and made["fee"] == "1.80" and made["leaf_index"] == 1
    # An operator's import is recorded by the operator: confirmed, no reporter.
    assert made["confirmed"] is True and made["reported_by_merchant_id"] is None

    assert await count(session, "SELECT count(*) FROM trade") == 4
    assert await count(session, "SELECT count(*) FROM idempotency_record") == 4
    assert (
        await count(session, "SELECT count(*) FROM outbox_event WHERE type = 'trade.recorded'") == 4
    )
    details = list(
        (
            await session.execute(
                text("SELECT details FROM audit_event WHERE action = 'trade.record' ORDER BY id")
            )
        ).scalars()
    )
    assert sorted(d["line"] for d in details) == [1, 2, 6, 7]
    summary = (
        await session.execute(
            text("SELECT resource_id, details FROM audit_event WHERE action = 'trade.import'")
        )
    ).one()
    assert summary.details == {"historical": False, "created": 4, "replayed": 0, "refused": 3}
    assert summary.resource_id == answer.json()["import_id"]
    assert {d["import_id"] for d in details} == {answer.json()["import_id"]}


async def test_an_import_again_replays_and_a_reused_key_is_refused(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    lines = [line(parties, amount=f"{n}.00") for n in range(1, 6)]
    first = results(await post(client, parties.admin, ndjson(lines)))
    again = results(await post(client, parties.admin, ndjson(lines)))
    assert [r["status"] for r in again] == ["replayed"] * 5
    assert [(r["trade_id"], r["leaf_index"]) for r in again] == [
        (r["trade_id"], r["leaf_index"]) for r in first
    ]
    other_body = {**lines[2], "amount": "999.00"}
    reused = results(await post(client, parties.admin, ndjson([other_body])))
    assert reused[0]["status"] == "refused"
    assert reused[0]["problem"]["status"] == 422
    assert reused[0]["problem"]["type"].endswith("idempotency-key-reused")
    assert await count(session, "SELECT count(*) FROM trade") == 5
    assert (await client.get("/v1/ledgers/OTC/tree-head")).json()["tree_size"] == 5


async def test_keys_are_shared_with_the_per_request_path_and_scoped_to_the_caller(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    alone = await parties.record(key="broker-0001", amount="77.00")
    assert alone.status_code == 201
    same = line(parties, key="broker-0001", amount="77.00")
    got = results(await post(client, parties.admin, ndjson([same])))
    assert got[0] == {
        "line": 1,
        "status": "replayed",
        "trade_id": alone.json()["id"],
        "leaf_index": alone.json()["leaf_index"],
    }
    # Another operator's key: the same idempotency key is its own.
    other = auth(await make_key(session, Role.operator))
    theirs = results(await post(client, other, ndjson([same])))
    assert theirs[0]["status"] == "created" and theirs[0]["trade_id"] != alone.json()["id"]
    # And the import's first answer is what a later per-request retry gets.
    imported = line(parties, key="broker-0002", amount="78.00")
    created = results(await post(client, parties.admin, ndjson([imported])))[0]
    retry = await parties.record(key="broker-0002", amount="78.00")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == created["trade_id"]


@pytest.mark.parametrize("batch", [1000, 2])
async def test_the_same_key_twice_in_one_file(
    parties: Parties,
    client: httpx.AsyncClient,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
) -> None:
    """In one batch (the facts were read before either line was stored) or across two."""
    monkeypatch.setattr(imports, "BATCH_LINES", batch)
    refused_first = line(parties, key="k-refused", amount="0.00")  # refused: nothing kept
    body = ndjson(
        [
            line(parties, key="k-1", amount="10.00"),
            line(parties, key="k-1", amount="10.00"),  # the same trade again
            line(parties, key="k-1", amount="11.00"),  # the key for another trade
            refused_first,
            {**refused_first, "amount": "12.00"},  # its key was never used: created
        ]
    )
    got = results(await post(client, parties.admin, body))
    assert [r["status"] for r in got] == ["created", "replayed", "refused", "refused", "created"]
    assert (got[1]["trade_id"], got[1]["leaf_index"]) == (got[0]["trade_id"], got[0]["leaf_index"])
    assert got[2]["problem"]["type"].endswith("idempotency-key-reused")
    assert got[3]["problem"]["errors"][0]["loc"] == ["body", "amount"]
    assert got[4]["leaf_index"] == 1
    assert await count(session, "SELECT count(*) FROM trade") == 2


async def test_each_kind_of_refusal_is_the_problem_the_trade_alone_would_get(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    stranger_product = await make_product(session, await make_merchant(session))
    cases: list[tuple[dict[str, Any] | str, int, str]] = [
        (line(parties, venue_code="NOWHERE"), 404, "not-found"),
        (line(parties, buyer_merchant_id=str(parties.seller.id)), 422, "buyer_merchant_id"),
        (line(parties, seller_merchant_id=str(uuid.uuid4())), 422, "seller_merchant_id"),
        (line(parties, buyer_merchant_id=str(uuid.uuid4())), 422, "buyer_merchant_id"),
        (line(parties, on_venue=True, venue_code="HZDEX"), 422, "listing_id"),
        (line(parties, on_venue=True, listing_id=str(uuid.uuid4())), 422, "listing_id"),
        (line(parties, listing_id=str(uuid.uuid4())), 422, "listing_id"),  # off-venue
        (line(parties, product_id=str(stranger_product.id)), 422, "product_id"),
        (line(parties, amount="0.00"), 422, "amount"),
        (line(parties, amount="1000000000000.01"), 422, "amount"),
        (line(parties, amount="12.345"), 422, "amount"),
        (line(parties, amount="١٢٣"), 422, "amount"),  # Arabic-Indic digits
        (line(parties, occurred_at="1989-12-31T23:59:59+08:00"), 422, "occurred_at"),
        (line(parties, occurred_at="2999-01-01T00:00:00+08:00"), 422, "occurred_at"),
        (line(parties, occurred_at="2026-11-20T10:00:00"), 422, "occurred_at"),  # no offset
        (line(parties, term="a\u0000b"), 422, "term"),  # NUL: once a 500 when stored
        (line(parties, quantity="\ud800"), 422, "body"),  # a lone surrogate: not JSON text
        (line(parties, contract_digest="nope"), 422, "contract_digest"),
        (line(parties, key=""), 422, "idempotency_key"),  # as a missing header
        (line(parties, key="x" * 256), 422, "idempotency_key"),
        (line(parties, key="键"), 422, "idempotency_key"),
        (parties.body(), 422, "idempotency_key"),  # no key at all
        (line(parties, surprise=1), 422, "surprise"),
        ("[1, 2]", 422, "body"),
        ('"a trade"', 422, "body"),
        ("{not json", 422, "body"),
        ("   ", 422, "body"),  # an empty line
        ("[" * 5000 + "]" * 5000, 422, "body"),  # deep nesting
        ('{"a": "' + "x" * (imports.MAX_LINE_BYTES + 10) + '"}', 422, "body"),  # overlong
    ]
    good = line(parties)
    body = ndjson([case for case, _, _ in cases] + [good]) + b"\xff\xfe{}\n"  # not UTF-8
    got = results(await post(client, parties.admin, body))
    assert len(got) == len(cases) + 2
    for (case, status, where), result in zip(cases, got, strict=False):
        assert result["status"] == "refused", (case, result)
        problem = result["problem"]
        assert problem["status"] == status, (case, problem)
        assert problem["type"].startswith("urn:shushang:problem:")
        if status == 422:
            located = [e["loc"][-1] for e in problem["errors"]]
            assert where in located, (case, problem)
        else:
            assert problem["type"].endswith(where)
    assert got[-2]["status"] == "created"  # the one good line, after all of those
    assert got[-1]["status"] == "refused" and got[-1]["problem"]["status"] == 422
    assert await count(session, "SELECT count(*) FROM trade") == 1

    # Problems follow Accept-Language like every problem.
    chinese = results(
        await post(client, parties.admin, ndjson([cases[1][0]]), **{"Accept-Language": "zh-CN"})
    )
    assert chinese[0]["problem"]["title"] == "校验未通过"
    assert "与卖方相同" in chinese[0]["problem"]["errors"][0]["msg"]


async def test_historical_imports_relax_the_listing_only(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.listings.test_router import Exchange

    ex = await Exchange(client, session).setup()
    seller = str(ex.merchant.id)
    product_id = await ex.product()
    listed = await ex.listing(product_id)
    await ex.step(listed, "submit", ex.owner)
    await ex.step(listed, "approve", ex.admin)
    draft = await ex.listing(await ex.product(), venue="NBSE")

    def on_venue(**fields: Any) -> dict[str, Any]:
        fixed = {"on_venue": True, "venue_code": "HZDEX", "seller_merchant_id": seller}
        return line(parties, **{**fixed, **fields})

    now = results(await post(client, parties.admin, ndjson([on_venue(listing_id=listed)])))
    assert now[0]["status"] == "created"  # listed: both ways
    await ex.step(listed, "suspend", ex.admin, reason="review")
    suspended = on_venue(listing_id=listed, occurred_at="2019-03-01T09:30:00+08:00")
    delisted = on_venue(listing_id=listed, occurred_at="1990-01-01T00:00:00+08:00")
    no_listing = on_venue(product_id=product_id, occurred_at="2001-05-01T00:00:00+08:00")
    not_the_sellers = on_venue(product_id=str(parties.seller.id))  # no such product
    never_listed = on_venue(listing_id=draft, venue_code="NBSE")
    elsewhere = on_venue(listing_id=listed, venue_code="WZDEX")
    not_the_seller = {**on_venue(listing_id=listed), "seller_merchant_id": str(parties.seller.id)}
    same_parties = {**on_venue(), "buyer_merchant_id": seller}

    plain = results(await post(client, parties.admin, ndjson([suspended, no_listing])))
    assert [r["problem"]["status"] for r in plain] == [409, 422]
    assert plain[0]["problem"]["current_status"] == "suspended"

    await ex.step(listed, "delist", ex.admin, reason="gone")
    lines = [
        suspended, delisted, no_listing, not_the_sellers, never_listed, elsewhere,
        not_the_seller, same_parties,
    ]  # fmt: skip
    past = results(await post(client, parties.admin, ndjson(lines), historical=True))
    assert [r["status"] for r in past[:3]] == ["created"] * 3
    first = past[0]["leaf_index"]
    assert [r["leaf_index"] for r in past[:3]] == [first, first + 1, first + 2]
    statuses = [
        (r["problem"]["status"], r["problem"].get("errors", [{}])[0].get("loc")) for r in past[3:]
    ]
    assert statuses == [
        (422, ["body", "product_id"]),
        (409, None),
        (422, ["body", "listing_id"]),
        (422, ["body", "seller_merchant_id"]),
        (422, ["body", "buyer_merchant_id"]),
    ]
    assert past[4]["problem"]["current_status"] == "draft"
    stored = (
        await client.get(f"/v1/transactions/{past[2]['trade_id']}", headers=parties.auditor)
    ).json()
    assert stored["listing_id"] is None and stored["product_id"] == product_id
    assert stored["on_venue"] is True and stored["occurred_at"].startswith("2001-04-30T16:00")
    assert await count(session, "SELECT count(*) FROM trade") == 4


async def test_over_the_line_cap_nothing_is_applied(
    parties: Parties,
    client: httpx.AsyncClient,
    session: AsyncSession,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.state.settings, "import_max_lines", 3)
    four = [line(parties, amount=f"{n}.00") for n in range(1, 5)]
    for body in (ndjson(four), ndjson(four).rstrip(b"\n")):
        answer = await post(client, parties.admin, body)
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "at most 3 lines" in answer.json()["detail"] and answer.json()["max_lines"] == 3
    assert await count(session, "SELECT count(*) FROM trade") == 0
    assert await count(session, "SELECT count(*) FROM ledger_entry") == 0
    # Three lines, with or without the last newline, are within the cap.
    assert len(results(await post(client, parties.admin, ndjson(four[:3]).rstrip(b"\n")))) == 3


async def test_the_body_cap_is_the_imports_own(
    parties: Parties, settings: Any, session: AsyncSession
) -> None:
    small = create_app(settings.model_copy(update={"import_max_bytes": 4096}))
    transport = httpx.ASGITransport(app=small, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://s.test") as client:
            lines = [line(parties, amount=f"{n}.00") for n in range(1, 30)]
            answer = await post(client, parties.admin, ndjson(lines))
            assert answer.status_code == 413 and "4096 bytes" in answer.json()["detail"]

            async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused midway
                for one in lines:
                    yield ndjson([one])

            streamed = await client.post(
                "/v1/transactions/imports", content=chunks(), headers={**parties.admin, **NDJSON}
            )
            assert streamed.status_code == 413
    finally:
        await small.state.engine.dispose()
    assert await count(session, "SELECT count(*) FROM trade") == 0


async def test_who_may_import_and_what_body(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = ndjson([line(parties)])
    for who in (parties.seller_key, parties.auditor, auth(await make_key(session, Role.assessor))):
        answer = await post(client, who, body)
        assert answer.status_code == 403, answer.text
    assert (await post(client, {}, body)).status_code == 401
    as_json = await client.post(
        "/v1/transactions/imports",
        content=body,
        headers={**parties.admin, "Content-Type": "application/json"},
    )
    assert as_json.status_code == 415 and "x-ndjson" in as_json.json()["detail"]
    assert (await post(client, parties.admin, b"")).status_code == 422
    unknown = await client.post(
        "/v1/transactions/imports?dry_run=1", content=body, headers={**parties.admin, **NDJSON}
    )
    assert unknown.status_code == 422
    assert await count(session, "SELECT count(*) FROM trade") == 0
    # application/jsonl is JSON Lines too; a BOM on the first line is forgiven.
    jsonl = await client.post(
        "/v1/transactions/imports",
        content=b"\xef\xbb\xbf" + body,
        headers={**parties.admin, "Content-Type": "application/jsonl; charset=utf-8"},
    )
    assert results(jsonl)[0]["status"] == "created"


async def test_a_failing_batch_is_applied_line_by_line(
    parties: Parties,
    client: httpx.AsyncClient,
    session: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A key another request stored after the batch read its facts fails the batch's
    statement; applied again line by line, only the line at fault is refused (its key now
    holds another trade: 422), and the others are created in order."""
    lines = [line(parties, amount=f"{n}.00") for n in range(1, 5)]
    key = lines[2]["idempotency_key"]
    # "Another request": a trigger stores the key once the batch has appended its leaves,
    # just before the batch's idempotency records go in.
    admin_key = (
        await session.execute(
            text("SELECT id FROM api_key WHERE role = 'operator' ORDER BY created_at DESC LIMIT 1")
        )
    ).scalar_one()
    await session.execute(
        text(
            "CREATE FUNCTION test_race() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO idempotency_record VALUES ('{admin_key}', '{key}', "
            "'\\x00'::bytea, 201, '{}'::jsonb, now()) ON CONFLICT DO NOTHING; "
            "RETURN NULL; END $$"
        )
    )
    await session.execute(
        text(
            "CREATE TRIGGER test_race AFTER INSERT ON ledger_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION test_race()"
        )
    )
    await session.commit()
    try:
        with caplog.at_level(logging.INFO, logger="shushang.trades"):
            got = results(await post(client, parties.admin, ndjson(lines)))
    finally:
        await session.execute(text("DROP TRIGGER test_race ON ledger_entry"))
        await session.execute(text("DROP FUNCTION test_race()"))
        await session.commit()
    assert "line by line" in caplog.text  # the batch as a whole did fail
    assert [r["status"] for r in got] == ["created", "created", "refused", "created"]
    assert got[2]["problem"]["status"] == 422  # its key now holds another body
    assert [r["leaf_index"] for r in got if r["status"] == "created"] == [0, 1, 2]
    assert await count(session, "SELECT count(*) FROM trade") == 3


async def test_ten_thousand_lines_stream_through_http_and_the_ledger_verifies(
    live_url: str, operator_token: str, session: AsyncSession, database_url: str
) -> None:
    """Over a real socket, the body sent in chunks as it is made (no Content-Length): the
    server reads it as it comes, applies 10 000 lines (ten batches) and the answer streams
    back. Then `shushang ledger verify` recomputes every leaf and the tree head."""
    seller, buyer = await make_merchant(session), await make_merchant(session)
    total = 10_000

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, total, 500):
            yield b"".join(
                json.dumps(
                    {
                        "idempotency_key": f"bulk-{n}",
                        "venue_code": "WZDEX",
                        "on_venue": False,
                        "seller_merchant_id": str(seller.id),
                        "buyer_merchant_id": str(buyer.id),
                        "amount": f"{1 + n % 997}.25",
                        "contract_digest": DIGEST,
                        "occurred_at": "2020-06-01T08:00:00+08:00",
                    }
                ).encode()
                + b"\n"
                for n in range(start, start + 500)
            )

    async with httpx.AsyncClient(base_url=live_url, timeout=300) as client:
        async with client.stream(
            "POST",
            "/v1/transactions/imports",
            content=chunks(),
            headers={"Authorization": f"Bearer {operator_token}", **NDJSON},
        ) as answer:
            assert answer.status_code == 200
            parts = [part async for part in answer.aiter_bytes()]
        body = json.loads(b"".join(parts))
        assert body["created"] == total and body["refused"] == 0
        assert len(body["results"]) == total
        assert [r["leaf_index"] for r in body["results"]] == list(range(total))
        head = (await client.get("/v1/ledgers/WZDEX/tree-head")).json()
        assert head["tree_size"] == total
    clean = await verify(database_url, "WZDEX")
    assert clean.returncode == 0, clean.stderr
    assert f"{total} entries" in clean.stdout


async def test_when_the_database_goes_away_the_rest_is_refused_503(
    parties: Parties,
    client: httpx.AsyncClient,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer has begun (200): the lines not applied say so, each with a 503 problem,
    and importing the file again replays what was applied and applies the rest."""
    monkeypatch.setattr(imports, "BATCH_LINES", 2)
    write = imports.Import._write
    calls = 0

    async def failing_after_one_batch(self: imports.Import, lines: list[imports.Line]) -> Any:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("the server went away")
        return await write(self, lines)

    monkeypatch.setattr(imports.Import, "_write", failing_after_one_batch)
    lines: list[dict[str, Any] | str] = [line(parties, amount=f"{n}.00") for n in range(1, 6)]
    lines.insert(3, "{not json")
    got = results(await post(client, parties.admin, ndjson(lines)))
    assert [r["status"] for r in got] == ["created", "created"] + ["refused"] * 4
    assert [r["problem"]["status"] for r in got[2:]] == [503, 422, 503, 503]
    assert calls == 2  # once away, the database is not tried again for this import
    assert await count(session, "SELECT count(*) FROM trade") == 2

    monkeypatch.setattr(imports.Import, "_write", write)
    again = results(await post(client, parties.admin, ndjson(lines)))
    assert [r["status"] for r in again] == ["replayed", "replayed", "created", "refused"] + [
        "created"
    ] * 2
    assert await count(session, "SELECT count(*) FROM trade") == 5
