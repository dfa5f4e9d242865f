"""`GET /v1/stats/overview`: the exchange at a glance, for auditors and operators;
`GET /v1/stats/policy`: the policy dashboard, public, aggregated (app/stats/policy.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.core.clock import QueryMonth
from app.core.money import cents
from app.core.regions import city_name
from app.stats import policy, repository
from app.stats.schemas import PolicyFigures
from app.web.auth import StaffRead
from app.web.deps import AppSettings, PublicReadSession, ReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/stats", tags=["stats"], route_class=ReplicaAwareRoute)


class CityCount(BaseModel):
    city_code: str
    city_name: str | None = Field(description="For Zhejiang cities; null elsewhere.")
    by_tier: dict[str, int] = Field(description="`leading`, `growth`, and `none` for no tier.")
    total: int


class VenueCount(BaseModel):
    venue_code: str
    listed_products: int


class Turnover(BaseModel):
    trades: int
    turnover: str = Field(description="CNY, a decimal string.")


class VenueMonth(BaseModel):
    venue_code: str
    month: str = Field(description="YYYY-MM, Asia/Shanghai.")
    on_venue: Turnover = Field(description="场内")
    off_venue: Turnover = Field(description="场外")


class Overview(BaseModel):
    merchants_by_city: list[CityCount]
    listed_products_by_venue: list[VenueCount]
    turnover_by_venue_and_month: list[VenueMonth] = Field(
        description="Trades that count: confirmed (an off-venue trade a merchant reported "
        "counts once confirmed; one above `SHUSHANG_LARGE_TRADE_AMOUNT` once an operator "
        "confirmed it), cancelled and refunded ones left out."
    )


@router.get("/overview", response_model=Overview, responses=errors(401, 403))
async def overview(session: ReadSession, who: StaffRead, settings: AppSettings) -> Overview:
    """Merchants by city and tier, listed products by venue, and turnover and trade counts
    by venue and month, on-venue (场内) and off-venue (场外)."""
    cities: dict[str, CityCount] = {}
    for code, tier, n in await repository.merchants_by_city_and_tier(session):
        entry = cities.setdefault(
            code, CityCount(city_code=code, city_name=city_name(code), by_tier={}, total=0)
        )
        entry.by_tier[tier or "none"] = n
        entry.total += n
    venues = [
        VenueCount(venue_code=code, listed_products=n)
        for code, n in await repository.listed_products_by_venue(session)
    ]
    months: dict[tuple[str, str], VenueMonth] = {}
    turnover = await repository.turnover_by_venue_and_month(session, settings.large_trade_amount)
    for venue, month, on_venue, n, total in turnover:
        row = months.setdefault(
            (venue, month),
            VenueMonth(
                venue_code=venue,
                month=month,
                on_venue=Turnover(trades=0, turnover="0.00"),
                off_venue=Turnover(trades=0, turnover="0.00"),
            ),
        )
        part = Turnover(trades=n, turnover=cents(total))
        if on_venue:
            row.on_venue = part
        else:
            row.off_venue = part
    return Overview(
        merchants_by_city=list(cities.values()),
        listed_products_by_venue=venues,
        turnover_by_venue_and_month=list(months.values()),
    )


@router.get(
    "/policy",
    response_model=PolicyFigures,
    response_model_exclude_none=False,
    responses=errors(422),
)
async def policy_figures(
    session: PublicReadSession,
    settings: AppSettings,
    from_: Annotated[
        QueryMonth | None,
        Query(alias="from", description="First month, `YYYY-MM`; default: 11 months before `to`."),
    ] = None,
    to: Annotated[
        QueryMonth | None,
        Query(description="Last month, `YYYY-MM`, at most 120 months on; default: this month."),
    ] = None,
    region_code: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{6}$",
            description="A province (`330000`) or a city (`330100`), GB/T 2260; not a county: "
            "the figures are by city.",
        ),
    ] = None,
) -> PolicyFigures:
    """The policy dashboard, public: firsts by city and month, the cumulative data-IP
    registrations against the target, the on-venue share of turnover (场内占比) by city and
    month, and programme spend against budgets. Aggregated figures only: a cell behind which
    fewer than 3 distinct merchants (and more than none) stand is `{value: null, suppressed:
    true}`, and no total is given from which a hidden cell could be subtracted out (every
    cell is a whole city and month, whatever the window and region asked)."""
    asked = policy.query(from_, to, region_code)
    return await policy.figures(
        session,
        asked,
        large_amount=settings.large_trade_amount,
        target=settings.ip_registration_target,
    )
