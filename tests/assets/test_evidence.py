"""Evidence rules (DOMAIN.md "Books a CPA signs": Evidence, Research before development):
a purchase price rests on a counting trade or an invoice dated no later than the item; the
items on one invoice stay within it, racing ones included; taxes say whether their VAT is
deductible; research comes before development, and development is capitalised with the five
conditions of CAS 6 第九条. Every refusal is 422 and changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.assets.conftest import MEMO, Books

INVOICE = {"number": "33012500000001", "issued_on": "2025-03-01", "amount": "10000.00"}


async def refused(books: Books, asset_id: str, field: list[str], **item: Any) -> None:
    before = await books.count("data_asset_cost_item")
    answer = await books.cost(asset_id, **item)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][: len(field)] == field, answer.text
    assert await books.count("data_asset_cost_item") == before


async def test_a_purchase_price_rests_on_a_trade_or_an_invoice(books: Books) -> None:
    asset = await books.asset()
    aid = asset["id"]
    # No evidence at all (issue 29: 123456.78 was accepted so).
    await refused(books, aid, ["body", "invoice"], kind="purchase_price", amount="123456.78")
    # A trade of 2025-02-20 does not back a price dated 2024-06-01.
    trade = await books.trade("120000.00")
    await refused(
        books, aid, ["body", "incurred_on"], kind="purchase_price", amount="120000.00",
        incurred_on="2024-06-01", trade_id=trade["id"],
    )  # fmt: skip
    # Nor an invoice issued after the item.
    await refused(
        books, aid, ["body", "incurred_on"], kind="purchase_price", amount="100.00",
        incurred_on="2025-02-28", invoice=INVOICE,
    )  # fmt: skip
    await refused(
        books, aid, ["body", "amount"], kind="purchase_price", amount="10000.01",
        incurred_on="2025-03-01", invoice=INVOICE,
    )  # fmt: skip
    shown = await books.ok(
        await books.cost(
            aid, kind="purchase_price", amount="6000.00", incurred_on="2025-03-02", invoice=INVOICE
        )
    )
    item = shown["cost_items"][0]
    assert item["invoice"] == INVOICE and item["evidenced"] is True
    # The same number with another date or amount is another invoice: refused.
    await refused(
        books, aid, ["body", "invoice"], kind="processing", amount="100.00",
        incurred_on="2025-03-02", invoice={**INVOICE, "amount": "20000.00"},
    )  # fmt: skip
    # Together at most its amount, across assets.
    other = await books.asset(name="另一资产")
    await refused(
        books, other["id"], ["body", "amount"], kind="processing", amount="4000.01",
        incurred_on="2025-03-02", invoice=INVOICE,
    )  # fmt: skip
    await books.ok(
        await books.cost(
            other["id"], kind="processing", amount="4000.00", incurred_on="2025-03-02",
            invoice=INVOICE,
        )
    )  # fmt: skip
    # Another merchant's invoice of the same number is its own.
    theirs = await books.asset(headers=books.other_key, name="他人资产")
    answer = await books.cost(
        theirs["id"], books.other_key, kind="purchase_price", amount="10000.00",
        incurred_on="2025-03-02", invoice=INVOICE,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    # The trade, dated on or after its day.
    await books.ok(
        await books.cost(
            aid, kind="purchase_price", amount="120000.00", incurred_on="2025-02-20",
            trade_id=trade["id"],
        )
    )  # fmt: skip


async def test_two_items_racing_on_one_invoice_never_exceed_it(books: Books) -> None:
    for n in range(3):
        invoice = {**INVOICE, "number": f"3301250000010{n}"}
        first, second = await books.asset(), await books.asset(name="第二个资产")
        answers = await asyncio.gather(
            books.cost(first["id"], amount="7000.00", incurred_on="2025-03-05", invoice=invoice),
            books.cost(second["id"], amount="7000.00", incurred_on="2025-03-05", invoice=invoice),
        )
        assert sorted(a.status_code for a in answers) == [201, 422], [a.text for a in answers]
    assert await books.count("data_asset_cost_item") == 3


async def test_taxes_say_whether_their_vat_is_deductible(books: Books) -> None:
    asset = await books.asset()
    aid = asset["id"]
    await refused(books, aid, ["body", "vat_deductible"], kind="taxes", amount="600.00")
    await refused(books, aid, ["body", "vat_deductible"], kind="processing", vat_deductible=False)
    await books.ok(await books.cost(aid, amount="10000.00", incurred_on="2025-03-01"))
    await books.ok(
        await books.cost(aid, kind="taxes", amount="600.00", incurred_on="2025-03-01",
                         vat_deductible=True)
    )  # fmt: skip
    shown = await books.ok(
        await books.cost(aid, kind="taxes", amount="300.00", incurred_on="2025-03-01",
                         vat_deductible=False)
    )  # fmt: skip
    assert [i["capitalisable"] for i in shown["cost_items"]] == [True, False, True]
    assert shown["original_cost"] == "10300.00" and shown["research_expense"] == "0.00"
    done = await books.ok(
        await books.move(aid, "capitalise", date="2025-03-31", useful_life_months=12)
    )
    assert done["original_cost"] == "10300.00"
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    # Deductible VAT is 进项税额: neither cost nor research expense.
    assert fy["intangible"]["total"]["cost_closing"] == "10300.00"
    assert fy["research_expense"] == "0.00"
    # Three items, none on evidence (allowed for these kinds): counted.
    assert fy["unevidenced_items"] == {"count": 3, "amount": "10900.00"}
    assert done["unevidenced_items"] == 3


async def test_research_comes_before_development(books: Books) -> None:
    asset = await books.asset(source="developed", name="模型训练集")
    aid = asset["id"]
    await books.ok(await books.cost(aid, phase="research", incurred_on="2025-02-14"))
    shown = await books.ok(await books.cost(aid, phase="development", incurred_on="2025-04-10"))
    assert shown["development_started_on"] == "2025-04-10"  # set by the first development item
    await refused(books, aid, ["body", "incurred_on"], phase="research", incurred_on="2025-04-10")
    await refused(books, aid, ["body", "incurred_on"], phase="research", incurred_on="2025-05-01")
    await refused(
        books, aid, ["body", "incurred_on"], phase="development", incurred_on="2025-04-09"
    )
    await books.ok(await books.cost(aid, phase="research", incurred_on="2025-04-09"))

    explicit = await books.asset(
        source="developed", name="显式开发", development_started_on="2025-03-01"
    )
    await refused(
        books, explicit["id"], ["body", "incurred_on"], phase="research", incurred_on="2025-03-01"
    )
    plain = await books.client.post(
        "/v1/data-assets",
        json={"name": "外购", "asset_class": "intangible", "source": "purchased",
              "development_started_on": "2025-03-01"},
        headers=books.key,
    )  # fmt: skip
    assert plain.status_code == 422

    # Capitalising development states the five conditions of CAS 6 第九条, each non-empty.
    before = await books.count("data_asset_movement")
    body: dict[str, Any] = {"date": "2025-06-30", "useful_life_months": 36}
    for memo in (None, {**MEMO, "resources": ""}, {**MEMO, "intention": "   "},
                 {k: v for k, v in MEMO.items() if k != "reliable_measurement"},
                 {**MEMO, "extra": "x"}):  # fmt: skip
        sent = body if memo is None else {**body, "memo": memo}
        answer = await books.move(aid, "capitalise", **sent)
        assert answer.status_code == 422, (memo, answer.text)
        assert "memo" in answer.json()["errors"][0]["loc"]
    assert await books.count("data_asset_movement") == before
    done = await books.ok(await books.move(aid, "capitalise", memo=MEMO, **body))
    assert done["movements"][0]["details"]["memo"] == MEMO
