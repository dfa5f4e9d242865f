"""The disclosure as an Excel workbook (openpyxl): one sheet per table, headed and labelled in
Chinese as 财会〔2023〕11号 lays the tables out, amounts as numbers shown with two decimals.

Every sheet starts with the block a Chinese note carries above its table (DESIGN.md): 编制单位
(the merchant's registered name), 期间 (`2025年1月—2025年12月`), 口径 (按报告数 or 重述后)
and 单位：元; the table's header is row `HEADER_ROW`, its data below. Dates are Excel dates.

It is written from the very `Disclosure` the JSON answer is made of, so the two carry the
same numbers.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from app.assets.schemas import Disclosure
from app.core.cells import workbook_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
# The block above each table: (label, value) per row, then a blank row, then the header.
PREPARER, PERIOD, BASIS, UNIT = "编制单位", "期间", "口径", "单位：元"
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
BASIS_NAMES = {"as_reported": "按报告数", "restated": "重述后"}
_BOLD = Font(bold=True)

INTANGIBLE_HEADER = (
    "项目",
    "外购的数据资源无形资产",
    "自行开发的数据资源无形资产",
    "其他方式取得的数据资源无形资产",
    "合计",
)
INVENTORY_HEADER = (
    "项目",
    "外购的数据资源存货",
    "自行加工的数据资源存货",
    "其他方式取得的数据资源存货",
    "合计",
)
INTANGIBLE_COLUMNS = ("purchased", "developed", "other", "total")
INVENTORY_COLUMNS = ("purchased", "processed", "other", "total")

# Each row: its label, and the field path of its amount (None: a heading; `group.*`: the sum
# of the group, as the regulation's subtotal rows 本期增加金额 / 本期减少金额).
Row = tuple[str, str | None]
INTANGIBLE_ROWS: list[Row] = [
    ("一、账面原值", None),
    ("1.期初余额", "cost_opening"),
    ("其中：前期差错更正", "prior_period_corrections.cost"),
    ("2.本期增加金额", "cost_additions.*"),
    ("其中：购入", "cost_additions.purchase"),
    ("内部研发", "cost_additions.internal_development"),
    ("其他增加", "cost_additions.other"),
    ("3.本期减少金额", "cost_reductions.*"),
    ("其中：处置", "cost_reductions.disposal"),
    ("失效且终止确认", "cost_reductions.derecognition"),
    ("其他减少", "cost_reductions.other"),
    ("4.期末余额", "cost_closing"),
    ("二、累计摊销", None),
    ("1.期初余额", "amortisation_opening"),
    ("其中：前期差错更正", "prior_period_corrections.amortisation"),
    ("2.本期增加金额", "amortisation_charge"),
    ("其中：计提", "amortisation_charge"),
    ("3.本期减少金额", "amortisation_reductions.*"),
    ("其中：处置", "amortisation_reductions.disposal"),
    ("失效且终止确认", "amortisation_reductions.derecognition"),
    ("其他减少", "amortisation_reductions.other"),
    ("4.期末余额", "amortisation_closing"),
    ("三、减值准备", None),
    ("1.期初余额", "impairment_opening"),
    ("其中：前期差错更正", "prior_period_corrections.impairment"),
    ("2.本期增加金额", "impairment_additions"),
    ("3.本期减少金额", "impairment_reductions"),
    ("4.期末余额", "impairment_closing"),
    ("四、账面价值", None),
    ("1.期末账面价值", "carrying_closing"),
    ("2.期初账面价值", "carrying_opening"),
    ("其中：前期差错更正", "prior_period_corrections.carrying"),
]  # fmt: skip
INVENTORY_ROWS: list[Row] = [
    ("一、账面原值", None),
    ("1.期初余额", "cost_opening"),
    ("其中：前期差错更正", "prior_period_corrections.cost"),
    ("2.本期增加金额", "cost_additions.*"),
    ("其中：购入", "cost_additions.purchase"),
    ("采集加工", "cost_additions.processing"),
    ("其他", "cost_additions.other"),
    ("3.本期减少金额", "cost_reductions.*"),
    ("其中：出售", "cost_reductions.sale"),
    ("失效且终止确认", "cost_reductions.derecognition"),
    ("其他", "cost_reductions.other"),
    ("4.期末余额", "cost_closing"),
    ("其中：在产品", "work_in_progress_closing"),  # DOMAIN.md "Work in progress"
    ("二、存货跌价准备", None),
    ("1.期初余额", "write_down_opening"),
    ("其中：前期差错更正", "prior_period_corrections.write_down"),
    ("2.本期增加金额", "write_down_additions"),
    ("3.本期减少金额", "write_down_reductions.*"),
    ("其中：转回", "write_down_reductions.reversal"),
    ("转销", "write_down_reductions.release"),
    ("其他", "write_down_reductions.other"),  # with a reclassification to intangible
    ("4.期末余额", "write_down_closing"),
    ("三、账面价值", None),
    ("1.期末账面价值", "carrying_closing"),
    ("2.期初账面价值", "carrying_opening"),
    ("其中：前期差错更正", "prior_period_corrections.carrying"),
]  # fmt: skip

CLASS_NAMES = {"intangible": "无形资产", "inventory": "存货"}
SOURCE_NAMES = {
    "purchased": "外购",
    "developed": "自行开发",
    "processed": "自行加工",
    "other": "其他方式",
}
# A status at the period end, by class. Inventory follows CAS 1 第三条 (存货 — 数据资源:
# 在产品 while its costs are gathered, then 库存商品); 持有待售 is CAS 42's and not used.
STATUS_NAMES = {
    "intangible": {
        "open": "归集成本中",
        "in_development": "开发中",
        "capitalised": "已确认",
        "disposed": "已处置",
        "derecognised": "已终止确认",
    },
    "inventory": {
        "open": "在产品",
        "held": "库存商品",
        "disposed": "已出售",
        "derecognised": "已终止确认",
    },
}


def period_text(first: str, last: str) -> str:
    """`2025-01`, `2025-12` as 2025年1月—2025年12月."""

    def month(text: str) -> str:
        year, number = text.split("-")
        return f"{int(year)}年{int(number)}月"

    return f"{month(first)}—{month(last)}"


def _amount(column: dict[str, Any], path: str) -> Decimal:
    group, _, part = path.partition(".")
    if part == "*":
        return sum((Decimal(v) for v in column[group].values()), Decimal(0))
    return Decimal(column[group][part] if part else column[group])


def _cell(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write `value` at (row, column); text is stored as text, never as a formula, and made
    inert (app/core/cells.py): a merchant's `=HYPERLINK(…)` stays words on the auditor's screen."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = workbook_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _date(sheet: Worksheet, row: int, column: int, value: str | None) -> None:
    """An ISO date as an Excel date (a number shown as a date), not as text."""
    if value is None:
        return
    cell = sheet.cell(row=row, column=column)
    cell.value = date.fromisoformat(value)
    cell.number_format = DATE_FORMAT


def _money(sheet: Worksheet, row: int, column: int, value: Decimal | str | None) -> None:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    cell.value = Decimal(value)
    cell.number_format = NUMBER_FORMAT


def _block(sheet: Worksheet, preparer: str, period: str, basis: str) -> None:
    """编制单位, 期间, 口径 and 单位：元 above the table (rows 1 … 4; row 5 is blank)."""
    for n, (label, value) in enumerate(
        [(PREPARER, preparer), (PERIOD, period), (BASIS, basis), (UNIT, None)], start=1
    ):
        _cell(sheet, n, 1, label).font = _BOLD
        if value is not None:
            _cell(sheet, n, 2, value)


def _header(sheet: Worksheet, titles: tuple[str, ...] | list[str], widths: list[int]) -> None:
    for n, title in enumerate(titles, start=1):
        cell = _cell(sheet, HEADER_ROW, n, title)
        cell.font = _BOLD
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + n)].width = width
    sheet.freeze_panes = f"B{FIRST_ROW}"


def _table(
    sheet: Worksheet,
    header: tuple[str, ...],
    rows: list[Row],
    table: dict[str, Any],
    columns: tuple[str, ...],
) -> None:
    _header(sheet, header, [22, 24, 24, 26, 18])
    for n, (label, source) in enumerate(rows, start=FIRST_ROW):
        cell = _cell(sheet, n, 1, label)
        if source is None:
            cell.font = _BOLD
            continue
        if not label[0].isdigit():  # a 其中 row, under its subtotal
            cell.alignment = Alignment(indent=1 if label.startswith("其中") else 3)
        for m, name in enumerate(columns, start=2):
            _money(sheet, n, m, _amount(table[name], source))


def render(disclosure: Disclosure, merchant_name: str) -> bytes:
    """The workbook's bytes."""
    data = disclosure.model_dump(mode="json", by_alias=True)
    period = period_text(data["from"], data["to"])
    basis = BASIS_NAMES[data["basis"]]
    book = Workbook()
    book.properties.title = workbook_text(f"{merchant_name} 数据资源相关信息披露 {period}")
    book.properties.creator = "Shushang"

    def new_sheet(title: str) -> Worksheet:
        sheet = book.create_sheet(title)
        _block(sheet, merchant_name, period, basis)
        return sheet

    default = book.active
    assert default is not None
    book.remove(default)

    intangible = new_sheet("数据资源无形资产")
    _table(intangible, INTANGIBLE_HEADER, INTANGIBLE_ROWS, data["intangible"], INTANGIBLE_COLUMNS)

    inventory = new_sheet("数据资源存货")
    _table(inventory, INVENTORY_HEADER, INVENTORY_ROWS, data["inventory"], INVENTORY_COLUMNS)

    sheet = new_sheet("资产负债表项目")
    _header(sheet, ["项目", "期末余额"], [30, 20])
    for n, (label, key) in enumerate(
        [
            ("存货 其中：数据资源", "inventory"),
            ("无形资产 其中：数据资源", "intangible_assets"),
            ("开发支出 其中：数据资源", "development_expenditure"),
        ],
        start=FIRST_ROW,
    ):
        _cell(sheet, n, 1, label)
        _money(sheet, n, 2, data["balance_sheet"][key])

    sheet = new_sheet("研究支出")
    _header(sheet, ["项目", "本期金额"], [36, 20])
    _cell(sheet, FIRST_ROW, 1, "计入当期损益的数据资源研究阶段支出")
    _money(sheet, FIRST_ROW, 2, data["research_expense"])
    _cell(sheet, FIRST_ROW + 1, 1, "其中：终止开发项目转出")
    _money(sheet, FIRST_ROW + 1, 2, data["research_expense_terminated"])

    sheet = new_sheet("使用寿命及摊销方法")
    _header(
        sheet,
        ["资产名称", "类别", "取得方式", "状态", "确认日期", "使用寿命(月)", "摊销方法", "残值"],
        [30, 10, 10, 12, 12, 14, 12, 16],
    )
    for n, asset in enumerate(data["assets"], start=FIRST_ROW):
        life = "不确定" if asset["indefinite_life"] else asset["useful_life_months"]
        if asset["amortisation_method"] == "straight_line":
            method: str | None = "直线法"
        elif asset["capitalised_on"] is not None and asset["asset_class"] == "intangible":
            method = "不摊销"  # an indefinite life (CAS 6 第十九条)
        else:
            method = None  # inventory, or not capitalised by the period end
        values = [
            asset["name"],
            CLASS_NAMES[asset["asset_class"]],
            SOURCE_NAMES[asset["source"]],
            STATUS_NAMES[asset["asset_class"]][asset["status"]],
        ]
        for m, value in enumerate(values, start=1):
            _cell(sheet, n, m, value)
        _date(sheet, n, 5, asset["capitalised_on"])
        if life is not None:
            _cell(sheet, n, 6, life)
        if method is not None:
            _cell(sheet, n, 7, method)
        _money(sheet, n, 8, asset["residual_value"])

    sheet = new_sheet("重要单项数据资源无形资产")
    _header(sheet, ["资产名称", "内容", "账面价值", "剩余摊销期限(月)"], [30, 40, 18, 18])
    for n, asset in enumerate(data["significant"], start=FIRST_ROW):
        _cell(sheet, n, 1, asset["name"])
        _cell(sheet, n, 2, asset["description"])
        _money(sheet, n, 3, asset["carrying_amount"])
        remaining = asset["remaining_months"]
        _cell(sheet, n, 4, "不确定" if remaining is None else remaining)

    sheet = new_sheet("所有权或使用权受限的数据资源")
    _header(
        sheet,
        [
            "资产名称", "类别", "登记证书编号", "质权人", "担保金额", "账面价值", "本期摊销额",
            "质押起始日", "质押到期日",
        ],
        [30, 10, 20, 30, 16, 16, 16, 12, 12],
    )  # fmt: skip
    for n, asset in enumerate(data["restricted"], start=FIRST_ROW):
        pledgees = "、".join(p["pledgee_name"] for p in asset["pledges"])
        secured = sum((Decimal(p["secured_amount"]) for p in asset["pledges"]), Decimal(0))
        for m, value in enumerate(
            [
                asset["name"],
                CLASS_NAMES[asset["asset_class"]],
                asset["certificate_number"],
                pledgees,
            ],
            start=1,
        ):
            _cell(sheet, n, m, value)
        _money(sheet, n, 5, secured)
        _money(sheet, n, 6, asset["carrying_amount"])
        _money(sheet, n, 7, asset["amortisation_charge"])
        pledges = asset["pledges"]
        if pledges:  # the span of the pledges in force: the earliest start, the latest end
            _date(sheet, n, 8, min(p["starts_on"] for p in pledges))
            _date(sheet, n, 9, max(p["ends_on"] for p in pledges))

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
