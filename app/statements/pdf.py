"""A statement as an A4 PDF (reportlab, fonts and canvas from app/core/pdf.py). Pure: the
`Statement` of the JSON answer in, bytes out; invariant, so a closed statement gives the
same bytes every time. Trades and adjustments run over as many pages as they need; the
totals and the content digest close the document."""

from __future__ import annotations

import io

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.core.pdf import LATIN, MONO, SONG, lines
from app.core.pdf import canvas as new_canvas
from app.statements.schemas import Statement
from app.statements.workbook import CHANGES, ROLES, TOTALS, month_text

MEDIA_TYPE = "application/pdf"
GREY = Color(0.35, 0.35, 0.35)
WIDTH, HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 18 * mm, WIDTH - 18 * mm, HEIGHT - 20 * mm, 20 * mm
ROW = 5.5 * mm
# Columns of the trade table: (title, x, right-aligned?).
TRADE_COLUMNS = (
    ("成交时间", LEFT, False),
    ("交易编号", LEFT + 34 * mm, False),
    ("角色", LEFT + 78 * mm, False),
    ("成交金额", LEFT + 118 * mm, True),
    ("减免", LEFT + 144 * mm, True),
    ("应付服务费", RIGHT, True),
)


class _Pages:
    """A canvas and the current line, starting a new page when the page is full."""

    def __init__(self, canvas: Canvas, title: str) -> None:
        self.canvas, self.title, self.page, self.y = canvas, title, 0, 0.0
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self.canvas.showPage()
        self.page += 1
        self.canvas.setFont(SONG, 8)
        self.canvas.setFillColor(GREY)
        self.canvas.drawString(LEFT, BOTTOM - 8 * mm, self.title)
        self.canvas.drawRightString(RIGHT, BOTTOM - 8 * mm, f"第 {self.page} 页")
        self.canvas.setFillColor(black)
        self.y = TOP

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def text(self, x: float, value: str, font: str = SONG, size: float = 9) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, value)

    def right(self, x: float, value: str, font: str = LATIN, size: float = 9) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawRightString(x, self.y, value)

    def down(self, height: float = ROW) -> None:
        self.y -= height


def _short(iso: str) -> str:
    return iso[:16].replace("T", " ")  # the ISO text is Asia/Shanghai already


def render(body: Statement, venue_name: str, merchant_name: str) -> bytes:
    out = io.BytesIO()
    canvas = new_canvas(out)
    period = month_text(body.month)
    canvas.setTitle(f"对账单 {body.venue_code} {body.month}")
    canvas.setSubject(f"Monthly statement {body.venue_code} {body.month}")
    canvas.setAuthor("Shushang")
    pages = _Pages(canvas, f"{venue_name} 对账单 {period} · {body.merchant_id}")

    pages.canvas.setFont(SONG, 18)
    pages.canvas.drawCentredString(WIDTH / 2, pages.y, "对 账 单")
    pages.down(6 * mm)
    pages.canvas.setFont(LATIN, 9)
    pages.canvas.setFillColor(GREY)
    pages.canvas.drawCentredString(WIDTH / 2, pages.y, "Monthly statement")
    pages.canvas.setFillColor(black)
    pages.down(10 * mm)
    state = "已结账 closed" if body.closed else "未结账 open"
    for label, value in (
        ("编制单位", f"{venue_name}({body.venue_code})"),
        ("对账单位", merchant_name),
        ("期间", f"{period}({body.month})"),
        ("状态", f"{state},结账时间 {_short(body.closes_at)}"),
        ("单位", "元 CNY"),
    ):
        pages.text(LEFT, label)
        for line in lines(value, SONG, 9, RIGHT - LEFT - 25 * mm):
            pages.text(LEFT + 25 * mm, line)
            pages.down()
    pages.down(3 * mm)

    def table_header(titles: tuple[tuple[str, float, bool], ...]) -> None:
        pages.need(2 * ROW)
        for title, x, right in titles:
            if right:
                pages.canvas.setFont(SONG, 9)
                pages.canvas.drawRightString(x, pages.y, title)
            else:
                pages.text(x, title)
        pages.down(2)
        pages.canvas.line(LEFT, pages.y, RIGHT, pages.y)
        pages.down(ROW - 2)

    pages.text(LEFT, "本月交易", size=11)
    pages.down(7 * mm)
    table_header(TRADE_COLUMNS)
    for trade in body.trades:
        pages.need(ROW)
        pages.text(LEFT, _short(trade.occurred_at), LATIN, 8)
        pages.text(LEFT + 34 * mm, str(trade.trade_id), MONO, 5.5)
        pages.text(LEFT + 78 * mm, ROLES[trade.role])
        pages.right(LEFT + 118 * mm, trade.amount)
        pages.right(LEFT + 144 * mm, trade.waiver)
        pages.right(RIGHT, trade.fee)
        pages.down()
    if not body.trades:
        pages.text(LEFT, "(无)")
        pages.down()
    pages.down(4 * mm)

    pages.need(3 * ROW)
    pages.text(LEFT, "以前期间调整", size=11)
    pages.down(7 * mm)
    table_header(
        (
            ("记录时间", LEFT, False),
            ("原期间", LEFT + 30 * mm, False),
            ("交易编号", LEFT + 48 * mm, False),
            ("变动", LEFT + 92 * mm, False),
            ("成交金额", LEFT + 140 * mm, True),
            ("应付服务费", RIGHT, True),
        )
    )
    for item in body.adjustments:
        pages.need(ROW)
        pages.text(LEFT, _short(item.recorded_at), LATIN, 8)
        pages.text(LEFT + 30 * mm, item.month, LATIN, 8)
        pages.text(LEFT + 48 * mm, str(item.trade_id), MONO, 5.5)
        pages.text(LEFT + 92 * mm, f"{ROLES[item.role]} {CHANGES[item.change]}")
        pages.right(LEFT + 140 * mm, item.amount)
        pages.right(RIGHT, item.fee)
        pages.down()
    if not body.adjustments:
        pages.text(LEFT, "(无)")
        pages.down()
    pages.down(4 * mm)

    pages.need((len(TOTALS) + 4) * ROW)
    pages.text(LEFT, "汇总", size=11)
    pages.down(7 * mm)
    for label, field in TOTALS:
        pages.text(LEFT, label)
        pages.right(LEFT + 90 * mm, str(getattr(body.totals, field)))
        pages.down()
    pages.down(3 * mm)
    pages.text(LEFT, "内容摘要 SHA-256(RFC 8785 JSON)", size=8)
    pages.down()
    pages.text(LEFT, body.content_sha256, MONO, 8)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
