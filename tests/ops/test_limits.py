"""Resource limits and what the logs may never hold."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from tests.factories import auth, make_key, make_merchant, make_product, merchant_body


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


@pytest.fixture
async def upload_capped(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose uploads are capped at 1 000 bytes."""
    from app.main import create_app

    app = create_app(settings.model_copy(update={"upload_max_bytes": 1000}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        yield client
    await app.state.engine.dispose()


def _form(*parts: tuple[str, bytes]) -> bytes:
    body = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="%s"; filename="x.csv"\r\n\r\n%s\r\n'
        % (name.encode(), content)
        for name, content in parts
    )
    return body + b"--B--\r\n"


async def test_a_multipart_body_is_capped_as_a_whole(
    upload_capped: httpx.AsyncClient, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The upload cap held only for the `file` part: a small file with a huge other part
    went through, however large (200 MB in the report). Now the whole body is capped at the
    upload cap plus 64 KiB for the rest of the form, and the stream is cut there."""
    merchant = await make_merchant(session)
    product = await make_product(session, merchant)
    token = auth(await make_key(session, Role.merchant, merchant.id))
    url = f"/v1/products/{product.id}/samples"
    headers = {**token, "Content-Type": "multipart/form-data; boundary=B"}
    body = _form(("file", b"a\n1\n"), ("padding", b"x" * (4 * 1024 * 1024)))
    sent = 0

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length
        nonlocal sent
        for start in range(0, len(body), 16 * 1024):
            sent += 1
            yield body[start : start + 16 * 1024]

    streamed = await upload_capped.post(url, content=chunked(), headers=headers)
    assert streamed.status_code == 413, streamed.text
    assert streamed.headers["content-type"].startswith("application/problem+json")
    assert streamed.json()["limit_bytes"] == 1000
    assert "1000 bytes for the file and 65536 for the rest" in streamed.json()["detail"]
    assert sent <= (1000 + 65536) // (16 * 1024) + 2  # read no further than the cap
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    declared = await upload_capped.post(url, content=body, headers=headers)
    assert declared.status_code == 413
    assert declared.json()["limit_bytes"] == 1000

    small_padding = _form(("file", b"a\n1\n"), ("padding", b"x" * 60_000))
    fits = await upload_capped.post(url, content=small_padding, headers=headers)
    assert fits.status_code == 201, fits.text
    count = text("SELECT count(*) FROM product_sample")
    assert (await session.execute(count)).scalar_one() == 1


async def test_multipart_to_other_routes_is_held_to_the_json_cap(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    body = _form(("name", b"x" * (2 * 1024 * 1024)))

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {**admin, "Content-Type": "multipart/form-data; boundary=B"}
    for content in (body, chunked()):
        refused = await client.post("/v1/merchants", content=content, headers=headers)
        assert refused.status_code == 413
        assert "1048576 bytes" in refused.json()["detail"]
    count = text("SELECT count(*) FROM merchant")
    assert (await session.execute(count)).scalar_one() == 0
