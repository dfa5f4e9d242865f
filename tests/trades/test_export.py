"""The CSV export from the real server: clients that do not read hold no database
connection (the CSV is spooled first), and a client that stops reading is cut off."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from tests.e2e.threads import served
from tests.factories import auth, make_key, make_merchant
from tests.samples.test_download import POOL, _read_on, _stalled_download

ROWS = 20_000  # about 8 MB of CSV: more than any socket buffers between us


async def _many_trades(session: AsyncSession) -> None:
    seller = await make_merchant(session)
    buyer = await make_merchant(session)
    await session.execute(
        text(
            """
            INSERT INTO trade (id, venue_code, seller_merchant_id, buyer_merchant_id, amount,
                               fee, fee_before_waiver, currency, on_venue, contract_digest,
                               occurred_at, leaf_index, term, created_at)
            SELECT gen_random_uuid(), 'OTC', :seller, :buyer, 100 + n, 0.30, 0.30, 'CNY', false,
                   repeat('a', 64), now() - n * interval '1 minute', n, '12 个月', now()
            FROM generate_series(1, :rows) AS n
            """
        ),
        {"seller": seller.id, "buyer": buyer.id, "rows": ROWS},
    )
    await session.commit()


async def test_export_readers_that_do_not_read_hold_no_connection(
    settings: Settings, session: AsyncSession
) -> None:
    await _many_trades(session)
    auditor = auth(await make_key(session, Role.auditor))
    small_pool = settings.model_copy(
        update={
            "db_pool_size": POOL,
            "db_pool_timeout_seconds": 1.0,
            "response_send_timeout_seconds": 300.0,  # not what frees the connections
        }
    )
    with served(create_app(small_pool)) as url:
        stalled = [
            _stalled_download(url, "/v1/transactions/export", auditor)[0] for _ in range(2 * POOL)
        ]
        try:
            for path in ("/v1/venues", "/v1/transactions?limit=1"):
                answer = httpx.get(f"{url}{path}", headers=auditor, timeout=10)
                assert answer.status_code == 200, answer.text
        finally:
            for sock in stalled:
                sock.close()


async def test_an_export_reader_that_stops_reading_is_cut_off(
    settings: Settings, session: AsyncSession
) -> None:
    await _many_trades(session)
    auditor = auth(await make_key(session, Role.auditor))
    impatient = settings.model_copy(update={"response_send_timeout_seconds": 0.5})
    with served(create_app(impatient)) as url:
        sock, received = _stalled_download(url, "/v1/transactions/export", auditor)
        try:
            time.sleep(2)
            more, closed = _read_on(sock, 50 * 1024 * 1024)
        finally:
            sock.close()
        assert closed
        whole = httpx.get(f"{url}/v1/transactions/export", headers=auditor, timeout=60)
        assert whole.status_code == 200
        assert len(whole.content.decode("utf-8-sig").splitlines()) == ROWS + 1
        assert received + more < len(whole.content)
