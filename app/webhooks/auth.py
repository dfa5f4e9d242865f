"""Who may keep and read webhook subscriptions.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# Create, change, delete subscriptions, redeliver: a merchant its own, operators any.
WebhooksWrite = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
# Read subscriptions and deliveries: a merchant its own, operators and auditors all.
WebhooksRead = Annotated[Principal, Depends(require(Role.operator, Role.merchant, Role.auditor))]
