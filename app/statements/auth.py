"""Who may read a merchant's statements.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# A merchant its own statements (another's are 404), operators and auditors all; assessors
# nothing (403), anonymous callers 401.
StatementsRead = Annotated[Principal, Depends(require(Role.operator, Role.merchant, Role.auditor))]
