"""What a spreadsheet cell we write may hold: text that cannot start a formula.

A CSV file or a workbook is opened in a spreadsheet program by someone who did not write
its text: a merchant's asset named `=HYPERLINK("http://evil…")` would be a live formula on
an auditor's screen (OWASP, CSV injection). DOMAIN.md ("Spreadsheets"): in every CSV and
workbook we write, a text value beginning with `=`, `+`, `-`, `@`, TAB or CR is written as
text with a leading `'`. This module is the rule's one home: `inert` for text Python writes
(the workbooks), `inert_sql` for text PostgreSQL writes (the CSV export's COPY).
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import String, case, cast, func, literal

# The characters a spreadsheet program reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def inert(text: str) -> str:
    """`text`, with a `'` before it when it would start a formula."""
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def inert_sql(value: Any) -> Any:
    """The same rule as `inert`, as an SQL expression over a column (cast to text)."""
    text = cast(value, String)
    return case((func.left(text, 1).in_(FORMULA_STARTS), literal(QUOTE) + text), else_=text)


def workbook_text(text: str) -> str:
    """`text` as a workbook cell may hold it: inert, and without the control characters
    the XLSX format cannot carry (openpyxl refuses them), each shown as U+FFFD."""
    return inert(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))
