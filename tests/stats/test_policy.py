"""The policy dashboard `GET /v1/stats/policy` (app/stats/policy.py), public: its figures
equal counts made here straight over the records, a cell of 1 or 2 merchants is hidden,
and no subtraction of one published figure from another (a province and its cities, two
overlapping windows, two months of a running total) gives a hidden cell back."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.roles import Role
from app.merchants.models import Merchant
from tests.factories import auth, idempotent, make_key, make_merchant, make_product
from tests.listings.test_router import Exchange
from tests.programmes.test_programmes import Bureau
from tests.trades.conftest import DIGEST

HIDDEN = {"value": None, "suppressed": True, "merchants": None}
ZHOUSHAN, LISHUI = "330900", "331100"


async def _policy(client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    answer = await client.get("/v1/stats/policy", params=params)  # anonymous
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _trade(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    seller: Merchant,
    buyer: Merchant,
    amount: str,
    when: str,
    **fields: Any,
) -> str:
    made = await client.post(
        "/v1/transactions",
        json={
            "venue_code": "OTC",
            "on_venue": False,
            "seller_merchant_id": str(seller.id),
            "buyer_merchant_id": str(buyer.id),
            "amount": amount,
            "contract_digest": DIGEST,
            "occurred_at": when,
            **fields,
        },
        headers=idempotent(headers),
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _shares_counted_here(session: AsyncSession) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """The on-venue share per (seller's city, month), counted here in plain SQL over the
    records: no cancelled or refunded event; a merchant's report only once confirmed."""
    rows = await session.execute(
        text(
            """
            SELECT left(m.region_code, 4) || '00' AS city,
                   to_char(t.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
                   sum(CASE WHEN t.on_venue THEN t.amount ELSE 0 END) AS on_venue,
                   sum(t.amount) AS total,
                   count(DISTINCT t.seller_merchant_id) AS sellers
              FROM trade t JOIN merchant m ON m.id = t.seller_merchant_id
             WHERE NOT EXISTS (SELECT 1 FROM trade_event e WHERE e.trade_id = t.id
                                  AND e.type IN ('cancelled', 'refunded'))
               AND (t.reported_by_merchant_id IS NULL
                    OR EXISTS (SELECT 1 FROM trade_event e WHERE e.trade_id = t.id
                                  AND e.type = 'confirmed'))
             GROUP BY 1, 2
            """
        )
    )
    return {
        (city, month): (
            (Decimal(on) / Decimal(total)).quantize(Decimal("0.0001"), ROUND_HALF_UP),
            sellers,
        )
        for city, month, on, total, sellers in rows.all()
    }


async def test_on_venue_share_counts_what_counts_and_hides_a_lone_seller(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    buyer = await make_merchant(session, region_code="330106")
    # Zhoushan: three sellers, one of them on the venue.
    ex = Exchange(client, session)
    ex.merchant = await make_merchant(session, region_code="330902")
    ex.owner = auth(await make_key(session, Role.merchant, ex.merchant.id))
    ex.admin, ex.assessor = admin, auth(await make_key(session, Role.assessor))
    listing_id = await ex.listing(await ex.product())
    await ex.step(listing_id, "submit", ex.owner)
    await ex.step(listing_id, "approve", ex.admin)
    second = await make_merchant(session, region_code="330903")
    third = await make_merchant(session, region_code="330921")
    march = "2026-03-15T10:00:00+08:00"
    await _trade(
        client, admin, ex.merchant, buyer, "1000.00", march,
        on_venue=True, venue_code="HZDEX", listing_id=listing_id,
    )  # fmt: skip
    await _trade(client, admin, ex.merchant, buyer, "500.00", march)
    await _trade(client, admin, second, buyer, "2000.00", march)
    await _trade(client, admin, third, buyer, "1500.00", march)
    # What does not count: a cancelled trade, a report nobody confirmed.
    cancelled = await _trade(client, admin, third, buyer, "9999.00", march)
    undo = await client.post(
        f"/v1/transactions/{cancelled}/events",
        json={"type": "cancelled"},
        headers=idempotent(admin),
    )
    assert undo.status_code == 201, undo.text
    third_key = auth(await make_key(session, Role.merchant, third.id))
    await _trade(client, third_key, third, buyer, "7777.00", march)
    # Lishui: one seller only; its March is hidden. Its April too (a neighbouring window).
    lone = await make_merchant(session, region_code="331102")
    await _trade(client, admin, lone, buyer, "300.00", march)
    await _trade(client, admin, lone, buyer, "400.00", "2026-04-01T00:00:00+08:00")
    # 2026-03-31T16:00Z is April in Asia/Shanghai.
    await _trade(client, admin, second, buyer, "100.00", "2026-03-31T16:00:00Z")

    body = await _policy(client, **{"from": "2026-01", "to": "2026-06"})
    cells = {(c["city_code"], c["month"]): c for c in body["on_venue_share_by_city_month"]}
    assert cells[(ZHOUSHAN, "2026-03")] == {
        "city_code": ZHOUSHAN,
        "city_name": "舟山市",
        "month": "2026-03",
        "share": {"value": "0.2000", "suppressed": False, "merchants": 3},  # 1000 / 5000
    }
    assert cells[(LISHUI, "2026-03")]["share"] == HIDDEN
    assert cells[(LISHUI, "2026-04")]["share"] == HIDDEN
    assert cells[(ZHOUSHAN, "2026-04")]["share"] == HIDDEN  # one seller, by the Shanghai day
    here = await _shares_counted_here(session)
    assert set(cells) == set(here)
    for key, (share, sellers) in here.items():
        expected = (
            {"value": str(share), "suppressed": False, "merchants": sellers}
            if sellers >= 3
            else HIDDEN
        )
        assert cells[key]["share"] == expected, key


class Registry:
    """Data-IP registrations granted through the API, each then dated back (time travel)."""

    def __init__(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        self.client, self.session = client, session

    async def setup(self) -> Registry:
        self.admin = auth(await make_key(self.session, Role.operator))
        return self

    async def granted(self, on: date, region_code: str = "330106") -> Merchant:
        holder = await make_merchant(self.session, region_code=region_code)
        product = await make_product(self.session, holder)
        key = auth(await make_key(self.session, Role.merchant, holder.id))
        applied = await self.client.post(
            "/v1/ip-registrations",
            json={
                "product_id": str(product.id),
                "data_name": "舟山市港口吞吐数据集",
                "scale": "12 万条记录",
                "data_format": "CSV",
                "structure": "港口 × 日, 12 个字段",
                "update_frequency": "每日",
                "processing_rules": "清洗与关联",
                "application_scenarios": ["航运调度"],
                "evidence_digest": DIGEST,
            },
            headers=key,
        )
        assert applied.status_code == 201, applied.text
        rid = applied.json()["id"]
        step = f"/v1/ip-registrations/{rid}"
        examined = await self.client.post(
            f"{step}/examine", json={"decision": "accept"}, headers=idempotent(self.admin)
        )
        assert examined.status_code == 200, examined.text
        await self.session.execute(
            text("UPDATE ip_registration SET publicity_ends_at = now() - interval '1 second'"
                 " WHERE id = :id"),
            {"id": rid},
        )  # fmt: skip
        await self.session.commit()
        granted = await self.client.post(f"{step}/grant", headers=idempotent(self.admin))
        assert granted.status_code == 200, granted.text
        await self.session.execute(
            text("UPDATE ip_registration SET granted_on = :on WHERE id = :id"),
            {"on": on, "id": rid},
        )
        await self.session.commit()
        return holder


async def test_the_running_total_of_registrations_hides_what_few_holders_added(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry = await Registry(client, session).setup()
    for day in (date(2026, 1, 5), date(2026, 1, 20), date(2026, 1, 31)):
        await registry.granted(day)  # January: three holders, shown
    await registry.granted(date(2026, 2, 10))  # February: one holder, hidden
    # March: none, still hidden (its total is February's: it would give February back).
    for day in (date(2026, 4, 1), date(2026, 4, 30)):
        await registry.granted(day)  # April: two more, three since January: shown

    body = await _policy(client, **{"from": "2025-12", "to": "2026-05"})
    ip = body["ip_registrations_cumulative"]
    assert ip["target"] == 6000
    months = {m["month"]: m for m in ip["months"]}
    assert list(months) == ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    shown = {m: c["registrations"]["value"] for m, c in months.items()}
    assert shown == {
        "2025-12": 0, "2026-01": 3, "2026-02": None, "2026-03": None, "2026-04": 6, "2026-05": 6,
    }  # fmt: skip
    assert months["2026-02"]["registrations"] == HIDDEN
    assert months["2026-02"]["share_of_target"] == HIDDEN
    assert months["2026-04"]["share_of_target"] == {
        "value": "0.0010",  # 6 / 6000
        "suppressed": False,
        "merchants": 6,
    }
    # Counted here: every registration ever granted, by the month of its grant.
    counted = await session.scalar(
        text("SELECT count(*) FROM ip_registration WHERE granted_on < '2026-05-01'")
    )
    assert shown["2026-04"] == counted
    # A window that starts in the hidden month hides it all the same: what a month shows
    # depends on the months before it, never on the window asked.
    late = await _policy(client, **{"from": "2026-02", "to": "2026-03"})
    assert [m["registrations"] for m in late["ip_registrations_cumulative"]["months"]] == [
        HIDDEN,
        HIDDEN,
    ]
    # Nor does a region cut the series (its target is the registry's): no province minus
    # city gives a city's registrations back.
    city = await _policy(client, **{"from": "2025-12", "to": "2026-05", "region_code": LISHUI})
    assert city["ip_registrations_cumulative"] == ip


async def test_the_differencing_attack_finds_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The attacker knows the province's figures and each city's but Lishui's, in every
    window it likes: the hidden Lishui cell must not be their difference."""
    admin = auth(await make_key(session, Role.operator))
    buyer = await make_merchant(session, region_code="330106")
    sellers = [await make_merchant(session, region_code=r) for r in ("330902", "330903", "330921")]
    lone = await make_merchant(session, region_code="331102")
    for month in ("2026-03", "2026-04"):
        for seller in sellers:
            await _trade(client, admin, seller, buyer, "1000.00", f"{month}-10T10:00:00+08:00")
        await _trade(client, admin, lone, buyer, "5000.00", f"{month}-10T10:00:00+08:00")

    province = await _policy(
        client, **{"from": "2026-03", "to": "2026-04", "region_code": "330000"}
    )
    # Every number the province's answer holds, apart from the window it names, is one of a
    # city's cells, the same in the city's own answer: there is no total to subtract from.
    cities = {}
    for code in (ZHOUSHAN, LISHUI):
        one = await _policy(client, **{"from": "2026-03", "to": "2026-04", "region_code": code})
        cities.update(
            {(c["city_code"], c["month"]): c for c in one["on_venue_share_by_city_month"]}
        )
        assert one["ip_registrations_cumulative"] == province["ip_registrations_cumulative"]
    assert {
        (c["city_code"], c["month"]): c for c in province["on_venue_share_by_city_month"]
    } == cities
    assert set(province) == {
        "from", "to", "region_code", "threshold", "firsts_by_city_month",
        "ip_registrations_cumulative", "on_venue_share_by_city_month", "programmes",
    }  # fmt: skip
    assert cities[(LISHUI, "2026-03")]["share"] == HIDDEN
    assert cities[(ZHOUSHAN, "2026-03")]["share"]["merchants"] == 3

    # Two overlapping windows differ by whole months, each cell the same in both.
    march = await _policy(client, **{"from": "2026-03", "to": "2026-03"})
    both = await _policy(client, **{"from": "2026-02", "to": "2026-04"})
    in_march = list(march["on_venue_share_by_city_month"])
    assert in_march == [c for c in both["on_venue_share_by_city_month"] if c["month"] == "2026-03"]
    assert all(c["share"] == HIDDEN for c in in_march if c["city_code"] == LISHUI)

    # A county would cut Lishui's cell out of a city's: refused, as any part of a month.
    for params in ({"region_code": "331102"}, {"from": "2026-03-10"}):
        refused = await client.get("/v1/stats/policy", params=params)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")

    # Nothing in any answer is the lone seller's turnover, nor a number that gives it back.
    for answer in (province, march, both):
        assert "5000" not in str(answer)


async def test_firsts_by_city_and_month_count_merchants_and_hide_few(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for region in ("330902", "330903", "330921", "331102"):
        await make_merchant(session, region_code=region)
    body = await _policy(client)
    cells = {
        (c["city_code"], c["month"]): c
        for c in body["firsts_by_city_month"]
        if c["kind"] == "registered"
    }
    # Counted here: 数商首注册 is the merchant's creation, by its city and Shanghai month.
    rows = await session.execute(
        text(
            "SELECT left(region_code, 4) || '00', "
            "to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), count(*) "
            "FROM merchant GROUP BY 1, 2"
        )
    )
    here = {(city, month): n for city, month, n in rows.all()}
    assert set(cells) == set(here)
    for key, n in here.items():
        expected = {"value": n, "suppressed": False, "merchants": n} if n >= 3 else HIDDEN
        assert cells[key]["count"] == expected, key
    month = body["to"]
    assert cells[(ZHOUSHAN, month)]["count"]["value"] == 3
    assert cells[(ZHOUSHAN, month)]["city_name"] == "舟山市"
    assert cells[(LISHUI, month)]["count"] == HIDDEN
    # A city's answer holds the same cells, and nothing of another city.
    lishui = await _policy(client, region_code=LISHUI)
    assert {c["city_code"] for c in lishui["firsts_by_city_month"]} == {LISHUI}
    assert [c for c in body["firsts_by_city_month"] if c["city_code"] == LISHUI] == lishui[
        "firsts_by_city_month"
    ]


async def test_programme_spend_is_hidden_until_three_merchants_claimed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    bureau = await Bureau().setup(client, session)
    code = (
        await bureau.programme(
            region_codes=["3309"], firsts={"registered": "100.00"}, budget="5000.00"
        )
    )["code"]
    await bureau.programme(code="HZ-ELSEWHERE", region_codes=["3301"])
    merchants = [await make_merchant(session, region_code="330902") for _ in range(3)]

    async def spend(**params: str) -> list[dict[str, Any]]:
        body = await _policy(client, **params)
        return [p for p in body["programmes"] if p["code"] == code]

    assert (await spend())[0]["used"] == {"value": "0.00", "suppressed": False, "merchants": 0}
    for n, merchant in enumerate(merchants, start=1):
        claimed = await bureau.claim(code, merchant.id)
        assert claimed.status_code == 201, claimed.text
        approved = await bureau.decide(claimed.json()["id"], "approve")
        assert approved.status_code == 200, approved.text
        [programme] = await spend()
        assert programme["budget"] == "5000.00"
        if n < 3:
            assert programme["used"] == HIDDEN
    assert programme["used"] == {"value": "300.00", "suppressed": False, "merchants": 3}
    # A region the programme does not cover, or a window it does not meet, leaves it out.
    assert await spend(region_code=LISHUI) == []
    assert await spend(**{"from": "2023-01", "to": "2023-12"}) == []
    assert len(await spend(region_code="330000")) == 1


async def test_bad_parameters_are_refused(client: httpx.AsyncClient) -> None:
    for params, where in (
        ({"from": "2026-13"}, "from"),
        ({"to": "1989-12"}, "to"),
        ({"from": "2026-05", "to": "2026-04"}, "to"),
        ({"from": "2000-01", "to": "2026-04"}, "to"),  # more than 120 months
        ({"region_code": "331102"}, "region_code"),  # a county
        ({"region_code": "990000"}, "region_code"),  # no such province
        ({"region_code": "33"}, "region_code"),
        ({"region_code": "339900"}, "region_code"),  # Zhejiang has no such city
    ):
        answer = await client.get("/v1/stats/policy", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert where in answer.json()["detail"] or where in str(answer.json()["errors"])
    county = await client.get(
        "/v1/stats/policy", params={"region_code": "331102"}, headers={"Accept-Language": "zh-CN"}
    )
    assert "省级" in county.json()["detail"]
    unknown = await client.get("/v1/stats/policy", params={"region": "330000"})
    assert unknown.status_code in (400, 422)


async def test_the_figures_are_cached_and_validated(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/stats/policy")
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"].startswith("public")
    today = shanghai_today()
    assert first.json()["to"] == f"{today.year:04d}-{today.month:02d}"
    assert len(first.json()["ip_registrations_cumulative"]["months"]) == 12
    again = await client.get("/v1/stats/policy", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
