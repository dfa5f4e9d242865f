"""Contract negotiations through the HTTP API (DOMAIN.md "Contracts and delivery"): the
DSP states to FINALIZED with a canonical, signed agreement; steps out of order, by the wrong
party or after termination refused with nothing changed; one winner of two concurrent
steps; only the parties and staff read them; every step a leaf that `ledger.audit` proves."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from shushang_sdk import trust
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import signed_note
from app.core.roles import Role
from app.ledger import verify
from tests.factories import auth, make_key, make_merchant
from tests.listings.test_automatic import listed
from tests.listings.test_router import Exchange
from tests.sdk.test_sdk import sdk

TERMS = {"rights": ["use"], "purpose": "信用评估模型训练", "term_end": "2027-12-31"}


class Deal:
    """A listed listing of the provider (`ex.owner`), a buyer, a third merchant, staff."""

    async def setup(self, client: httpx.AsyncClient, session: AsyncSession) -> Deal:
        self.client, self.session = client, session
        self.ex = await Exchange(client, session).setup()
        self.provider = self.ex.owner
        self.listing_id = await listed(self.ex, await self.ex.product())
        self.buyer_merchant = await make_merchant(session)
        self.buyer = auth(await make_key(session, Role.merchant, self.buyer_merchant.id))
        self.third = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
        self.auditor_token = await make_key(session, Role.auditor)
        self.auditor = auth(self.auditor_token)
        return self

    async def request(self, **terms: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"/v1/listings/{self.listing_id}/negotiations",
            json={**TERMS, **terms},
            headers=self.buyer,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def step(
        self, negotiation_id: str, action: str, who: dict[str, str], **headers: str
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/negotiations/{negotiation_id}/{action}",
            headers={**who, "Idempotency-Key": str(uuid.uuid4()), **headers},
        )

    async def state(self, negotiation_id: str) -> tuple[str, int, int]:
        """The state, version and number of steps, as an auditor reads them."""
        got = await self.client.get(f"/v1/negotiations/{negotiation_id}", headers=self.auditor)
        body = got.json()
        return body["state"], body["version"], len(body["steps"])


@pytest.fixture
async def deal(client: httpx.AsyncClient, session: AsyncSession) -> Deal:
    return await Deal().setup(client, session)


def opened(note: str, vkey: str) -> str:
    """The text of the venue's signed note, after checking its one Ed25519 signature."""
    name, _, encoded = vkey.split("+", 2)
    public_key = base64.b64decode(encoded)[1:]
    text_part, _, lines = note.rpartition("\n\n")
    dash, signer, signature = lines.strip().split(" ")
    raw = base64.b64decode(signature)
    assert (dash, signer) == (signed_note.DASH, name)
    assert raw[:4] == signed_note.key_hash(name, signed_note.ED25519, public_key)
    Ed25519PublicKey.from_public_bytes(public_key).verify(raw[4:], (text_part + "\n").encode())
    return text_part + "\n"


async def test_a_negotiation_reaches_finalized_with_a_signed_canonical_agreement(
    deal: Deal, app: FastAPI, session: AsyncSession
) -> None:
    n = await deal.request(rights=["use", "hold"])
    nid = n["id"]
    assert n["state"] == "REQUESTED" and n["steps"][0]["action"] == "request"
    assert n["offer"]["@type"] == "odrl:Offer"
    assert [p["odrl:action"] for p in n["offer"]["odrl:permission"]] == [
        "shushang:hold",
        "odrl:use",
    ]
    assert n["offer"]["odrl:prohibition"] == [{"odrl:action": "odrl:distribute"}]
    # The provider offers new terms, 经营 included: no prohibition of distribution then.
    offered = await deal.client.post(
        f"/v1/negotiations/{nid}/offer",
        json={**TERMS, "rights": ["operate"]},
        headers={**deal.provider, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert offered.status_code == 200, offered.text
    assert (
        offered.json()["state"] == "OFFERED" and "odrl:prohibition" not in offered.json()["offer"]
    )
    etag = offered.headers["ETag"]
    accepted = await deal.step(nid, "accept", deal.buyer, **{"If-Match": etag})
    assert accepted.status_code == 200 and accepted.json()["state"] == "ACCEPTED"
    agreed = await deal.step(nid, "agree", deal.provider)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["state"] == "AGREED"
    for action, who in (("verify", deal.buyer), ("finalize", deal.provider)):
        assert (await deal.step(nid, action, who)).status_code == 200
    final = (await deal.client.get(f"/v1/negotiations/{nid}", headers=deal.buyer)).json()
    assert final["state"] == "FINALIZED"
    assert [s["to_state"] for s in final["steps"]] == [
        "REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED"
    ]  # fmt: skip

    # The agreement: its digest is of its canonical bytes, signed by the venue.
    url = f"/v1/agreements/{final['agreement_id']}"
    agreement = (await deal.client.get(url, headers=deal.provider)).json()
    document = agreement["document"]
    assert hashlib.sha256(rfc8785.dumps(document)).hexdigest() == agreement["sha256"]
    assert document["@type"] == "odrl:Agreement"
    assert document["@id"] == f"urn:uuid:{agreement['id']}"
    assert document["odrl:assignee"] == deal.buyer_merchant.uscc
    assert document["odrl:assigner"] == deal.ex.merchant.uscc
    assert document["odrl:target"] == f"urn:uuid:{deal.listing_id}"
    assert document["odrl:permission"][0]["odrl:action"] == "shushang:operate"
    assert agreement["trade_id"] is None
    assert final["steps"][3]["agreement_sha256"] == agreement["sha256"]
    vkey = (await deal.client.get("/v1/ledgers/HZDEX/verifier-key")).text.strip()
    assert opened(agreement["signature"], vkey) == f"sha256:{agreement['sha256']}\n"

    # A trade on the listing between the parties with the agreement's digest records it.
    recorded = await deal.client.post(
        "/v1/transactions",
        json={
            "venue_code": "HZDEX", "on_venue": True, "listing_id": deal.listing_id,
            "seller_merchant_id": str(deal.ex.merchant.id),
            "buyer_merchant_id": str(deal.buyer_merchant.id), "amount": "5000.00",
            "contract_digest": agreement["sha256"], "occurred_at": "2026-12-01T10:00:00+08:00",
        },
        headers={**deal.ex.admin, "Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    linked = (await deal.client.get(url, headers=deal.buyer)).json()
    assert linked["trade_id"] == recorded.json()["id"]

    # Only the parties and staff read it; a third merchant is told nothing exists.
    for path in (f"/v1/negotiations/{nid}", url):
        assert (await deal.client.get(path, headers=deal.third)).status_code == 404
        assert (await deal.client.get(path, headers=deal.auditor)).status_code == 200
    listed_ids = await deal.client.get("/v1/negotiations", headers=deal.third)
    assert listed_ids.status_code == 200 and listed_ids.json()["items"] == []
    index = final["steps"][0]["leaf_index"]
    entry_url = f"/v1/ledgers/HZDEX/entries/{index}"
    mine = (await deal.client.get(entry_url, headers=deal.buyer)).json()
    assert mine["kind"] == "negotiation_step" and mine["entry"]["negotiation_id"] == nid
    hidden = (await deal.client.get(entry_url, headers=deal.third)).json()
    assert "entry" not in hidden and hidden["leaf_hash"] == mine["leaf_hash"]

    # Every leaf of the venue's log verifies, the negotiation's steps among them.
    async with sdk(app, deal.auditor_token, trusted_keys=trust(vkey)) as client:
        found = await client.ledger.audit("HZDEX")
    assert found.ok and not found.failures, found.failures
    assert found.verified["negotiation_step"] == 6
    # And as `shushang ledger verify` rebuilds them from the stored steps.
    rebuilt = await verify.verify_venue(session, "HZDEX")
    assert rebuilt.exists and not rebuilt.problems, rebuilt.problems


async def test_wrong_party_out_of_order_and_after_terminate_change_nothing(
    deal: Deal, session: AsyncSession
) -> None:
    nid = (await deal.request())["id"]
    before = await deal.state(nid)
    # The consumer may not offer or agree; the provider may not accept; out of order is 409.
    for action, who, status in (
        ("offer", deal.buyer, 403),
        ("agree", deal.buyer, 403),
        ("accept", deal.provider, 403),
        ("accept", deal.buyer, 409),
        ("finalize", deal.provider, 409),
        ("verify", deal.buyer, 409),
        ("offer", deal.third, 404),
        ("offer", deal.auditor, 403),
    ):
        refused = await deal.step(nid, action, who)
        assert refused.status_code == status, (action, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    # A stale If-Match is 412; a step without If-Match or Idempotency-Key is 428.
    stale = await deal.step(nid, "offer", deal.provider, **{"If-Match": '"7"'})
    assert stale.status_code == 412
    bare = await deal.client.post(f"/v1/negotiations/{nid}/offer", headers=deal.provider)
    assert bare.status_code == 428
    partial = await deal.client.post(
        f"/v1/negotiations/{nid}/offer",
        json={"purpose": "x"},
        headers={**deal.provider, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert partial.status_code == 422
    assert await deal.state(nid) == before
    # A buyer cannot negotiate its own listing, nor an unlisted one.
    own = await deal.client.post(
        f"/v1/listings/{deal.listing_id}/negotiations", json=TERMS, headers=deal.provider
    )
    assert own.status_code == 403

    # Terminated: nothing more, by either party.
    assert (await deal.step(nid, "terminate", deal.provider)).status_code == 200
    after = await deal.state(nid)
    assert after[0] == "TERMINATED"
    for action, who in (("offer", deal.provider), ("terminate", deal.buyer)):
        assert (await deal.step(nid, action, who)).status_code == 409
    assert await deal.state(nid) == after
    count = "SELECT count(*) FROM agreement"
    assert (await session.execute(text(count))).scalar_one() == 0


async def test_two_concurrent_agrees_make_one_winner(deal: Deal, session: AsyncSession) -> None:
    nid = (await deal.request())["id"]
    first, second = await asyncio.gather(
        deal.step(nid, "agree", deal.provider), deal.step(nid, "agree", deal.provider)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    state, _, steps = await deal.state(nid)
    assert (state, steps) == ("AGREED", 2)
    count = "SELECT count(*) FROM agreement"
    assert (await session.execute(text(count))).scalar_one() == 1
