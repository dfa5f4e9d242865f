"""Webhook fixtures: real HTTP receivers on loopback, the API with private URLs allowed, and
delivery one round at a time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.main import create_app
from app.webhooks.delivery import deliver_due
from app.webhooks.sender import Sender


@dataclass
class Receiver:
    """Answers each POST with the next status of `statuses` (then 200) and keeps it. With
    `hold`, each answer waits until it is set (a slow receiver)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""
    port: int = 0
    hold: asyncio.Event | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@contextlib.asynccontextmanager
async def serving(receiver: Receiver, tls: ssl.SSLContext | None = None) -> AsyncIterator[Receiver]:
    """Serve the receiver on a free loopback port; its `url` is set."""
    server = web.Application()
    server.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    receiver.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"{'https' if tls else 'http'}://127.0.0.1:{receiver.port}/hook"
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        await runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as found:
        yield found


@pytest.fixture(scope="module")
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhooks_allow_private_urls": True,
            "webhook_retry_base_seconds": 60.0,
            "webhook_disable_after_failures": 3,
        }
    )


@pytest.fixture(scope="module")
async def hook_app(hook_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(hook_settings)
    yield application
    await application.state.engine.dispose()


@dataclass
class Hooks:
    """The API (with private URLs allowed), the receiver, and one delivery round at a time."""

    api: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    receiver: Receiver

    async def subscribe(
        self, event_types: list[str], key: dict[str, str], url: str | None = None
    ) -> dict[str, Any]:
        made = await self.api.post(
            "/v1/webhooks",
            json={"url": url or self.receiver.url, "event_types": event_types},
            headers=key,
        )
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        return body

    async def deliver(self, sender: Sender | None = None, settings: Settings | None = None) -> int:
        return await deliver_due(self.app.state.sessionmaker, settings or self.settings, sender)

    async def log(self, webhook_id: str, key: dict[str, str]) -> list[dict[str, Any]]:
        found = await self.api.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=key)
        items: list[dict[str, Any]] = found.json()["items"]
        return items


@pytest.fixture
async def world(
    hook_app: FastAPI, hook_settings: Settings, receiver: Receiver
) -> AsyncIterator[Hooks]:
    transport = httpx.ASGITransport(app=hook_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shushang.test") as api:
        yield Hooks(api, hook_app, hook_settings, receiver)


async def make_due(session: AsyncSession) -> None:
    """Time passes: every pending retry is due now."""
    await session.execute(text("UPDATE webhook_delivery SET next_attempt_at = now()"))
    await session.commit()
