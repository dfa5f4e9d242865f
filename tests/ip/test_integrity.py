"""Data IP under collusion (issue 27; DOMAIN.md "Who may do what, round 2"): a pledge needs
the pledgee, a pledge in force blocks transfer, cancel and licence without the pledgee's
consent, core data suspends its certificates and its trades, catalog cards show only the
product owner's certificate, and an objector objects once. Each attack through the HTTP
API, refused, with nothing changed in the database."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.roles import Role
from app.ledger.verify import verify_venue
from tests.factories import auth, idempotent, make_key, make_merchant
from tests.ip.test_hostile import YEAR, Bank, pledge_body, scalar, steps_of
from tests.ip.test_router import Registry
from tests.listings.test_router import Exchange
from tests.trades.conftest import DIGEST


@pytest.fixture
async def registry(client: httpx.AsyncClient, session: AsyncSession) -> Registry:
    return await Registry().setup(client, session)


def fresh(key: dict[str, str]) -> dict[str, str]:
    """An IP step's headers: the caller's key and a fresh Idempotency-Key."""
    return {**key, "Idempotency-Key": str(uuid.uuid4())}


async def step(
    registry: Registry, rid: str, action: str, body: Any, key: dict[str, str]
) -> httpx.Response:
    return await registry.client.post(
        f"/v1/ip-registrations/{rid}/{action}", json=body, headers=fresh(key)
    )


async def snapshot(session: AsyncSession, rid: str) -> dict[str, Any]:
    """What a refused step must leave as it was: the registration, its pledges, consents,
    licences and steps."""
    row = (
        (
            await session.execute(
                text(
                    "SELECT status, holder_merchant_id, version, suspension_reason,"
                    " (SELECT json_agg(json_build_object('id', id, 'status', status,"
                    "   'released_at', released_at, 'confirmed_at', confirmed_at) ORDER BY id)"
                    "  FROM ip_pledge WHERE registration_id = r.id) AS pledges,"
                    " (SELECT json_agg(json_build_object('id', c.id, 'used_at', c.used_at)"
                    "   ORDER BY c.id) FROM ip_pledge_consent c JOIN ip_pledge p"
                    "   ON p.id = c.pledge_id WHERE p.registration_id = r.id) AS consents,"
                    " (SELECT count(*) FROM ip_licence WHERE registration_id = r.id) AS licences,"
                    " (SELECT count(*) FROM ip_step WHERE registration_id = r.id) AS steps"
                    " FROM ip_registration r WHERE id = :id"
                ),
                {"id": rid},
            )
        )
        .mappings()
        .one()
    )
    await session.commit()
    return dict(row)


def licence_body(**fields: Any) -> dict[str, Any]:
    today = shanghai_today()
    return {
        "licensee_name": "乙公司",
        "scope": "信贷风控模型训练",
        "exclusive": True,
        "starts_on": today.isoformat(),
        "ends_on": (today + YEAR).isoformat(),
        **fields,
    }


# --- 1. A pledge needs the pledgee ---------------------------------------------------------


async def test_a_bank_name_on_an_accomplices_key_is_refused(
    registry: Registry, session: AsyncSession
) -> None:
    """Attack: the holder names a bank (中国工商银行…) as pledgee with an accomplice's
    `pledgee_merchant_id`, so the accomplice may release. The name must be the merchant's."""
    accomplice = await make_merchant(session, name="杭州某某咨询有限公司")
    accomplice_key = auth(await make_key(session, Role.merchant, accomplice.id))
    rid = (await registry.registered())["id"]
    before = await snapshot(session, rid)
    refused = await step(
        registry,
        rid,
        "pledge",
        pledge_body(
            pledgee_name="中国工商银行股份有限公司", pledgee_merchant_id=str(accomplice.id)
        ),
        registry.holder_key,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "pledgee_name"]
    assert accomplice.name in refused.json()["detail"]
    assert await snapshot(session, rid) == before

    # Without a name it is the accomplice's own, for everyone to read; and it is only
    # applied: the certificate shows no pledge and nothing is restricted by it.
    body = pledge_body(pledgee_merchant_id=str(accomplice.id))
    del body["pledgee_name"]
    applied = await step(registry, rid, "pledge", body, registry.holder_key)
    assert applied.status_code == 200, applied.text
    [pledge] = applied.json()["pledges"]
    assert pledge["pledgee_name"] == accomplice.name and pledge["status"] == "applied"
    number = applied.json()["certificate_number"]
    shown = (await registry.client.get(f"/v1/certificates/{number}")).json()
    assert shown["pledges_in_force"] == []
    confirmed = await registry.pledge_step(rid, pledge["id"], "confirm", None, accomplice_key)
    assert confirmed.status_code == 200, confirmed.text
    shown = (await registry.client.get(f"/v1/certificates/{number}")).json()
    assert [p["pledgee_name"] for p in shown["pledges_in_force"]] == [accomplice.name]


async def test_only_the_pledgee_or_the_operator_confirms(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """An applied pledge restricts nothing and shows nowhere; the holder, another merchant,
    an auditor cannot confirm it; a pledgee that is no merchant is confirmed by the operator
    only; the holder may withdraw an applied pledge, never one in force."""
    bank = await Bank().setup(session)
    certificate = await registry.registered()
    rid, number = certificate["id"], certificate["certificate_number"]

    # A bank that is no merchant: only the operator confirms.
    applied = await step(registry, rid, "pledge", pledge_body(), registry.holder_key)
    assert applied.status_code == 200, applied.text
    pledge_id = applied.json()["pledges"][0]["id"]
    assert applied.json()["history"][-1]["details"]["pledge_status"] == "applied"
    before = await snapshot(session, rid)
    for key in (registry.holder_key, registry.other_key, bank.key, registry.auditor):
        refused = await registry.pledge_step(rid, pledge_id, "confirm", None, key)
        assert refused.status_code == 403, (key, refused.text)
    assert await snapshot(session, rid) == before
    assert (await client.get(f"/v1/certificates/{number}")).json()["pledges_in_force"] == []
    pdf = await client.get(f"/v1/certificates/{number}.pdf")
    assert pdf.status_code == 200
    # Applied: the holder may still license (the pledge restricts nothing yet).
    licensed = await step(registry, rid, "license", licence_body(), registry.holder_key)
    assert licensed.status_code == 200, licensed.text

    # A second application while one is open: 409.
    again = await step(registry, rid, "pledge", pledge_body(), registry.holder_key)
    assert again.status_code == 409 and again.json()["pledge_id"] == pledge_id

    withdrawn = await registry.pledge_step(rid, pledge_id, "withdraw", None, registry.holder_key)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["pledges"][0]["status"] == "withdrawn"
    late = await registry.pledge_step(rid, pledge_id, "confirm")
    assert late.status_code == 409 and late.json()["pledge_status"] == "withdrawn"

    # The bank as a merchant: its key confirms; the operator could too.
    confirmed = await registry.pledged(
        rid, pledge_body(pledgee_merchant_id=str(bank.merchant.id)), bank.key
    )
    assert confirmed.status_code == 200, confirmed.text
    [in_force] = [p for p in confirmed.json()["pledges"] if p["status"] == "in_force"]
    assert in_force["confirmed_at"] and in_force["pledgor_merchant_id"] == str(registry.holder.id)
    assert confirmed.json()["history"][-1]["action"] == "confirm"
    shown = (await client.get(f"/v1/certificates/{number}")).json()
    assert [p["id"] for p in shown["pledges_in_force"]] == [in_force["id"]]
    before = await snapshot(session, rid)
    # In force: no withdrawal by the holder (the pledgee releases), no second confirmation.
    refused = await registry.pledge_step(rid, in_force["id"], "withdraw", None, registry.holder_key)
    assert refused.status_code == 409 and refused.json()["pledge_status"] == "in_force"
    assert (await registry.pledge_step(rid, in_force["id"], "confirm")).status_code == 409
    assert await snapshot(session, rid) == before
    verified = await verify_venue(session, "IPR")
    assert verified.ok, verified.problems


async def test_a_pledge_applied_before_a_transfer_never_binds_the_new_holder(
    registry: Registry, session: AsyncSession
) -> None:
    bank = await Bank().setup(session)
    rid = (await registry.registered())["id"]
    applied = await step(
        registry,
        rid,
        "pledge",
        pledge_body(pledgee_merchant_id=str(bank.merchant.id)),
        registry.holder_key,
    )
    pledge_id = applied.json()["pledges"][0]["id"]
    moved = await step(
        registry, rid, "transfer", {"to_merchant_id": str(registry.other.id)}, registry.holder_key
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["pledges"][0]["status"] == "withdrawn"
    assert moved.json()["history"][-1]["details"]["withdrawn_pledge_ids"] == [pledge_id]
    before = await snapshot(session, rid)
    for key in (bank.key, registry.admin):
        refused = await registry.pledge_step(rid, pledge_id, "confirm", None, key)
        assert refused.status_code in (403, 409), refused.text
    assert await snapshot(session, rid) == before
    # The new holder applies for its own pledge, which the bank may confirm.
    registry.holder_key = registry.other_key
    confirmed = await registry.pledged(
        rid, pledge_body(pledgee_merchant_id=str(bank.merchant.id)), bank.key
    )
    assert confirmed.status_code == 200, confirmed.text


# --- 2. No transfer, cancel or licence while pledged without consent ----------------------


async def test_no_licence_transfer_or_cancel_while_pledged_without_consent(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Attack: an exclusive licence granted on a pledged certificate (民法典 第四百四十四条).
    Each blocked step needs the pledgee's consent to that very step, recorded by the
    operator, and one consent admits one step."""
    bank = await Bank().setup(session)
    rid = (await registry.registered())["id"]
    pledged = await registry.pledged(
        rid, pledge_body(pledgee_merchant_id=str(bank.merchant.id)), bank.key
    )
    pledge_id = pledged.json()["pledges"][0]["id"]
    before = await snapshot(session, rid)
    attempts = [
        ("license", licence_body()),
        ("license", licence_body(exclusive=False, licensee_name="丙公司")),
        ("transfer", {"to_merchant_id": str(registry.other.id)}),
        ("cancel", {"reason": "不再需要"}),
    ]
    for action, body in attempts:
        for key in (registry.holder_key, registry.admin):
            refused = await step(registry, rid, action, body, key)
            assert refused.status_code == 409, (action, refused.text)
            assert refused.json()["pledge_id"] == pledge_id
            assert "consent" in refused.json()["detail"]
    # Only the operator records a consent: not the holder, nor the pledgee's own key.
    for key in (registry.holder_key, bank.key, registry.other_key):
        refused = await registry.pledge_step(rid, pledge_id, "consent", {"step": "license"}, key)
        assert refused.status_code == 403, refused.text
    assert await snapshot(session, rid) == before
    bad = await registry.pledge_step(rid, pledge_id, "consent", {"step": "renew"})
    assert bad.status_code == 422
    assert await snapshot(session, rid) == before

    consented = await registry.pledge_step(
        rid, pledge_id, "consent", {"step": "license", "reference": "杭银同意函 2026-118"}
    )
    assert consented.status_code == 200, consented.text
    consent_id = consented.json()["consents"][0]["id"]
    twice = await registry.pledge_step(rid, pledge_id, "consent", {"step": "license"})
    assert twice.status_code == 409  # one unspent consent to a step at a time
    holder_view = await client.get(f"/v1/ip-registrations/{rid}", headers=registry.holder_key)
    assert holder_view.json()["allowed_actions"] == ["change", "license"]
    # The consent to a licence admits a licence, not a transfer; and one licence only.
    moved = await step(
        registry, rid, "transfer", {"to_merchant_id": str(registry.other.id)}, registry.holder_key
    )
    assert moved.status_code == 409
    licensed = await step(registry, rid, "license", licence_body(), registry.holder_key)
    assert licensed.status_code == 200, licensed.text
    assert licensed.json()["history"][-1]["details"]["consent_ids"] == [consent_id]
    assert licensed.json()["consents"][0]["used_at"]
    second = await step(
        registry,
        rid,
        "license",
        licence_body(
            exclusive=False,
            starts_on=(shanghai_today() + YEAR + timedelta(days=1)).isoformat(),
            ends_on=(shanghai_today() + 2 * YEAR).isoformat(),
        ),
        registry.holder_key,
    )
    assert second.status_code == 409 and "consent" in second.json()["detail"]
    assert await scalar(session, "SELECT count(*) FROM ip_licence") == 1

    assert (
        await registry.pledge_step(rid, pledge_id, "consent", {"step": "transfer"})
    ).status_code == 200
    moved = await step(
        registry, rid, "transfer", {"to_merchant_id": str(registry.other.id)}, registry.holder_key
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["holder_merchant_id"] == str(registry.other.id)
    # The pledge follows the certificate: the new holder is just as bound.
    cancel = await step(registry, rid, "cancel", None, registry.other_key)
    assert cancel.status_code == 409
    verified = await verify_venue(session, "IPR")
    assert verified.ok, verified.problems


async def test_consent_only_on_a_pledge_in_force(registry: Registry, session: AsyncSession) -> None:
    rid = (await registry.registered())["id"]
    applied = await step(registry, rid, "pledge", pledge_body(), registry.holder_key)
    pledge_id = applied.json()["pledges"][0]["id"]
    before = await snapshot(session, rid)
    refused = await registry.pledge_step(rid, pledge_id, "consent", {"step": "transfer"})
    assert refused.status_code == 409 and refused.json()["pledge_status"] == "applied"
    missing = await registry.pledge_step(rid, str(uuid.uuid4()), "consent", {"step": "transfer"})
    assert missing.status_code == 404
    assert await snapshot(session, rid) == before


# --- 3. Core data: suspended certificates, no trade -----------------------------------------


async def listed_and_certified(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[Exchange, Registry, str, str, str]:
    """A listed product of the exchange's merchant, with a granted certificate: (exchange,
    registry as its holder, product id, listing id, registration id)."""
    ex = await Exchange(client, session).setup()
    product_id = await ex.product()
    listing_id = await ex.listing(product_id)
    await ex.step(listing_id, "submit", ex.owner)
    approved = await ex.step(listing_id, "approve", ex.admin)
    assert approved.json()["status"] == "listed", approved.text
    registry = await Registry().setup(client, session)
    registry.holder, registry.holder_key = ex.merchant, ex.owner

    class _Product:
        id = uuid.UUID(product_id)

    registry.product = _Product()
    rid = (await registry.registered())["id"]
    return ex, registry, product_id, listing_id, rid


async def test_core_data_suspends_its_certificate_and_refuses_its_trades(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Attack: a product reclassified core keeps a certificate `registered` and
    `valid_today`, gets licences, and off-venue trades naming it are accepted."""
    ex, registry, product_id, listing_id, rid = await listed_and_certified(client, session)
    buyer = await make_merchant(session)
    number = (await client.get(f"/v1/ip-registrations/{rid}")).json()["certificate_number"]
    made_core = await client.patch(
        f"/v1/products/{product_id}",
        json={"classification": "core", "classification_level": None},
        headers=ex.owner,
    )
    assert made_core.status_code == 200, made_core.text

    shown = (await client.get(f"/v1/certificates/{number}")).json()
    assert shown["status"] == "suspended" and shown["valid_today"] is False
    assert shown["suspension_reason"] == "core_data"
    read = (await client.get(f"/v1/ip-registrations/{rid}", headers=ex.owner)).json()
    assert read["status"] == "suspended" and read["suspension_reason"] == "core_data"
    assert read["history"][-1]["action"] == "suspend"
    assert read["history"][-1]["to_status"] == "suspended"
    assert "license" not in read["allowed_actions"]
    suspended = await client.get("/v1/ip-registrations", params={"status": "suspended"})
    assert [r["id"] for r in suspended.json()["items"]] == [rid]
    assert (await client.get(f"/v1/certificates/{number}.pdf")).status_code == 200

    await registry.ends_in(rid, days=30)  # in the renewal window: refused by the state
    before = await snapshot(session, rid)
    for action, body in [
        ("license", licence_body()),
        ("transfer", {"to_merchant_id": str(registry.other.id)}),
        ("renew", None),
        ("pledge", pledge_body()),
        ("change", {"data_name": "新名称"}),
    ]:
        for key in (ex.owner, registry.admin):
            refused = await step(registry, rid, action, body, key)
            assert refused.status_code == 409, (action, refused.text)
            assert refused.json()["current_status"] == "suspended"
    assert await snapshot(session, rid) == before

    # Every trade naming the product: on venue, off venue reported or recorded, imported.
    trades_before = await scalar(session, "SELECT count(*) FROM trade")
    trade = {
        "venue_code": "HZDEX",
        "seller_merchant_id": str(ex.merchant.id),
        "buyer_merchant_id": str(buyer.id),
        "amount": "12000.00",
        "contract_digest": DIGEST,
        "occurred_at": "2026-11-20T10:00:00+08:00",
    }
    on_venue = {**trade, "on_venue": True, "listing_id": listing_id}
    off_venue = {**trade, "venue_code": "OTC", "on_venue": False, "product_id": product_id}
    for body, key in ((on_venue, ex.admin), (off_venue, ex.owner), (off_venue, ex.admin)):
        refused = await client.post("/v1/transactions", json=body, headers=fresh(key))
        assert refused.status_code == 409, refused.text
        if body is off_venue:
            assert "core data" in refused.json()["detail"]
    lines = "".join(
        json.dumps({**body, "idempotency_key": str(uuid.uuid4())}) + "\n"
        for body in (off_venue, on_venue)
    )
    for historical in (False, True):
        imported = await client.post(
            "/v1/transactions/imports",
            content=lines.encode(),
            params={"historical": "true"} if historical else {},
            headers={**ex.admin, "Content-Type": "application/x-ndjson"},
        )
        assert imported.status_code == 200, imported.text
        statuses = [(r["status"], r["problem"]["status"]) for r in imported.json()["results"]]
        assert statuses == [("refused", 409), ("refused", 409)]
        # A historical import admits a suspended listing: the product's class refuses it.
        if historical:
            assert all("core data" in r["problem"]["detail"] for r in imported.json()["results"])
    assert await scalar(session, "SELECT count(*) FROM trade") == trades_before

    # Reclassifying back does not reinstate; only the operator does, after review.
    refused = await step(registry, rid, "reinstate", None, registry.admin)
    assert refused.status_code == 409 and "core" in refused.json()["detail"]
    back = await client.patch(
        f"/v1/products/{product_id}",
        json={"classification": "general", "classification_level": 2},
        headers=ex.owner,
    )
    assert back.status_code == 200, back.text
    assert (await client.get(f"/v1/certificates/{number}")).json()["status"] == "suspended"
    before = await snapshot(session, rid)
    for key in (ex.owner, registry.other_key, registry.auditor):
        denied = await step(registry, rid, "reinstate", None, key)
        assert denied.status_code == 403, denied.text
    assert await snapshot(session, rid) == before
    reinstated = await step(registry, rid, "reinstate", {"reason": "复核:非核心数据"}, ex.admin)
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["status"] == "registered"
    assert reinstated.json()["suspension_reason"] is None
    shown = (await client.get(f"/v1/certificates/{number}")).json()
    assert shown["status"] == "registered" and shown["valid_today"] is True
    again = await step(registry, rid, "reinstate", None, ex.admin)
    assert again.status_code == 409
    verified = await verify_venue(session, "IPR")
    assert verified.ok, verified.problems


async def test_a_registration_under_notice_is_not_granted_for_core_data(
    registry: Registry, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = registry.holder_key
    rid = (await registry.apply()).json()["id"]
    await registry.step(rid, "examine", {"decision": "accept"})
    await registry.end_notice(rid)
    made_core = await client.patch(
        f"/v1/products/{registry.product.id}",
        json={"classification": "core", "classification_level": None},
        headers=owner,
    )
    assert made_core.status_code == 200, made_core.text
    before = await snapshot(session, rid)
    refused = await step(registry, rid, "grant", None, registry.admin)
    assert refused.status_code == 422 and "classification" in refused.json()["reasons"]
    assert await snapshot(session, rid) == before


# --- 4. Catalog cards: only the product owner's certificate in force -----------------------


async def test_a_card_shows_only_the_product_owners_certificate(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Attack: after a transfer the old holder's card still shows the certificate and
    `?certified=true` still finds it."""
    ex, registry, _product_id, listing_id, rid = await listed_and_certified(client, session)
    number = (await client.get(f"/v1/ip-registrations/{rid}")).json()["certificate_number"]

    async def card() -> Any:
        return (await client.get(f"/v1/catalog/{listing_id}")).json()["card"]["certificate"]

    async def found(certified: str) -> list[str]:
        page = await client.get(
            "/v1/catalog",
            params={"certified": certified, "merchant_id": str(ex.merchant.id), "facets": "true"},
        )
        assert page.status_code == 200, page.text
        return [c["listing"]["id"] for c in page.json()["items"]]

    assert (await card())["number"] == number
    assert await found("true") == [listing_id] and await found("false") == []

    moved = await step(
        registry, rid, "transfer", {"to_merchant_id": str(registry.other.id)}, ex.owner
    )
    assert moved.status_code == 200, moved.text
    assert await card() is None
    assert await found("true") == [] and await found("false") == [listing_id]

    # Back to the product's merchant: shown again; then expired by date: gone again.
    back = await step(
        registry, rid, "transfer", {"to_merchant_id": str(ex.merchant.id)}, registry.other_key
    )
    assert back.status_code == 200, back.text
    assert (await card())["number"] == number
    await registry.ends_in(rid, days=-1)
    assert await card() is None
    assert await found("true") == []


# --- 5. Objections: one per objector, the notice never moves -------------------------------


async def test_one_objection_per_objector_and_the_notice_never_moves(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Attack: one merchant files objections one after another to keep a registration
    `objected`."""
    second_key = auth(await make_key(session, Role.merchant, registry.other.id))
    third = await make_merchant(session)
    third_key = auth(await make_key(session, Role.merchant, third.id))
    rid = (await registry.apply()).json()["id"]
    examined = await registry.step(rid, "examine", {"decision": "accept"})
    ends = examined.json()["publicity_ends_at"]
    objection = {"kind": "other", "grounds": "数据描述不实"}
    first = await client.post(
        f"/v1/ip-registrations/{rid}/objections",
        json=objection,
        headers=idempotent(registry.other_key),
    )
    assert first.status_code == 201, first.text
    before = await snapshot(session, rid)
    # Again, with the same key or another key of the same merchant: 409.
    for key in (registry.other_key, second_key):
        again = await client.post(
            f"/v1/ip-registrations/{rid}/objections", json=objection, headers=idempotent(key)
        )
        assert again.status_code == 409, again.text
        assert again.json()["objection_id"] == first.json()["id"]
    assert await snapshot(session, rid) == before

    dismissed = await registry.step(rid, f"objections/{first.json()['id']}/dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "publicizing"
    assert dismissed.json()["publicity_ends_at"] == ends
    before = await snapshot(session, rid)
    refused = await client.post(
        f"/v1/ip-registrations/{rid}/objections", json=objection, headers=idempotent(second_key)
    )
    assert refused.status_code == 409 and refused.json()["objection_status"] == "dismissed"
    assert await snapshot(session, rid) == before
    assert await steps_of(session, rid, "object") == 1

    # Another objector may object once; the notice end is where examination put it.
    other = await client.post(
        f"/v1/ip-registrations/{rid}/objections", json=objection, headers=idempotent(third_key)
    )
    assert other.status_code == 201, other.text
    shown = (await client.get(f"/v1/ip-registrations/{rid}")).json()
    assert shown["status"] == "objected" and shown["publicity_ends_at"] == ends
