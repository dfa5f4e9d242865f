"""Merchants through the API: registration rules, filters, paging, ETags and who sees what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from tests.catalog.cards import listing, make_card
from tests.factories import auth, make_key, make_merchant, merchant_body, valid_uscc, wrong_check


async def operator(session: AsyncSession) -> dict[str, str]:
    return auth(await make_key(session, Role.operator))


async def test_operator_registers_a_merchant(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = merchant_body(
        name="杭州数智科技有限公司",
        region_code="330106",
        third_party_roles=["assessor"],
        website="https://example.cn/",
    )
    response = await client.post("/v1/merchants", json=body, headers=await operator(session))
    assert response.status_code == 201, response.text
    merchant = response.json()
    assert merchant["name"] == "杭州数智科技有限公司"
    assert merchant["uscc"] == body["uscc"]
    assert merchant["categories"] == ["data_product", "data_technology"]
    assert merchant["third_party_roles"] == ["assessor"]
    assert merchant["tier"] == "growth"
    assert merchant["city_name"] == "杭州市"
    assert merchant["zhejiang"] is True
    [cert] = merchant["certifications"]
    assert cert == {
        "scheme": "DCMM",
        "level": 3,
        "level_name": "稳健级",
        "level_name_en": "robust",
        "valid_until": "2029-12-31",
        "issued_on": None,
        "certificate_number": None,
        "valid": True,
    }
    assert merchant["version"] == 1
    assert response.headers["ETag"].startswith('"1.')
    fetched = await client.get(f"/v1/merchants/{merchant['id']}", headers=await operator(session))
    assert fetched.json() == merchant


async def test_wrong_check_character_is_422_naming_the_field(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = merchant_body(uscc=wrong_check(valid_uscc()))
    response = await client.post("/v1/merchants", json=body, headers=await operator(session))
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["body", "uscc"]
    assert "check character" in problem["detail"]
    zh = await client.post(
        "/v1/merchants", json=body, headers={**await operator(session), "Accept-Language": "zh-CN"}
    )
    assert "校验码" in zh.json()["detail"]
    assert zh.json()["title"] == "校验未通过"
    assert zh.json()["type"] == problem["type"]
    listed = await client.get("/v1/merchants", headers=await operator(session))
    assert listed.json()["items"] == []


async def test_operator_may_override_an_early_bad_check_character(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = await operator(session)
    reason = "2016 年换发的早期代码,校验位与标准不符,见工商登记档案"
    body = merchant_body(uscc=wrong_check(valid_uscc()), uscc_override_reason=reason)
    response = await client.post("/v1/merchants", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["uscc_override_reason"] == reason
    audit = await client.get(
        "/v1/audit-events", params={"action": "merchant.create"}, headers=headers
    )
    assert audit.json()["items"][0]["details"]["uscc_override_reason"] == reason
    # An override does not excuse a code that is not a USCC at all.
    bad_format = merchant_body(uscc="I" + valid_uscc()[1:], uscc_override_reason=reason)
    assert (await client.post("/v1/merchants", json=bad_format, headers=headers)).status_code == 422


async def test_duplicate_uscc_is_409(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers = await operator(session)
    code = valid_uscc()
    first = await client.post("/v1/merchants", json=merchant_body(uscc=code), headers=headers)
    assert first.status_code == 201
    second = await client.post(
        "/v1/merchants", json=merchant_body(uscc=code.lower()), headers=headers
    )
    assert second.status_code == 409
    assert second.json()["field"] == "uscc"


async def test_bad_fields_are_422(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers = await operator(session)
    for bad in (
        merchant_body(region_code="33010"),
        merchant_body(region_code="990106"),
        merchant_body(region_code="331200"),  # Zhejiang has 11 cities
        merchant_body(categories=["data_mining"]),
        merchant_body(tier="unicorn"),
        merchant_body(contact_email="not-an-email"),
        merchant_body(certifications=[{"scheme": "DCMM", "valid_until": "2030-01-01"}]),
        merchant_body(certifications=[{"scheme": "DCMM", "level": 6, "valid_until": "2030-01-01"}]),
        merchant_body(
            certifications=[{"scheme": "ISO27001", "level": 2, "valid_until": "2030-01-01"}]
        ),
        merchant_body(certifications=[{"scheme": "CMMI", "valid_until": "2030-01-01"}]),
        merchant_body(id="00000000-0000-0000-0000-000000000000"),
    ):
        response = await client.post("/v1/merchants", json=bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"


async def test_only_operators_register_merchants(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own = await make_merchant(session)
    for role, merchant_id in ((Role.merchant, own.id), (Role.auditor, None), (Role.assessor, None)):
        token = await make_key(session, role, merchant_id)
        response = await client.post("/v1/merchants", json=merchant_body(), headers=auth(token))
        assert response.status_code == 403
    assert (await client.post("/v1/merchants", json=merchant_body())).status_code == 401


async def test_filters(client: httpx.AsyncClient, session: AsyncSession) -> None:
    today = date.today()
    hz = await make_merchant(
        session,
        name="杭州城市大脑数据有限公司",
        region_code="330106",
        tier="leading",
        categories=["data_platform"],
        certifications=[{"scheme": "DCMM", "level": 4}],
    )
    nb = await make_merchant(
        session,
        name="宁波港航数据服务有限公司",
        region_code="330203",
        tier="growth",
        categories=["data_circulation"],
        third_party_roles=["broker"],
        certifications=[{"scheme": "DCMM", "level": 2}],
    )
    wz = await make_merchant(
        session,
        name="温州安全数据有限公司",
        region_code="330302",
        categories=["data_security"],
        certifications=[{"scheme": "DCMM", "level": 5, "valid_until": today - timedelta(days=1)}],
    )
    sh = await make_merchant(session, name="上海数据交易服务有限公司", region_code="310115")
    headers = await operator(session)

    async def ids(**params: object) -> set[str]:
        response = await client.get("/v1/merchants", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {m["id"] for m in response.json()["items"]}

    assert await ids() == {str(m.id) for m in (hz, nb, wz, sh)}
    assert await ids(region="3301") == {str(hz.id)}
    assert await ids(region="33") == {str(hz.id), str(nb.id), str(wz.id)}
    assert await ids(region="330203") == {str(nb.id)}
    assert await ids(tier="leading") == {str(hz.id)}
    assert await ids(category="data_circulation") == {str(nb.id)}
    assert await ids(third_party_role="broker") == {str(nb.id)}
    # An expired DCMM level 5 does not count.
    assert await ids(dcmm_min=3) == {str(hz.id)}
    assert await ids(dcmm_min=2) == {str(hz.id), str(nb.id)}
    assert await ids(q="港航") == {str(nb.id)}
    assert await ids(q=sh.uscc) == {str(sh.id)}
    assert await ids(q="%") == set()
    bad = await client.get("/v1/merchants", params={"region": "33a"}, headers=headers)
    assert bad.status_code == 422


async def test_pages_have_no_gaps_or_repeats(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    made = {str((await make_merchant(session)).id) for _ in range(7)}
    headers = await operator(session)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/v1/merchants", params=params, headers=headers)).json()
        assert len(body["items"]) <= 3
        seen += [m["id"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor!"}):
        response = await client.get("/v1/merchants", params=bad, headers=headers)
        assert response.status_code in (400, 422), bad


PRIVATE = ("contact_email", "uscc_override_reason", "website", "description", "version")
PUBLIC = {
    "profile", "id", "name", "uscc", "region_code", "city_code", "city_name", "zhejiang",
    "categories", "third_party_roles", "tier", "certifications", "listed_product_count",
}  # fmt: skip


async def test_the_directory_is_public_and_the_record_is_private(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await make_merchant(session, contact_email="secret@mine.cn", description="内部说明")
    theirs = await make_merchant(session, contact_email="secret@theirs.cn", tier="leading")
    token = auth(await make_key(session, Role.merchant, mine.id))
    keys = {role: auth(await make_key(session, role)) for role in Role if role is not Role.merchant}

    def shapes(items: list[dict[str, Any]]) -> dict[str, str]:
        return {item["id"]: item["profile"] for item in items}

    # Anonymous visitors and assessors read the public profile of every merchant.
    for headers in ({}, keys[Role.assessor]):
        listed = await client.get("/v1/merchants", headers=headers)
        assert listed.status_code == 200
        assert shapes(listed.json()["items"]) == {str(mine.id): "public", str(theirs.id): "public"}
        for item in listed.json()["items"]:
            assert set(item) == PUBLIC
        one = await client.get(f"/v1/merchants/{theirs.id}", headers=headers)
        assert one.status_code == 200
        assert set(one.json()) == PUBLIC
        assert one.json()["tier"] == "leading"
        assert "secret@" not in one.text
        assert "." not in one.headers["ETag"]  # a digest of the body, no version to send back

    # A merchant reads its own record in full, and others' public profiles.
    listed = await client.get("/v1/merchants", headers=token)
    assert shapes(listed.json()["items"]) == {str(mine.id): "full", str(theirs.id): "public"}
    own = await client.get(f"/v1/merchants/{mine.id}", headers=token)
    assert own.json()["contact_email"] == "secret@mine.cn"
    assert own.json()["description"] == "内部说明"
    assert own.headers["ETag"].startswith(f'"{own.json()["version"]}.')
    other = await client.get(f"/v1/merchants/{theirs.id}", headers=token)
    assert other.json()["profile"] == "public" and "secret@" not in other.text

    # Operators and auditors read every record in full.
    for role in (Role.operator, Role.auditor):
        listed = await client.get("/v1/merchants", headers=keys[role])
        assert set(shapes(listed.json()["items"]).values()) == {"full"}
        one = await client.get(f"/v1/merchants/{theirs.id}", headers=keys[role])
        assert one.json()["contact_email"] == "secret@theirs.cn"
        assert all(field in one.json() for field in PRIVATE)

    # Filters work for anonymous callers, and a bad key is still 401.
    found = await client.get("/v1/merchants", params={"q": theirs.name})
    assert [m["id"] for m in found.json()["items"]] == [str(theirs.id)]
    assert (await client.get("/v1/merchants", headers=auth("shs_nope"))).status_code == 401
    assert (await client.get(f"/v1/merchants/{uuid4()}")).status_code == 404


async def test_listed_product_count(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    await make_card(session, merchant, venue="HZDEX")
    product, _ = await make_card(session, merchant, venue="ZJBDEX")
    session.add(listing(product, "NBSE"))  # the same product on another venue counts once
    unlisted, _ = await make_card(session, merchant)
    await session.execute(
        text("UPDATE listing SET status = 'suspended' WHERE product_id = :p"), {"p": unlisted.id}
    )
    await session.commit()
    one = await client.get(f"/v1/merchants/{merchant.id}")
    assert one.json()["listed_product_count"] == 2
    (item,) = (await client.get("/v1/merchants")).json()["items"]
    assert item["listed_product_count"] == 2


async def test_patch_with_etags(client: httpx.AsyncClient, session: AsyncSession) -> None:
    merchant = await make_merchant(session)
    headers = await operator(session)
    url = f"/v1/merchants/{merchant.id}"
    read = await client.get(url, headers=headers)
    etag = read.headers["ETag"]

    changed = await client.patch(
        url,
        json={
            "tier": "leading",
            "certifications": [{"scheme": "ISO27001", "valid_until": "2028-06-30"}],
        },
        headers={**headers, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["tier"] == "leading"
    assert [c["scheme"] for c in changed.json()["certifications"]] == ["ISO27001"]
    assert changed.json()["version"] == 2
    assert changed.headers["ETag"].startswith('"2.')

    stale = await client.patch(url, json={"tier": "growth"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    assert (await client.get(url, headers=headers)).json()["tier"] == "leading"

    cleared = await client.patch(url, json={"tier": None}, headers={**headers, "If-Match": '"2"'})
    assert cleared.status_code == 200
    assert cleared.json()["tier"] is None

    nulled = await client.patch(url, json={"name": None}, headers=headers)
    assert nulled.status_code == 422

    same = await client.patch(url, json={"tier": None}, headers=headers)
    assert same.json()["version"] == 3  # nothing changed, nothing written


async def test_patch_uscc_is_checked_again(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    a = await make_merchant(session)
    b = await make_merchant(session)
    headers = await operator(session)
    bad = await client.patch(
        f"/v1/merchants/{a.id}", json={"uscc": wrong_check(a.uscc)}, headers=headers
    )
    assert bad.status_code == 422
    taken = await client.patch(f"/v1/merchants/{a.id}", json={"uscc": b.uscc}, headers=headers)
    assert taken.status_code == 409
    fresh = valid_uscc()
    ok = await client.patch(f"/v1/merchants/{a.id}", json={"uscc": fresh}, headers=headers)
    assert ok.status_code == 200
    assert ok.json()["uscc"] == fresh


async def test_merchant_changes_only_its_contact_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await make_merchant(session)
    theirs = await make_merchant(session)
    token = auth(await make_key(session, Role.merchant, mine.id))
    ok = await client.patch(
        f"/v1/merchants/{mine.id}",
        json={"contact_email": "new@example.cn", "description": "数据产品开发"},
        headers=token,
    )
    assert ok.status_code == 200
    assert ok.json()["contact_email"] == "new@example.cn"

    for field, value in (("tier", "leading"), ("name", "改名"), ("certifications", [])):
        refused = await client.patch(f"/v1/merchants/{mine.id}", json={field: value}, headers=token)
        assert refused.status_code == 403, field
        assert refused.json()["fields"] == [field]

    other = await client.patch(
        f"/v1/merchants/{theirs.id}", json={"contact_email": "x@example.cn"}, headers=token
    )
    assert other.status_code == 403
    assert (
        "x@example.cn"
        not in (
            await client.get(f"/v1/merchants/{theirs.id}", headers=await operator(session))
        ).text
    )

    auditor = auth(await make_key(session, Role.auditor))
    assert (
        await client.patch(f"/v1/merchants/{mine.id}", json={}, headers=auditor)
    ).status_code == 403


async def test_unknown_merchant_is_404(client: httpx.AsyncClient, session: AsyncSession) -> None:
    headers = await operator(session)
    missing = "01a20000-0000-7000-8000-000000000000"
    assert (await client.get(f"/v1/merchants/{missing}", headers=headers)).status_code == 404
    assert (
        await client.patch(f"/v1/merchants/{missing}", json={}, headers=headers)
    ).status_code == 404
    assert (await client.get("/v1/merchants/not-a-uuid", headers=headers)).status_code == 422


async def test_nul_characters_are_422_not_500(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = await operator(session)
    stored = await client.post(
        "/v1/merchants", json=merchant_body(name="杭州\u0000数据"), headers=headers
    )
    assert stored.status_code == 422
    assert "U+0000" in stored.json()["errors"][0]["msg"]  # a name takes no control character
    searched = await client.get("/v1/merchants", params={"q": "a\u0000"}, headers=headers)
    assert searched.status_code == 422
    assert (await client.get("/v1/merchants", headers=headers)).json()["items"] == []


async def test_the_directory_search_matches_only_what_the_caller_may_read(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The finding: `q` matched private descriptions for anyone, so an anonymous caller
    could learn, one guess at a time, what a merchant's private description says. Now `q`
    matches a description only for callers who read that merchant's whole record."""
    mine = await make_merchant(session, name="甲数据有限公司", description="内部：秘密客户名单")
    theirs = await make_merchant(session, name="乙数据有限公司", description="秘密项目")
    own = auth(await make_key(session, Role.merchant, mine.id))
    keys = {role: auth(await make_key(session, role)) for role in Role if role is not Role.merchant}

    async def found(headers: dict[str, str], q: str = "秘密") -> set[str]:
        answer = await client.get("/v1/merchants", params={"q": q}, headers=headers)
        assert answer.status_code == 200, answer.text
        return {m["id"] for m in answer.json()["items"]}

    for public in ({}, keys[Role.assessor]):
        assert await found(public) == set()
        assert await found(public, "甲数据") == {str(mine.id)}  # the name is public
        assert await found(public, mine.uscc) == {str(mine.id)}
    assert await found(own) == {str(mine.id)}  # its own description, not another's
    for staff in (Role.operator, Role.auditor):
        assert await found(keys[staff]) == {str(mine.id), str(theirs.id)}


async def test_a_private_change_leaves_the_public_etag(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The finding: the public profile's ETag was derived from the version, which every
    change bumps, so a change of the contact e-mail changed what anonymous callers saw of
    the ETag. Now the public ETag is of the public fields only; the whole record's still
    follows the version."""
    merchant = await make_merchant(session)
    admin = await operator(session)
    own = auth(await make_key(session, Role.merchant, merchant.id))
    assessor = auth(await make_key(session, Role.assessor))
    other = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    url = f"/v1/merchants/{merchant.id}"

    async def etags() -> dict[str, str]:
        seen = {}
        for name, headers in (("P", {}), ("S", assessor), ("X", other), ("M", own)):
            one = await client.get(url, headers=headers)
            listed = await client.get("/v1/merchants", params={"q": merchant.uscc}, headers=headers)
            assert one.status_code == listed.status_code == 200
            seen[name] = one.headers["ETag"]
            seen[name + "list"] = listed.headers["ETag"]
        return seen

    async def patch(body: dict[str, Any], headers: dict[str, str]) -> None:
        answer = await client.patch(url, json=body, headers=headers)
        assert answer.status_code == 200, answer.text

    before = await etags()
    await patch({"contact_email": "new@example.cn"}, own)
    await patch({"description": "新的内部说明", "website": "https://new.example.cn/"}, admin)
    after = await etags()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"M", "Mlist"}  # only the merchant itself reads what changed
    # A conditional read of the public profile still answers 304.
    again = await client.get(url, headers={"If-None-Match": after["P"]})
    assert again.status_code == 304

    await patch({"tier": "leading"}, admin)  # a public field
    public = await etags()
    assert all(public[name] != after[name] for name in public)
