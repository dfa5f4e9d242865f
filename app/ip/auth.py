"""Who may take the steps of a data-IP registration.

One name, one role set (STYLE.md "Role aliases per domain")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.principal import Principal
from app.core.roles import Role
from app.web.auth import require

# The applicant's, holder's and pledgee's steps (apply, renew, change, transfer, license,
# pledge, release, cancel): a merchant as the service allows, operators any.
IpHolderSteps = Annotated[Principal, Depends(require(Role.operator, Role.merchant))]
# The registrar's steps (examine, reject, decide objections, grant, consent to a pledge,
# revoke, reinstate): operators only.
IpRegistrarSteps = Annotated[Principal, Depends(require(Role.operator))]
