"""Checking what the server says against nothing but a public key you already trust:
checkpoints (C2SP signed notes), signed tree heads, ledger entries, inclusion and consistency
proofs, and webhooks."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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


def trust(*keys: str) -> dict[str, str]:
    """Trusted keys, each given as a hex Ed25519 public key or as a signed-note verifier key
    (`name+hash+base64(0x01 ‖ key)`, what `/verifier-key` serves), published by the
    exchange and obtained over a channel you trust."""
    found = {}
    for given in keys:
        public_key = parse_verifier_key(given)[1].hex() if "+" in given else given.lower()
        if len(bytes.fromhex(public_key)) != 32:
            raise ValueError(f"{given!r} is not an Ed25519 public key")
        found[key_id(public_key)] = public_key
    return found


# C2SP signed-note and tlog-checkpoint, written from the specs.
ED25519, COSIGNATURE_V1 = 0x01, 0x04
DASH = "\u2014"


def note_key_hash(name: str, signature_type: int, public_key: bytes) -> bytes:
    """SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key)
    return digest.digest()[:4]


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    """The name and Ed25519 public key of a verifier key `name+hash+base64(0x01 ‖ key)`;
    ValueError unless its hash is the key's."""
    name, _, rest = vkey.strip().partition("+")
    hash_hex, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{vkey!r} is not a verifier key") from exc
    if not name or len(raw) != 33 or raw[0] != ED25519:
        raise ValueError(f"{vkey!r} is not an Ed25519 verifier key")
    if claimed != note_key_hash(name, ED25519, raw[1:]):
        raise ValueError(f"{vkey!r}: the key hash is not the key's")
    return name, raw[1:]


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose signature a trusted key verified."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime | None  # the log's own timestamped cosignature, if any
    key_id: str
    note: str

    @property
    def log(self) -> str:
        return self.origin.rsplit("/", 1)[-1]

    def head(self) -> dict[str, Any]:
        """As a tree head: what proofs are checked against."""
        return {
            "venue_code": self.log,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "key_id": self.key_id,
            "checkpoint": self.note,
        }


def open_checkpoint(signed: str, trusted: TrustedKeys, log: str | None = None) -> Checkpoint:
    """The checkpoint in the signed note `signed`, if a trusted key signed it (signed-note:
    lines of unknown keys are skipped; a known key's bad signature rejects the note), and,
    when `log` is given, if it is that log's (its origin ends in `/<log>`). Returns its
    size, root and the time of the log's own cosignature. VerificationFailed otherwise."""
    text, blank, signatures = signed.rpartition("\n\n")
    if not blank or not signed.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in signed):
        raise VerificationFailed("the checkpoint is not a signed note")
    text += "\n"
    lines = text.split("\n")
    if len(lines) != 4 or not lines[1].isdigit() or (lines[1] != "0" and lines[1][0] == "0"):
        raise VerificationFailed("the note is not a checkpoint (origin, size, root)")
    origin, size = lines[0], int(lines[1])
    try:
        root_hash = base64.b64decode(lines[2], validate=True)
    except binascii.Error as exc:
        raise VerificationFailed("the checkpoint's root is not base64") from exc
    if len(root_hash) != 32:
        raise VerificationFailed("the checkpoint's root is not a SHA-256 hash")
    if log is not None and origin.rsplit("/", 1)[-1] != log:
        raise VerificationFailed(f"the checkpoint is of {origin}, not of the log {log}")
    by_hash: dict[bytes, tuple[str, bytes, int]] = {}
    for kid, public_hex in trusted.items():
        public_key = bytes.fromhex(public_hex)
        by_hash[note_key_hash(origin, ED25519, public_key)] = (kid, public_key, ED25519)
        by_hash[note_key_hash(origin, COSIGNATURE_V1, public_key)] = (
            kid,
            public_key,
            COSIGNATURE_V1,
        )
    signer, timestamp = None, None
    for line in signatures.removesuffix("\n").split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != DASH or not name or not encoded:
            raise VerificationFailed("a malformed signature line")
        if name != origin:
            continue  # another key's (a witness): not ours to check
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise VerificationFailed("a signature is not base64") from exc
        known = by_hash.get(raw[:4])
        if known is None:
            continue
        kid, public_key, kind = known
        key = Ed25519PublicKey.from_public_bytes(public_key)
        try:
            if kind == ED25519:
                key.verify(raw[4:], text.encode())
                signer = kid
            else:
                when = int.from_bytes(raw[4:12], "big")
                key.verify(raw[12:], f"cosignature/v1\ntime {when}\n".encode() + text.encode())
                timestamp = datetime.fromtimestamp(when, UTC)
        except (InvalidSignature, ValueError) as exc:
            raise VerificationFailed(
                f"a signature by trusted key {kid} on the checkpoint of {origin}, size "
                f"{size}, is not valid"
            ) from exc
    if signer is None:
        raise VerificationFailed(f"the checkpoint of {origin} is signed by no trusted key")
    return Checkpoint(origin, size, root_hash, timestamp, signer, signed)


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


def verify_tree_head(head: Mapping[str, Any], trusted: TrustedKeys, log: str | None = None) -> None:
    """Raise VerificationFailed unless a trusted key signed exactly this head, and (when
    `log` is given) it is the head of that log."""
    if log is not None and head["venue_code"] != log:
        raise VerificationFailed(f"the head is of the log {head['venue_code']}, not of {log}")
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
