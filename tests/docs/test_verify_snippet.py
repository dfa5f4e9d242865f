"""The leaf-checking script of docs/auditors.md proves a leaf into the root signed by the key
it is given, and by nothing else: with another key, or the checkpoint of another log, it
fails. (Formerly tests/ledger/test_readme_snippet.py; the page itself runs in
test_snippets.py.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx

from tests.docs.test_snippets import ROOT, SERVED, blocks
from tests.factories import merchant_body


def snippet() -> str:
    (found,) = [
        b.text for b in blocks(ROOT / "docs" / "auditors.md") if 'os.environ["VKEY"]' in b.text
    ]
    return found


async def run(code: str, vkey: str, index: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VKEY": vkey, "INDEX": str(index)}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def test_the_snippet_verifies_with_the_given_key_only(
    live_url: str, operator_token: str
) -> None:
    headers = {"Authorization": f"Bearer {operator_token}"}
    async with httpx.AsyncClient(base_url=live_url, headers=headers) as http:
        seller, buyer = [
            (await http.post("/v1/merchants", json=merchant_body())).json() for _ in range(2)
        ]
        for n in range(18):
            made = await http.post(
                "/v1/transactions",
                json={
                    "venue_code": "HZDEX",
                    "on_venue": False,
                    "seller_merchant_id": seller["id"],
                    "buyer_merchant_id": buyer["id"],
                    "amount": f"{n + 1}.00",
                    "contract_digest": "ab" * 32,
                    "occurred_at": "2026-11-20T10:00:00+08:00",
                },
                headers={"Idempotency-Key": f"snippet-{n}"},
            )
            assert made.status_code == 201, made.text
        vkey = (await http.get("/v1/ledgers/HZDEX/verifier-key")).text
    code = snippet().replace(SERVED, live_url)
    for index in (0, 11, 17):
        good = await run(code, vkey, index)
        assert good.returncode == 0, good.stderr

    name, _, key = vkey.split("+", 2)
    refused = await run(code, "+".join([name, "00000000", key]), 17)
    assert refused.returncode != 0 and "no signature by the given key" in refused.stderr
    other_log = code.replace("/v1/ledgers/HZDEX", "/v1/ledgers/OTC")
    assert (await run(other_log, vkey, 17)).returncode != 0  # OTC's checkpoint, HZDEX's name
