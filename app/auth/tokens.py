"""API key tokens: `shs_<role>_<43 url-safe chars>` (256 bits of entropy), hashed for storage.

The readable prefix tells a human (and secret scanners) what a leaked string is; the
random part makes a plain SHA-256 as safe to store as a slow password hash would be.
"""

from __future__ import annotations

import hashlib
import secrets

from app.auth.models import Role

TOKEN_PREFIX = "shs_"
_ROLE_TAG = {Role.operator: "op", Role.merchant: "mch", Role.assessor: "asr", Role.auditor: "aud"}
SHOWN_PREFIX_LENGTH = 12


def new_token(role: Role) -> str:
    return f"{TOKEN_PREFIX}{_ROLE_TAG[role]}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def shown_prefix(token: str) -> str:
    """The part of a token that may be displayed and logged to tell keys apart."""
    return token[:SHOWN_PREFIX_LENGTH]


def looks_like_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and 20 <= len(token) <= 128
