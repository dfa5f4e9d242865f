"""The policy dashboard's body (`GET /v1/stats/policy`): cells that may be suppressed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_SUPPRESSED = (
    "True when fewer than 3 distinct merchants (and more than none) stand behind the figure: "
    "`value` and `merchants` are then null."
)
_MERCHANTS = "Distinct merchants behind the figure; null when suppressed."


class CountCell(BaseModel):
    value: int | None = Field(description="Null when suppressed.")
    suppressed: bool = Field(description=_SUPPRESSED)
    merchants: int | None = Field(default=None, description=_MERCHANTS)


class RatioCell(BaseModel):
    value: str | None = Field(
        description="A decimal string with 4 places (0.0000 … 1.0000, half-up); null when "
        "suppressed.",
        examples=["0.4231"],
    )
    suppressed: bool = Field(description=_SUPPRESSED)
    merchants: int | None = Field(default=None, description=_MERCHANTS)


class MoneyCell(BaseModel):
    value: str | None = Field(description="CNY, a decimal string; null when suppressed.")
    suppressed: bool = Field(description=_SUPPRESSED)
    merchants: int | None = Field(default=None, description=_MERCHANTS)


class FirstsCell(BaseModel):
    kind: str = Field(description="The first: `registered`, `ip_registered`, `listed`, …")
    city_code: str = Field(description="The merchant's city, `xxxx00` (GB/T 2260).")
    city_name: str | None = Field(description="For Zhejiang cities; null elsewhere.")
    month: str = Field(description="YYYY-MM, Asia/Shanghai: the month of the first's date.")
    count: CountCell = Field(description="Merchants whose first of this kind fell here.")


class IpMonth(BaseModel):
    month: str = Field(description="YYYY-MM, Asia/Shanghai.")
    registrations: CountCell = Field(
        description="Registrations granted up to the month's end, since the registry began."
    )
    share_of_target: RatioCell = Field(description="`registrations` / `target`.")


class IpRegistrations(BaseModel):
    target: int = Field(description="`SHUSHANG_IP_REGISTRATION_TARGET` (数据知识产权登记数).")
    months: list[IpMonth]


class ShareCell(BaseModel):
    city_code: str = Field(description="The seller's city, `xxxx00` (GB/T 2260).")
    city_name: str | None = Field(description="For Zhejiang cities; null elsewhere.")
    month: str = Field(description="YYYY-MM, Asia/Shanghai: the month the trades occurred.")
    share: RatioCell = Field(
        description="On-venue turnover / all turnover of the trades that count (场内占比); "
        "`merchants` are the distinct sellers."
    )


class ProgrammeSpend(BaseModel):
    code: str
    name: str
    budget: str = Field(description="CNY, a decimal string.")
    used: MoneyCell = Field(
        description="Claims approved and paid; `merchants` are the distinct claimants."
    )


class PolicyFigures(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from", description="First month.")
    to: str = Field(description="Last month, YYYY-MM.")
    region_code: str | None = Field(description="The province or city asked, if any.")
    threshold: int = Field(description="A cell of fewer distinct merchants is suppressed.")
    firsts_by_city_month: list[FirstsCell] = Field(
        description="Cells with at least one first; a cell not listed is zero."
    )
    ip_registrations_cumulative: IpRegistrations = Field(
        description="The registry's cumulative data-IP registrations, every month of the "
        "window (not cut by `region_code`: the target is the registry's). A month is shown "
        "when the grants since the last month shown come from 0 or at least 3 holders."
    )
    on_venue_share_by_city_month: list[ShareCell] = Field(
        description="Cells with a trade that counts; a cell not listed had none."
    )
    programmes: list[ProgrammeSpend] = Field(
        description="Programmes whose window meets the months asked and whose regions meet "
        "`region_code`."
    )
