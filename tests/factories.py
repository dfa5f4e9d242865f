"""Plain async factories: each test says what it builds."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as keys
from app.core.roles import Role
from app.merchants.models import Certification, Merchant
from app.merchants.uscc import ALPHABET, check_character

_serial = itertools.count(1)


def valid_uscc(seed: int | None = None, region: str = "330106", authority: str = "9") -> str:
    """A USCC with a correct check character: authority, type 1, region, organisation code."""
    rng = random.Random(seed if seed is not None else next(_serial) * 7919)
    org = "".join(rng.choice(ALPHABET) for _ in range(9))
    body = f"{authority}1{region}{org}"
    return body + check_character(body)


def wrong_check(code: str) -> str:
    """The same code with a check character that is wrong."""
    right = code[-1]
    other = next(c for c in ALPHABET if c != right)
    return code[:-1] + other


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def idempotent(headers: dict[str, str]) -> dict[str, str]:
    """`headers` for one step that changes money or title (app/web/idempotency.py): with a
    fresh Idempotency-Key, unless they carry one (or an If-Match) already."""
    if "Idempotency-Key" in headers or "If-Match" in headers:
        return headers
    return {**headers, "Idempotency-Key": str(uuid4())}


async def make_key(
    session: AsyncSession, role: Role, merchant_id: UUID | None = None, name: str = "test key"
) -> str:
    _, token = await keys.create(session, None, role, name, merchant_id)
    await session.commit()
    return token


async def make_merchant(session: AsyncSession, **fields: Any) -> Merchant:
    certifications = fields.pop("certifications", [])
    values: dict[str, Any] = {
        "name": f"测试数商{next(_serial)}有限公司",
        "uscc": valid_uscc(),
        "region_code": "330106",
        "categories": ["data_product"],
        "third_party_roles": [],
        "tier": None,
        "contact_email": "contact@example.cn",
    }
    values.update(fields)
    merchant = Merchant(
        **values,
        certifications=[
            Certification(
                scheme=c["scheme"],
                level=c.get("level"),
                valid_until=c.get("valid_until", date.today() + timedelta(days=365)),
            )
            for c in certifications
        ],
    )
    session.add(merchant)
    await session.commit()
    return merchant


def merchant_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"浙江测试数据科技有限公司{next(_serial)}",
        "uscc": valid_uscc(),
        "region_code": "330106",
        "categories": ["data_product", "data_technology"],
        "tier": "growth",
        "certifications": [{"scheme": "DCMM", "level": 3, "valid_until": "2029-12-31"}],
        "contact_email": "bd@example.cn",
    }
    body.update(fields)
    return body


def product_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"杭州市企业画像数据集{next(_serial)}",
        "description": "覆盖杭州市规上企业的工商、纳税与用电数据，按月更新。",
        "product_type": "dataset",
        "domains": ["commerce_trade"],
        "data_sources": [{"kind": "self_collected", "description": "自有平台采集"}],
        "classification": "general",
        "classification_level": 2,
        "delivery_modes": ["api"],
        "tags": ["企业", "画像"],
        "update_frequency": "monthly",
    }
    body.update(fields)
    return body


async def make_product(session: AsyncSession, merchant: Merchant, **fields: Any) -> Any:
    """A product made through the service, as the API would (revision 1, search text)."""
    from app.core.principal import Principal
    from app.products import service
    from app.products.schemas import ProductCreate

    operator = Principal(key_id=UUID(int=0), role=Role.operator, merchant_id=None, name="factory")
    data = ProductCreate.model_validate({**product_body(**fields), "merchant_id": str(merchant.id)})
    product = await service.create(session, operator, data)
    await session.commit()
    return product
