"""Incentive programmes and claims through the HTTP API (DOMAIN.md "Firsts, programmes and
fees → Programmes"): the eligible list against an independent count over the records, one
claim per merchant and first, the budget and the cap under concurrency, evidence that
changes, who may do what, bad input, the 申报汇总表 workbook."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.factories import auth, idempotent, make_key, make_merchant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def programme_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": f"HZ-{uuid.uuid4().hex[:8].upper()}",
        "name": "杭州市数商首次激励",
        "issuer": "杭州市数据资源管理局",
        "region_codes": ["3301"],
        "firsts": {"registered": "1000.00", "certified": "2000.00"},
        "from": "2024-01-01",
        "to": "2099-12-31",
        "cap_per_merchant": "3000.00",
        "budget": "100000.00",
    }
    body.update(fields)
    return body


class Bureau:
    """An operator, an auditor, an assessor and a way to make programmes and claims."""

    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> Bureau:
        self.client = client
        self.session = session
        self.operator = auth(await make_key(session, Role.operator))
        self.auditor = auth(await make_key(session, Role.auditor))
        self.assessor = auth(await make_key(session, Role.assessor))
        return self

    async def programme(self, **fields: Any) -> dict[str, Any]:
        made = await self.client.post(
            "/v1/programmes", json=programme_body(**fields), headers=self.operator
        )
        assert made.status_code == 201, made.text
        return dict(made.json())

    async def claim(
        self, code: str, merchant_id: Any, first: str = "registered", who: Any = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"first": first}
        if merchant_id is not None:
            body["merchant_id"] = str(merchant_id)
        return await self.client.post(
            f"/v1/programmes/{code}/claims", json=body, headers=who or self.operator
        )

    async def decide(self, claim_id: str, decision: str, who: Any = None) -> httpx.Response:
        return await self.client.post(
            f"/v1/programme-claims/{claim_id}/{decision}", headers=who or self.operator
        )

    async def all_pages(self, url: str, who: dict[str, str], limit: int = 3) -> list[Any]:
        items: list[Any] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            page = await self.client.get(url, params=params, headers=who)
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return items


@pytest.fixture
async def bureau(client: httpx.AsyncClient, session: AsyncSession) -> Bureau:
    return await Bureau().setup(client, session)


CERTIFIED = [{"scheme": "DCMM", "level": 3}]


async def test_eligible_equals_an_independent_count(bureau: Bureau, session: AsyncSession) -> None:
    made = [
        await make_merchant(session, region_code="330106", tier="growth", certifications=CERTIFIED),
        await make_merchant(session, region_code="330102", tier="leading"),
        await make_merchant(session, region_code="330106", tier=None, certifications=CERTIFIED),
        await make_merchant(session, region_code="330203", tier="growth", certifications=CERTIFIED),
        await make_merchant(session, region_code="330110", tier="growth", certifications=CERTIFIED),
        await make_merchant(
            session, region_code="330105", tier="leading", certifications=CERTIFIED
        ),
    ]
    # One registered before the window; one's certificate added before it (its first stays
    # that one, outside the window: not eligible for `certified`).
    await session.execute(
        text("UPDATE merchant SET created_at = '2020-03-01T10:00:00+08:00' WHERE id = :id"),
        {"id": made[4].id},
    )
    await session.execute(
        text(
            "UPDATE merchant_certification SET created_at = '2021-05-01T10:00:00+08:00', "
            "valid_until = '2030-01-01' WHERE merchant_id = :id"
        ),
        {"id": made[5].id},
    )
    await session.commit()
    programme = await bureau.programme(tiers=["growth", "leading"])
    url = f"/v1/programmes/{programme['code']}/eligible"
    listed = await bureau.all_pages(url, bureau.operator, limit=2)
    got = {(i["merchant_id"], i["first"], i["date"]) for i in listed}

    # The same, counted with plain SQL over the records.
    rows = await session.execute(
        text("""
        WITH candidates AS (
            SELECT m.id AS merchant_id, 'registered' AS kind,
                   (m.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day
            FROM merchant m
            UNION ALL
            (SELECT DISTINCT ON (c.merchant_id) c.merchant_id, 'certified',
                   (c.created_at AT TIME ZONE 'Asia/Shanghai')::date
            FROM merchant_certification c
            WHERE c.valid_until >= (c.created_at AT TIME ZONE 'Asia/Shanghai')::date
              AND (c.issued_on IS NULL
                   OR c.issued_on <= (c.created_at AT TIME ZONE 'Asia/Shanghai')::date)
            ORDER BY c.merchant_id, c.created_at, c.id)
        )
        SELECT k.merchant_id::text, k.kind, k.day::text
        FROM candidates k JOIN merchant m ON m.id = k.merchant_id
        WHERE m.region_code LIKE '3301%' AND m.tier IN ('growth', 'leading')
          AND k.day BETWEEN DATE '2024-01-01' AND DATE '2099-12-31'
        """)
    )
    expected = {tuple(r) for r in rows.all()}
    assert got == expected
    # made[0] both, made[1] and made[5] registered, made[4] certified (registered in 2020).
    assert len(expected) == 5
    names = {i["merchant_id"]: i["merchant_name"] for i in listed}
    assert names[str(made[0].id)] == made[0].name
    amounts = {i["first"]: i["amount"] for i in listed}
    assert amounts == {"registered": "1000.00", "certified": "2000.00"}
    evidence = next(i["evidence"] for i in listed if i["first"] == "registered")
    assert evidence["record"]["type"] == "merchant"

    # A merchant sees only itself; the public and assessors not at all.
    mine = auth(await make_key(session, Role.merchant, made[0].id))
    own = await bureau.all_pages(url, mine)
    assert {i["merchant_id"] for i in own} == {str(made[0].id)} and len(own) == 2
    assert (await bureau.client.get(url)).status_code == 401
    assert (await bureau.client.get(url, headers=bureau.assessor)).status_code == 403


async def test_twenty_concurrent_approvals_against_a_budget_for_five_pay_five(
    bureau: Bureau, session: AsyncSession
) -> None:
    merchants = [await make_merchant(session, region_code="330106") for _ in range(20)]
    programme = await bureau.programme(
        firsts={"registered": "1000.00"}, budget="5000.00", cap_per_merchant="1000.00"
    )
    claims = []
    for m in merchants:
        made = await bureau.claim(programme["code"], m.id)
        assert made.status_code == 201, made.text
        claims.append(made.json()["id"])
    answers = await asyncio.gather(*(bureau.decide(c, "approve") for c in claims))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [409] * 15
    refused = [a.json() for a in answers if a.status_code == 409]
    assert {r["code"] for r in refused} == {"budget_exhausted"}
    approved = [a.json()["id"] for a in answers if a.status_code == 200]
    paid = await asyncio.gather(*(bureau.decide(c, "pay") for c in approved))
    assert [p.json()["state"] for p in paid] == ["paid"] * 5
    shown = (await bureau.client.get(f"/v1/programmes/{programme['code']}")).json()
    assert shown["budget_used"] == "5000.00"
    listed = await bureau.all_pages(
        f"/v1/programmes/{programme['code']}/claims", bureau.auditor, limit=50
    )
    states = sorted(c["state"] for c in listed)
    assert states == ["applied"] * 15 + ["paid"] * 5


async def test_one_claim_per_merchant_and_first_and_the_cap(
    bureau: Bureau, session: AsyncSession
) -> None:
    m = await make_merchant(session, region_code="330106", certifications=CERTIFIED)
    other = await make_merchant(session, region_code="330106")
    mine = auth(await make_key(session, Role.merchant, m.id))
    programme = await bureau.programme(cap_per_merchant="2500.00")
    code = programme["code"]
    first = await bureau.claim(code, None, who=mine)
    assert first.status_code == 201, first.text
    claim = first.json()
    assert claim["state"] == "applied" and claim["amount"] == "1000.00"
    assert claim["merchant_id"] == str(m.id) and claim["evidence_changed"] is False
    assert claim["evidence"]["record"] == {"type": "merchant", "id": str(m.id)}
    again = await bureau.claim(code, m.id)  # the operator, for the same merchant and first
    assert again.status_code == 409
    # Another merchant's claim by this key: refused; for itself by name: fine.
    assert (await bureau.claim(code, other.id, who=mine)).status_code == 403
    certified = await bureau.claim(code, m.id, first="certified", who=mine)
    assert certified.status_code == 201
    assert (await bureau.decide(claim["id"], "approve")).status_code == 200
    over = await bureau.decide(certified.json()["id"], "approve")
    assert over.status_code == 409 and over.json()["code"] == "cap_exceeded"
    # Two claims of one first at once: one is kept.
    third = await make_merchant(session, region_code="330106")
    both = await asyncio.gather(*(bureau.claim(code, third.id) for _ in range(2)))
    assert sorted(b.status_code for b in both) == [201, 409]
    # A decision on a version read before another's is 412; the ETag names the version.
    kept = next(b for b in both if b.status_code == 201)
    read = await bureau.client.get(
        f"/v1/programme-claims/{kept.json()['id']}", headers=bureau.operator
    )
    stale = {**bureau.operator, "If-Match": '"0"'}
    assert (await bureau.decide(kept.json()["id"], "reject", stale)).status_code == 412
    fresh = {**bureau.operator, "If-Match": read.headers["ETag"]}
    assert (await bureau.decide(kept.json()["id"], "reject", fresh)).status_code == 200
    # Wrong order: pay an applied claim, approve a paid one.
    assert (await bureau.decide(certified.json()["id"], "pay")).status_code == 409
    assert (await bureau.decide(certified.json()["id"], "reject")).status_code == 200
    assert (await bureau.decide(claim["id"], "pay")).status_code == 200
    wrong = await bureau.decide(claim["id"], "approve")
    assert wrong.status_code == 409 and wrong.json()["current_status"] == "paid"
    # The merchant decides nothing; it reads its own claims, another merchant none of them.
    assert (await bureau.decide(claim["id"], "pay", who=mine)).status_code == 403
    theirs = auth(await make_key(session, Role.merchant, other.id))
    assert (
        await bureau.client.get(f"/v1/programme-claims/{claim['id']}", headers=theirs)
    ).status_code == 404
    own = await bureau.client.get(f"/v1/programmes/{code}/claims", headers=theirs)
    assert own.json()["items"] == []
    read = await bureau.client.get(f"/v1/programme-claims/{claim['id']}", headers=mine)
    assert read.json()["state"] == "paid"
    # Audit and outbox: one event per step.
    events = await bureau.client.get(
        "/v1/events", params={"type": "programme_claim.*"}, headers=mine
    )
    assert [e["type"] for e in events.json()["items"]] == [
        "programme_claim.applied",
        "programme_claim.applied",
        "programme_claim.approved",
        "programme_claim.rejected",
        "programme_claim.paid",
    ]
    assert (
        await bureau.client.get("/v1/events", params={"type": "programme_claim.*"}, headers=theirs)
    ).json()["items"] == []
    audit = await bureau.client.get(
        "/v1/audit-events", params={"resource_type": "programme_claim"}, headers=bureau.auditor
    )
    assert {e["action"] for e in audit.json()["items"]} >= {
        "programme_claim.applied",
        "programme_claim.approved",
        "programme_claim.paid",
    }


async def test_bad_input_is_422_and_changes_nothing(bureau: Bureau, session: AsyncSession) -> None:
    outside = await make_merchant(session, region_code="330203")
    programme = await bureau.programme(tiers=["leading"])
    code = programme["code"]
    for body in (
        programme_body(region_codes=["3399"]),  # no such city
        programme_body(region_codes=["330"]),  # 3 digits
        programme_body(firsts={"founded": "1.00"}),
        programme_body(firsts={}),
        programme_body(firsts={"registered": "-1.00"}),
        programme_body(firsts={"registered": 1000.5}),  # a float, not a string
        programme_body(budget="1e9"),
        programme_body(**{"from": "2026-12-31", "to": "2026-01-01"}),
        programme_body(**{"from": "0001-01-01"}),
        programme_body(tiers=["gold"]),
        programme_body(code="lower case"),
        {**programme_body(), "extra": 1},
    ):
        answer = await bureau.client.post("/v1/programmes", json=body, headers=bureau.operator)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    duplicate = await bureau.client.post(
        "/v1/programmes", json=programme_body(code=code), headers=bureau.operator
    )
    assert duplicate.status_code == 409
    # Not eligible (region, tier, a first not rewarded, no such merchant): 422, nothing kept.
    inside = await make_merchant(session, region_code="330106", tier="growth")
    for merchant_id, first in (
        (outside.id, "registered"),
        (inside.id, "registered"),
        (inside.id, "traded"),
        (uuid.uuid4(), "registered"),
    ):
        refused = await bureau.claim(code, merchant_id, first=first)
        assert refused.status_code == 422, refused.text
    assert (await bureau.claim(code, None)).status_code == 422  # an operator names the merchant
    listed = await bureau.client.get(f"/v1/programmes/{code}/claims", headers=bureau.operator)
    assert listed.json()["items"] == []
    assert (await bureau.client.get("/v1/programmes")).json()["items"] == [
        {**programme, "budget_used": "0.00"}
    ]
    # Only operators define programmes.
    assert (
        await bureau.client.post("/v1/programmes", json=programme_body(), headers=bureau.auditor)
    ).status_code == 403


async def test_summary_as_json_and_xlsx_agree(bureau: Bureau, session: AsyncSession) -> None:
    merchants = [
        await make_merchant(session, region_code="330106", name=name)
        for name in (
            '=HYPERLINK("x")有限公司',
            "乙数据有限公司",
            "丙数据有限公司",
            "丁数据有限公司",
        )
    ]
    programme = await bureau.programme(budget="10000.00")
    code = programme["code"]
    ids = [(await bureau.claim(code, m.id)).json()["id"] for m in merchants]
    await bureau.decide(ids[1], "approve")
    await bureau.decide(ids[2], "reject")
    await bureau.decide(ids[3], "approve")
    await bureau.decide(ids[3], "pay")
    url = f"/v1/programmes/{code}/summary"
    body = (await bureau.client.get(url, headers=bureau.auditor)).json()
    assert body["budget"] == "10000.00" and body["used"] == "2000.00"
    assert body["remaining"] == "8000.00"
    assert {s: t["count"] for s, t in body["totals"].items()} == {
        "applied": 1, "approved": 1, "rejected": 1, "paid": 1,
    }  # fmt: skip
    assert len(body["rows"]) == 4
    sheet_response = await bureau.client.get(url, headers={**bureau.auditor, "Accept": XLSX})
    assert sheet_response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(sheet_response.content))
    sheet = book["申报汇总表"]
    assert [sheet.cell(n, 1).value for n in range(1, 5)] == ["编制单位", "期间", "计划", "单位：元"]
    assert sheet["B1"].value == "杭州市数据资源管理局"
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=7)]
    data = [r for r in values if isinstance(r[0], int)]
    assert sum(Decimal(str(r[5])) for r in data) == sum(Decimal(r["amount"]) for r in body["rows"])
    labelled = {r[1]: r[5] for r in values if r[1] and r[0] is None}
    assert Decimal(str(labelled["预算"])) == Decimal(body["budget"])
    assert Decimal(str(labelled["已使用（已批准+已支付）"])) == Decimal(body["used"])
    assert Decimal(str(labelled["剩余"])) == Decimal(body["remaining"])
    assert Decimal(str(labelled["合计：已支付（1 笔）"])) == Decimal(
        body["totals"]["paid"]["amount"]
    )
    assert any(str(r[1]).startswith("'=HYPERLINK") for r in data)  # inert, never a formula
    assert all(isinstance(r[4], datetime) for r in data)  # Excel dates, not text
    # The bureau's table is the staff's.
    mine = auth(await make_key(session, Role.merchant, merchants[0].id))
    assert (await bureau.client.get(url, headers=mine)).status_code == 403
    assert (await bureau.client.get(url)).status_code == 401


async def test_a_claim_whose_first_trade_is_refunded_reads_evidence_changed(
    bureau: Bureau, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.listings.test_router import Exchange

    ex = await Exchange(client, session).setup()
    listing_id = await ex.listing(await ex.product())
    await ex.step(listing_id, "submit", ex.owner)
    await ex.step(listing_id, "approve", ex.admin)
    buyer = await make_merchant(session, region_code="330203")  # outside the programme
    trades = []
    for day in ("2026-11-10", "2026-11-20"):
        recorded = await client.post(
            "/v1/transactions",
            json={
                "venue_code": "HZDEX", "on_venue": True, "listing_id": listing_id,
                "seller_merchant_id": str(ex.merchant.id), "buyer_merchant_id": str(buyer.id),
                "amount": "12000.00", "contract_digest": "ab" * 32,
                "occurred_at": f"{day}T10:00:00+08:00",
            },
            headers=idempotent(bureau.operator),
        )  # fmt: skip
        assert recorded.status_code == 201, recorded.text
        trades.append(recorded.json()["id"])
        for kind in ("delivered", "settled"):
            added = await client.post(
                f"/v1/transactions/{recorded.json()['id']}/events",
                json={"type": kind, "occurred_at": f"{day}T12:00:00+08:00"},
                headers=idempotent(bureau.operator),
            )
            assert added.status_code == 201, added.text
    programme = await bureau.programme(firsts={"traded": "5000.00"}, cap_per_merchant="5000.00")
    code = programme["code"]
    claim = (await bureau.claim(code, ex.merchant.id, first="traded")).json()
    assert claim["evidence"]["record"] == {"type": "trade", "id": trades[0]}
    assert claim["evidence"]["log"] == "HZDEX" and claim["evidence"]["leaf_index"] is not None
    assert claim["date"] == "2026-11-10" and claim["evidence_changed"] is False

    refunded = await client.post(
        f"/v1/transactions/{trades[0]}/events",
        json={"type": "refunded"},
        headers=idempotent(bureau.operator),
    )
    assert refunded.status_code == 201, refunded.text
    read = (await client.get(f"/v1/programme-claims/{claim['id']}", headers=ex.owner)).json()
    assert read["evidence_changed"] is True
    assert read["evidence"]["record"]["id"] == trades[0]  # kept as claimed
    listed = (await client.get(f"/v1/programmes/{code}/claims", headers=bureau.auditor)).json()
    assert [c["evidence_changed"] for c in listed["items"]] == [True]
    eligible = (await client.get(f"/v1/programmes/{code}/eligible", headers=ex.owner)).json()
    assert [i["evidence"]["record"]["id"] for i in eligible["items"]] == [trades[1]]
    # The claim stays, and a second one on the same first is still refused.
    assert (await bureau.claim(code, ex.merchant.id, first="traded")).status_code == 409
