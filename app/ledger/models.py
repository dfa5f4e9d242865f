"""The per-venue append-only Merkle logs: entries, complete-subtree hashes, signed heads."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, ForeignKey, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow

# Each venue has a log named by its code; data IP registrations have the registry log.
REGISTRY_LOG = "IPR"


class LedgerHead(Base):
    """How many leaves a venue's log has; its row lock orders the appends."""

    __tablename__ = "ledger_head"

    venue_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # a log's name
    size: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Base):
    """Leaf `index` of a venue's log: the RFC 8785 canonical JSON of a trade or trade event."""

    __tablename__ = "ledger_entry"

    venue_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # a log's name
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[UUID] = mapped_column(index=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerNode(Base):
    """The hash of the complete subtree at (level, index): leaves at level 0."""

    __tablename__ = "ledger_node"

    venue_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # a log's name
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeHead(Base):
    """A signed tree head (STH) as published."""

    __tablename__ = "ledger_tree_head"

    venue_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # a log's name
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(
        ForeignKey("ledger_signing_key.key_id", ondelete="RESTRICT")
    )


class Checkpoint(Base):
    """A log's latest signed checkpoint (C2SP tlog-checkpoint), re-signed at least every
    `checkpoint_interval_seconds` even when the log does not grow, so its age shows. One
    row per log, replaced by a newer signing; `TreeHead` keeps the first head of each size.

    `note` is the signed note as the log signed it: the body (origin, size, base64 root),
    a blank line, the log's Ed25519 signature and its timestamped cosignature. Witness
    cosignatures (`Cosignature`) are appended when it is served. `signature` signs the
    JSON head of the same size, root and timestamp (`signing.tree_head_message`)."""

    __tablename__ = "ledger_checkpoint"

    venue_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # a log's name
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(
        ForeignKey("ledger_signing_key.key_id", ondelete="RESTRICT")
    )


class Cosignature(Base):
    """A witness's cosignature (C2SP tlog-cosignature) on the checkpoint of `tree_size`
    with `origin`: served as the line `— <key_name> base64(key_hash ‖ signature)` after the
    log's own signatures. Checking and storing them is the witness endpoint's work."""

    __tablename__ = "ledger_cosignature"

    venue_code: Mapped[str] = mapped_column(String(16), primary_key=True)  # a log's name
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key_name: Mapped[str] = mapped_column(Text, primary_key=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(4), primary_key=True)
    origin: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes] = mapped_column(
        LargeBinary, doc="What follows the key hash: for Ed25519, timestamp (8) ‖ signature."
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SigningKey(Base):
    """Every public key that has signed tree heads, so old heads stay verifiable by key id."""

    __tablename__ = "ledger_signing_key"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
