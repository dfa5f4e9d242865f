"""Catalog cards as a front end shows them: a listing with what a catalog page needs of its
product, merchant, quality grade, compliance result and IP certificate, in one object."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.ip.states import IpStatus
from app.listings.schemas import PriceOut
from app.merchants.schemas import Tier
from app.products.schemas import DeliveryMode, Domain, ProductOut, ProductType, UpdateFrequency

# How much of a description a card shows.
EXCERPT_CHARS = 120


class CatalogSort(StrEnum):
    """`relevance`: best match of `q` first (without `q`, as `newest`); `newest`: latest
    listed first; `price_asc`, `price_desc`: by price amount, negotiable prices last."""

    relevance = "relevance"
    newest = "newest"
    price_asc = "price_asc"
    price_desc = "price_desc"


class CardListing(BaseModel):
    id: UUID
    venue_code: str
    venue_name: str
    price: PriceOut
    listed_at: datetime | None


class CardProduct(BaseModel):
    id: UUID
    name: str
    description_excerpt: str = Field(
        description=f"The description's first {EXCERPT_CHARS} characters, `…` when cut."
    )
    product_type: ProductType
    domains: list[Domain]
    tags: list[str]
    data_as_of: date | None
    update_frequency: UpdateFrequency | None
    delivery_modes: list[DeliveryMode]


class CardMerchant(BaseModel):
    id: UUID
    name: str
    region_code: str
    city_name: str | None = Field(description="The Zhejiang city (e.g. 杭州市), or null.")
    tier: Tier | None


class CardQuality(BaseModel):
    """The newest quality assessment of the product's current revision by an independent
    assessor (所商分离): never a merchant's self-check, nor the operator's own."""

    grade: str
    overall: Decimal = Field(description="0–100, two decimals.")
    assessed_at: datetime


class CardCompliance(BaseModel):
    """The compliance result at this listing's venue: of the newest compliance assessment of
    the product's current revision that covered the venue, by an assessor or the operator
    (the one the listing gates accept; never a self-check)."""

    result: str = Field(description="`pass` or `conditional` (a `fail` is never listed).")
    assessed_at: datetime


class CardCertificate(BaseModel):
    """The product's data IP certificate (数据知识产权登记证书) in force today, held by the
    product's merchant; a card without one shows none."""

    number: str
    status: IpStatus = Field(description="`registered` while in force; else why not.")
    valid_until: date | None


class CatalogCard(BaseModel):
    listing: CardListing
    product: CardProduct
    merchant: CardMerchant
    quality: CardQuality | None
    compliance: CardCompliance | None
    certificate: CardCertificate | None


class CatalogFacets(BaseModel):
    """Counts of cards over every match, not just the page; keys sorted."""

    product_type: dict[str, int]
    domain: dict[str, int]
    venue_code: dict[str, int]
    region: dict[str, int] = Field(
        description="By the merchant's city: 4-digit region prefixes (`3301` 杭州), usable as "
        "the `region` filter."
    )


class CatalogPage(Page[CatalogCard]):
    facets: CatalogFacets | None = None


class OtherListing(BaseModel):
    """Another venue where the same product is listed now."""

    id: UUID
    venue_code: str
    venue_name: str
    price: PriceOut
    listed_at: datetime | None
    compliance: CardCompliance | None


class CatalogProductPage(BaseModel):
    """A product page in one response: the listing's card, the product in full (as anonymous
    callers read it at `/v1/products/{id}`), and the product's other listed listings."""

    card: CatalogCard
    product: ProductOut
    other_listings: list[OtherListing] = Field(description="By venue code.")
