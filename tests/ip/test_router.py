"""Data IP registration: the application, notice, objections, grant, certificates and every
step after, each a provable leaf of the registry log `IPR`."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.roles import Role
from app.ip import service
from app.ledger import merkle
from app.ledger.verify import verify_venue
from tests.factories import auth, idempotent, make_key, make_merchant, make_product, valid_uscc

DIGEST = hashlib.sha256(b"registered data").hexdigest()


class Registry:
    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> Registry:
        self.client = client
        self.session = session
        self.holder = await make_merchant(session)
        self.other = await make_merchant(session)
        self.product = await make_product(session, self.holder)
        self.admin = auth(await make_key(session, Role.operator))
        self.holder_key = auth(await make_key(session, Role.merchant, self.holder.id))
        self.other_key = auth(await make_key(session, Role.merchant, self.other.id))
        self.auditor = auth(await make_key(session, Role.auditor))
        return self

    def body(self, **fields: Any) -> dict[str, Any]:
        return {
            "product_id": str(self.product.id),
            "data_name": "杭州市企业经营画像数据集",
            "scale": "120 万家企业, 3.5 亿条记录",
            "data_format": "CSV",
            "structure": "企业 × 月份, 42 个字段",
            "update_frequency": "每月",
            "processing_rules": "清洗、关联与脱敏 (姓名、证件号哈希化)",
            "application_scenarios": ["信贷风控", "招商引资"],
            "evidence_digest": DIGEST,
            "evidence_reference": "浙江省数据知识产权存证平台 CZ-2026-0001",
            **fields,
        }

    async def apply(self, **fields: Any) -> httpx.Response:
        return await self.client.post(
            "/v1/ip-registrations", json=self.body(**fields), headers=self.holder_key
        )

    async def step(
        self, registration_id: str, action: str, body: Any = None, key: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/ip-registrations/{registration_id}/{action}",
            json=body,
            headers=idempotent(key or self.admin),
        )

    async def pledge_step(
        self,
        registration_id: str,
        pledge_id: str,
        action: str,
        body: Any = None,
        key: dict[str, str] | None = None,
    ) -> httpx.Response:
        """`confirm`, `withdraw` or `consent` on one pledge (an IP step: with its own
        Idempotency-Key)."""
        return await self.client.post(
            f"/v1/ip-registrations/{registration_id}/pledges/{pledge_id}/{action}",
            json=body,
            headers={
                **(self.admin if key is None else key),
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )

    async def pledged(
        self,
        registration_id: str,
        body: dict[str, Any],
        confirm_key: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Both sides of 质押登记: the holder applies, then the pledgee's key (or by default
        the operator) confirms; the confirmation's answer."""
        applied = await self.step(registration_id, "pledge", body, self.holder_key)
        assert applied.status_code == 200, applied.text
        [pledge] = [p for p in applied.json()["pledges"] if p["status"] == "applied"]
        return await self.pledge_step(registration_id, pledge["id"], "confirm", None, confirm_key)

    async def end_notice(self, registration_id: str) -> None:
        """The notice period passes (time travel: its end moves to just now)."""
        await self.session.execute(
            text(
                "UPDATE ip_registration SET publicity_ends_at = now() - interval '1 second'"
                " WHERE id = :id"
            ),
            {"id": registration_id},
        )
        await self.session.commit()

    async def ends_in(self, registration_id: str, days: int) -> date:
        """Time travel: the certificate's validity ends `days` from today."""
        ends = shanghai_today() + timedelta(days=days)
        await self.session.execute(
            text("UPDATE ip_registration SET valid_until = :d WHERE id = :id"),
            {"d": ends, "id": registration_id},
        )
        await self.session.commit()
        return ends

    async def registered(self, **fields: Any) -> dict[str, Any]:
        applied = await self.apply(**fields)
        assert applied.status_code == 201, applied.text
        registration_id = applied.json()["id"]
        examined = await self.step(registration_id, "examine", {"decision": "accept"})
        assert examined.status_code == 200, examined.text
        await self.end_notice(registration_id)
        granted = await self.step(registration_id, "grant")
        assert granted.status_code == 200, granted.text
        body: dict[str, Any] = granted.json()
        return body


@pytest.fixture
async def registry(client: httpx.AsyncClient, session: AsyncSession) -> Registry:
    return await Registry().setup(client, session)


async def test_application_notice_and_grant(registry: Registry, client: httpx.AsyncClient) -> None:
    applied = await registry.apply()
    assert applied.status_code == 201, applied.text
    registration = applied.json()
    assert registration["status"] == "submitted"
    assert registration["holder_merchant_id"] == str(registry.holder.id)
    assert registration["domain"] == "commerce_trade"  # the product's
    assert registration["sources"][0]["kind"] == "self_collected"
    assert registration["history"][0]["action"] == "submit"
    rid = registration["id"]

    examined = await registry.step(rid, "examine", {"decision": "accept"})
    assert examined.status_code == 200, examined.text
    notice = examined.json()
    assert notice["status"] == "publicizing"
    assert notice["publicity_ends_at"] > notice["publicity_starts_at"]

    early = await registry.step(rid, "grant")
    assert early.status_code == 409
    assert early.json()["publicity_ends_at"] == notice["publicity_ends_at"].replace("Z", "+00:00")
    assert "public notice runs until" in early.json()["detail"]

    await registry.end_notice(rid)
    granted = await registry.step(rid, "grant")
    assert granted.status_code == 200, granted.text
    certificate = granted.json()
    today = shanghai_today()
    number = certificate["certificate_number"]
    assert len(number) == 17 and number.isdigit()
    assert number.startswith(f"{today.year:04d}{today.month:02d}3300")
    assert certificate["status"] == "registered"
    assert certificate["granted_on"] == today.isoformat()
    assert date.fromisoformat(certificate["valid_until"]) == (
        today.replace(year=today.year + 3) - timedelta(days=1)
    )
    assert [s["action"] for s in certificate["history"]] == ["submit", "examine", "grant"]

    public = await client.get(f"/v1/certificates/{number}")  # anonymous
    assert public.status_code == 200, public.text
    shown = public.json()
    assert shown["valid_today"] is True and shown["status"] == "registered"
    assert shown["holder"] == {"id": str(registry.holder.id), "name": registry.holder.name}
    assert shown["product"]["id"] == str(registry.product.id)
    assert shown["evidence_digest"] == DIGEST
    assert [s["leaf_index"] for s in shown["history"]] == [0, 1, 2]
    assert all(s["ledger"] == "IPR" for s in shown["history"])

    # Every step is provable in the registry log.
    head = (await client.get("/v1/ledgers/IPR/tree-head")).json()
    assert head["tree_size"] == 3
    for step in shown["history"]:
        entry = (await client.get(f"/v1/ledgers/IPR/entries/{step['leaf_index']}")).json()
        assert entry["entry"]["step_id"] == step["id"]
        assert entry["entry"]["action"] == step["action"]
        proof = (
            await client.get(
                "/v1/ledgers/IPR/proofs/inclusion",
                params={"index": step["leaf_index"], "tree_size": head["tree_size"]},
            )
        ).json()
        leaf = merkle.leaf_hash(entry["entry_canonical"].encode())
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        root = bytes.fromhex(head["root_hash"])
        assert merkle.verify_inclusion(step["leaf_index"], head["tree_size"], leaf, path, root)
        assert not merkle.verify_inclusion(
            step["leaf_index"], head["tree_size"], merkle.leaf_hash(b"forged"), path, root
        )

    assert (await client.get("/v1/certificates/20991233009999999")).status_code == 404
    assert (await client.get("/v1/certificates/12345")).status_code == 422


async def test_notice_length_is_working_days(registry: Registry, session: AsyncSession) -> None:
    from app.core.workdays import period_end

    rid = (await registry.apply()).json()["id"]
    examined = (await registry.step(rid, "examine", {"decision": "accept"})).json()
    registration = await service.get_visible(session, None, rid)  # type: ignore[arg-type]
    assert registration.publicity_starts_at is not None
    assert registration.publicity_ends_at == period_end(registration.publicity_starts_at, 10)
    assert examined["history"][-1]["details"]["notice_working_days"] == 10


async def test_evidence_digest_defaults_to_the_latest_sample(
    registry: Registry, client: httpx.AsyncClient
) -> None:
    missing = await registry.apply(evidence_digest=None)
    assert missing.status_code == 422
    assert missing.json()["reasons"] == ["evidence_digest"]
    content = "企业名称,月份,用电量\n甲公司,2026-10,1200\n".encode()
    uploaded = await client.post(
        f"/v1/products/{registry.product.id}/samples",
        files={"file": ("sample.csv", content, "text/csv")},
        headers=registry.holder_key,
    )
    assert uploaded.status_code == 201, uploaded.text
    applied = await registry.apply(evidence_digest=None)
    assert applied.status_code == 201, applied.text
    assert applied.json()["evidence_digest"] == hashlib.sha256(content).hexdigest()


async def test_refusals(registry: Registry, session: AsyncSession) -> None:
    core = await make_product(
        session, registry.holder, classification="core", classification_level=None
    )
    refused = await registry.apply(product_id=str(core.id))
    assert refused.status_code == 422
    assert refused.json()["reasons"] == ["classification"]
    assert (
        "核心数据"
        in (
            await registry.client.post(
                "/v1/ip-registrations",
                json=registry.body(product_id=str(core.id)),
                headers={**registry.holder_key, "Accept-Language": "zh-CN"},
            )
        ).json()["detail"]
    )

    unlawful = await registry.apply(
        sources=[
            {"kind": "purchased", "description": "向第三方采购"},
            {"kind": "partner_agreement", "reference": "XY-1", "agreement_ends_on": "2020-01-01"},
        ]
    )
    assert unlawful.status_code == 422
    assert unlawful.json()["reasons"] == ["sources.0.reference", "sources.1.agreement_ends_on"]

    others = await registry.client.post(
        "/v1/ip-registrations", json=registry.body(), headers=registry.other_key
    )
    assert others.status_code == 403

    assert (await registry.apply()).status_code == 201
    again = await registry.apply()
    assert again.status_code == 409 and "submitted" in again.json()["detail"]
    wrong = await registry.apply(evidence_digest="ABC")
    assert wrong.status_code == 422


async def test_objections(registry: Registry, client: httpx.AsyncClient) -> None:
    rid = (await registry.apply()).json()["id"]
    before = await client.post(
        f"/v1/ip-registrations/{rid}/objections",
        json={"kind": "ownership", "grounds": "数据由我方采集"},
        headers=idempotent(registry.other_key),
    )
    assert before.status_code == 404  # not public before the notice
    await registry.step(rid, "examine", {"decision": "accept"})

    anonymous = await client.post(
        f"/v1/ip-registrations/{rid}/objections", json={"kind": "other", "grounds": "x"}
    )
    assert anonymous.status_code == 401
    own = await client.post(
        f"/v1/ip-registrations/{rid}/objections",
        json={"kind": "other", "grounds": "x"},
        headers=idempotent(registry.holder_key),
    )
    assert own.status_code == 403
    objected = await client.post(
        f"/v1/ip-registrations/{rid}/objections",
        json={"kind": "ownership", "grounds": "数据由我方采集, 见合同 HT-9"},
        headers=idempotent(registry.other_key),
    )
    assert objected.status_code == 201, objected.text
    objection = objected.json()
    assert objection["status"] == "open" and objection["objector_merchant_id"] == str(
        registry.other.id
    )
    shown = (await client.get(f"/v1/ip-registrations/{rid}")).json()  # public under notice
    assert shown["status"] == "objected"

    await registry.end_notice(rid)
    assert (await registry.step(rid, "grant")).status_code == 409  # an open objection
    # The product is under an open ownership objection: no new application either.
    assert (await registry.apply()).status_code == 409

    dismissed = await registry.step(
        rid, f"objections/{objection['id']}/dismiss", {"reason": "证据不足"}
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "publicizing"
    assert dismissed.json()["objections"][0]["status"] == "dismissed"
    twice = await registry.step(rid, f"objections/{objection['id']}/dismiss")
    assert twice.status_code == 409

    late = await client.post(
        f"/v1/ip-registrations/{rid}/objections",
        json={"kind": "other", "grounds": "晚了"},
        headers=idempotent(registry.other_key),
    )
    assert late.status_code == 409 and "ended" in late.json()["detail"]
    assert (await registry.step(rid, "grant")).status_code == 200


async def test_an_upheld_objection_rejects(registry: Registry, client: httpx.AsyncClient) -> None:
    rid = (await registry.apply()).json()["id"]
    await registry.step(rid, "examine", {"decision": "accept"})
    objection = (
        await client.post(
            f"/v1/ip-registrations/{rid}/objections",
            json={"kind": "ownership", "grounds": "权属争议"},
            headers=idempotent(registry.other_key),
        )
    ).json()
    path = f"objections/{objection['id']}/uphold"
    assert (await registry.step(rid, path)).status_code == 422  # a reason is needed
    assert (await registry.step(rid, path, {"reason": "x"}, registry.holder_key)).status_code == 403
    upheld = await registry.step(rid, path, {"reason": "异议成立"})
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "rejected"
    assert upheld.json()["decision_reason"] == "异议成立"
    # Rejected, the product may be applied for again.
    assert (await registry.apply()).status_code == 201


async def test_examination_rejects_with_a_reason(registry: Registry) -> None:
    rid = (await registry.apply()).json()["id"]
    assert (await registry.step(rid, "examine", {"decision": "reject"})).status_code == 422
    rejected = await registry.step(rid, "examine", {"decision": "reject", "reason": "材料不全"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = await registry.step(rid, "examine", {"decision": "accept"})
    assert again.status_code == 409
    assert again.json()["current_status"] == "rejected"


async def test_licences_pledges_transfer_renew_change_cancel(
    registry: Registry, client: httpx.AsyncClient
) -> None:
    certificate = await registry.registered()
    rid, number = certificate["id"], certificate["certificate_number"]
    today = shanghai_today()
    year = timedelta(days=365)

    def term(start: date, end: date) -> dict[str, str]:
        return {"starts_on": start.isoformat(), "ends_on": end.isoformat()}

    exclusive = await registry.step(
        rid,
        "license",
        {
            "licensee_merchant_id": str(registry.other.id),
            "scope": "信贷风控模型训练",
            "exclusive": True,
            **term(today, today + year),
        },
        registry.holder_key,
    )
    assert exclusive.status_code == 200, exclusive.text
    assert exclusive.json()["licences"][0]["licensee_name"] == registry.other.name
    overlapping = await registry.step(
        rid,
        "license",
        {"licensee_name": "乙公司", "scope": "统计分析", "exclusive": False,
         **term(today + timedelta(days=30), today + 2 * year)},
        registry.holder_key,
    )  # fmt: skip
    assert overlapping.status_code == 409 and "exclusive" in overlapping.json()["detail"]
    after = await registry.step(
        rid,
        "license",
        {"licensee_name": "乙公司", "scope": "统计分析", "exclusive": False,
         **term(today + year + timedelta(days=1), today + 2 * year)},
        registry.holder_key,
    )  # fmt: skip
    assert after.status_code == 200, after.text
    beyond = await registry.step(
        rid,
        "license",
        {"licensee_name": "丙公司", "scope": "x", "exclusive": False,
         **term(today + 2 * year, today + 5 * year)},
        registry.holder_key,
    )  # fmt: skip
    assert beyond.status_code == 422  # past the certificate's validity

    pledge_body = {
        "pledgee_name": "杭州银行股份有限公司",
        "pledgee_uscc": valid_uscc(),
        "secured_amount": "5000000.00",
        **term(today, today + year),
    }
    # The bank names no merchant of the exchange: the registry confirms the pledge.
    pledged = await registry.pledged(rid, pledge_body)
    assert pledged.status_code == 200, pledged.text
    pledge = pledged.json()["pledges"][0]
    assert pledge["status"] == "in_force"
    assert pledge["secured_amount"] == "5000000.00"
    assert (await registry.step(rid, "pledge", pledge_body, registry.holder_key)).status_code == 409
    bad_uscc = {**pledge_body, "pledgee_uscc": "91330106MA27XL0000"}
    assert (await registry.step(rid, "pledge", bad_uscc, registry.holder_key)).status_code == 422

    shown = (await client.get(f"/v1/certificates/{number}")).json()
    assert [lic["licensee_name"] for lic in shown["licences_in_force"]] == [registry.other.name]
    assert shown["pledges_in_force"][0]["pledgee_name"] == "杭州银行股份有限公司"

    transfer = {"to_merchant_id": str(registry.other.id)}
    blocked = await registry.step(rid, "transfer", transfer, registry.holder_key)
    assert blocked.status_code == 409 and blocked.json()["pledge_id"] == pledge["id"]
    assert (await registry.step(rid, "cancel", None, registry.holder_key)).status_code == 409
    # The bank names no merchant of the exchange: the registry records its release.
    released = await registry.step(rid, "release", {"pledge_id": pledge["id"]})
    assert released.status_code == 200 and released.json()["pledges"][0]["released_at"]
    again = await registry.step(rid, "release", {"pledge_id": pledge["id"]})
    assert again.status_code == 409
    moved = await registry.step(rid, "transfer", transfer, registry.holder_key)
    assert moved.status_code == 200, moved.text
    assert moved.json()["holder_merchant_id"] == str(registry.other.id)
    # The old holder no longer holds it; the new one does.
    renew_old = await registry.step(rid, "renew", None, registry.holder_key)
    assert renew_old.status_code == 403
    ends = await registry.ends_in(rid, days=30)  # into the renewal window
    renewed = await registry.step(rid, "renew", None, registry.other_key)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["valid_until"] == ends.replace(year=ends.year + 3).isoformat()

    changed = await registry.step(
        rid, "change", {"data_name": "杭州市企业经营画像数据集(2027 版)"}, registry.other_key
    )
    assert changed.status_code == 200, changed.text
    step = changed.json()["history"][-1]
    assert step["action"] == "change"
    assert step["details"]["data_name"] == {
        "from": "杭州市企业经营画像数据集",
        "to": "杭州市企业经营画像数据集(2027 版)",
    }
    assert (await registry.step(rid, "change", {}, registry.other_key)).status_code == 422

    cancelled = await registry.step(rid, "cancel", {"reason": "业务调整"}, registry.other_key)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    for action, body in (("renew", None), ("license", {"licensee_name": "丁", "scope": "x",
                         "exclusive": False, **term(today, today)})):  # fmt: skip
        late = await registry.step(rid, action, body, registry.other_key)
        assert late.status_code == 409 and late.json()["current_status"] == "cancelled"
    actions = [s["action"] for s in cancelled.json()["history"]]
    assert actions == [
        "submit", "examine", "grant", "license", "license", "pledge", "confirm", "release",
        "transfer",
        "renew", "change", "cancel",
    ]  # fmt: skip


async def test_revoked_and_expired_certificates(
    registry: Registry, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    revoked = await registry.registered()
    assert (
        await registry.step(revoked["id"], "revoke", {"reason": "x"}, registry.holder_key)
    ).status_code == 403
    assert (await registry.step(revoked["id"], "revoke")).status_code == 422
    done = await registry.step(revoked["id"], "revoke", {"reason": "以欺骗手段取得登记"})
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    shown = (await client.get(f"/v1/certificates/{revoked['certificate_number']}")).json()
    assert shown["status"] == "revoked" and shown["valid_today"] is False
    assert (await registry.step(revoked["id"], "renew")).status_code == 409

    other_product = await make_product(session, registry.holder)
    registry.product = other_product
    expiring = await registry.registered()
    yesterday = shanghai_today() - timedelta(days=1)
    await session.execute(
        text("UPDATE ip_registration SET valid_until = :d WHERE id = :id"),
        {"d": yesterday, "id": expiring["id"]},
    )
    await session.commit()
    shown = (await client.get(f"/v1/certificates/{expiring['certificate_number']}")).json()
    assert shown["status"] == "expired" and shown["valid_today"] is False
    late = await registry.step(
        expiring["id"],
        "pledge",
        {"pledgee_name": "银行", "secured_amount": "1.00",
         "starts_on": yesterday.isoformat(), "ends_on": yesterday.isoformat()},
        registry.holder_key,
    )  # fmt: skip
    assert late.status_code == 409 and "expired" in late.json()["detail"]

    assert await service.expire_due(session) == 1
    await session.commit()
    assert await service.expire_due(session) == 0
    history = (await client.get(f"/v1/ip-registrations/{expiring['id']}")).json()["history"]
    assert history[-1]["action"] == "expire" and history[-1]["to_status"] == "expired"
    verified = await verify_venue(session, "IPR")
    assert verified.ok, verified.problems


async def test_visibility_and_roles(registry: Registry, client: httpx.AsyncClient) -> None:
    rid = (await registry.apply()).json()["id"]
    assert (await client.get(f"/v1/ip-registrations/{rid}")).status_code == 404  # anonymous
    assert (
        await client.get(f"/v1/ip-registrations/{rid}", headers=registry.other_key)
    ).status_code == 404
    assert (
        await client.get(f"/v1/ip-registrations/{rid}", headers=registry.auditor)
    ).status_code == 200
    mine = await client.get("/v1/ip-registrations", headers=registry.holder_key)
    assert [r["id"] for r in mine.json()["items"]] == [rid]
    assert (await client.get("/v1/ip-registrations")).json()["items"] == []

    auditor_applies = await client.post(
        "/v1/ip-registrations", json=registry.body(), headers=registry.auditor
    )
    assert auditor_applies.status_code == 403
    for key in (registry.holder_key, registry.auditor):
        assert (await registry.step(rid, "examine", {"decision": "accept"}, key)).status_code == 403
    stale = await client.post(
        f"/v1/ip-registrations/{rid}/examine",
        json={"decision": "accept"},
        headers={**registry.admin, "If-Match": '"7"'},
    )
    assert stale.status_code == 412
    accepted = await registry.step(rid, "examine", {"decision": "accept"})
    assert accepted.headers["ETag"].startswith('"2.')
    public = await client.get("/v1/ip-registrations", params={"status": "publicizing"})
    assert [r["id"] for r in public.json()["items"]] == [rid]
    assert (await registry.step(rid, "grant", None, registry.holder_key)).status_code == 403


async def test_the_registry_log_verifies_and_shows_tampering(
    registry: Registry, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    await registry.registered()
    clean = await verify_venue(session, "IPR")
    assert clean.ok and clean.checked == 3
    (await client.get("/v1/ledgers/IPR/tree-head")).raise_for_status()  # signs a head
    await session.execute(text("ALTER TABLE ip_step DISABLE TRIGGER ip_step_immutable"))
    await session.execute(
        text("UPDATE ip_step SET details = '{\"forged\": true}' WHERE action = 'examine'")
    )
    await session.execute(text("ALTER TABLE ip_step ENABLE TRIGGER ip_step_immutable"))
    await session.commit()
    tampered = await verify_venue(session, "IPR")
    assert not tampered.ok
    assert tampered.problems[0] == (1, "the stored ip_step no longer matches its entry")

    with pytest.raises(Exception, match="append-only"):
        await session.execute(text("DELETE FROM ip_step"))
    await session.rollback()


async def test_ipr_is_not_a_venue(registry: Registry, client: httpx.AsyncClient) -> None:
    made = await client.post(
        "/v1/venues",
        json={"code": "IPR", "name": "登记簿", "fee_rate": "0"},
        headers=registry.admin,
    )
    assert made.status_code == 422 and "reserved" in made.text
    empty = await client.get("/v1/ledgers/IPR/tree-head")
    assert empty.status_code == 200 and empty.json()["tree_size"] == 0
