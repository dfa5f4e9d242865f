"""Private entries, public commitments: a trade's contents only to its parties and staff,
its leaf hash (all a proof needs) to anyone."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.ledger import merkle
from tests.factories import auth, idempotent, make_key, make_merchant
from tests.ip.test_router import Registry
from tests.trades.conftest import Parties


@pytest.fixture
async def parties(client: httpx.AsyncClient, session: AsyncSession) -> Parties:
    return await Parties().setup(client, session)


CONTENTS = {"venue_code", "index", "leaf_hash", "entry", "entry_canonical", "kind", "ref_id"}


async def test_trade_contents_only_to_parties_and_staff(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    trade = (await parties.record(venue_code="OTC", amount="777.00")).json()
    event = await client.post(
        f"/v1/transactions/{trade['id']}/events",
        json={"type": "delivered"},
        headers=idempotent(parties.admin),
    )
    assert event.status_code == 201, event.text
    third = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    assessor = auth(await make_key(session, Role.assessor))
    head = (await client.get("/v1/ledgers/OTC/tree-head")).json()
    assert head["tree_size"] == 2

    for index in (0, 1):
        readers = {
            "seller": parties.seller_key,
            "buyer": parties.buyer_key,
            "auditor": parties.auditor,
            "operator": parties.admin,
        }
        full = {}
        for who, headers in readers.items():
            shown = await client.get(f"/v1/ledgers/OTC/entries/{index}", headers=headers)
            assert shown.status_code == 200 and set(shown.json()) == CONTENTS, who
            full[who] = shown.json()
        assert full["seller"]["entry"]["trade_id"] == trade["id"]
        for who, headers in {"anonymous": {}, "third": third, "assessor": assessor}.items():
            hidden = await client.get(f"/v1/ledgers/OTC/entries/{index}", headers=headers)
            assert hidden.status_code == 200, who
            assert hidden.json() == {"index": index, "leaf_hash": full["auditor"]["leaf_hash"]}
            assert "777.00" not in hidden.text and str(parties.seller.id) not in hidden.text

        # The hash alone proves the leaf is in the signed tree.
        proof = (
            await client.get(
                "/v1/ledgers/OTC/proofs/inclusion", params={"index": index, "tree_size": 2}
            )
        ).json()
        leaf = bytes.fromhex(hidden.json()["leaf_hash"])
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        assert merkle.verify_inclusion(index, 2, leaf, path, bytes.fromhex(head["root_hash"]))
        assert leaf == merkle.leaf_hash(full["buyer"]["entry_canonical"].encode())

    # Nor does the trade itself show to the third merchant: one rule.
    assert (await client.get(f"/v1/transactions/{trade['id']}", headers=third)).status_code == 404


async def test_leaf_hashes_ranges(parties: Parties, client: httpx.AsyncClient) -> None:
    for amount in ("1.00", "2.00", "3.00"):
        await parties.record(venue_code="HZDEX", amount=amount)
    shown = await client.get("/v1/ledgers/HZDEX/leaf-hashes", params={"start": 1, "end": 3})
    assert shown.status_code == 200
    items = shown.json()["items"]
    assert [i["index"] for i in items] == [1, 2]
    for item in items:
        entry = (
            await client.get(f"/v1/ledgers/HZDEX/entries/{item['index']}", headers=parties.auditor)
        ).json()
        assert entry["leaf_hash"] == item["leaf_hash"]
    whole = await client.get("/v1/ledgers/HZDEX/leaf-hashes", params={"start": 0, "end": 3})
    assert len(whole.json()["items"]) == 3


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start": 2, "end": 2}, 422),  # empty
        ({"start": 2, "end": 1}, 422),  # backwards
        ({"start": 0, "end": 4}, 422),  # past the log's end
        ({"start": 0, "end": 1001}, 422),  # too many
        ({"start": -1, "end": 1}, 422),
        ({"start": 0}, 422),
        ({"start": "x", "end": 1}, 422),
        ({"start": 0, "end": 1, "limit": 5}, 422),  # unknown parameter
    ],
)
async def test_leaf_hashes_bad_ranges(
    parties: Parties, client: httpx.AsyncClient, params: dict[str, object], status: int
) -> None:
    for _ in range(3):
        await parties.record(venue_code="HZDEX")
    answer = await client.get("/v1/ledgers/HZDEX/leaf-hashes", params=params)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_leaf_hashes_of_no_log(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/ledgers/NOPE/leaf-hashes", params={"start": 0, "end": 1})
    assert answer.status_code == 404


async def test_registration_steps_private_until_public(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    registry = await Registry().setup(client, session)
    submitted = (await registry.apply()).json()
    index = submitted["history"][0]["leaf_index"]
    path = f"/v1/ledgers/IPR/entries/{index}"
    for headers in ({}, registry.other_key):
        assert set((await client.get(path, headers=headers)).json()) == {"index", "leaf_hash"}
    for headers in (registry.holder_key, registry.auditor, registry.admin):
        assert (await client.get(path, headers=headers)).json()["entry"]["action"] == "submit"

    examined = await registry.step(submitted["id"], "examine", {"decision": "accept"})
    assert examined.json()["status"] == "publicizing"
    # Under public notice, the registration (and so its history) is public.
    assert (await client.get(path)).json()["entry"]["action"] == "submit"
