"""API key tokens: `shs_<role>_<43 url-safe chars>` (256 bits of entropy), hashed for storage.

The readable prefix tells a human (and secret scanners) what a leaked string is; the
random part makes a plain SHA-256 as safe to store as a slow password hash would be.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi.security.utils import get_authorization_scheme_param

from app.core.errors import Unauthorized
from app.core.i18n import Text
from app.core.roles import Role

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


UNKNOWN_KEY = Text("The API key is unknown or has been revoked.", "API 密钥不存在或已被吊销。")
BEARER_ONLY = Text("Use the Bearer scheme.", "请使用 Bearer 认证方式。")


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization` header that may name a key, `Bearer <token>` with a
    token of a key's shape; 401 for anything else (an empty header, another scheme, a
    string no key has). A request that sends the header is never anonymous."""
    scheme, token = get_authorization_scheme_param(authorization)
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(BEARER_ONLY)
    if not looks_like_token(token):
        raise Unauthorized(UNKNOWN_KEY)
    return token
