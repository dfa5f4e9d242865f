"""Where the domains are connected at start-up: the ledger's logs and leaf kinds
(app/logs.py) and the cross-domain reactions (app/core/reactions.py). A lower domain emits a
fact it defines; a higher one reacts to it; only this module knows both.

Every entry point calls `register()` before serving or running a command: `create_app`,
the `shushang` CLI, the restore's verification, the tests. It is idempotent.
"""

from __future__ import annotations

from app import logs
from app.assessments.reactions import ComplianceFailed
from app.auth.reactions import KeyRevoked
from app.core.reactions import subscribe
from app.ip import automatic as ip_automatic
from app.listings import automatic as listings_automatic
from app.products.reactions import ProductRevised
from app.webhooks import service as webhooks


def register_reactions() -> None:
    """Each reaction, in the order it runs. Listings first, then the registry: the order the
    direct calls had in `products/service.py _record_revision`."""
    subscribe(ProductRevised, listings_automatic.on_product_revised)
    subscribe(ProductRevised, ip_automatic.on_product_revised)
    subscribe(ComplianceFailed, listings_automatic.on_compliance_failed)
    subscribe(KeyRevoked, webhooks.on_key_revoked)


def register() -> None:
    """Idempotent: the ledger's logs and kinds, then the reactions."""
    logs.register()
    register_reactions()
