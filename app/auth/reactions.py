"""Facts about API keys that other domains react to (app/core/reactions.py, wired in
app/wiring.py): auth emits them and imports none of the reacting domains."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class KeyRevoked:
    """An API key was revoked (now, in this transaction)."""

    key_id: UUID
