"""`/v1/transactions`: trades recorded once (idempotently), their events, and auditors' reads.

There is no PUT, PATCH or DELETE: a trade's record never changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import ClientDisconnect

from app.core.clock import INSTANT_BOUNDS, QueryInstant
from app.core.config import Settings
from app.core.context import current_request_id
from app.core.errors import BadRequest
from app.core.etags import set_etag
from app.core.i18n import Text, prefers_chinese
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.tokens import hash_token
from app.trades import export, imports, repository, service
from app.trades.auth import TradesRead, TradesRecord
from app.trades.lane import answered
from app.trades.recorder import GroupCommitter, Submission
from app.trades.repository import TradeFilter
from app.trades.schemas import (
    ImportAnswer,
    ImportLine,
    TradeCreate,
    TradeDetail,
    TradeEventCreate,
    TradeEventOut,
    TradeOut,
)
from app.venues.query import VenueFilter
from app.web.auth import OperatorOnly
from app.web.deps import AppSettings, PublicReadSession, ReadSession, Session
from app.web.idempotency import RETRY_SAFE
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute
from app.web.streaming import PacedStreamingResponse

router = APIRouter(prefix="/v1/transactions", tags=["transactions"], route_class=ReplicaAwareRoute)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Required. A retry with the same key and body gets the first response.",
    ),
]


@router.post(
    "",
    response_model=TradeOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 401, 403, 404, 409, 422),
)
async def record_trade(
    request: Request,
    data: TradeCreate,
    who: TradesRecord,
    idempotency_key: IdempotencyKey = None,
) -> TradeOut | Response:
    """Record a trade (operator; or a merchant registering its own off-venue sale). The
    answer names its venue and leaf index in the venue's ledger; 201 means both are durable.
    A retry with the same key and body gets the first answer again, with
    `Idempotent-Replayed: true`."""
    # Well-formed requests are taken by the trade lane (app/trades/lane.py) before they get
    # here; this answers the others, and records what they carry the same way.
    if not idempotency_key:
        raise BadRequest(
            Text("The Idempotency-Key header is required.", "缺少 Idempotency-Key 请求头。")
        )
    _, token = get_authorization_scheme_param(request.headers.get("authorization"))
    committer: GroupCommitter = request.app.state.committer
    answer = await committer.record(
        Submission(
            data=data,
            idempotency_key=idempotency_key,
            request_hash=service.request_hash(data),
            token_hash=hash_token(token),
            request_id=current_request_id(),
            who=who,
        )
    )
    return answered(answer)


_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media_type: {
                "schema": {
                    "type": "string",
                    "description": "JSON Lines (UTF-8): one trade a line, each the body of "
                    "`POST /v1/transactions` plus its own `idempotency_key` (`x-line-schema`).",
                },
                "x-line-schema": ImportLine.model_json_schema(),
            }
            for media_type in sorted(imports.MEDIA_TYPES)
        },
    }
}


@router.post(
    "/imports",
    response_model=ImportAnswer,
    responses={
        200: {"description": "One result per line, in order; streamed as batches commit."},
        **errors(401, 403, 413, 415, 422),
    },
    openapi_extra=_IMPORT_BODY,
)
async def import_trades(
    request: Request,
    who: OperatorOnly,
    session: Session,
    historical: Annotated[
        bool,
        Query(
            description="Past trades: an on-venue line may name no listing, or a listing that "
            "is suspended or delisted now (one never listed is still 409)."
        ),
    ] = False,
) -> Response:
    """Record many trades at once (operator): a JSON Lines body of at most
    `SHUSHANG_IMPORT_MAX_LINES` lines (413 beyond, and nothing applied), each a trade as
    `POST /v1/transactions` takes it plus its own `idempotency_key`. Lines are applied in
    order, each as its own request would be: `created` (a ledger leaf, in file order),
    `replayed` (its key was used for this very trade: the first trade), or `refused` with
    the problem that request would get; a refused line refuses nothing else. The answer
    streams as lines are decided; every `created` line in it is durable."""
    imports.check_media_type(request.headers.get("content-type"))
    # The key has been checked (reads only): give the connection back before a long upload.
    await session.close()
    settings: Settings = request.app.state.settings
    try:
        body = await imports.spool(request.stream(), settings.import_max_lines)
    except ClientDisconnect:  # gone, or refused by the body limit (which has answered)
        return Response(status_code=400)
    run = imports.Import(
        request.app.state.engine,
        who,
        historical=historical,
        request_id=current_request_id(),
        chinese=prefers_chinese(request.headers.get("accept-language")),
        large_amount=settings.large_trade_amount,
    )
    return StreamingResponse(run.answer(body), media_type="application/json")


async def _filter(
    venue_code: VenueFilter,
    merchant_id: Annotated[UUID | None, Query(description="As buyer or seller.")] = None,
    product_id: UUID | None = None,
    occurred_from: Annotated[
        QueryInstant | None, Query(description=f"occurred_at ≥ this; {INSTANT_BOUNDS}")
    ] = None,
    occurred_to: Annotated[
        QueryInstant | None, Query(description=f"occurred_at < this; {INSTANT_BOUNDS}")
    ] = None,
    amount_min: Annotated[Decimal | None, Query(ge=0, max_digits=15, decimal_places=2)] = None,
    amount_max: Annotated[Decimal | None, Query(ge=0, max_digits=15, decimal_places=2)] = None,
    on_venue: bool | None = None,
    confirmed: Annotated[
        bool | None,
        Query(description="Off-venue trades a merchant reported are unconfirmed until confirmed."),
    ] = None,
) -> TradeFilter:
    return TradeFilter(
        venue_code=venue_code,
        merchant_id=merchant_id,
        product_id=product_id,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        amount_min=amount_min,
        amount_max=amount_max,
        on_venue=on_venue,
        confirmed=confirmed,
    )


Filtered = Annotated[TradeFilter, Depends(_filter)]


@router.get("", response_model=Page[TradeOut], responses=errors(401, 403, 422))
async def list_trades(
    session: ReadSession,
    who: TradesRead,
    where: Filtered,
    page: Annotated[PageParams, Depends(page_params)],
    settings: AppSettings,
) -> Page[TradeOut]:
    """Trades, oldest first (auditors and operators: all; a merchant: its own)."""
    rows = await service.list_page(
        session, who, where, id_after(page), page.limit, settings.large_trade_amount
    )
    items, next_cursor = cut(rows, page.limit, lambda t: [str(t.id)])
    return Page[TradeOut](
        items=[TradeOut.model_validate(t) for t in items], next_cursor=next_cursor
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "CSV, UTF-8 with BOM; the filters of the list.",
        },
        **errors(401, 403, 422),
    },
)
async def export_trades(
    request: Request,
    who: TradesRead,
    where: Filtered,
    session: ReadSession,
    headers: Annotated[
        Literal["en", "zh"] | None,
        Query(
            description="`zh`: column headers in Chinese (the default when `Accept-Language` "
            "prefers Chinese); `en`: the column names."
        ),
    ] = None,
) -> StreamingResponse:
    """Every matching trade as CSV (UTF-8 with BOM, so Excel reads Chinese), in constant
    memory: the same filters and visibility as the list; cells that would start a formula
    get a `'`; times in Asia/Shanghai. After the trade's own columns: the parties'
    registered names (`seller_name`, `buyer_name`), its `status` now (its last event other
    than `confirmed`, else `confirmed` or `unconfirmed`), its `last_event`, and
    `occurred_at_local` (`YYYY-MM-DD HH:MM:SS`, Asia/Shanghai, which Excel reads as a
    date). A client that stops reading is cut off."""
    settings: Settings = request.app.state.settings
    chinese = (
        headers == "zh"
        if headers is not None
        else prefers_chinese(request.headers.get("Accept-Language"))
    )
    spool = await export.spooled_csv(
        session, who, where, settings.large_trade_amount, chinese=chinese
    )
    return PacedStreamingResponse(
        export.pieces(spool),
        send_timeout_seconds=settings.response_send_timeout_seconds,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="transactions.csv"',
            "Vary": "Accept-Language",
        },
    )


@router.get("/{trade_id}", response_model=TradeDetail, responses=errors(401, 403, 404, 422))
async def get_trade(
    trade_id: UUID,
    session: PublicReadSession,
    who: TradesRead,
    settings: AppSettings,
    response: Response,
) -> TradeDetail:
    """One trade with its events. The ETag's version is the number of its events (the trade
    itself never changes): the `If-Match` of its next event."""
    trade = await service.get_visible(session, who, trade_id, settings.large_trade_amount)
    events = await repository.events(session, trade.id)
    set_etag(response, len(events))
    return TradeDetail.model_validate(
        {
            **TradeOut.model_validate(trade).model_dump(),
            "events": [TradeEventOut.model_validate(e) for e in events],
        }
    )


@router.post(
    "/{trade_id}/events",
    response_model=TradeEventOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 409, 412, 422, 428),
    dependencies=[RETRY_SAFE],
)
async def add_trade_event(
    trade_id: UUID,
    data: TradeEventCreate,
    session: Session,
    who: TradesRecord,
    if_match: Annotated[
        str | None, Header(description="The trade's ETag (its version: its events so far).")
    ] = None,
) -> TradeEventOut:
    """Append confirmed, delivered, settled, disputed, refunded or cancelled: each is a leaf
    of the trade's venue ledger too. Who may append which (403 otherwise) depends on what
    the caller is to the trade, on- or off-venue (DOMAIN.md, "Trade events by role"): the
    counterparty of a merchant's off-venue report confirms it; its seller delivers and
    settles it once confirmed; its reporter may cancel it while unconfirmed; operators
    append any event. Out of order is 409."""
    event = await service.add_event(session, who, trade_id, data, if_match)
    return TradeEventOut.model_validate(event)
