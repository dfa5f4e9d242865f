"""`shushang-audit verify --all`, the auditor's tool as installed, run as a process against
the served demo world: every log the server lists (the venues', OTC, IPR, FIN) verifies,
leaf by leaf with an auditor's key; one figure changed in the database fails it, naming the
leaf."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.demo.loader import Loaded
from tests.factories import make_key

ROOT = Path(__file__).resolve().parents[2]


def _audit(url: str, key: str, vkey: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "sdk"),
        "SHUSHANG_URL": url,
        "SHUSHANG_API_KEY": key,
        "COLUMNS": "300",  # rich wraps a line at 80 columns when not on a terminal
    }
    command = [sys.executable, "-m", "shushang_sdk.audit", "verify", "--all", "--quiet"]
    return subprocess.run(
        [*command, "--public-key", vkey], env=env, capture_output=True, text=True, timeout=300
    )


async def test_verify_all_passes_on_the_demo_world_and_names_a_changed_leaf(
    session: AsyncSession, live_url: str, demo_world: Loaded
) -> None:
    # demo_world: the session's one demo load (tests/conftest.py), restored for this test.
    auditor = await make_key(session, Role.auditor)
    async with httpx.AsyncClient(base_url=live_url) as http:
        vkey = (await http.get("/v1/ledgers/FIN/verifier-key")).text

    passed = await asyncio.to_thread(_audit, live_url, auditor, vkey)
    assert passed.returncode == 0, passed.stderr
    found = json.loads(passed.stdout)
    by_log = {summary["log"]: summary for summary in found["logs"]}
    assert {"FIN", "IPR", "OTC"} <= set(by_log) and len(by_log) > 3, by_log
    assert found["ok"] and found["failed"] == 0
    for log, summary in by_log.items():
        assert summary["failed"] == 0 and summary["hidden"] == 0, summary
        assert summary["verified"] + summary["skipped"] == summary["size"] > 0, log
    assert set(by_log["FIN"]["by_kind"]) == {
        "data_asset_cost_item",
        "data_asset_movement",
        "data_asset_period_close",  # FY2025 closed for two merchants
    }
    assert by_log["FIN"]["by_kind"]["data_asset_period_close"] == 2
    assert "FIN: verified" in passed.stderr

    item = (
        await session.execute(
            text("SELECT id, leaf_index, amount FROM data_asset_cost_item ORDER BY leaf_index")
        )
    ).first()
    assert item is not None
    await session.execute(text("ALTER TABLE data_asset_cost_item DISABLE TRIGGER USER"))
    await session.execute(
        text("UPDATE data_asset_cost_item SET amount = amount + 0.01 WHERE id = :id"),
        {"id": item.id},
    )
    await session.execute(text("ALTER TABLE data_asset_cost_item ENABLE TRIGGER USER"))
    await session.commit()

    failed = await asyncio.to_thread(_audit, live_url, auditor, vkey)
    assert failed.returncode == 1, failed.stderr
    fin = next(s for s in json.loads(failed.stdout)["logs"] if s["log"] == "FIN")
    assert [f["leaf"] for f in fin["failures"]] == [item.leaf_index]
    assert f"FAILED FIN leaf {item.leaf_index}: " in failed.stderr
    changed = item.amount + Decimal("0.01")
    assert f"its amount is '{changed:.2f}' but the ledger recorded '{item.amount:.2f}'" in (
        failed.stderr
    )
