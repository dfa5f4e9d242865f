"""Merchant as the API reads and writes it: categories, tier, certifications."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    computed_field,
    field_validator,
    model_validator,
)

from app.core.clock import shanghai_today
from app.core.pagination import Page
from app.core.regions import RegionCode, city_name, city_of
from app.core.text import Name
from app.merchants.certifications import Scheme, has_levels, level_name
from app.merchants.uscc import compact


class Category(StrEnum):
    """Business categories of the 实施意见.

    数据技术服务, 数据产品开发, 数据流通服务, 数据安全服务, 数据平台运营服务.
    """

    data_technology = "data_technology"
    data_product = "data_product"
    data_circulation = "data_circulation"
    data_security = "data_security"
    data_platform = "data_platform"


class ThirdPartyRole(StrEnum):
    """Third-party roles under 所商分离: assessor 评估, broker 数据经纪, delivery 数据交付."""

    assessor = "assessor"
    broker = "broker"
    delivery = "delivery"


class Tier(StrEnum):
    """领军型 leading, 成长型 growth."""

    leading = "leading"
    growth = "growth"


UsccInput = Annotated[
    str,
    Field(
        min_length=18,
        max_length=40,
        description="统一社会信用代码, 18 characters; spaces and hyphens are ignored.",
        examples=["91330106MA2GL1RQ51"],
    ),
]


class CertificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheme: Scheme
    level: Annotated[int | None, Field(ge=1, le=5)] = None
    valid_until: date
    issued_on: date | None = None
    certificate_number: Annotated[str | None, Field(max_length=100)] = None

    @model_validator(mode="after")
    def _level_fits_scheme(self) -> CertificationIn:
        if has_levels(self.scheme) and self.level is None:
            raise ValueError(f"{self.scheme} needs a level from 1 to 5")
        if not has_levels(self.scheme) and self.level is not None:
            raise ValueError(f"{self.scheme} has no levels")
        if self.issued_on and self.issued_on > self.valid_until:
            raise ValueError("issued_on is after valid_until")
        return self


class CertificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    scheme: Scheme
    level: int | None
    valid_until: date
    issued_on: date | None
    certificate_number: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level_name(self) -> str | None:
        names = level_name(self.scheme, self.level)
        return names[0] if names else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level_name_en(self) -> str | None:
        names = level_name(self.scheme, self.level)
        return names[1] if names else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def valid(self) -> bool:
        """Still in force today (Asia/Shanghai)."""
        return self.valid_until >= shanghai_today()


def _unique(values: list[StrEnum]) -> list[StrEnum]:
    return list(dict.fromkeys(values))


class _MerchantFields(BaseModel):
    @field_validator("uscc", mode="before", check_fields=False)
    @classmethod
    def _compact_uscc(cls, value: object) -> object:
        return compact(value) if isinstance(value, str) else value

    @field_validator("categories", "third_party_roles", mode="after", check_fields=False)
    @classmethod
    def _dedupe(cls, value: list[StrEnum] | None) -> list[StrEnum] | None:
        return None if value is None else _unique(value)


class MerchantCreate(_MerchantFields):
    model_config = ConfigDict(extra="forbid")

    name: Name
    uscc: UsccInput
    uscc_override_reason: Annotated[
        str | None,
        Field(
            min_length=5,
            max_length=1000,
            description="Operator only: registers a USCC whose check character is wrong "
            "(some early codes were issued so). Kept and audited.",
        ),
    ] = None
    region_code: RegionCode
    categories: Annotated[list[Category], Field(max_length=5)] = Field(default_factory=list)
    third_party_roles: Annotated[list[ThirdPartyRole], Field(max_length=3)] = Field(
        default_factory=list
    )
    tier: Tier | None = None
    certifications: Annotated[list[CertificationIn], Field(max_length=50)] = Field(
        default_factory=list
    )
    contact_email: EmailStr
    website: HttpUrl | None = None
    description: Annotated[str | None, Field(max_length=5000)] = None


class MerchantUpdate(_MerchantFields):
    """A partial update: only the fields sent change. `certifications` replaces the list."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    uscc: UsccInput | None = None
    uscc_override_reason: Annotated[str | None, Field(min_length=5, max_length=1000)] = None
    region_code: RegionCode | None = None
    categories: Annotated[list[Category] | None, Field(max_length=5)] = None
    third_party_roles: Annotated[list[ThirdPartyRole] | None, Field(max_length=3)] = None
    tier: Tier | None = None
    certifications: Annotated[list[CertificationIn] | None, Field(max_length=50)] = None
    contact_email: EmailStr | None = None
    website: HttpUrl | None = None
    description: Annotated[str | None, Field(max_length=5000)] = None


# What a merchant may change of its own record; the rest is the operator's to set.
SELF_SERVICE_FIELDS = frozenset({"contact_email", "website", "description"})
# Fields that may be cleared with null in a PATCH.
NULLABLE_FIELDS = frozenset({"tier", "website", "description", "uscc_override_reason"})


class _Profile(BaseModel):
    """What anyone may read of a merchant (the public directory)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    uscc: str
    region_code: str
    categories: list[Category]
    third_party_roles: list[ThirdPartyRole]
    tier: Tier | None
    certifications: list[CertificationOut]
    listed_product_count: int = Field(
        description="Products of the merchant listed on some venue now."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def city_code(self) -> str:
        return city_of(self.region_code)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def city_name(self) -> str | None:
        """The Zhejiang city (e.g. 杭州市), or null outside Zhejiang."""
        return city_name(self.region_code)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def zhejiang(self) -> bool:
        """A 浙江数商: registered in a region whose code starts with 33."""
        return self.region_code.startswith("33")


class MerchantPublic(_Profile):
    """The public profile, for anyone but operators, auditors and the merchant itself."""

    profile: Literal["public"] = Field(
        default="public", description="`public`: the directory's fields only."
    )


class MerchantOut(_Profile):
    """The whole record, for operators, auditors and the merchant itself."""

    profile: Literal["full"] = Field(default="full", description="`full`: the whole record.")
    uscc_override_reason: str | None
    contact_email: str
    website: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    version: int


# A merchant as a read shows it to the caller: `profile` says which shape it is.
MerchantView = Annotated[MerchantOut | MerchantPublic, Field(discriminator="profile")]


class MerchantPage(Page[MerchantView]):
    """A page of the directory: each merchant as the caller may see it (`profile`)."""
