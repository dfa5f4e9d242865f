"""Every table, imported in one place so Alembic and the metadata see them all."""

from app.assessments.models import Assessment
from app.assets.models import (
    DataAsset,
    DataAssetAccount,
    DataAssetCostItem,
    DataAssetMovement,
    DataAssetPeriodClose,
    DataAssetRestatement,
)
from app.audit.models import AuditEvent
from app.auth.models import ApiKey, RateLimitBucket
from app.contracts.models import Agreement, Negotiation, NegotiationStep
from app.core.db import Base
from app.fees.models import FeeWaiver
from app.ip.models import IpLicence, IpObjection, IpPledge, IpRegistration, IpStep
from app.ledger.models import (
    Checkpoint,
    Cosignature,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    SigningKey,
    TreeHead,
)
from app.listings.models import Listing, ListingEvent
from app.merchants.models import Certification, Merchant
from app.outbox.models import OutboxEvent
from app.products.models import Product, ProductRevision
from app.programmes.models import Programme, ProgrammeClaim
from app.samples.models import Sample, SampleChunk
from app.trades.models import Trade, TradeEvent
from app.venues.models import NegativeListVersion, Venue
from app.web.idempotency import IdempotencyRecord
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "Agreement",
    "ApiKey",
    "Assessment",
    "AuditEvent",
    "Base",
    "Certification",
    "Checkpoint",
    "Cosignature",
    "DataAsset",
    "DataAssetAccount",
    "DataAssetCostItem",
    "DataAssetMovement",
    "DataAssetPeriodClose",
    "DataAssetRestatement",
    "FeeWaiver",
    "IdempotencyRecord",
    "IpLicence",
    "IpObjection",
    "IpPledge",
    "IpRegistration",
    "IpStep",
    "LedgerEntry",
    "LedgerHead",
    "LedgerNode",
    "Listing",
    "ListingEvent",
    "Merchant",
    "NegativeListVersion",
    "Negotiation",
    "NegotiationStep",
    "OutboxEvent",
    "Product",
    "ProductRevision",
    "Programme",
    "ProgrammeClaim",
    "RateLimitBucket",
    "Sample",
    "SampleChunk",
    "SigningKey",
    "Trade",
    "TradeEvent",
    "TreeHead",
    "Venue",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
