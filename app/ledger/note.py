"""Checkpoints as C2SP signed notes. Pure.

    <origin>                      C2SP tlog-checkpoint: the note text, three lines
    <tree size>
    <base64 root hash>
                                  a blank line
    — <origin> base64(key hash ‖ Ed25519 signature of the text)        (type 0x01)
    — <origin> base64(key hash ‖ u64 time ‖ Ed25519 cosignature)       (type 0x04)
    — <witness> base64(…)                                              witnesses, if any

The log signs the text with its Ed25519 key (signed-note type 0x01, key name = origin):
this is the signature stock verifiers such as Go's `golang.org/x/mod/sumdb/note` check with
the verifier key `<origin>+<key hash>+base64(0x01 ‖ public key)`. The log adds no extension
line (tlog-checkpoint: NOT RECOMMENDED, unauditable); instead it dates the checkpoint with a
timestamped cosignature of its own (tlog-cosignature, type 0x04, same key and name, message
`cosignature/v1\\ntime <t>\\n` + text: domain-separated from the note text, which begins with
the origin). Verifiers that do not know that key skip the line, as signed-note requires;
ours check it to see how old a checkpoint is. Witness cosignatures append after it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"


def key_hash(name: str, signature_type: int, public_key: bytes) -> bytes:
    """SHA-256(key name ‖ 0x0A ‖ type ‖ public key)[:4] (signed-note, tlog-cosignature)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The signed-note verifier key of an Ed25519 key: `name+hash+base64(0x01 ‖ key)`."""
    encoded = base64.b64encode(bytes([ED25519]) + public_key).decode()
    return f"{name}+{key_hash(name, ED25519, public_key).hex()}+{encoded}"


def origin_of(prefix: str, log: str) -> str:
    return f"{prefix}/{log}"


def body(origin: str, tree_size: int, root_hash: bytes) -> str:
    """The checkpoint's note text (with its final newline)."""
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n"


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature (tlog-cosignature v1) signs."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(key_id + signature).decode()}\n"


def sign(
    sign_with: Callable[[bytes], bytes],
    public_key: bytes,
    origin: str,
    tree_size: int,
    root_hash: bytes,
    timestamp: int,
) -> str:
    """The checkpoint, signed by the log and dated by its own cosignature at `timestamp`
    (POSIX seconds)."""
    text = body(origin, tree_size, root_hash)
    signed = sign_with(text.encode())
    dated = timestamp.to_bytes(8, "big") + sign_with(cosigned_message(text, timestamp))
    return (
        text
        + "\n"
        + signature_line(origin, key_hash(origin, ED25519, public_key), signed)
        + signature_line(origin, key_hash(origin, COSIGNATURE_V1, public_key), dated)
    )


class BadNote(ValueError):
    """A checkpoint that is not signed as it should be."""


def open_checkpoint(signed: str, public_key: bytes) -> tuple[str, int, bytes, int | None]:
    """Check a checkpoint signed by the log's key (named as its origin): its origin, size,
    root and the time of the log's own cosignature (None without one). BadNote otherwise.
    Lines of other keys (witnesses) are skipped, as signed-note says."""
    text, blank, signatures = signed.rpartition("\n\n")
    if not blank or not signed.endswith("\n"):
        raise BadNote("not a signed note")
    text += "\n"
    lines = text.split("\n")
    if len(lines) != 4 or not lines[1].isdigit() or (lines[1].startswith("0") and lines[1] != "0"):
        raise BadNote("not a checkpoint")
    origin, size = lines[0], int(lines[1])
    try:
        root_hash = base64.b64decode(lines[2], validate=True)
    except ValueError as exc:
        raise BadNote("the root is not base64") from exc
    key = Ed25519PublicKey.from_public_bytes(public_key)
    signed_hash = key_hash(origin, ED25519, public_key)
    dated_hash = key_hash(origin, COSIGNATURE_V1, public_key)
    verified, timestamp = False, None
    for line in signatures.removesuffix("\n").split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != DASH or name != origin:
            continue
        try:
            raw = base64.b64decode(encoded, validate=True)
            if raw[:4] == signed_hash:
                key.verify(raw[4:], text.encode())
                verified = True
            elif raw[:4] == dated_hash and len(raw) == 4 + 8 + 64:
                when = int.from_bytes(raw[4:12], "big")
                key.verify(raw[12:], cosigned_message(text, when))
                timestamp = when
        except (ValueError, InvalidSignature) as exc:
            raise BadNote(f"a signature of {name} does not verify") from exc
    if not verified:
        raise BadNote("no signature of the log's key")
    return origin, size, root_hash, timestamp
