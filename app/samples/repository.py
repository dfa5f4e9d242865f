"""Queries on samples, and their bytes in `sample_chunk`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.samples.models import CHUNK_BYTES, Sample, SampleChunk

_CHUNKS_PER_STATEMENT = 8


async def add(session: AsyncSession, sample: Sample, content: Path) -> Sample:
    """Store the sample's row and its bytes, read from `content` a chunk at a time."""
    session.add(sample)
    await session.flush()
    batch: list[dict[str, object]] = []
    with content.open("rb") as source:
        seq = 0
        while chunk := source.read(CHUNK_BYTES):
            batch.append({"sample_id": sample.id, "seq": seq, "data": chunk})
            seq += 1
            if len(batch) == _CHUNKS_PER_STATEMENT:
                await session.execute(insert(SampleChunk), batch)
                batch = []
    if batch:
        await session.execute(insert(SampleChunk), batch)
    return sample


async def get(session: AsyncSession, product_id: UUID, sample_id: UUID) -> Sample | None:
    query = select(Sample).where(Sample.id == sample_id, Sample.product_id == product_id)
    return (await session.execute(query)).scalar_one_or_none()


async def latest(session: AsyncSession, product_id: UUID) -> Sample | None:
    query = (
        select(Sample).where(Sample.product_id == product_id).order_by(Sample.id.desc()).limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession, product_id: UUID, before: UUID | None, limit: int
) -> list[Sample]:
    """Newest first."""
    query = (
        select(Sample)
        .where(Sample.product_id == product_id)
        .order_by(Sample.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(Sample.id < before)
    return list((await session.execute(query)).scalars())


async def chunk(session: AsyncSession, sample_id: UUID, seq: int) -> bytes | None:
    """The sample's chunk number `seq` (from 0); None past the last."""
    query = select(SampleChunk.data).where(
        SampleChunk.sample_id == sample_id, SampleChunk.seq == seq
    )
    return (await session.execute(query)).scalar_one_or_none()


async def content(session: AsyncSession, sample_id: UUID) -> AsyncIterator[bytes]:
    """The sample's bytes in order, on `session`, one chunk in memory at a time."""
    seq = 0
    while (data := await chunk(session, sample_id, seq)) is not None:
        yield data
        seq += 1
