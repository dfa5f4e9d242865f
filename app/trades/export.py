"""CSV export of trades: PostgreSQL writes the CSV itself (`COPY … TO STDOUT`) into a spool
that overflows to a temporary file, so memory stays flat however many trades match; the
database connection is free again before the first byte goes out, and the response is
paced (app/web/streaming.py): a client that stops reading is cut off, holding nothing."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, String, case, cast, func, literal
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cells import inert_sql
from app.core.principal import Principal
from app.trades import repository
from app.trades.confirmation import confirmed_clause, large_clause, operator_confirmed_clause
from app.trades.models import Trade
from app.trades.repository import TradeFilter
from app.web.streaming import PIECE_BYTES

# New columns go at the end, so that a spreadsheet reading columns by position still works.
COLUMNS = [
    "id", "venue_code", "on_venue", "listing_id", "product_id", "seller_merchant_id",
    "buyer_merchant_id", "amount", "fee", "currency", "quantity", "term", "contract_digest",
    "occurred_at", "leaf_index", "created_at", "reported_by_merchant_id", "confirmed",
    "large", "operator_confirmed",
]  # fmt: skip
SPOOL_IN_MEMORY = 4 * 1024 * 1024
SpooledFile = tempfile.SpooledTemporaryFile[bytes]
# RFC 3339 in the session's time zone, which the export sets to Asia/Shanghai: `TZH:TZM` is
# the offset in force on the day (+08:00, or +09:00 in the summers of 1986-1991).
_RFC3339 = 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'
EXPORT_TIME_ZONE = "Asia/Shanghai"


def _flag(clause: ColumnElement[bool], name: str) -> Any:
    return case((clause, literal("true")), else_=literal("false")).label(name)


def _column(name: str, large_amount: Decimal) -> Any:
    # Per row, at most a probe of the partial index ix_trade_event_confirmed.
    if name == "confirmed":
        return _flag(confirmed_clause(), name)
    if name == "operator_confirmed":
        return _flag(operator_confirmed_clause(), name)
    if name == "large":
        return _flag(large_clause(large_amount), name)
    column = getattr(Trade, name)
    if isinstance(column.type, Boolean):
        return case((column, literal("true")), else_=literal("false")).label(name)
    if name in ("occurred_at", "created_at"):
        return func.to_char(column, _RFC3339).label(name)
    if name in ("quantity", "term"):  # what a merchant typed: never a live formula
        return inert_sql(column).label(name)
    return cast(column, String).label(name) if name.endswith("_id") or name == "id" else column


def _sql(query: Select[Any]) -> tuple[str, list[Any]]:
    compiled = query.compile(
        dialect=asyncpg_dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},  # IN (…) as plain parameters
    )
    params = [compiled.params[name] for name in (compiled.positiontup or [])]
    return str(compiled), params


def statement(who: Principal, where: TradeFilter, large_amount: Decimal) -> Select[Any]:
    """The export's query: the list's filters and visibility, a text cell per column."""
    columns = Trade.__table__.select().with_only_columns(
        *(_column(c, large_amount) for c in COLUMNS)
    )
    return repository.filtered(where, columns.where(repository.visible_to(who))).order_by(Trade.id)


async def spooled_csv(
    session: AsyncSession, who: Principal, where: TradeFilter, large_amount: Decimal
) -> SpooledFile:
    """The whole CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese text
    right), written by PostgreSQL's COPY into a spool (memory up to SPOOL_IN_MEMORY, then a
    temporary file) as fast as the database produces it. The connection goes back to the
    pool before a byte is sent, so a client that reads slowly, or never, holds nothing of
    the database; and a failed copy is a problem answer, not a truncated file."""
    sql, params = _sql(statement(who, where, large_amount))
    spool: SpooledFile = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by `pieces`

    async def write(chunk: bytes) -> None:
        spool.write(chunk)

    try:
        spool.write(b"\xef\xbb\xbf")
        # `session` reads in autocommit (app.web.deps.ReadSession): the transaction is the
        # COPY's own, for its time zone.
        connection = await (await session.connection()).get_raw_connection()
        driver = connection.driver_connection
        assert driver is not None
        async with driver.transaction():
            await driver.execute(f"SET LOCAL TIME ZONE '{EXPORT_TIME_ZONE}'")
            await driver.copy_from_query(sql, *params, output=write, format="csv", header=True)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


async def pieces(spool: SpooledFile) -> AsyncIterator[bytes]:
    """The spooled CSV a piece at a time; the spool is closed (its file removed) at the end,
    or when the client leaves."""
    try:
        while chunk := spool.read(PIECE_BYTES):
            yield chunk
    finally:
        spool.close()
