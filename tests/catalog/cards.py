"""Building catalog cards fast: a product with its assessments, a listed listing, and a data
IP certificate, written as rows (what the listing and IP flows would have left behind; those
flows have tests of their own)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.core.db import utcnow
from app.ip.models import IpRegistration
from app.listings.models import Listing
from app.merchants.models import Merchant
from app.products.models import Product
from tests.factories import make_product

_serial = iter(range(1, 10_000_000))


def assessment(product: Product, kind: str, role: str = "assessor", **fields: Any) -> Assessment:
    values: dict[str, Any] = {
        "kind": kind,
        "product_id": product.id,
        "product_revision": product.revision,
        "rules_version": "test",
        "self_check": role == "merchant",
        "actor_role": role,
        "inputs": {},
        "result": {},
        "duration_ms": 1,
    }
    values.update(fields)
    return Assessment(**values)


def quality(product: Product, grade: str, overall: str, role: str = "assessor") -> Assessment:
    return assessment(product, "quality", role, grade=grade, overall=Decimal(overall))


def compliance(product: Product, results: dict[str, str], role: str = "assessor") -> Assessment:
    return assessment(
        product,
        "compliance",
        role,
        venue_results=results,
        compliance_result=max(results.values(), key=["pass", "conditional", "fail"].index),
    )


def certificate(
    product: Product, status: str = "registered", valid_until: date | None = None
) -> IpRegistration:
    serial = next(_serial)
    return IpRegistration(
        product_id=product.id,
        applicant_merchant_id=product.merchant_id,
        holder_merchant_id=product.merchant_id,
        data_name=product.name,
        domain=product.domains[0],
        sources=[],
        scale="100 万条",
        data_format="CSV",
        structure="表",
        update_frequency="每月",
        processing_rules="清洗",
        application_scenarios=["风控"],
        evidence_digest="ab" * 32,
        status=status,
        certificate_number=f"2026113300{serial:07d}",
        granted_on=date.today() - timedelta(days=10),
        valid_until=valid_until or date.today() + timedelta(days=3 * 365),
    )


def listing(
    product: Product,
    venue: str = "HZDEX",
    price: str | None = "12000.00",
    status: str = "listed",
    listed_at: datetime | None = None,
) -> Listing:
    return Listing(
        product_id=product.id,
        venue_code=venue,
        merchant_id=product.merchant_id,
        status=status,
        price_model="one_time" if price is not None else "negotiable",
        price_amount=Decimal(price) if price is not None else None,
        listed_at=listed_at or utcnow(),
    )


async def make_card(
    session: AsyncSession,
    merchant: Merchant,
    *,
    venue: str = "HZDEX",
    price: str | None = "12000.00",
    grade: tuple[str, str] | None = ("A", "92.50"),
    compliant: str = "pass",
    certified: bool = False,
    listed_at: datetime | None = None,
    **product_fields: Any,
) -> tuple[Product, UUID]:
    """A listed listing at `venue`, its product assessed by an assessor; its listing id."""
    product = await make_product(session, merchant, **product_fields)
    rows: list[Any] = [compliance(product, {venue: compliant})]
    if grade is not None:
        rows.append(quality(product, *grade))
    if certified:
        rows.append(certificate(product))
    made = listing(product, venue, price, listed_at=listed_at)
    session.add_all([*rows, made])
    await session.commit()
    return product, made.id
