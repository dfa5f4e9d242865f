"""Who may do what with programmes.

One name, one role set (STYLE.md "Role aliases per domain"). Reading a programme is public
(no alias); the eligible list and the claims name merchants, so only the staff read them all
and a merchant its own; the summary (申报汇总表) is the staff's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# The eligible list and the claims: operators and auditors all, a merchant its own rows.
ProgrammesRead = Annotated[Principal, Depends(require(Role.operator, Role.auditor, Role.merchant))]
# Claim: a merchant for itself, an operator for any merchant.
ProgrammesClaim = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
# The bureau's summary of every claim: operators and auditors.
ProgrammesStaff = Annotated[Principal, Depends(require(Role.operator, Role.auditor))]
