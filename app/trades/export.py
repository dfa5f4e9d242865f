"""CSV export of trades, streamed: rows leave as they are read, a batch at a time, from a
server-side cursor, so memory stays flat however many trades match."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.trades import repository
from app.trades.repository import TradeFilter

COLUMNS = [
    "id", "venue_code", "on_venue", "listing_id", "product_id", "seller_merchant_id",
    "buyer_merchant_id", "amount", "fee", "currency", "quantity", "term", "contract_digest",
    "occurred_at", "leaf_index", "created_at",
]  # fmt: skip
_BATCH = 2000


async def csv_lines(
    factory: async_sessionmaker[AsyncSession], where: TradeFilter
) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM, so spreadsheet programs read the Chinese text right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    async with factory() as session:
        async for batch in repository.stream_rows(session, where, COLUMNS, _BATCH):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(["" if value is None else value for value in row] for row in batch)
            yield buffer.getvalue().encode()
