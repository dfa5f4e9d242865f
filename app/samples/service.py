"""Sample rules: who uploads to which product, streaming within the cap, profiling off the loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.core.config import Settings
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.products import service as products
from app.samples import repository
from app.samples.models import Sample
from app.samples.profile import (
    MalformedSample,
    ProfileLimits,
    ProfileTooCostly,
    SampleProfile,
    profile_file,
)
from app.samples.upload import ReceivedFile, receive_file
from app.web.streaming import in_short_transactions

SAMPLE = Text("sample", "样本")


def _columns(profile: SampleProfile) -> list[dict[str, object]]:
    return [
        {
            "name": c.name,
            "type": c.type.value,
            "nulls": c.nulls,
            "non_null": c.non_null,
            "type_counts": dict(c.type_counts),
        }
        for c in profile.columns
    ]


def profile_limits(settings: Settings) -> ProfileLimits:
    return ProfileLimits(
        max_columns=settings.sample_max_columns,
        max_cpu_seconds=settings.sample_profile_max_seconds,
    )


async def upload(
    session: AsyncSession,
    who: Principal,
    product_id: UUID,
    content_type: str | None,
    body: AsyncIterator[bytes],
    settings: Settings,
) -> Sample:
    product = await products.get_for_change(session, who, product_id)
    revision = product.revision
    # Nothing is written yet: give the connection back while the client sends the file.
    await session.rollback()
    received = await receive_file(content_type, body, settings.upload_max_bytes)
    try:
        return await store(session, who, product_id, revision, received, profile_limits(settings))
    finally:
        received.path.unlink(missing_ok=True)


async def store(
    session: AsyncSession,
    who: Principal,
    product_id: UUID,
    revision: int,
    received: ReceivedFile,
    limits: ProfileLimits | None = None,
) -> Sample:
    """Profile a received file (in a worker thread, holding no database connection, within
    its CPU budget) and keep it with its profile."""
    try:
        profile = await anyio.to_thread.run_sync(
            profile_file, received.path, received.filename, received.media_type, limits
        )
    except MalformedSample as exc:
        raise ValidationFailed(
            Text(f"Line {exc.line}: {exc.reason}.", f"第 {exc.line} 行:{exc.reason_zh}。"),
            errors=[{"loc": ["body", "file"], "msg": f"line {exc.line}: {exc.reason}"}],
        ) from exc
    except ProfileTooCostly as exc:
        reason = (
            f"profiling the sample took more than {exc.seconds:g} s of CPU, the most one "
            "upload may use; send a smaller or simpler sample"
        )
        raise ValidationFailed(
            Text(
                f"The file: {reason}.",
                f"文件:分析样本耗用的 CPU 时间超过单次上传上限 {exc.seconds:g} 秒;"
                "请上传更小或更简单的样本。",
            ),
            errors=[{"loc": ["body", "file"], "msg": reason}],
        ) from exc
    sample = Sample(
        product_id=product_id,
        product_revision=revision,
        filename=received.filename,
        media_type=received.media_type,
        format=profile.format.value,
        encoding=profile.encoding,
        size_bytes=received.size,
        sha256=received.sha256,
        rows=profile.rows,
        columns=_columns(profile),
        uploaded_by_key_id=who.key_id,
    )
    await repository.add(session, sample, received.path)
    await audit.record(
        session,
        who,
        "sample.upload",
        "product_sample",
        sample.id,
        {
            "product_id": str(product_id),
            "sha256": sample.sha256,
            "rows": sample.rows,
            "size_bytes": sample.size_bytes,
        },
    )
    return sample


async def readable_product(session: AsyncSession, who: Principal, product_id: UUID) -> None:
    """Samples are for the product's merchant and the roles that read everything."""
    product = await products.get_visible(session, who, product_id)
    if not (who.reads_everything() or who.owns_merchant(product.merchant_id)):
        raise NotFound.of(products.PRODUCT, product_id)


async def get(session: AsyncSession, who: Principal, product_id: UUID, sample_id: UUID) -> Sample:
    await readable_product(session, who, product_id)
    sample = await repository.get(session, product_id, sample_id)
    if sample is None:
        raise NotFound.of(SAMPLE, sample_id)
    return sample


def content(factory: async_sessionmaker[AsyncSession], sample_id: UUID) -> AsyncIterator[bytes]:
    """The stored bytes, a chunk at a time, each read in a transaction of its own: the
    response outlives the request's session, and a client that reads slowly holds no
    connection while it does."""

    async def read(session: AsyncSession, seq: int) -> tuple[bytes, int] | None:
        data = await repository.chunk(session, sample_id, seq)
        return None if data is None else (data, seq + 1)

    return in_short_transactions(factory, read, 0)
