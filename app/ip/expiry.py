"""Certificates expire by date: `serve` records their `expire` steps hourly (reads already
show `expired` from the day after `valid_until`); `shushang ip expire` does it on demand."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import unit_of_work
from app.ip import service

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600


async def expire_once(factory: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(factory) as session:
        return await service.expire_due(session)


async def sweep_forever(factory: async_sessionmaker[AsyncSession]) -> None:
    while True:
        try:
            expired = await expire_once(factory)
            if expired:
                logger.info("certificates expired", extra={"count": expired})
        except Exception:  # the database may be away: try again next round
            logger.exception("the certificate expiry sweep failed")
        await asyncio.sleep(INTERVAL_SECONDS)
