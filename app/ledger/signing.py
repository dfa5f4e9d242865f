"""Ed25519 signatures over tree heads.

The key is read from `SHUSHANG_LEDGER_SIGNING_KEY` (a PEM private key) or from
`<data_dir>/ledger-signing-key.pem`, created there on first start (mode 0600). Its key id
is the first 16 hex digits of SHA-256 of the raw public key. To rotate, point the setting
at a new key: heads signed before keep their key id, and the old public key stays in
`ledger_signing_key`, so they still verify.

The signed message is the RFC 8785 canonical JSON of
`{"log": "shushang-ledger/1", "venue": V, "tree_size": N, "root_hash": HEX, "timestamp": RFC3339}`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LOG_NAME = "shushang-ledger/1"
KEY_FILE = "ledger-signing-key.pem"


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def tree_head_message(venue: str, tree_size: int, root_hash: bytes, timestamp: datetime) -> bytes:
    return rfc8785.dumps(
        {
            "log": LOG_NAME,
            "venue": venue,
            "tree_size": tree_size,
            "root_hash": root_hash.hex(),
            "timestamp": timestamp.isoformat(),
        }
    )


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def signer_of(state: Any) -> Signer:
    """The process's signing key (the app's `state.signer`), loaded on first use, so that
    `shushang openapi` writes nothing."""
    if state.signer is None:
        settings = state.settings
        state.signer = load_or_create(settings.data_dir, settings.ledger_signing_key)
    signer: Signer = state.signer
    return signer


def load_or_create(data_dir: Path, pem: str | None) -> Signer:
    """The signing key from the setting, or the data directory's (created when missing)."""
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    else:
        path = data_dir / KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            created = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:  # several workers may start at once: the first one writes it
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(handle, "wb") as out:
                    out.write(created)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the ledger signing key must be an Ed25519 private key")
    return Signer(key)
