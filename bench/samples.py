"""Profiling hostile samples: CPU time, and how long the event loop waits meanwhile.

    .venv/bin/python -m bench.samples

The reported attack (1 000 keys on the first line of a JSON Lines file, then 330 000 `{}`
lines: 1 MB) as uploaded (refused as too sparse) and with the sparse-table rule lifted (the
profile's own cost, linear in the cells present), and the same file's profile a thread
away from a ticking event loop, as an upload runs it.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import anyio

from app.samples import profile


def _cpu(path: Path) -> tuple[float, str]:
    started = time.thread_time()
    try:
        result = profile.profile_file(path, path.name)
        outcome = f"{result.rows} rows, {len(result.columns)} columns"
    except profile.MalformedSample as exc:
        outcome = f"refused: {str(exc)[:60]}…"
    return time.thread_time() - started, outcome


async def _worst_lag(path: Path) -> float:
    worst, done = 0.0, False

    async def tick() -> None:
        nonlocal worst
        while not done:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - started - 0.001)

    ticker = asyncio.create_task(tick())
    await anyio.to_thread.run_sync(_cpu, path)
    done = True
    await ticker
    return worst


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.jsonl"
        path.write_text(json.dumps({f"k{i}": i for i in range(1000)}) + "\n" + "{}\n" * 330_000)
        print(f"1 000 keys then 330 000 empty lines, {path.stat().st_size:,} bytes")
        seconds, outcome = _cpu(path)
        print(f"  as uploaded:               {seconds:6.2f} s CPU  {outcome}")
        profile.DENSE_CELLS_FLOOR = 10**12
        seconds, outcome = _cpu(path)
        print(f"  without the sparse rule:   {seconds:6.2f} s CPU  {outcome}")
        lag = asyncio.run(_worst_lag(path))
        print(f"  event loop, worst wait:    {lag * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
