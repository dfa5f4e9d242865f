"""A statement as an Excel workbook (openpyxl), from the very `Statement` the JSON answer is
made of, so the two carry the same numbers.

Each sheet starts with the block a Chinese statement carries above its table (as the
data-asset workbook): 编制单位 (the venue, which issues it), 对账单位 (the merchant), 期间
(`2026年12月`), 状态 (已结账 / 未结账, with the close time) and 单位：元; the table's header is
row `HEADER_ROW`. Dates are Excel dates (Asia/Shanghai), amounts numbers shown with two
decimals, text inert (app/core/cells.py). Sheets: 对账单 (the month's trades and their
合计), 调整 (adjustments), 汇总 (the totals and the digest).

The bytes are reproducible: the document's times are the statement's close and every part
of the ZIP is dated 1980-01-01, so a closed statement downloads identical every time.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from app.core.cells import workbook_text
from app.core.clock import SHANGHAI
from app.statements.schemas import Statement

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
HEADER_ROW = 7
FIRST_ROW = HEADER_ROW + 1
ROLES = {"seller": "卖方", "buyer": "买方"}
CHANGES = {"recorded": "补录", "confirmed": "补确认", "cancelled": "取消", "refunded": "退款"}
TRADE_COLUMNS = ("成交时间", "交易编号", "角色", "成交金额", "服务费(减免前)", "减免", "应付服务费")
ADJUSTMENT_COLUMNS = (
    "记录时间", "原期间", "交易编号", "角色", "变动", "成交时间", "成交金额",
    "服务费(减免前)", "减免", "应付服务费",
)  # fmt: skip
# (label, field of the totals) on 汇总.
TOTALS = (
    ("本月成交笔数", "trades"),
    ("本月卖出金额", "sold"),
    ("本月买入金额", "bought"),
    ("服务费(减免前)", "fees_before_waiver"),
    ("减免金额", "waivers"),
    ("本月应付服务费", "fees_due"),
    ("调整:卖出金额", "adjustments_sold"),
    ("调整:买入金额", "adjustments_bought"),
    ("调整:服务费", "adjustments_fees"),
    ("应付合计", "net_due"),
)
_BOLD = Font(bold=True)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def month_text(month: str) -> str:
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def _when(text: str) -> datetime:
    """An ISO time as an Excel date-time (naive, Asia/Shanghai)."""
    return datetime.fromisoformat(text).astimezone(SHANGHAI).replace(tzinfo=None)


def _text(sheet: Worksheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = workbook_text(value)
    cell.data_type = "s"


def _money(sheet: Worksheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = Decimal(value)
    cell.number_format = NUMBER_FORMAT


def _time(sheet: Worksheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = _when(value)
    cell.number_format = DATETIME_FORMAT


def _block(sheet: Worksheet, body: Statement, venue_name: str, merchant_name: str) -> None:
    state = "已结账" if body.closed else "未结账"
    rows = [
        ("编制单位", f"{venue_name}({body.venue_code})"),
        ("对账单位", merchant_name),
        ("期间", month_text(body.month)),
        ("状态", f"{state}(结账时间 {_when(body.closes_at):%Y-%m-%d %H:%M})"),
        ("单位：元", None),
    ]
    for n, (label, value) in enumerate(rows, start=1):
        _text(sheet, n, 1, label)
        sheet.cell(row=n, column=1).font = _BOLD
        if value is not None:
            _text(sheet, n, 2, value)


def _header(sheet: Worksheet, titles: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for n, title in enumerate(titles, start=1):
        _text(sheet, HEADER_ROW, n, title)
        sheet.cell(row=HEADER_ROW, column=n).font = _BOLD
    for n, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + n)].width = width
    sheet.freeze_panes = f"A{FIRST_ROW}"


def _reproducible(data: bytes) -> bytes:
    """The same ZIP with every part dated 1980-01-01: bytes that depend on content only."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            part = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            part.compress_type = zipfile.ZIP_DEFLATED
            part.external_attr = 0o600 << 16
            target.writestr(part, source.read(info.filename))
    return out.getvalue()


def render(body: Statement, venue_name: str, merchant_name: str) -> bytes:
    """The workbook's bytes."""
    book = Workbook()
    closes = _when(body.closes_at)
    book.properties.created = closes
    book.properties.modified = closes
    book.properties.creator = "Shushang"
    book.properties.title = workbook_text(f"{venue_name} 对账单 {month_text(body.month)}")

    sheet = book.active
    assert sheet is not None
    sheet.title = "对账单"
    _block(sheet, body, venue_name, merchant_name)
    _header(sheet, TRADE_COLUMNS, (20, 38, 8, 16, 16, 14, 16))
    row = FIRST_ROW
    for trade in body.trades:
        _time(sheet, row, 1, trade.occurred_at)
        _text(sheet, row, 2, str(trade.trade_id))
        _text(sheet, row, 3, ROLES[trade.role])
        for column, value in enumerate(
            (trade.amount, trade.fee_before_waiver, trade.waiver, trade.fee), start=4
        ):
            _money(sheet, row, column, value)
        row += 1
    totals = body.totals
    _text(sheet, row, 1, "合计")
    sheet.cell(row=row, column=1).font = _BOLD
    for column, value in enumerate(
        (totals.fees_before_waiver, totals.waivers, totals.fees_due), start=5
    ):
        _money(sheet, row, column, value)

    adjustments = book.create_sheet("调整")
    _block(adjustments, body, venue_name, merchant_name)
    _header(adjustments, ADJUSTMENT_COLUMNS, (20, 10, 38, 8, 8, 20, 16, 16, 14, 16))
    for row, item in enumerate(body.adjustments, start=FIRST_ROW):
        _time(adjustments, row, 1, item.recorded_at)
        _text(adjustments, row, 2, item.month)
        _text(adjustments, row, 3, str(item.trade_id))
        _text(adjustments, row, 4, ROLES[item.role])
        _text(adjustments, row, 5, CHANGES[item.change])
        _time(adjustments, row, 6, item.occurred_at)
        for column, value in enumerate(
            (item.amount, item.fee_before_waiver, item.waiver, item.fee), start=7
        ):
            _money(adjustments, row, column, value)

    summary = book.create_sheet("汇总")
    _block(summary, body, venue_name, merchant_name)
    _header(summary, ("项目", "金额"), (24, 70))
    for row, (label, field) in enumerate(TOTALS, start=FIRST_ROW):
        _text(summary, row, 1, label)
        value = getattr(totals, field)
        if isinstance(value, int):
            summary.cell(row=row, column=2).value = value
        else:
            _money(summary, row, 2, value)
    last = FIRST_ROW + len(TOTALS)
    _text(summary, last, 1, "内容摘要(SHA-256)")
    _text(summary, last, 2, body.content_sha256)

    out = io.BytesIO()
    # ExcelWriter, not `book.save`: that would stamp `modified` with the time of the save.
    ExcelWriter(book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _reproducible(out.getvalue())
