"""What `GET /v1/merchants/{id}/firsts` answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

FirstKind = Literal[
    "registered", "ip_registered", "listed", "traded", "valued", "capitalised", "certified"
]


class FirstRecord(BaseModel):
    type: str = Field(
        description="`merchant`, `ip_registration`, `listing`, `trade`, `assessment`, "
        "`data_asset` or `certification`."
    )
    id: UUID | str


class FirstOut(BaseModel):
    kind: FirstKind
    label: str = Field(description="The policy's name of the first, e.g. 首交易.")
    date: dt.date = Field(description="Its day, Asia/Shanghai.")
    record: FirstRecord
    log: str | None = Field(
        None,
        description="The ledger log holding the record's leaf (a venue's code, `IPR`, "
        "`FIN`); absent when the record is no leaf.",
    )
    leaf_index: int | None = Field(None, description="The leaf's index in `log`.")
    checkpoint_size: int | None = Field(
        None,
        description="The log's size when read: prove the leaf's inclusion in the checkpoint "
        "of this size or a later one (`shushang-audit`, the SDK's `ledger.verify_leaf`).",
    )


class FirstsOut(BaseModel):
    merchant_id: UUID
    items: list[FirstOut]
