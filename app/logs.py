"""Every log and kind of leaf, registered with the ledger in one place (as `app/models.py`
gathers every table): the ledger imports no domain, the domains register with it: the
venues' trade logs, the registry's `IPR` and the data-asset register's `FIN`."""

from __future__ import annotations

from app.assets import leaves as asset_leaves
from app.ip import leaves as ip_leaves
from app.trades import leaves as trade_leaves


def register() -> None:
    """Idempotent: the app and the `shushang` commands each call it before using a log."""
    trade_leaves.register()
    ip_leaves.register()
    asset_leaves.register()
