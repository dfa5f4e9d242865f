"""`GET /v1/stats/overview`: the exchange at a glance, for auditors and operators."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.core.money import cents
from app.core.regions import city_name
from app.stats import repository
from app.web.auth import StaffRead
from app.web.deps import AppSettings, ReadSession
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
