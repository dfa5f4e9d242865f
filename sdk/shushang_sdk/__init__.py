"""Shushang SDK: `Client` (blocking) and `AsyncClient` for the data-exchange API, and
verification of its ledger that trusts nothing but a known public key."""

from shushang_sdk.client import AsyncClient, Client
from shushang_sdk.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    ServerError,
    ServerUnavailable,
    ShushangError,
    Unauthorized,
    ValidationFailed,
    VerificationFailed,
)
from shushang_sdk.verify import trust, verify_webhook

__all__ = [
    "AsyncClient",
    "BadRequest",
    "Client",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RateLimited",
    "ServerError",
    "ServerUnavailable",
    "ShushangError",
    "Unauthorized",
    "ValidationFailed",
    "VerificationFailed",
    "trust",
    "verify_webhook",
]
