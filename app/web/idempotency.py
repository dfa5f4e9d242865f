"""Steps that change money or title, safe to retry (DOMAIN.md, "Retries never double money or
title"): a data asset's cost items and movements, every step of an IP registration, a
trade's events.

Such a route is marked `dependencies=[RETRY_SAFE]` and takes `If-Match` or
`Idempotency-Key`; without either it answers 428 and does nothing:

- `If-Match` names the version the caller read: a retry of a step that went through meets
  a newer version, 412. `If-Match: *` names none and protects nothing: it does not count.
- `Idempotency-Key` (a fresh value per step, the same on its retries): the first request
  with a key does the step, and its 2xx answer (status, exact body, `ETag`, `Location`) is
  kept in `idempotency_record` from a hook just before the request's commit
  (app/core/commit.py): kept with the step's work in one transaction, or neither is. A retry
  with the same method, path, query and body gets that answer again with
  `Idempotent-Replayed: true`; another request under the same key is 422; a retry while
  the first still runs is 409 with `Retry-After` (a transaction-scoped advisory lock on the
  key, held from the check to the commit, in every process). A step that failed keeps no
  record: its retry does the step anew.

Keys live in the caller's API key's space, shared with `POST /v1/transactions` (whose own
lane, app/trades/recorder.py, keeps its first answers in the same table and answers 400
without a key: its contract of 2026-11-29). Records are kept (at least the 24 hours a
client may retry in). The order of refusals: the key (401), this rule (428), a replay,
then the route's own (403, 404, 412, 409, 422).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute
from sqlalchemy import CheckConstraint, DateTime, Integer, LargeBinary, String, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.routing import BaseRoute

from app.core.commit import before_commit
from app.core.db import Base, utcnow
from app.core.errors import Answered, IdempotencyInFlight, IdempotencyMismatch, PreconditionRequired
from app.web.auth import CurrentPrincipal
from app.web.deps import Session

REPLAYED = "Idempotent-Replayed"
# What a replay answers besides the body: what a client reads from a step's answer.
KEPT_HEADERS = ("content-type", "etag", "location")


class IdempotencyRecord(Base):
    """The first answer to a key's request, replayed for its retries: a trade's (its JSON
    body, app/trades/recorder.py) or a step's (its exact bytes and the headers a client
    reads, so that a replay, its ETag included, is the first answer byte for byte)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        CheckConstraint(
            "response_body IS NOT NULL OR response_content IS NOT NULL", name="response_kept"
        ),
    )

    api_key_id: Mapped[UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


KEY_DESCRIPTION = (
    "A fresh value (a UUID) per step, the same on each retry of it: a retry with the same "
    "key, path and body gets the first answer again (`Idempotent-Replayed: true`); the key "
    "used for another request is 422; while the first request still runs, 409 with "
    "`Retry-After`. This step needs this header or `If-Match` (428 without either)."
)
NOTE = (
    "\n\nSafe to retry: send `Idempotency-Key` (a fresh value per step, the same on its "
    "retries: a retry gets the first answer again, with `Idempotent-Replayed: true`) or "
    "`If-Match` with the ETag you read (a retry after the step went through is 412). Without "
    "either, 428 and nothing changes (`If-Match: *` does not count)."
)


def request_hash(method: str, path: str, query: str, body: bytes) -> bytes:
    """What makes two requests the same: method, path, query and body, the body as
    canonical JSON when it is JSON (keys sorted, spacing dropped), else its bytes."""
    digest = hashlib.sha256(f"{method} {path}?{query}\n".encode())
    digest.update(_canonical(body))
    return digest.digest()


def _canonical(body: bytes) -> bytes:
    if not body:
        return b""
    try:
        value = json.loads(body, parse_float=Decimal)
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode()
    except (ValueError, RecursionError):
        return body


def _names_a_version(if_match: str | None) -> bool:
    """Whether `If-Match` names an ETag, not only `*` (any version: no protection)."""
    candidates = (c.strip() for c in (if_match or "").split(","))
    return any(c and c != "*" for c in candidates)


async def _claim(session: AsyncSession, key_id: UUID, key: str) -> bool:
    """Hold the key until this request's transaction ends; False while another holds it."""
    held = await session.scalar(
        select(func.pg_try_advisory_xact_lock(func.hashtextextended(f"{key_id} {key}", 0)))
    )
    return bool(held)


async def _first(session: AsyncSession, key_id: UUID, key: str) -> IdempotencyRecord | None:
    found: IdempotencyRecord | None = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key
        )
    )
    return found


def replay(record: IdempotencyRecord) -> Response:
    """The first answer again, as it was sent, marked as a replay."""
    headers = dict(record.response_headers or {})
    content = record.response_content
    if content is None:  # a trade's first answer: app/trades/recorder.py keeps its JSON
        body = json.dumps(record.response_body, ensure_ascii=False, separators=(",", ":"))
        content = body.encode()
        headers.setdefault("content-type", "application/json")
    media_type = headers.pop("content-type", None)
    return Response(
        content,
        status_code=record.response_status,
        headers={**headers, REPLAYED: "true"},
        media_type=media_type,
    )


async def retry_safe(
    request: Request,
    session: Session,
    who: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=255, description=KEY_DESCRIPTION)
    ] = None,
) -> None:
    """428 without `If-Match` or `Idempotency-Key`; with a key, the first answer again (a
    replay), or a hook that keeps this answer as the first (see the module's docstring)."""
    if not idempotency_key:
        if _names_a_version(request.headers.get("if-match")):
            return  # the route checks it against the current version (412 when stale)
        raise PreconditionRequired()
    if not await _claim(session, who.key_id, idempotency_key):
        raise IdempotencyInFlight()
    digest = request_hash(request.method, request.url.path, request.url.query, await request.body())
    first = await _first(session, who.key_id, idempotency_key)
    if first is not None:
        if first.request_hash != digest:
            raise IdempotencyMismatch()
        raise Answered(replay(first))

    async def keep(response: Response) -> None:
        if not 200 <= response.status_code < 300:
            return
        session.add(
            IdempotencyRecord(
                api_key_id=who.key_id,
                key=idempotency_key,
                request_hash=digest,
                response_status=response.status_code,
                response_content=bytes(response.body),
                response_headers={
                    name: response.headers[name]
                    for name in KEPT_HEADERS
                    if name in response.headers
                },
            )
        )
        await session.flush()

    before_commit(request, keep)


RETRY_SAFE = Depends(retry_safe)


def marked(route: BaseRoute) -> bool:
    """Whether `route` is a step marked `dependencies=[RETRY_SAFE]`."""
    return isinstance(route, APIRoute) and any(
        isinstance(d, DependsParam) and d.dependency is retry_safe for d in route.dependencies
    )


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route of `routes`, those of included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def describe(routes: Iterable[BaseRoute]) -> None:
    """Say in each marked step's description how to retry it safely (the OpenAPI document
    and the docs read it). Once every router is included, before the document is made."""
    for route in api_routes(routes):
        if marked(route) and NOTE not in route.description:
            route.description += NOTE
