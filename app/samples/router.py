"""`/v1/products/{id}/samples`: sample files of a product, their profiles and their bytes."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import StreamingResponse

from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.samples import repository, service
from app.samples.auth import SamplesWrite
from app.samples.schemas import SampleOut
from app.web.auth import CurrentPrincipal
from app.web.deps import AppSettings, PublicReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute
from app.web.streaming import PacedStreamingResponse

router = APIRouter(
    prefix="/v1/products/{product_id}/samples", tags=["samples"], route_class=ReplicaAwareRoute
)


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK) with a "
                            "header row, or JSON Lines.",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "",
    response_model=SampleOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 413, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_sample(
    product_id: UUID,
    request: Request,
    session: Session,
    who: SamplesWrite,
    settings: AppSettings,
    response: Response,
) -> SampleOut:
    """Upload a sample (multipart field `file`), streamed and capped at the upload limit
    (413 beyond). Answers with its row count, columns, inferred types, null counts and the
    SHA-256 of the bytes received; a malformed line is a 422 naming it."""
    sample = await service.upload(
        session, who, product_id, request.headers.get("content-type"), request.stream(), settings
    )
    response.headers["Location"] = f"/v1/products/{product_id}/samples/{sample.id}"
    return SampleOut.model_validate(sample)


@router.get("", response_model=Page[SampleOut], responses=errors(401, 404, 422))
async def list_samples(
    product_id: UUID,
    session: PublicReadSession,
    who: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[SampleOut]:
    """The product's samples, newest first."""
    await service.readable_product(session, who, product_id)
    rows = await repository.list_page(session, product_id, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda s: [str(s.id)])
    return Page[SampleOut](
        items=[SampleOut.model_validate(s) for s in items], next_cursor=next_cursor
    )


@router.get("/{sample_id}", response_model=SampleOut, responses=errors(401, 404, 422))
async def get_sample(
    product_id: UUID, sample_id: UUID, session: PublicReadSession, who: CurrentPrincipal
) -> SampleOut:
    """One sample's profile."""
    return SampleOut.model_validate(await service.get(session, who, product_id, sample_id))


@router.get(
    "/{sample_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "The bytes as uploaded: a CSV or JSON Lines sample.",
        },
        **errors(401, 404, 422),
    },
)
async def download_sample(
    product_id: UUID,
    sample_id: UUID,
    request: Request,
    session: Session,
    who: CurrentPrincipal,
    settings: AppSettings,
) -> StreamingResponse:
    """The sample's bytes exactly as uploaded (their SHA-256 is the sample's `sha256`).
    A client that takes nothing for `SHUSHANG_RESPONSE_SEND_TIMEOUT_SECONDS` is cut off
    (fewer bytes than the Content-Length)."""
    sample = await service.get(session, who, product_id, sample_id)
    media_type = "text/csv" if sample.format == "csv" else "application/x-ndjson"
    filename = sample.filename or f"sample-{sample.id}.{sample.format}"
    return PacedStreamingResponse(
        service.content(request.app.state.sessionmaker, sample.id),
        send_timeout_seconds=settings.response_send_timeout_seconds,
        media_type=media_type,
        headers={
            "Content-Length": str(sample.size_bytes),
            "ETag": f'"{sample.sha256}"',
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}",
        },
    )


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")
