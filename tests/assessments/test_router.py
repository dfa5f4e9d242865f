"""Assessments through the API: who runs them, on what, and that results never change."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.assessments.test_pii import id_number
from tests.factories import auth, make_key, make_merchant, make_product

TODAY = date.today()
CSV = "企业名称,手机号,注册资本,更新日期\n" + "".join(
    f"企业{i},1381234{i:04d},{1000 + i}.5,{(TODAY - timedelta(days=i)).isoformat()}\n"
    for i in range(40)
)


async def product_with_sample(
    client: httpx.AsyncClient, session: AsyncSession, csv: str = CSV, **fields: object
) -> tuple[str, dict[str, str], str]:
    merchant = await make_merchant(session)
    product = await make_product(
        session,
        merchant,
        delivery_modes=["api"],
        service_level="99.5%",
        schema={"columns": []},
        **fields,
    )
    owner = auth(await make_key(session, Role.merchant, merchant.id))
    uploaded = await client.post(
        f"/v1/products/{product.id}/samples",
        files={"file": ("s.csv", csv.encode(), "text/csv")},
        headers=owner,
    )
    assert uploaded.status_code == 201, uploaded.text
    return str(product.id), owner, uploaded.json()["id"]


async def test_assessor_runs_quality(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, owner, sample_id = await product_with_sample(client, session)
    assessor = auth(await make_key(session, Role.assessor))
    response = await client.post(f"/v1/products/{product_id}/quality-assessments", headers=assessor)
    assert response.status_code == 201, response.text
    result = response.json()
    assert set(result["indicators"]) == {
        "completeness",
        "conformity",
        "accuracy",
        "consistency",
        "timeliness",
        "accessibility",
    }
    assert all(isinstance(v, float) and 0 <= v <= 100 for v in result["indicators"].values())
    assert result["grade"] in "ABCD"
    assert result["quality_coefficient"] == pytest.approx(result["overall"] / 100)
    assert result["self_check"] is False
    assert result["assessed_by"]["role"] == "assessor"
    assert result["sample_id"] == sample_id and len(result["sample_sha256"]) == 64
    assert result["product_revision"] == 1
    assert result["rules_version"].startswith("quality/")
    assert isinstance(result["duration_ms"], int)
    phone = next(c for c in result["columns"] if c["name"] == "手机号")
    assert phone["format_rule"] == "mobile"
    url = f"/v1/products/{product_id}/quality-assessments"
    assert (await client.get(f"{url}/{result['id']}", headers=owner)).json() == result
    assert [a["id"] for a in (await client.get(url, headers=owner)).json()["items"]] == [
        result["id"]
    ]


async def test_merchant_self_check_and_others(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    product_id, owner, _ = await product_with_sample(client, session)
    own = await client.post(f"/v1/products/{product_id}/quality-assessments", headers=owner)
    assert own.status_code == 201 and own.json()["self_check"] is True
    stranger = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    for path in ("quality-assessments", "compliance-assessments"):
        denied = await client.post(f"/v1/products/{product_id}/{path}", headers=stranger)
        assert denied.status_code == 404  # another's unlisted product is not visible at all
        assert (
            await client.get(f"/v1/products/{product_id}/{path}", headers=stranger)
        ).status_code == 404
    auditor = auth(await make_key(session, Role.auditor))
    assert (
        await client.post(f"/v1/products/{product_id}/quality-assessments", headers=auditor)
    ).status_code == 403
    assert (
        await client.get(f"/v1/products/{product_id}/quality-assessments", headers=auditor)
    ).status_code == 200
    assert (await client.post(f"/v1/products/{product_id}/quality-assessments")).status_code == 401


async def test_no_sample_is_409(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    product = await make_product(session, merchant)
    assessor = auth(await make_key(session, Role.assessor))
    for path in ("quality-assessments", "compliance-assessments"):
        response = await client.post(f"/v1/products/{product.id}/{path}", headers=assessor)
        assert response.status_code == 409
        assert "sample" in response.json()["detail"]
        assert response.json()["missing"] == ["sample"]
    unknown = await client.post(
        f"/v1/products/{product.id}/quality-assessments",
        json={"sample_id": "01a20000-0000-7000-8000-000000000000"},
        headers=assessor,
    )
    assert unknown.status_code == 404


async def test_compliance_finds_undeclared_pii(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    ids = [id_number("330106", date(1985, 3, 4), n) for n in range(5)]
    csv = "姓名,证件号码\n" + "".join(f"用户{n},{v}\n" for n, v in enumerate(ids))
    product_id, _, _ = await product_with_sample(client, session, csv)
    assessor = auth(await make_key(session, Role.assessor))
    response = await client.post(
        f"/v1/products/{product_id}/compliance-assessments",
        json={"venue_codes": ["HZDEX", "NBSE"]},
        headers=assessor,
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["result"] == "fail"
    found = {f["code"]: f for f in result["findings"]}
    assert found["PII_UNDECLARED"]["severity"] == "blocker"
    assert found["PII_UNDECLARED"]["evidence"]["id_number"] == {"columns": ["证件号码"], "count": 5}
    assert set(result["venues"]) == {"HZDEX", "NBSE"}
    assert all(v not in response.text for v in ids)
    bad_venue = await client.post(
        f"/v1/products/{product_id}/compliance-assessments",
        json={"venue_codes": ["NOPE"]},
        headers=assessor,
    )
    assert bad_venue.status_code == 422


async def test_valuations(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, owner, _ = await product_with_sample(client, session)
    assessor = auth(await make_key(session, Role.assessor))
    url = f"/v1/products/{product_id}/valuations"
    cost = {
        "method": "cost",
        "return_rate": "0.1",
        "quality_coefficient": "0.8",
        "cost_items": [
            {"kind": "planning", "amount": "100000"},
            {"kind": "acquisition", "amount": "50000.50"},
            {"kind": "storage", "amount": "25000"},
        ],
    }
    response = await client.post(url, json=cost, headers=assessor)
    assert response.status_code == 201, response.text
    assert response.json()["value"] == "154000.44"
    assert response.json()["currency"] == "CNY"
    income = {
        "method": "income",
        "cash_flows": ["100000", "120000", "140000"],
        "discount_rate": "0.1",
        "share_rate": "0.3",
    }
    assert (await client.post(url, json=income, headers=assessor)).json()["value"] == "88580.02"

    # Without Q, the cost approach needs a quality assessment first, then takes its Q.
    no_q = {**cost, "quality_coefficient": None}
    del no_q["quality_coefficient"]
    missing = await client.post(url, json=no_q, headers=assessor)
    assert missing.status_code == 409 and missing.json()["missing"] == ["quality_assessment"]
    quality = (
        await client.post(f"/v1/products/{product_id}/quality-assessments", headers=assessor)
    ).json()
    with_q = await client.post(url, json=no_q, headers=assessor)
    assert with_q.status_code == 201
    used = with_q.json()["inputs"]["quality_coefficient_used"]
    assert used["source"] == "quality_assessment" and used["assessment_id"] == quality["id"]

    for bad in (
        {**cost, "cost_items": [{"kind": "planning", "amount": "-1"}]},
        {**income, "discount_rate": "-1"},
        {**income, "discount_rate": "1.5"},
        {**income, "cash_flows": []},
        {
            "method": "market",
            "quality_coefficient": "0.8",
            "comparables": [{"price": "100", "quality_coefficient": "0.5"}] * 2,
        },
        {**cost, "return_rate": 0.1},  # rates and money are strings, never floats
        {"method": "barter"},
    ):
        refused = await client.post(url, json=bad, headers=assessor)
        assert refused.status_code == 422, bad
    listed = (await client.get(url, headers=owner)).json()["items"]
    assert len(listed) == 3


async def test_results_are_immutable(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, _, _ = await product_with_sample(client, session)
    admin = auth(await make_key(session, Role.operator))
    made = (
        await client.post(f"/v1/products/{product_id}/quality-assessments", headers=admin)
    ).json()
    url = f"/v1/products/{product_id}/quality-assessments/{made['id']}"
    for method in ("PUT", "PATCH", "DELETE"):
        response = await client.request(method, url, json={}, headers=admin)
        assert response.status_code == 405, method
    with pytest.raises(DBAPIError, match="immutable"):
        await session.execute(text("UPDATE assessment SET grade = 'A'"))
    await session.rollback()


@pytest.mark.parametrize(
    "jsonl",
    [
        b'{"name": "ok", "note": "fine"}\n{"name": "\\ud800", "note": "lone"}\n',
        b'{"name": "ok"}\n{"\\udfff": "a lone low surrogate as a key"}\n',
        b'{"name": "ok"}\n{"name": ["nested", {"deep": "\\ud800x"}]}\n',
    ],
)
async def test_a_sample_holding_a_lone_surrogate_is_refused_not_assessed(
    client: httpx.AsyncClient, session: AsyncSession, jsonl: bytes
) -> None:
    """Issue 27: JSON's `\\ud800` is no text. Such a sample was stored, and a quality
    assessment of it was a 500; the upload now names the line, and nothing is stored."""
    merchant = await make_merchant(session)
    product = await make_product(session, merchant)
    owner = auth(await make_key(session, Role.merchant, merchant.id))
    uploaded = await client.post(
        f"/v1/products/{product.id}/samples",
        files={"file": ("s.jsonl", jsonl, "application/x-ndjson")},
        headers=owner,
    )
    assert uploaded.status_code == 422, uploaded.text
    assert uploaded.headers["content-type"].startswith("application/problem+json")
    assert "line 2" in uploaded.json()["detail"].lower()
    assessor = auth(await make_key(session, Role.assessor))
    quality = await client.post(f"/v1/products/{product.id}/quality-assessments", headers=assessor)
    assert quality.status_code == 409, quality.text  # no sample to assess
    for table in ("product_sample", "assessment"):
        count = await session.execute(text(f"SELECT count(*) FROM {table}"))
        assert count.scalar_one() == 0, table


async def test_a_sample_stored_with_a_lone_surrogate_is_still_assessed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A sample stored before uploads refused lone surrogates: the quality assessment of it
    was a 500 (issue 27); now each lone surrogate reads as U+FFFD and the assessment runs."""
    merchant = await make_merchant(session)
    product = await make_product(session, merchant)
    owner = auth(await make_key(session, Role.merchant, merchant.id))
    good = b'{"name": "ok", "note": "fine"}\n{"name": "xx", "note": "lone"}\n'
    uploaded = await client.post(
        f"/v1/products/{product.id}/samples",
        files={"file": ("s.jsonl", good, "application/x-ndjson")},
        headers=owner,
    )
    assert uploaded.status_code == 201, uploaded.text
    old = good.replace(b'"xx"', b'"\\ud800"').replace(b'"fine"', b'"\\ud83d\\ude00"')
    await session.execute(
        text("UPDATE sample_chunk SET data = :data WHERE sample_id = :id"),
        {"data": old, "id": uploaded.json()["id"]},
    )
    await session.commit()
    assessor = auth(await make_key(session, Role.assessor))
    quality = await client.post(f"/v1/products/{product.id}/quality-assessments", headers=assessor)
    assert quality.status_code == 201, quality.text
