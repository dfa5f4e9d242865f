"""A front end in a real browser: headless Chromium loads tests/e2e/pages/catalog.html from
an origin of its own, whose `fetch()` calls render a catalog page and a certificate check;
the same page from an origin not in `SHUSHANG_CORS_ORIGINS` is blocked by the browser.

Chromium comes from the distribution (`apt-get install -y chromium`), driven by Playwright
for Python through `executable_path` (no browser download). Without Chromium the test skips,
saying how to install it, unless `SHUSHANG_REQUIRE_INTEROP=1` (CI), where it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.main import create_app
from tests.catalog.cards import make_card
from tests.e2e.browser import FLAGS
from tests.e2e.threads import served, static_site
from tests.factories import make_merchant

pytestmark = pytest.mark.e2e

PAGES = Path(__file__).parent / "pages"


async def render(chromium: str, profile: Path, url: str) -> dict[str, Any]:
    """Open `url` in a fresh Chromium profile; what the page rendered once it settled."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=FLAGS
        )
        try:
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_selector("body[data-state]", timeout=20_000)
            cards = page.locator("#cards .card")
            return {
                "state": await page.get_attribute("body", "data-state"),
                "names": await cards.locator(".name").all_text_contents(),
                "prices": await cards.locator(".price").all_text_contents(),
                "grades": await cards.locator(".grade").all_text_contents(),
                "certificates": await cards.locator(".certificate").all_text_contents(),
                "holder": await page.locator("#certificate .holder").all_text_contents(),
                "status": await page.locator("#certificate .status").all_text_contents(),
                "error": await page.locator("#error").text_content(),
            }
        finally:
            await context.close()


async def test_a_page_on_another_origin_renders_the_catalog_and_checks_a_certificate(
    chromium: str, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    merchant = await make_merchant(session, name="杭州数链科技有限公司")
    await make_card(session, merchant, name="杭州企业画像", price="36000.00", grade=("A", "93"))
    await make_card(session, merchant, name="宁波航运指数", price=None, grade=None)
    await make_card(
        session, merchant, name="浙江碳足迹", price="1280.50", grade=("B", "81"), certified=True
    )
    number = await session.scalar(text("SELECT certificate_number FROM ip_registration"))

    with static_site(PAGES) as front_end, static_site(PAGES) as stranger:
        app = create_app(settings.model_copy(update={"cors_origins": [front_end]}))
        with served(app) as api:
            shown = await render(
                chromium,
                tmp_path / "allowed",
                f"{front_end}/catalog.html?api={api}&certificate={number}",
            )
            blocked = await render(
                chromium, tmp_path / "blocked", f"{stranger}/catalog.html?api={api}"
            )

    assert shown["state"] == "done", shown["error"]
    assert shown["names"] == ["浙江碳足迹", "宁波航运指数", "杭州企业画像"]  # newest first
    assert shown["prices"] == ["¥1280.50", "面议", "¥36000.00"]
    assert shown["grades"] == ["质量 B", "未评级", "质量 A"]
    assert shown["certificates"] == [f" 证书 {number}"]
    assert shown["holder"] == ["杭州数链科技有限公司"]
    assert shown["status"] == ["有效"]

    # The API answered, but without CORS headers for this origin the browser keeps the
    # answer from the page: fetch() rejects, and the page says so.
    assert blocked["state"] == "failed"
    assert blocked["names"] == []
    assert blocked["error"].startswith("加载失败")
