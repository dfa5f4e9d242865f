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
from dataclasses import dataclass

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


def sign_text(sign_with: Callable[[bytes], bytes], public_key: bytes, name: str, text: str) -> str:
    """Any note text (each line ending in a newline), signed by `name`'s Ed25519 key as a
    signed note (type 0x01): e.g. an agreement's digest line `sha256:<hex>`, which
    `golang.org/x/mod/sumdb/note` verifies with `verifier_key(name, public_key)`."""
    return (
        text
        + "\n"
        + signature_line(name, key_hash(name, ED25519, public_key), sign_with(text.encode()))
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


# What a signed-note key name may not contain (C2SP signed-note): spaces and `+`.
def _bad_name(name: str) -> bool:
    return not name or any(c.isspace() or c == "+" or ord(c) < 0x20 or ord(c) == 0x7F for c in name)


@dataclass(frozen=True)
class Cosigner:
    """A witness: its key name and Ed25519 public key. Its cosignature lines carry the key
    hash of type 0x04 (tlog-cosignature), whatever type its verifier key was written with."""

    name: str
    public_key: bytes

    @property
    def key_hash(self) -> bytes:
        return key_hash(self.name, COSIGNATURE_V1, self.public_key)

    @property
    def vkey(self) -> str:
        """Its verifier key as tlog-cosignature writes one: `name+hash+base64(0x04 ‖ key)`."""
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"


def parse_cosigner(vkey: str) -> Cosigner:
    """A witness's verifier key, `name+hash+base64(type ‖ Ed25519 key)` with type 0x04
    (tlog-cosignature) or 0x01 (a plain signed-note key); ValueError unless the hash is the
    key's."""
    name, _, rest = vkey.strip().partition("+")
    hash_hex, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hash_hex)
    except ValueError as exc:
        raise ValueError(f"{vkey!r} is not a verifier key (name+hash+base64)") from exc
    if _bad_name(name) or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise ValueError(f"{vkey!r} is not an Ed25519 verifier key")
    if claimed != key_hash(name, raw[0], raw[1:]):
        raise ValueError(f"{vkey!r}: its hash is not the key's")
    return Cosigner(name, raw[1:])


@dataclass(frozen=True)
class Note:
    """A checkpoint note as written, its signatures not yet checked."""

    text: str  # origin, size, base64 root, each with its newline
    origin: str
    tree_size: int
    root_hash: bytes
    signatures: list[tuple[str, bytes]]  # (key name, key hash ‖ signature) per line


def parse(signed: str) -> Note:
    """The parts of a checkpoint note: BadNote unless it is one (C2SP tlog-checkpoint body
    of three lines, a blank line, one or more well-formed signature lines)."""
    text, blank, lines = signed.rpartition("\n\n")
    if not blank or not signed.endswith("\n") or "\r" in signed:
        raise BadNote("not a signed note: body, blank line, signature lines, each ending in \\n")
    if any(ord(c) < 0x20 and c != "\n" for c in signed):
        raise BadNote("a signed note has no control characters")
    text += "\n"
    body_lines = text.split("\n")
    size = body_lines[1] if len(body_lines) == 4 else ""
    if (
        not size.isdigit()
        or not size.isascii()
        or (size.startswith("0") and size != "0")
        or len(size) > 19
        or int(size) >= 1 << 63
    ):
        raise BadNote("not a checkpoint: origin, tree size, base64 root hash")
    try:
        root_hash = base64.b64decode(body_lines[2], validate=True)
    except ValueError as exc:
        raise BadNote("the root hash is not base64") from exc
    if len(root_hash) != 32 or _bad_name(body_lines[0]):
        raise BadNote("not a checkpoint: origin, tree size, base64 root hash")
    signatures = []
    for line in lines.removesuffix("\n").split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise BadNote(f"the signature of {name} is not base64") from exc
        if dash != DASH or _bad_name(name) or len(raw) < 5:
            raise BadNote("a signature line is `— <key name> base64(key hash ‖ signature)`")
        signatures.append((name, raw))
    return Note(text, body_lines[0], int(size), root_hash, signatures)


def cosignature_time(cosigner: Cosigner, text: str, raw: bytes) -> int:
    """The time of `cosigner`'s Ed25519 cosignature `raw` (key hash ‖ u64 time ‖ signature)
    on the note text: BadNote unless it verifies."""
    if len(raw) != 4 + 8 + 64 or raw[:4] != cosigner.key_hash:
        raise BadNote(f"the cosignature of {cosigner.name} is not an Ed25519 cosignature/v1")
    timestamp = int.from_bytes(raw[4:12], "big")
    if timestamp >= 1 << 63:
        raise BadNote(f"the cosignature of {cosigner.name} has no valid time")
    try:
        Ed25519PublicKey.from_public_bytes(cosigner.public_key).verify(
            raw[12:], cosigned_message(text, timestamp)
        )
    except InvalidSignature as exc:
        raise BadNote(f"the cosignature of {cosigner.name} does not verify") from exc
    return timestamp
