"""The missing CAS steps (issue 29, DOMAIN.md "Books a CPA signs"), through HTTP: proceeds on
`dispose` (revenue, cost of sales, 资产处置收益), each with refusals that change nothing."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from tests.assets.conftest import MEMO, Books

MOVEMENTS = "data_asset_movement"


async def test_inventory_sold_for_proceeds_has_revenue_and_cost_of_sales(books: Books) -> None:
    stock = await books.capitalised(
        "10000.00", "2025-01-10", asset_class="inventory", source="processed"
    )
    sid = stock["id"]
    await books.ok(
        await books.move(
            sid, "write-down", date="2025-03-31", net_realisable_value="8000.00", nrv_basis="报价"
        )
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


# --- revise: 会计估计变更, prospective ---------------------------------------------------------


async def test_revise_life_and_residual_is_prospective_and_disclosed(books: Books) -> None:
    asset = await books.capitalised("12000.00", "2025-01-10", 12)
    aid = asset["id"]
    assert "revise" in asset["allowed_actions"]
    # End of March: 3000.00 amortised, carrying 9000.00. From April: B = 9000.00 − 1800.00,
    # R = 24 − 3 = 21 months.
    revised = await books.ok(
        await books.move(
            aid, "revise", date="2025-03-15", useful_life_months=24, residual_value="1800.00",
            reason="技术迭代放缓,预计可使用期限延长",
        )
    )  # fmt: skip
    moved = revised["movements"][-1]
    assert moved["type"] == "revise"
    assert moved["effects"] == {"carrying_amount": "9000.00", "amortisation_base": "7200.00"}
    assert revised["useful_life_months"] == 24 and revised["residual_value"] == "1800.00"
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    purchased = fy["intangible"]["purchased"]
    # 3000.00 + round_half_up(7200.00 × 9 / 21, 2) = 3000.00 + 3085.71.
    assert purchased["amortisation_charge"] == "6085.71"
    assert purchased["carrying_closing"] == "5914.29"
    assert fy["estimate_changes"] == [
        {
            "asset_id": aid,
            "name": asset["name"],
            "date": "2025-03-15",
            "old": {"useful_life_months": 12, "indefinite_life": False, "residual_value": "0.00"},
            "new": {
                "useful_life_months": 24,
                "indefinite_life": False,
                "residual_value": "1800.00",
            },
            "reason": "技术迭代放缓,预计可使用期限延长",
            "carrying_amount": "9000.00",
            "remaining_months": 21,
        }
    ]
    q1 = (await books.disclosure("2025-01", "2025-03")).json()
    assert q1["intangible"]["purchased"]["amortisation_charge"] == "3000.00"  # unchanged
    assert (await books.disclosure("2025-04", "2025-12")).json()["estimate_changes"] == []
    schedule = await books.client.get(
        f"/v1/data-assets/{aid}/schedule", params={"through": "2027-06"}, headers=books.key
    )
    assert schedule.status_code == 200, schedule.text
    rows = {r["month"]: r for r in schedule.json()["rows"]}
    assert rows["2025-04"]["amortisation"] == "342.86"
    assert rows["2026-12"]["carrying_amount"] == "1800.00"  # ends at the residual value
    assert rows["2027-01"]["amortisation"] == "0.00"


async def test_revise_to_an_indefinite_life_stops_amortisation(books: Books) -> None:
    asset = await books.capitalised("12000.00", "2025-01-10", 12)
    aid = asset["id"]
    before = await books.count("data_asset_movement")
    no_basis = await books.move(aid, "revise", date="2025-06-30", indefinite=True, reason="x")
    assert no_basis.status_code == 422, no_basis.text
    assert "indefinite_basis" in no_basis.text
    assert await books.count("data_asset_movement") == before
    await books.ok(
        await books.move(
            aid, "revise", date="2025-06-30", indefinite=True, reason="经营许可无期限",
            indefinite_basis="数据来源为永久授权,无法预见带来经济利益的期限",
        )
    )  # fmt: skip
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["intangible"]["purchased"]["amortisation_charge"] == "6000.00"  # Jan – Jun
    assert fy["intangible"]["purchased"]["carrying_closing"] == "6000.00"
    (life,) = fy["assets"]
    assert life["indefinite_life"] is True and life["useful_life_months"] is None
    assert fy["estimate_changes"][0]["remaining_months"] is None


async def test_bad_revisions_are_refused_and_change_nothing(books: Books) -> None:
    asset = await books.capitalised("12000.00", "2025-01-10", 12)
    aid = asset["id"]
    stock = await books.capitalised(
        "5000.00", "2025-01-10", asset_class="inventory", source="processed"
    )
    before = await books.count("data_asset_movement")
    reason = {"reason": "复核"}
    for body, code in [
        ({"date": "2025-03-15", "useful_life_months": 3, **reason}, 422),  # 3 months used
        (
            {"date": "2025-03-15", "useful_life_months": 24, "residual_value": "9000.00", **reason},
            422,
        ),  # not below the carrying amount
        (
            {
                "date": "2025-03-15",
                "useful_life_months": 24,
                "indefinite": True,
                "indefinite_basis": "x",
                **reason,
            },
            422,
        ),
        ({"date": "2025-03-15", **reason}, 422),  # neither
        ({"date": "2025-03-15", "useful_life_months": 12, **reason}, 422),  # changes nothing
        ({"date": "2025-03-15", "useful_life_months": 24}, 422),  # no reason
        ({"date": "2025-03-15", "useful_life_months": 24, "reason": ""}, 422),
        ({"date": "2024-12-31", "useful_life_months": 24, **reason}, 422),  # before capitalise
        ({"date": "2025-03-15", "useful_life_months": 0, **reason}, 422),
        ({"date": "2025-03-15", "useful_life_months": 24, "extra": 1, **reason}, 422),
    ]:
        refused = await books.move(aid, "revise", **body)
        assert refused.status_code == code, (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    inventory = await books.move(
        stock["id"], "revise", date="2025-03-15", useful_life_months=24, **reason
    )
    assert inventory.status_code == 409, inventory.text
    foreign = await books.move(
        aid, "revise", headers=books.other_key, date="2025-03-15", useful_life_months=24, **reason
    )
    assert foreign.status_code == 404, foreign.text
    unsafe = await books.client.post(
        f"/v1/data-assets/{aid}/revise",
        json={"date": "2025-03-15", "useful_life_months": 24, **reason},
        headers=books.key,
    )
    assert unsafe.status_code == 428, unsafe.text
    assert await books.count("data_asset_movement") == before
    # Closed months refuse it too (409 period_closed), and a restatement may carry it.
    closed = await books.client.post(
        f"/v1/merchants/{books.merchant.id}/data-asset-periods",
        json={"through": "2025-06"},
        headers={**books.key, "Idempotency-Key": "1d1f3a7e-8a1c-4a8e-9d0c-5f0e0c7a3b21"},
    )
    assert closed.status_code == 201, closed.text
    late = await books.move(aid, "revise", date="2025-03-15", useful_life_months=24, **reason)
    assert late.status_code == 409 and "period_closed" in late.text
    assert await books.count("data_asset_movement") == before
    restated = await books.client.post(
        f"/v1/data-assets/{aid}/restatements",
        json={
            "period": "2025-03",
            "reason": "漏记估计变更",
            "entry": {
                "type": "revise",
                "date": "2025-03-15",
                "useful_life_months": 24,
                "reason": "技术迭代放缓",
            },
        },
        headers={**books.admin, "Idempotency-Key": "2d1f3a7e-8a1c-4a8e-9d0c-5f0e0c7a3b22"},
    )
    assert restated.status_code == 201, restated.text
    fy = (await books.disclosure("2025-01", "2025-12", basis="restated")).json()
    # From April: B = 9000.00, R = 21: 9 months 3857.14.
    assert fy["intangible"]["purchased"]["amortisation_charge"] == "6857.14"


# --- 开发支出 impairment and a terminated project ------------------------------------------------


async def develop(books: Books, name: str) -> str:
    project = await books.asset(name=name, source="developed")
    pid = str(project["id"])
    await books.ok(await books.cost(pid, phase="research", amount="2000.00"))
    await books.ok(
        await books.cost(pid, phase="development", amount="12000.00", incurred_on="2025-02-10")
    )
    return pid


async def test_development_impaired_then_capitalised_carries_its_provision(
    books: Books,
) -> None:
    pid = await develop(books, "减值后资本化")
    impaired = await books.ok(
        await books.move(pid, "impair", date="2025-03-31", recoverable_amount="9000.00")
    )
    assert impaired["status"] == "in_development"
    assert (impaired["impairment"], impaired["carrying_amount"]) == ("3000.00", "9000.00")
    assert impaired["movements"][-1]["effects"] == {
        "impairment": "3000.00",
        "carrying_amount": "9000.00",
    }
    march = (await books.disclosure("2025-03", "2025-03")).json()
    assert march["balance_sheet"]["development_expenditure"] == "9000.00"  # net
    # A yearly test that finds nothing (CAS 8 第六条): recorded, with no charge.
    tested = await books.ok(
        await books.move(pid, "impair", date="2025-04-30", recoverable_amount="9500.00")
    )
    assert tested["movements"][-1]["effects"] == {
        "impairment": "0.00",
        "carrying_amount": "9000.00",
    }
    capitalised = await books.ok(
        await books.move(pid, "capitalise", date="2025-05-10", useful_life_months=9, memo=MEMO)
    )
    assert capitalised["movements"][-1]["effects"] == {
        "cost": "12000.00",
        "impairment": "3000.00",
    }
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    developed = fy["intangible"]["developed"]
    assert developed["cost_additions"]["internal_development"] == "12000.00"
    assert developed["impairment_additions"] == "3000.00"
    # B = 12000.00 − 3000.00 − 0: 1000.00 a month, May to December.
    assert developed["amortisation_charge"] == "8000.00"
    assert developed["carrying_closing"] == "1000.00"
    journal = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-journal",
        params={"from": "2025-01", "to": "2025-12"},
        headers=books.key,
    )
    vouchers = journal.json()["vouchers"]
    lines = {
        v["entry_type"]: [(x["account_code"], x["debit"], x["credit"]) for x in v["lines"]]
        for v in vouchers
        if v["entry_type"] in ("impair", "capitalise")
    }
    assert lines["impair"] == [("6701", "3000.00", "0.00"), ("5301", "0.00", "3000.00")]
    assert lines["capitalise"] == [
        ("1701", "12000.00", "0.00"),
        ("5301", "0.00", "9000.00"),
        ("1703", "0.00", "3000.00"),
    ]


async def test_terminated_development_is_research_expense_less_its_provision(
    books: Books,
) -> None:
    pid = await develop(books, "终止项目")
    await books.ok(await books.move(pid, "impair", date="2025-03-31", recoverable_amount="5000.00"))
    before = await books.count("data_asset_movement")
    for body in (
        {"date": "2025-03-31", "recoverable_amount": "-1.00"},
        {"date": "2025-03-31"},
        {"date": "2025-03-30", "recoverable_amount": "6000.00"},  # before the latest
    ):
        refused = await books.move(pid, "impair", **body)
        assert refused.status_code in (409, 422), refused.text
    foreign = await books.move(
        pid, "impair", headers=books.other_key, date="2025-03-31", recoverable_amount="1.00"
    )
    assert foreign.status_code == 404
    assert await books.count("data_asset_movement") == before
    ended = await books.ok(
        await books.move(pid, "derecognise", date="2025-06-15", reason="技术不可行")
    )
    assert ended["movements"][-1]["effects"] == {"research_expense": "5000.00"}
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["research_expense"] == "7000.00"  # 2000.00 research + 5000.00 terminated
    assert fy["research_expense_terminated"] == "5000.00"
    assert fy["balance_sheet"]["development_expenditure"] == "0.00"


# --- Inventory costing and the notes -----------------------------------------------------------


async def test_units_costing_sells_by_quantity_and_is_disclosed(books: Books) -> None:
    stock = await books.asset(name="企业征信报告包", asset_class="inventory", source="processed")
    sid = stock["id"]
    await books.ok(await books.cost(sid, amount="1000.00", incurred_on="2025-01-05"))
    before = await books.count("data_asset_movement")
    for body in (
        {"costing": "units", "unit": "份"},  # no quantity
        {"costing": "units", "quantity": 3},  # no unit
        {"costing": "fraction"},  # no basis
        {"costing": "fraction", "basis": "按记录数", "quantity": 3},
        {"quantity": 3, "unit": "份"},  # no costing
        {"costing": "fifo", "quantity": 3, "unit": "份"},
        {"costing": "units", "quantity": 0, "unit": "份"},
    ):
        refused = await books.move(sid, "capitalise", date="2025-01-10", **body)
        assert refused.status_code == 422, (body, refused.text)
    assert await books.count("data_asset_movement") == before
    await books.ok(
        await books.move(
            sid, "capitalise", date="2025-01-10", costing="units", quantity=3, unit="份"
        )
    )
    await books.ok(
        await books.move(
            sid, "write-down", date="2025-02-28", net_realisable_value="900.00",
            nrv_basis="同类报告近期成交价减销售费用",
        )
    )  # fmt: skip
    for body in ({"fraction": "0.5"}, {"quantity": 4}, {}):
        refused = await books.move(sid, "dispose", date="2025-03-10", **body)
        assert refused.status_code == 422, (body, refused.text)
    # 1000.00 × 1 / 3 = 333.33; the provision 100.00 × 1 / 3 = 33.33 goes with it.
    sold = await books.ok(
        await books.move(sid, "dispose", date="2025-03-10", quantity=1, proceeds="500.00")
    )
    assert sold["movements"][-1]["effects"] == {
        "cost": "333.33",
        "write_down": "33.33",
        "carrying_amount": "300.00",
        "revenue": "500.00",
        "cost_of_sales": "300.00",
    }
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["notes"]["inventory_costing"] == [
        {
            "asset_id": sid,
            "name": "企业征信报告包",
            "costing": "units",
            "quantity": 3,
            "remaining_quantity": 2,
            "unit": "份",
            "basis": None,
        }
    ]
    (nrv,) = fy["notes"]["nrv_basis"]
    assert (
        nrv["basis"] == "同类报告近期成交价减销售费用" and nrv["net_realisable_value"] == "900.00"
    )
    # The rest: 666.67 of cost, 66.67 of provision, all released.
    rest = await books.ok(await books.move(sid, "dispose", date="2025-04-10", quantity=2))
    assert rest["status"] == "disposed"
    assert rest["movements"][-1]["effects"]["cost_of_sales"] == "600.00"


async def test_indefinite_life_basis_is_noted(books: Books) -> None:
    asset = await books.asset(name="永久授权数据集")
    await books.ok(await books.cost(asset["id"], amount="5000.00", incurred_on="2025-01-05"))
    await books.ok(
        await books.move(
            asset["id"], "capitalise", date="2025-01-10", indefinite=True,
            indefinite_basis="永久授权且数据持续更新",
        )
    )  # fmt: skip
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["notes"]["indefinite_life"] == [
        {"asset_id": asset["id"], "name": "永久授权数据集", "basis": "永久授权且数据持续更新"}
    ]
    units = await books.move(
        asset["id"], "dispose", date="2025-03-01", quantity=1
    )  # an intangible is disposed of whole
    assert units.status_code == 422, units.text


async def test_yearly_impairment_tests_missing_are_named(books: Books) -> None:
    lasting = await books.capitalised("5000.00", "2025-01-10", name="不确定寿命")
    project = await develop(books, "开发中项目")
    finite = await books.capitalised("1200.00", "2025-01-10", 12, name="有限寿命")
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert {(m["name"], m["reason"]) for m in fy["impairment_tests_missing"]} == {
        ("不确定寿命", "indefinite_life"),
        ("开发中项目", "development"),
    }
    # A finite life needs no yearly test; for it, nothing to impair is still refused.
    refused = await books.move(
        finite["id"], "impair", date="2025-06-30", recoverable_amount="5000.00"
    )
    assert refused.status_code == 409, refused.text
    for aid in (lasting["id"], project):
        tested = await books.ok(
            await books.move(aid, "impair", date="2025-12-31", recoverable_amount="99999.00")
        )
        assert tested["movements"][-1]["effects"]["impairment"] == "0.00"
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["impairment_tests_missing"] == []
    assert fy["intangible"]["total"]["impairment_additions"] == "0.00"
    # A new year asks for a new test.
    fy26 = (await books.disclosure("2026-01", "2026-12")).json()
    assert {m["reason"] for m in fy26["impairment_tests_missing"]} == {
        "indefinite_life",
        "development",
    }


async def test_nrv_and_indefinite_bases_are_required(books: Books) -> None:
    """DOMAIN.md: `nrv_basis` is required on write-downs (and on their reversal, which rests
    on a new estimate of the net realisable value: CAS 1 第二十二条 discloses both), and an
    indefinite life needs `indefinite_basis`, at `capitalise` as at `revise`; a restatement's
    entry too. 422 naming the field, nothing written."""
    from tests.assets.test_periods import close, restate

    stock = await books.capitalised(
        "1000.00", "2025-01-10", asset_class="inventory", source="processed"
    )
    sid = stock["id"]
    gathering = await books.asset(name="授权运营数据")
    await books.ok(await books.cost(gathering["id"], amount="500.00", incurred_on="2025-10-01"))
    moves, leaves = await books.count("data_asset_movement"), await books.count("ledger_entry")

    def named(answer: Any, *loc: str) -> None:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["loc"] == list(loc), answer.text

    for step in ("write-down", "reverse-write-down"):
        bare = await books.move(sid, step, date="2025-03-31", net_realisable_value="800.00")
        named(bare, "body", "nrv_basis")
        blank = await books.move(
            sid, step, date="2025-03-31", net_realisable_value="800.00", nrv_basis="  "
        )
        named(blank, "body", "nrv_basis")
    for basis in ({}, {"indefinite_basis": " "}):
        bare = await books.move(
            gathering["id"], "capitalise", date="2025-10-31", indefinite=True, **basis
        )
        named(bare, "body", "indefinite_basis")

    assert (await close(books, "2025-12")).status_code == 201
    down = {"type": "write-down", "date": "2025-03-31", "net_realisable_value": "800.00"}
    indefinite = {"type": "capitalise", "date": "2025-12-31", "indefinite": True}
    for headers in (books.admin, books.key):
        named(await restate(books, sid, "2025-03", down, headers), "body", "entry", "nrv_basis")
        named(
            await restate(books, gathering["id"], "2025-12", indefinite, headers),
            "body", "entry", "indefinite_basis",
        )  # fmt: skip
    assert await books.count("data_asset_restatement") == 0
    assert await books.count("data_asset_movement") == moves
    assert await books.count("ledger_entry") == leaves + 1  # the close alone

    done = await restate(
        books, sid, "2025-03", {**down, "nrv_basis": "合同价减销售费用"}, books.admin
    )
    assert done.status_code == 201, done.text
    fy = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
        headers=books.key,
    )
    [note] = fy.json()["notes"]["nrv_basis"]
    assert (note["basis"], note["net_realisable_value"]) == ("合同价减销售费用", "800.00")


async def test_work_in_progress_is_disclosed_and_derecognised_from_the_tables(
    books: Books,
) -> None:
    """DOMAIN.md "Work in progress", through HTTP: inventory gathering costs is 存货 (其中：
    在产品) and a purchased intangible 无形资产 from the month incurred; a derecognition
    before capitalisation takes them out as 失效且终止确认, never dated before a cost item."""
    stock = await books.asset(name="加工中的数据包", asset_class="inventory", source="processed")
    bought = await books.asset(name="采购中的数据集", asset_class="intangible", source="purchased")
    await books.ok(await books.cost(stock["id"], amount="800.00", incurred_on="2025-10-08"))
    await books.ok(await books.cost(stock["id"], amount="200.00", incurred_on="2025-11-03"))
    await books.ok(await books.cost(bought["id"], amount="600.00", incurred_on="2025-11-15"))
    fy = (await books.disclosure("2025-01", "2025-11")).json()
    processed = fy["inventory"]["processed"]
    assert processed["cost_additions"]["processing"] == "1000.00"
    assert processed["work_in_progress_closing"] == "1000.00" == processed["cost_closing"]
    assert fy["intangible"]["purchased"]["cost_additions"]["purchase"] == "600.00"
    assert fy["balance_sheet"]["inventory"] == "1000.00"
    assert fy["balance_sheet"]["intangible_assets"] == "600.00"
    assert {a["name"]: a["status"] for a in fy["assets"]} == {
        "加工中的数据包": "open",
        "采购中的数据集": "open",
    }
    before = await books.count(MOVEMENTS)
    early = await books.move(stock["id"], "derecognise", date="2025-10-31", reason="数据失效")
    assert early.status_code == 422, early.text
    assert early.json()["errors"][0]["loc"][-1] == "date"
    assert await books.count(MOVEMENTS) == before
    await books.ok(
        await books.move(stock["id"], "derecognise", date="2025-12-10", reason="数据失效")
    )
    december = (await books.disclosure("2025-12", "2025-12")).json()
    total = december["inventory"]["total"]
    assert total["cost_reductions"]["derecognition"] == "1000.00"
    assert total["cost_closing"] == "0.00" == total["work_in_progress_closing"]
    assert december["balance_sheet"]["inventory"] == "0.00"
    assert december["balance_sheet"]["intangible_assets"] == "600.00"
