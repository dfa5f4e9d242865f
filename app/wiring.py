"""Where the domains are connected at start-up: the ledger's logs and leaf kinds, and the
cross-domain reactions (app/core/reactions.py).

- **Leaf kinds.** The ledger imports no domain: each domain that appends to it registers its
  logs and kinds of leaf with `app/ledger/kinds.py` (the venues' trade logs, the registry's
  `IPR`, the data-asset register's `FIN`), gathered here as `app/models.py` gathers every
  table.
- **Reactions.** A lower domain emits a fact it defines; a higher one reacts to it, in the
  same transaction; only this module knows both.
- **Provided reads.** A lower domain that must read a higher one's fact declares a slot
  (app/core/provided.py); the higher one's query fills it here.

Every entry point calls `register()` before serving or running a command: `create_app`,
the `shushang` CLI, the restore's verification, the tests. It is idempotent.
"""

from __future__ import annotations

from app.assessments import repository as assessments
from app.assessments.reactions import ComplianceFailed
from app.assets import leaves as asset_leaves
from app.auth.reactions import KeyRevoked
from app.core.reactions import subscribe
from app.ip import automatic as ip_automatic
from app.ip import leaves as ip_leaves
from app.listings import automatic as listings_automatic
from app.listings import repository as listings
from app.merchants import repository as merchants
from app.products import repository as products
from app.products.reactions import ProductRevised
from app.trades import comparables
from app.trades import leaves as trade_leaves
from app.webhooks import service as webhooks


def register_leaf_kinds() -> None:
    """The ledger's logs and kinds of leaf: the app and the `shushang` commands need them
    before using a log (appending, proving, `shushang ledger verify`, a restore's check)."""
    trade_leaves.register()
    ip_leaves.register()
    asset_leaves.register()


def register_reactions() -> None:
    """Each reaction, in the order it runs. Listings first, then the registry: the order the
    direct calls had in `products/service.py _record_revision`."""
    subscribe(ProductRevised, listings_automatic.on_product_revised)
    subscribe(ProductRevised, ip_automatic.on_product_revised)
    subscribe(ComplianceFailed, listings_automatic.on_compliance_failed)
    subscribe(KeyRevoked, webhooks.on_key_revoked)


def provide_reads() -> None:
    """Which products are listed where (`listings`), to the catalog's visibility in
    `products` and to the merchants' counts of listed products; the trusted trades
    (`trades`) to the valuations of `assessments`."""
    assessments.MARKET.provide(comparables.market_comparables)
    products.LISTED.provide(listings.listed)
    merchants.LISTED.provide(listings.listed)


def register() -> None:
    """Idempotent: the ledger's logs and kinds, the reactions, the provided reads."""
    register_leaf_kinds()
    register_reactions()
    provide_reads()
