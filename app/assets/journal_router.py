"""`/v1/merchants/{id}/data-asset-journal` (the vouchers, as JSON, CSV or XLSX in the column
layout Chinese accounting software imports) and `/v1/merchants/{id}/data-asset-accounts`
(the merchant's chart for them)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.assets import engine, journal, journal_service, workbook
from app.assets.auth import AssetsRead, AssetsWrite
from app.assets.journal_schemas import (
    Accounts,
    AccountsChange,
    Journal,
    JournalLine,
    JournalVoucher,
)
from app.core.cells import inert, workbook_text
from app.core.clock import QueryMonth
from app.core.money import cents
from app.merchants import repository as merchants
from app.web.deps import ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/merchants", tags=["data-assets"], route_class=ReplicaAwareRoute)

CSV_TYPE = "text/csv"
COLUMNS = ("日期", "凭证字", "凭证号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额")
DATE_FORMAT = "yyyy-mm-dd"


def journal_out(data: journal_service.JournalData) -> Journal:
    debit, credit = journal_service.totals(data)
    vouchers = []
    for v in data.vouchers:
        lines = []
        for line in v.lines:
            account = journal.resolve(line, data.chart)
            lines.append(
                JournalLine(
                    account_code=account.code,
                    account_name=account.name,
                    debit=line.debit,
                    credit=line.credit,
                )
            )
        vouchers.append(
            JournalVoucher(
                date=v.date,
                number=v.number,
                summary=v.summary,
                lines=lines,
                entry_type=v.entry.type,
                entry_id=v.entry.id,
                leaf_index=v.entry.leaf_index,
                asset_id=v.entry.asset_id,
            )
        )
    return Journal.model_validate(
        {
            "merchant_id": data.merchant_id,
            "from": engine.month_text(data.first),
            "to": engine.month_text(data.last),
            "vouchers": vouchers,
            "debit_total": debit,
            "credit_total": credit,
        }
    )


def _rows(body: Journal) -> list[tuple[Any, ...]]:
    """One row per line: 日期, 凭证字, 凭证号, 摘要, 科目编码, 科目名称, 借方金额, 贷方金额 (the
    side without an amount is empty)."""
    return [
        (v.date, v.word, v.number, v.summary, x.account_code, x.account_name,
         x.debit or None, x.credit or None)
        for v in body.vouchers
        for x in v.lines
    ]  # fmt: skip


def render_csv(body: Journal) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Chinese), amounts with two places,
    text that could start a formula quoted (app/core/cells.py)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for day, word, number, summary, code, name, debit, credit in _rows(body):
        writer.writerow(
            [
                day.isoformat(),
                word,
                number,
                inert(summary),
                inert(code),
                inert(name),
                cents(debit) if debit is not None else "",
                cents(credit) if credit is not None else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


def render_xlsx(body: Journal, merchant_name: str) -> bytes:
    """Sheet 记账凭证: the columns in row 1, one line per row, 日期 a real Excel date, amounts
    numbers with two decimals; sheet 说明: 编制单位, 期间, 单位：元. Written in openpyxl's
    write-only mode: each row streams out as it is appended, the styled cells (the date and
    the amounts) reused row after row, so no cell objects are kept."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("记账凭证")
    for letter, width in zip("ABCDEFGH", (12, 8, 8, 48, 12, 32, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    titles = []
    for title in COLUMNS:
        cell = WriteOnlyCell(sheet, title)
        cell.font = bold
        titles.append(cell)
    sheet.append(titles)
    on = WriteOnlyCell(sheet)
    on.number_format = DATE_FORMAT
    debits, credits = WriteOnlyCell(sheet), WriteOnlyCell(sheet)
    debits.number_format = credits.number_format = workbook.NUMBER_FORMAT
    for day, word, number, summary, code, name, debit, credit in _rows(body):
        on.value, debits.value, credits.value = day, debit, credit
        sheet.append(
            (
                on,
                word,
                number,
                workbook_text(summary),
                workbook_text(code),
                workbook_text(name),
                debits if debit is not None else None,
                credits if credit is not None else None,
            )
        )
    about = book.create_sheet("说明")
    about.append(("编制单位", workbook_text(merchant_name)))
    about.append(("期间", f"{body.from_} 至 {body.to}"))
    about.append(("单位：元", None))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _format(request: Request, asked: str | None) -> str:
    """`?format=` wins; else `Accept` (text/csv or the XLSX type); else JSON."""
    if asked:
        return asked
    accept = request.headers.get("accept") or ""
    if any(p.split(";")[0].strip().lower() == CSV_TYPE for p in accept.split(",")):
        return "csv"
    if workbook.MEDIA_TYPE in accept.lower():
        return "xlsx"
    return "json"


@router.get(
    "/{merchant_id}/data-asset-journal",
    response_model=Journal,
    responses={
        200: {
            "description": "The vouchers; as CSV or XLSX when `format` or `Accept` asks.",
            "content": {
                CSV_TYPE: {"schema": {"type": "string"}},
                workbook.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **errors(401, 403, 404, 422),
    },
)
async def get_journal(
    merchant_id: UUID,
    request: Request,
    session: ReadSession,
    who: AssetsRead,
    from_: Annotated[
        QueryMonth, Query(alias="from", description="First month, `YYYY-MM`, 1990-01 to 2100-12.")
    ],
    to: Annotated[QueryMonth, Query(description="Last month, `YYYY-MM`, at most 120 months on.")],
    format_: Annotated[
        str | None,
        Query(
            alias="format",
            pattern="^(json|csv|xlsx)$",
            description="`json`, `csv` or `xlsx`; else `Accept` decides.",
        ),
    ] = None,
) -> Any:
    """The merchant's data-asset journal (记账凭证) for the months `from` … `to`: a balanced
    voucher per cost item, per movement, per month of each asset's amortisation and per month
    of research expensed, numbered 记-1, 记-2, … per calendar month, on the merchant's chart
    (`data-asset-accounts`). A closed month's vouchers are those as closed, never changed; a
    restatement is a new voucher in the first month open when it was recorded. Its closing
    balances of 1701, 1702, 1703, 1405, 1471 and 5301 are the disclosure's. The merchant
    itself, operators and auditors. As CSV or XLSX the columns are 日期, 凭证字, 凭证号, 摘要,
    科目编码, 科目名称, 借方金额, 贷方金额, one line a row."""
    data = await journal_service.vouchers(session, who, merchant_id, from_, to)
    body = journal_out(data)
    kind = _format(request, format_)
    if kind == "json":
        return body
    name = f"data-asset-journal-{body.from_}-{body.to}"
    if kind == "csv":
        return Response(
            content=render_csv(body),
            media_type=f"{CSV_TYPE}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    merchant = await merchants.get(session, merchant_id)
    assert merchant is not None
    return Response(
        content=render_xlsx(body, merchant.name),
        media_type=workbook.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _accounts(merchant_id: UUID, mapped: dict[str, journal.ChartAccount]) -> Accounts:
    return Accounts.model_validate(
        {"merchant_id": merchant_id, "accounts": journal_service.accounts_out(mapped)}
    )


@router.get(
    "/{merchant_id}/data-asset-accounts",
    response_model=Accounts,
    responses=errors(401, 403, 404, 422),
)
async def get_accounts(merchant_id: UUID, session: ReadSession, who: AssetsRead) -> Accounts:
    """The chart the merchant's journal is written on: every default code of DOMAIN.md with
    the merchant's own code and name where it mapped one. The merchant, operators, auditors."""
    return _accounts(merchant_id, await journal_service.get_accounts(session, who, merchant_id))


@router.put(
    "/{merchant_id}/data-asset-accounts",
    response_model=Accounts,
    responses=errors(401, 403, 404, 422),
)
async def put_accounts(
    merchant_id: UUID, data: AccountsChange, session: Session, who: AssetsWrite
) -> Accounts:
    """Map the journal's default codes to the merchant's chart: `{default code: {code,
    name}}`, the whole mapping (codes left out keep their defaults). Only known default codes;
    codes of letters, digits, `.`, `_`, `-` (at most 32); names of 1 to 100 printable
    characters. The merchant's key or an operator; audited."""
    wanted = {k: journal.ChartAccount(v.code, v.name) for k, v in data.root.items()}
    return _accounts(
        merchant_id, await journal_service.put_accounts(session, who, merchant_id, wanted)
    )
