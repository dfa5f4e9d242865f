"""The caller behind a request, as the API key resolves it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from app.core.roles import Role

# Audit events and revisions made by `shushang` commands (demo data) carry this key id.
COMMAND_LINE_KEY_ID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: UUID
    role: Role
    merchant_id: UUID | None
    name: str

    @property
    def is_operator(self) -> bool:
        return self.role is Role.operator

    def owns_merchant(self, merchant_id: UUID) -> bool:
        return self.role is Role.merchant and self.merchant_id == merchant_id

    def reads_everything(self) -> bool:
        """Operators, auditors and assessors read every merchant's records."""
        return self.role in (Role.operator, Role.auditor, Role.assessor)


def command_line(name: str) -> Principal:
    """The operator principal of a `shushang` command run on the server itself."""
    return Principal(key_id=COMMAND_LINE_KEY_ID, role=Role.operator, merchant_id=None, name=name)
