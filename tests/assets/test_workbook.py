"""The disclosure workbook as a Chinese note is laid out (issue 29, DESIGN.md "Data assets"):
every sheet starts with 编制单位, 期间, 口径 and 单位：元; dates are Excel dates; inventory is
labelled as CAS 1 labels it; the intangible table has 累计摊销 其他减少. And the statuses of a
disclosure are those at its period end (DOMAIN.md "Books a CPA signs"), in JSON and XLSX,
without moving a closed period's as-reported digest."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from app.assets.workbook import FIRST_ROW, HEADER_ROW, INTANGIBLE_ROWS, MEDIA_TYPE
from tests.assets.conftest import MEMO, Books
from tests.assets.test_periods import close, digest_of
from tests.assets.test_router import worked_example

SHEETS = [
    "数据资源无形资产",
    "数据资源存货",
    "资产负债表项目",
    "研究支出",
    "使用寿命及摊销方法",
    "重要单项数据资源无形资产",
    "所有权或使用权受限的数据资源",
]


async def xlsx(books: Books, first: str, last: str, **params: str) -> Workbook:
    answer = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": first, "to": last, **params},
        headers={**books.key, "Accept": MEDIA_TYPE},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == MEDIA_TYPE
    return load_workbook(io.BytesIO(answer.content))


async def json_of(books: Books, first: str, last: str, **params: str) -> dict[str, Any]:
    answer = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": first, "to": last, **params},
        headers=books.key,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def lives(book: Workbook) -> dict[str, tuple[Any, ...]]:
    """The 使用寿命及摊销方法 sheet by asset name."""
    rows = book["使用寿命及摊销方法"].iter_rows(min_row=FIRST_ROW, values_only=True)
    return {row[0]: row for row in rows}


async def test_every_sheet_starts_with_the_block_and_dates_are_dates(books: Books) -> None:
    a, b = await worked_example(books)
    fy = await json_of(books, "2025-01", "2025-12")
    book = await xlsx(books, "2025-01", "2025-12")
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        block = [
            tuple(c.value for c in row)
            for row in sheet.iter_rows(min_row=1, max_row=HEADER_ROW - 1, max_col=2)
        ]
        assert block == [
            ("编制单位", "杭州数链科技有限公司"),
            ("期间", "2025年1月—2025年12月"),
            ("口径", "重述后"),
            ("单位：元", None),
            (None, None),
        ], sheet.title
        assert sheet[f"A{HEADER_ROW}"].value in ("项目", "资产名称"), sheet.title
        assert sheet.freeze_panes == f"B{FIRST_ROW}"

    # The capitalisation dates are Excel dates (numbers shown as dates), not text.
    shown = lives(book)
    for asset, on in ((a, datetime(2025, 3, 15)), (b, datetime(2025, 6, 30))):
        row = shown[asset["name"]]
        assert (row[1], row[3], row[4], row[6]) == ("无形资产", "已确认", on, "直线法")
        assert isinstance(row[4], datetime)
    sheet = book["使用寿命及摊销方法"]
    dates = [sheet.cell(row=n, column=5) for n in range(FIRST_ROW, FIRST_ROW + 2)]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates)

    # The worked example's figures are unchanged (DOMAIN.md, FY2025).
    total = fy["intangible"]["total"]
    assert (total["cost_closing"], total["amortisation_closing"]) == ("222200.00", "39255.56")
    assert total["carrying_closing"] == "182944.44"
    assert fy["research_expense"] == "20000.00"

    # 累计摊销 其他减少: in the JSON (zero in every column) and as a row of the sheet.
    for column in fy["intangible"].values():
        assert column["amortisation_reductions"] == {
            "disposal": "0.00",
            "derecognition": "0.00",
            "other": "0.00",
        }
    labels = [r[0] for r in book["数据资源无形资产"].iter_rows(min_row=FIRST_ROW, values_only=True)]
    assert labels == [label for label, _ in INTANGIBLE_ROWS]
    accumulated = labels.index("二、累计摊销")
    assert labels[accumulated : accumulated + 9] == [
        "二、累计摊销",
        "1.期初余额",
        "其中：前期差错更正",
        "2.本期增加金额",
        "其中：计提",
        "3.本期减少金额",
        "其中：处置",
        "失效且终止确认",
        "其他减少",
    ]
    inventory = [r[0] for r in book["数据资源存货"].iter_rows(min_row=FIRST_ROW, values_only=True)]
    assert "二、存货跌价准备" in inventory and "其中：前期差错更正" in inventory
    assert inventory[inventory.index("4.期末余额") + 1] == "其中：在产品"  # Work in progress
    texts = {
        c.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    assert not any("持有待售" in t for t in texts)

    # Closed, the default basis is as reported, and the block says so.
    closed = await close(books, "2025-12")
    assert closed.status_code == 201, closed.text
    reported = await xlsx(books, "2025-01", "2025-12")
    assert all(s["B3"].value == "按报告数" for s in reported.worksheets)
    restated = await xlsx(books, "2025-01", "2025-12", basis="restated")
    assert all(s["B3"].value == "重述后" for s in restated.worksheets)


async def test_a_part_year_and_a_pledge_period_are_named_in_chinese(books: Books) -> None:
    await books.capitalised("5000.00", "2025-02-10", 10)
    book = await xlsx(books, "2025-03", "2026-02")
    assert {s["B2"].value for s in book.worksheets} == {"2025年3月—2026年2月"}


async def test_statuses_are_as_of_the_period_end(books: Books) -> None:
    """An asset disposed of in 2026 was on the books at the end of 2025; a project
    capitalised in 2026 was in development then; inventory sold in 2026 was 库存商品."""
    a, _ = await worked_example(books)
    project = await books.asset(name="港航知识图谱", source="developed")
    await books.ok(
        await books.cost(project["id"], amount="8000.00", incurred_on="2025-11-10",
                         phase="development")
    )  # fmt: skip
    stock = await books.capitalised(
        "3000.00", "2025-09-01", asset_class="inventory", source="purchased", name="航运指数库"
    )
    # Recorded before the close, dated after the period end: not part of FY2025's statuses.
    sold = await books.move(stock["id"], "dispose", date="2026-01-20", fraction="1")
    assert (await books.ok(sold))["status"] == "disposed"

    closed = await close(books, "2025-12")
    assert closed.status_code == 201, closed.text
    report_sha256 = closed.json()["report_sha256"]

    # After the close: a capitalisation and a disposal in 2026.
    await books.ok(
        await books.move(
            project["id"], "capitalise", date="2026-02-15", useful_life_months=24, memo=MEMO
        )
    )
    await books.ok(await books.move(a["id"], "dispose", date="2026-03-31"))

    def statuses(fy: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
        return {x["name"]: (x["status"], x["capitalised_on"]) for x in fy["assets"]}

    expected_2025 = {
        a["name"]: ("capitalised", "2025-03-15"),
        project["name"]: ("in_development", None),
        stock["name"]: ("held", "2025-09-01"),
    }
    for basis in ("as_reported", "restated"):
        fy = await json_of(books, "2025-01", "2025-12", basis=basis)
        shown = statuses(fy)
        assert {k: shown[k] for k in expected_2025} == expected_2025, basis
        assert fy["balance_sheet"]["development_expenditure"] == "8000.00"
    # The close's digest still names the as-reported FY2025, byte for byte.
    fy = await json_of(books, "2025-01", "2025-12")
    assert fy["basis"] == "as_reported"
    assert fy["report_sha256"] == digest_of(fy) == report_sha256

    book = lives(await xlsx(books, "2025-01", "2025-12"))
    assert book[a["name"]][3] == "已确认"
    assert book[project["name"]][3:7] == ("开发中", None, None, None)
    assert book[stock["name"]][1] == "存货" and book[stock["name"]][3] == "库存商品"

    fy2026 = statuses(await json_of(books, "2026-01", "2026-12"))
    assert fy2026[a["name"]] == ("disposed", "2025-03-15")
    assert fy2026[project["name"]] == ("capitalised", "2026-02-15")
    assert fy2026[stock["name"]] == ("disposed", "2025-09-01")
    book = lives(await xlsx(books, "2026-01", "2026-12"))
    assert book[stock["name"]][3] == "已出售"
    assert isinstance(book[project["name"]][4], datetime)


async def test_the_workbook_refuses_as_the_json_does(books: Books) -> None:
    """No close: `as_reported` is 422 for the workbook too (problem JSON, not a sheet)."""
    answer = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "as_reported"},
        headers={**books.key, "Accept": MEDIA_TYPE},
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
