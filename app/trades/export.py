"""CSV export of trades: PostgreSQL writes the CSV itself (`COPY … TO STDOUT`) into a spool
that overflows to a temporary file, so memory stays flat however many trades match; the
database connection is free again before the first byte goes out, and the response is
paced (app/web/streaming.py): a client that stops reading is cut off, holding nothing."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, String, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.cells import inert_sql
from app.core.principal import Principal
from app.merchants.models import Merchant
from app.trades import repository
from app.trades.confirmation import confirmed_clause, large_clause, operator_confirmed_clause
from app.trades.models import Trade, TradeEvent
from app.trades.repository import TradeFilter
from app.web.streaming import PIECE_BYTES

# New columns go at the end, so that a spreadsheet reading columns by position still works.
COLUMNS = [
    "id", "venue_code", "on_venue", "listing_id", "product_id", "seller_merchant_id",
    "buyer_merchant_id", "amount", "fee", "currency", "quantity", "term", "contract_digest",
    "occurred_at", "leaf_index", "created_at", "reported_by_merchant_id", "confirmed",
    "large", "operator_confirmed", "seller_name", "buyer_name", "status", "last_event",
    "occurred_at_local", "fee_before_waiver", "fee_waiver_id",
]  # fmt: skip
# `?headers=zh` (or `Accept-Language: zh-CN`): the same columns, headed in Chinese.
CHINESE_HEADERS = {
    "id": "交易编号", "venue_code": "交易场所代码", "on_venue": "场内交易",
    "listing_id": "挂牌编号", "product_id": "产品编号", "seller_merchant_id": "卖方商户编号",
    "buyer_merchant_id": "买方商户编号", "amount": "成交金额", "fee": "手续费",
    "currency": "币种", "quantity": "数量", "term": "期限", "contract_digest": "合同摘要",
    "occurred_at": "成交时间", "leaf_index": "账本叶序号", "created_at": "记录时间",
    "reported_by_merchant_id": "报送商户编号", "confirmed": "已确认", "large": "大额交易",
    "operator_confirmed": "运营方已确认", "seller_name": "卖方名称", "buyer_name": "买方名称",
    "status": "状态", "last_event": "最近事件", "occurred_at_local": "成交时间（北京时间）",
    "fee_before_waiver": "减免前手续费", "fee_waiver_id": "减免规则编号",
}  # fmt: skip
SPOOL_IN_MEMORY = 4 * 1024 * 1024
SpooledFile = tempfile.SpooledTemporaryFile[bytes]
# RFC 3339 in the session's time zone, which the export sets to Asia/Shanghai: `TZH:TZM` is
# the offset in force on the day (+08:00, or +09:00 in the summers of 1986-1991).
_RFC3339 = 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'
# The wall-clock time there, as Excel reads a CSV cell as a date and time.
_LOCAL = "YYYY-MM-DD HH24:MI:SS"
EXPORT_TIME_ZONE = "Asia/Shanghai"


def _flag(clause: ColumnElement[bool], name: str) -> Any:
    return case((clause, literal("true")), else_=literal("false")).label(name)


def _last_event(*, ending: bool) -> Any:
    """The type of the trade's last event (by its leaf: the order recorded); with `ending`,
    of its last event other than `confirmed` (an operator may confirm a trade late, after
    its delivery: it is still delivered). One probe of ix_trade_event_trade_id a row."""
    query = select(TradeEvent.type).where(TradeEvent.trade_id == Trade.id)
    if ending:
        query = query.where(TradeEvent.type != "confirmed")
    return query.order_by(TradeEvent.leaf_index.desc()).limit(1).scalar_subquery()


def _status() -> Any:
    """Where the trade stands now: its last event other than `confirmed` (`delivered`,
    `settled`, `disputed`, `refunded`, `cancelled`), else `confirmed` or `unconfirmed`."""
    confirmed = case((confirmed_clause(), literal("confirmed")), else_=literal("unconfirmed"))
    return func.coalesce(_last_event(ending=True), confirmed)


def _name(party: Any) -> Any:
    """A party's registered name: typed by a merchant, so never a live formula."""
    merchant = aliased(Merchant)
    name = select(merchant.name).where(merchant.id == party).scalar_subquery()
    return inert_sql(name)


def _column(name: str, large_amount: Decimal) -> Any:
    # Per row, at most a probe of the partial index ix_trade_event_confirmed.
    if name == "seller_name":
        return _name(Trade.seller_merchant_id).label(name)
    if name == "buyer_name":
        return _name(Trade.buyer_merchant_id).label(name)
    if name == "status":
        return _status().label(name)
    if name == "last_event":
        return _last_event(ending=False).label(name)
    if name == "occurred_at_local":
        return func.to_char(Trade.occurred_at, _LOCAL).label(name)
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


def header_line(chinese: bool) -> bytes:
    """The CSV's first line: the column names, or their Chinese headers."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(
        [CHINESE_HEADERS[c] if chinese else c for c in COLUMNS]
    )
    return line.getvalue().encode()


async def spooled_csv(
    session: AsyncSession,
    who: Principal,
    where: TradeFilter,
    large_amount: Decimal,
    chinese: bool = False,
) -> SpooledFile:
    """The whole CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese text
    right), written by PostgreSQL's COPY into a spool (memory up to SPOOL_IN_MEMORY, then a
    temporary file) as fast as the database produces it. The connection goes back to the
    pool before a byte is sent, so a client that reads slowly, or never, holds nothing of
    the database; and a failed copy is a problem answer, not a truncated file. `chinese`:
    the columns headed in Chinese (CHINESE_HEADERS), the cells the same."""
    sql, params = _sql(statement(who, where, large_amount))
    spool: SpooledFile = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by `pieces`

    async def write(chunk: bytes) -> None:
        spool.write(chunk)

    try:
        spool.write(b"\xef\xbb\xbf" + header_line(chinese))
        # `session` reads in autocommit (app.web.deps.ReadSession): the transaction is the
        # COPY's own, for its time zone.
        connection = await (await session.connection()).get_raw_connection()
        driver = connection.driver_connection
        assert driver is not None
        async with driver.transaction():
            await driver.execute(f"SET LOCAL TIME ZONE '{EXPORT_TIME_ZONE}'")
            await driver.copy_from_query(sql, *params, output=write, format="csv", header=False)
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
