"""The missing CAS steps (issue 29, DOMAIN.md "Books a CPA signs"), through HTTP: proceeds on
`dispose` (revenue, cost of sales, 资产处置收益), each with refusals that change nothing."""

from __future__ import annotations

from decimal import Decimal as D

from tests.assets.conftest import Books

MOVEMENTS = "data_asset_movement"


async def test_inventory_sold_for_proceeds_has_revenue_and_cost_of_sales(books: Books) -> None:
    stock = await books.capitalised(
        "10000.00", "2025-01-10", asset_class="inventory", source="processed"
    )
    sid = stock["id"]
    await books.ok(
        await books.move(sid, "write-down", date="2025-03-31", net_realisable_value="8000.00")
    )
    sold = await books.ok(
        await books.move(sid, "dispose", date="2025-05-20", fraction="0.3", proceeds="3600.00")
    )
    moved = sold["movements"][-1]
    assert moved["details"] == {"fraction": "0.3", "proceeds": "3600.00"}
    assert moved["effects"] == {
        "cost": "3000.00",
        "write_down": "600.00",
        "carrying_amount": "2400.00",
        "revenue": "3600.00",
        "cost_of_sales": "2400.00",  # released cost less released provision
    }
    # The rest sold for nothing said: revenue 0.00 (the field is optional, as before it).
    await books.ok(await books.move(sid, "dispose", date="2025-06-02"))
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert (fy["revenue"], fy["cost_of_sales"], fy["disposal_gain"]) == (
        "3600.00",
        "8000.00",  # 2400.00 + 5600.00 (7000.00 less its provision 1400.00)
        "0.00",
    )
    may = (await books.disclosure("2025-05", "2025-05")).json()
    assert (may["revenue"], may["cost_of_sales"]) == ("3600.00", "2400.00")
    april = (await books.disclosure("2025-04", "2025-04")).json()
    assert (april["revenue"], april["cost_of_sales"]) == ("0.00", "0.00")


async def test_intangible_disposed_of_for_proceeds_gain_and_loss(books: Books) -> None:
    gain = await books.capitalised("24000.00", "2024-07-01", 24, name="盈利处置")
    loss = await books.capitalised("12000.00", "2024-07-01", 12, name="亏损处置")
    # July 2024 – January 2025: 7 months; February is not amortised. Carrying 17000.00.
    sold = await books.ok(
        await books.move(gain["id"], "dispose", date="2025-02-10", proceeds="20000.00")
    )
    assert sold["movements"][-1]["effects"]["disposal_gain"] == "3000.00"
    assert sold["movements"][-1]["effects"]["proceeds"] == "20000.00"
    # 12000.00 less 7 months of 1000.00: carrying 5000.00, sold for 4500.00.
    await books.ok(await books.move(loss["id"], "dispose", date="2025-02-28", proceeds="4500.00"))
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["disposal_gain"] == "2500.00"  # 3000.00 − 500.00
    assert fy["revenue"] == fy["cost_of_sales"] == "0.00"
    journal = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-journal",
        params={"from": "2025-02", "to": "2025-02"},
        headers=books.key,
    )
    assert journal.status_code == 200, journal.text
    disposals = [v for v in journal.json()["vouchers"] if v["entry_type"] == "dispose"]
    lines = [{x["account_code"]: (x["debit"], x["credit"]) for x in v["lines"]} for v in disposals]
    assert lines[0]["1122"] == ("20000.00", "0.00") and lines[0]["6115"] == ("0.00", "3000.00")
    assert lines[1]["1122"] == ("4500.00", "0.00") and lines[1]["6115"] == ("500.00", "0.00")
    for v in disposals:
        assert sum(D(x["debit"]) for x in v["lines"]) == sum(D(x["credit"]) for x in v["lines"])


async def test_bad_proceeds_are_refused_and_change_nothing(books: Books) -> None:
    asset = await books.capitalised("12000.00", "2024-07-01", 12)
    before = await books.count(MOVEMENTS)
    for proceeds in ("-1.00", "1.001", "abc", 12, "99999999999999.00"):
        refused = await books.move(asset["id"], "dispose", date="2025-02-10", proceeds=proceeds)
        assert refused.status_code == 422, (proceeds, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    # Another merchant cannot dispose of it, whatever the proceeds.
    foreign = await books.move(
        asset["id"], "dispose", headers=books.other_key, date="2025-02-10", proceeds="1.00"
    )
    assert foreign.status_code in (403, 404)
    assert await books.count(MOVEMENTS) == before
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["disposal_gain"] == "0.00"
