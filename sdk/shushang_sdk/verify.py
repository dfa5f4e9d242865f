"""Checking what the server says against nothing but a public key you already trust:
signed tree heads, ledger entries, inclusion and consistency proofs, and webhooks."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shushang_sdk import merkle
from shushang_sdk.errors import VerificationFailed

LOG_NAME = "shushang-ledger/1"

# Trusted public keys by key id (the first 16 hex digits of the key's SHA-256), hex.
TrustedKeys = Mapping[str, str]


def key_id(public_key_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


def trust(*public_keys_hex: str) -> dict[str, str]:
    """Trusted keys from their hex public keys (e.g. published by the exchange)."""
    return {key_id(k): k for k in public_keys_hex}


def tree_head_message(head: Mapping[str, Any]) -> bytes:
    """The signed message, rebuilt from the head's fields (never taken from the server)."""
    return rfc8785.dumps(
        {
            "log": LOG_NAME,
            "venue": head["venue_code"],
            "tree_size": head["tree_size"],
            "root_hash": head["root_hash"],
            "timestamp": datetime.fromisoformat(head["timestamp"]).isoformat(),
        }
    )


def verify_tree_head(head: Mapping[str, Any], trusted: TrustedKeys) -> None:
    """Raise VerificationFailed unless a trusted key signed exactly this head."""
    public_key = trusted.get(head["key_id"])
    if public_key is None:
        raise VerificationFailed(f"the head is signed by key {head['key_id']}, not a trusted one")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(head["signature"]), tree_head_message(head)
        )
    except (InvalidSignature, ValueError) as exc:
        raise VerificationFailed(
            f"the signature of the head of size {head['tree_size']} is not valid"
        ) from exc


def verify_entry(entry: Mapping[str, Any]) -> bytes:
    """The leaf hash of a ledger entry, after checking that the entry object, its canonical
    bytes and its leaf hash agree."""
    canonical = rfc8785.dumps(entry["entry"])
    if canonical != entry["entry_canonical"].encode():
        raise VerificationFailed(f"entry {entry['index']}: its JSON is not its canonical form")
    leaf = merkle.leaf_hash(canonical)
    if leaf.hex() != entry["leaf_hash"]:
        raise VerificationFailed(f"entry {entry['index']}: the leaf hash does not match")
    return leaf


def verify_inclusion(
    entry: Mapping[str, Any], proof: Mapping[str, Any], head: Mapping[str, Any]
) -> None:
    """The entry is leaf `index` of the tree the (already verified) head signs."""
    leaf = verify_entry(entry)
    if proof["tree_size"] != head["tree_size"]:
        raise VerificationFailed("the proof is for another tree size than the head")
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    root = bytes.fromhex(head["root_hash"])
    if not merkle.verify_inclusion(entry["index"], head["tree_size"], leaf, path, root):
        raise VerificationFailed(f"entry {entry['index']} is not in the signed tree")


def verify_consistency(
    old: Mapping[str, Any], new: Mapping[str, Any], proof: Mapping[str, Any]
) -> None:
    """The (verified) new head extends the (verified) old one: nothing was rewritten."""
    ok = merkle.verify_consistency(
        old["tree_size"],
        new["tree_size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        [bytes.fromhex(h) for h in proof["proof"]],
    )
    if not ok:
        raise VerificationFailed(
            f"the tree of size {new['tree_size']} does not extend the one of size "
            f"{old['tree_size']}: the log was rewritten"
        )


def verify_webhook(secret: str, body: bytes | str, headers: Mapping[str, str]) -> Any:
    """The event of a webhook request, if Shushang signed it with your subscription's
    secret (Standard Webhooks); VerificationFailed otherwise."""
    try:
        return Webhook(secret).verify(body, dict(headers))
    except WebhookVerificationError as exc:
        raise VerificationFailed(f"webhook: {exc}") from exc
