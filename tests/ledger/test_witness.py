"""Witnesses: `POST /v1/ledgers/{log}/cosignatures` takes a configured witness's valid
cosignature on the log's latest checkpoint and nothing else; `shushang_sdk.witness` (and
`shushang-audit witness`) cosigns only what it proved consistent with what it saw, and
refuses and reports a fork; `shushang-audit verify --require-witnesses` counts them."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from shushang_sdk.verify import open_checkpoint, trust
from shushang_sdk.witness import Fork, Witness, cosignatures, parse_witness_key, witness_round
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import signed_note as note
from app.core.config import Settings
from app.core.roles import Role
from app.ledger.models import Cosignature
from app.ledger.signing import load_or_create, signer_of
from tests.factories import auth, make_key, make_merchant
from tests.ledger.test_go_interop import grow
from tests.trades.conftest import Parties

DASH = "\u2014"
LOG = "WIT"
ORIGIN = f"shushang.local/ledgers/{LOG}"


@pytest.fixture
def witnesses(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Witness]:
    """Two witnesses the service accepts (SHUSHANG_WITNESS_KEYS) and a third it does not."""
    made = [
        Witness.load_or_create(f"witness.example/w{n}", tmp_path / f"w{n}.pem")[0]
        for n in (1, 2, 3)
    ]
    monkeypatch.setattr(settings, "witness_keys", [w.key.vkey for w in made[:2]])
    return made


@pytest.fixture
async def operator(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    async with _http(app, auth(await make_key(session, Role.operator))) as http:
        yield http


def _http(app: Any, headers: dict[str, str]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://shushang.test", headers=headers)


async def _log_key(client: httpx.AsyncClient) -> dict[str, str]:
    return trust((await client.get(f"/v1/ledgers/{LOG}/verifier-key")).text)


async def _stored(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Cosignature))).scalar_one()


async def test_two_witnesses_cosign(
    app: FastAPI,
    client: httpx.AsyncClient,
    operator: httpx.AsyncClient,
    witnesses: list[Witness],
    tmp_path: Path,
) -> None:
    await grow(app, LOG, 5)
    keys = await _log_key(client)
    for witness in witnesses[:2]:
        done = await witness_round(operator, LOG, keys, witness, tmp_path / f"{witness.name[-2:]}")
        assert (done.old_size, done.tree_size) == (0, 5)
        assert done.served is not None and done.line in done.served
    served = (await client.get(f"/v1/ledgers/{LOG}/checkpoint")).text
    assert served.count(DASH) == 4  # the log's signature, its dated cosignature, two witnesses
    assert open_checkpoint(served, keys, LOG).tree_size == 5
    found = cosignatures(served, [w.key for w in witnesses])
    assert set(found) == {"witness.example/w1", "witness.example/w2"}
    assert all(abs(when.timestamp() - time.time()) < 60 for when in found.values())
    head = (await client.get(f"/v1/ledgers/{LOG}/tree-head")).json()
    assert head["checkpoint"] == served

    # The log grows: each witness proves 5 → 9 consistent before cosigning the new one.
    await grow(app, LOG, 4)
    for witness in witnesses[:2]:
        done = await witness_round(operator, LOG, keys, witness, tmp_path / f"{witness.name[-2:]}")
        assert (done.old_size, done.tree_size) == (5, 9)
    served = (await client.get(f"/v1/ledgers/{LOG}/checkpoint")).text
    assert served.split("\n")[1] == "9" and served.count(DASH) == 4
    assert len(cosignatures(served, [w.key for w in witnesses])) == 2
    state = json.loads((tmp_path / "w1").read_text())
    assert state["logs"][ORIGIN]["tree_size"] == 9 and not state["forks"]

    # A checker that is given only w1's key sees one witness, and w1's line tampered with
    # rejects the checkpoint.
    assert list(cosignatures(served, [witnesses[0].key])) == ["witness.example/w1"]
    line = next(x for x in served.split("\n") if x.startswith(f"{DASH} witness.example/w1 "))
    raw = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    raw[-1] ^= 1
    tampered = served.replace(line, line.rsplit(" ", 1)[0] + " " + base64.b64encode(raw).decode())
    with pytest.raises(Exception, match="w1 is not valid"):
        cosignatures(tampered, [witnesses[0].key])


class SplitView:
    """The app, except that the log's checkpoint is `forged` (signed with the log's own key:
    a log showing the witness another tree than everyone else). Records what is posted."""

    def __init__(self, app: FastAPI, forged: str) -> None:
        self.app, self.forged, self.posted = app, forged, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == f"/v1/ledgers/{LOG}/checkpoint":
            body = self.forged.encode()
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posted += 1
        await self.app(scope, receive, send)


def _forged(app: FastAPI, size: int, root: bytes) -> str:
    signer = signer_of(app.state)
    return note.sign(signer.sign, signer.public_key, ORIGIN, size, root, int(time.time()))


@pytest.mark.parametrize(
    ("size", "why"),
    [(5, "two roots for size 5"), (7, "does not extend"), (3, "shrank from 5 to 3")],
)
async def test_a_fork_is_refused_and_reported(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    witnesses: list[Witness],
    tmp_path: Path,
    size: int,
    why: str,
) -> None:
    await grow(app, LOG, 5)
    keys = await _log_key(client)
    headers = auth(await make_key(session, Role.operator))
    state = tmp_path / "w1.json"
    async with _http(app, headers) as http:
        await witness_round(http, LOG, keys, witnesses[0], state)
    seen = json.loads(state.read_text())["logs"][ORIGIN]
    await grow(app, LOG, 2)  # the real log now has 7 entries: a real proof 5 → 7 exists
    rows = await _stored(session)

    fake = SplitView(app, _forged(app, size, bytes(range(32))))
    async with _http(fake, headers) as http:
        with pytest.raises(Fork, match=why):
            await witness_round(http, LOG, keys, witnesses[0], state)
    assert fake.posted == 0 and await _stored(session) == rows
    kept = json.loads(state.read_text())
    assert kept["logs"][ORIGIN] == seen  # still what it verified: it keeps refusing the fork
    (fork,) = kept["forks"]
    assert fork["refused_checkpoint"] == fake.forged and why in fork["why"]


async def test_a_checkpoint_signed_by_another_key_is_not_cosigned(
    app: FastAPI, client: httpx.AsyncClient, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    await grow(app, LOG, 2)
    witness = Witness.load_or_create("witness.example/w1", tmp_path / "w1.pem")[0]
    with pytest.raises(Exception, match="no trusted key"):
        await witness_round(operator, LOG, trust("11" * 32), witness, tmp_path / "state")
    assert not (tmp_path / "state").exists()


async def _cosigned(client: httpx.AsyncClient, witness: Witness, when: int | None = None) -> str:
    signed = (await client.get(f"/v1/ledgers/{LOG}/checkpoint")).text
    return signed + witness.cosign(signed, int(time.time()) if when is None else when)


async def test_cosignatures_are_checked(
    app: FastAPI,
    client: httpx.AsyncClient,
    operator: httpx.AsyncClient,
    session: AsyncSession,
    witnesses: list[Witness],
) -> None:
    await grow(app, LOG, 5)
    w1, _, stranger = witnesses
    good = await _cosigned(client, w1)
    lines = good.partition("\n\n")[0].split("\n")
    bad_signature = good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:]
    other_root = f"{lines[0]}\n{lines[1]}\n{base64.b64encode(bytes(32)).decode()}\n"
    signed_at = (
        await session.execute(
            text("SELECT timestamp FROM ledger_tree_head WHERE venue_code = :v AND tree_size = 5"),
            {"v": LOG},
        )
    ).scalar_one()
    refused = {
        "an unknown witness": (await _cosigned(client, stranger), 422, "not a witness"),
        "a bad signature": (bad_signature, 422, "does not verify"),
        "a future time": (await _cosigned(client, w1, int(time.time()) + 3600), 422, "future"),
        "a time before the log signed it": (
            await _cosigned(client, w1, int(signed_at.timestamp()) - 3600),
            422,
            "before the log signed",
        ),
        "no witness line": (good.rpartition(DASH)[0], 422, "no witness"),
        "another log's origin": (
            good.replace(ORIGIN, "shushang.local/ledgers/OTC"),
            422,
            "not of this log",
        ),
        "not a note": (good.replace("\n\n", "\n"), 422, "signed note"),
        "a root the log never signed": (
            other_root + "\n" + w1.cosign(other_root + "\n", int(time.time())),
            409,
            "never signed",
        ),
        "a size the log never had": (
            good.replace(f"\n{lines[1]}\n", "\n99\n", 1),
            409,
            "never signed",
        ),
    }
    for case, (sent, status, says) in refused.items():
        answer = await operator.post(f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": sent})
        assert answer.status_code == status, (case, answer.text)
        assert says in answer.json()["detail"], (case, answer.json())
    assert await _stored(session) == 0
    assert (await client.get(f"/v1/ledgers/{LOG}/checkpoint")).text.count(DASH) == 2

    merchant = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    for headers, status in (
        ({}, 401),
        (auth(await make_key(session, Role.auditor)), 403),
        (merchant, 403),
    ):
        answer = await client.post(
            f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": good}, headers=headers
        )
        assert answer.status_code == status
    missing = await operator.post("/v1/ledgers/NOPE/cosignatures", json={"checkpoint": good})
    assert missing.status_code == 404
    assert await _stored(session) == 0

    taken = await operator.post(f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": good})
    assert taken.status_code == 200, taken.text
    answer = taken.json()
    assert answer["tree_size"] == 5 and [c["witness"] for c in answer["cosignatures"]] == [
        "witness.example/w1"
    ]
    assert answer["checkpoint"].endswith(good.splitlines(keepends=True)[-1])
    again = await operator.post(f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": good})
    assert again.status_code == 200  # the same cosignature again: nothing changes
    older = await _cosigned(client, w1, int(time.time()) - 30)
    stale = await operator.post(f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": older})
    assert stale.status_code == 409 and "already cosigned" in stale.json()["detail"]
    assert await _stored(session) == 1
    events = (
        await session.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'ledger.cosign'")
        )
    ).scalar_one()
    assert events >= 1

    # The log moves on: a cosignature of the old checkpoint is stale, and says the new size.
    await grow(app, LOG, 1)
    later = good.rpartition(DASH)[0] + w1.cosign(good, int(time.time()) + 1)
    moved = await operator.post(f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": later})
    assert moved.status_code == 409 and moved.json()["tree_size"] == 6
    served = (await client.get(f"/v1/ledgers/{LOG}/checkpoint")).text
    assert served.split("\n")[1] == "6" and served.count(DASH) == 2  # none for size 6 yet
    assert await _stored(session) == 1


def test_witness_keys_setting(witnesses: list[Witness]) -> None:
    """SHUSHANG_WITNESS_KEYS: comma-separated verifier keys, each checked at start-up."""
    keys = ", ".join(w.key.vkey for w in witnesses)
    assert [note.parse_cosigner(k).name for k in Settings(witness_keys=keys).witness_keys] == [
        w.name for w in witnesses
    ]
    name, _, rest = witnesses[0].key.vkey.partition("+")
    with pytest.raises(ValueError, match="hash is not the key's"):
        Settings(witness_keys=f"{name}+00000000+{rest.partition('+')[2]}")
    with pytest.raises(ValueError, match="not a verifier key"):
        Settings(witness_keys="not+a+key")


async def test_the_witness_command(
    client: httpx.AsyncClient,
    session: AsyncSession,
    live_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`shushang-audit witness` against a served exchange: prints its key, cosigns, and
    `verify --require-witnesses` counts it; then the stored checkpoint is rewritten to
    another root at the size it witnessed, and it refuses, says so and exits 2."""
    from shushang_sdk.audit import main as audit

    parties = await Parties().setup(client, session)
    for amount in ("1.00", "2.00", "3.00"):
        assert (await parties.record(amount=amount)).status_code == 201
    token = parties.admin["Authorization"].removeprefix("Bearer ")
    monkeypatch.setenv("SHUSHANG_URL", live_url)
    monkeypatch.setenv("SHUSHANG_API_KEY", token)
    monkeypatch.delenv("SHUSHANG_LEDGER_PUBLIC_KEY", raising=False)
    log_key = (await client.get("/v1/ledgers/OTC/verifier-key")).text
    me = ["--name", "witness.example/cli", "--key", str(tmp_path / "cli.pem")]
    witness = [*me, "--state", str(tmp_path / "cli.json"), "--log", "OTC", "--once"]

    def run(*args: str) -> int:
        return audit(list(args))

    assert await asyncio.to_thread(run, "witness", *me, "--print-key") == 0
    vkey = capsys.readouterr().out.strip()
    assert parse_witness_key(vkey).name == "witness.example/cli"
    assert (tmp_path / "cli.pem").stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr(settings, "witness_keys", [vkey])

    assert await asyncio.to_thread(run, "witness", *witness) == 1  # no log key given: refused
    assert await asyncio.to_thread(run, "witness", *witness, "--public-key", log_key) == 0
    served = (await client.get("/v1/ledgers/OTC/checkpoint")).text
    assert list(cosignatures(served, [parse_witness_key(vkey)])) == ["witness.example/cli"]

    verify = ["verify", "--log", "OTC", "--quiet", "--public-key", log_key]
    other = Witness.load_or_create("witness.example/other", tmp_path / "o.pem")[0].key.vkey
    assert (
        await asyncio.to_thread(run, *verify, "--witness-key", vkey, "--require-witnesses", "1")
        == 0
    )
    two = ["--witness-key", vkey, "--witness-key", other, "--require-witnesses", "2"]
    assert await asyncio.to_thread(run, *verify, *two) == 2
    assert "fewer than --require-witnesses 2" in " ".join(capsys.readouterr().err.split())

    # The log's stored checkpoint rewritten: the same size, another root, signed by its key.
    signer = load_or_create(settings.data_dir, settings.ledger_signing_key)
    forged = note.sign(
        signer.sign,
        signer.public_key,
        "shushang.local/ledgers/OTC",
        3,
        bytes(32),
        int(time.time()),
    )
    await session.execute(
        text("UPDATE ledger_checkpoint SET note = :note WHERE venue_code = 'OTC'"),
        {"note": forged},
    )
    await session.commit()
    assert await asyncio.to_thread(run, "witness", *witness, "--public-key", log_key) == 2
    err = " ".join(capsys.readouterr().err.split())  # rich wraps lines
    assert "FORK" in err and "two roots for size 3" in err
    assert await _stored(session) == 1


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "\n\n",
        "x",
        f"{ORIGIN}\n99999999999999999999999\n{'A' * 43}=\n\n{DASH} w AAAAAAA=\n",
        f"{ORIGIN}\n9223372036854775807\n{'A' * 43}=\n\n{DASH} w AAAAAAA=\n",
        f"{ORIGIN}\n\u0661\n{'A' * 43}=\n\n{DASH} w AAAAAAA=\n",
        f"{ORIGIN}\n1\n{'A' * 43}=\n\n{DASH} w {'A' * 100}\n",
        f"{ORIGIN}\n1\nnot base64\n\n{DASH} w AAAAAAA=\n",
        f"{ORIGIN}\n1\n{'A' * 43}=\n\n- w AAAAAAA=\n",
        f"{ORIGIN}\r\n1\n{'A' * 43}=\n\n{DASH} w AAAAAAA=\n",
        f"{ORIGIN}\n1\n{'A' * 43}=\n\n{DASH} w\u0000 AAAAAAA=\n",
    ],
)
async def test_malformed_notes_are_4xx(
    app: FastAPI, operator: httpx.AsyncClient, witnesses: list[Witness], sent: str
) -> None:
    await grow(app, LOG, 1)
    answer = await operator.post(f"/v1/ledgers/{LOG}/cosignatures", json={"checkpoint": sent})
    assert 400 <= answer.status_code < 500, answer.text


class GrowsOnPost:
    """The app, except that the log grows by one leaf just before the first POST reaches
    it: the cosignature the witness posts is then on a checkpoint no longer the latest."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.posts = app, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posts += 1
            if self.posts == 1:
                await grow(self.app, LOG, 1)
        await self.app(scope, receive, send)


async def test_a_witness_overtaken_by_the_log_cosigns_the_new_checkpoint(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    witnesses: list[Witness],
    tmp_path: Path,
) -> None:
    await grow(app, LOG, 5)
    keys = await _log_key(client)
    racing = GrowsOnPost(app)
    async with _http(racing, auth(await make_key(session, Role.operator))) as http:
        done = await witness_round(http, LOG, keys, witnesses[0], tmp_path / "w1.json")
    assert racing.posts == 2  # 409 stale (size 6 signed meanwhile), then the new one
    assert (done.old_size, done.tree_size) == (5, 6)
    served = (await client.get(f"/v1/ledgers/{LOG}/checkpoint")).text
    assert served.split("\n")[1] == "6"
    assert list(cosignatures(served, [witnesses[0].key])) == ["witness.example/w1"]
