"""Every input a client can send is answered with a 4xx problem, never a 500 (issue 16, L1/L2).

Each case here was a 500 (or a silent acceptance of malformed text) before its fix.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import QueryMonth
from app.core.roles import Role
from tests.factories import (
    auth,
    idempotent,
    make_key,
    make_merchant,
    make_product,
    merchant_body,
    product_body,
)


def cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


async def off_venue_trade(session: AsyncSession, **fields: str) -> dict[str, Any]:
    """A trade body between two new merchants, with `fields` in place of the defaults."""
    seller = await make_merchant(session)
    buyer = await make_merchant(session)
    return {
        "venue_code": "OTC",
        "seller_merchant_id": str(seller.id),
        "buyer_merchant_id": str(buyer.id),
        "amount": "10.00",
        "on_venue": False,
        "contract_digest": "a" * 64,
        "occurred_at": "2026-11-01T10:00:00+08:00",
        **fields,
    }


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [
        cursor(["abc"]),
        cursor([None]),
        raw_cursor("[1e999]"),
        raw_cursor("[NaN]"),
        cursor([True]),
        cursor([1.5]),
        cursor([2**70]),
        cursor([[1]]),
        raw_cursor("[" * 150 + "]" * 150),
    ],
)
async def test_tampered_integer_cursors_are_400(
    client: httpx.AsyncClient, session: AsyncSession, value: str
) -> None:
    merchant = await make_merchant(session)
    product = await make_product(session, merchant)
    admin = auth(await make_key(session, Role.operator))
    for path in (
        f"/v1/products/{product.id}/revisions",
        "/v1/venues/HZDEX/negative-list/versions",
    ):
        answer = await client.get(path, params={"cursor": value}, headers=admin)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "value",
    [
        raw_cursor('[1e999, "0195d3a4-0000-7000-8000-000000000000"]'),
        cursor([0, "not-a-uuid"]),
        cursor([None, None]),
        cursor(["0", "0195d3a4-0000-7000-8000-000000000000"]),
    ],
)
async def test_tampered_search_cursors_are_400(client: httpx.AsyncClient, value: str) -> None:
    answer = await client.get("/v1/products", params={"cursor": value, "q": "数据"})
    assert answer.status_code == 400, answer.text
    for path in ("/v1/venues", "/v1/listings", "/v1/ip-registrations"):
        assert (await client.get(path, params={"cursor": cursor([[1]])})).status_code == 400


async def _product_answer(
    client: httpx.AsyncClient, session: AsyncSession, **fields: Any
) -> httpx.Response:
    merchant = await make_merchant(session)
    key = auth(await make_key(session, Role.merchant, merchant_id=merchant.id))
    return await client.post("/v1/products", json=product_body(**fields), headers=key)


@pytest.mark.parametrize(
    "description",
    ["数据" + "x" * 3000 + " 交易", "0" * 5000, "天气" * 10 + "y" * 2100],
)
async def test_words_longer_than_the_search_index_takes_are_stored(
    client: httpx.AsyncClient, session: AsyncSession, description: str
) -> None:
    made = await _product_answer(client, session, description=description)
    assert made.status_code == 201, made.text
    assert made.json()["description"] == description


@pytest.mark.parametrize("depth", [20, 150, 500])
async def test_a_deeply_nested_schema_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, depth: int
) -> None:
    merchant = await make_merchant(session)
    key = auth(await make_key(session, Role.merchant, merchant_id=merchant.id))
    # Written by hand: Python's own json module cannot encode the deepest.
    nested = '{"type": "object", "properties": {"a": ' * depth + '{"type": "string"}' + "}}" * depth
    body = json.dumps(product_body())[:-1] + ', "schema": ' + nested + "}"
    made = await client.post(
        "/v1/products", content=body, headers={**key, "Content-Type": "application/json"}
    )
    if depth < 500:
        assert made.status_code == 422, made.text
        assert "nested" in made.text
    else:  # deeper than any JSON parser here reads: the body cannot be parsed
        assert made.status_code == 400, made.text
    shallow = await _product_answer(
        client, session, schema={"columns": [{"name": "日期", "type": {"format": "date"}}]}
    )
    assert shallow.status_code == 201, shallow.text


@pytest.mark.parametrize("amount", ["１０.00", "١٠.00", "10.٠٠", "𝟏𝟎.00", "10.0０"])
async def test_money_takes_ascii_digits_only(
    client: httpx.AsyncClient, session: AsyncSession, amount: str
) -> None:
    admin = auth(await make_key(session, Role.operator))
    trade = await off_venue_trade(session, amount=amount)
    answer = await client.post(
        "/v1/transactions", json=trade, headers={**admin, "Idempotency-Key": amount.encode().hex()}
    )
    assert answer.status_code == 422, answer.text


async def test_a_uscc_with_non_ascii_digits_is_422(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    body = merchant_body()
    arabic_indic = body["uscc"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for uscc in (arabic_indic, body["uscc"].replace("1", "１")):
        answer = await client.post("/v1/merchants", json={**body, "uscc": uscc}, headers=admin)
        assert answer.status_code == 422, answer.text
        answer = await client.post(
            "/v1/merchants",
            json={**body, "uscc": uscc, "uscc_override_reason": "早期赋码"},
            headers=admin,
        )
        assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(
    "name", ["数据\u202egnp.exe", "数\u200b据", "\u2066隔离\u2069", "数据\ufeff", "a\u200d"]
)
async def test_names_refuse_bidi_overrides_and_zero_width_characters(
    client: httpx.AsyncClient, session: AsyncSession, name: str
) -> None:
    admin = auth(await make_key(session, Role.operator))
    merchant = await client.post("/v1/merchants", json=merchant_body(name=name), headers=admin)
    assert merchant.status_code == 422, merchant.text
    product = await _product_answer(client, session, name=name)
    assert product.status_code == 422, product.text


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1989-12-31T23:59:59+08:00",
        "2999-01-01T00:00:00+08:00",
        "2026-11-01T10:00:00",  # no offset
    ],
)
async def test_trade_dates_are_bounded(
    client: httpx.AsyncClient, session: AsyncSession, occurred_at: str
) -> None:
    admin = auth(await make_key(session, Role.operator))
    trade = await off_venue_trade(session, occurred_at=occurred_at)
    answer = await client.post(
        "/v1/transactions", json=trade, headers={**admin, "Idempotency-Key": occurred_at}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "occurred_at"]
    ok = await client.post(
        "/v1/transactions",
        json={**trade, "occurred_at": "1990-01-01T00:00:00+08:00"},
        headers={**admin, "Idempotency-Key": "earliest-" + occurred_at},
    )
    assert ok.status_code == 201, ok.text
    made = ok.json()["id"]
    event = await client.post(
        f"/v1/transactions/{made}/events",
        json={"type": "delivered", "occurred_at": occurred_at},
        headers=idempotent(admin),
    )
    assert event.status_code == 422, event.text


# Every instant a query takes (issue 27): bounded like bodies, after conversion to
# Asia/Shanghai, by app/core/clock.py QueryInstant.
INSTANT_PARAMETERS = [
    ("/v1/products", "updated_since"),
    ("/v1/transactions", "occurred_from"),
    ("/v1/transactions", "occurred_to"),
    ("/v1/transactions/export", "occurred_from"),
    ("/v1/transactions/export", "occurred_to"),
    ("/v1/events", "since"),
    ("/v1/audit-events", "since"),
    ("/v1/audit-events", "until"),
]


def test_every_instant_in_a_query_is_covered(app: Any) -> None:
    """A new route with a date-time query parameter joins the list above."""
    spec = app.openapi()
    found = {
        (path, parameter["name"])
        for path, item in spec["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        and any(
            s.get("format") in ("date-time", "date")
            for s in parameter["schema"].get("anyOf", [parameter["schema"]])
        )
    }
    assert found == set(INSTANT_PARAMETERS)
    # A month in a query is a QueryMonth: its pattern is the bound (1990-01 to 2100-12).
    month_pattern = TypeAdapter(QueryMonth).json_schema()["pattern"]
    months = [
        (path, parameter["name"], schema.get("pattern"))
        for path, item in spec["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        for schema in parameter["schema"].get("anyOf", [parameter["schema"]])
        if schema.get("type") != "null"  # an optional month's other branch
        if "YYYY-MM" in parameter.get("description", "") + schema.get("description", "")
        or "-(0[1-9]|1[0-2])" in schema.get("pattern", "")
    ]
    assert months, "the disclosure's months at least"
    assert all(pattern == month_pattern for _, _, pattern in months), months


@pytest.mark.parametrize(("path", "parameter"), INSTANT_PARAMETERS)
@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+14:00",  # the day before 0001-01-01 in UTC: asyncpg's OverflowError
        "9999-12-31T23:59:59-14:00",  # 10000-01-01 in Asia/Shanghai
        "1989-12-31T15:59:59Z",  # 1989-12-31T23:59:59 in Asia/Shanghai
        "9999-12-31T16:00:00Z",  # 10000-01-01T00:00 in Asia/Shanghai
        "0001-01-01T00:00:00",  # no offset: UTC
    ],
)
async def test_instants_in_queries_are_bounded(
    client: httpx.AsyncClient, session: AsyncSession, path: str, parameter: str, value: str
) -> None:
    admin = auth(await make_key(session, Role.operator))
    answer = await client.get(path, params={parameter: value}, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["loc"] == ["query", parameter]
    assert parameter in answer.json()["detail"]


@pytest.mark.parametrize(("path", "parameter"), INSTANT_PARAMETERS)
@pytest.mark.parametrize(
    "value",
    ["1990-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00", "9999-12-31T15:59:59Z"],
)
async def test_instants_at_the_bounds_are_answered(
    client: httpx.AsyncClient, session: AsyncSession, path: str, parameter: str, value: str
) -> None:
    admin = auth(await make_key(session, Role.operator))
    answer = await client.get(path, params={parameter: value}, headers=admin)
    assert answer.status_code == 200, answer.text
