"""The SDK checks everything: every leaf kind of every log against its record, field by
field; the log a head belongs to; checkpoints opened with a key given, never taken from the
answer; an empty log or a log of hidden leaves is never "verified"."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from shushang_sdk import AsyncClient, VerificationFailed, trust, verify
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import make_key, make_merchant
from tests.ip.test_router import Registry
from tests.sdk.test_sdk import sdk

DIGEST = hashlib.sha256(b"contract").hexdigest()


class Trades:
    """Two merchants trading off-venue, recorded by an operator, with events."""

    async def setup(self, app: FastAPI, session: AsyncSession) -> Trades:
        self.app = app
        self.seller = await make_merchant(session)
        self.buyer = await make_merchant(session)
        self.operator = await make_key(session, Role.operator)
        self.auditor = await make_key(session, Role.auditor)
        self.third = await make_key(session, Role.merchant, (await make_merchant(session)).id)
        async with sdk(app, self.operator) as client:
            self.vkey = await client.ledger.verifier_key("OTC")
            self.trades = [
                await client.transactions.record(
                    venue_code="OTC", on_venue=False, seller_merchant_id=str(self.seller.id),
                    buyer_merchant_id=str(self.buyer.id), amount=f"{n}00.00", term="12 个月",
                    contract_digest=DIGEST, occurred_at=f"2026-11-{10 + n}T10:00:00+08:00",
                )
                for n in range(1, 4)
            ]  # fmt: skip
            await client.transactions.add_event(self.trades[0].id, type="delivered")
            await client.transactions.add_event(self.trades[0].id, type="settled", note="paid")
        return self

    def client(self, token: str, **keys: Any) -> AsyncClient:
        return sdk(self.app, token, trusted_keys=trust(self.vkey), **keys)


@pytest.fixture
async def trades(app: FastAPI, session: AsyncSession) -> Trades:
    return await Trades().setup(app, session)


async def test_every_leaf_of_a_venue_log(trades: Trades) -> None:
    async with trades.client(trades.auditor) as auditor:
        found = await auditor.ledger.audit("OTC")
    assert found.ok and not found.failures
    assert found.verified == {"trade": 3, "trade_event": 2}
    assert found.checkpoint.tree_size == 5 and found.checkpoint.log == "OTC"

    async with trades.client(trades.auditor) as auditor:
        november = await auditor.ledger.audit(
            "OTC", since=date(2026, 11, 12), until=date(2026, 11, 12)
        )
    assert november.verified == {"trade": 1} and november.skipped == 4


async def test_a_stranger_verifies_hashes_but_no_record(trades: Trades) -> None:
    async with trades.client(trades.third) as third:
        found = await third.ledger.audit("OTC")
    assert found.hidden == 5 and not found.verified and not found.ok


async def test_every_changed_field_is_caught(trades: Trades, session: AsyncSession) -> None:
    """Not five fields: all of them (here the term, and an event's note)."""
    await session.execute(text("ALTER TABLE trade DISABLE TRIGGER trade_immutable"))
    await session.execute(
        text("UPDATE trade SET term = '24 个月' WHERE id = :id"), {"id": trades.trades[1].id}
    )
    await session.execute(text("ALTER TABLE trade ENABLE TRIGGER trade_immutable"))
    await session.execute(text("ALTER TABLE trade_event DISABLE TRIGGER trade_event_immutable"))
    await session.execute(text("UPDATE trade_event SET note = 'unpaid' WHERE note = 'paid'"))
    await session.execute(text("ALTER TABLE trade_event ENABLE TRIGGER trade_event_immutable"))
    await session.commit()
    async with trades.client(trades.auditor) as auditor:
        with pytest.raises(VerificationFailed, match="term"):
            await auditor.ledger.verify_transaction(trades.trades[1].id)
        found = await auditor.ledger.audit("OTC")
    failed = dict(found.failures)
    assert set(failed) == {1, 4} and not found.ok
    assert "term" in failed[1] and "note" in failed[4]


async def test_a_head_of_another_log_is_refused(trades: Trades) -> None:
    """Asked for OTC, shown HZDEX's (validly signed) head and checkpoint: refused."""

    async def swap(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"].replace("/v1/ledgers/OTC/", "/v1/ledgers/HZDEX/")
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await trades.app(scope, receive, send)

    async with sdk(swap, trades.auditor, trusted_keys=trust(trades.vkey)) as fooled:
        with pytest.raises(VerificationFailed, match="HZDEX"):
            await fooled.ledger.verified_head("OTC")
        with pytest.raises(VerificationFailed, match="HZDEX"):
            await fooled.ledger.verified_checkpoint("OTC")
        with pytest.raises(VerificationFailed):
            await fooled.ledger.audit("OTC")


async def test_checkpoints_open_only_with_the_given_key(trades: Trades) -> None:
    async with trades.client(trades.auditor) as auditor:
        signed = await auditor.ledger.checkpoint("OTC")
    keys = trust(trades.vkey)
    opened = verify.open_checkpoint(signed, keys, "OTC")
    assert opened.tree_size == 5 and opened.timestamp is not None
    body, _, signatures = signed.partition("\n\n")
    lines = body.split("\n")
    for forged in (
        f"{lines[0]}\n6\n{lines[2]}\n\n{signatures}",
        f"{lines[0]}\n5\n{'A' * 43}=\n\n{signatures}",
        signed.replace("OTC", "HZDEX"),
    ):
        with pytest.raises(VerificationFailed):
            verify.open_checkpoint(forged, keys, "OTC")
    with pytest.raises(VerificationFailed, match="no trusted key"):
        verify.open_checkpoint(signed, trust("11" * 32), "OTC")
    name, _, key = trades.vkey.split("+", 2)
    with pytest.raises(ValueError, match="hash"):
        trust(f"{name}+{'0' * 8}+{key}")


async def test_registry_steps_are_verified(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    registry = await Registry().setup(client, session)
    await registry.registered()
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("IPR")
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("IPR")
    assert found.ok and found.verified == {"ip_step": 3}


async def test_an_empty_log_is_not_verified(app: FastAPI, session: AsyncSession) -> None:
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("NBSE")
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("NBSE")
    assert found.checkpoint.tree_size == 0 and not found.ok


async def test_the_audit_command_verifies_nothing_it_cannot(
    live_url: str, operator_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from shushang_sdk.audit import main as audit

    monkeypatch.setenv("SHUSHANG_URL", live_url)
    monkeypatch.setenv("SHUSHANG_API_KEY", operator_token)
    async with httpx.AsyncClient(base_url=live_url) as http:
        vkey = (await http.get("/v1/ledgers/NBSE/verifier-key")).text

    def run(*args: str) -> int:
        return audit(["verify", "--quiet", "--public-key", vkey, *args])

    assert await asyncio.to_thread(run, "--log", "NBSE") == 1  # empty
    assert await asyncio.to_thread(run, "--log", "IPR") == 1  # empty registry
    assert await asyncio.to_thread(run, "--log", "NOPE") == 1  # no such log
    assert await asyncio.to_thread(run, "--log", "NBSE", "--max-age", "0") == 2  # stale
