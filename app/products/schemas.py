"""Data products as the API reads and writes them (DOMAIN.md, Data products)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.pagination import Page
from app.core.text import Name


class ProductType(StrEnum):
    """数据集, 数据接口, 数据模型, 算法应用, 分析与可视化报告, AI 生成内容/智能数据产品."""

    dataset = "dataset"
    data_api = "data_api"
    data_model = "data_model"
    algorithm = "algorithm"
    report = "report"
    ai_content = "ai_content"


class Domain(StrEnum):
    """Application scenarios of the 实施意见."""

    industrial_manufacturing = "industrial_manufacturing"
    commerce_trade = "commerce_trade"
    finance = "finance"
    sci_tech = "sci_tech"
    culture_tourism = "culture_tourism"
    healthcare = "healthcare"
    city_governance = "city_governance"
    transport = "transport"
    agriculture = "agriculture"
    ecology_carbon = "ecology_carbon"
    education = "education"
    public_services = "public_services"


class SourceKind(StrEnum):
    """Legal basis of a data source.

    自有自采, 个人授权, 购买, 公共数据授权运营 (needs a reference), 公开数据,
    协议获取 (needs the agreement's end date).
    """

    self_collected = "self_collected"
    user_authorized = "user_authorized"
    purchased = "purchased"
    public_authorized = "public_authorized"
    open_public = "open_public"
    partner_agreement = "partner_agreement"


class Classification(StrEnum):
    """GB/T 43697-2024: 一般数据 (levels 1–4), 重要数据, 核心数据."""

    general = "general"
    important = "important"
    core = "core"


class PersonalInfoBasis(StrEnum):
    consent = "consent"
    separate_consent = "separate_consent"
    anonymized = "anonymized"
    contract = "contract"


class DeliveryMode(StrEnum):
    """接口调用, 文件下载, 数据沙箱, 隐私计算, 可信数据空间, 报告交付."""

    api = "api"
    file_download = "file_download"
    sandbox = "sandbox"
    privacy_computing = "privacy_computing"
    data_space = "data_space"
    report = "report"


class UpdateFrequency(StrEnum):
    realtime = "realtime"
    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"
    irregular = "irregular"
    once = "once"


class ProductStatus(StrEnum):
    draft = "draft"
    active = "active"
    retired = "retired"


# Which status a product may move to from each status.
STATUS_STEPS: dict[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.draft: frozenset({ProductStatus.active, ProductStatus.retired}),
    ProductStatus.active: frozenset({ProductStatus.retired}),
    ProductStatus.retired: frozenset({ProductStatus.active}),
}

Tag = Annotated[str, Field(min_length=1, max_length=50)]


class DataSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    description: Annotated[str, Field(max_length=1000)] = ""
    reference: Annotated[
        str | None,
        Field(
            max_length=500, description="Authorisation or agreement reference (授权文号/协议编号)."
        ),
    ] = None
    agreement_ends_on: date | None = None


class _ProductFields(BaseModel):
    """Fields a product shares between create and update, with their limits."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("domains", "delivery_modes", "tags", mode="after", check_fields=False)
    @classmethod
    def _dedupe(cls, value: list[Any] | None) -> list[Any] | None:
        return None if value is None else list(dict.fromkeys(value))


Description = Annotated[str, Field(max_length=10_000)]
Domains = Annotated[list[Domain], Field(min_length=1, max_length=12)]
Sources = Annotated[list[DataSource], Field(max_length=20)]
Level = Annotated[int, Field(ge=1, le=4, description="Sub-level of general data (一般数据 1–4).")]
Persons = Annotated[int, Field(ge=0, le=10_000_000_000)]
Reference = Annotated[str, Field(max_length=200)]
Modes = Annotated[list[DeliveryMode], Field(max_length=6)]
Tags = Annotated[list[Tag], Field(max_length=30)]
SCHEMA_MAX_DEPTH = 32


def _shallow(doc: dict[str, Any]) -> dict[str, Any]:
    """A schema document nested at most SCHEMA_MAX_DEPTH deep (objects and arrays): deeper
    is no description of a data set, and would exhaust the recursion of whatever reads it."""
    level: list[Any] = [doc]
    for _ in range(SCHEMA_MAX_DEPTH):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return doc
    raise ValueError(f"is nested more than {SCHEMA_MAX_DEPTH} levels deep")


SchemaDoc = Annotated[
    dict[str, Any],
    Field(description="A free description of the data's structure (columns, types, keys …)."),
    AfterValidator(_shallow),
]
ServiceLevel = Annotated[str, Field(max_length=500, description="Declared service level (SLA).")]


class ProductCreate(_ProductFields):
    merchant_id: UUID | None = Field(
        default=None, description="Operators name the merchant; a merchant key creates its own."
    )
    name: Name
    description: Description = ""
    product_type: ProductType
    domains: Domains
    data_sources: Sources = Field(default_factory=list)
    classification: Classification = Classification.general
    classification_level: Level | None = None
    contains_personal_info: bool = False
    sensitive_personal_info: bool = False
    personal_info_basis: PersonalInfoBasis | None = None
    persons_count: Persons | None = None
    cross_border: bool = False
    cross_border_assessment_ref: Reference | None = None
    update_frequency: UpdateFrequency | None = None
    coverage_start: date | None = None
    coverage_end: date | None = None
    delivery_modes: Modes = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    data_schema: SchemaDoc | None = Field(default=None, alias="schema")
    service_level: ServiceLevel | None = None
    data_as_of: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProductCreate:
        _check_consistency(self)
        return self


class ProductUpdate(_ProductFields):
    """A partial update: the fields sent change, and the product gets a new revision."""

    name: Name | None = None
    description: Description | None = None
    product_type: ProductType | None = None
    domains: Domains | None = None
    data_sources: Sources | None = None
    classification: Classification | None = None
    classification_level: Level | None = None
    contains_personal_info: bool | None = None
    sensitive_personal_info: bool | None = None
    personal_info_basis: PersonalInfoBasis | None = None
    persons_count: Persons | None = None
    cross_border: bool | None = None
    cross_border_assessment_ref: Reference | None = None
    update_frequency: UpdateFrequency | None = None
    coverage_start: date | None = None
    coverage_end: date | None = None
    delivery_modes: Modes | None = None
    tags: Tags | None = None
    data_schema: SchemaDoc | None = Field(default=None, alias="schema")
    service_level: ServiceLevel | None = None
    data_as_of: date | None = None
    status: ProductStatus | None = None


# Fields that may be cleared with null in a PATCH; the others keep a value.
NULLABLE_FIELDS = frozenset(
    {
        "classification_level", "personal_info_basis", "persons_count",
        "cross_border_assessment_ref", "update_frequency", "coverage_start", "coverage_end",
        "data_schema", "service_level", "data_as_of",
    }
)  # fmt: skip


def _check_consistency(product: Any) -> None:
    start, end = product.coverage_start, product.coverage_end
    if start and end and start > end:
        raise ValueError("coverage_start is after coverage_end")
    if product.classification not in (None, Classification.general) and (
        product.classification_level is not None
    ):
        raise ValueError("classification_level applies to general data only")


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: UUID
    merchant_id: UUID
    name: str
    description: str
    product_type: ProductType
    domains: list[Domain]
    data_sources: list[DataSource]
    classification: Classification
    classification_level: int | None
    contains_personal_info: bool
    sensitive_personal_info: bool
    personal_info_basis: PersonalInfoBasis | None
    persons_count: int | None
    cross_border: bool
    cross_border_assessment_ref: str | None
    update_frequency: UpdateFrequency | None
    coverage_start: date | None
    coverage_end: date | None
    delivery_modes: list[DeliveryMode]
    tags: list[str]
    data_schema: dict[str, Any] | None = Field(serialization_alias="schema")
    service_level: str | None
    data_as_of: date | None
    status: ProductStatus
    revision: int
    # Read from the same attribute as `revision` (a row or an ORM object has no `version`).
    version: int = Field(
        validation_alias="revision", description="Equal to `revision`; the ETag names it."
    )
    created_at: datetime
    updated_at: datetime


class Facets(BaseModel):
    """Counts over the whole result set, not just the page."""

    product_type: dict[str, int]
    domain: dict[str, int]
    classification: dict[str, int]
    venue: dict[str, int] = Field(description="Matching products listed at each venue.")


class ProductPage(Page[ProductOut]):
    facets: Facets | None = None


class RevisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    product_id: UUID
    changes: dict[str, Any] = Field(description="Each changed field: [before, after].")
    snapshot: dict[str, Any] = Field(description="The whole product as of this revision.")
    actor_key_id: UUID | None
    actor_role: str | None
    request_id: str | None
    created_at: datetime
