"""What one upload may cost: columns, CPU, sparse tables, nesting; and what outlives it."""

from __future__ import annotations

import gc
import io
import json
import os
import tracemalloc
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

import app as app_package
from app.core.config import Settings
from app.main import create_app
from app.samples import profile
from tests.samples.test_router import multipart, setup


@pytest.fixture
async def client_with(settings: Settings) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """A client of an app built with some settings changed."""
    apps: list[FastAPI] = []

    def make(**changes: object) -> httpx.AsyncClient:
        app = create_app(settings.model_copy(update=changes))
        apps.append(app)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    yield make
    for app in apps:
        await app.state.engine.dispose()


APP = os.path.dirname(app_package.__file__)


async def _samples(session: AsyncSession) -> int:
    return (await session.execute(text("SELECT count(*) FROM product_sample"))).scalar_one()


async def test_columns_are_capped_by_the_setting(
    client_with: Callable[..., httpx.AsyncClient], session: AsyncSession
) -> None:
    product_id, token = await setup(session)
    url = f"/v1/products/{product_id}/samples"
    async with client_with(sample_max_columns=3) as client:
        fits = await client.post(url, files=multipart(b"a,b,c\n1,2,3\n"), headers=token)
        assert fits.status_code == 201, fits.text
        wide = await client.post(url, files=multipart(b"a,b,c,d\n1,2,3,4\n"), headers=token)
        assert wide.status_code == 422
        assert wide.json()["detail"] == ("Line 1: more than 3 columns, the most a sample may have.")
        keys = b'{"a": 1, "b": 2}\n{"a": 1, "c": 3}\n{"d": 4}\n'
        late = await client.post(url, files=multipart(keys, "x.jsonl"), headers=token)
        assert late.status_code == 422
        assert "Line 3: more than 3 keys" in late.json()["detail"]
        zh = await client.post(
            url, files=multipart(keys, "x.jsonl"), headers={**token, "Accept-Language": "zh"}
        )
        assert "第 3 行" in zh.json()["detail"] and "3" in zh.json()["detail"]
    assert await _samples(session) == 1


async def test_profiling_stops_at_its_cpu_budget(
    client_with: Callable[..., httpx.AsyncClient], session: AsyncSession
) -> None:
    product_id, token = await setup(session)
    content = ("n,city\n" + "".join(f"{i},杭州\n" for i in range(5000))).encode()
    async with client_with(sample_profile_max_seconds=1e-6) as client:
        response = await client.post(
            f"/v1/products/{product_id}/samples", files=multipart(content), headers=token
        )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert "more than 1e-06 s of CPU" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "file"]
    assert await _samples(session) == 0


async def test_a_sparse_wide_json_lines_file_is_refused_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The reported attack: 1 000 keys on the first line, then 330 000 empty objects (1 MB)
    cost 20 s of CPU to profile, and far more to assess (330 million cells)."""
    product_id, token = await setup(session)
    content = (json.dumps({f"k{i}": i for i in range(1000)}) + "\n" + "{}\n" * 330_000).encode()
    response = await client.post(
        f"/v1/products/{product_id}/samples",
        files=multipart(content, "wide.jsonl", "application/x-ndjson"),
        headers=token,
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("Line 1003: 1003 rows × 1000 keys = 1003000 cells")
    assert "too sparse" in detail
    assert await _samples(session) == 0


def test_missing_keys_are_nulls() -> None:
    """Rows cost only their own keys: the nulls of the keys a row lacks are counted once, at
    the end, and come out as they did when every row visited every known column."""
    lines = [json.dumps({f"k{i}": i for i in range(50)}), *["{}"] * 5000, '{"k0": null}']
    rows, columns = profile._profile_jsonl(
        io.StringIO("".join(line + "\n" for line in lines)),
        profile.ProfileLimits(),
        profile._Budget(60),
        size=0,
    )
    assert rows == 5002
    assert all(c.nulls == 5001 and c.non_null == 1 for c in columns)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "JSON nested too deeply"),
        (b'{"' + b"k" * 300 + b'": 1}\n', "a column name of 300 characters"),
        (b'{"a": "' + b"x" * (1 << 20) + b'"}\n', "a line longer than 1048576 characters"),
    ],
)
async def test_hostile_json_lines_are_422_not_500(
    client: httpx.AsyncClient, session: AsyncSession, content: bytes, reason: str
) -> None:
    product_id, token = await setup(session)
    response = await client.post(
        f"/v1/products/{product_id}/samples",
        files=multipart(content, "x.jsonl"),
        headers=token,
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"Line 1: {reason}")
    assert await _samples(session) == 0


async def test_a_long_csv_header_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    product_id, token = await setup(session)
    content = b"a," + b"x" * 256 + b"\n1,2\n"
    response = await client.post(
        f"/v1/products/{product_id}/samples", files=multipart(content), headers=token
    )
    assert response.status_code == 422
    assert "a column name of 256 characters" in response.json()["detail"]


async def test_no_cell_outlives_its_upload(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Large cells are profiled, then forgotten: of what the app allocated while handling
    three uploads of large unique cells, no large block is alive once they are answered
    (a cache of cell values kept every one, for the life of the process)."""
    product_id, token = await setup(session)
    tracemalloc.start()
    try:
        for upload in range(3):
            cells = [f"{upload}-{row}-" + "数" * 100_000 for row in range(4)]
            content = ("note\n" + "\n".join(cells) + "\n").encode()
            response = await client.post(
                f"/v1/products/{product_id}/samples", files=multipart(content), headers=token
            )
            assert response.status_code == 201, response.text
        del cells, content
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    by_the_app = snapshot.filter_traces([tracemalloc.Filter(True, f"{APP}{os.sep}*")])
    assert [t for t in by_the_app.traces if t.size > 100_000] == []
