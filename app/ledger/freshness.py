"""Fresh heads: every log signs a new checkpoint at least every checkpoint interval, growing
or not, so a checkpoint's time (its own timestamped cosignature) tells how stale it is and an
old one cannot pass for the log as it stands. `serve` runs `refresh_forever`; a request that
finds the stored checkpoint older than the interval re-signs it too (`service.checkpoint`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.db import unit_of_work
from app.core.errors import NotFound
from app.ledger import repository, service
from app.ledger.signing import Signer

logger = logging.getLogger(__name__)


async def refresh_once(
    factory: async_sessionmaker[AsyncSession],
    signer: Signer,
    settings: Settings,
    max_age: timedelta,
) -> int:
    """Re-sign the checkpoint of every log whose latest is `max_age` old or older: how many
    logs were looked at. One transaction per log: one log's trouble stops no other."""
    async with factory() as session:
        logs = await repository.logs(session)
    for log in logs:
        try:
            async with unit_of_work(factory) as session:
                await service.checkpoint(
                    session, signer, log, settings.log_origin, max_age, []
                )  # re-signing only: what it serves is not read here
        except NotFound:  # a log no domain knows any more (its venue gone): nothing to sign
            logger.warning("no such log to refresh", extra={"log": log})
    return len(logs)


async def refresh_forever(
    factory: async_sessionmaker[AsyncSession], signer: Callable[[], Signer], settings: Settings
) -> None:
    # Looking every half interval and re-signing what is half an interval old keeps every
    # checkpoint younger than the interval.
    half = settings.checkpoint_interval_seconds / 2
    while True:
        try:
            await refresh_once(factory, signer(), settings, timedelta(seconds=half))
        except Exception:  # the database may be away: try again next round
            logger.exception("refreshing the ledger checkpoints failed")
        await asyncio.sleep(half)
