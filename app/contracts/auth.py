"""Who may negotiate and read contracts (DOMAIN.md "Contracts and delivery"): merchants
take the steps of their own negotiations (app/contracts/states.py says which); the parties,
operators and auditors read them.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Request a negotiation on a listing, take a step of one's own.
ContractsWrite = Annotated[Principal, Depends(require(Role.merchant))]
# Read negotiations and agreements: merchants theirs, operators and auditors all.
ContractsRead = Annotated[Principal, Depends(require(Role.operator, Role.auditor, Role.merchant))]
