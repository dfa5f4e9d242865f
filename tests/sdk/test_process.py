"""The blocking client in a script, as a merchant's cron job runs it: the process ends when
the script does (with or without `with`, after an exception too), and a refusal's traceback
shows the SDK's call and the problem, no event-loop plumbing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(folder: Path, source: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    script = folder / "cron_job.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "sdk")}
    return subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("ending", "code", "says"),
    [
        ('print("done")', 0, "done"),
        ('raise RuntimeError("the ERP export failed")', 1, "the ERP export failed"),
    ],
)
def test_a_script_that_does_not_close_the_client_exits(
    ending: str, code: int, says: str, tmp_path: Path
) -> None:
    done = run(
        tmp_path,
        f"""
        from shushang_sdk import Client
        client = Client("http://127.0.0.1:9", "shs_key")
        {ending}
    """,
    )  # a hang is subprocess.TimeoutExpired
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stdout + done.stderr


async def test_a_refusal_shows_the_sdk_call_and_the_problem(live_url: str, tmp_path: Path) -> None:
    done = await asyncio.to_thread(
        run,
        tmp_path,
        f"""
        from shushang_sdk import Client
        client = Client({live_url!r}, "", accept_language="zh-CN")
        client.venues.get("NOWHERE")
        """,
    )
    trace = done.stderr
    assert done.returncode == 1, trace
    assert 'client.venues.get("NOWHERE")' in trace and "shushang_sdk/_sync.py" in trace, trace
    assert "shushang_sdk.errors.NotFound: 404" in trace and "request " in trace, trace
    for plumbing in ("anyio", "asyncio", "concurrent/futures", "threading"):
        assert plumbing not in trace, trace
    assert trace.count('File "') <= 5, trace  # the script, the SDK method and its transport
