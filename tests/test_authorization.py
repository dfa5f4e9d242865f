"""The authorisation matrix: every operation of the OpenAPI document, called as anonymous,
as each role, and as a merchant on another merchant's objects, against a declared matrix.

Objects belong to merchant A (a draft product and listing, a sample, assessments, a trade
it sold, a submitted IP registration, a webhook); merchant X is another merchant. A call
is "let in" unless it is answered 401, 403 or 404 (reads of what the caller may not see
are 404, so that nothing says they exist). Writes carry an empty JSON body: a caller who
is let in is usually answered 422, so for creation the check is the function-level one;
object-level checks on creation bodies (listing or registering another's product,
assigning `merchant_id`, `role` or `status`) are in the explicit tests below.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts.models import Agreement, Negotiation
from app.core.commit import BeforeCommitRoute
from app.core.roles import Role
from app.web import idempotency
from tests.factories import (
    auth,
    idempotent,
    make_key,
    make_merchant,
    make_product,
    merchant_body,
    product_body,
)

SPEC = json.loads((Path(__file__).parent.parent / "openapi" / "openapi.json").read_text())

# P anonymous, O operator, M the owning merchant, X another merchant, S assessor, U auditor.
MATRIX = {
    "GET /v1/venues": "POMXSU",
    "POST /v1/venues": "O",
    "GET /v1/venues/{code}": "POMXSU",
    "GET /v1/venues/{code}/negative-list": "POMXSU",
    "PUT /v1/venues/{code}/negative-list": "O",
    "GET /v1/venues/{code}/negative-list/versions": "POMXSU",
    "GET /v1/venues/{code}/fee-waivers": "POMXSU",
    "POST /v1/venues/{code}/fee-waivers": "O",
    "GET /v1/venues/{code}/fee-waivers/{waiver_id}": "POMXSU",
    "POST /v1/venues/{code}/fee-waivers/{waiver_id}/end": "O",
    "POST /v1/merchants": "O",
    "GET /v1/merchants": "POMXSU",
    "GET /v1/merchants/{merchant_id}": "POMXSU",  # the public profile to P, X and S
    "GET /v1/merchants/{merchant_id}/firsts": "POMXSU",  # the public kinds to P, X and S
    "GET /v1/catalog": "POMXSU",
    "GET /v1/catalog/{listing_id}": "",  # A's listing is a draft: no card, for anyone
    "GET /v1/me": "OMXSU",
    "POST /v1/transactions/imports": "O",
    "POST /v1/ledgers/{venue_code}/cosignatures": "O",
    "GET /v1/certificates/{number}.pdf": "POMXSU",
    "GET /verify/certificates/{number}": "POMXSU",
    # A's books. X is "let in" on the writes that take a body only because an empty body is
    # 422 before the object check; with a valid body X gets 404 (tests/assets/test_hostile.py).
    "POST /v1/data-assets": "OMX",
    "GET /v1/data-assets": "OMXU",
    "GET /v1/data-assets/{asset_id}": "OMU",
    "PATCH /v1/data-assets/{asset_id}": "OM",
    "POST /v1/data-assets/{asset_id}/costs": "OMX",
    "POST /v1/data-assets/{asset_id}/capitalise": "OMX",
    "POST /v1/data-assets/{asset_id}/dispose": "OMX",
    "POST /v1/data-assets/{asset_id}/derecognise": "OMX",
    "POST /v1/data-assets/{asset_id}/impair": "OMX",
    "POST /v1/data-assets/{asset_id}/write-down": "OMX",
    "POST /v1/data-assets/{asset_id}/reverse-write-down": "OMX",
    "POST /v1/data-assets/{asset_id}/revise": "OMX",
    "POST /v1/data-assets/{asset_id}/reclassify": "OMX",
    "GET /v1/data-assets/{asset_id}/schedule": "OMU",
    "GET /v1/merchants/{merchant_id}/data-asset-disclosure": "OMU",
    "POST /v1/merchants/{merchant_id}/data-asset-periods": "OMX",
    "GET /v1/merchants/{merchant_id}/data-asset-periods": "OMU",
    "POST /v1/data-assets/{asset_id}/restatements": "OMX",
    "GET /v1/data-assets/{asset_id}/restatements": "OMU",
    "GET /v1/data-asset-restatements/{restatement_id}": "OMU",
    # Only an operator decides a restatement, the asking merchant included.
    "POST /v1/data-asset-restatements/{restatement_id}/approve": "O",
    "POST /v1/data-asset-restatements/{restatement_id}/reject": "O",
    "GET /v1/merchants/{merchant_id}/data-asset-journal": "OMU",
    "GET /v1/merchants/{merchant_id}/statements/{month}": "OMU",
    "GET /v1/merchants/{merchant_id}/data-asset-accounts": "OMU",
    "PUT /v1/merchants/{merchant_id}/data-asset-accounts": "OM",
    "PATCH /v1/merchants/{merchant_id}": "OM",
    "POST /v1/products": "OMX",
    "GET /v1/products": "POMXSU",
    "GET /v1/products/{product_id}": "OMSU",
    "PATCH /v1/products/{product_id}": "OM",
    "GET /v1/products/{product_id}/revisions": "OMSU",
    "GET /v1/products/{product_id}/revisions/{number}": "OMSU",
    "POST /v1/products/{product_id}/samples": "OM",
    "GET /v1/products/{product_id}/samples": "OMSU",
    "GET /v1/products/{product_id}/samples/{sample_id}": "OMSU",
    "GET /v1/products/{product_id}/samples/{sample_id}/content": "OMSU",
    "POST /v1/products/{product_id}/quality-assessments": "OMS",
    "GET /v1/products/{product_id}/quality-assessments": "OMSU",
    "POST /v1/products/{product_id}/compliance-assessments": "OMS",
    "GET /v1/products/{product_id}/compliance-assessments": "OMSU",
    "POST /v1/products/{product_id}/valuations": "OMXS",
    "GET /v1/products/{product_id}/valuations": "OMSU",
    "GET /v1/products/{product_id}/quality-assessments/{assessment_id}": "OMSU",
    "GET /v1/products/{product_id}/compliance-assessments/{assessment_id}": "OMSU",
    "GET /v1/products/{product_id}/valuations/{assessment_id}": "OMSU",
    "POST /v1/listings": "OMX",
    "GET /v1/listings": "POMXSU",
    "GET /v1/listings/{listing_id}": "OMSU",
    "GET /v1/listings/{listing_id}/events": "OMSU",
    "POST /v1/listings/{listing_id}/{action}": "OM",
    "POST /v1/ip-registrations": "OMX",
    "GET /v1/ip-registrations": "POMXSU",
    "GET /v1/ip-registrations/{registration_id}": "OMSU",
    "POST /v1/ip-registrations/{registration_id}/examine": "O",
    "POST /v1/ip-registrations/{registration_id}/reject": "O",
    "POST /v1/ip-registrations/{registration_id}/objections": "OMXSU",
    "POST /v1/ip-registrations/{registration_id}/objections/{objection_id}/{decision}": "O",
    "POST /v1/ip-registrations/{registration_id}/grant": "O",
    "POST /v1/ip-registrations/{registration_id}/renew": "OM",
    "POST /v1/ip-registrations/{registration_id}/change": "OM",
    "POST /v1/ip-registrations/{registration_id}/transfer": "OMX",
    "POST /v1/ip-registrations/{registration_id}/license": "OMX",
    "POST /v1/ip-registrations/{registration_id}/pledge": "OMX",
    "POST /v1/ip-registrations/{registration_id}/release": "OMX",
    # A's registration is submitted: the holder is let in only where it is a party (withdraw);
    # confirming is the pledgee's or the operator's, consent and reinstatement the operator's.
    "POST /v1/ip-registrations/{registration_id}/pledges/{pledge_id}/confirm": "O",
    "POST /v1/ip-registrations/{registration_id}/pledges/{pledge_id}/withdraw": "OM",
    "POST /v1/ip-registrations/{registration_id}/pledges/{pledge_id}/consent": "O",
    "POST /v1/ip-registrations/{registration_id}/reinstate": "O",
    "POST /v1/ip-registrations/{registration_id}/cancel": "OM",
    "POST /v1/ip-registrations/{registration_id}/revoke": "O",
    "GET /v1/certificates/{number}": "POMXSU",
    "GET /v1/stats/overview": "OU",
    "GET /v1/stats/policy": "POMXSU",  # public: aggregated, cells under 3 merchants hidden
    "POST /v1/transactions": "OMX",
    "GET /v1/transactions": "OMXU",
    "GET /v1/transactions/export": "OMXU",
    "GET /v1/transactions/{trade_id}": "OMU",
    "POST /v1/transactions/{trade_id}/events": "OMX",
    "GET /v1/ledgers": "POMXSU",
    "GET /v1/ledgers/{venue_code}/tree-head": "POMXSU",
    "GET /v1/ledgers/{venue_code}/entries/{index}": "POMXSU",
    "GET /v1/ledgers/{venue_code}/proofs/inclusion": "POMXSU",
    "GET /v1/ledgers/{venue_code}/proofs/consistency": "POMXSU",
    "GET /v1/ledgers/{venue_code}/checkpoint": "POMXSU",
    "GET /v1/ledgers/{venue_code}/verifier-key": "POMXSU",
    "GET /v1/ledgers/{venue_code}/leaf-hashes": "POMXSU",
    "GET /v1/ledgers/{venue_code}/tile/{level}/{path}": "POMXSU",
    "GET /v1/ledgers/{venue_code}/tile/entries/{path}": "OU",  # bundles mix many parties
    "POST /v1/api-keys": "O",
    "GET /v1/api-keys": "O",
    "DELETE /v1/api-keys/{key_id}": "O",
    "GET /v1/audit-events": "OU",
    "GET /v1/events": "OMXSU",
    "POST /v1/webhooks": "OMX",
    "GET /v1/webhooks": "OMXU",
    "GET /v1/webhooks/{webhook_id}": "OMU",
    "PATCH /v1/webhooks/{webhook_id}": "OM",
    "DELETE /v1/webhooks/{webhook_id}": "OM",
    "GET /v1/webhooks/{webhook_id}/deliveries": "OMU",
    "POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": "OM",
    # Programmes: public to read; whom they pay only to the staff, and each merchant itself
    # (X is let in to the eligible list and the claims, and sees none of A's rows).
    "GET /v1/programmes": "POMXSU",
    "POST /v1/programmes": "O",
    "GET /v1/programmes/{programme_code}": "POMXSU",
    "GET /v1/programmes/{programme_code}/eligible": "OMXU",
    "POST /v1/programmes/{programme_code}/claims": "OMX",
    "GET /v1/programmes/{programme_code}/claims": "OMXU",
    "GET /v1/programmes/{programme_code}/summary": "OU",
    "GET /v1/programme-claims/{claim_id}": "OMU",
    "POST /v1/programme-claims/{claim_id}/{decision}": "O",
    # Contracts: A is the provider of one negotiation and the consumer of another (the
    # steps of each party are called on the one where A is that party); X sees none of
    # them. Requesting with `{}` is 422 for any merchant (the check on the listing follows).
    "POST /v1/listings/{listing_id}/negotiations": "MX",
    "GET /v1/negotiations": "OMXU",
    "GET /v1/negotiations/{negotiation_id}": "OMU",
    "POST /v1/negotiations/{negotiation_id}/offer": "M",
    "POST /v1/negotiations/{negotiation_id}/accept": "M",
    "POST /v1/negotiations/{negotiation_id}/agree": "M",
    "POST /v1/negotiations/{negotiation_id}/verify": "M",
    "POST /v1/negotiations/{negotiation_id}/finalize": "M",
    "POST /v1/negotiations/{negotiation_id}/terminate": "M",
    "GET /v1/agreements/{agreement_id}": "OMU",
    "GET /healthz": "POMXSU",
    "GET /readyz": "POMXSU",
    "GET /metrics": "OU",
}
CALLERS = "POMXSU"
DENIED = {401, 403, 404}


def operations() -> list[str]:
    return [f"{m.upper()} {p}" for p, ops in SPEC["paths"].items() for m in ops]


def test_the_matrix_covers_every_operation() -> None:
    assert sorted(operations()) == sorted(MATRIX)


class World:
    """A's objects, X's key, and a key for every role."""

    async def build(self, client: httpx.AsyncClient, session: AsyncSession) -> World:
        self.client = client
        a = await make_merchant(session)
        x = await make_merchant(session)
        buyer = await make_merchant(session)
        operator = auth(await make_key(session, Role.operator))
        self.keys: dict[str, dict[str, str]] = {
            "P": {},
            "O": operator,
            "M": auth(await make_key(session, Role.merchant, a.id)),
            "X": auth(await make_key(session, Role.merchant, x.id)),
            "S": auth(await make_key(session, Role.assessor)),
            "U": auth(await make_key(session, Role.auditor)),
        }
        mine = self.keys["M"]
        hook = await client.post(
            "/v1/webhooks", json={"url": "https://93.184.216.34/hook", "event_types": ["*"]},
            headers=mine,
        )  # fmt: skip
        product = await make_product(session, a)
        registered = await make_product(session, a, name="已登记数据集")
        sample = await client.post(
            f"/v1/products/{product.id}/samples",
            files={"file": ("s.csv", "城市,数值\n杭州,1\n".encode(), "text/csv")},
            headers=mine,
        )
        quality = await client.post(
            f"/v1/products/{product.id}/quality-assessments", json={}, headers=operator
        )
        compliance = await client.post(
            f"/v1/products/{product.id}/compliance-assessments", json={}, headers=operator
        )
        valuation = await client.post(
            f"/v1/products/{product.id}/valuations",
            json={"method": "cost", "return_rate": "0.1",
                  "cost_items": [{"kind": "processing", "amount": "10.00"}]},
            headers=operator,
        )  # fmt: skip
        listing = await client.post(
            "/v1/listings",
            json={"product_id": str(product.id), "venue_code": "HZDEX",
                  "price": {"model": "negotiable"}},
            headers=mine,
        )  # fmt: skip
        trade = await client.post(
            "/v1/transactions",
            json={"venue_code": "OTC", "on_venue": False, "seller_merchant_id": str(a.id),
                  "buyer_merchant_id": str(buyer.id), "amount": "10.00",
                  "contract_digest": hashlib.sha256(b"c").hexdigest(),
                  "occurred_at": "2026-11-20T10:00:00+08:00"},
            headers={**operator, "Idempotency-Key": "matrix"},
        )  # fmt: skip
        application = {
            "data_name": "数据集", "scale": "1", "data_format": "CSV", "structure": "s",
            "update_frequency": "每月", "processing_rules": "r", "application_scenarios": ["a"],
            "evidence_digest": hashlib.sha256(b"e").hexdigest(),
        }  # fmt: skip
        registration = await client.post(
            "/v1/ip-registrations", json={**application, "product_id": str(product.id)},
            headers=mine,
        )  # fmt: skip
        certified = (
            await client.post(
                "/v1/ip-registrations",
                json={**application, "product_id": str(registered.id)},
                headers=mine,
            )
        ).json()
        await client.post(
            f"/v1/ip-registrations/{certified['id']}/examine", json={"decision": "accept"},
            headers=idempotent(operator),
        )  # fmt: skip
        from sqlalchemy import text

        await session.execute(
            text("UPDATE ip_registration SET publicity_ends_at = now() WHERE id = :id"),
            {"id": certified["id"]},
        )
        await session.commit()
        granted = await client.post(
            f"/v1/ip-registrations/{certified['id']}/grant", headers=idempotent(operator)
        )
        deliveries = await client.get(f"/v1/webhooks/{hook.json()['id']}/deliveries", headers=mine)
        key = await client.post(
            "/v1/api-keys", json={"role": "auditor", "name": "spare"}, headers=operator
        )
        asset = await client.post(
            "/v1/data-assets",
            json={"name": "客户画像数据集", "asset_class": "intangible", "source": "purchased"},
            headers=mine,
        )
        waiver = await client.post(
            "/v1/venues/HZDEX/fee-waivers",
            json={"kind": "period", "percent": "50", "from": "2026-01-01", "to": "2026-12-31",
                  "cap_per_merchant": "100.00"},
            headers=operator,
        )  # fmt: skip
        programme = await client.post(
            "/v1/programmes",
            json={"code": "MATRIX", "name": "激励", "issuer": "杭州市数据资源管理局",
                  "region_codes": ["3301"], "firsts": {"registered": "100.00"},
                  "from": "2020-01-01", "to": "2099-12-31", "cap_per_merchant": "100.00",
                  "budget": "1000.00"},
            headers=operator,
        )  # fmt: skip
        claim = await client.post(
            "/v1/programmes/MATRIX/claims", json={"first": "registered"}, headers=mine
        )
        for made in (hook, sample, quality, compliance, valuation, listing, trade, registration,
                     granted, deliveries, key, asset, waiver, programme, claim):  # fmt: skip
            assert made.status_code in (200, 201), made.text
        # A's January 2025 closed, and a restatement of it A asked for (pending).
        asset_url = f"/v1/data-assets/{asset.json()['id']}"
        cost = {"kind": "processing", "amount": "100.00", "incurred_on": "2025-01-05"}
        pending = [
            (f"{asset_url}/costs", cost),
            (f"/v1/merchants/{a.id}/data-asset-periods", {"through": "2025-01"}),
            (f"{asset_url}/restatements", {"period": "2025-01", "reason": "漏记",
             "entry": {**cost, "type": "cost_item", "incurred_on": None, "date": "2025-01-20"}}),
        ]  # fmt: skip
        for url, body in pending:
            body = {k: v for k, v in body.items() if v is not None}
            if "entry" in body:
                body["entry"] = {k: v for k, v in body["entry"].items() if v is not None}
            restatement = await client.post(url, json=body, headers=idempotent(mine))
            assert restatement.status_code == 201, restatement.text
        self.path = {
            "code": "HZDEX",
            "venue_code": "OTC",
            "index": "0",
            "level": "0",
            "path": "000.p/1",
            "merchant_id": str(a.id),
            "product_id": str(product.id),
            "number": "1",
            "sample_id": sample.json()["id"],
            "assessment_id": quality.json()["id"],
            "listing_id": listing.json()["id"],
            "action": "submit",
            "registration_id": registration.json()["id"],
            "objection_id": "01a20000-0000-7000-8000-000000000000",
            "pledge_id": "01a20000-0000-7000-8000-000000000001",
            "decision": "dismiss",
            "trade_id": trade.json()["id"],
            "key_id": key.json()["id"],
            "webhook_id": hook.json()["id"],
            "delivery_id": deliveries.json()["items"][0]["id"],
            "asset_id": asset.json()["id"],
            "restatement_id": restatement.json()["id"],
            "month": "2025-03",
            "waiver_id": waiver.json()["id"],
            "programme_code": "MATRIX",
            "claim_id": claim.json()["id"],
        }
        # Negotiations (made as rows: A's listing above is a draft): A provides one, with an
        # agreement, and buys in another.
        other = await make_product(session, buyer)
        theirs = await client.post(
            "/v1/listings",
            json={"product_id": str(other.id), "venue_code": "HZDEX",
                  "price": {"model": "negotiable"}},
            headers=auth(await make_key(session, Role.merchant, buyer.id)),
        )  # fmt: skip
        assert theirs.status_code == 201, theirs.text
        provided, bought, agreement = uuid4(), uuid4(), uuid4()
        for nid, listing_id, consumer, provider in (
            (provided, listing.json()["id"], buyer.id, a.id),
            (bought, theirs.json()["id"], a.id, buyer.id),
        ):
            session.add(
                Negotiation(
                    id=nid, listing_id=listing_id, venue_code="HZDEX",
                    consumer_merchant_id=consumer, provider_merchant_id=provider,
                    state="REQUESTED", offer={}, version=1,
                )
            )  # fmt: skip
        await session.flush()
        session.add(
            Agreement(
                id=agreement, negotiation_id=provided, listing_id=listing.json()["id"],
                consumer_merchant_id=buyer.id, provider_merchant_id=a.id, canonical="{}",
                sha256="0" * 64, signature="-",
            )
        )  # fmt: skip
        await session.commit()
        self.bought = str(bought)
        self.path["negotiation_id"] = str(provided)
        self.path["agreement_id"] = str(agreement)
        self.certificate = granted.json()["certificate_number"]
        self.compliance_id = compliance.json()["id"]
        self.valuation_id = valuation.json()["id"]
        return self

    def url(self, path: str) -> str:
        values = dict(self.path)
        if "compliance-assessments/{assessment_id}" in path:
            values["assessment_id"] = self.compliance_id
        elif "valuations/{assessment_id}" in path:
            values["assessment_id"] = self.valuation_id
        elif path.startswith(("/v1/certificates", "/verify/certificates")):
            values["number"] = self.certificate
        elif path.startswith("/v1/programme-claims"):
            values["decision"] = "approve"
        if path.endswith(("/accept", "/verify")) and path.startswith("/v1/negotiations"):
            values["negotiation_id"] = self.bought  # A's steps as the consumer
        if path.endswith(("/data-asset-disclosure", "/data-asset-journal")):
            path += "?from=2025-01&to=2025-12"
        if "/statements/" in path:
            path += "?venue_code=OTC"
        return path.format(**values)

    async def let_in(self, operation: str, caller: str) -> tuple[bool, int]:
        method, path = operation.split(" ", 1)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        # Steps that change money or title want a key (else 428, which says nothing of roles).
        headers = self.keys[caller] if body is None else idempotent(self.keys[caller])
        response = await self.client.request(method, self.url(path), json=body, headers=headers)
        assert response.status_code < 500, (operation, caller, response.text)
        return response.status_code not in DENIED, response.status_code


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_each_caller_gets_what_the_matrix_declares(
    caller: str, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await World().build(client, session)
    wrong = []
    # Deleting and revoking come last: they change what the other calls see.
    ordered = sorted(MATRIX, key=lambda op: op.startswith("DELETE"))
    for operation in ordered:
        allowed, status = await world.let_in(operation, caller)
        if allowed != (caller in MATRIX[operation]):
            wrong.append(f"{operation}: {status}")
    assert not wrong, f"{caller}: " + "; ".join(wrong)


async def test_no_one_assigns_what_is_not_theirs(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    a = await make_merchant(session)
    x = await make_merchant(session)
    mine = auth(await make_key(session, Role.merchant, a.id))
    theirs = auth(await make_key(session, Role.merchant, x.id))
    product = await make_product(session, a)
    # Another merchant's product: not listed, registered or sampled by X.
    listing = await client.post(
        "/v1/listings",
        json={
            "product_id": str(product.id),
            "venue_code": "HZDEX",
            "price": {"model": "negotiable"},
        },
        headers=theirs,
    )
    assert listing.status_code in (403, 404)
    # A merchant's product is its own, whatever merchant_id the body names.
    made = await client.post(
        "/v1/products", json=product_body(merchant_id=str(a.id)), headers=theirs
    )
    assert made.status_code in (403, 422) or made.json()["merchant_id"] == str(x.id)
    # Fields that are not the caller's to set.
    assert (
        await client.patch(f"/v1/products/{product.id}", json={"merchant_id": str(x.id)},
                           headers=mine)
    ).status_code == 422  # fmt: skip
    assert (
        await client.patch(f"/v1/merchants/{a.id}", json={"tier": "leading"}, headers=mine)
    ).status_code in (403, 422)
    key = await client.post(
        "/v1/api-keys", json={"role": "operator", "name": "escalate"}, headers=mine
    )
    assert key.status_code == 403
    hook = await client.post(
        "/v1/webhooks",
        json={"url": "https://93.184.216.34/h", "event_types": ["*"], "merchant_id": str(x.id)},
        headers=mine,
    )
    assert hook.status_code == 422
    created = await client.post("/v1/merchants", json=merchant_body(), headers=mine)
    assert created.status_code == 403


# Trade events by role (DOMAIN.md): who is let in (not 401/403/404; 409 = let in, but out of
# order) for each event on each kind of trade. P anonymous, O operator, S the seller, B the
# buyer, X another merchant, A an assessor, U an auditor. A reported trade is an off-venue
# trade the seller's key reported; "confirmed" ones the buyer has confirmed since.
EVENT_MATRIX = {
    "on_venue": {
        "confirmed": "O",
        "delivered": "SO",
        "disputed": "BSO",
        "settled": "O",
        "refunded": "O",
        "cancelled": "O",
    },
    "reported": {
        "confirmed": "BO",
        "delivered": "SO",
        "disputed": "BSO",
        "settled": "SO",
        "refunded": "SO",
        "cancelled": "SO",
    },
    "reported_confirmed": {
        "confirmed": "BO",
        "delivered": "SO",
        "disputed": "BSO",
        "settled": "SO",
        "refunded": "SO",
        "cancelled": "SO",
    },
    "recorded_off_venue": {
        "confirmed": "O",
        "delivered": "SO",
        "disputed": "BSO",
        "settled": "SO",
        "refunded": "SO",
        "cancelled": "O",
    },
}
EVENT_CALLERS = "POSBXAU"


async def test_trade_events_are_let_in_by_role(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.listings.test_router import Exchange
    from tests.trades.conftest import Parties

    parties = await Parties().setup(client, session)
    exchange = await Exchange(client, session).setup()
    listing_id = await exchange.listing(await exchange.product())
    await exchange.step(listing_id, "submit", exchange.owner)
    await exchange.step(listing_id, "approve", exchange.admin)
    common = {
        "P": {},
        "O": parties.admin,
        "B": parties.buyer_key,
        "X": auth(await make_key(session, Role.merchant, (await make_merchant(session)).id)),
        "A": auth(await make_key(session, Role.assessor)),
        "U": parties.auditor,
    }

    async def trade(kind: str) -> tuple[str, dict[str, dict[str, str]]]:
        keys = {**common, "S": parties.seller_key}
        if kind == "on_venue":
            keys["S"] = exchange.owner
            made = await parties.record(
                venue_code="HZDEX",
                on_venue=True,
                listing_id=listing_id,
                seller_merchant_id=str(exchange.merchant.id),
            )
        elif kind == "recorded_off_venue":
            made = await parties.record()
        else:
            made = await parties.record(headers=parties.seller_key)
        assert made.status_code == 201, made.text
        trade_id = made.json()["id"]
        if kind == "reported_confirmed":
            confirmed = await client.post(
                f"/v1/transactions/{trade_id}/events",
                json={"type": "confirmed"},
                headers=idempotent(parties.buyer_key),
            )
            assert confirmed.status_code == 201, confirmed.text
        return trade_id, keys

    wrong = []
    for kind, events in EVENT_MATRIX.items():
        for event, declared in events.items():
            for caller in EVENT_CALLERS:
                trade_id, keys = await trade(kind)
                answer = await client.post(
                    f"/v1/transactions/{trade_id}/events",
                    json={"type": event},
                    headers=idempotent(keys[caller]),
                )
                assert answer.status_code < 500, answer.text
                if (answer.status_code not in DENIED) != (caller in declared):
                    wrong.append(f"{kind} {event} by {caller}: {answer.status_code}")
    assert not wrong, "; ".join(wrong)


async def test_pledge_steps_and_objections_by_role(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A pledge needs both sides: the pledgee's key or the operator confirms, never the
    holder; the holder (or the operator) withdraws an applied one; only the operator
    records the pledgee's consent; the holder alone never releases a pledge, the pledgee's
    key and the operator do. Objections: other merchants and operators, never the holder,
    an auditor or an assessor. H holder, B the pledgee (a bank with a merchant key), X
    another merchant."""
    from tests.ip.test_hostile import Bank, pledge_body
    from tests.ip.test_router import Registry

    registry = await Registry().setup(client, session)
    bank = await Bank().setup(session)
    keys = {
        "P": {},
        "O": registry.admin,
        "H": registry.holder_key,
        "B": bank.key,
        "X": registry.other_key,
        "A": auth(await make_key(session, Role.assessor)),
        "U": registry.auditor,
    }
    let_in = {"confirm": "OB", "consent": "O", "release": "OB", "withdraw": "OH"}
    object_let_in = "OBX"
    wrong = []
    body = pledge_body(pledgee_merchant_id=str(bank.merchant.id))

    def check(action: str, caller: str, answer: httpx.Response) -> None:
        assert answer.status_code < 500, answer.text
        if (answer.status_code not in DENIED) != (caller in let_in[action]):
            wrong.append(f"{action} by {caller}: {answer.status_code}")

    for caller, key in keys.items():
        registry.product = await make_product(session, registry.holder)
        rid = (await registry.registered())["id"]
        applied = await registry.step(rid, "pledge", body, keys["H"])
        assert applied.status_code == 200, applied.text
        pledge_id = applied.json()["pledges"][0]["id"]
        confirmed = await registry.pledge_step(rid, pledge_id, "confirm", None, key)
        check("confirm", caller, confirmed)
        if confirmed.status_code != 200:
            done = await registry.pledge_step(rid, pledge_id, "confirm", None, keys["B"])
            assert done.status_code == 200, done.text
        consent = await registry.pledge_step(rid, pledge_id, "consent", {"step": "license"}, key)
        check("consent", caller, consent)
        released = await client.post(
            f"/v1/ip-registrations/{rid}/release",
            json={"pledge_id": pledge_id},
            headers=idempotent(key),
        )
        check("release", caller, released)
        if released.status_code != 200:
            done = await registry.step(rid, "release", {"pledge_id": pledge_id})
            assert done.status_code == 200, done.text
        applied = await registry.step(rid, "pledge", body, keys["H"])
        assert applied.status_code == 200, applied.text
        [second] = [p["id"] for p in applied.json()["pledges"] if p["status"] == "applied"]
        check("withdraw", caller, await registry.pledge_step(rid, second, "withdraw", None, key))

        registry.product = await make_product(session, registry.holder)
        noticed = (await registry.apply()).json()["id"]
        await registry.step(noticed, "examine", {"decision": "accept"})
        objected = await client.post(
            f"/v1/ip-registrations/{noticed}/objections",
            json={"kind": "ownership", "grounds": "数据由我方采集"},
            headers=idempotent(key),
        )
        if (objected.status_code not in DENIED) != (caller in object_let_in):
            wrong.append(f"object by {caller}: {objected.status_code}")
    assert not wrong, "; ".join(wrong)


async def test_events_by_type_and_role(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """DOMAIN.md "Events": each event is visible exactly to whoever may read its noun, as
    the noun's endpoint shows it. The finding: an assessor, refused on /v1/transactions and
    /v1/data-assets, read every trade and data-asset event with amounts, and the internal
    reasons of listing events, via /v1/events. A is the merchant of everything here and the
    seller; B its buyer; X another merchant; S an assessor; O an operator; U an auditor;
    P anonymous. Webhooks (of O, B and X) receive no more than their owner reads."""
    import uuid

    from sqlalchemy import text

    from tests.ip.test_router import Registry
    from tests.listings.test_router import Exchange

    ex = await Exchange(client, session).setup()
    a = ex.merchant
    b, x = await make_merchant(session), await make_merchant(session)
    keys = {
        "P": {},
        "O": ex.admin,
        "U": auth(await make_key(session, Role.auditor)),
        "S": ex.assessor,
        "A": ex.owner,
        "B": auth(await make_key(session, Role.merchant, b.id)),
        "X": auth(await make_key(session, Role.merchant, x.id)),
    }
    hooks = {}
    for caller in "OBX":
        made = await client.post(
            "/v1/webhooks",
            json={"url": "https://93.184.216.34/hook", "event_types": ["*"]},
            headers=keys[caller],
        )
        assert made.status_code == 201, made.text
        hooks[caller] = made.json()["id"]

    # Product and assessment events (the product made active, assessed by S).
    product_id = await ex.product()
    # A listed listing, suspended on the way with an internal reason, and a suspended one.
    listed = await ex.listing(product_id)
    suspended = await ex.listing(product_id, venue="NBSE")
    for listing_id in (listed, suspended):
        for action, key in (("submit", ex.owner), ("approve", ex.admin)):
            assert (await ex.step(listing_id, action, key)).status_code == 200
        stopped = await ex.step(listing_id, "suspend", ex.admin, reason="内部：涉嫌刷单")
        assert stopped.status_code == 200, stopped.text
    assert (await ex.step(listed, "resume", ex.admin)).status_code == 200
    # A trade A sold to B, with its amount.
    trade = await client.post(
        "/v1/transactions",
        json={"venue_code": "OTC", "on_venue": False, "seller_merchant_id": str(a.id),
              "buyer_merchant_id": str(b.id), "amount": "8888.00",
              "contract_digest": hashlib.sha256(b"events").hexdigest(),
              "occurred_at": "2026-11-20T10:00:00+08:00"},
        headers={**ex.admin, "Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    assert trade.status_code == 201, trade.text
    # A's data asset, and a change of A's private contact e-mail.
    asset = await client.post(
        "/v1/data-assets",
        json={"name": "客户画像数据集", "asset_class": "intangible", "source": "purchased"},
        headers={**ex.owner, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert asset.status_code == 201, asset.text
    patched = await client.patch(
        f"/v1/merchants/{a.id}", json={"contact_email": "new@a.example.cn"}, headers=ex.owner
    )
    assert patched.status_code == 200, patched.text
    # A's registrations: one applied for (not public), one certified (public).
    registry = await Registry().setup(client, session)
    products = {str(registry.product.id): "OUS"}  # of the registry's own merchant
    registry.holder, registry.holder_key = a, ex.owner
    registry.product = await make_product(session, a)
    products[str(registry.product.id)] = "OUSA"
    applied = await registry.apply()
    assert applied.status_code == 201, applied.text
    registry.product = await make_product(session, a)
    products[str(registry.product.id)] = "OUSA"
    certified = await registry.registered()

    subjects = {
        trade.json()["id"]: "OUAB",
        asset.json()["id"]: "OUA",
        str(a.id): "OUA",  # merchant.updated: the whole record's readers
        product_id: "OUSA",
        listed: "OUSABX",
        suspended: "OUSA",
        applied.json()["id"]: "OUSA",
        certified["id"]: "OUSABX",
        certified["certificate_number"]: "OUSABX",
        **products,
    }
    in_full = {listed: "OUA", suspended: "OUA"}  # the listing events' `reason`

    async def feed(headers: dict[str, str]) -> list[dict[str, Any]]:
        """Every event the caller reads, three a page (keyset paging over the filter)."""
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
            answer = await client.get("/v1/events", params=params, headers=headers)
            assert answer.status_code == 200, answer.text
            seen += answer.json()["items"]
            cursor = answer.json()["next_cursor"]
            if cursor is None:
                return seen

    everything = await feed(keys["O"])
    assessments = {e["subject_id"] for e in everything if e["type"] == "assessment.completed"}
    subjects |= dict.fromkeys(assessments, "OUSA")
    extra = [(e["type"], e["subject_id"]) for e in everything if e["subject_id"] not in subjects]
    assert {e["subject_id"] for e in everything} == set(subjects), extra
    wrong = []
    for caller in "OUSABX":
        events = await feed(keys[caller])
        assert len({e["id"] for e in events}) == len(events)
        expected = [e["id"] for e in everything if caller in subjects[e["subject_id"]]]
        if [e["id"] for e in events] != expected:
            types = sorted({e["type"] for e in events})
            wrong.append(f"{caller} sees {types}")
        for event in events:
            if event["type"].startswith("listing."):
                shown = event["data"]["reason"] is not None
                if event["type"] == "listing.suspended" and shown != (
                    caller in in_full[event["subject_id"]]
                ):
                    wrong.append(f"{caller} reads the reason: {shown}")
    assert not wrong, "; ".join(wrong)
    assert (await client.get("/v1/events", headers=keys["P"])).status_code == 401
    # The assessor's feed has no trade, data-asset or merchant event, by type filter either.
    for group in ("trade.*", "data_asset.*", "merchant.*"):
        answer = await client.get("/v1/events", params={"type": group}, headers=keys["S"])
        assert answer.json()["items"] == [], group

    # Webhooks: an operator's subscription every event; B's and X's only those naming them.
    delivered = await session.execute(
        text(
            "SELECT d.subscription_id::text, e.subject_id FROM webhook_delivery d"
            " JOIN outbox_event e ON e.id = d.event_id"
        )
    )
    by_hook: dict[str, set[str]] = {}
    for hook_id, subject in delivered.all():
        by_hook.setdefault(hook_id, set()).add(subject)
    assert by_hook[hooks["O"]] == set(subjects)
    assert by_hook[hooks["B"]] == {trade.json()["id"]}
    assert hooks["X"] not in by_hook


# Steps that change money or title (DOMAIN.md, "Retries never double money or title"): every
# POST below a data asset or an IP registration, a restatement's approval, a trade's events.
STEP_PATTERNS = [
    re.compile(r"POST /v1/data-assets/\{[^/]+\}/.+"),
    re.compile(r"POST /v1/data-asset-restatements/\{[^/]+\}/.+"),
    re.compile(r"POST /v1/merchants/\{[^/]+\}/data-asset-periods"),
    re.compile(r"POST /v1/ip-registrations/\{[^/]+\}/.+"),
    re.compile(r"POST /v1/transactions/\{[^/]+\}/events"),
    re.compile(r"POST /v1/negotiations/\{[^/]+\}/.+"),
]


def _operations_of(app: FastAPI) -> dict[str, APIRoute]:
    return {
        f"{method} {route.path}": route
        for route in idempotency.api_routes(app.routes)
        for method in route.methods
    }


def test_every_step_that_changes_money_or_title_is_marked(app: FastAPI) -> None:
    """Marked `dependencies=[RETRY_SAFE]` are exactly the routes whose path says they are
    such a step: a new step route cannot be forgotten. Each documents 428 and both headers,
    and runs its hooks before the commit (where its first answer is kept)."""
    operations = _operations_of(app)
    steps = {op for op in operations if any(p.fullmatch(op) for p in STEP_PATTERNS)}
    marked = {op for op, route in operations.items() if idempotency.marked(route)}
    assert marked == steps
    assert len(steps) >= 20
    document = app.openapi()
    for operation in steps:
        method, path = operation.split(" ", 1)
        assert isinstance(operations[operation], BeforeCommitRoute), operation
        documented = document["paths"][path][method.lower()]
        assert "428" in documented["responses"] and "412" in documented["responses"], operation
        headers = {p["name"].lower() for p in documented["parameters"] if p["in"] == "header"}
        assert {"idempotency-key", "if-match"} <= headers, operation
        assert "Idempotency-Key" in documented["description"], operation
    # Not steps: a PATCH of an asset's name, reads, creations.
    assert "PATCH /v1/data-assets/{asset_id}" not in marked
    assert "POST /v1/transactions" not in marked  # 400 without a key (2026-11-29)


async def test_every_step_is_428_without_a_header_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Called as its owner and as an operator, with an empty body, without `If-Match` or
    `Idempotency-Key` (or with `If-Match: *`, which names no version): 428, and no table
    that holds money or title changed."""
    world = await World().build(client, session)
    tables = ("data_asset_cost_item", "data_asset_movement", "ip_step", "ip_objection",
              "trade_event", "idempotency_record", "ledger_entry")  # fmt: skip

    async def counts() -> dict[str, int]:
        found = {}
        for table in tables:
            found[table] = (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
        await session.commit()
        return found

    before = await counts()
    steps = [op for op, route in _operations_of(app).items() if idempotency.marked(route)]
    wrong = []
    for operation in steps:
        _, path = operation.split(" ", 1)
        for caller in "OM":
            for extra in ({}, {"If-Match": "*"}):
                answer = await client.post(
                    world.url(path), json={}, headers={**world.keys[caller], **extra}
                )
                if answer.status_code != 428:
                    wrong.append(f"{operation} by {caller} {extra}: {answer.status_code}")
    assert not wrong, "; ".join(wrong)
    assert await counts() == before
