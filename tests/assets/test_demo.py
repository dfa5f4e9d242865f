"""`shushang demo` keeps books for two merchants: FY2025 tables with purchases, development,
amortisation, an impairment and inventory, and a restricted asset while the demo pledge is
in force. Loaded once however often the demo runs."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.config import Settings
from app.core.roles import Role
from app.demo import loader
from app.ledger.verify import verify_venue
from tests.factories import auth, make_key


async def test_the_demo_keeps_real_books(
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    client: httpx.AsyncClient,
    demo_world: loader.Loaded,
) -> None:
    first = demo_world  # the session's one load from empty (tests/conftest.py)
    assert first.data_assets == 7
    auditor = auth(await make_key(session, Role.auditor))
    keepers = (
        await session.execute(
            text(
                "SELECT merchant_id, count(*) FROM data_asset GROUP BY merchant_id ORDER BY 2 DESC"
            )
        )
    ).all()
    assert [n for _, n in keepers] == [4, 3]
    seen = {"impairment": False, "inventory": False, "development": False, "restricted": False}
    this_year = shanghai_today().year
    for merchant_id, _ in keepers:
        answer = await client.get(
            f"/v1/merchants/{merchant_id}/data-asset-disclosure",
            params={"from": "2025-01", "to": "2025-12"},
            headers=auditor,
        )
        assert answer.status_code == 200, answer.text
        fy = answer.json()
        # FY2025 is closed (issue 28): as reported, the close's report to the byte.
        assert (fy["basis"], fy["closed"]) == ("as_reported", True)
        closes = await client.get(
            f"/v1/merchants/{merchant_id}/data-asset-periods", headers=auditor
        )
        [closed] = closes.json()
        assert (closed["through"], closed["report_sha256"]) == ("2025-12", fy["report_sha256"])
        assert fy["unevidenced_items"]["count"] >= 1  # e.g. processing with no invoice
        total = fy["intangible"]["total"]
        assert total["amortisation_charge"] != "0.00"
        seen["impairment"] |= total["impairment_additions"] != "0.00"
        seen["inventory"] |= fy["inventory"]["total"]["cost_additions"] != {
            "purchase": "0.00",
            "processing": "0.00",
            "other": "0.00",
        }
        seen["development"] |= fy["research_expense"] != "0.00"
        now = await client.get(
            f"/v1/merchants/{merchant_id}/data-asset-disclosure",
            params={"from": f"{this_year}-01", "to": f"{this_year}-12"},
            headers=auditor,
        )
        seen["restricted"] |= bool(now.json()["restricted"])
    assert all(seen.values()), seen
    # The demo's purchases are trades in the OTC log like any other: it still verifies.
    assert (await verify_venue(session, "OTC")).ok
    # The books' leaves, closes included, rebuild from their rows.
    assert (await verify_venue(session, "FIN")).ok
    again = await loader.load(app.state.sessionmaker, settings)
    assert again.data_assets == 0
