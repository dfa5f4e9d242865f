"""The SDK against the real app: over ASGI for the async client, over HTTP (a live uvicorn)
for the blocking client, the audit command and the examples."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from shushang_sdk import (
    AsyncClient,
    Client,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServerUnavailable,
    Unauthorized,
    ValidationFailed,
    VerificationFailed,
    merkle,
    models,
    trust,
    verify,
    verify_webhook,
)
from shushang_sdk.audit import main as audit
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.ledger import merkle as server_merkle
from app.main import create_app
from app.webhooks.delivery import signed_headers
from tests.factories import make_key, merchant_body, product_body, valid_uscc, wrong_check

ROOT = Path(__file__).resolve().parents[2]
DIGEST = hashlib.sha256(b"contract").hexdigest()


def sdk(app: Any, token: str | None, **options: Any) -> AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return AsyncClient("http://shushang.test", token, transport=transport, backoff=0.01, **options)


class Flaky:
    """Wraps the app: the first `failures` requests matching `path` get a 503. With
    `after=True` the app handles them first and only the answer is lost."""

    def __init__(self, app: Any, failures: int, path: str, after: bool = False) -> None:
        self.app, self.failures, self.path, self.after = app, failures, path, after
        self.seen = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        self.seen += 1
        if self.seen > self.failures:
            await self.app(scope, receive, send)
            return
        if self.after:

            async def swallow(message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-type", b"application/problem+json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"title": "Unavailable"}'})  # fmt: skip


async def two_merchants(client: AsyncClient) -> tuple[models.MerchantOut, models.MerchantOut]:
    seller = await client.merchants.create(**merchant_body())
    buyer = await client.merchants.create(**merchant_body())
    return seller, buyer


async def trade(
    client: AsyncClient,
    seller: models.MerchantOut,
    buyer: models.MerchantOut,
    amount: str,
    idempotency_key: str | None = None,
) -> models.TradeOut:
    return await client.transactions.record(
        venue_code="OTC", on_venue=False, seller_merchant_id=seller.id,
        buyer_merchant_id=buyer.id, amount=amount, contract_digest=DIGEST,
        occurred_at="2026-11-20T10:00:00+08:00", idempotency_key=idempotency_key,
    )  # fmt: skip


@pytest.fixture
async def operator(app: FastAPI, session: AsyncSession) -> AsyncIterator[AsyncClient]:
    async with sdk(app, await make_key(session, Role.operator)) as client:
        yield client


async def test_a_merchant_lists_a_product(
    operator: AsyncClient, app: FastAPI, tmp_path: Path
) -> None:
    merchant = await operator.merchants.create(**merchant_body())
    key = await operator.api_keys.create(role="merchant", name="sdk", merchant_id=merchant.id)
    async with sdk(app, key.token) as seller:
        product = await seller.products.create(**product_body())
        path = tmp_path / "sample.csv"
        path.write_text("日期,城市,指标值\n2026-01-01,杭州,12.5\n2026-01-02,宁波,13.0\n")
        from_path = await seller.samples.upload(product.id, path)
        assert from_path.rows == 2
        with path.open("rb") as stream:
            from_file = await seller.samples.upload(product.id, stream)
        assert from_file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert len([s async for s in seller.samples.iter(product.id)]) == 2
        downloaded = await seller.samples.download(product.id, from_file.id)
        assert downloaded.content == path.read_bytes() and downloaded.filename == "sample.csv"

        listing = await seller.listings.create(
            product_id=product.id, venue_code="HZDEX", price={"model": "negotiable"}
        )
        with pytest.raises(Conflict) as gates:
            await seller.listings.submit(listing.id)
        assert "quality_assessment" in " ".join(gates.value.missing)
        assert gates.value.request_id and gates.value.request_id in str(gates.value)
        await seller.products.update(product.id, status="active")  # revision 2
        await operator.assessments.run_quality_assessment(product.id)
        await operator.assessments.run_compliance_assessment(product.id)
        await operator.assessments.run_valuation(
            product.id, method="cost", return_rate="0.1",
            cost_items=[{"kind": "processing", "amount": "1000.00"}],
        )  # fmt: skip
        await seller.products.update(product.id, status="active")
        assert (await seller.listings.submit(listing.id)).status == "submitted"
        with pytest.raises(Forbidden):
            await seller.listings.approve(listing.id)
    assert (await operator.listings.approve(listing.id)).status == "listed"
    assert [e.action async for e in operator.listings.iter_events(listing.id)] == [
        "create", "submit", "approve"
    ]  # fmt: skip


async def test_lists_follow_cursors(operator: AsyncClient) -> None:
    made = {(await operator.merchants.create(**merchant_body())).id for _ in range(5)}
    seen = [m.id async for m in operator.merchants.iter(limit=2)]
    assert set(seen) == made and len(seen) == 5
    first = await operator.merchants.list(limit=2)
    assert len(first.items) == 2 and first.next_cursor and first.meta.status == 200
    second = await operator.merchants.list(limit=2, cursor=first.next_cursor)
    assert [m.id for m in [*first.items, *second.items]] == seen[:4]


async def test_each_problem_is_its_exception(
    operator: AsyncClient,
    app: FastAPI,
    settings: Settings,
    session: AsyncSession,
    tmp_path: Path,
) -> None:
    with pytest.raises(NotFound):
        await operator.merchants.get("01a20000-0000-7000-8000-000000000000")
    with pytest.raises(ValidationFailed) as invalid:
        await operator.merchants.create(**merchant_body(uscc=wrong_check(valid_uscc())))
    assert invalid.value.errors[0]["loc"][-1] == "uscc"
    async with sdk(app, "shs_op_not-a-real-key") as stranger:
        with pytest.raises(Unauthorized):
            await stranger.merchants.iter().__anext__()
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        with pytest.raises(Forbidden):
            await reader.merchants.create(**merchant_body())
    async with sdk(app, await make_key(session, Role.assessor)) as assessor:
        with pytest.raises(Forbidden):  # assessors do not read trades, nor export them
            await assessor.transactions.export(tmp_path / "refused.csv")
    assert not (tmp_path / "refused.csv").exists()

    limited = create_app(settings.model_copy(update={"rate_limit_per_minute": 1}))
    try:
        async with sdk(limited, auditor, max_retries=0) as hurried:
            nobody = "01a20000-0000-7000-8000-000000000000"
            with pytest.raises(NotFound):
                await hurried.merchants.get(nobody)
            with pytest.raises(RateLimited) as slow:
                await hurried.merchants.get(nobody)
            assert slow.value.retry_after is not None and slow.value.retry_after > 0
    finally:
        await limited.state.engine.dispose()

    down = Flaky(app, failures=99, path="/v1/venues")
    async with sdk(down, None, max_retries=2) as client:
        with pytest.raises(ServerUnavailable):
            await client.venues.get("HZDEX")
    assert down.seen == 3  # the first try and two retries


async def test_reads_are_retried_when_the_server_fails_twice(app: FastAPI) -> None:
    flaky = Flaky(app, failures=2, path="/v1/venues")
    async with sdk(flaky, None) as client:
        assert (await client.venues.get("HZDEX")).code == "HZDEX"
    assert flaky.seen == 3


async def test_a_trade_whose_answer_was_lost_is_recorded_once(
    operator: AsyncClient, app: FastAPI, session: AsyncSession
) -> None:
    seller, buyer = await two_merchants(operator)
    flaky = Flaky(app, failures=2, path="/v1/transactions", after=True)
    async with sdk(flaky, await make_key(session, Role.operator)) as client:
        recorded = await trade(client, seller, buyer, "1200.00")
    assert flaky.seen == 3 and recorded.meta.replayed  # the third try was answered as the first
    everything = [t async for t in operator.transactions.iter(venue_code="OTC")]
    assert [t.id for t in everything] == [recorded.id]  # one trade, not three


async def test_verification_trusts_only_the_known_key(operator: AsyncClient) -> None:
    seller, buyer = await two_merchants(operator)
    trades = [await trade(operator, seller, buyer, f"{n}00.00") for n in range(1, 6)]
    head = await operator.ledger.tree_head("OTC")
    with pytest.raises(VerificationFailed, match="not a trusted one"):
        await operator.ledger.verify_transaction(trades[0].id)
    operator.ledger.trusted_keys = trust(head["public_key"])
    for t in trades:
        entry = await operator.ledger.verify_transaction(t.id)
        assert entry["entry"]["trade_id"] == str(t.id)
    assert head.meta.request_id and models.TreeHeadOut.model_validate(head).tree_size == 5

    # Forgeries: a changed path, a changed root, another key, a changed entry.
    entry = await operator.ledger.entry("OTC", 2)
    proof = await operator.ledger.inclusion_proof("OTC", 2, head["tree_size"])
    verify.verify_inclusion(entry, proof, head)
    bad_path = {**proof, "audit_path": ["00" * 32, *proof["audit_path"][1:]]}
    with pytest.raises(VerificationFailed, match="not in the signed tree"):
        verify.verify_inclusion(entry, bad_path, head)
    forged_head = {**head, "root_hash": "ab" * 32}
    with pytest.raises(VerificationFailed, match="signature"):
        verify.verify_tree_head(forged_head, operator.ledger.trusted_keys)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    impostor = (
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    with pytest.raises(VerificationFailed):
        verify.verify_tree_head(head, trust(impostor.hex()))
    altered = {**entry, "entry": {**entry["entry"], "amount": "1.00"}}
    with pytest.raises(VerificationFailed, match="canonical"):
        verify.verify_entry(altered)

    more = await trade(operator, seller, buyer, "9.00")
    newer = await operator.ledger.verified_head("OTC")
    await operator.ledger.verify_consistency("OTC", head, newer)
    with pytest.raises(VerificationFailed, match="rewritten"):
        await operator.ledger.verify_consistency("OTC", {**head, "root_hash": "cd" * 32}, newer)
    assert more.leaf_index == newer["tree_size"] - 1


def test_sdk_merkle_agrees_with_the_server_for_every_small_tree() -> None:
    leaves = [server_merkle.leaf_hash(b"%d" % i) for i in range(70)]
    for size in range(1, 70):
        nodes: dict[tuple[int, int], bytes] = {}
        for i in range(size):
            nodes[(0, i)] = leaves[i]
            for level, index in server_merkle.completed_by(i):
                nodes[(level, index)] = server_merkle.node_hash(
                    nodes[(level - 1, 2 * index)], nodes[(level - 1, 2 * index + 1)]
                )
        root = server_merkle.root(size, nodes.__getitem__)
        for index in range(size):
            path = server_merkle.inclusion_proof(index, size, nodes.__getitem__)
            assert merkle.verify_inclusion(index, size, leaves[index], path, root)
            assert not merkle.verify_inclusion(index, size, leaves[(index + 1) % 70], path, root)
        for first in range(1, size + 1):
            proof = server_merkle.consistency_proof(first, size, nodes.__getitem__)
            old = server_merkle.root(first, nodes.__getitem__)
            assert merkle.verify_consistency(first, size, old, root, proof)
            if first < size:
                assert not merkle.verify_consistency(first, size, root, root, proof)


def test_webhook_signatures_are_verified() -> None:
    from datetime import UTC, datetime

    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"type":"trade.recorded","data":{}}'
    headers = signed_headers(secret, "msg_1", body, datetime.now(UTC))
    assert verify_webhook(secret, body, headers)["type"] == "trade.recorded"
    with pytest.raises(VerificationFailed):
        verify_webhook(secret, body.replace(b"trade", b"trick"), headers)


async def test_the_blocking_client_and_the_audit_command(
    live_url: str, operator_token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = operator_token

    def scenario() -> dict[str, Any]:
        with Client(live_url, token) as client:
            seller = client.merchants.create(**merchant_body())
            buyer = client.merchants.create(**merchant_body())
            ids = [
                client.transactions.record(
                    venue_code="OTC", on_venue=False, seller_merchant_id=seller.id,
                    buyer_merchant_id=buyer.id, amount=f"{n}.50", contract_digest=DIGEST,
                    occurred_at="2026-11-20T10:00:00+08:00",
                ).id
                for n in range(1, 4)
            ]  # fmt: skip
            listed = [t.id for t in client.transactions.iter(venue_code="OTC", limit=2)]
            exported = client.transactions.export(tmp_path / "otc.csv", venue_code="OTC")
            head = client.ledger.tree_head("OTC")
            client.ledger.trusted_keys = trust(head["public_key"])
            verified = [client.ledger.verify_transaction(i)["index"] for i in ids]
            with pytest.raises(NotFound):
                client.merchants.get("01a20000-0000-7000-8000-000000000000")
            return {"ids": ids, "listed": listed, "bytes": exported, "verified": verified,
                    "key": head["public_key"], "seller": seller, "buyer": buyer}  # fmt: skip

    seen = await asyncio.to_thread(scenario)
    assert seen["listed"] == seen["ids"] and seen["verified"] == [0, 1, 2]
    csv = (tmp_path / "otc.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and csv.count(b"\n") == 4 and seen["bytes"] == len(csv)

    monkeypatch.setenv("SHUSHANG_URL", live_url)
    monkeypatch.setenv("SHUSHANG_API_KEY", token)
    assert await asyncio.to_thread(audit, ["verify", "--venue", "OTC", "--quiet",
                                           "--public-key", seen["key"]]) == 0  # fmt: skip
    trusting = ["verify", "--venue", "OTC", "--quiet"]  # no key: trust on first use, said
    assert await asyncio.to_thread(audit, trusting) == 0
    stranger = "11" * 32
    refused = ["verify", "--venue", "OTC", "--quiet", "--public-key", stranger]
    assert await asyncio.to_thread(audit, refused) == 2  # the head's key is not trusted
    state = tmp_path / "otc-heads.json"
    watch = ["watch", "--venue", "OTC", "--state", str(state), "--once"]
    assert await asyncio.to_thread(audit, watch) == 0
    assert json.loads(state.read_text())["head"]["tree_size"] == 3

    def one_more() -> None:
        with Client(live_url, token) as client:
            client.transactions.record(
                venue_code="OTC", on_venue=False, seller_merchant_id=seen["seller"].id,
                buyer_merchant_id=seen["buyer"].id, amount="7.00", contract_digest=DIGEST,
                occurred_at="2026-11-21T10:00:00+08:00",
            )  # fmt: skip

    await asyncio.to_thread(one_more)
    assert await asyncio.to_thread(audit, watch) == 0
    assert json.loads(state.read_text())["head"]["tree_size"] == 4
    forged = json.loads(state.read_text())
    forged["head"]["root_hash"] = "ef" * 32
    forged["head"]["tree_size"] = 2
    state.write_text(json.dumps(forged))
    assert await asyncio.to_thread(audit, watch) == 2  # the log "rewrote" what was seen


@pytest.mark.parametrize(
    ("example", "says"),
    [
        ("merchant_listing.py", "listing"),
        ("auditor_verify_month.py", "verified, 0 failed"),
        ("erp_sync.py", "already recorded"),
        ("catalog_fetch.py", "products in all"),
    ],
)
async def test_examples_run(example: str, says: str, live_url: str, operator_token: str) -> None:
    env = {**os.environ, "SHUSHANG_URL": live_url, "SHUSHANG_API_KEY": operator_token,
           "PYTHONPATH": str(ROOT / "sdk")}  # fmt: skip
    env.pop("SHUSHANG_LEDGER_PUBLIC_KEY", None)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "examples" / example)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert says in done.stdout, done.stdout


async def test_answers_carry_their_metadata(operator: AsyncClient, app: FastAPI) -> None:
    merchant = await operator.merchants.create(**merchant_body())
    assert merchant.meta.status == 201 and merchant.meta.request_id
    read = await operator.merchants.get(merchant.id)
    assert read.meta.etag and read.meta.etag.startswith(f'"{read.version}.')

    changed = await operator.merchants.update(merchant.id, tier="leading", version=read.meta.etag)
    assert changed.version == read.version + 1 and changed.tier == "leading"
    with pytest.raises(PreconditionFailed) as stale:  # someone changed it since `read`
        await operator.merchants.update(merchant.id, tier="growth", version=read.version)
    assert stale.value.status == 412 and stale.value.request_id
    assert (await operator.merchants.get(merchant.id)).tier == "leading"

    seller, buyer = await two_merchants(operator)
    first = await trade(operator, seller, buyer, "88.00", idempotency_key="erp-SO-1")
    again = await trade(operator, seller, buyer, "88.00", idempotency_key="erp-SO-1")
    assert not first.meta.replayed and again.meta.replayed and again.id == first.id

    async with sdk(app, None, headers={"X-Request-ID": "erp-run-42"}) as traced:
        venue = await traced.venues.get("HZDEX")
        assert venue.meta.request_id == "erp-run-42"
        with pytest.raises(NotFound) as missing:
            await traced.venues.get("NOWHERE")
        assert missing.value.request_id == "erp-run-42" and "erp-run-42" in str(missing.value)


async def test_problems_in_chinese(app: FastAPI, session: AsyncSession) -> None:
    token = await make_key(session, Role.operator)
    async with sdk(app, token, accept_language="zh-CN") as client:
        with pytest.raises(ValidationFailed) as invalid:
            await client.merchants.create(**merchant_body(uscc=wrong_check(valid_uscc())))
    problem = invalid.value
    assert problem.type.startswith("urn:shushang:problem:") and problem.status == 422
    assert any("\u4e00" <= c <= "\u9fff" for c in problem.title + problem.detail), problem.title
    assert problem.errors[0]["loc"][-1] == "uscc"
    assert any("\u4e00" <= c <= "\u9fff" for c in problem.errors[0]["msg"])
    assert problem.request_id and problem.request_id in str(problem)
    assert "uscc" in str(problem)  # each invalid field is in the message


async def test_iteration_follows_every_page(operator: AsyncClient, app: FastAPI) -> None:
    merchant = await operator.merchants.create(**merchant_body())
    for n in range(5):
        await operator.products.create(
            **product_body(name=f"城市交通流量数据集{n}"), merchant_id=merchant.id
        )
    found = [p.name async for p in operator.products.iter(q="交通", limit=2)]
    assert sorted(found) == [f"城市交通流量数据集{n}" for n in range(5)]
    page = await operator.products.list(q="交通", limit=2, facets=True)
    assert len(page.items) == 2 and page.next_cursor and page.facets is not None
