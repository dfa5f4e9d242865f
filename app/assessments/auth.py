"""Who may run assessments of a product.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Run an assessment: a merchant of its own products (a self-check), assessors, operators.
AssessmentsRun = Annotated[Principal, Depends(require(Role.operator, Role.assessor, Role.merchant))]
