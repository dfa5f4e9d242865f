"""The ceiling of HTTP in Python here: a bare ASGI app doing one statement a request.

No framework, no validation, no ledger: uvicorn, a JSON body read, one asyncpg INSERT of
the trade row, a small JSON answer. `bench/trades.py` serves it (uvicorn, like
`shushang serve`) and loads it as it loads the API, to show how much of raw INSERT
throughput an HTTP service in Python can reach on the machine at all.

`bench/load.py` loads it with its mixed workload too: a GET of the API's search, listings
or merchant path runs the raw baseline's statement for it (bench/load.py) and answers its
rows as JSON, so the reads of the mix cost what a read costs without a framework.

    BENCH_DSN=postgresql://… uvicorn bench.ceiling:app
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime
from decimal import Decimal
from urllib.parse import unquote_plus

import asyncpg
from starlette.types import Receive, Scope, Send

from bench import load
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
    if scope["method"] == "GET" and scope["path"] != "/":
        assert _pool is not None
        answer = json.dumps(await _read(_pool, scope), default=str).encode()
    elif scope["method"] == "POST":
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


async def _read(pool: asyncpg.Pool, scope: Scope) -> object:
    """The raw baseline's statement for one of the mix's reads, its rows as JSON can hold them."""
    path: str = scope["path"]
    if path == "/v1/products":
        query = dict(
            pair.split("=", 1) for pair in scope["query_string"].decode().split("&") if "=" in pair
        )
        words = unquote_plus(query.get("q", ""))
        return {"items": [dict(r) for r in await pool.fetch(load.SEARCH, words)]}
    if path == "/v1/listings":
        return {"items": [dict(r) for r in await pool.fetch(load.LISTINGS)]}
    row = await pool.fetchrow(load.MERCHANT, uuid.UUID(path.rsplit("/", 1)[1]))
    return dict(row) if row is not None else None
