"""The data-asset register through the API: DOMAIN.md's worked example from cost items to
the FY2025 tables (JSON and XLSX alike), impairment, derecognition mid-year, inventory sales
of a fraction, write-downs and their reversal, the month rules at both ends, restricted
assets, and every record a provable leaf of the `FIN` log."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets.entries import FIN_LOG, LEAF_KINDS
from app.assets.workbook import (
    FIRST_ROW,
    HEADER_ROW,
    INTANGIBLE_COLUMNS,
    INTANGIBLE_ROWS,
    INVENTORY_COLUMNS,
    INVENTORY_ROWS,
    MEDIA_TYPE,
)
from app.core.clock import shanghai_today
from app.ledger import merkle
from app.ledger.models import LedgerEntry
from app.ledger.sequencer import canonical
from tests.assets.conftest import MEMO, Books
from tests.ip.test_router import Registry
from tests.ledger.test_verify import verify


async def worked_example(books: Books) -> tuple[dict[str, Any], dict[str, Any]]:
    """Assets A and B of DOMAIN.md, through the API."""
    trade = await books.trade("120000.00")
    assessment_id = await books.independent_assessment()
    a = await books.asset(
        name="长三角港口集装箱吞吐量数据集",
        product_id=str(books.product.id),
        description="外购的港口吞吐量日度数据,经清洗后用于航运指数研究",
    )
    for item in [
        {"kind": "purchase_price", "amount": "120000.00", "incurred_on": "2025-02-20",
         "trade_id": trade["id"]},
        {"kind": "taxes", "amount": "7200.00", "incurred_on": "2025-02-20",
         "vat_deductible": False},
        {"kind": "processing", "amount": "12000.00", "incurred_on": "2025-03-01",
         "description": "清洗"},
        {"kind": "quality_assessment", "amount": "3000.00", "incurred_on": "2025-03-05",
         "assessment_id": assessment_id},
    ]:  # fmt: skip
        await books.ok(await books.cost(a["id"], **item))
    a = await books.ok(
        await books.move(a["id"], "capitalise", date="2025-03-15", useful_life_months=60)
    )

    b = await books.asset(name="企业信用风险评分模型训练集", source="developed")
    assert b["status"] == "in_development"
    for item in [
        {"kind": "labour", "amount": "20000.00", "incurred_on": "2025-02-14", "phase": "research"},
        {"kind": "labour", "amount": "50000.00", "incurred_on": "2025-04-10",
         "phase": "development"},
        {"kind": "compute", "amount": "30000.00", "incurred_on": "2025-06-20",
         "phase": "development"},
    ]:  # fmt: skip
        await books.ok(await books.cost(b["id"], **item))
    b = await books.ok(
        await books.move(b["id"], "capitalise", date="2025-06-30", useful_life_months=36, memo=MEMO)
    )
    return a, b


async def test_the_worked_example_comes_out_exactly(books: Books) -> None:
    a, b = await worked_example(books)
    assert a["status"] == "capitalised" and a["original_cost"] == "142200.00"
    assert b["original_cost"] == "80000.00" and b["research_expense"] == "20000.00"
    assert [i["capitalisable"] for i in b["cost_items"]] == [False, True, True]

    answer = await books.disclosure("2025-01", "2025-12")
    assert answer.status_code == 200, answer.text
    fy = answer.json()
    assert (fy["from"], fy["to"]) == ("2025-01", "2025-12")
    intangible = fy["intangible"]
    purchased, developed, total = (intangible[c] for c in ("purchased", "developed", "total"))
    assert (purchased["cost_closing"], developed["cost_closing"], total["cost_closing"]) == (
        "142200.00",
        "80000.00",
        "222200.00",
    )
    assert (
        purchased["amortisation_closing"],
        developed["amortisation_closing"],
        total["amortisation_closing"],
    ) == ("23700.00", "15555.56", "39255.56")
    assert (
        purchased["carrying_closing"],
        developed["carrying_closing"],
        total["carrying_closing"],
    ) == ("118500.00", "64444.44", "182944.44")
    assert purchased["cost_additions"] == {
        "purchase": "142200.00",
        "internal_development": "0.00",
        "other": "0.00",
    }
    assert developed["cost_additions"]["internal_development"] == "80000.00"
    assert total["amortisation_charge"] == "39255.56"
    assert total["cost_opening"] == total["carrying_opening"] == "0.00"
    assert fy["research_expense"] == "20000.00"
    assert fy["balance_sheet"] == {
        "inventory": "0.00",
        "intangible_assets": "182944.44",
        "development_expenditure": "0.00",
    }
    assert fy["inventory"]["total"]["carrying_closing"] == "0.00"
    lives = {x["name"]: x for x in fy["assets"]}
    assert lives[a["name"]]["useful_life_months"] == 60
    assert lives[b["name"]]["amortisation_method"] == "straight_line"
    # A is 64.8 % of the carrying amount, B 35.2 %: both significant.
    significant = {x["asset_id"]: x for x in fy["significant"]}
    assert significant[a["id"]]["carrying_amount"] == "118500.00"
    assert significant[a["id"]]["remaining_months"] == 50
    assert significant[b["id"]]["remaining_months"] == 29
    assert fy["restricted"] == []

    # Before B was capitalised (May), its development items were 开发支出.
    may = (await books.disclosure("2025-05", "2025-05")).json()
    assert may["balance_sheet"]["development_expenditure"] == "50000.00"

    schedule = await books.client.get(
        f"/v1/data-assets/{a['id']}/schedule", params={"through": "2025-12"}, headers=books.key
    )
    assert schedule.status_code == 200, schedule.text
    rows = schedule.json()["rows"]
    assert rows[0]["month"] == "2025-03" and len(rows) == 10
    assert sum(Decimal(r["amortisation"]) for r in rows) == Decimal("23700.00")
    assert rows[-1]["carrying_amount"] == "118500.00"

    # The workbook carries the same numbers, one sheet per table.
    xlsx = await books.disclosure("2025-01", "2025-12", Accept=MEDIA_TYPE)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"] == MEDIA_TYPE
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames[:2] == ["数据资源无形资产", "数据资源存货"]
    sheet = workbook["数据资源无形资产"]
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == [
        "项目",
        "外购的数据资源无形资产",
        "自行开发的数据资源无形资产",
        "其他方式取得的数据资源无形资产",
        "合计",
    ]
    labels = [row[0].value for row in sheet.iter_rows(min_row=FIRST_ROW)]
    closing_rows = [n for n, label in enumerate(labels, start=FIRST_ROW) if label == "4.期末余额"]
    cost_closing, amortisation_closing = closing_rows[0], closing_rows[1]
    carrying_closing = labels.index("1.期末账面价值") + FIRST_ROW

    def row(number: int) -> list[str]:
        cells = sheet[number][1:5]
        assert all(c.number_format == "#,##0.00" for c in cells)
        return [f"{Decimal(str(c.value)):.2f}" for c in cells]

    columns = ("purchased", "developed", "other", "total")
    assert row(cost_closing) == [intangible[c]["cost_closing"] for c in columns]
    assert row(amortisation_closing) == [intangible[c]["amortisation_closing"] for c in columns]
    assert row(carrying_closing) == [intangible[c]["carrying_closing"] for c in columns]
    added = labels.index("其中：计提") + FIRST_ROW
    assert row(added) == [intangible[c]["amortisation_charge"] for c in columns]
    lines = workbook["资产负债表项目"]
    assert [
        (r[0].value, f"{Decimal(str(r[1].value)):.2f}") for r in lines.iter_rows(min_row=FIRST_ROW)
    ] == [
        ("存货 其中：数据资源", "0.00"),
        ("无形资产 其中：数据资源", "182944.44"),
        ("开发支出 其中：数据资源", "0.00"),
    ]
    assert workbook["研究支出"][f"B{FIRST_ROW}"].value == 20000
    # Every amount of both tables, row by row and column by column, is the JSON's.
    for name, rows, table, columns_of in (
        ("数据资源无形资产", INTANGIBLE_ROWS, fy["intangible"], INTANGIBLE_COLUMNS),
        ("数据资源存货", INVENTORY_ROWS, fy["inventory"], INVENTORY_COLUMNS),
    ):
        cells = list(workbook[name].iter_rows(min_row=FIRST_ROW, values_only=True))
        assert [c[0] for c in cells] == [label for label, _ in rows]
        for (_, path), values in zip(rows, cells, strict=True):
            if path is None:
                assert values[1:] == (None, None, None, None)
                continue
            group, _, part = path.partition(".")
            for column, value in zip(columns_of, values[1:], strict=True):
                field = table[column][group]
                expected = (
                    sum(Decimal(v) for v in field.values())
                    if part == "*"
                    else Decimal(field[part] if part else field)
                )
                assert Decimal(str(value)) == expected, (name, path, column)


async def test_every_record_is_a_leaf_of_the_fin_log(
    books: Books, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    a, _ = await worked_example(books)
    entries = list(
        (
            await session.execute(
                select(LedgerEntry)
                .where(LedgerEntry.venue_code == FIN_LOG)
                .order_by(LedgerEntry.index)
            )
        ).scalars()
    )
    # Seven cost items and two movements, in the order recorded.
    assert [e.index for e in entries] == list(range(9))
    for entry in entries:
        model, entry_of = LEAF_KINDS[entry.kind]
        row = await session.get(model, entry.ref_id)
        assert canonical(entry_of(row)) == entry.entry  # rebuilt from the row alone
    leaves = [i["leaf_index"] for i in a["cost_items"]] + [a["movements"][0]["leaf_index"]]
    assert leaves == [0, 1, 2, 3, 4]
    proof = await client.get(
        f"/v1/ledgers/{FIN_LOG}/proofs/inclusion", params={"index": 4, "tree_size": 9}
    )
    assert proof.status_code == 200, proof.text
    body = proof.json()
    path = [bytes.fromhex(h) for h in body["audit_path"]]
    assert merkle.verify_inclusion(
        4, 9, bytes.fromhex(body["leaf_hash"]), path, bytes.fromhex(body["root_hash"])
    )
    # And they never change.
    for table in ("data_asset_cost_item", "data_asset_movement"):
        await session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text(f"UPDATE {table} SET leaf_index = leaf_index + 1"))
        await session.rollback()


async def test_fin_entries_are_the_books_of_their_merchant_and_the_log_verifies(
    books: Books, client: httpx.AsyncClient, database_url: str
) -> None:
    """A FIN entry's contents (costs, amounts, evidence) are the merchant's books: readable
    by it, operators and auditors; everyone else gets the leaf hash alone. And `shushang
    ledger verify FIN` rebuilds every leaf from the stored rows."""
    await worked_example(books)
    for headers, readable in (
        (books.key, True),
        (books.admin, True),
        (books.auditor, True),
        ({}, False),
        (books.other_key, False),
        (books.assessor, False),
    ):
        entry = await client.get(f"/v1/ledgers/{FIN_LOG}/entries/0", headers=headers)
        assert entry.status_code == 200, entry.text
        if readable:
            assert entry.json()["entry"]["merchant_id"] == str(books.merchant.id)
        else:
            assert set(entry.json()) == {"index", "leaf_hash"}, headers
    checkpoint = await client.get(f"/v1/ledgers/{FIN_LOG}/checkpoint")
    assert checkpoint.status_code == 200 and f"/{FIN_LOG}\n9\n" in checkpoint.text
    verified = await verify(database_url, FIN_LOG)
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_impairment_restarts_amortisation_and_is_never_reversed(books: Books) -> None:
    asset = await books.capitalised("12000.00", "2025-01-05", 12)
    aid = asset["id"]
    # End of March: 3000 amortised, carrying 9000; nothing to impair above that.
    refused = await books.move(aid, "impair", date="2025-03-20", recoverable_amount="9000.00")
    assert refused.status_code == 409, refused.text
    assert "9000.00" in refused.json()["detail"]
    assert await books.count("data_asset_movement") == 1
    impaired = await books.ok(
        await books.move(aid, "impair", date="2025-03-20", recoverable_amount="4500.00")
    )
    assert impaired["movements"][-1]["effects"] == {
        "impairment": "4500.00",
        "carrying_amount": "4500.00",
    }
    rows = (
        await books.client.get(
            f"/v1/data-assets/{aid}/schedule", params={"through": "2026-01"}, headers=books.key
        )
    ).json()["rows"]
    by_month = {r["month"]: r for r in rows}
    assert by_month["2025-03"]["amortisation"] == "1000.00"
    assert by_month["2025-03"]["impairment"] == "4500.00"
    assert by_month["2025-03"]["carrying_amount"] == "4500.00"
    assert by_month["2025-04"]["amortisation"] == "500.00"  # 4500 over the 9 months left
    assert by_month["2025-12"]["carrying_amount"] == "0.00"
    assert by_month["2026-01"]["amortisation"] == "0.00"
    fy = (await books.disclosure("2025-01", "2025-12")).json()["intangible"]["purchased"]
    assert fy["impairment_additions"] == fy["impairment_closing"] == "4500.00"
    assert fy["amortisation_charge"] == "7500.00"
    assert fy["carrying_closing"] == "0.00"
    # CAS 8: an intangible's impairment is not reversed; write-downs are inventory's.
    again = await books.move(
        aid,
        "reverse-write-down",
        date="2025-12-31",
        net_realisable_value="9000.00",
        nrv_basis="报价",
    )
    assert again.status_code == 409


async def test_derecognition_mid_year(books: Books) -> None:
    asset = await books.capitalised("24000.00", "2024-07-01", 24)
    left = await books.ok(
        await books.move(
            asset["id"], "derecognise", date="2025-06-10", reason="授权协议到期,数据失效"
        )
    )
    assert left["status"] == "derecognised" and left["ended_on"] == "2025-06-10"
    assert left["allowed_actions"] == ["update"]
    assert left["movements"][-1]["effects"] == {
        "cost": "24000.00",
        "amortisation": "11000.00",  # July 2024 to May 2025: 11 months; June is not
        "carrying_amount": "13000.00",
    }
    fy = (await books.disclosure("2025-01", "2025-12")).json()["intangible"]["purchased"]
    assert fy["cost_opening"] == "24000.00"
    assert fy["amortisation_opening"] == "6000.00"
    assert fy["amortisation_charge"] == "5000.00"
    assert fy["cost_reductions"]["derecognition"] == "24000.00"
    assert fy["amortisation_reductions"]["derecognition"] == "11000.00"
    assert fy["cost_closing"] == fy["amortisation_closing"] == fy["carrying_closing"] == "0.00"
    assert fy["carrying_opening"] == "18000.00"
    ended = await books.move(asset["id"], "dispose", date="2025-07-01")
    assert ended.status_code == 409  # nothing leaves an end


async def test_inventory_sale_of_a_fraction_write_down_and_reversal(books: Books) -> None:
    stock = await books.capitalised(
        "10000.00", "2025-01-10", asset_class="inventory", source="processed",
        name="城市交通出行 OD 数据包",
    )  # fmt: skip
    sid = stock["id"]
    assert stock["status"] == "held" and stock["useful_life_months"] is None
    down = await books.ok(
        await books.move(
            sid, "write-down", date="2025-03-31", net_realisable_value="8000.00", nrv_basis="报价"
        )
    )
    assert down["write_down"] == "2000.00" and down["carrying_amount"] == "8000.00"
    assert "reverse-write-down" in down["allowed_actions"]
    sold = await books.ok(await books.move(sid, "dispose", date="2025-05-20", fraction="0.3"))
    assert sold["status"] == "held"
    assert sold["movements"][-1]["effects"] == {
        "cost": "3000.00",
        "write_down": "600.00",
        "carrying_amount": "2400.00",
        "revenue": "0.00",
        "cost_of_sales": "2400.00",
    }
    assert sold["cost"] == "7000.00" and sold["write_down"] == "1400.00"
    # NRV recovers above cost: the provision is reversed to zero, never below.
    back = await books.ok(
        await books.move(
            sid,
            "reverse-write-down",
            date="2025-09-30",
            net_realisable_value="7500.00",
            nrv_basis="报价",
        )
    )
    assert back["write_down"] == "0.00" and back["carrying_amount"] == "7000.00"
    nothing = await books.move(
        sid,
        "reverse-write-down",
        date="2025-10-31",
        net_realisable_value="9000.00",
        nrv_basis="报价",
    )
    assert nothing.status_code == 409
    assert (
        await books.move(sid, "impair", date="2025-10-31", recoverable_amount="1.00")
    ).status_code == 409

    fy = (await books.disclosure("2025-01", "2025-12")).json()
    column = fy["inventory"]["processed"]
    assert column["cost_additions"]["processing"] == "10000.00"
    assert column["cost_reductions"] == {
        "sale": "3000.00",
        "derecognition": "0.00",
        "other": "0.00",
    }
    assert column["write_down_additions"] == "2000.00"
    assert column["write_down_reductions"] == {
        "reversal": "1400.00",
        "release": "600.00",
        "other": "0.00",
    }
    assert column["cost_closing"] == column["carrying_closing"] == "7000.00"
    assert fy["balance_sheet"]["inventory"] == "7000.00"
    # The rest is sold: fraction 1 releases all that remains.
    gone = await books.ok(await books.move(sid, "dispose", date="2025-12-01", fraction="1"))
    assert gone["status"] == "disposed" and gone["cost"] == "0.00"


async def test_the_month_rules_at_both_ends(books: Books) -> None:
    # Capitalised on the last day of a month: that month is amortised in full.
    late = await books.capitalised("1200.00", "2025-01-31", 12, name="月末确认")
    # Disposed of on the first day of a month: that month is not amortised.
    done = await books.ok(await books.move(late["id"], "dispose", date="2025-04-01"))
    assert done["movements"][-1]["effects"]["amortisation"] == "300.00"  # January–March
    rows = (
        await books.client.get(f"/v1/data-assets/{late['id']}/schedule", headers=books.key)
    ).json()["rows"]
    assert [(r["month"], r["amortisation"]) for r in rows] == [
        ("2025-01", "100.00"),
        ("2025-02", "100.00"),
        ("2025-03", "100.00"),
        ("2025-04", "0.00"),
    ]
    assert rows[-1]["carrying_amount"] == "0.00"
    # Capitalised on the first day and disposed of on the last: same months.
    early = await books.capitalised("1200.00", "2025-01-01", 12, name="月初确认")
    end = await books.ok(await books.move(early["id"], "dispose", date="2025-03-31"))
    assert end["movements"][-1]["effects"]["amortisation"] == "200.00"  # January–February
    # A period that ends the month before the disposal still shows it on the books.
    march = (await books.disclosure("2025-03", "2025-03")).json()["intangible"]["purchased"]
    assert march["amortisation_charge"] == "100.00"  # `late` in March; `early` not
    assert march["cost_reductions"]["disposal"] == "1200.00"


async def test_restricted_assets_are_those_pledged_at_the_period_end(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry = await Registry().setup(client, session)
    books = await Books().setup(client, session)
    # The registry's holder keeps the books here.
    books.merchant, books.key, books.product = (
        registry.holder,
        registry.holder_key,
        registry.product,
    )
    certificate = await registry.registered()
    number = certificate["certificate_number"]
    asset = await books.asset(name="企业经营画像数据集", product_id=str(registry.product.id))
    await books.ok(
        await books.cost(asset["id"], kind="registration_settlement", amount="5000.00",
                         incurred_on="2025-01-10", certificate_number=number)
    )  # fmt: skip
    await books.ok(await books.cost(asset["id"], amount="55000.00", incurred_on="2025-01-10"))
    await books.ok(
        await books.move(asset["id"], "capitalise", date="2025-01-20", useful_life_months=60)
    )
    # Certificates are granted today, and a pledge lies within the certificate's validity:
    # FY2026 is the period whose end the pledge is in force at.
    today = shanghai_today()
    pledge = {
        "pledgee_name": "杭州银行股份有限公司", "secured_amount": "3000000.00",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=365)).isoformat(),
    }  # fmt: skip
    applied = await registry.step(certificate["id"], "pledge", pledge, registry.holder_key)
    assert applied.status_code == 200, applied.text
    # Applied for only: no pledge yet, nothing restricted (issue 27).
    assert (await books.disclosure("2026-01", "2026-12")).json()["restricted"] == []
    pledge_id = applied.json()["pledges"][0]["id"]
    pledged = await registry.pledge_step(certificate["id"], pledge_id, "confirm")
    assert pledged.status_code == 200, pledged.text
    fy = (await books.disclosure("2026-01", "2026-12")).json()
    (restricted,) = fy["restricted"]
    assert restricted["asset_id"] == asset["id"]
    assert restricted["certificate_number"] == number
    assert restricted["pledges"][0]["pledgee_name"] == "杭州银行股份有限公司"
    assert restricted["carrying_amount"] == "36000.00"  # 60000 − 24 × 1000
    assert restricted["amortisation_charge"] == "12000.00"
    xlsx = await books.disclosure("2026-01", "2026-12", Accept=MEDIA_TYPE)
    sheet = load_workbook(io.BytesIO(xlsx.content))["所有权或使用权受限的数据资源"]
    assert sheet[f"C{FIRST_ROW}"].value == number and sheet[f"F{FIRST_ROW}"].value == 36000
    # A period that ended before the pledge began: not restricted.
    before = today.replace(day=1) - timedelta(days=1)
    earlier = (await books.disclosure("2025-01", before.strftime("%Y-%m"))).json()
    assert earlier["restricted"] == []
    # Released (by the registry, for the pledgee): no longer restricted at the period end.
    released = await registry.step(
        certificate["id"], "release", {"pledge_id": pledged.json()["pledges"][0]["id"]}
    )
    assert released.status_code == 200, released.text
    assert (await books.disclosure("2026-01", "2026-12")).json()["restricted"] == []


async def test_an_abandoned_development_leaves_the_balance_sheet(books: Books) -> None:
    project = await books.asset(name="放弃的开发项目", source="developed")
    pid = project["id"]
    await books.ok(await books.cost(pid, phase="research", amount="3000.00"))
    await books.ok(
        await books.cost(pid, phase="development", amount="9000.00", incurred_on="2025-02-10")
    )
    feb = (await books.disclosure("2025-02", "2025-02")).json()
    assert feb["balance_sheet"]["development_expenditure"] == "9000.00"
    ended = await books.ok(
        await books.move(pid, "derecognise", date="2025-04-15", reason="技术路线失败,终止开发")
    )
    assert ended["status"] == "derecognised"
    assert ended["movements"][-1]["effects"] == {"research_expense": "9000.00"}
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    assert fy["balance_sheet"]["development_expenditure"] == "0.00"
    # The abandoned development is expensed with research (其中：终止开发项目转出).
    assert fy["research_expense"] == "12000.00"
    assert fy["research_expense_terminated"] == "9000.00"
    assert fy["intangible"]["developed"]["cost_additions"]["internal_development"] == "0.00"
    assert (await books.cost(pid, phase="development")).status_code == 409
