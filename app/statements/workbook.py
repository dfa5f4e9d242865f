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
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
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


class _Row:
    """One row shape of a write-only sheet: a reused cell per column, styled once, given
    each row's values (a row is written out when appended, so its cells are free again).
    Kinds: `t` text (always a string, never a formula), `b` bold text, `m` money (two
    decimals), `d` date-time, `n` a plain number, `-` no cell."""

    def __init__(self, sheet: WriteOnlyWorksheet, kinds: str) -> None:
        self.kinds = kinds
        self.cells: list[Cell | None] = []
        for kind in kinds:
            cell = None if kind == "-" else WriteOnlyCell(sheet)
            if kind == "b":
                cell.font = _BOLD  # type: ignore[union-attr]
            elif kind == "m":
                cell.number_format = NUMBER_FORMAT  # type: ignore[union-attr]
            elif kind == "d":
                cell.number_format = DATETIME_FORMAT  # type: ignore[union-attr]
            self.cells.append(cell)

    def __call__(self, *values: Any) -> list[Cell | None]:
        row: list[Cell | None] = []
        for kind, cell, value in zip(self.kinds, self.cells, values, strict=True):
            if cell is None or value is None:
                row.append(None)
                continue
            if kind in "tb":
                cell.value = workbook_text(value)
                cell.data_type = "s"
            elif kind == "m":
                cell.value = Decimal(value)
            elif kind == "d":
                cell.value = _when(value)
            else:
                cell.value = value
            row.append(cell)
        return row


def _block(sheet: WriteOnlyWorksheet, body: Statement, venue_name: str, merchant_name: str) -> None:
    state = "已结账" if body.closed else "未结账"
    line = _Row(sheet, "bt")
    for label, value in (
        ("编制单位", f"{venue_name}({body.venue_code})"),
        ("对账单位", merchant_name),
        ("期间", month_text(body.month)),
        ("状态", f"{state}(结账时间 {_when(body.closes_at):%Y-%m-%d %H:%M})"),
        ("单位：元", None),
    ):
        sheet.append(line(label, value))
    sheet.append([])  # row 6 empty; the header is row HEADER_ROW


def _sheet(
    book: Workbook,
    title: str,
    body: Statement,
    names: tuple[str, str],
    titles: tuple[str, ...],
    widths: tuple[int, ...],
) -> WriteOnlyWorksheet:
    """A sheet with its block and its table's header: the rows follow."""
    sheet = book.create_sheet(title)
    assert isinstance(sheet, WriteOnlyWorksheet)
    for n, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + n)].width = width
    sheet.freeze_panes = f"A{FIRST_ROW}"  # before the first row: it heads the sheet's XML
    _block(sheet, body, *names)
    sheet.append(_Row(sheet, "b" * len(titles))(*titles))
    return sheet


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
    """The workbook's bytes, written in openpyxl's write-only mode: each row is streamed
    to the sheet's XML (through lxml) as it is appended, no cell objects kept, each
    column's style set once; the same cells as the in-memory workbook before 2026-12-08,
    in different XML bytes (docs/performance.md)."""
    book = Workbook(write_only=True)
    closes = _when(body.closes_at)
    book.properties.created = closes
    book.properties.modified = closes
    book.properties.creator = "Shushang"
    book.properties.title = workbook_text(f"{venue_name} 对账单 {month_text(body.month)}")
    names = (venue_name, merchant_name)

    sheet = _sheet(book, "对账单", body, names, TRADE_COLUMNS, (20, 38, 8, 16, 16, 14, 16))
    line = _Row(sheet, "dttmmmm")
    for trade in body.trades:
        sheet.append(
            line(
                trade.occurred_at,
                str(trade.trade_id),
                ROLES[trade.role],
                trade.amount,
                trade.fee_before_waiver,
                trade.waiver,
                trade.fee,
            )
        )
    totals = body.totals
    sheet.append(
        _Row(sheet, "b---mmm")(
            "合计", None, None, None, totals.fees_before_waiver, totals.waivers, totals.fees_due
        )
    )

    adjustments = _sheet(
        book, "调整", body, names, ADJUSTMENT_COLUMNS, (20, 10, 38, 8, 8, 20, 16, 16, 14, 16)
    )
    line = _Row(adjustments, "dttttdmmmm")
    for item in body.adjustments:
        adjustments.append(
            line(
                item.recorded_at,
                item.month,
                str(item.trade_id),
                ROLES[item.role],
                CHANGES[item.change],
                item.occurred_at,
                item.amount,
                item.fee_before_waiver,
                item.waiver,
                item.fee,
            )
        )

    summary = _sheet(book, "汇总", body, names, ("项目", "金额"), (24, 70))
    money, count = _Row(summary, "tm"), _Row(summary, "tn")
    for label, field in TOTALS:
        value = getattr(totals, field)
        summary.append((count if isinstance(value, int) else money)(label, value))
    summary.append(_Row(summary, "tt")("内容摘要(SHA-256)", body.content_sha256))

    out = io.BytesIO()
    # ExcelWriter, not `book.save`: that would stamp `modified` with the time of the save.
    # Stored, not deflated: `_reproducible` compresses each part once, as it re-zips.
    ExcelWriter(book, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    return _reproducible(out.getvalue())
