"""Resource limits and what the logs may never hold."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.config import Settings
from tests.factories import auth, make_key, merchant_body


async def test_json_bodies_are_capped(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = auth(await make_key(session, Role.operator))
    huge = merchant_body(description="数" * 600_000)  # about 1.8 MB of UTF-8
    declared = await client.post("/v1/merchants", json=huge, headers=admin)
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith("application/problem+json")
    assert "1048576 bytes" in declared.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    streamed = await client.post(
        "/v1/merchants",
        content=chunks(),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    fine = await client.post("/v1/merchants", json=merchant_body(), headers=admin)
    assert fine.status_code == 201


async def test_pages_are_capped(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/venues", params={"limit": 200})).status_code == 200
    too_many = await client.get("/v1/venues", params={"limit": 201})
    assert too_many.status_code == 422


async def test_keys_and_secrets_never_reach_the_logs(
    client: httpx.AsyncClient, session: AsyncSession, caplog: pytest.LogCaptureFixture, app: FastAPI
) -> None:
    caplog.set_level(logging.DEBUG)
    admin_token = await make_key(session, Role.operator)
    admin = auth(admin_token)
    made = await client.post(
        "/v1/api-keys", json={"role": "auditor", "name": "log test"}, headers=admin
    )
    secret_token = made.json()["token"]
    await client.get("/v1/merchants", headers=auth(secret_token))
    await client.get("/v1/merchants", headers=auth(secret_token + "x"))  # a wrong one: 401
    app.state.settings.webhooks_allow_private_urls = True
    try:
        hook = await client.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
            headers=admin,
        )
    finally:
        app.state.settings.webhooks_allow_private_urls = False
    webhook_secret = hook.json()["secret"]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "the requests were logged"
    for secret in (admin_token, secret_token, webhook_secret, webhook_secret[6:]):
        assert secret not in logged
    assert "shs_" not in logged and "Bearer" not in logged


async def test_a_stalled_body_is_answered_408(settings: Settings, session: AsyncSession) -> None:
    import asyncio

    from app.main import create_app

    impatient = create_app(settings.model_copy(update={"request_body_timeout_seconds": 0.2}))
    admin = auth(await make_key(session, Role.operator))

    async def dawdling() -> AsyncIterator[bytes]:
        yield b'{"name": '
        await asyncio.sleep(1)
        yield b'"x"}'

    transport = httpx.ASGITransport(app=impatient)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            stalled = await client.post(
                "/v1/merchants",
                content=dawdling(),
                headers={**admin, "Content-Type": "application/json"},
            )
            assert stalled.status_code == 408
            assert stalled.json()["type"].endswith("request-timeout")
            prompt = await client.post("/v1/merchants", json=merchant_body(), headers=admin)
            assert prompt.status_code == 201
    finally:
        await impatient.state.engine.dispose()


async def test_keys_are_rate_limited_and_probes_are_not(
    settings: Settings, session: AsyncSession
) -> None:
    from app.main import create_app

    strict = create_app(settings.model_copy(update={"rate_limit_per_minute": 2}))
    key = auth(await make_key(session, Role.auditor))
    transport = httpx.ASGITransport(app=strict)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers = [(await client.get("/v1/merchants", headers=key)) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 429]
            limited = answers[-1]
            assert int(limited.headers["Retry-After"]) >= 1
            assert limited.json()["type"].endswith("rate-limited")
            for path in ("/healthz", "/metrics", "/healthz", "/metrics", "/healthz"):
                assert (await client.get(path, headers=key)).status_code == 200
    finally:
        await strict.state.engine.dispose()


async def test_callers_without_a_key_are_limited_per_address(
    settings: Settings, session: AsyncSession
) -> None:
    from app.main import create_app

    strict = create_app(settings.model_copy(update={"anonymous_rate_limit_per_minute": 2}))
    key = auth(await make_key(session, Role.auditor))
    bogus = auth("shs_au_" + "x" * 40)
    try:

        def client(host: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=strict, client=(host, 4000))
            return httpx.AsyncClient(transport=transport, base_url="http://t")

        async with client("203.0.113.7") as one, client("2001:db8::1") as six:
            answers = [(await one.get("/v1/venues")).status_code for _ in range(3)]
            assert answers == [200, 200, 429]
            limited = await one.get("/v1/venues")
            assert int(limited.headers["Retry-After"]) >= 1
            assert limited.json()["type"].endswith("rate-limited")
            # Probes are never limited; a key is limited per key, not per address.
            assert (await one.get("/healthz")).status_code == 200
            assert all([(await one.get("/v1/venues", headers=key)).status_code == 200] * 3)
            # An IPv6 caller is one bucket per /64: another address in it shares it.
            assert [(await six.get("/v1/venues")).status_code for _ in range(2)] == [200, 200]
        async with client("2001:db8::2") as neighbour, client("198.51.100.9") as guesser:
            assert (await neighbour.get("/v1/venues")).status_code == 429
            # Guessing keys: two refusals, then 429 before any key is looked up, even for a
            # key that works (from that address, for a minute).
            assert [
                (await guesser.get("/v1/merchants", headers=bogus)).status_code for _ in range(3)
            ] == [401, 401, 429]
            assert (await guesser.get("/v1/merchants", headers=key)).status_code == 429
    finally:
        await strict.state.engine.dispose()
