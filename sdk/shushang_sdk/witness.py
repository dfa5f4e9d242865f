"""A witness for Shushang's logs, with C2SP tlog-witness semantics, and the check of
witness cosignatures (C2SP tlog-cosignature) on a checkpoint.

A witness keeps, per log (per checkpoint origin), the size and root of the latest checkpoint
it verified. Each round it fetches the log's checkpoint, opens it with the log's key given
to it (never one read from the log), and proves it consistent with what it kept: a bigger
tree by an RFC 9162 consistency proof from its old size, the same size by the same root. Only
then it keeps the new size and root (before cosigning: a cosignature is never given for a
state the witness did not persist), and cosigns: an Ed25519 `cosignature/v1` line dated now.
A checkpoint that is not consistent (a smaller tree, another root at a size it saw, a proof
that does not verify) is a fork: it refuses to cosign, keeps the checkpoint as evidence in
its state file and reports it.

tlog-witness has the log push checkpoints to the witness's `add-checkpoint` endpoint. Here
the witness pulls instead and posts its cosignature to the log's
`POST /v1/ledgers/{log}/cosignatures`, which takes operator keys only: in this deployment a
witness posts through the exchange's operator. The checks are the same ones
`add-checkpoint` makes (old size, consistency proof, same root at the same size, persist
before answering); the endpoint itself is not built.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shushang_sdk import merkle
from shushang_sdk.errors import Conflict, VerificationFailed, from_response
from shushang_sdk.verify import DASH, ED25519, TrustedKeys, open_checkpoint

COSIGNATURE_V1 = 0x04


def _key_hash(name: str, signature_type: int, public_key: bytes) -> bytes:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key)
    return digest.digest()[:4]


def _bad_name(name: str) -> bool:
    return not name or any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public identity: its key name and Ed25519 public key."""

    name: str
    public_key: bytes

    @property
    def key_hash(self) -> bytes:
        """SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4], the key hash of its cosignature lines."""
        return _key_hash(self.name, COSIGNATURE_V1, self.public_key)

    @property
    def vkey(self) -> str:
        """`name+hash+base64(0x04 ‖ key)`: what the exchange's SHUSHANG_WITNESS_KEYS and
        `shushang-audit verify --witness-key` take."""
        encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"


def parse_witness_key(vkey: str) -> WitnessKey:
    """A witness verifier key `name+hash+base64(type ‖ Ed25519 key)`, type 0x04 (tlog-
    cosignature) or 0x01; ValueError unless its hash is the key's."""
    name, _, rest = vkey.strip().partition("+")
    hash_hex, _, encoded = rest.partition("+")
    try:
        raw = base64.b64decode(encoded, validate=True)
        claimed = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{vkey!r} is not a verifier key (name+hash+base64)") from exc
    if _bad_name(name) or len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise ValueError(f"{vkey!r} is not an Ed25519 verifier key")
    if claimed != _key_hash(name, raw[0], raw[1:]):
        raise ValueError(f"{vkey!r}: the key hash is not the key's")
    return WitnessKey(name, raw[1:])


def _message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature signs: `cosignature/v1`, `time <t>`, the note text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def _note_text(signed: str) -> str:
    text, blank, _ = signed.rpartition("\n\n")
    if not blank:
        raise VerificationFailed("the checkpoint is not a signed note")
    return text + "\n"


def cosignatures(signed: str, witnesses: Sequence[WitnessKey]) -> dict[str, datetime]:
    """The witnesses among `witnesses` whose valid cosignature the checkpoint note carries,
    with the time each cosigned. Lines of other keys are skipped (signed-note); a known
    witness's line that does not verify rejects the note (VerificationFailed)."""
    text = _note_text(signed)
    by_hash = {(w.name, w.key_hash): w for w in witnesses}
    found: dict[str, datetime] = {}
    for line in signed.rpartition("\n\n")[2].removesuffix("\n").split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        witness = by_hash.get((name, raw[:4]))
        if dash != DASH or witness is None:
            continue
        when = int.from_bytes(raw[4:12], "big")
        try:
            if len(raw) != 76:
                raise ValueError("not an Ed25519 cosignature")
            Ed25519PublicKey.from_public_bytes(witness.public_key).verify(
                raw[12:], _message(text, when)
            )
        except (InvalidSignature, ValueError) as exc:
            raise VerificationFailed(f"the cosignature of witness {name} is not valid") from exc
        found[name] = datetime.fromtimestamp(when, UTC)
    return found


class Witness:
    """A witness's signing key, kept in a PEM file created (mode 0600) on first use."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if _bad_name(name):
            raise ValueError(f"{name!r} is not a key name (no spaces or '+')")
        self.name = name
        self.private_key = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key = WitnessKey(name, raw)

    @classmethod
    def load_or_create(cls, name: str, path: Path) -> tuple[Witness, bool]:
        """The witness of the key in `path`, made there if missing: (witness, created)."""
        created = False
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            with contextlib.suppress(FileExistsError):  # another run made it first: use it
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(handle, "wb") as out:
                    out.write(pem)
                created = True
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(name, key), created

    def cosign(self, signed: str, timestamp: int) -> str:
        """The cosignature line on the checkpoint note `signed`, dated `timestamp`."""
        text = _note_text(signed)
        signature = self.private_key.sign(_message(text, timestamp))
        raw = self.key.key_hash + timestamp.to_bytes(8, "big") + signature
        return f"{DASH} {self.name} {base64.b64encode(raw).decode()}\n"


class Fork(VerificationFailed):
    """The log showed a checkpoint inconsistent with one the witness verified before."""


@dataclass(frozen=True)
class Round:
    """One witness round: the log, the size it cosigned (and from which it grew), the
    cosignature line, and the checkpoint as the log serves it after the post (if posted)."""

    log: str
    old_size: int
    tree_size: int
    line: str
    served: str | None


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    """The state file's lock for a whole round: checking the old size and keeping the new
    one are one step (tlog-witness: else two rounds could roll the state back)."""
    state.parent.mkdir(parents=True, exist_ok=True)
    with open(state.with_name(state.name + ".lock"), "a") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: one witness process at a time, please
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_state(state: Path) -> dict[str, Any]:
    if not state.exists():
        return {"logs": {}, "forks": []}
    loaded: dict[str, Any] = json.loads(state.read_text(encoding="utf-8"))
    loaded.setdefault("logs", {})
    loaded.setdefault("forks", [])
    return loaded


def _save(state: Path, saved: Mapping[str, Any]) -> None:
    partial = state.with_name(state.name + ".partial")
    partial.write_text(json.dumps(saved, indent=2, ensure_ascii=False), encoding="utf-8")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())  # persisted before any cosignature leaves the witness
    partial.replace(state)


class _Log:
    """The few requests a witness makes, straight over HTTP."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        if not response.is_success:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:500]}
            if not isinstance(problem, dict):
                problem = {"detail": str(problem)}
            raise from_response(response.status_code, problem, None)
        return response

    async def checkpoint(self, log: str) -> str:
        return (await self._send("GET", f"/v1/ledgers/{log}/checkpoint")).text

    async def consistency(self, log: str, first: int, second: int) -> list[bytes]:
        found = (
            await self._send(
                "GET",
                f"/v1/ledgers/{log}/proofs/consistency",
                params={"first": first, "second": second},
            )
        ).json()
        return [bytes.fromhex(h) for h in found["proof"]]

    async def post(self, log: str, cosigned: str) -> str:
        answer = await self._send(
            "POST", f"/v1/ledgers/{log}/cosignatures", json={"checkpoint": cosigned}
        )
        served: str = answer.json()["checkpoint"]
        return served


async def _observe(
    source: _Log, log: str, signed: str, trusted: TrustedKeys, state: Path
) -> tuple[int, int]:
    """Check the log's checkpoint `signed` against the state and keep it: (old size, new
    size). Fork when it is not consistent with what the state kept (evidence saved)."""
    checkpoint = open_checkpoint(signed, trusted, log)
    saved = load_state(state)
    kept = saved["logs"].get(checkpoint.origin)
    old_size = kept["tree_size"] if kept else 0
    why = None
    if kept is not None:
        old_root = base64.b64decode(kept["root_hash"])
        if checkpoint.tree_size < old_size:
            why = f"the log shrank from {old_size} to {checkpoint.tree_size} entries"
        elif checkpoint.tree_size == old_size and checkpoint.root_hash != old_root:
            why = f"two roots for size {old_size}: the log was rewritten"
        elif checkpoint.tree_size > old_size > 0:
            proof = await source.consistency(log, old_size, checkpoint.tree_size)
            if not merkle.verify_consistency(
                old_size, checkpoint.tree_size, old_root, checkpoint.root_hash, proof
            ):
                why = (
                    f"the tree of size {checkpoint.tree_size} does not extend the tree of "
                    f"size {old_size} this witness verified: the log forked"
                )
    if why is not None:
        saved["forks"].append(
            {
                "origin": checkpoint.origin,
                "seen_at": datetime.now(UTC).isoformat(),
                "why": why,
                "verified": kept,
                "refused_checkpoint": signed,
            }
        )
        _save(state, saved)
        raise Fork(f"{checkpoint.origin}: {why}; not cosigned")
    saved["logs"][checkpoint.origin] = {
        "tree_size": checkpoint.tree_size,
        "root_hash": base64.b64encode(checkpoint.root_hash).decode(),
        "checkpoint": signed,
        "verified_at": datetime.now(UTC).isoformat(),
    }
    _save(state, saved)
    return old_size, checkpoint.tree_size


async def witness_round(
    http: httpx.AsyncClient,
    log: str,
    trusted: TrustedKeys,
    witness: Witness,
    state: Path,
    post: bool = True,
    attempts: int = 3,
) -> Round:
    """One round: fetch, verify, check consistency, keep, cosign and (with `post`) post the
    cosignature. A log that signs a newer checkpoint between the fetch and the post answers
    409 (stale): the round starts again with it, up to `attempts` times. Fork on an
    inconsistent checkpoint; VerificationFailed on a bad signature; the SDK's errors for
    an HTTP problem."""
    source = _Log(http)
    for attempt in range(attempts):
        signed = await source.checkpoint(log)
        with _locked(state):
            old_size, size = await _observe(source, log, signed, trusted, state)
        line = witness.cosign(signed, int(time.time()))
        if not post:
            return Round(log, old_size, size, line, None)
        try:
            served = await source.post(log, signed + line)
        except Conflict as exc:  # stale: the log signed a newer checkpoint meanwhile
            if "tree_size" in exc.problem and attempt + 1 < attempts:
                continue
            raise
        return Round(log, old_size, size, line, served)
    raise AssertionError("unreachable")  # the last attempt returns or raises
