"""API keys as the API shows them; the token itself only once, at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.roles import Role
from app.core.text import Name


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: Annotated[Name, Field(examples=["杭州某数商 ERP 对接"])]
    merchant_id: UUID | None = Field(default=None, description="Required for the merchant role.")

    @model_validator(mode="after")
    def _merchant_for_merchant_role(self) -> ApiKeyCreate:
        if self.role is Role.merchant and self.merchant_id is None:
            raise ValueError("a merchant key needs merchant_id")
        if self.role is not Role.merchant and self.merchant_id is not None:
            raise ValueError("only a merchant key has a merchant_id")
        return self


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    role: Role
    name: str
    merchant_id: UUID | None
    token_prefix: str = Field(description="The first characters of the token, to tell keys apart.")
    created_at: datetime
    created_by_key_id: UUID | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The secret. Shown this once; only its hash is stored.")


class MeMerchant(BaseModel):
    id: UUID
    name: str


class MeOut(BaseModel):
    """The caller as its key speaks for it."""

    key_id: UUID
    role: Role
    name: str = Field(description="The key's name.")
    merchant: MeMerchant | None = Field(description="The merchant of a merchant key, else null.")
