"""Health, readiness, metrics, request ids and the problem+json of every failure."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from tests.factories import auth, make_key, make_merchant

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


@pytest.fixture
async def dead_db_client(settings: Settings) -> httpx.AsyncClient:
    app = create_app(settings, database_url=UNREACHABLE)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_database_down_is_503_not_500(dead_db_client: httpx.AsyncClient) -> None:
    async with dead_db_client as client:
        assert (await client.get("/healthz")).status_code == 200
        for path, headers in (
            ("/readyz", {}),
            ("/v1/venues", {}),
            ("/v1/merchants", {"Authorization": "Bearer shs_op_" + "A" * 43}),
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 503, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["Retry-After"]
            assert response.json()["type"] == "urn:shushang:problem:service-unavailable"


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/v1/venues", "/nowhere", "/v1/merchants"):
        response = await client.get(path)
        assert len(response.headers["X-Request-ID"]) >= 16, path
    echoed = await client.get("/healthz", headers={"X-Request-ID": "front-end-42"})
    assert echoed.headers["X-Request-ID"] == "front-end-42"
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["X-Request-ID"] != "bad id\twith spaces"


async def test_unknown_route_and_wrong_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing-here", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["title"] == "未找到"
    wrong = await client.delete("/v1/venues")
    assert wrong.status_code == 405
    assert wrong.json()["type"] == "urn:shushang:problem:method-not-allowed"
    assert "GET" in wrong.headers["Allow"]


async def test_validation_errors_list_each_field(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/venues", params={"limit": "many"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["query", "limit"]
    assert set(problem) >= {"type", "title", "status", "detail", "errors"}
    broken = await client.post(
        "/v1/venues", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code in (401, 422)


async def test_unexpected_errors_are_500_problems_without_internals(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.ERROR, logger="shushang.errors"):
            response = await client.get("/boom")
    await app.state.engine.dispose()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert any("secret internals" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


async def test_metrics_by_route_template(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await client.get("/v1/venues/HZDEX")
    await client.get("/v1/venues/NOPE")
    body = (await client.get("/metrics", headers=auth(await make_key(session, Role.auditor)))).text
    assert (
        'shushang_http_requests_total{method="GET",route="/v1/venues/{code}",status="200"}' in body
    )
    assert 'route="/v1/venues/{code}",status="404"' in body
    assert "shushang_http_request_duration_seconds_bucket" in body
    assert "shushang_db_pool_connections_in_use" in body
    assert "/v1/venues/HZDEX" not in body


def test_chinese_is_picked_by_accept_language() -> None:
    from app.core.i18n import prefers_chinese

    assert prefers_chinese("zh-CN,zh;q=0.9,en;q=0.8")
    assert prefers_chinese("zh")
    assert prefers_chinese("en;q=0.5, zh-Hans;q=0.9")
    assert not prefers_chinese("en-US,en;q=0.9,zh;q=0.5")
    assert not prefers_chinese(None)
    assert not prefers_chinese("zh;q=0")


async def test_metrics_need_a_staff_key_unless_public(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    merchant = await make_merchant(session)
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers=auth("shs_op_" + "x" * 40))).status_code == 401
    as_merchant = auth(await make_key(session, Role.merchant, merchant_id=merchant.id))
    assert (await client.get("/metrics", headers=as_merchant)).status_code == 403
    for role in (Role.operator, Role.auditor):
        staff = auth(await make_key(session, role))
        assert (await client.get("/metrics", headers=staff)).status_code == 200
    public = create_app(settings.model_copy(update={"metrics_public": True}))
    try:
        transport = httpx.ASGITransport(app=public)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as anonymous:
            answer = await anonymous.get("/metrics")
            assert answer.status_code == 200 and "shushang_http_requests_total" in answer.text
    finally:
        await public.state.engine.dispose()
