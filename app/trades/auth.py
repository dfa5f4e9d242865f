"""Who may record and read trades (DOMAIN.md "Who may do what"; the events each role may
append are app/trades/rules.py).

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Record a trade, append its events (each as app/trades/rules.py allows).
TradesRecord = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
# Read trades: merchants their own, operators and auditors all.
TradesRead = Annotated[Principal, Depends(require(Role.operator, Role.auditor, Role.merchant))]
