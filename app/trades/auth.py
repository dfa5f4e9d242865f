"""Who may record and read trades (DOMAIN.md "Who may do what"; the events each role may
append are app/trades/rules.py).

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Who may record a trade: an operator, or a merchant key its own off-venue sale. The trade
# lane (app/trades/recorder.py) admits the same set without a dependency.
RECORDERS = frozenset({Role.operator, Role.merchant})
# Record a trade, append its events (each as app/trades/rules.py allows).
TradesRecord = Annotated[Principal, Depends(require(*RECORDERS))]
# Read trades: merchants their own, operators and auditors all.
TradesRead = Annotated[Principal, Depends(require(Role.operator, Role.auditor, Role.merchant))]
