"""Where the domains are connected at start-up: the ledger's logs and leaf kinds, the
cross-domain reactions (app/core/reactions.py), the provided reads (app/core/provided.py),
and the outbox's audiences and fan-outs (app/outbox/).

- **Leaf kinds.** The ledger imports no domain: each domain that appends to it registers its
  logs and kinds of leaf with `app/ledger/kinds.py` (the venues' trade logs, the registry's
  `IPR`, the data-asset register's `FIN`), gathered here as `app/models.py` gathers every
  table.
- **Reactions.** A lower domain emits a fact it defines; a higher one reacts to it, in the
  same transaction; only this module knows both.
- **Provided reads.** A lower domain that must read a higher one's fact declares a slot
  (app/core/provided.py); the higher one's query fills it here.
- **The outbox.** Each domain's rule of who reads its noun's events, and the webhooks'
  deliveries queued in the statement that emits an event.

Every entry point calls `register()` before serving or running a command: `create_app`,
the `shushang` CLI, the restore's verification, the tests. It is idempotent.
"""

from __future__ import annotations

from app.assessments import audience as assessments_audience
from app.assessments import repository as assessments
from app.assessments.reactions import ComplianceFailed
from app.assets import audience as assets_audience
from app.assets import leaves as asset_leaves
from app.auth.reactions import KeyRevoked
from app.contracts import leaves as contract_leaves
from app.core.reactions import subscribe
from app.fees import audience as fees_audience
from app.ip import audience as ip_audience
from app.ip import automatic as ip_automatic
from app.ip import leaves as ip_leaves
from app.listings import audience as listings_audience
from app.listings import automatic as listings_automatic
from app.listings import repository as listings
from app.merchants import audience as merchants_audience
from app.merchants import repository as merchants
from app.outbox import audience as outbox_audience
from app.outbox import service as outbox
from app.products import audience as products_audience
from app.products import repository as products
from app.products.reactions import ProductRevised
from app.programmes import audience as programmes_audience
from app.trades import audience as trades_audience
from app.trades import comparables
from app.trades import leaves as trade_leaves
from app.webhooks import audience as webhooks_audience
from app.webhooks import fanout as webhooks_fanout
from app.webhooks import service as webhooks


def register_leaf_kinds() -> None:
    """The ledger's logs and kinds of leaf: the app and the `shushang` commands need them
    before using a log (appending, proving, `shushang ledger verify`, a restore's check)."""
    trade_leaves.register()
    ip_leaves.register()
    asset_leaves.register()
    contract_leaves.register()


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


def register_outbox() -> None:
    """Each group of outbox events with the rule of the domain whose noun it is (who reads
    it at `/v1/events`), and the webhooks' deliveries queued in the statement that emits."""
    outbox_audience.register("merchant", merchants_audience.AUDIENCE)
    outbox_audience.register("product", products_audience.AUDIENCE)
    outbox_audience.register("assessment", assessments_audience.AUDIENCE)
    outbox_audience.register("listing", listings_audience.AUDIENCE)
    outbox_audience.register("trade", trades_audience.AUDIENCE)
    outbox_audience.register("ip_registration", ip_audience.REGISTRATION)
    outbox_audience.register("certificate", ip_audience.CERTIFICATE)
    outbox_audience.register("data_asset", assets_audience.AUDIENCE)
    outbox_audience.register("programme", programmes_audience.PROGRAMME)
    outbox_audience.register("programme_claim", programmes_audience.CLAIM)
    outbox_audience.register("webhook", webhooks_audience.AUDIENCE)
    outbox_audience.register("fee_waiver", fees_audience.AUDIENCE)
    outbox_audience.audiences()  # every group has one, or LookupError now
    outbox.register_fan_out(webhooks_fanout.NAME, webhooks_fanout.QUEUE_DELIVERIES)


def register() -> None:
    """Idempotent: the ledger's logs and kinds, the reactions, the provided reads, then the
    outbox."""
    register_leaf_kinds()
    register_reactions()
    provide_reads()
    register_outbox()
