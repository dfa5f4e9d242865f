"""What the benchmarks share: a database to run on, a served API, and latency figures."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def database_url(name: str) -> str:
    """BENCH_DATABASE_URL, or a database `name` on an embedded server under .shushang/bench."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        from app.core.config import Settings

        resolved = Settings(database_url=url).database_url
        assert resolved
        return resolved
    from app.core import embedded

    # The embedded server stops when this process exits; the data stays for the next run.
    return embedded.start(ROOT / ".shushang" / "bench", database=name)


def asyncpg_dsn(url: str) -> str:
    """The plain PostgreSQL form of a SQLAlchemy URL, for asyncpg.connect."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(samples_ms, 50),
        "p95": percentile(samples_ms, 95),
        "p99": percentile(samples_ms, 99),
        "mean": statistics.fmean(samples_ms),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(url: str, workers: int = 1) -> Iterator[str]:
    """`shushang serve` on a free port against `url`; yields its base URL."""
    with serving(url, workers) as (base, _):
        yield base


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def serving(
    url: str, workers: int = 1, rate_limit_per_minute: int = 0
) -> Iterator[tuple[str, int]]:
    """`shushang serve` on a free port against `url`; yields its base URL and process id.
    Rate limits are off (the load comes from one address and one key) unless
    `rate_limit_per_minute` puts the key limit on (bench.trades --only limits)."""
    port = free_port()
    command = ["shushang", "serve", "--port", str(port), "--workers", str(workers)]
    env = {
        "SHUSHANG_DATABASE_URL": url,
        "SHUSHANG_RATE_LIMIT_PER_MINUTE": str(rate_limit_per_minute),
        # The load generator is one address: its anonymous reads would be 429s otherwise.
        "SHUSHANG_ANONYMOUS_RATE_LIMIT_PER_MINUTE": "0",
        "SHUSHANG_LOG_LEVEL": "WARNING",
    }
    with _running(command, env, f"http://127.0.0.1:{port}", "/readyz") as served:
        yield served


@contextmanager
def serving_ceiling(url: str, workers: int = 1) -> Iterator[str]:
    """bench/ceiling.py (a bare ASGI app, one statement a request) under uvicorn, as
    `shushang serve` runs the API; yields its base URL."""
    port = free_port()
    command = ["uvicorn", "bench.ceiling:app", "--port", str(port), "--no-access-log"]
    command += ["--workers", str(workers)]
    env = {"BENCH_DSN": asyncpg_dsn(url)}
    with _running(command, env, f"http://127.0.0.1:{port}", "/") as (base, _):
        yield base


@contextmanager
def _running(
    command: list[str], env: dict[str, str], base: str, ready: str
) -> Iterator[tuple[str, int]]:
    """A server of this virtualenv, until it answers `ready` with 200 and then until the
    block ends (SIGTERM); yields `base` and its process id."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this block, closed below
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / command[0]), *command[1:]],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("serve did not start:\n" + log.read().decode(errors="replace"))
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
