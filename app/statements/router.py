"""`GET /v1/merchants/{id}/statements/{YYYY-MM}?venue_code=`: a merchant's monthly statement
(对账单) at a venue, as JSON, XLSX or PDF."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response

from app.core.clock import QueryMonth
from app.statements import pdf, service, workbook
from app.statements.auth import StatementsRead
from app.statements.schemas import Statement
from app.venues.query import CODE_PATTERN
from app.web.deps import AppSettings, ReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/merchants", tags=["statements"], route_class=ReplicaAwareRoute)


def _format(request: Request, asked: str | None) -> str:
    """`?format=` wins; else `Accept` (the XLSX type or application/pdf); else JSON."""
    if asked:
        return asked
    accept = (request.headers.get("accept") or "").lower()
    if workbook.MEDIA_TYPE in accept:
        return "xlsx"
    if any(p.split(";")[0].strip() == pdf.MEDIA_TYPE for p in accept.split(",")):
        return "pdf"
    return "json"


@router.get(
    "/{merchant_id}/statements/{month}",
    response_model=Statement,
    responses={
        200: {
            "description": "The statement; as XLSX or PDF when `format` or `Accept` asks.",
            "content": {
                workbook.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                pdf.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **errors(401, 403, 404, 422),
    },
)
async def get_statement(
    merchant_id: UUID,
    month: Annotated[QueryMonth, Path(description="`YYYY-MM`, 1990-01 to 2100-12.")],
    request: Request,
    session: ReadSession,
    who: StatementsRead,
    settings: AppSettings,
    venue_code: Annotated[str, Query(pattern=CODE_PATTERN, description="The venue, e.g. `HZDEX`.")],
    format_: Annotated[
        str | None,
        Query(
            alias="format",
            pattern="^(json|xlsx|pdf)$",
            description="`json`, `xlsx` or `pdf`; else `Accept` decides.",
        ),
    ] = None,
) -> Any:
    """The merchant's statement (对账单) at the venue for the month (Asia/Shanghai): its
    trades there as seller (the fees it owes, with waivers) and as buyer, the adjustments of
    earlier closed months recorded while this month was open, the totals and `net_due`. A
    month closes on day `SHUSHANG_STATEMENT_CLOSE_DAY` (default 5) of the next month at
    00:00 Asia/Shanghai and never changes after: the same bytes and `content_sha256` (SHA-256
    of its RFC 8785 JSON without that field) for ever. The merchant itself, operators and
    auditors; another merchant's statements are 404."""
    body = await service.statement(
        session, who, merchant_id, venue_code, month, settings.statement_close_day
    )
    kind = _format(request, format_)
    if kind == "json":
        return body
    merchant_name, venue_name = await service.names(session, merchant_id, venue_code)
    name = f"statement-{venue_code}-{month}"
    if kind == "xlsx":
        return Response(
            content=workbook.render(body, venue_name, merchant_name),
            media_type=workbook.MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        content=pdf.render(body, venue_name, merchant_name),
        media_type=pdf.MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )
