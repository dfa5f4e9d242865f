"""The real `shushang serve` process, called over HTTP as a front end would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.factories import merchant_body

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "shushang"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHUSHANG_", "DATABASE_URL"))}
    env.update(extra)
    return env


@contextmanager
def serving(env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    "serve exited early:\n" + (process.stdout.read() if process.stdout else "")
                )
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()


def create_key(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN), "keys", "create", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("shs_"), done.stdout
    return token


def test_serve_with_database_url(database_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=database_url, SHUSHANG_LOG_FORMAT="json")
    with serving(env, tmp_path) as base:
        token = create_key(env, tmp_path, "--role", "operator", "--name", "e2e")
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(base + "/v1/merchants", json=merchant_body(), headers=headers)
        assert created.status_code == 201, created.text
        assert created.headers["X-Request-ID"]
        listed = httpx.get(base + "/v1/merchants", headers=headers)
        assert [m["id"] for m in listed.json()["items"]] == [created.json()["id"]]
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
        assert httpx.get(base + "/metrics").status_code == 401
        scraped = httpx.get(base + "/metrics", headers=headers)
        assert "shushang_http_requests_total" in scraped.text


def test_serve_with_the_embedded_database(tmp_path: Path) -> None:
    """No DATABASE_URL: serve starts PostgreSQL under the data directory; `keys create`
    joins the same server while serve runs; the server stops when serve exits."""
    data_dir = tmp_path / "data"
    env = clean_env(SHUSHANG_DATA_DIR=str(data_dir))
    with serving(env, tmp_path) as base:
        token = create_key(env, tmp_path, "--role", "operator", "--name", "embedded")
        headers = {"Authorization": f"Bearer {token}"}
        venues = httpx.get(base + "/v1/venues").json()["items"]
        assert {v["code"] for v in venues} == {"ZJBDEX", "HZDEX", "WZDEX", "NBSE", "OTC"}
        created = httpx.post(base + "/v1/merchants", json=merchant_body(), headers=headers)
        assert created.status_code == 201, created.text
        migrated = subprocess.run(
            [str(BIN), "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert migrated.returncode == 0, migrated.stderr
        # serve still works after the other processes let go of the server.
        assert httpx.get(base + "/readyz").status_code == 200
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    deadline = time.monotonic() + 15
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pid_file.exists(), "the embedded PostgreSQL was left running"


def test_two_processes_share_the_rate_limits(database_url: str, tmp_path: Path) -> None:
    """Two `serve` processes on one database: a key of 20 a minute gets 20 in all, and so
    does an address without a key (at 20 a minute there are no leases: each request takes
    its own token), whichever process each request goes to; then 429 with Retry-After."""
    env = clean_env(
        DATABASE_URL=database_url,
        SHUSHANG_RATE_LIMIT_PER_MINUTE="20",
        SHUSHANG_ANONYMOUS_RATE_LIMIT_PER_MINUTE="20",
    )
    with serving(env, tmp_path) as one, serving(env, tmp_path) as two:
        token = create_key(env, tmp_path, "--role", "auditor", "--name", "shared")
        keyed = {"Authorization": f"Bearer {token}"}
        for path, headers in (("/v1/merchants", keyed), ("/v1/venues", {})):
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = list(
                    pool.map(
                        lambda base, h=headers, p=path: httpx.get(base + p, headers=h),
                        [one, two] * 20,
                    )
                )
            refilled = int((time.monotonic() - started) // 3)  # one every 3 s
            statuses = [a.status_code for a in answers]
            assert set(statuses) == {200, 429}, path
            assert 20 <= statuses.count(200) <= 20 + refilled, (path, statuses)
            for refused in (a for a in answers if a.status_code == 429):
                assert refused.headers["content-type"] == "application/problem+json"
                assert 1 <= int(refused.headers["Retry-After"]) <= 3
            # Both processes refuse now, not only the one that saw the last token go (unless
            # a slow machine took so long that a request's worth came back meanwhile).
            for base in (one, two):
                answer = httpx.get(base + path, headers=headers)
                assert answer.status_code == 429 or time.monotonic() - started > 2.5
