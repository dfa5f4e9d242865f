"""Who may keep and read the data-asset register.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Merchants keep their own assets, operators anyone's; assessors: nothing.
AssetsWrite = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
# Read the register: merchants their own, operators and auditors all.
AssetsRead = Annotated[Principal, Depends(require(Role.operator, Role.merchant, Role.auditor))]
