"""The listing gates (DOMAIN.md, Listing): what a product needs before a venue lists it.

The product is active; its current revision has, each by an assessor or an operator (not
a self-check) and at most 180 days old, a compliance assessment that is not `fail` for the
venue, a quality assessment and a valuation; and that compliance assessment applied the
venue's negative list as it stands now, without a hit. Every unmet gate is named.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments import repository as assessments
from app.core.db import utcnow
from app.core.i18n import Text
from app.products.models import Product
from app.venues.models import Venue

MAX_AGE = timedelta(days=180)


async def unmet(session: AsyncSession, product: Product, venue: Venue) -> list[tuple[str, Text]]:
    since = utcnow() - MAX_AGE
    revision, code = product.revision, venue.code
    missing: list[tuple[str, Text]] = []

    def gap(gate: str, en: str, zh: str) -> None:
        missing.append((gate, Text(en, zh)))

    if product.status != "active":
        gap(
            "product_active",
            f"the product is {product.status}, not active",
            f"产品状态为 {product.status},不是 active",
        )
    compliance = await assessments.latest_qualifying(
        session, product.id, "compliance", revision, since, code
    )
    if compliance is None:
        gap(
            "compliance_assessment",
            f"no compliance assessment of revision {revision} covering {code} by an assessor "
            "in the last 180 days",
            f"缺少近 180 天内由评估机构对第 {revision} 版、覆盖 {code} 的合规评估",
        )
    else:
        at_venue = compliance.result["venues"][code]
        if at_venue["result"] == "fail":
            gap(
                "compliance_assessment",
                f"the latest compliance assessment fails at {code}",
                f"最新合规评估在 {code} 的结论为不通过",
            )
        if any(f["code"] == "NEGATIVE_LIST" for f in at_venue["findings"]):
            gap(
                "negative_list",
                f"the product hits {code}'s negative list",
                f"产品命中 {code} 的负面清单",
            )
        elif at_venue["negative_list_version"] != venue.negative_list_version:
            gap(
                "negative_list",
                f"{code}'s negative list changed since the compliance assessment",
                f"{code} 的负面清单在合规评估后已更新",
            )
    for kind, gate, zh_name in (
        ("quality", "quality_assessment", "质量评估"),
        ("valuation", "valuation", "价值评估"),
    ):
        if await assessments.latest_qualifying(session, product.id, kind, revision, since) is None:
            gap(
                gate,
                f"no {kind} assessment of revision {revision} by an assessor in the last 180 days",
                f"缺少近 180 天内由评估机构对第 {revision} 版的{zh_name}",
            )
    return missing
