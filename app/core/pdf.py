"""What every PDF we set needs, and nothing of what it says (reportlab).

Chinese text is set in reportlab's built-in CID font STSong-Light (Adobe-GB1), which PDF
readers supply themselves: no font file is shipped or embedded. A canvas made by `canvas`
is in reportlab's invariant mode (no creation time, a fixed document id), so the same
content gives the same bytes: a closed statement is downloaded twice identical."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

SONG = "STSong-Light"
LATIN = "Helvetica"
MONO = "Courier"


def register_fonts() -> None:
    """Register STSong-Light once per process."""
    if SONG not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(SONG))


def canvas(out: BinaryIO) -> Canvas:
    """An A4 canvas writing to `out`, fonts registered, compressed and invariant."""
    register_fonts()
    return Canvas(out, pagesize=A4, pageCompression=1, invariant=1)


def lines(text: str, font: str, size: float, width: float) -> Iterator[str]:
    """`text` broken into lines no wider than `width`: by character, as Chinese is set."""
    line = ""
    for char in text:
        if char == "\n" or pdfmetrics.stringWidth(line + char, font, size) > width:
            yield line
            line = "" if char == "\n" else char
        else:
            line += char
    if line:
        yield line
