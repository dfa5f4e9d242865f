"""Access logs: one JSON line per request, with the request id and the key id, never the token."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.logging import JsonFormatter
from app.core.roles import Role
from tests.factories import auth, make_key
from tests.trades.conftest import Parties


async def test_access_log_is_json_with_request_id(
    client: httpx.AsyncClient, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await make_key(session, Role.auditor)
    with caplog.at_level(logging.INFO, logger="shushang.access"):
        response = await client.get(
            "/v1/merchants", headers={**auth(token), "X-Request-ID": "trace-7"}
        )
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "shushang.access"]
    formatter = JsonFormatter()
    line = json.loads(formatter.format(record))
    assert line["status"] == 200
    assert line["route"] == "/v1/merchants"
    assert line["method"] == "GET"
    assert line["key_id"]
    assert line["role"] == "auditor"
    assert token not in formatter.format(record)
    assert record.__dict__.get("request_id") is None or record.__dict__["request_id"] == "trace-7"


async def test_recorded_trades_are_logged_with_their_key(
    client: httpx.AsyncClient, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    parties = await Parties().setup(client, session)
    with caplog.at_level(logging.INFO, logger="shushang.access"):
        recorded = await parties.record(headers=parties.seller_key)  # through the trade lane
        refused = await parties.record(headers=parties.auditor)
    assert (recorded.status_code, refused.status_code) == (201, 403)
    lines = [r.__dict__ for r in caplog.records if r.name == "shushang.access"]
    assert [(line["route"], line["status"], line["role"]) for line in lines] == [
        ("/v1/transactions", 201, "merchant"),
        ("/v1/transactions", 403, "auditor"),
    ]
    assert all(line["key_id"] for line in lines)


def test_formatter_adds_the_current_request_id() -> None:
    from app.core.context import request_id_var

    token = request_id_var.set("abc-123")
    try:
        record = logging.makeLogRecord({"msg": "hello %s", "args": ("世界",), "name": "t"})
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello 世界"
    assert line["request_id"] == "abc-123"


async def test_failed_statements_never_show_their_parameters(app: FastAPI) -> None:
    async with app.state.engine.connect() as connection:
        with pytest.raises(DBAPIError) as failed:
            await connection.execute(
                text("SELECT CAST(:secret AS text), 1 / 0"), {"secret": "s3cret"}
            )
    assert "s3cret" not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)
