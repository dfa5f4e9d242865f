"""Data IP registrations under hostile use (DOMAIN.md, "Who may do what, under hostile use"):
who may release a pledge, object, renew and when; `allowed_actions` as the caller's own;
one visibility rule, and the `status` filter on the status a registration shows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.roles import Role
from tests.factories import auth, idempotent, make_key, make_merchant, make_product
from tests.ip.test_router import Registry

YEAR = timedelta(days=365)


@pytest.fixture
async def registry(client: httpx.AsyncClient, session: AsyncSession) -> Registry:
    return await Registry().setup(client, session)


def pledge_body(**fields: Any) -> dict[str, Any]:
    today = shanghai_today()
    return {
        "pledgee_name": "杭州银行股份有限公司",
        "secured_amount": "5000000.00",
        "starts_on": today.isoformat(),
        "ends_on": (today + YEAR).isoformat(),
        **fields,
    }


async def scalar(session: AsyncSession, sql: str, **params: Any) -> Any:
    value = (await session.execute(text(sql), params)).scalar()
    await session.commit()  # a fresh snapshot for the next read
    return value


async def steps_of(session: AsyncSession, rid: str, action: str) -> int:
    return int(
        await scalar(
            session,
            "SELECT count(*) FROM ip_step WHERE registration_id = :id AND action = :a",
            id=rid,
            a=action,
        )
    )


class Bank:
    """A pledgee that is a merchant of the exchange, with its own key."""

    async def setup(self, session: AsyncSession) -> Bank:
        self.merchant = await make_merchant(session, name="杭州银行股份有限公司")
        self.key = auth(await make_key(session, Role.merchant, self.merchant.id))
        return self


# --- 1. Pledge release --------------------------------------------------------------------


async def test_the_holder_alone_cannot_release_a_pledge_and_transfer(
    registry: Registry, session: AsyncSession
) -> None:
    """Attack: the holder releases the bank's pledge itself, then transfers the certificate
    away from under the pledge. Both with and without the bank named as a merchant."""
    bank = await Bank().setup(session)
    for named in (None, str(bank.merchant.id)):
        certificate = await registry.registered()
        rid = certificate["id"]
        pledged = await registry.pledged(
            rid, pledge_body(pledgee_merchant_id=named), bank.key if named else None
        )
        assert pledged.status_code == 200, pledged.text
        pledge = pledged.json()["pledges"][0]
        assert pledge["pledgee_merchant_id"] == named

        released = await registry.step(
            rid, "release", {"pledge_id": pledge["id"]}, registry.holder_key
        )
        assert released.status_code == 403, released.text
        assert "pledgee" in released.json()["detail"]
        moved = await registry.step(
            rid, "transfer", {"to_merchant_id": str(registry.other.id)}, registry.holder_key
        )
        assert moved.status_code == 409 and moved.json()["pledge_id"] == pledge["id"]

        # Nothing changed: the pledge is in force, the holder the same, no step recorded.
        assert (
            await scalar(
                session, "SELECT released_at FROM ip_pledge WHERE id = :id", id=pledge["id"]
            )
            is None
        )
        assert await scalar(
            session, "SELECT holder_merchant_id FROM ip_registration WHERE id = :id", id=rid
        ) == uuid.UUID(str(registry.holder.id))
        assert await steps_of(session, rid, "release") == 0
        assert await steps_of(session, rid, "transfer") == 0
        shown = await registry.client.get(f"/v1/certificates/{certificate['certificate_number']}")
        assert [p["id"] for p in shown.json()["pledges_in_force"]] == [pledge["id"]]
        # A fresh product for the second round (one live registration per product).
        registry.product = await make_product(session, registry.holder)


async def test_the_pledgee_releases_with_its_own_key(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    bank = await Bank().setup(session)
    third = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    rid = (await registry.registered())["id"]
    pledged = await registry.pledged(
        rid, pledge_body(pledgee_merchant_id=str(bank.merchant.id)), bank.key
    )
    assert pledged.status_code == 200, pledged.text
    pledge = pledged.json()["pledges"][0]
    assert pledge["pledgee_merchant_id"] == str(bank.merchant.id)
    assert pledge["pledgee_uscc"] == bank.merchant.uscc  # taken from the merchant
    assert pledged.json()["history"][-1]["details"]["pledgee_merchant_id"] == str(bank.merchant.id)

    # Another merchant sees the certificate (it is public) but is not the pledgee: 403.
    stranger = await registry.step(rid, "release", {"pledge_id": pledge["id"]}, third)
    assert stranger.status_code == 403
    assert (
        await scalar(session, "SELECT released_at FROM ip_pledge WHERE id = :id", id=pledge["id"])
        is None
    )
    assert await steps_of(session, rid, "release") == 0

    seen = (await client.get(f"/v1/ip-registrations/{rid}", headers=bank.key)).json()
    assert seen["allowed_actions"] == ["release"]
    released = await registry.step(rid, "release", {"pledge_id": pledge["id"]}, bank.key)
    assert released.status_code == 200, released.text
    assert released.json()["pledges"][0]["released_at"]
    assert released.json()["history"][-1]["action"] == "release"
    assert released.json()["allowed_actions"] == []  # nothing more for the bank
    # Released once: the bank is no pledgee any more.
    again = await registry.step(rid, "release", {"pledge_id": pledge["id"]}, bank.key)
    assert again.status_code == 403
    assert (await registry.step(rid, "release", {"pledge_id": pledge["id"]})).status_code == 409

    moved = await registry.step(
        rid, "transfer", {"to_merchant_id": str(registry.other.id)}, registry.holder_key
    )
    assert moved.status_code == 200, moved.text


async def test_a_pledgee_releases_only_its_own_pledge(
    registry: Registry, session: AsyncSession
) -> None:
    """A merchant that was pledgee once (released) may not release a later pledge to another."""
    bank = await Bank().setup(session)
    other_bank = await Bank().setup(session)
    rid = (await registry.registered())["id"]
    first = await registry.pledged(
        rid, pledge_body(pledgee_merchant_id=str(bank.merchant.id)), bank.key
    )
    # The first pledge lapses unreleased (time travel), the second goes to another bank.
    first_id = first.json()["pledges"][0]["id"]
    await session.execute(
        text("UPDATE ip_pledge SET starts_on = :d, ends_on = :d WHERE id = :id"),
        {"d": shanghai_today() - timedelta(days=1), "id": first_id},
    )
    await session.commit()
    second = await registry.pledged(
        rid, pledge_body(pledgee_merchant_id=str(other_bank.merchant.id)), other_bank.key
    )
    assert second.status_code == 200, second.text
    [second_id] = [p["id"] for p in second.json()["pledges"] if p["id"] != first_id]
    refused = await registry.step(rid, "release", {"pledge_id": second_id}, bank.key)
    assert refused.status_code == 403
    assert (
        await scalar(session, "SELECT released_at FROM ip_pledge WHERE id = :id", id=second_id)
        is None
    )


async def test_pledgee_merchant_id_must_name_another_merchant(
    registry: Registry, session: AsyncSession
) -> None:
    bank = await Bank().setup(session)
    rid = (await registry.registered())["id"]
    cases = [
        (pledge_body(pledgee_merchant_id=str(uuid.uuid4())), "pledgee_merchant_id"),
        (pledge_body(pledgee_merchant_id=str(registry.holder.id)), "pledgee_merchant_id"),
        (pledge_body(pledgee_merchant_id="not-a-uuid"), "pledgee_merchant_id"),
        (
            pledge_body(
                pledgee_merchant_id=str(bank.merchant.id), pledgee_uscc=registry.other.uscc
            ),
            "pledgee_uscc",
        ),
    ]
    for body, field in cases:
        refused = await registry.step(rid, "pledge", body, registry.holder_key)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", field]
        assert field in refused.json()["detail"]
    assert await scalar(session, "SELECT count(*) FROM ip_pledge") == 0
    assert await steps_of(session, rid, "pledge") == 0


# --- 2. Renewal window --------------------------------------------------------------------


def plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def test_renewal_only_in_its_window_and_once(
    registry: Registry, session: AsyncSession
) -> None:
    """Attack: renew five times in a row, to the 2040s. Now only within the window, once."""
    certificate = await registry.registered()
    rid = certificate["id"]
    assert Settings().ip_renewal_window_days == 90
    today = shanghai_today()

    early = await registry.step(rid, "renew", None, registry.holder_key)
    assert early.status_code == 409
    opens = date.fromisoformat(certificate["valid_until"]) - timedelta(days=90)
    assert early.json()["renewal_opens_on"] == opens.isoformat()
    assert f"Renewal opens on {opens}" in early.json()["detail"]
    assert await scalar(
        session, "SELECT valid_until FROM ip_registration WHERE id = :id", id=rid
    ) == date.fromisoformat(certificate["valid_until"])

    # One day before the window: 409 naming tomorrow.
    await registry.ends_in(rid, days=91)
    shut = await registry.step(rid, "renew", None, registry.holder_key)
    assert shut.status_code == 409
    assert shut.json()["renewal_opens_on"] == (today + timedelta(days=1)).isoformat()
    assert (
        "renew"
        not in (
            await registry.client.get(f"/v1/ip-registrations/{rid}", headers=registry.holder_key)
        ).json()["allowed_actions"]
    )

    # The window's first day: renewed once, by the validity years on top of the old end.
    ends = await registry.ends_in(rid, days=90)
    shown = await registry.client.get(f"/v1/ip-registrations/{rid}", headers=registry.holder_key)
    assert "renew" in shown.json()["allowed_actions"]
    answers = [
        (await registry.step(rid, "renew", None, registry.holder_key)).status_code for _ in range(5)
    ]
    assert answers == [200, 409, 409, 409, 409]
    renewed_until = plus_years(ends, 3)
    assert (
        await scalar(session, "SELECT valid_until FROM ip_registration WHERE id = :id", id=rid)
        == renewed_until
    )
    assert await steps_of(session, rid, "renew") == 1
    last = await registry.step(rid, "renew", None, registry.holder_key)
    assert last.json()["renewal_opens_on"] == (renewed_until - timedelta(days=90)).isoformat()


async def test_renewal_is_capped_by_a_source_agreement(
    registry: Registry, session: AsyncSession
) -> None:
    def agreement(ends: date) -> list[dict[str, str]]:
        return [{"kind": "partner_agreement", "reference": "HZ-2026-07",
                 "agreement_ends_on": ends.isoformat()}]  # fmt: skip

    today = shanghai_today()
    later = today + timedelta(days=400)
    certificate = await registry.registered(sources=agreement(later))
    rid = certificate["id"]
    assert certificate["valid_until"] == later.isoformat()  # capped at grant
    await registry.ends_in(rid, days=30)
    renewed = await registry.step(rid, "renew", None, registry.holder_key)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["valid_until"] == later.isoformat()
    again = await registry.step(rid, "renew", None, registry.holder_key)
    assert again.status_code == 409
    assert again.json()["renewal_opens_on"] == (later - timedelta(days=90)).isoformat()

    # An agreement that ends within the window: renewal would move nothing.
    registry.product = await make_product(session, registry.holder)
    soon = today + timedelta(days=60)
    short = (await registry.registered(sources=agreement(soon)))["id"]
    refused = await registry.step(short, "renew", None, registry.holder_key)
    assert refused.status_code == 409 and "agreement ends on" in refused.json()["detail"]
    assert (
        "renew"
        not in (
            await registry.client.get(f"/v1/ip-registrations/{short}", headers=registry.holder_key)
        ).json()["allowed_actions"]
    )


async def test_no_renewal_when_expired_revoked_or_cancelled(
    registry: Registry, session: AsyncSession
) -> None:
    expired = (await registry.registered())["id"]
    await registry.ends_in(expired, days=-1)  # past, not yet swept
    registry.product = await make_product(session, registry.holder)
    revoked = (await registry.registered())["id"]
    await registry.ends_in(revoked, days=10)
    assert (
        await registry.step(revoked, "revoke", {"reason": "以欺骗手段取得登记"})
    ).status_code == 200
    registry.product = await make_product(session, registry.holder)
    cancelled = (await registry.registered())["id"]
    await registry.ends_in(cancelled, days=10)
    assert (await registry.step(cancelled, "cancel", None, registry.holder_key)).status_code == 200
    for rid, status in ((expired, "expired"), (revoked, "revoked"), (cancelled, "cancelled")):
        before = await scalar(
            session, "SELECT valid_until FROM ip_registration WHERE id = :id", id=rid
        )
        for key in (registry.holder_key, registry.admin):
            refused = await registry.step(rid, "renew", None, key)
            assert refused.status_code == 409, refused.text
            assert refused.json()["current_status"] == status
        after = await scalar(
            session, "SELECT valid_until FROM ip_registration WHERE id = :id", id=rid
        )
        assert after == before
        assert await steps_of(session, rid, "renew") == 0


# --- 3. Objections ------------------------------------------------------------------------


async def test_objections_only_from_other_merchants_and_operators(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    rid = (await registry.apply()).json()["id"]
    await registry.step(rid, "examine", {"decision": "accept"})
    assessor = auth(await make_key(session, Role.assessor))
    objection = {"kind": "ownership", "grounds": "数据由我方采集"}
    for key in (registry.holder_key, registry.auditor, assessor):
        refused = await client.post(
            f"/v1/ip-registrations/{rid}/objections", json=objection, headers=idempotent(key)
        )
        assert refused.status_code == 403, refused.text
        assert "merchant other than the holder" in refused.json()["detail"]
        shown = (await client.get(f"/v1/ip-registrations/{rid}")).json()
        assert shown["status"] == "publicizing" and shown["objections"] == []
        assert await scalar(session, "SELECT count(*) FROM ip_objection") == 0
        assert await steps_of(session, rid, "object") == 0
    for key in (registry.other_key, registry.admin):
        made = await client.post(
            f"/v1/ip-registrations/{rid}/objections", json=objection, headers=idempotent(key)
        )
        assert made.status_code == 201, made.text
    assert await scalar(session, "SELECT count(*) FROM ip_objection") == 2


# --- 4. allowed_actions -------------------------------------------------------------------

REGISTERED_ACTIONS: dict[str, Any] = {
    "renew": None,
    "change": {"data_name": "新名称"},
    "transfer": {"to_merchant_id": None},  # filled in with another merchant
    "license": {"licensee_name": "乙公司", "scope": "统计分析", "exclusive": False},
    "pledge": None,  # filled in
    "release": None,  # filled in with the pledge
    "cancel": None,
    "revoke": {"reason": "以欺骗手段取得登记"},
}


async def test_allowed_actions_are_the_callers_own(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """For each kind of caller: what `allowed_actions` lists is what the service does not
    refuse with 403 (probed with a stale If-Match: 412 once the caller may, 403 if not)."""
    bank = await Bank().setup(session)
    assessor = auth(await make_key(session, Role.assessor))
    today = shanghai_today()
    term = {"starts_on": today.isoformat(), "ends_on": (today + YEAR).isoformat()}

    rid = (await registry.apply()).json()["id"]
    callers: dict[str, dict[str, str]] = {
        "operator": registry.admin,
        "holder": registry.holder_key,
        "pledgee": bank.key,
        "other": registry.other_key,
        "auditor": registry.auditor,
        "assessor": assessor,
        "anonymous": {},
    }

    async def listed(key: dict[str, str]) -> list[str] | None:
        got = await client.get(f"/v1/ip-registrations/{rid}", headers=key)
        if got.status_code == 404:
            return None
        page = await client.get("/v1/ip-registrations", headers=key)
        [item] = [r for r in page.json()["items"] if r["id"] == rid]
        assert item["allowed_actions"] == got.json()["allowed_actions"]  # lists agree
        actions: list[str] = got.json()["allowed_actions"]
        return actions

    submitted = {name: await listed(key) for name, key in callers.items()}
    assert submitted == {
        "operator": ["examine", "reject"], "holder": [], "pledgee": None, "other": None,
        "auditor": [], "assessor": [], "anonymous": None,
    }  # fmt: skip

    await registry.step(rid, "examine", {"decision": "accept"})
    publicizing = {name: await listed(key) for name, key in callers.items()}
    assert publicizing == {
        "operator": ["object"], "holder": [], "pledgee": ["object"], "other": ["object"],
        "auditor": [], "assessor": [], "anonymous": [],
    }  # fmt: skip
    await registry.end_notice(rid)
    assert await listed(registry.admin) == ["grant"]  # the notice is over: no objection
    assert await listed(registry.other_key) == []
    await registry.step(rid, "grant")

    applied = await registry.step(
        rid,
        "pledge",
        pledge_body(pledgee_merchant_id=str(bank.merchant.id)),
        registry.holder_key,
    )
    pledge_id = applied.json()["pledges"][0]["id"]
    # An applied pledge restricts nothing: the bank may confirm it, the holder withdraw it.
    assert {name: await listed(key) for name, key in callers.items()} == {
        "operator": ["change", "transfer", "license", "confirm", "withdraw", "cancel", "revoke"],
        "holder": ["change", "transfer", "license", "withdraw", "cancel"],
        "pledgee": ["confirm"], "other": [], "auditor": [], "assessor": [], "anonymous": [],
    }  # fmt: skip
    confirmed = await registry.pledge_step(rid, pledge_id, "confirm", None, bank.key)
    assert confirmed.status_code == 200, confirmed.text
    registered = {name: await listed(key) for name, key in callers.items()}
    # A pledge in force shuts transfer, licence, pledge and cancel (without the pledgee's
    # consent); renewal waits for its window.
    assert registered == {
        "operator": ["change", "consent", "release", "revoke"],
        "holder": ["change"], "pledgee": ["release"], "other": [],
        "auditor": [], "assessor": [], "anonymous": [],
    }  # fmt: skip
    await registry.ends_in(rid, days=30)
    assert await listed(registry.holder_key) == ["renew", "change"]

    bodies = {
        **REGISTERED_ACTIONS,
        "transfer": {"to_merchant_id": str(registry.other.id)},
        "license": {**REGISTERED_ACTIONS["license"], **term},
        "pledge": pledge_body(),
        "release": {"pledge_id": pledge_id},
        "confirm": None,
        "withdraw": None,
        "consent": {"step": "license"},
    }
    on_pledge = {"confirm", "withdraw", "consent"}
    # Who may take each step at all (the 403 line); dates and pledges aside.
    may = {
        "operator": set(bodies),
        "holder": {"renew", "change", "transfer", "license", "pledge", "withdraw", "cancel"},
        "pledgee": {"release", "confirm"},
    }
    for name, key in callers.items():
        actions = await listed(key)
        assert actions is not None
        for action, body in bodies.items():
            path = f"pledges/{pledge_id}/{action}" if action in on_pledge else action
            probe = await client.post(
                f"/v1/ip-registrations/{rid}/{path}",
                json=body,
                headers={**key, "If-Match": '"999"'},
            )
            expected = 401 if not key else 412 if action in may.get(name, set()) else 403
            assert probe.status_code == expected, (name, action, probe.text)
            if action in actions:
                assert probe.status_code == 412, (name, action)


# --- 5. One visibility rule; the status filter on the shown status ------------------------


async def test_lists_and_reads_agree_on_who_sees_what(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    assessor = auth(await make_key(session, Role.assessor))
    private = (await registry.apply()).json()["id"]
    registry.product = await make_product(session, registry.holder)
    moved = (await registry.registered())["id"]
    # The applicant keeps seeing what it applied for after a transfer.
    new_holder = await make_merchant(session)
    assert (
        await registry.step(moved, "transfer", {"to_merchant_id": str(new_holder.id)})
    ).status_code == 200
    new_holder_key = auth(await make_key(session, Role.merchant, new_holder.id))
    sees = {
        "anonymous": ({}, {moved}),
        "other": (registry.other_key, {moved}),
        "holder": (registry.holder_key, {private, moved}),
        "new holder": (new_holder_key, {moved}),
        "auditor": (registry.auditor, {private, moved}),
        "assessor": (assessor, {private, moved}),
        "operator": (registry.admin, {private, moved}),
    }
    for name, (key, expected) in sees.items():
        page = (await client.get("/v1/ip-registrations", headers=key)).json()
        assert {r["id"] for r in page["items"]} == expected, name
        for rid in (private, moved):
            read = await client.get(f"/v1/ip-registrations/{rid}", headers=key)
            assert read.status_code == (200 if rid in expected else 404), (name, rid)

    # Steps find the registration by the same rule: unseen 404, seen but not the holder's
    # 403, the holder's own 412 here (a stale If-Match, so nothing changes).
    probes = [
        (registry.other_key, private, 404),
        (registry.other_key, moved, 403),
        (registry.holder_key, private, 412),
        (registry.holder_key, moved, 403),
        (new_holder_key, private, 404),
        (new_holder_key, moved, 412),
    ]
    for key, rid, expected_status in probes:
        step = await client.post(
            f"/v1/ip-registrations/{rid}/change",
            json={"data_name": "x"},
            headers={**key, "If-Match": '"999"'},
        )
        assert step.status_code == expected_status, (rid, step.text)


async def test_the_status_filter_is_on_the_status_shown(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    valid = (await registry.registered())["id"]
    registry.product = await make_product(session, registry.holder)
    lapsed = await registry.registered()
    await registry.ends_in(lapsed["id"], days=-1)  # expired yesterday; the sweep has not run
    for key in ({}, registry.auditor, registry.holder_key):
        registered = (
            await client.get("/v1/ip-registrations", params={"status": "registered"}, headers=key)
        ).json()["items"]
        assert [r["id"] for r in registered] == [valid]
        expired = (
            await client.get("/v1/ip-registrations", params={"status": "expired"}, headers=key)
        ).json()["items"]
        assert [(r["id"], r["status"]) for r in expired] == [(lapsed["id"], "expired")]
        assert expired[0]["allowed_actions"] == []
    # The certificate verification reads the same registration, with the same status.
    shown = (await client.get(f"/v1/certificates/{lapsed['certificate_number']}")).json()
    assert shown["status"] == "expired" and shown["valid_today"] is False
    # After the sweep, the same answers.
    from app.ip import service

    assert await service.expire_due(session) == 1
    await session.commit()
    expired_after = (await client.get("/v1/ip-registrations", params={"status": "expired"})).json()[
        "items"
    ]
    assert [r["id"] for r in expired_after] == [lapsed["id"]]


async def test_a_refused_step_names_the_state_and_what_the_caller_may(registry: Registry) -> None:
    """The step template's wording (app/core/steps.py), word for word, in both languages; the
    403 for a party that may not take the step comes first."""
    rid = (await registry.registered())["id"]
    accept = {"decision": "accept"}
    refused = await registry.step(rid, "examine", accept)
    assert refused.status_code == 409, refused.text
    allowed = refused.json()["allowed_actions"]
    assert refused.json()["current_status"] == "registered" and allowed
    assert refused.json()["detail"] == (
        f"A registered registration cannot examine; you may: {', '.join(allowed)}."
    )
    chinese = await registry.client.post(
        f"/v1/ip-registrations/{rid}/examine",
        json=accept,
        headers={**idempotent(registry.admin), "Accept-Language": "zh-CN"},
    )
    assert chinese.json()["detail"] == (
        f"处于 registered 状态的登记不能执行 examine;您可执行:{'、'.join(allowed)}。"
    )
    forbidden = await registry.step(rid, "cancel", {"reason": "不再使用"}, registry.other_key)
    assert forbidden.status_code == 403, forbidden.text
    assert forbidden.json()["detail"] == "Only the holder or an operator may cancel a registration."
