"""C2SP checkpoints: the signed note, its verifier key, fresh heads, cosignature lines."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import signed_note as note
from app.core.config import Settings
from app.ledger.freshness import refresh_once
from app.ledger.models import Cosignature
from app.ledger.signing import signer_of
from tests.trades.conftest import Parties

DASH = "\u2014"


async def _vkey(client: httpx.AsyncClient, log: str) -> tuple[str, bytes]:
    answer = await client.get(f"/v1/ledgers/{log}/verifier-key")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    name, key_hash, encoded = answer.text.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01 and len(raw) == 33
    public_key = raw[1:]
    expected = hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]
    assert key_hash == expected.hex()
    return name, public_key


async def test_checkpoint_is_a_signed_note(parties: Parties, client: httpx.AsyncClient) -> None:
    for amount in ("1.00", "2.00", "3.00"):
        await parties.record(venue_code="HZDEX", amount=amount)
    answer = await client.get("/v1/ledgers/HZDEX/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    head = (await client.get("/v1/ledgers/HZDEX/tree-head")).json()
    assert head["checkpoint"] == answer.text

    body, signatures = answer.text.split("\n\n")
    origin, size, root = body.split("\n")
    assert origin == "shushang.local/ledgers/HZDEX" and size == "3"
    assert base64.b64decode(root).hex() == head["root_hash"]
    lines = signatures.removesuffix("\n").split("\n")
    assert len(lines) == 2 and all(line.startswith(f"{DASH} {origin} ") for line in lines)

    name, public_key = await _vkey(client, "HZDEX")
    assert name == origin and public_key.hex() == head["public_key"]
    signed = base64.b64decode(lines[0].rsplit(" ", 1)[1])
    assert signed[:4] == hashlib.sha256(origin.encode() + b"\n\x01" + public_key).digest()[:4]
    Ed25519PublicKey.from_public_bytes(public_key).verify(signed[4:], (body + "\n").encode())
    # The log's own cosignature dates it: the JSON head's signed timestamp.
    dated = base64.b64decode(lines[1].rsplit(" ", 1)[1])
    when = int.from_bytes(dated[4:12], "big")
    assert when == int(datetime.fromisoformat(head["timestamp"]).timestamp())
    message = f"cosignature/v1\ntime {when}\n{body}\n".encode()
    Ed25519PublicKey.from_public_bytes(public_key).verify(dated[12:], message)
    assert note.open_checkpoint(answer.text, public_key)[:3] == (
        origin,
        3,
        bytes.fromhex(head["root_hash"]),
    )


async def test_empty_and_unknown_logs(client: httpx.AsyncClient) -> None:
    empty = await client.get("/v1/ledgers/IPR/checkpoint")
    assert empty.status_code == 200
    body = empty.text.split("\n\n")[0].split("\n")
    assert body[1:] == ["0", base64.b64encode(hashlib.sha256(b"").digest()).decode()]
    for path in ("checkpoint", "verifier-key"):
        missing = await client.get(f"/v1/ledgers/NOPE/{path}")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


async def test_a_forged_checkpoint_does_not_open(
    parties: Parties, client: httpx.AsyncClient
) -> None:
    await parties.record(venue_code="HZDEX")
    signed = (await client.get("/v1/ledgers/HZDEX/checkpoint")).text
    _, public_key = await _vkey(client, "HZDEX")
    forged = signed.replace("\n1\n", "\n2\n", 1)
    with pytest.raises(note.BadNote):
        note.open_checkpoint(forged, public_key)
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(note.BadNote):
        note.open_checkpoint(signed, other)


async def test_a_stale_checkpoint_is_signed_again(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await parties.record(venue_code="OTC")
    first = (await client.get("/v1/ledgers/OTC/tree-head")).json()
    again = (await client.get("/v1/ledgers/OTC/tree-head")).json()
    assert again["timestamp"] == first["timestamp"]  # fresh enough: the same one
    await session.execute(
        text("UPDATE ledger_checkpoint SET timestamp = timestamp - interval '2 minutes'")
    )
    await session.commit()
    stale = (await client.get("/v1/ledgers/OTC/tree-head")).json()
    fresh = (await client.get("/v1/ledgers/OTC/tree-head")).json()
    # Re-signed now, not served as it was stored two minutes back.
    assert stale["timestamp"] >= first["timestamp"] and fresh == stale
    assert fresh["tree_size"] == 1 and fresh["root_hash"] == first["root_hash"]
    sizes = (
        await session.execute(
            text("SELECT tree_size FROM ledger_tree_head WHERE venue_code = 'OTC'")
        )
    ).scalars()
    assert list(sizes) == [1]  # the first head of a size stays; the checkpoint moves on


async def test_the_background_refresh_signs_quiet_logs(
    parties: Parties, client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    await parties.record(venue_code="OTC")
    await parties.record(venue_code="HZDEX")
    settings: Settings = app.state.settings
    # A checkpoint of a log no domain knows any more stops no other log's refresh.
    await client.get("/v1/ledgers/NBSE/checkpoint")  # a log with a checkpoint and no leaf
    await session.execute(
        text(
            "INSERT INTO ledger_checkpoint SELECT 'GONE', tree_size, root_hash,"
            " timestamp - interval '1 hour', note, signature, key_id"
            " FROM ledger_checkpoint WHERE venue_code = 'NBSE'"
        )
    )
    await session.commit()
    seen = await refresh_once(
        app.state.sessionmaker, signer_of(app.state), settings, timedelta(seconds=30)
    )
    assert seen == 4
    stamps = dict(
        (await session.execute(text("SELECT venue_code, timestamp FROM ledger_checkpoint"))).all()
    )
    assert set(stamps) == {"OTC", "HZDEX", "NBSE", "GONE"}
    await session.execute(
        text(
            "UPDATE ledger_checkpoint SET timestamp = timestamp - interval '1 minute'"
            " WHERE venue_code = 'OTC'"
        )
    )
    await session.commit()
    signer = signer_of(app.state)
    await refresh_once(app.state.sessionmaker, signer, settings, timedelta(seconds=30))
    after = dict(
        (await session.execute(text("SELECT venue_code, timestamp FROM ledger_checkpoint"))).all()
    )
    assert after["OTC"] >= stamps["OTC"] and after["HZDEX"] == stamps["HZDEX"]


async def _witness_cosigns(session: AsyncSession, signed: str) -> tuple[note.Cosigner, str]:
    """A witness's cosignature on the checkpoint `signed` (of HZDEX, size 1), kept as the
    cosign route keeps one; the witness and its note line's prefix."""
    body = signed.split("\n\n")[0] + "\n"
    witness = Ed25519PrivateKey.generate()
    cosigner = note.Cosigner("witness.example/w1", witness.public_key().public_bytes_raw())
    when = 1_790_000_000
    session.add(
        Cosignature(
            venue_code="HZDEX",
            tree_size=1,
            key_name=cosigner.name,
            key_hash=cosigner.key_hash,
            origin="shushang.local/ledgers/HZDEX",
            signature=when.to_bytes(8, "big") + witness.sign(note.cosigned_message(body, when)),
        )
    )
    await session.commit()
    return cosigner, f"{DASH} {cosigner.name} "


async def test_witness_cosignatures_append(
    parties: Parties,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The seam for witnesses: a stored cosignature of a configured witness is served after
    the log's lines, and the note still opens with the log's key."""
    await parties.record(venue_code="HZDEX")
    signed = (await client.get("/v1/ledgers/HZDEX/checkpoint")).text
    body = signed.split("\n\n")[0] + "\n"
    witness, line = await _witness_cosigns(session, signed)
    monkeypatch.setattr(settings, "witness_keys", [witness.vkey])
    served = (await client.get("/v1/ledgers/HZDEX/checkpoint")).text
    assert served.startswith(signed)
    last = served.removesuffix("\n").split("\n")[-1]
    assert last.startswith(line)
    raw = base64.b64decode(last.rsplit(" ", 1)[1])
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(
        raw[12:], note.cosigned_message(body, int.from_bytes(raw[4:12], "big"))
    )
    _, public_key = await _vkey(client, "HZDEX")
    assert note.open_checkpoint(served, public_key)[1] == 1


async def test_a_witness_taken_off_the_list_is_not_served(
    parties: Parties,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The finding: a witness removed from SHUSHANG_WITNESS_KEYS (its key lost, or no longer
    trusted) still had its cosignature served, on the checkpoint and in the tree head. Now
    only the witnesses configured now are served; the kept row stays (configured again, it
    is served again)."""
    await parties.record(venue_code="HZDEX")
    signed = (await client.get("/v1/ledgers/HZDEX/checkpoint")).text
    witness, line = await _witness_cosigns(session, signed)
    other = note.Cosigner(
        "witness.example/w2", Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    )

    async def served() -> tuple[str, str]:
        checkpoint = (await client.get("/v1/ledgers/HZDEX/checkpoint")).text
        head = (await client.get("/v1/ledgers/HZDEX/tree-head")).json()["checkpoint"]
        return checkpoint, head

    monkeypatch.setattr(settings, "witness_keys", [witness.vkey])
    assert all(line in text for text in await served())
    for configured in ([], [other.vkey]):
        monkeypatch.setattr(settings, "witness_keys", configured)
        assert await served() == (signed, signed)
    # Same name, another key: not the witness that cosigned.
    impostor = note.Cosigner(witness.name, other.public_key)
    monkeypatch.setattr(settings, "witness_keys", [impostor.vkey])
    assert await served() == (signed, signed)
    stored = await session.execute(text("SELECT count(*) FROM ledger_cosignature"))
    assert stored.scalar_one() == 1
    monkeypatch.setattr(settings, "witness_keys", [other.vkey, witness.vkey])
    assert all(line in text for text in await served())


@pytest.mark.parametrize("origin", ["", "has space/x", "a+b/c", "https://x.example/l", "x\ty"])
def test_origin_setting_is_a_key_name(origin: str) -> None:
    with pytest.raises(ValidationError):
        Settings(log_origin=origin)


def test_origin_setting_keeps_its_path() -> None:
    assert Settings(log_origin="ledger.hzdex.example/v1/").log_origin == "ledger.hzdex.example/v1"


@pytest.fixture
async def parties(client: httpx.AsyncClient, session: AsyncSession) -> Parties:
    return await Parties().setup(client, session)
