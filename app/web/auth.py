"""Who is calling: `OptionalPrincipal`, `CurrentPrincipal` and `require(...)` for roles.

The key itself is looked up by the `auth` domain (its `api_key` table): `create_app` hands
its lookup to this layer (`install`), which imports no domain (docs/architecture.md).

Role aliases live with their domain (`app/<domain>/auth.py`: `AssetsRead`, `AssetsWrite`, …),
named for the domain and what they allow; only the generic ones are here. One name, one role
set: `roles_of` reads a `require(...)` dependency's roles back, and a test holds the rule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import driver
from app.core.errors import Forbidden, RateLimited, Unauthorized
from app.core.i18n import Text
from app.core.principal import Principal, PrincipalLookup
from app.core.ratelimit import Rate
from app.core.roles import Role
from app.core.tokens import UNKNOWN_KEY, bearer_token, hash_token
from app.web.deps import Session


def install(state: Any, lookup: PrincipalLookup) -> None:
    """Where this app's keys are looked up (`create_app`: the auth domain's `principal_on`)."""
    state.principal_lookup = lookup


# Declares the scheme in the OpenAPI document; the header itself is read by `bearer_token`.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer shs_…`. Operators create keys.",
)


async def authenticated(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller's principal, not counted against its rate limit (probes); None for
    anonymous calls; 401 for a key that does not work."""
    return await _principal(request, session, None)


async def optional_principal(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller's principal, counted against its key's rate limit (429 when used up), in
    the statement that looks the key up (app/core/ratelimit.py)."""
    return await _principal(request, session, request.app.state.key_rate)


async def _principal(
    request: Request,
    session: AsyncSession,
    rate: Rate | None,
) -> Principal | None:
    """None only without an `Authorization` header: an empty one, another scheme or a key
    that does not work is 401 (DOMAIN.md "Keys")."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return None
    admitted_before: Principal | None = getattr(request.state, "principal", None)
    if admitted_before is not None:
        # The request runs again (a read that failed on the replica, app/web/replica.py): its
        # key was looked up and its token taken once already.
        return admitted_before
    token = bearer_token(authorization)
    lookup: PrincipalLookup = request.app.state.principal_lookup
    admitted = await lookup(await driver(session), hash_token(token), rate)
    if admitted.principal is None:
        raise Unauthorized(UNKNOWN_KEY)
    request.state.principal = admitted.principal
    if admitted.retry_after is not None:
        raise RateLimited(admitted.retry_after)
    return admitted.principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


# The roles each `require(...)` dependency admits, to read them back (`roles_of`).
_REQUIRED: dict[object, frozenset[Role]] = {}


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only the given roles (403 for the others, 401 for no key)."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        admit_role(principal, allowed)
        return principal

    _REQUIRED[dependency] = allowed
    return dependency


def roles_of(dependency: object) -> frozenset[Role] | None:
    """The roles a `require(...)` dependency admits; None for any other callable."""
    return _REQUIRED.get(dependency)


def admit_role(principal: Principal, allowed: frozenset[Role]) -> None:
    """403 unless the key has one of the `allowed` roles."""
    if principal.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(
            Text(
                f"This needs one of the roles: {names}; your key is {principal.role.value}.",
                f"此操作需要以下角色之一:{names};您的密钥角色为 {principal.role.value}。",
            )
        )


# Generic aliases, for what is the exchange's staff's alone.
OperatorOnly = Annotated[Principal, Depends(require(Role.operator))]
StaffRead = Annotated[Principal, Depends(require(Role.operator, Role.auditor))]
