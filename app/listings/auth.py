"""Who may write listings.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# List a product: a merchant its own, operators any.
ListingsWrite = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
