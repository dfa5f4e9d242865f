"""The caller behind a request, as the API key resolves it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from app.core.db import Driver
from app.core.ratelimit import Rate
from app.core.roles import Role

# Audit events and revisions made by `shushang` commands (demo data) carry this key id.
COMMAND_LINE_KEY_ID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: UUID
    role: Role
    merchant_id: UUID | None
    name: str

    @property
    def is_operator(self) -> bool:
        return self.role is Role.operator

    def owns_merchant(self, merchant_id: UUID) -> bool:
        return self.role is Role.merchant and self.merchant_id == merchant_id

    def reads_everything(self) -> bool:
        """Operators, auditors and assessors read every merchant's records."""
        return self.role in (Role.operator, Role.auditor, Role.assessor)


def command_line(name: str) -> Principal:
    """The operator principal of a `shushang` command run on the server itself."""
    return Principal(key_id=COMMAND_LINE_KEY_ID, role=Role.operator, merchant_id=None, name=name)


@dataclass(frozen=True, slots=True)
class Admitted:
    """A key's lookup: its principal (None: no live key), how many of the requests asked
    for its bucket admitted, and, for the others, the seconds until the bucket holds one
    again (None: every one admitted, or the key is not limited)."""

    principal: Principal | None
    granted: int = 1
    retry_after: int | None = None


# A key's lookup by its token's hash on a driver connection, taking one request from its
# bucket when a rate is given: app/auth/repository.py `principal_on`, handed to the HTTP
# layer by `create_app` (app/web/auth.py, app/web/middleware.py), which imports no domain.
PrincipalLookup = Callable[[Driver, bytes, Rate | None], Awaitable[Admitted]]
