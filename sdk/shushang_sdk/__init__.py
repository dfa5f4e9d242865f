"""Shushang SDK: `Client` (blocking) and `AsyncClient` for the data-exchange API, typed from
its OpenAPI document (`models` for answers, `params` for bodies and queries), and
verification of its ledger that trusts nothing but a known public key."""

from shushang_sdk import models, params
from shushang_sdk._model import Download, Json, Meta, Model
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
    "Download",
    "Forbidden",
    "Json",
    "Meta",
    "Model",
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
    "models",
    "params",
    "trust",
    "verify_webhook",
]
