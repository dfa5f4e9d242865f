"""The SDK checks everything: every leaf kind of every log against its record, field by
field; the log a head belongs to; checkpoints opened with a key given, never taken from the
answer; an empty log or a log of hidden leaves is never "verified"."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
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
    assert await asyncio.to_thread(run, "--all") == 1  # every log empty: nothing verified


async def _fin_books(client: httpx.AsyncClient, session: AsyncSession) -> Any:
    """A merchant's asset in the FIN log: two cost items (one evidenced by its purchase
    trade), capitalised, then impaired: every FIN leaf kind, and one of each movement shape."""
    from tests.assets.conftest import Books

    books = await Books().setup(client, session)
    trade = await books.trade("120000.00")
    asset = await books.asset()
    await books.ok(
        await books.cost(
            asset["id"], kind="purchase_price", amount="120000.00", incurred_on="2025-03-10",
            trade_id=trade["id"], description="=采购价款",
        )
    )  # fmt: skip
    await books.ok(await books.cost(asset["id"], amount="3000.00", incurred_on="2025-03-12"))
    await books.ok(
        await books.move(asset["id"], "capitalise", date="2025-03-31", useful_life_months=60)
    )
    await books.ok(
        await books.move(asset["id"], "impair", date="2025-06-30", recoverable_amount="90000.00")
    )
    books.asset_id = asset["id"]
    return books


async def test_every_fin_leaf_kind_is_verified(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    """`verify --log FIN` failed every leaf: "a leaf of a kind this SDK does not know:
    data_asset_cost_item". Cost items and movements are compared with the asset as the API
    shows it; the merchant's own key reads its leaves, another merchant's none."""
    books = await _fin_books(client, session)
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("FIN")
        assert {"log": "FIN", "tree_size": 4} in await reader.ledger.logs()
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("FIN")
        march = await reader.ledger.audit("FIN", since=date(2025, 3, 1), until=date(2025, 3, 11))
    assert found.ok and not found.failures
    assert found.verified == {"data_asset_cost_item": 2, "data_asset_movement": 2}
    assert march.verified == {"data_asset_cost_item": 1} and march.skipped == 3
    own = books.key["Authorization"].removeprefix("Bearer ")
    async with sdk(app, own, trusted_keys=trust(vkey)) as merchant:
        assert (await merchant.ledger.audit("FIN")).ok
    other = books.other_key["Authorization"].removeprefix("Bearer ")
    async with sdk(app, other, trusted_keys=trust(vkey)) as stranger:
        hidden = await stranger.ledger.audit("FIN")
    assert hidden.hidden == 4 and not hidden.ok


async def test_a_changed_fin_figure_is_caught(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    books = await _fin_books(client, session)
    for table in ("data_asset_cost_item", "data_asset_movement"):
        await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_immutable"))
    await session.execute(
        text("UPDATE data_asset_cost_item SET amount = 3000.01 WHERE amount = 3000.00")
    )
    await session.execute(
        text(
            "UPDATE data_asset_movement SET effects = jsonb_set(effects, '{impairment}', "
            "'\"1.00\"') WHERE type = 'impair'"
        )
    )
    for table in ("data_asset_cost_item", "data_asset_movement"):
        await session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_immutable"))
    await session.commit()
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("FIN")
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("FIN")
    failed = dict(found.failures)
    assert set(failed) == {1, 3} and not found.ok, failed
    assert "amount is '3000.01'" in failed[1] and "'3000.00'" in failed[1]
    assert "effects" in failed[3]
    assert books.asset_id


async def test_a_leaf_of_an_unknown_kind_fails_by_name() -> None:
    from shushang_sdk import leaves

    with pytest.raises(VerificationFailed, match="does not know: data_asset_voucher"):
        leaves.kind_of({"type": "data_asset_voucher"}, "FIN leaf 9")
    assert leaves.api_path("/v1/data-assets/{}", "../ledgers?x=1") == (
        "/v1/data-assets/..%2Fledgers%3Fx%3D1"
    )


def test_a_fin_leaf_must_be_where_its_record_says() -> None:
    """A cost item shown at another leaf (or in another log) is not this leaf, even when
    every field agrees: the log could otherwise replay one record under many leaves."""
    from shushang_sdk import leaves

    item = {
        "id": "i1", "asset_class": "intangible", "source": "purchased", "kind": "processing",
        "amount": "1000.00", "incurred_on": "2025-01-05", "phase": None, "description": None,
        "trade_id": None, "assessment_id": None, "certificate_number": None, "ledger": "FIN",
        "leaf_index": 4, "created_at": "2026-12-07T10:00:00+08:00",
    }  # fmt: skip
    asset = {"id": "a1", "merchant_id": "m1", "cost_items": [item], "movements": []}
    entry = {**leaves.cost_item_entry(asset, item), "recorded_at": "2026-12-07T02:00:00+00:00"}
    kind = leaves.kind_of(entry, "FIN leaf 4")
    assert kind.record(entry) == "/v1/data-assets/a1" and kind.day(entry) == date(2025, 1, 5)
    leaves.check("FIN leaf 4", "FIN", 4, kind, asset, entry)
    with pytest.raises(VerificationFailed, match="not this leaf"):
        leaves.check("FIN leaf 5", "FIN", 5, kind, asset, entry)
    with pytest.raises(VerificationFailed, match="not this leaf"):
        leaves.check("IPR leaf 4", "IPR", 4, kind, asset, entry)
    with pytest.raises(VerificationFailed, match="shows no data_asset_cost_item"):
        leaves.check("FIN leaf 4", "FIN", 4, kind, {**asset, "cost_items": []}, entry)
    with pytest.raises(VerificationFailed, match="merchant_id"):
        leaves.check("FIN leaf 4", "FIN", 4, kind, asset, {**entry, "merchant_id": "m2"})


def _audit_fin(url: str, key: str, vkey: str) -> subprocess.CompletedProcess[str]:
    """`shushang-audit verify --log FIN` as a process, with an auditor's key."""
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "sdk"),
        "SHUSHANG_URL": url,
        "SHUSHANG_API_KEY": key,
        "COLUMNS": "300",
    }
    command = [sys.executable, "-m", "shushang_sdk.audit", "verify", "--log", "FIN", "--quiet"]
    return subprocess.run(
        [*command, "--public-key", vkey], env=env, capture_output=True, text=True, timeout=120
    )


async def _closed_and_restated(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """FY2025 closed, then an operator's restatement (a cost adjustment of a capitalised
    asset) and a merchant's, approved by an operator (a forgotten tax on an invoice, its VAT
    deductible, of an asset still gathering costs): every FIN leaf kind and optional key."""
    from tests.assets.conftest import Books
    from tests.assets.test_periods import close, restate
    from tests.assets.test_restatements import decide

    books = await Books().setup(client, session)
    kept = await books.capitalised("1200.00", "2025-03-10", 12)  # leaves 0, 1
    gathering = await books.asset(name="仍在归集成本的数据集")
    await books.ok(await books.cost(gathering["id"], incurred_on="2025-10-01"))  # leaf 2
    closed = await close(books, "2025-12")  # leaf 3
    assert closed.status_code == 201, closed.text
    adjust = {"type": "cost_adjustment", "date": "2025-03-20", "amount": "-200.00"}
    by_operator = await restate(books, kept["id"], "2025-03", adjust, books.admin)  # 4, 5
    assert by_operator.status_code == 201 and by_operator.json()["state"] == "applied"
    tax = {
        "type": "cost_item", "date": "2025-11-03", "kind": "taxes", "amount": "60.00",
        "vat_deductible": True,
        "invoice": {"number": "3300251130", "issued_on": "2025-11-02", "amount": "1060.00"},
    }  # fmt: skip
    asked = await restate(books, gathering["id"], "2025-11", tax, books.key)
    assert asked.status_code == 201 and asked.json()["state"] == "pending", asked.text
    approved = await decide(books, asked.json()["id"], "approve", books.admin)  # 6, 7
    assert approved.status_code == 200, approved.text
    return closed.json(), [by_operator.json(), approved.json()]


async def test_closes_and_restatements_are_verified(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI, live_url: str
) -> None:
    """A close and both kinds of restatement, and the cost item and movement they recorded
    (with `restatement_id`, an invoice, `vat_deductible`), are leaves `shushang-audit verify
    --log FIN` rebuilds from what the API shows an auditor."""
    close, restatements = await _closed_and_restated(client, session)
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("FIN")
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("FIN")
        fy2026 = await reader.ledger.audit("FIN", since=date(2026, 1, 1))
    assert found.ok, found.failures
    assert found.verified == {
        "data_asset_cost_item": 3,
        "data_asset_movement": 2,
        "data_asset_period_close": 1,
        "data_asset_restatement": 2,
    }
    # A close is dated when it was made; a restatement and its entry by the month restated.
    assert fy2026.verified == {"data_asset_period_close": 1} and fy2026.skipped == 7
    assert close["leaf_index"] == 3
    assert [r["leaf_index"] for r in restatements] == [5, 7]

    passed = await asyncio.to_thread(_audit_fin, live_url, auditor, vkey)
    assert passed.returncode == 0, passed.stderr
    summary = json.loads(passed.stdout)
    assert summary["failed"] == 0 and summary["verified"] == summary["size"] == 8, summary
    assert set(summary["by_kind"]) == {
        "data_asset_cost_item",
        "data_asset_movement",
        "data_asset_period_close",
        "data_asset_restatement",
    }


async def test_a_changed_close_digest_is_caught(
    client: httpx.AsyncClient, session: AsyncSession, live_url: str
) -> None:
    close, _ = await _closed_and_restated(client, session)
    table = "data_asset_period_close"
    await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_immutable"))
    await session.execute(
        text(f"UPDATE {table} SET report_sha256 = :digest WHERE id = :id"),
        {"digest": "0" * 64, "id": close["id"]},
    )
    await session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_immutable"))
    await session.commit()
    auditor = await make_key(session, Role.auditor)
    async with httpx.AsyncClient(base_url=live_url) as http:
        vkey = (await http.get("/v1/ledgers/FIN/verifier-key")).text

    failed = await asyncio.to_thread(_audit_fin, live_url, auditor, vkey)
    assert failed.returncode == 1, failed.stderr
    summary = json.loads(failed.stdout)
    [failure] = summary["failures"]
    assert failure["leaf"] == close["leaf_index"] == 3
    assert "report_sha256" in failure["why"] and close["report_sha256"] in failure["why"]


async def test_the_new_data_asset_steps_are_verified(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    """revise, a units sale for proceeds, reclassify, a development project impaired and
    tested: their details (proceeds, quantity, reason, bases, the new class) are in the API's
    movements, so the auditor's tool rebuilds every leaf."""
    from tests.assets.conftest import Books

    books = await Books().setup(client, session)
    asset = await books.capitalised("12000.00", "2025-01-10", 12)
    await books.ok(
        await books.move(
            asset["id"], "revise", date="2025-03-15", useful_life_months=24,
            residual_value="1800.00", reason="技术迭代放缓",
        )
    )  # fmt: skip
    await books.ok(await books.move(asset["id"], "dispose", date="2025-06-02", proceeds="9.99"))
    stock = await books.asset(name="报告包", asset_class="inventory", source="processed")
    await books.ok(await books.cost(stock["id"], amount="1000.00", incurred_on="2025-01-05"))
    await books.ok(
        await books.move(
            stock["id"], "capitalise", date="2025-01-10", costing="units", quantity=3, unit="份"
        )
    )
    await books.ok(
        await books.move(stock["id"], "dispose", date="2025-02-01", quantity=1, proceeds="500")
    )
    await books.ok(  # the rest of the stock kept for use: an intangible from then
        await books.move(
            stock["id"], "reclassify", date="2025-02-15", to="intangible", useful_life_months=12,
            reason="转为自用",
        )
    )  # fmt: skip
    project = await books.asset(name="项目", source="developed")
    await books.ok(
        await books.cost(
            project["id"], phase="development", amount="800.00", incurred_on="2025-02-10"
        )
    )
    for recoverable in ("500.00", "900.00"):  # a charge, then a test with none
        await books.ok(
            await books.move(
                project["id"], "impair", date="2025-03-31", recoverable_amount=recoverable
            )
        )
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("FIN")
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("FIN")
    assert found.ok and not found.failures, found.failures
    assert found.verified == {"data_asset_cost_item": 3, "data_asset_movement": 8}


async def test_restatements_hold_together_with_the_whole_log(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    """What no single record shows: each restatement leaf names a cost item or movement leaf
    before it, of its asset and merchant, dated in its period, and the period was closed by
    an earlier close leaf. The real log holds together; each forged copy of it fails,
    naming the leaf."""
    from shushang_sdk import leaves

    _, restatements = await _closed_and_restated(client, session)
    auditor = await make_key(session, Role.auditor)
    async with sdk(app, auditor) as reader:
        size = (await reader.ledger.tree_head("FIN"))["tree_size"]
        real = [(i, (await reader.ledger.entry("FIN", i))["entry"]) for i in range(size)]
    assert leaves.cross_check("FIN", real) == []
    # Leaves 4 and 6 are the records of the restatements at 5 and 7; 3 is the close.
    assert [r["leaf_index"] for r in restatements] == [5, 7]
    entries = dict(real)

    def forged(**changes: dict[str, Any] | None) -> dict[int, str]:
        """The log with some leaves replaced (None: left out), re-checked."""
        log = []
        for index, entry in real:
            change = changes.get(f"leaf{index}", {})
            if change is not None:
                log.append((index, {**entry, **change}))
        return dict(leaves.cross_check("FIN", log))

    def only(found: dict[int, str], index: int, words: str, *more: int) -> None:
        assert list(found) == [index, *more], found
        assert found[index].startswith(f"FIN leaf {index}: ") and words in found[index], found

    only(forged(leaf5={"period": "2025-04"}), 5, "dated 2025-03-20, not in 2025-04")
    # Without the close (both restatements rest on it), or closing less, or another's.
    only(forged(leaf3=None), 5, "2025-03 was not closed", 7)
    only(forged(leaf3={"through": "2025-02"}), 5, "2025-03 was not closed", 7)
    only(forged(leaf3={"through": "2025-10"}), 7, "2025-11 was not closed")
    only(forged(leaf3={"merchant_id": "another"}), 5, "was not closed for merchant", 7)
    only(forged(leaf5={"asset_id": entries[6]["asset_id"]}), 5, "has asset_id")
    for change in ({"record_id": entries[6]["cost_item_id"]}, {"record_type": "cost_item"}):
        found = forged(leaf5=change)  # and the movement it recorded is named by none
        assert list(found) == [4, 5] and "is no leaf of this log" in found[5], found
    moved = {**entries[4], "occurred_on": "2025-04-01"}
    only(forged(leaf4=moved), 5, "not in 2025-03")
    only(forged(leaf4={"restatement_id": restatements[1]["id"]}), 5, "names the restatement")
    # The record without its restatement: it claims one the log never applied.
    only(forged(leaf5=None), 4, "no restatement leaf names it")
    # A restatement before the record it names, or twice for one record.
    early = [(4, entries[5]), (5, entries[4]), *((i, e) for i, e in real if i not in (4, 5))]
    assert "after it" in dict(leaves.cross_check("FIN", sorted(early, key=lambda x: x[0])))[4]
    twice = [*real, (8, entries[5])]
    assert "restates the same movement already" in dict(leaves.cross_check("FIN", twice))[8]


async def test_a_forged_restatement_fails_by_its_leaf(
    client: httpx.AsyncClient, session: AsyncSession, live_url: str
) -> None:
    """A server that logs a restatement of its own, its record and leaf agreeing, claiming a
    movement of another asset: `shushang-audit verify --log FIN` fails that leaf."""
    from uuid import UUID

    from app.assets.entries import restatement_entry
    from app.assets.models import DataAssetRestatement
    from app.core.db import driver, new_id, utcnow
    from app.ledger import sequencer

    _, restatements = await _closed_and_restated(client, session)
    first, second = restatements
    now = utcnow()
    row = DataAssetRestatement(
        id=new_id(), asset_id=UUID(second["asset_id"]), merchant_id=UUID(first["merchant_id"]),
        period=date(2025, 3, 1), reason="forged", entry=first["entry"], state="applied",
        requested_by_role="operator", decided_at=now, record_type="movement",
        record_id=UUID(first["record_id"]), created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    row.leaf_index = await sequencer.append(
        await driver(session), "FIN", "asset_restated", row.id, restatement_entry(row)
    )
    await session.commit()
    auditor = await make_key(session, Role.auditor)
    async with httpx.AsyncClient(base_url=live_url) as http:
        vkey = (await http.get("/v1/ledgers/FIN/verifier-key")).text
    failed = await asyncio.to_thread(_audit_fin, live_url, auditor, vkey)
    assert failed.returncode == 1, failed.stderr
    [failure] = json.loads(failed.stdout)["failures"]
    assert failure["leaf"] == row.leaf_index == 8
    assert failure["why"].startswith("FIN leaf 8: restatement: ") and "asset_id" in failure["why"]
    assert "FIN leaf 8" in failed.stderr
