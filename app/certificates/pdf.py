"""The 数据知识产权登记证书 as a one-page A4 PDF. Pure: data in, bytes out.

Chinese text is set in STSong-Light, which PDF readers supply themselves (app/core/pdf.py,
fonts and the canvas every PDF shares). The QR code (segno) is drawn
as vector squares and points to the certificate's verification page."""

from __future__ import annotations

import io

import segno
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.certificates.service import Certificate
from app.core.clock import SHANGHAI
from app.core.pdf import LATIN, MONO, SONG, lines
from app.core.pdf import canvas as new_canvas
from app.ip.states import IpStatus

RED = Color(0.64, 0.09, 0.09)
GREY = Color(0.35, 0.35, 0.35)

STATUS = {
    IpStatus.registered: ("有效", "valid"),
    IpStatus.expired: ("已届满", "expired"),
    IpStatus.revoked: ("已撤销", "revoked"),
    IpStatus.cancelled: ("已注销", "cancelled"),
    IpStatus.suspended: ("已中止(待复核)", "suspended for review"),
}


EXPLAINED = [
    "扫描右侧二维码在线核验：本证书的登记记录",
    "均记入公开的透明日志（IPR），核验页面在",
    "浏览器中验证其签名与包含证明。状态以核验为准。",
]
EXPLAINED_EN = [
    "Scan to verify: the page checks the log's",
    "signature and inclusion proofs in your browser.",
]


def _qr(canvas: Canvas, url: str, x: float, y: float, side: float) -> None:
    """The QR code of `url`, `side` wide with its bottom-left corner at (x, y)."""
    code = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    cell = side / len(rows)
    canvas.setFillColor(white)
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColor(black)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + side - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def render(cert: Certificate, verify_url: str) -> bytes:
    """The certificate `cert` as a PDF whose QR code (and printed link) is `verify_url`."""
    out = io.BytesIO()
    width, height = A4
    canvas = new_canvas(out)
    canvas.setTitle(f"数据知识产权登记证书 {cert.number}")
    canvas.setSubject(f"Data IP registration certificate {cert.number}")
    canvas.setAuthor("Shushang")

    # A double border, as certificates have.
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(2)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    canvas.setFillColor(RED)
    canvas.setFont(SONG, 28)
    canvas.drawCentredString(width / 2, height - 45 * mm, "数据知识产权登记证书")
    canvas.setFont(LATIN, 11)
    canvas.setFillColor(GREY)
    canvas.drawCentredString(
        width / 2, height - 53 * mm, "Data Intellectual Property Registration Certificate"
    )

    canvas.setFillColor(black)
    canvas.setFont(SONG, 12)
    canvas.drawString(30 * mm, height - 70 * mm, "证书编号 Certificate No.")
    canvas.setFont(LATIN, 14)
    canvas.drawString(80 * mm, height - 70 * mm, cert.number)

    zh, en = STATUS.get(cert.status, (cert.status.value, cert.status.value))
    if cert.status is IpStatus.registered and not cert.valid_today:
        zh, en = "未生效", "not in force"
    as_of = f"{cert.printed_at.astimezone(SHANGHAI):%Y-%m-%d}"
    fields = [
        ("数据名称", "Data", cert.data_name),
        ("数据产品", "Product", cert.product),
        ("持有人", "Holder", cert.holder),
        ("所属领域", "Domain", cert.domain),
        ("登记日期", "Granted on", cert.granted_on.isoformat()),
        ("有效期至", "Valid until", cert.valid_until.isoformat()),
        ("证书状态", "Status", f"{zh} {en}（截至 {as_of}）"),
        ("数据摘要", "SHA-256", cert.evidence_digest),
    ]
    y = height - 85 * mm
    left, value_x = 30 * mm, 80 * mm
    value_width = width - value_x - 30 * mm
    for label, english, value in fields:
        canvas.setFont(SONG, 12)
        canvas.drawString(left, y, label)
        canvas.setFont(LATIN, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(left, y - 4 * mm, english)
        canvas.setFillColor(black)
        font, size = (MONO, 9.0) if english == "SHA-256" else (SONG, 12.0)
        for line in lines(value, font, size, value_width):
            canvas.setFont(font, size)
            canvas.drawString(value_x, y, line)
            y -= 6.5 * mm
        y -= 5 * mm

    side = 42 * mm
    qr_x, qr_y = width - 30 * mm - side, 32 * mm
    _qr(canvas, verify_url, qr_x, qr_y, side)
    top = qr_y + side
    canvas.setFont(SONG, 10)
    for n, line in enumerate(EXPLAINED):
        canvas.drawString(30 * mm, top - (6 + 6 * n) * mm, line)
    canvas.setFont(LATIN, 8)
    canvas.setFillColor(GREY)
    for n, line in enumerate(EXPLAINED_EN):
        canvas.drawString(30 * mm, top - (25 + 4 * n) * mm, line)
    for n, line in enumerate(lines(verify_url, LATIN, 8, qr_x - 34 * mm)):
        canvas.drawString(30 * mm, qr_y + 4 * mm - n * 4 * mm, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
