"""`reclassify` (DOMAIN.md "Reclassify"): inventory ↔ intangible at the carrying amount, the
provision with it, 其他减少 in the old table and 其他增加 in the new, through HTTP with
figures computed by hand; refusals change nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal as D
from typing import Any

from tests.assets.conftest import Books
from tests.assets.test_workbook import xlsx

MOVEMENTS = "data_asset_movement"


async def _vouchers(books: Books, first: str, last: str, kind: str) -> list[dict[str, Any]]:
    journal = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-journal",
        params={"from": first, "to": last},
        headers=books.key,
    )
    assert journal.status_code == 200, journal.text
    found = [v for v in journal.json()["vouchers"] if v["entry_type"] == kind]
    for v in found:
        assert sum(D(x["debit"]) for x in v["lines"]) == sum(D(x["credit"]) for x in v["lines"])
    return found


def _lines(voucher: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {x["account_code"]: (x["debit"], x["credit"]) for x in voucher["lines"]}


async def test_intangible_to_inventory_then_sold(books: Books) -> None:
    # 120000.00 over 24 months: 5000.00 a month, January–June 30000.00, carrying 90000.00;
    # impaired to 81000.00 (9000.00), then 81000.00 / 18 = 4500.00 a month.
    asset = await books.capitalised("120000.00", "2025-01-10", 24)
    aid = asset["id"]
    assert "reclassify" in asset["allowed_actions"]
    impaired = await books.move(aid, "impair", date="2025-06-30", recoverable_amount="81000.00")
    await books.ok(impaired)
    # July–September amortised (13500.00): accumulated 43500.00, carrying 67500.00.
    moved = await books.ok(
        await books.move(aid, "reclassify", date="2025-09-15", to="inventory", reason="对外出售")
    )
    assert moved["asset_class"] == "inventory" and moved["status"] == "held"
    assert moved["movements"][-1]["details"] == {
        "to": "inventory",
        "reason": "对外出售",
        "indefinite": False,
        "residual_value": "0.00",
    }
    assert moved["movements"][-1]["effects"] == {
        "cost": "120000.00",
        "amortisation": "43500.00",
        "impairment": "9000.00",
        "carrying_amount": "67500.00",
        "cost_in": "76500.00",  # cost − accumulated amortisation
        "provision_in": "9000.00",  # 无形资产减值准备 → 存货跌价准备
    }
    assert (moved["cost"], moved["write_down"], moved["carrying_amount"]) == (
        "76500.00", "9000.00", "67500.00",
    )  # fmt: skip
    assert "write-down" in moved["allowed_actions"] and "revise" not in moved["allowed_actions"]
    q3 = (await books.disclosure("2025-07", "2025-09")).json()
    intangible, inventory = q3["intangible"]["purchased"], q3["inventory"]["purchased"]
    assert intangible["carrying_opening"] == "81000.00"
    assert intangible["amortisation_charge"] == "13500.00"
    assert intangible["cost_reductions"]["other"] == "120000.00"
    assert intangible["amortisation_reductions"]["other"] == "43500.00"
    assert intangible["impairment_reductions"] == "9000.00"
    assert intangible["carrying_closing"] == "0.00"
    assert inventory["cost_additions"]["other"] == "76500.00"
    assert inventory["write_down_additions"] == "9000.00"
    assert inventory["carrying_closing"] == "67500.00"
    assert q3["balance_sheet"]["inventory"] == "67500.00"
    assert q3["balance_sheet"]["intangible_assets"] == "0.00"
    # Not amortised after September.
    q4 = (await books.disclosure("2025-10", "2025-10")).json()
    assert q4["intangible"]["total"]["amortisation_charge"] == "0.00"
    assert q4["inventory"]["total"]["carrying_opening"] == "67500.00"
    # Sold whole for 80000.00: cost of sales 76500.00 − 9000.00.
    sold = await books.ok(await books.move(aid, "dispose", date="2025-11-20", proceeds="80000.00"))
    assert sold["movements"][-1]["effects"]["cost_of_sales"] == "67500.00"
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert (fy["revenue"], fy["cost_of_sales"], fy["disposal_gain"]) == (
        "80000.00", "67500.00", "0.00",
    )  # fmt: skip
    intangible, inventory = fy["intangible"]["purchased"], fy["inventory"]["purchased"]
    assert intangible["amortisation_charge"] == "43500.00"
    assert inventory["cost_reductions"]["sale"] == "76500.00"
    assert inventory["write_down_reductions"]["release"] == "9000.00"
    for table in (fy["intangible"], fy["inventory"]):
        for column in table.values():
            assert column["carrying_closing"] == "0.00"
    reclassified = await _vouchers(books, "2025-09", "2025-09", "reclassify")
    assert len(reclassified) == 1
    assert _lines(reclassified[0]) == {
        "1405": ("76500.00", "0.00"),
        "1702": ("43500.00", "0.00"),
        "1703": ("9000.00", "0.00"),
        "1701": ("0.00", "120000.00"),
        "1471": ("0.00", "9000.00"),
    }
    amortised = await _vouchers(books, "2025-09", "2025-12", "amortisation")
    assert [v["date"] for v in amortised] == ["2025-09-30"]


async def test_inventory_to_intangible_amortised_from_the_next_month(books: Books) -> None:
    stock = await books.capitalised(
        "60000.00", "2025-01-10", asset_class="inventory", source="processed"
    )
    sid = stock["id"]
    await books.ok(
        await books.move(
            sid,
            "write-down",
            date="2025-02-28",
            net_realisable_value="54000.00",
            nrv_basis="合同售价减估计销售费用",
        )
    )
    before = await books.count(MOVEMENTS)
    for refused_body, field in (
        ({"to": "intangible", "reason": "自用"}, "useful_life_months"),  # no life
        ({"to": "intangible", "reason": "自用", "indefinite": True}, "indefinite_basis"),
        (
            {
                "to": "intangible",
                "reason": "自用",
                "useful_life_months": 10,
                "residual_value": "54000.00",
            },
            "residual_value",
        ),
    ):
        refused = await books.move(sid, "reclassify", date="2025-03-20", **refused_body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"][-1] == field, refused.text
    already = await books.move(sid, "reclassify", date="2025-03-20", to="inventory", reason="x")
    assert already.status_code == 409, already.text
    early = await books.move(
        sid, "reclassify", date="2025-01-01", to="intangible", useful_life_months=10, reason="x"
    )
    assert early.status_code in (409, 422), early.text
    assert await books.count(MOVEMENTS) == before
    # Carrying 54000.00; from April B = 54000.00 − 4000.00 over 10 months: 5000.00 a month.
    moved = await books.ok(
        await books.move(
            sid, "reclassify", date="2025-03-20", to="intangible", useful_life_months=10,
            residual_value="4000.00", reason="转为自用,支持内部风控模型",
        )
    )  # fmt: skip
    assert moved["asset_class"] == "intangible" and moved["status"] == "capitalised"
    assert moved["movements"][-1]["effects"] == {
        "cost": "60000.00",
        "write_down": "6000.00",
        "carrying_amount": "54000.00",
        "cost_in": "60000.00",
        "provision_in": "6000.00",
    }
    assert moved["remaining_months"] == 10 or moved["as_of"] > "2025-03"
    # Back the same day: one class change a day.
    again = await books.move(sid, "reclassify", date="2025-03-20", to="inventory", reason="x")
    assert again.status_code == 409, again.text
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    intangible, inventory = fy["intangible"]["other"], fy["inventory"]["processed"]
    assert intangible["cost_additions"]["other"] == "60000.00"
    assert intangible["impairment_additions"] == "6000.00"
    assert intangible["amortisation_charge"] == "45000.00"  # April–December
    assert intangible["carrying_closing"] == "9000.00"
    assert fy["intangible"]["total"]["carrying_closing"] == "9000.00"
    assert inventory["cost_additions"]["processing"] == "60000.00"
    assert inventory["cost_reductions"]["other"] == "60000.00"
    assert inventory["write_down_reductions"]["other"] == "6000.00"
    assert inventory["carrying_closing"] == "0.00"
    # The workbook shows it as the intangible it now is, the provision's 其他 row too.
    book = await xlsx(books, "2025-01", "2025-12")
    lives = {r[0]: r for r in book["使用寿命及摊销方法"].iter_rows(values_only=True)}
    assert lives[stock["name"]][1] == "无形资产" and lives[stock["name"]][3] == "已确认"
    rows = list(book["数据资源存货"].iter_rows(values_only=True))
    assert any(r[0] == "其他" and D("6000.00") in r for r in rows), rows
    march = (await books.disclosure("2025-03", "2025-03")).json()
    assert march["intangible"]["total"]["amortisation_charge"] == "0.00"
    reclassified = await _vouchers(books, "2025-03", "2025-03", "reclassify")
    assert _lines(reclassified[0]) == {
        "1701": ("60000.00", "0.00"),
        "1471": ("6000.00", "0.00"),
        "1405": ("0.00", "60000.00"),
        "1703": ("0.00", "6000.00"),
    }


async def test_only_capitalised_or_held_assets_are_reclassified(books: Books) -> None:
    asset = await books.asset()
    await books.ok(await books.cost(asset["id"], amount="1000.00", incurred_on="2025-01-05"))
    before = await books.count(MOVEMENTS)
    refused = await books.move(
        asset["id"], "reclassify", date="2025-02-01", to="inventory", reason="x"
    )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    foreign = await books.move(
        asset["id"], "reclassify", headers=books.other_key, date="2025-02-01", to="inventory",
        reason="x",
    )  # fmt: skip
    assert foreign.status_code in (403, 404)
    assert await books.count(MOVEMENTS) == before


async def test_a_closed_month_refuses_a_reclassification(books: Books) -> None:
    asset = await books.capitalised("12000.00", "2025-01-10", 12)
    closed = await books.client.post(
        f"/v1/merchants/{books.merchant.id}/data-asset-periods",
        json={"through": "2025-03"},
        headers={**books.key, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert closed.status_code in (200, 201), closed.text
    before = await books.count(MOVEMENTS)
    refused = await books.move(
        asset["id"], "reclassify", date="2025-03-31", to="inventory", reason="对外出售"
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "period_closed"
    assert await books.count(MOVEMENTS) == before
    # In an open month it is taken.
    await books.ok(
        await books.move(
            asset["id"], "reclassify", date="2025-04-01", to="inventory", reason="对外出售"
        )
    )
