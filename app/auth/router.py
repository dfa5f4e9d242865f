"""`/v1/api-keys`: operators create, list and revoke API keys; `/v1/me`: who a key is."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth import repository, service
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, MeOut
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.roles import Role
from app.web.auth import CurrentPrincipal, OperatorOnly
from app.web.deps import Session
from app.web.openapi_docs import errors

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])
me = APIRouter(prefix="/v1/me", tags=["api-keys"])


@me.get("", response_model=MeOut, responses=errors(401, 422))
async def who_am_i(session: Session, who: CurrentPrincipal) -> MeOut:
    """The caller: its key's id, role and name, and the key's merchant (id, name) for a
    merchant key. Any key; 401 without one."""
    return await service.me(session, who)


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 422),
)
async def create_api_key(
    data: ApiKeyCreate, session: Session, who: OperatorOnly, response: Response
) -> ApiKeyCreated:
    """Create a key. The response holds the token: store it now, it is never shown again."""
    key, token = await service.create(session, who, data.role, data.name, data.merchant_id)
    response.headers["Location"] = f"/v1/api-keys/{key.id}"
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "token": token}
    )


@router.get("", response_model=Page[ApiKeyOut], responses=errors(400, 401, 403, 422))
async def list_api_keys(
    session: Session,
    who: OperatorOnly,
    page: Annotated[PageParams, Depends(page_params)],
    role: Role | None = None,
    merchant_id: UUID | None = None,
    include_revoked: Annotated[bool, Query(description="Also list revoked keys.")] = False,
) -> Page[ApiKeyOut]:
    """Keys, oldest first, without their secrets."""
    rows = await repository.list_page(
        session,
        role=role.value if role else None,
        merchant_id=merchant_id,
        include_revoked=include_revoked,
        after=id_after(page),
        limit=page.limit,
    )
    items, next_cursor = cut(rows, page.limit, lambda k: [str(k.id)])
    return Page[ApiKeyOut](
        items=[ApiKeyOut.model_validate(k) for k in items], next_cursor=next_cursor
    )


@router.delete(
    "/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(401, 403, 404, 422),
)
async def revoke_api_key(key_id: UUID, session: Session, who: OperatorOnly) -> Response:
    """Revoke a key: from now on it gets 401. The key's record stays for the audit trail."""
    await service.revoke(session, who, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
