"""Restatements through the API (DOMAIN.md "Closed means closed", CAS 28 第十二条): an
operator's applies at once, a merchant's waits for an operator; nobody restates another's
asset or approves their own; entries lie in the closed period; as reported never moves."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from shushang_sdk import trust

from app.core.roles import Role
from tests.assets.conftest import MEMO, Books
from tests.assets.test_periods import close, restate
from tests.factories import make_key
from tests.sdk.test_sdk import sdk

ADJUST = {"type": "cost_adjustment", "date": "2025-03-20", "amount": "-200.00"}


async def closed_books(books: Books) -> dict[str, Any]:
    asset = await books.capitalised("1200.00", "2025-03-10", 12)
    assert (await close(books, "2025-12")).status_code == 201
    return asset


async def decide(
    books: Books, restatement_id: str, action: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await books.client.post(
        f"/v1/data-asset-restatements/{restatement_id}/{action}",
        json=body or None,
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


async def test_a_merchants_restatement_waits_for_an_operator(books: Books) -> None:
    asset = await closed_books(books)
    reported = await books.disclosure("2025-01", "2025-12")
    asked = await restate(books, asset["id"], "2025-03", ADJUST, books.key)
    assert asked.status_code == 201, asked.text
    pending = asked.json()
    assert pending["state"] == "pending" and pending["leaf_index"] is None
    assert pending["entry"] == {**ADJUST}
    assert await books.count("data_asset_movement") == 1  # nothing recorded yet

    # The merchant cannot approve its own; another merchant does not see it.
    assert (await decide(books, pending["id"], "approve", books.key)).status_code == 403
    assert (await decide(books, pending["id"], "approve", books.other_key)).status_code == 403
    assert (await decide(books, pending["id"], "approve", books.auditor)).status_code == 403
    seen = await books.client.get(
        f"/v1/data-asset-restatements/{pending['id']}", headers=books.other_key
    )
    assert seen.status_code == 404
    assert await books.count("data_asset_movement") == 1

    approved = await decide(books, pending["id"], "approve", books.admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "applied" and approved.json()["record_type"] == "movement"
    assert (await decide(books, pending["id"], "approve", books.admin)).status_code == 409
    assert (await decide(books, pending["id"], "reject", books.admin)).status_code == 409
    assert await books.count("data_asset_movement") == 2

    # 1000.00 over 12 months from March: December's accumulated 833.33, carrying 166.67.
    restated = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
        headers=books.key,
    )
    total = restated.json()["intangible"]["total"]
    assert (total["cost_closing"], total["amortisation_closing"]) == ("1000.00", "833.33")
    assert (await books.disclosure("2025-01", "2025-12")).content == reported.content
    shown = (await books.client.get(f"/v1/data-assets/{asset['id']}", headers=books.key)).json()
    assert shown["movements"][-1]["type"] == "cost_adjustment"
    listed = await books.client.get(
        f"/v1/data-assets/{asset['id']}/restatements", headers=books.auditor
    )
    assert [r["state"] for r in listed.json()] == ["applied"]


async def test_an_operator_rejects_and_nothing_is_recorded(books: Books) -> None:
    asset = await closed_books(books)
    pending = (await restate(books, asset["id"], "2025-03", ADJUST, books.key)).json()
    rejected = await decide(books, pending["id"], "reject", books.admin, reason="无发票")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["decision_reason"]) == ("rejected", "无发票")
    assert (await decide(books, pending["id"], "approve", books.admin)).status_code == 409
    assert await books.count("data_asset_movement") == 1


async def test_nobody_restates_another_merchants_asset(books: Books) -> None:
    asset = await closed_books(books)
    for headers in (books.other_key, books.seller_key):
        answer = await restate(books, asset["id"], "2025-03", ADJUST, headers)
        assert answer.status_code == 404, answer.text
    assert (await restate(books, asset["id"], "2025-03", ADJUST, books.auditor)).status_code == 403
    assert (await restate(books, asset["id"], "2025-03", ADJUST, {})).status_code == 401
    bare = await books.client.post(
        f"/v1/data-assets/{asset['id']}/restatements",
        json={"period": "2025-03", "reason": "r", "entry": ADJUST},
        headers=books.admin,
    )
    assert bare.status_code == 428
    assert await books.count("data_asset_restatement") == 0


async def test_a_restatement_lies_in_a_closed_period_and_is_checked(books: Books) -> None:
    asset = await closed_books(books)
    bad = [
        ("2026-01", {**ADJUST, "date": "2026-01-05"}),  # not closed
        ("2025-04", ADJUST),  # the date is not in the period
        ("2025-03", {**ADJUST, "amount": "0.00"}),
        ("2025-03", {**ADJUST, "amount": "-1200.00"}),  # no cost left
        ("2025-03", {"type": "teleport", "date": "2025-03-20"}),
        ("2025-03", {"type": "cost_adjustment", "date": "2025-03-20"}),
        ("2025-03", {**ADJUST, "extra": 1}),
        ("2025-02", {**ADJUST, "date": "2025-02-10"}),  # before capitalisation
        ("2025-03", {"type": "cost_item", "date": "2025-03-01", "kind": "processing",
                     "amount": "10.00"}),  # capitalised: a cost_adjustment corrects it
        ("2025-13", ADJUST),
    ]  # fmt: skip
    for period, entry in bad:
        answer = await restate(books, asset["id"], period, entry, books.admin)
        assert answer.status_code in (409, 422), (period, entry, answer.text)
    assert await books.count("data_asset_restatement") == 0
    assert await books.count("data_asset_movement") == 1


async def test_a_back_dated_impairment_is_a_restatement(books: Books) -> None:
    contradicted = await books.capitalised("1200.00", "2025-01-10", 24)
    kept = await books.capitalised("1200.00", "2025-01-10", 24, name="另一数据集")
    # End of January 2026 the first carries 550.00: impaired to 500.00.
    later = await books.move(
        contradicted["id"], "impair", date="2026-01-31", recoverable_amount="500.00"
    )
    await books.ok(later)
    assert (await close(books, "2025-12")).status_code == 201
    reported = await books.disclosure("2025-01", "2025-12")
    # June 2025: carrying 900.00, recoverable 300.00 → 600.00 impaired; then B 300, R 18.
    entry = {"type": "impair", "date": "2025-06-30", "recoverable_amount": "300.00"}
    refused = await restate(books, contradicted["id"], "2025-06", entry, books.admin)
    assert refused.status_code == 409, refused.text  # January 2026 would carry 183.33 < 500
    assert "2026-01-31" in refused.json()["detail"]
    done = await restate(books, kept["id"], "2025-06", entry, books.admin)
    assert done.status_code == 201, done.text
    assert (await books.disclosure("2025-01", "2025-12")).content == reported.content
    fy = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
        headers=books.key,
    )
    [line] = fy.json()["restatements"]
    assert line["asset_id"] == kept["id"] and line["type"] == "impair"
    assert line["effect"]["impairment"] == "600.00"
    assert line["effect"]["accumulated_amortisation"] == "-200.00"  # 400.00 instead of 600.00
    assert line["effect"]["carrying_amount"] == "-400.00"
    shown = (await books.client.get(f"/v1/data-assets/{kept['id']}", headers=books.key)).json()
    assert shown["movements"][-1]["type"] == "impair"
    assert shown["movements"][-1]["date"] == "2025-06-30"


async def test_a_forgotten_cost_item_and_capitalisation_are_restated(books: Books) -> None:
    """An asset still gathering costs at the close: the item forgotten in November and the
    capitalisation of December are restatements; the capitalisation of developed work needs
    its CAS 6 第九条 memo there too."""
    asset = await books.asset(source="developed", name="开发中的模型")
    aid = asset["id"]
    await books.ok(await books.cost(aid, phase="development", incurred_on="2025-10-01"))
    assert (await close(books, "2025-12")).status_code == 201
    item = {"type": "cost_item", "date": "2025-11-03", "kind": "compute", "amount": "500.00",
            "phase": "development"}  # fmt: skip
    pending = await restate(books, aid, "2025-11", item, books.key)
    assert pending.status_code == 201 and pending.json()["state"] == "pending"
    approved = await decide(books, pending.json()["id"], "approve", books.admin)
    assert approved.status_code == 200 and approved.json()["record_type"] == "cost_item"
    capitalise = {"type": "capitalise", "date": "2025-12-31", "useful_life_months": 10}
    no_memo = await restate(books, aid, "2025-12", capitalise, books.admin)
    assert no_memo.status_code == 422 and no_memo.json()["errors"][0]["loc"] == [
        "body", "entry", "memo"
    ]  # fmt: skip
    done = await restate(books, aid, "2025-12", {**capitalise, "memo": MEMO}, books.admin)
    assert done.status_code == 201, done.text
    shown = (await books.client.get(f"/v1/data-assets/{aid}", headers=books.key)).json()
    assert shown["status"] == "capitalised" and shown["original_cost"] == "1500.00"
    assert shown["cost_items"][-1]["restatement_id"] == pending.json()["id"]
    fy = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
        headers=books.key,
    )
    developed = fy.json()["intangible"]["developed"]
    assert developed["cost_additions"]["internal_development"] == "1500.00"
    assert developed["amortisation_charge"] == "150.00"
    assert [r["type"] for r in fy.json()["restatements"]] == ["cost_item", "capitalise"]
    # January is open: amortisation goes on as usual.
    assert (await books.disclosure("2026-01", "2026-01")).json()["basis"] == "restated"


async def test_an_approval_is_checked_against_the_books_as_they_are_then(books: Books) -> None:
    asset = await closed_books(books)
    pending = (await restate(books, asset["id"], "2025-03", ADJUST, books.key)).json()
    gone = await books.move(asset["id"], "derecognise", date="2026-01-05", reason="失效")
    assert gone.status_code == 200, gone.text
    # Lowering the cost in March still holds: the asset left the books in January 2026.
    approved = await decide(books, pending["id"], "approve", books.admin)
    assert approved.status_code == 200, approved.text
    shown = (await books.client.get(f"/v1/data-assets/{asset['id']}", headers=books.key)).json()
    assert shown["status"] == "derecognised"  # the later movement still stands
    assert shown["movements"][-1]["effects"]["cost"] == "-200.00"
    # A pending request that no longer holds is refused at approval, and stays pending.
    too_much = {**ADJUST, "amount": "-900.00"}  # with −200 already, nothing would remain
    asked = (await restate(books, asset["id"], "2025-03", {**too_much, "amount": "-999.99"},
                           books.key))  # fmt: skip
    assert asked.status_code == 201, asked.text
    other = await restate(books, asset["id"], "2025-03", too_much, books.admin)
    assert other.status_code == 201, other.text
    refused = await decide(books, asked.json()["id"], "approve", books.admin)
    assert refused.status_code == 422, refused.text
    still = await books.client.get(
        f"/v1/data-asset-restatements/{asked.json()['id']}", headers=books.key
    )
    assert still.json()["state"] == "pending"


async def test_a_merchants_restated_cost_item_end_to_end(
    books: Books, app: FastAPI, live_url: str
) -> None:
    """Research forgotten in a closed March, asked for by the merchant: nothing moves until
    an operator approves it (another request is rejected and records nothing); then the
    restated FY2025 includes it, as reported stays byte for byte, the journal books it in
    January 2026 with the profit side on 6901, and `shushang-audit verify --log FIN` passes,
    restatement links included."""
    from tests.assets.test_journal import get_journal
    from tests.sdk.test_audit import _audit_fin

    asset = await books.asset(source="developed", name="风控模型训练集")
    await books.ok(
        await books.cost(
            asset["id"], phase="development", amount="1000.00", incurred_on="2025-06-02"
        )
    )
    assert (await close(books, "2025-12")).status_code == 201
    reported = await books.disclosure("2025-01", "2025-12")
    assert reported.json()["research_expense"] == "0.00"
    journal_2025 = await get_journal(books, "2025-01", "2025-12")
    item = {
        "type": "cost_item", "date": "2025-03-05", "kind": "labour", "amount": "600.00",
        "phase": "research",
        "invoice": {"number": "33012503050001", "issued_on": "2025-03-05", "amount": "600.00"},
    }  # fmt: skip
    asked = await restate(books, asset["id"], "2025-03", item, books.key)
    assert asked.status_code == 201, asked.text
    pending = asked.json()
    assert (pending["state"], pending["leaf_index"]) == ("pending", None)
    rejected_ask = await restate(
        books, asset["id"], "2025-03", {**item, "amount": "6000.00", "invoice": None}, books.key
    )
    assert rejected_ask.status_code == 201, rejected_ask.text

    async def fy2025_restated() -> dict[str, Any]:
        answer = await books.client.get(
            f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
            params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
            headers=books.key,
        )
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document

    async def unchanged() -> None:
        assert await books.count("data_asset_cost_item") == 1
        restated = await fy2025_restated()
        assert restated["research_expense"] == "0.00" and restated["restatements"] == []
        assert (await books.disclosure("2025-01", "2025-12")).content == reported.content

    await unchanged()
    rejected = await decide(books, rejected_ask.json()["id"], "reject", books.admin, reason="x")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    await unchanged()

    approved = await decide(books, pending["id"], "approve", books.admin)
    assert approved.status_code == 200, approved.text
    applied = approved.json()
    assert (applied["state"], applied["record_type"]) == ("applied", "cost_item")
    restated = await fy2025_restated()
    assert restated["research_expense"] == "600.00"
    [listed] = restated["restatements"]
    assert (listed["period"], listed["type"]) == ("2025-03", "cost_item")
    assert (await books.disclosure("2025-01", "2025-12")).content == reported.content
    assert (await get_journal(books, "2025-01", "2025-12")).content == journal_2025.content

    # The journal: one voucher in the first open month; the research it adds to FY2025
    # reaches profit through 以前年度损益调整, not this year's 管理费用.
    fy2026 = (await get_journal(books, "2026-01", "2026-12")).json()
    [voucher] = [v for v in fy2026["vouchers"] if v["entry_type"] == "restatement"]
    assert voucher["entry_id"] == applied["id"] and voucher["date"].startswith("2026-01")
    lines = [(x["account_code"], x["debit"], x["credit"]) for x in voucher["lines"]]
    assert lines == [
        ("5301", "600.00", "0.00"),  # 研发支出—费用化支出
        ("2202", "0.00", "600.00"),
        ("6901", "600.00", "0.00"),  # expensed into a closed year
        ("5301", "0.00", "600.00"),
    ], lines
    assert not any(x["account_code"] == "6602" for x in voucher["lines"])

    auditor = await make_key(books.session, Role.auditor)
    async with sdk(app, auditor) as reader:
        vkey = await reader.ledger.verifier_key("FIN")
    async with sdk(app, auditor, trusted_keys=trust(vkey)) as reader:
        found = await reader.ledger.audit("FIN")
    assert found.ok, found.failures
    assert found.verified["data_asset_restatement"] == 1
    passed = await asyncio.to_thread(_audit_fin, live_url, auditor, vkey)
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout)["failed"] == 0
