"""The data-asset journal and the merchant's chart of accounts as the API carries them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from app.assets.journal import DEFAULT_CHART, WORD
from app.assets.schemas import Money
from app.core.text import printable

# Only the default codes of DOMAIN.md may be mapped (any other key: 422).
DefaultCode = Annotated[
    str,
    Field(
        pattern="^(" + "|".join(sorted(DEFAULT_CHART)) + ")$",
        description="One of the journal's default account codes.",
    ),
]
AccountCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$",
        description="The merchant's account code: letters, digits, `.`, `_`, `-`.",
        examples=["170101"],
    ),
]
AccountName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(printable)]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: AccountCode
    name: AccountName


class AccountsChange(RootModel[dict[DefaultCode, AccountIn]]):
    """The whole mapping, default code → the merchant's account; codes left out keep their
    defaults (`{}` restores the default chart)."""


class AccountOut(BaseModel):
    default_code: str
    default_name: str
    code: str
    name: str
    mapped: bool


class Accounts(BaseModel):
    merchant_id: UUID
    accounts: list[AccountOut]


class JournalLine(BaseModel):
    account_code: str
    account_name: str
    debit: Money
    credit: Money


class JournalVoucher(BaseModel):
    date: dt.date
    word: str = Field(default=WORD, description="凭证字: 记 (记账凭证).")
    number: int = Field(description="凭证号: 1, 2, … per merchant and calendar month.")
    summary: str = Field(description="摘要.")
    lines: list[JournalLine]
    entry_type: str = Field(
        description="What the voucher records: `cost_item`, a movement's name, "
        "`amortisation`, `research_transfer` or `restatement` (a correction of closed months, "
        "in the first month open when it was recorded; profit and loss on 6901)."
    )
    entry_id: UUID | None = Field(description="The cost item, movement or restatement recorded.")
    leaf_index: int | None = Field(description="Its leaf in the `FIN` log.")
    asset_id: UUID | None


class Journal(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    merchant_id: UUID
    from_: str = Field(alias="from")
    to: str
    vouchers: list[JournalVoucher]
    debit_total: Money
    credit_total: Money
