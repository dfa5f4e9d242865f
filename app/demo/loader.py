"""Loading the demo catalog through the services, so it gets revisions, search text and audit
events like any other data. Idempotent: what exists (by USCC, or merchant and product
name) is left as it is.

What it shows: 120 listed products, ten in each application domain, on all four venues, graded
A to D by an assessor from their samples (app/demo/catalog.py), eight with their data IP
registered, books for two merchants (app/demo/data_assets.py), on-venue trades on every
venue's log (app/demo/trades.py) and Hangzhou's incentive programme with a claim in each
state (app/demo/programmes.py)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.assessments import service as assessments
from app.assessments.schemas import ComplianceRequest, CostValuation, QualityRequest
from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.db import unit_of_work
from app.core.errors import Conflict
from app.core.principal import COMMAND_LINE_KEY_ID, Principal, command_line
from app.core.roles import Role
from app.demo import catalog
from app.demo import data_assets as demo_books
from app.demo import programmes as demo_programmes
from app.demo import trades as demo_trades
from app.ip import repository as ip_rows
from app.ip import service as ip
from app.ip.models import IpRegistration
from app.ip.schemas import IpRegistrationCreate, LicenceCreate, PledgeCreate
from app.listings import service as listings
from app.listings.models import Listing
from app.listings.schemas import ListingCreate
from app.listings.states import Action
from app.merchants import service as merchants
from app.merchants.models import Merchant
from app.merchants.schemas import MerchantCreate
from app.products import service as products
from app.products.models import Product
from app.products.schemas import ProductCreate, ProductStatus, ProductUpdate
from app.samples import service as samples
from app.samples.models import Sample
from app.samples.upload import ReceivedFile
from app.wiring import register

DEMO = command_line("shushang demo")
# The demo's assessments are a third-party assessor's, as on a real exchange (所商分离): the
# catalog shows an independent assessor's grade only, never the operator's own.
DEMO_ASSESSOR = Principal(
    key_id=COMMAND_LINE_KEY_ID, role=Role.assessor, merchant_id=None, name="shushang demo"
)


@dataclass
class Loaded:
    merchants: int = 0
    products: int = 0
    samples: int = 0
    listings: int = 0
    ip_registrations: int = 0
    data_assets: int = 0
    trades: int = 0
    programme_claims: int = 0


VENUES = catalog.VENUES


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


async def load(factory: async_sessionmaker[AsyncSession], settings: Settings) -> Loaded:
    register()  # the demo makes revisions, assessments and trades: their reactions and leaves
    loaded = Loaded()
    async with unit_of_work(factory) as session:
        before = set((await session.execute(select(Merchant.id))).scalars().all())
        demo_merchants = await _merchant_ids(session)
        loaded.merchants = len({m.id for m in demo_merchants} - before)
        existing = set((await session.execute(select(Product.merchant_id, Product.name))).all())
    plan = {
        (demo_merchants[demo.merchant_index].id, demo.body["name"]): demo
        for demo in catalog.products(len(demo_merchants), today=shanghai_today())
    }
    missing = [demo for key, demo in plan.items() if key not in existing]
    for start in range(0, len(missing), 100):  # a hundred products a transaction
        async with unit_of_work(factory) as session:
            for demo in missing[start : start + 100]:
                merchant_id = demo_merchants[demo.merchant_index].id
                data = ProductCreate.model_validate({**demo.body, "merchant_id": str(merchant_id)})
                product = await products.create(session, DEMO, data)
                loaded.products += 1
                if demo.sample_csv:
                    await _store_sample(session, product, demo.sample_csv)
                    loaded.samples += 1
    async with unit_of_work(factory) as session:
        loaded.listings = await _list_sampled_products(session, settings, plan)
    async with unit_of_work(factory) as session:
        loaded.ip_registrations = await _register_ip(session, settings)
    async with unit_of_work(factory) as session:
        loaded.data_assets = await demo_books.load(
            session, DEMO, demo_merchants, settings.large_trade_amount
        )
    async with unit_of_work(factory) as session:
        loaded.trades = await demo_trades.load(
            session, DEMO, [m.id for m in demo_merchants], settings.large_trade_amount
        )
    async with unit_of_work(factory) as session:
        loaded.programme_claims = await demo_programmes.load(
            session, DEMO, [(m.id, m.region_code) for m in demo_merchants]
        )
    return loaded


async def _list_sampled_products(
    session: AsyncSession, settings: Settings, plan: dict[tuple[UUID, str], catalog.DemoProduct]
) -> int:
    """Take each demo product that has a sample through assessment to a listing at the venue
    and price of its `plan`, as an assessor and the venue would; products already listed
    somewhere, and products that are not the demo's, are left alone."""
    listed = 0
    sampled = (
        (
            await session.execute(
                select(Product)
                .where(Product.id.in_(select(Sample.product_id)))
                .where(~Product.id.in_(select(Listing.product_id)))
                .order_by(Product.id)
            )
        )
        .scalars()
        .all()
    )
    for n, product in enumerate(sampled):
        demo = plan.get((product.merchant_id, product.name))
        if demo is None or demo.venue_code is None:
            continue
        product_id = product.id
        await products.update(
            session, DEMO, product_id, ProductUpdate(status=ProductStatus.active), None
        )
        await assessments.run_quality(session, DEMO_ASSESSOR, product_id, QualityRequest())
        await assessments.run_compliance(session, DEMO_ASSESSOR, product_id, ComplianceRequest())
        await assessments.run_valuation(
            session,
            DEMO_ASSESSOR,
            product_id,
            CostValuation.model_validate(
                {
                    "method": "cost",
                    "return_rate": "0.12",
                    "cost_items": [
                        {"kind": "acquisition", "amount": f"{80000 + 5000 * (n % 7)}.00"},
                        {"kind": "processing", "amount": "30000.00"},
                    ],
                }
            ),
            settings.large_trade_amount,
        )
        listing = await listings.create(
            session,
            DEMO,
            ListingCreate.model_validate(
                {
                    "product_id": str(product_id),
                    "venue_code": demo.venue_code,
                    "price": demo.price,
                    "licence": "仅限被许可方内部使用,不得转售。",
                }
            ),
        )
        try:
            await listings.take(session, DEMO, listing.id, Action.submit, None, None)
            await listings.take(session, DEMO, listing.id, Action.approve, None, None)
        except listings.GateNotMet:
            continue  # the assessments found a problem: it stays a draft, as it should
        listed += 1
    return listed


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


IP_REGISTRATIONS = 8
IP_GRANTED = 5


async def _register_ip(session: AsyncSession, settings: Settings) -> int:
    """Register the data IP of a few listed demo products: the first ones are granted (their
    public notice set to 0 working days, as the step records), the rest stay under notice
    for the configured period. One certificate gets a licence and a pledge."""
    if await session.scalar(select(func.count()).select_from(IpRegistration)):
        return 0
    chosen = (
        (
            await session.execute(
                select(Product)
                .where(Product.id.in_(select(Listing.product_id)))
                .where(Product.classification != "core")
                .order_by(Product.id)
            )
        )
        .scalars()
        .all()
    )
    no_notice = settings.model_copy(update={"ip_notice_working_days": 0})
    n = 0  # registered so far
    for product in chosen:
        if n == IP_REGISTRATIONS:
            break
        data = IpRegistrationCreate.model_validate(
            {
                "product_id": str(product.id),
                "data_name": product.name,
                "scale": f"{(n + 1) * 120} 万条记录",
                "data_format": "CSV",
                "structure": "按主体与月份组织的结构化数据",
                "update_frequency": "每月",
                "processing_rules": "清洗、去重、关联与脱敏(标识符哈希化)",
                "application_scenarios": ["信贷风控", "产业分析"],
                "evidence_reference": f"浙江省数据知识产权存证 DEMO-{n + 1:04d}",
            }
        )
        try:
            registration = await ip.create(session, DEMO, data)
        except (ip.Unregistrable, Conflict):
            continue  # e.g. a purchased source without its contract: the next one
        n += 1
        granted = n <= IP_GRANTED
        await ip.examine_accept(
            session, DEMO, registration.id, None, no_notice if granted else settings
        )
        if not granted:
            continue
        await ip.grant(session, DEMO, registration.id, None, settings)
        if n == 1:
            today = shanghai_today()
            ends = today + timedelta(days=365)
            await ip.license(
                session,
                DEMO,
                registration.id,
                LicenceCreate(
                    licensee_name="宁波港航数据服务有限公司",
                    scope="航运指数研究",
                    exclusive=False,
                    starts_on=today,
                    ends_on=ends,
                ),
                None,
                settings,
            )
            await ip.pledge(
                session,
                DEMO,
                registration.id,
                PledgeCreate(
                    pledgee_name="杭州银行股份有限公司",
                    secured_amount="3000000.00",
                    starts_on=today,
                    ends_on=ends,
                ),
                None,
                settings,
            )
            # The bank is no merchant here: the registry confirms, having seen the contract.
            [applied] = await ip_rows.pledges(session, registration.id)
            await ip.confirm(session, DEMO, registration.id, applied.id, None, settings)
    return n
