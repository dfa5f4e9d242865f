"""Product rules: who creates and changes which product, status steps, revisions, search text."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.context import current_request_id
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.pagination import cut, decode_cursor
from app.core.principal import Principal
from app.core.reactions import emit
from app.merchants import service as merchant_rules
from app.outbox import service as outbox
from app.products import repository, search
from app.products.models import Product, ProductRevision
from app.products.reactions import ProductRevised
from app.products.repository import ProductFilter
from app.products.schemas import (
    NULLABLE_FIELDS,
    STATUS_STEPS,
    ProductCreate,
    ProductOut,
    ProductStatus,
    ProductUpdate,
)

PRODUCT = Text("product", "数据产品")
_SEARCHED_FIELDS = frozenset({"name", "description", "tags"})


def _stored(value: Any) -> Any:
    """A validated value as the column stores it (enums as strings, models as dicts)."""
    if isinstance(value, list):
        return [_stored(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, str):  # StrEnum included
        return str(value)
    return value


def _snapshot(product: Product) -> dict[str, Any]:
    data = ProductOut.model_validate(product).model_dump(mode="json", by_alias=True)
    for volatile in ("version", "created_at", "updated_at"):
        data.pop(volatile)
    return data


def _index(product: Product) -> None:
    found = search.vectors(product.name, product.description, product.tags)
    product.search_name = repository.tsvector(found.name)
    product.search_words = repository.tsvector(found.words)
    product.search_pairs = repository.tsvector(found.pairs)


async def _record_revision(
    session: AsyncSession, who: Principal, product: Product, changes: dict[str, Any]
) -> None:
    """Keep the product's new revision; every revision is made through here, so here too
    `ProductRevised` is emitted, in the same transaction: listings suspends the product's
    listed listings (their gates were met by the revision before) and the registry suspends
    the certificates of a product made core data (reactions wired in app/wiring.py).
    `product.revision` is the ORM's version counter: any other write to the row would make a
    revision that skips these, so none may exist."""
    await repository.add_revision(
        session,
        ProductRevision(
            product_id=product.id,
            number=product.revision,
            snapshot=_snapshot(product),
            changes=changes,
            actor_key_id=who.key_id,
            actor_role=who.role.value,
            request_id=current_request_id(),
        ),
    )
    await emit(session, who, ProductRevised(product.id, product.revision, changes))


async def create(session: AsyncSession, who: Principal, data: ProductCreate) -> Product:
    merchant_id = await merchant_rules.owner_of_new(session, who, data.merchant_id, PRODUCT)
    fields = {
        name: _stored(getattr(data, name))
        for name in ProductCreate.model_fields
        if name != "merchant_id"
    }
    product = Product(
        merchant_id=merchant_id,
        **fields,
        status=ProductStatus.draft.value,
    )
    _index(product)
    await repository.add(session, product)
    snapshot_changes = {
        name: [None, v] for name, v in _snapshot(product).items() if v not in (None, [], "")
    }
    await _record_revision(session, who, product, snapshot_changes)
    await audit.record(
        session,
        who,
        "product.create",
        "product",
        product.id,
        {"name": product.name, "merchant_id": str(merchant_id), "revision": product.revision},
    )
    await outbox.emit(
        session,
        "product.created",
        "product",
        product.id,
        [product.merchant_id],
        {"product_id": str(product.id), "name": product.name, "revision": product.revision},
    )
    return product


async def get_visible(session: AsyncSession, who: Principal | None, product_id: UUID) -> Product:
    product = await repository.get_visible(session, product_id, who)
    if product is None:
        raise NotFound.of(PRODUCT, product_id)
    return product


async def get_for_change(session: AsyncSession, who: Principal, product_id: UUID) -> Product:
    """The product if the caller may change it: 404 when unknown, 403 when another's."""
    product = await repository.get(session, product_id)
    if product is None:
        raise NotFound.of(PRODUCT, product_id)
    if not (who.is_operator or who.owns_merchant(product.merchant_id)):
        raise Forbidden(
            Text(
                "You may change only your own merchant's products.", "您只能修改本数商的数据产品。"
            )
        )
    return product


async def update(
    session: AsyncSession,
    who: Principal,
    product_id: UUID,
    data: ProductUpdate,
    if_match: str | None,
) -> Product:
    product = await get_for_change(session, who, product_id)
    check_if_match(if_match, product.revision)
    sent = data.model_fields_set
    for field in sorted(sent):
        if getattr(data, field) is None and field not in NULLABLE_FIELDS:
            raise ValidationFailed.field(["body", field], Text("may not be null", "不能为 null"))

    if "status" in sent and data.status is not None and data.status.value != product.status:
        current = ProductStatus(product.status)
        if data.status not in STATUS_STEPS[current]:
            allowed = ", ".join(sorted(s.value for s in STATUS_STEPS[current]))
            raise Conflict(
                Text(
                    f"A {current.value} product cannot become {data.status.value}; "
                    f"it may become: {allowed}.",
                    f"处于 {current.value} 状态的产品不能变为 {data.status.value};"
                    f"可变为:{allowed}。",
                ),
                current_status=current.value,
                allowed=sorted(s.value for s in STATUS_STEPS[current]),
            )

    before = _snapshot(product)
    for field in sent:
        setattr(product, field, _stored(getattr(data, field)))
    _check_after_change(product)
    after = _snapshot(product)
    changes = {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
    if not changes:
        session.expire(product)
        return await get_for_change(session, who, product_id)
    if sent & _SEARCHED_FIELDS:
        _index(product)
    product.updated_at = utcnow()
    await session.flush()
    await _record_revision(session, who, product, changes)
    await audit.record(
        session,
        who,
        "product.update",
        "product",
        product.id,
        {"revision": product.revision, "changes": sorted(changes)},
    )
    await outbox.emit(
        session,
        "product.revised",
        "product",
        product.id,
        [product.merchant_id],
        {
            "product_id": str(product.id),
            "revision": product.revision,
            "changed": sorted(changes),
            "status": product.status,
        },
    )
    return product


def _check_after_change(product: Product) -> None:
    if product.classification != "general" and product.classification_level is not None:
        raise ValidationFailed.field(
            ["body", "classification_level"],
            Text("applies to general data only", "仅适用于一般数据"),
        )
    if (
        product.coverage_start
        and product.coverage_end
        and product.coverage_start > product.coverage_end
    ):
        raise ValidationFailed.field(
            ["body", "coverage_start"], Text("is after coverage_end", "晚于 coverage_end")
        )


def _parse_cursor(cursor: str | None) -> tuple[int, UUID] | None:
    if cursor is None:
        return None
    tier, product_id = decode_cursor(cursor, int, UUID)
    return tier, product_id


async def search_page(
    session: AsyncSession,
    who: Principal | None,
    where: ProductFilter,
    q: str | None,
    cursor: str | None,
    limit: int,
    with_facets: bool,
) -> tuple[list[Product], str | None, dict[str, dict[str, int]] | None]:
    """A page of the catalog, by relevance tier then newest first (app/products/search.py)."""
    query = search.query(q) if q else None
    if q and query is None:  # only punctuation: nothing can match
        empty: dict[str, dict[str, int]] = {
            "product_type": {},
            "domain": {},
            "classification": {},
            "venue": {},
        }
        return [], None, (empty if with_facets else None)
    where = replace(where, query=query)
    rows = await repository.search_page(session, where, who, _parse_cursor(cursor), limit)
    page, next_cursor = cut(rows, limit, lambda row: [row[1], str(row[0].id)])
    counts = await repository.facets(session, where, who) if with_facets else None
    return [product for product, _ in page], next_cursor, counts
