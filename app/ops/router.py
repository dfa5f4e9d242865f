"""Operations: `/healthz` (the process lives), `/readyz` (the database answers), `/metrics`."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import metrics
from app.core.errors import ServiceUnavailable, Unauthorized
from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import admit_role, authenticated
from app.web.openapi_docs import errors

router = APIRouter(tags=["operations"])
READERS = frozenset({Role.operator, Role.auditor})


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: answers 200 while the process serves, whatever the database does."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=errors(503))
async def readyz(request: Request) -> Health:
    """Readiness: 200 when the database answers within its timeout, 503 otherwise."""
    engine: AsyncEngine = request.app.state.engine
    timeout = request.app.state.settings.db_connect_timeout_seconds + 1
    try:
        async with asyncio.timeout(timeout), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable() from exc
    return Health(status="ready")


async def metrics_reader(
    request: Request, who: Annotated[Principal | None, Depends(authenticated)]
) -> None:
    """Operators and auditors (not counted against their rate limit, as probes are not);
    anyone when `SHUSHANG_METRICS_PUBLIC=true`."""
    if request.app.state.settings.metrics_public:
        return
    if who is None:
        raise Unauthorized()
    admit_role(who, READERS)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **errors(401, 403),
    },
    dependencies=[Depends(metrics_reader)],
)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus exposition: request counts and latency by route template, DB pool use.
    Needs an operator or auditor key (`Authorization: Bearer …` in the scrape config) unless
    `SHUSHANG_METRICS_PUBLIC=true`."""
    body, content_type = metrics.render(request.app.state.engine)
    return Response(body, media_type=content_type)
