"""The four roles a key may speak for (DESIGN.md, Roles): the kernel knows them, so the
principal, the web layer and every domain can name them without importing `auth`."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a key speaks for (DESIGN.md, Roles)."""

    operator = "operator"
    merchant = "merchant"
    assessor = "assessor"
    auditor = "auditor"
