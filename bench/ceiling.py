"""The ceiling for trade recording over HTTP here: a bare ASGI app doing one INSERT a request.

No framework, no validation, no ledger: uvicorn, a JSON body read, one asyncpg INSERT of
the trade row, a small JSON answer. `bench/trades.py` serves it (uvicorn, like
`shushang serve`) and loads it as it loads the API, to show how much of raw INSERT
throughput an HTTP service in Python can reach on the machine at all.

    BENCH_DSN=postgresql://… uvicorn bench.ceiling:app
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg
from starlette.types import Receive, Scope, Send

from bench.trades import RAW_INSERT

_pool: asyncpg.Pool | None = None


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global _pool
    if scope["type"] == "lifespan":
        await receive()  # startup
        _pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=20, max_size=20)
        await send({"type": "lifespan.startup.complete"})
        await receive()  # shutdown
        await _pool.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status, answer = 200, b"{}"
    if scope["method"] == "POST":
        trade = json.loads(body)
        trade_id = uuid.uuid4()
        assert _pool is not None
        await _pool.execute(
            RAW_INSERT,
            trade_id,
            uuid.UUID(trade["seller_merchant_id"]),
            uuid.UUID(trade["buyer_merchant_id"]),
            Decimal(trade["amount"]),
            trade["contract_digest"],
            datetime.fromisoformat(trade["occurred_at"]),
            0,
        )
        status, answer = 201, json.dumps({"id": str(trade_id)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer})
