"""Every log and kind of leaf, registered with the ledger in one place (as `app/models.py`
gathers every table): the ledger imports no domain, the domains register with it. A new
log (the `FIN` log of data assets) adds its domain's `register()` here."""

from __future__ import annotations

from app.ip import leaves as ip_leaves
from app.trades import leaves as trade_leaves


def register() -> None:
    """Idempotent: the app and the `shushang` commands each call it before using a log."""
    trade_leaves.register()
    ip_leaves.register()
