"""README's verification snippet runs as written, against a live server: it checks the
checkpoint with the key given to it and proves a leaf into the signed root; with another
key, or a checkpoint of another log, it fails."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.factories import merchant_body

README = Path(__file__).resolve().parents[2] / "README.md"


def snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (found,) = [b for b in blocks if "VKEY =" in b]
    return found


async def run(code: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )


async def test_the_readme_snippet_verifies(live_url: str, operator_token: str) -> None:
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
                headers={"Idempotency-Key": f"readme-{n}"},
            )
            assert made.status_code == 201, made.text
        vkey = (await http.get("/v1/ledgers/HZDEX/verifier-key")).text
    code = snippet().replace("http://127.0.0.1:8000", live_url)
    good = await run(code.replace('"shushang.local/ledgers/HZDEX+…+…"', repr(vkey)))
    assert good.returncode == 0, good.stderr

    name, _, key = vkey.split("+", 2)
    stranger = "+".join([name, "00000000", key])
    refused = await run(code.replace('"shushang.local/ledgers/HZDEX+…+…"', repr(stranger)))
    assert refused.returncode != 0 and "no signature by the given key" in refused.stderr
    other_log = code.replace('"shushang.local/ledgers/HZDEX+…+…"', repr(vkey)).replace(
        "/v1/ledgers/HZDEX", "/v1/ledgers/OTC"
    )
    assert (await run(other_log)).returncode != 0  # OTC's checkpoint under HZDEX's name
