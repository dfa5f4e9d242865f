"""Who may write fee-waiver rules: operators (reading them is public).

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Create a venue's waiver rule, end one.
FeesWrite = Annotated[Principal, Depends(require(Role.operator))]
