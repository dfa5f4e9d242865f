"""Loading the demo catalog through the services, so it gets revisions, search text and audit
events like any other data. Idempotent: what exists (by USCC, or merchant and product
name) is left as it is."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import command_line
from app.demo import catalog
from app.merchants import service as merchants
from app.merchants.models import Merchant
from app.merchants.schemas import MerchantCreate
from app.products import service as products
from app.products.models import Product
from app.products.schemas import ProductCreate
from app.samples import service as samples
from app.samples.upload import ReceivedFile

DEMO = command_line("shushang demo")


@dataclass
class Loaded:
    merchants: int = 0
    products: int = 0
    samples: int = 0


async def _merchant_ids(session: AsyncSession) -> list[Merchant]:
    found: list[Merchant] = []
    for demo in catalog.merchants():
        existing = (
            await session.execute(select(Merchant).where(Merchant.uscc == demo.uscc))
        ).scalar_one_or_none()
        if existing is None:
            data = MerchantCreate.model_validate(demo.__dict__)
            existing = await merchants.create(session, DEMO, data)
        found.append(existing)
    return found


async def load(factory: async_sessionmaker[AsyncSession]) -> Loaded:
    loaded = Loaded()
    async with factory() as session:
        before = (await session.execute(select(Merchant.id))).scalars().all()
        demo_merchants = await _merchant_ids(session)
        loaded.merchants = len({m.id for m in demo_merchants} - set(before))
        await session.commit()

        existing = {
            (merchant_id, name)
            for merchant_id, name in (
                await session.execute(select(Product.merchant_id, Product.name))
            ).all()
        }
        for index, demo in enumerate(catalog.products(len(demo_merchants))):
            merchant = demo_merchants[demo.merchant_index]
            if (merchant.id, demo.body["name"]) in existing:
                continue
            data = ProductCreate.model_validate({**demo.body, "merchant_id": str(merchant.id)})
            product = await products.create(session, DEMO, data)
            loaded.products += 1
            if demo.sample_csv:
                await _store_sample(session, product, demo.sample_csv)
                loaded.samples += 1
            if index % 100 == 99:
                await session.commit()
        await session.commit()
    return loaded


async def _store_sample(session: AsyncSession, product: Product, text: str) -> None:
    content = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.csv"
        path.write_bytes(content)
        received = ReceivedFile(
            path=path,
            filename="sample.csv",
            media_type="text/csv",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        await samples.store(session, DEMO, product.id, product.revision, received)
