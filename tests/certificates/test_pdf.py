"""The certificate people hold: `GET /v1/certificates/{number}.pdf` renders (pdftoppm) and
its text layer (pdftotext) carries the number, the holder and the verification link."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from tests.ip.test_router import Registry

INSTALL = "apt-get install -y poppler-utils poppler-data"
# pdftotext reads the Chinese of a CID font (STSong-Light, Adobe-GB1) with poppler-data's CMaps.
CMAPS = Path("/usr/share/poppler/cMap/Adobe-GB1")


def _missing(why: str) -> None:
    if os.environ.get("SHUSHANG_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{why} (SHUSHANG_REQUIRE_INTEROP=1); install it: {INSTALL}")
    pytest.skip(f"{why}; install it: {INSTALL}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        _missing(f"no {name} (poppler-utils)")
    assert found is not None
    return found


async def test_the_certificate_renders(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    pdftoppm, pdftotext = _tool("pdftoppm"), _tool("pdftotext")
    if not CMAPS.is_dir():
        _missing(f"no Adobe-GB1 CMaps in {CMAPS.parent} (poppler-data)")
    registry = await Registry().setup(client, session)
    number = (await registry.registered())["certificate_number"]
    monkeypatch.setattr(settings, "public_base_url", "https://shushang.example.cn")

    answer = await client.get(f"/v1/certificates/{number}.pdf")  # anonymous
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    assert f'filename="certificate-{number}.pdf"' in answer.headers["content-disposition"]
    document = tmp_path / "certificate.pdf"
    document.write_bytes(answer.content)

    done = subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(document), str(tmp_path / "p")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (page,) = tmp_path.glob("p*.png")
    assert page.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and page.stat().st_size > 5000

    text = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", str(document), "-"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    flat = "".join(text.split())
    assert number in flat
    assert registry.holder.name in flat
    assert "数据知识产权登记证书" in flat
    assert f"https://shushang.example.cn/verify/certificates/{number}" in flat


async def test_unknown_and_malformed_numbers(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/certificates/20261133000000999.pdf")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/certificates/2026.pdf")).status_code == 422
    page = await client.get("/verify/certificates/20261133000000999")
    assert page.status_code == 404 and "20261133000000999" in page.text
    assert (await client.get("/verify/certificates/abc")).status_code == 422
