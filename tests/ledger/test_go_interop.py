"""Our checkpoints and proofs, checked by code we did not write: Go's
golang.org/x/mod/sumdb/note (`note.Open` with the key from /verifier-key) and sumdb/tlog
(`tlog.CheckRecord`, `tlog.CheckTree`), from the distribution's packages, built in GOPATH
mode. Without Go the test skips, naming the install command; with SHUSHANG_REQUIRE_INTEROP=1
(CI) it fails instead."""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core import signed_note as note
from app.core.config import Settings
from app.core.db import driver_of
from app.core.roles import Role
from app.ledger import sequencer
from app.ledger.models import Cosignature
from app.ledger.sequencer import Leaf
from tests.factories import auth, make_key
from tests.trades.conftest import Parties

SOURCE = Path(__file__).parent / "go" / "checkpoint_verify.go"
GOPATH = Path("/usr/share/gocode")
INSTALL = "apt-get install -y golang-go golang-golang-x-mod-dev"


def _missing(why: str) -> None:
    if os.environ.get("SHUSHANG_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{why} (SHUSHANG_REQUIRE_INTEROP=1); install it: {INSTALL}")
    pytest.skip(f"{why}; install it: {INSTALL}")


@pytest.fixture(scope="module")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None:
        _missing("no Go toolchain")
    assert go is not None
    if not (GOPATH / "src/golang.org/x/mod/sumdb/note/note.go").exists():
        _missing(f"golang.org/x/mod is not under {GOPATH}")
    work = tmp_path_factory.mktemp("go")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "GOPATH": str(GOPATH),
        "GO111MODULE": "off",
        "GOCACHE": str(work / "cache"),
        "GOFLAGS": "",
    }
    binary = work / "checkpoint_verify"
    built = subprocess.run(
        [go, "build", "-o", str(binary), str(SOURCE)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return binary


def run(binary: Path, checks: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary)], input=json.dumps(checks), capture_output=True, text=True, timeout=60
    )


async def grow(app: FastAPI, log: str, count: int) -> None:
    engine: AsyncEngine = app.state.engine
    batch = [Leaf.of("trade", uuid.uuid4(), {"n": n, "log": log}) for n in range(count)]
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        async with raw.transaction():
            await sequencer.append_many(raw, log, batch)


async def inclusion(
    client: httpx.AsyncClient, log: str, checkpoint: int, size: int, indices: list[int]
) -> list[dict[str, Any]]:
    out = []
    for index in indices:
        proof = (
            await client.get(
                f"/v1/ledgers/{log}/proofs/inclusion", params={"index": index, "tree_size": size}
            )
        ).json()
        hashes = (
            await client.get(
                f"/v1/ledgers/{log}/leaf-hashes", params={"start": index, "end": index + 1}
            )
        ).json()["items"]
        out.append(
            {
                "checkpoint": checkpoint,
                "index": index,
                "leaf": b64(hashes[0]["leaf_hash"]),
                "proof": [b64(h) for h in proof["audit_path"]],
            }
        )
    return out


def b64(hex_hash: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_hash)).decode()


def forgeries(signed: str, origin: str) -> list[str]:
    """The same checkpoint with another size, another root, or signed by another key."""
    body, _, signatures = signed.partition("\n\n")
    lines = body.split("\n")
    bigger = "\n".join([lines[0], str(int(lines[1]) + 1), lines[2]]) + "\n\n" + signatures
    root = base64.b64encode(bytes(32)).decode()
    other_root = "\n".join([lines[0], lines[1], root]) + "\n\n" + signatures
    impostor = Ed25519PrivateKey.generate()
    key = impostor.public_key().public_bytes_raw()
    text = body + "\n"
    resigned = (
        text
        + "\n"
        + note.signature_line(
            origin, note.key_hash(origin, note.ED25519, key), impostor.sign(text.encode())
        )
    )
    return [bigger, other_root, resigned]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_go_verifies_checkpoints_and_proofs(
    go_verifier: Path, app: FastAPI, client: httpx.AsyncClient, seed: int
) -> None:
    rng = random.Random(seed)
    log = f"GO{seed}"
    first, grown = rng.randint(1, 40), rng.randint(1, 600)
    await grow(app, log, first)
    old = (await client.get(f"/v1/ledgers/{log}/checkpoint")).text
    await grow(app, log, grown)
    new = (await client.get(f"/v1/ledgers/{log}/checkpoint")).text
    size = first + grown
    vkey = (await client.get(f"/v1/ledgers/{log}/verifier-key")).text
    consistency = (
        await client.get(
            f"/v1/ledgers/{log}/proofs/consistency", params={"first": first, "second": size}
        )
    ).json()
    indices = sorted({0, size - 1, *rng.sample(range(size), min(size, 25))})
    old_indices = sorted({0, first - 1, *rng.sample(range(first), min(first, 5))})
    checks = {
        "vkey": vkey,
        "checkpoints": [old, new],
        "forged": forgeries(new, vkey.split("+")[0]),
        "inclusion": await inclusion(client, log, 1, size, indices)
        + await inclusion(client, log, 0, first, old_indices),
        "consistency": [
            {"old": 0, "new": 1, "proof": [b64(h) for h in consistency["proof"]]},
            {"old": 1, "new": 1, "proof": []},
        ],
    }
    result = run(go_verifier, checks)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok forged") == 3
    assert result.stdout.count("ok inclusion") == len(indices) + len(old_indices)
    assert f"ok consistency {first} -> {size}" in result.stdout

    # A wrong proof fails in Go too: it really checks.
    bad = dict(checks, forged=[], inclusion=checks["inclusion"][:1])
    bad["inclusion"] = [dict(bad["inclusion"][0], index=(indices[0] + 1) % size)]
    if size > 1:
        assert run(go_verifier, bad).returncode == 1


async def test_go_reads_a_trade_log_with_a_witness_line(
    go_verifier: Path,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A venue's log of real trades, with a witness cosignature appended and another log's
    checkpoint offered in its place: Go opens the first and refuses the second."""
    parties = await Parties().setup(client, session)
    for amount in ("1.00", "2.00", "3.00"):
        await parties.record(venue_code="OTC", amount=amount)
    await parties.record(venue_code="HZDEX")
    body = (await client.get("/v1/ledgers/OTC/checkpoint")).text.split("\n\n")[0] + "\n"
    witness = Ed25519PrivateKey.generate()
    name = "witness.example/w1"
    when = 1_790_000_000
    session.add(
        Cosignature(
            venue_code="OTC",
            tree_size=3,
            key_name=name,
            key_hash=note.key_hash(
                name, note.COSIGNATURE_V1, witness.public_key().public_bytes_raw()
            ),
            origin="shushang.local/ledgers/OTC",
            signature=when.to_bytes(8, "big") + witness.sign(note.cosigned_message(body, when)),
        )
    )
    await session.commit()
    cosigner = note.Cosigner(name, witness.public_key().public_bytes_raw())
    monkeypatch.setattr(settings, "witness_keys", [cosigner.vkey])  # served while configured
    signed = (await client.get("/v1/ledgers/OTC/checkpoint")).text
    assert signed.count("\u2014") == 3
    other = (await client.get("/v1/ledgers/HZDEX/checkpoint")).text
    checks = {
        "vkey": (await client.get("/v1/ledgers/OTC/verifier-key")).text,
        "checkpoints": [signed],
        "forged": [other],
        "inclusion": await inclusion(client, "OTC", 0, 3, [0, 1, 2]),
        "consistency": [],
    }
    result = run(go_verifier, checks)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok forged 0 refused" in result.stdout


async def test_go_opens_a_checkpoint_two_witnesses_cosigned(
    go_verifier: Path,
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Two witnesses cosign through `POST /cosignatures`: the checkpoint served then carries
    both lines, and Go's note.Open still opens it with the log's key (it skips lines of
    keys it does not know, as signed-note says)."""
    from shushang_sdk.verify import trust
    from shushang_sdk.witness import Witness, cosignatures, witness_round

    await grow(app, "GOW", 17)
    witnesses = [
        Witness.load_or_create(f"witness.example/w{n}", tmp_path / f"w{n}.pem")[0] for n in (1, 2)
    ]
    monkeypatch.setattr(settings, "witness_keys", [w.key.vkey for w in witnesses])
    vkey = (await client.get("/v1/ledgers/GOW/verifier-key")).text
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = auth(await make_key(session, Role.operator))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://shushang.test", headers=headers
    ) as operator:
        for witness in witnesses:
            await witness_round(operator, "GOW", trust(vkey), witness, tmp_path / witness.name[-2:])
    signed = (await client.get("/v1/ledgers/GOW/checkpoint")).text
    assert signed.count("\u2014") == 4
    assert len(cosignatures(signed, [w.key for w in witnesses])) == 2
    checks = {
        "vkey": vkey,
        "checkpoints": [signed],
        "forged": [],
        "inclusion": await inclusion(client, "GOW", 0, 17, [0, 9, 16]),
        "consistency": [],
    }
    result = run(go_verifier, checks)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok checkpoint 0 size 17" in result.stdout
