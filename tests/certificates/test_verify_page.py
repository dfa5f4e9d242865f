"""`GET /verify/certificates/{number}` in headless Chromium: the page verifies the IPR log's
checkpoint (WebCrypto Ed25519, with the key it embeds), recomputes each step's leaf hash
(WebCrypto SHA-256) and proves it into the signed root, and says whether the certificate is
valid today — and says invalid when an answer or the stored record was tampered with.

Chromium comes from the distribution (`apt-get install -y chromium`), driven by Playwright
for Python through `executable_path` (no browser download). Without either the test skips,
saying how to install it, unless `SHUSHANG_REQUIRE_INTEROP=1` (CI), where it fails."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.e2e.browser import FLAGS
from tests.ip.test_router import Registry

Route = Callable[[Any], Awaitable[None]]


async def verdict(
    chromium: str, profile: Path, url: str, routes: dict[str, Route] | None = None
) -> dict[str, Any]:
    """What the page concluded, once it did: its state, verdict and checks."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=FLAGS
        )
        try:
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            for pattern, handler in (routes or {}).items():
                await page.route(pattern, handler)
            await page.goto(url)
            await page.wait_for_selector("#verdict:not([data-state=pending])", timeout=30_000)
            return {
                "state": await page.get_attribute("#verdict", "data-state"),
                "title": await page.text_content("#verdict-title"),
                "detail": await page.text_content("#verdict-detail"),
                "checks": await page.locator("#checks li").all_text_contents(),
                "failed": await page.locator("#checks li.bad").all_text_contents(),
                "errors": errors,
            }
        finally:
            await context.close()


def rewrite(change: Callable[[dict[str, Any]], None]) -> Route:
    """A route handler that fetches the real answer and changes its JSON on the way."""

    async def handle(route: Any) -> None:
        answer = await route.fetch()
        body = await answer.json()
        change(body)
        await route.fulfill(response=answer, body=json.dumps(body))

    return handle


async def test_a_good_certificate_is_valid_and_tampering_is_caught(
    chromium: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    live_url: str,
    tmp_path: Path,
) -> None:
    registry = await Registry().setup(client, session)
    granted = await registry.registered()
    number = granted["certificate_number"]
    url = f"{live_url}/verify/certificates/{number}"
    page = await client.get(f"/verify/certificates/{number}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    vkey = (await client.get("/v1/ledgers/IPR/verifier-key")).text
    assert vkey in page.text and "script-src 'nonce-" in page.headers["content-security-policy"]

    good = await verdict(chromium, tmp_path / "good", url)
    assert good["state"] == "valid", good
    assert "有效" in good["title"] and "VALID" in good["title"] and not good["failed"]
    assert sum("is in the signed log" in c for c in good["checks"]) == 3  # apply, examine, grant
    assert not good["errors"]

    # The certificate's answer says it is valid ten years longer: the signed grant does not.
    def longer(body: dict[str, Any]) -> None:
        body["valid_until"] = "2099-12-31"

    extended = await verdict(
        chromium, tmp_path / "extended", url, {"**/v1/certificates/*": rewrite(longer)}
    )
    assert extended["state"] == "invalid", extended
    assert any("validity" in c for c in extended["failed"])

    # An entry's contents changed in transit: its leaf is not in the signed tree.
    def other_holder(body: dict[str, Any]) -> None:
        if "entry" in body:
            body["entry"]["holder_merchant_id"] = str(registry.other.id)

    forged = await verdict(
        chromium, tmp_path / "forged", url, {"**/v1/ledgers/IPR/entries/*": rewrite(other_holder)}
    )
    assert forged["state"] == "invalid", forged
    assert any("not what the signed log holds" in c for c in forged["failed"])

    # The stored step itself altered (the immutability trigger disabled): the certificate's
    # history no longer matches what the log signed.
    await session.execute(text("ALTER TABLE ip_step DISABLE TRIGGER ip_step_immutable"))
    await session.execute(
        text(
            "UPDATE ip_step SET details = jsonb_set(details, '{valid_until}', '\"2099-12-31\"')"
            " WHERE registration_id = :id AND action = 'grant'"
        ),
        {"id": granted["id"]},
    )
    await session.execute(text("ALTER TABLE ip_step ENABLE TRIGGER ip_step_immutable"))
    await session.commit()
    altered = await verdict(chromium, tmp_path / "altered", url)
    assert altered["state"] == "invalid", altered
    assert any("differs from its log entry: details" in c for c in altered["failed"])


async def test_a_revoked_certificate_is_genuine_but_not_valid(
    chromium: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    live_url: str,
    tmp_path: Path,
) -> None:
    registry = await Registry().setup(client, session)
    granted = await registry.registered()
    revoked = await registry.step(granted["id"], "revoke", {"reason": "来源数据权属争议成立"})
    assert revoked.status_code == 200, revoked.text
    url = f"{live_url}/verify/certificates/{granted['certificate_number']}"
    seen = await verdict(chromium, tmp_path / "revoked", url)
    assert seen["state"] == "not-valid", seen
    assert "NOT VALID TODAY" in seen["title"] and "revoked" in seen["detail"]
    assert not seen["failed"]
