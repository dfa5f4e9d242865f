"""Who may edit merchants.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Edit a merchant: a merchant itself, operators any (as the service allows).
MerchantsEdit = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
