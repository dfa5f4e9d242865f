"""The bureau's summary (申报汇总表) as an Excel workbook (openpyxl), written from the very
`Summary` the JSON answer is made of, so the two carry the same numbers.

As the data-asset workbook (app/assets/workbook.py): the block above the table says 编制单位
(the programme's issuer), 期间 (its window), 计划 (its name and code) and 单位：元; the table's
header is row `HEADER_ROW`; amounts are numbers shown with two decimals, dates Excel dates,
and every text a formula cannot start (app/core/cells.py)."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.core.cells import workbook_text
from app.firsts.service import LABELS_ZH
from app.programmes.schemas import ClaimState, Summary

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
SHEET = "申报汇总表"
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
COLUMNS = (
    "序号",
    "数商名称",
    "统一社会信用代码",
    "首次类型",
    "首次日期",
    "金额",
    "状态",
    "证据已变更",
)
STATE_NAMES = {
    ClaimState.applied: "已申请",
    ClaimState.approved: "已批准",
    ClaimState.rejected: "已驳回",
    ClaimState.paid: "已支付",
}
# The rows under the table: (label, the JSON's field) in that order.
TOTALS = (("预算", "budget"), ("已使用（已批准+已支付）", "used"), ("剩余", "remaining"))
_BOLD = Font(bold=True)


def _text(sheet: Worksheet, row: int, column: int, value: str, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = workbook_text(value)
    cell.data_type = "s"
    if bold:
        cell.font = _BOLD


def _money(sheet: Worksheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = Decimal(value)
    cell.number_format = NUMBER_FORMAT


def render(summary: Summary) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    book.properties.title = workbook_text(f"{summary.name} {SHEET}")
    book.properties.creator = "Shushang"
    period = f"{summary.from_.isoformat()} 至 {summary.to.isoformat()}"
    block = [
        ("编制单位", summary.issuer),
        ("期间", period),
        ("计划", f"{summary.name}（{summary.programme_code}）"),
        ("单位：元", None),
    ]
    for n, (label, value) in enumerate(block, start=1):
        _text(sheet, n, 1, label, bold=True)
        if value is not None:
            _text(sheet, n, 2, value)
    for n, title in enumerate(COLUMNS, start=1):
        _text(sheet, HEADER_ROW, n, title, bold=True)
    row = FIRST_ROW
    for number, item in enumerate(summary.rows, start=1):
        sheet.cell(row=row, column=1, value=number)
        _text(sheet, row, 2, item.merchant_name)
        _text(sheet, row, 3, item.uscc)
        _text(sheet, row, 4, LABELS_ZH.get(item.first, item.first))
        day = sheet.cell(row=row, column=5, value=item.date)
        day.number_format = DATE_FORMAT
        _money(sheet, row, 6, item.amount)
        _text(sheet, row, 7, STATE_NAMES[item.state])
        _text(sheet, row, 8, "是" if item.evidence_changed else "否")
        row += 1
    row += 1
    for state in ClaimState:
        total = summary.totals[state]
        _text(sheet, row, 2, f"合计：{STATE_NAMES[state]}（{total.count} 笔）", bold=True)
        _money(sheet, row, 6, total.amount)
        row += 1
    for label, field in TOTALS:
        _text(sheet, row, 2, label, bold=True)
        _money(sheet, row, 6, str(getattr(summary, field)))
        row += 1
    for letter, width in zip("ABCDEFGH", (6, 36, 22, 12, 12, 16, 10, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{FIRST_ROW}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
