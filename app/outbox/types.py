"""Every event type, by group. Subscriptions and filters name a type, `group.*` or `*`."""

from __future__ import annotations

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "merchant": ("created", "updated"),
    "product": ("created", "revised"),
    "assessment": ("completed",),
    "listing": ("created", "submitted", "approved", "rejected", "suspended", "resumed", "delisted"),
    "trade": ("recorded", "confirmed", "delivered", "settled", "disputed", "refunded", "cancelled"),
    "ip_registration": (
        "submitted", "accepted", "rejected", "objected", "objection_upheld",
        "objection_dismissed", "granted", "renewed", "changed", "transferred", "licensed",
        "pledge_applied", "pledged", "pledge_withdrawn", "pledge_consented", "released",
        "cancelled", "revoked", "expired", "suspended", "reinstated",
    ),
    "certificate": (
        "granted", "renewed", "transferred", "revoked", "cancelled", "expired", "suspended",
        "reinstated",
    ),
    "data_asset": (
        "created", "updated", "cost_added", "capitalised", "disposed", "derecognised",
        "impaired", "written_down", "write_down_reversed", "cost_adjusted", "period_closed",
        "restatement_requested", "restatement_applied", "restatement_rejected",
        "estimates_revised", "reclassified",
    ),
    "programme": ("created",),
    "programme_claim": ("applied", "approved", "rejected", "paid"),
    "webhook": ("disabled",),
    "fee_waiver": ("created", "ended"),
}  # fmt: skip

ALL = frozenset(f"{group}.{name}" for group, names in EVENT_TYPES.items() for name in names)


def is_known_pattern(pattern: str) -> bool:
    """A type, `group.*` for a known group, or `*`."""
    if pattern == "*" or pattern in ALL:
        return True
    group, _, rest = pattern.partition(".")
    return rest == "*" and group in EVENT_TYPES


def matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])
