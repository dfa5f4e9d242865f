"""Where the domains are connected at start-up: the ledger's logs and leaf kinds
(app/logs.py), the cross-domain reactions (app/core/reactions.py), and the outbox's
audiences and fan-outs (app/outbox/). A lower domain emits a fact it defines; a higher one
reacts to it; only this module knows both.

Every entry point calls `register()` before serving or running a command: `create_app`,
the `shushang` CLI, the restore's verification, the tests. It is idempotent.
"""

from __future__ import annotations

from app import logs
from app.assessments import audience as assessments_audience
from app.assessments.reactions import ComplianceFailed
from app.assets import audience as assets_audience
from app.auth.reactions import KeyRevoked
from app.core.reactions import subscribe
from app.ip import audience as ip_audience
from app.ip import automatic as ip_automatic
from app.listings import audience as listings_audience
from app.listings import automatic as listings_automatic
from app.merchants import audience as merchants_audience
from app.outbox import audience as outbox_audience
from app.outbox import service as outbox
from app.products import audience as products_audience
from app.products.reactions import ProductRevised
from app.trades import audience as trades_audience
from app.webhooks import audience as webhooks_audience
from app.webhooks import fanout as webhooks_fanout
from app.webhooks import service as webhooks


def register_reactions() -> None:
    """Each reaction, in the order it runs. Listings first, then the registry: the order the
    direct calls had in `products/service.py _record_revision`."""
    subscribe(ProductRevised, listings_automatic.on_product_revised)
    subscribe(ProductRevised, ip_automatic.on_product_revised)
    subscribe(ComplianceFailed, listings_automatic.on_compliance_failed)
    subscribe(KeyRevoked, webhooks.on_key_revoked)


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
    outbox_audience.register("webhook", webhooks_audience.AUDIENCE)
    outbox_audience.audiences()  # every group has one, or LookupError now
    outbox.register_fan_out(webhooks_fanout.NAME, webhooks_fanout.QUEUE_DELIVERIES)


def register() -> None:
    """Idempotent: the ledger's logs and kinds, then the reactions, then the outbox."""
    logs.register()
    register_reactions()
    register_outbox()
