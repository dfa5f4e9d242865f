"""`/v1/ledgers/{log}`: checkpoints, signed tree heads, leaf hashes, tiles and proofs for
anyone to verify; entry contents for those the recorded row concerns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from app.core.config import Settings
from app.ledger import service
from app.ledger.signing import LOG_NAME, signer_of, tree_head_message
from app.web.auth import OperatorOnly, OptionalPrincipal, StaffRead
from app.web.deps import AppSettings, ReadSession, Session
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(
    prefix="/v1/ledgers/{venue_code}", tags=["ledger"], route_class=ReplicaAwareRoute
)

# `GET /v1/ledgers`: which logs there are (the routes above take one log by name).
logs_router = APIRouter(prefix="/v1/ledgers", tags=["ledger"], route_class=ReplicaAwareRoute)

VenueCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9]{1,15}$", examples=["HZDEX"])]
Index = Annotated[int, Query(ge=0, le=2**62)]


class TreeHeadOut(BaseModel):
    venue_code: str
    tree_size: int
    root_hash: str = Field(description="Hex SHA-256 (RFC 9162 MTH).")
    timestamp: datetime
    signature: str = Field(description="Hex Ed25519 signature over `signed_message`.")
    key_id: str
    public_key: str = Field(description="Hex raw Ed25519 public key of `key_id`.")
    signed_message: str = Field(
        description=f'RFC 8785 JSON of {{"log": "{LOG_NAME}", "venue", "tree_size", '
        '"root_hash", "timestamp"}: the exact bytes signed.'
    )
    checkpoint: str = Field(
        description="The same head as a C2SP checkpoint (signed note), as `/checkpoint` "
        "serves it: verify it with the key from `/verifier-key` and use its root."
    )


class EntryOut(BaseModel):
    """An entry with its contents: for operators, auditors and those the recorded row
    concerns (a trade's parties; a public registration's steps: anyone)."""

    venue_code: str
    index: int
    leaf_hash: str = Field(description="Hex SHA-256(0x00 ‖ entry).")
    entry: dict[str, Any] = Field(description="The trade, trade event or step as recorded.")
    entry_canonical: str = Field(
        description="RFC 8785 canonical JSON of `entry`: the hashed bytes."
    )
    kind: str
    ref_id: str = Field(description="The trade (or trade event) this leaf records.")


class LogOut(BaseModel):
    log: str = Field(description="Its name: a venue's code, `IPR`, `FIN`.", examples=["HZDEX"])
    tree_size: int = Field(
        description="Its number of leaves now (unsigned: verify its `/checkpoint`)."
    )


class LogsOut(BaseModel):
    items: list[LogOut]


class LeafHashOut(BaseModel):
    """An entry's public commitment: its leaf hash, without its contents."""

    index: int
    leaf_hash: str = Field(description="Hex SHA-256(0x00 ‖ entry).")


class LeafHashesOut(BaseModel):
    items: list[LeafHashOut]


class InclusionProofOut(BaseModel):
    venue_code: str
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str] = Field(description="Hex hashes, from the leaf upwards (RFC 9162).")


class ConsistencyProofOut(BaseModel):
    venue_code: str
    first: int
    second: int
    root_hash: str = Field(description="The root of the tree of size `second`.")
    proof: list[str] = Field(description="Hex hashes (RFC 9162 §2.1.4).")


NOTE = "text/plain; charset=utf-8"


@logs_router.get("", response_model=LogsOut, responses=errors(422))
async def list_logs(session: ReadSession) -> LogsOut:
    """Every log: each venue's that has had a leaf or a checkpoint, the IP registry's `IPR`
    and the data-asset register's `FIN`, with their sizes, by name. What
    `shushang-audit verify --all` verifies. Public, as their checkpoints are."""
    return LogsOut(
        items=[LogOut(log=log, tree_size=size) for log, size in await service.logs(session)]
    )


async def _signed(
    session: Session, request: Request, settings: Settings, venue_code: str
) -> service.SignedCheckpoint:
    return await service.checkpoint(
        session,
        signer_of(request.app.state),
        venue_code,
        settings.log_origin,
        timedelta(seconds=settings.checkpoint_interval_seconds),
        service.configured_witnesses(settings.witness_keys),
    )


@router.get("/tree-head", response_model=TreeHeadOut, responses=errors(404, 422))
async def get_tree_head(
    venue_code: VenueCode, session: Session, request: Request, settings: AppSettings
) -> TreeHeadOut:
    """The log's latest signed tree head, as JSON and as its C2SP checkpoint. Public."""
    signed = await _signed(session, request, settings, venue_code)
    head = signed.checkpoint
    return TreeHeadOut(
        venue_code=venue_code,
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        signature=head.signature.hex(),
        key_id=head.key_id,
        public_key=signed.public_key.hex(),
        signed_message=tree_head_message(
            venue_code, head.tree_size, head.root_hash, head.timestamp
        ).decode(),
        checkpoint=signed.note,
    )


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={200: {"content": {NOTE: {"schema": {"type": "string"}}}}, **errors(404, 422)},
)
async def get_checkpoint(
    venue_code: VenueCode, session: Session, request: Request, settings: AppSettings
) -> PlainTextResponse:
    """The log's latest checkpoint (C2SP tlog-checkpoint), a signed note: origin
    `<log origin>/<log>`, tree size, base64 root, a blank line, the log's Ed25519 signature,
    its timestamped cosignature (C2SP tlog-cosignature: the time it was signed), then any
    witnesses' cosignatures. Re-signed at least every checkpoint interval. Public."""
    signed = await _signed(session, request, settings, venue_code)
    return PlainTextResponse(
        signed.note, media_type=NOTE, headers={"Cache-Control": "public, max-age=5"}
    )


@router.get(
    "/verifier-key",
    response_class=PlainTextResponse,
    responses={200: {"content": {NOTE: {"schema": {"type": "string"}}}}, **errors(404, 422)},
)
async def get_verifier_key(
    venue_code: VenueCode, session: Session, request: Request, settings: AppSettings
) -> PlainTextResponse:
    """The signed-note verifier key of the log's current signing key:
    `<origin>+<key hash>+base64(0x01 ‖ Ed25519 public key)`, as Go's
    `golang.org/x/mod/sumdb/note.NewVerifier` reads it. Fetch it once, over a channel you
    trust, and keep it: a key taken from the same answer as a checkpoint proves nothing."""
    await service.known_log(session, venue_code)
    key = service.verifier_key(signer_of(request.app.state), venue_code, settings.log_origin)
    return PlainTextResponse(key, media_type=NOTE)


class CosignaturesIn(BaseModel):
    checkpoint: str = Field(
        min_length=1,
        max_length=16_384,
        description="The log's checkpoint with the witnesses' cosignature lines appended: "
        "the note as `/checkpoint` served it (or its body, a blank line and any signature "
        "lines), followed by each witness's line `— <witness name> base64(key hash ‖ u64 "
        "time ‖ Ed25519 signature)` (C2SP tlog-cosignature v1), as a C2SP tlog-witness "
        "`add-checkpoint` answer is concatenated to its checkpoint. Lines of the log's own "
        "key are ignored; every other line must be a known witness's valid cosignature.",
        examples=[
            "shushang.local/ledgers/OTC\n5\nq2Zx…=\n\n— shushang.local/ledgers/OTC …\n"
            "— witness.example/w1 jWbPPw…==\n"
        ],
    )


class CosignatureOut(BaseModel):
    witness: str = Field(description="The witness's key name.")
    key_hash: str = Field(description="Hex 4-byte key hash (SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)).")
    timestamp: datetime = Field(description="When the witness cosigned.")


class CosignaturesOut(BaseModel):
    venue_code: str
    tree_size: int
    cosignatures: list[CosignatureOut] = Field(description="The cosignatures taken.")
    checkpoint: str = Field(description="The checkpoint as served now, with every cosignature.")


@router.post(
    "/cosignatures",
    response_model=CosignaturesOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def add_cosignatures(
    venue_code: VenueCode,
    data: CosignaturesIn,
    session: Session,
    request: Request,
    settings: AppSettings,
    who: OperatorOnly,
) -> CosignaturesOut:
    """Witnesses' cosignatures on the log's latest checkpoint (operator: a witness posts
    through the exchange's operator). Each is checked against the witness keys the service
    is configured with (`SHUSHANG_WITNESS_KEYS`) and kept, then served after the log's own
    signatures on `/checkpoint` and in `/tree-head` while the checkpoint has that size.
    422: not a checkpoint of this log, a witness not configured, a cosignature that does not
    verify or is dated in the future or before the log signed the checkpoint, no witness
    line at all. 409: a checkpoint the log never signed (another root: a fork), an older
    checkpoint than the latest (stale: cosign the new one), or an older cosignature than
    the witness's one already kept. Nothing is kept unless everything passes."""
    served, taken = await service.add_cosignatures(
        session,
        signer_of(request.app.state),
        venue_code,
        settings.log_origin,
        timedelta(seconds=settings.checkpoint_interval_seconds),
        service.configured_witnesses(settings.witness_keys),
        data.checkpoint,
        who,
    )
    return CosignaturesOut(
        venue_code=venue_code,
        tree_size=served.checkpoint.tree_size,
        cosignatures=[
            CosignatureOut(witness=c.witness, key_hash=c.key_hash.hex(), timestamp=c.timestamp)
            for c in taken
        ],
        checkpoint=served.note,
    )


@router.get(
    "/entries/{index}", response_model=EntryOut | LeafHashOut, responses=errors(401, 404, 422)
)
async def get_entry(
    venue_code: VenueCode,
    index: Annotated[int, Path(ge=0, le=2**62)],
    session: ReadSession,
    who: OptionalPrincipal,
) -> EntryOut | LeafHashOut:
    """Leaf `index` of the log. Its contents only to operators, auditors and the parties of
    the trade (for `IPR`: anyone for a public registration, else its merchant and staff);
    everyone else gets `{index, leaf_hash}`, which is all a proof needs."""
    found = await service.entry(session, venue_code, index)
    if not await service.may_read(session, who, found):
        return LeafHashOut(index=found.index, leaf_hash=found.leaf_hash.hex())
    return EntryOut(
        venue_code=venue_code,
        index=found.index,
        leaf_hash=found.leaf_hash.hex(),
        entry=service.parsed(found),
        entry_canonical=found.entry.decode(),
        kind=found.kind,
        ref_id=str(found.ref_id),
    )


@router.get("/leaf-hashes", response_model=LeafHashesOut, responses=errors(404, 422))
async def get_leaf_hashes(
    venue_code: VenueCode,
    start: Annotated[int, Query(ge=0, le=2**62, description="First index, inclusive.")],
    end: Annotated[
        int,
        Query(
            ge=1,
            le=2**62,
            description=f"Last index, exclusive; at most {service.LEAF_HASHES_MAX} past start.",
        ),
    ],
    session: ReadSession,
) -> LeafHashesOut:
    """The leaf hashes of entries [start, end) of the log. Public."""
    found = await service.leaf_hashes(session, venue_code, start, end)
    return LeafHashesOut(items=[LeafHashOut(index=i, leaf_hash=h.hex()) for i, h in found])


@router.get("/proofs/inclusion", response_model=InclusionProofOut, responses=errors(400, 404, 422))
async def get_inclusion_proof(
    venue_code: VenueCode, index: Index, tree_size: Index, session: ReadSession
) -> InclusionProofOut:
    """The audit path proving leaf `index` is in the tree of size `tree_size`. Public."""
    proof = await service.inclusion(session, venue_code, index, tree_size)
    assert proof.leaf_hash is not None
    return InclusionProofOut(
        venue_code=venue_code,
        index=index,
        tree_size=tree_size,
        leaf_hash=proof.leaf_hash.hex(),
        root_hash=proof.root_hash.hex(),
        audit_path=[h.hex() for h in proof.hashes],
    )


@router.get(
    "/proofs/consistency", response_model=ConsistencyProofOut, responses=errors(400, 404, 422)
)
async def get_consistency_proof(
    venue_code: VenueCode, first: Index, second: Index, session: ReadSession
) -> ConsistencyProofOut:
    """The proof that the tree of size `first` is a prefix of the tree of size `second`."""
    proof = await service.consistency(session, venue_code, first, second)
    return ConsistencyProofOut(
        venue_code=venue_code,
        first=first,
        second=second,
        root_hash=proof.root_hash.hex(),
        proof=[h.hex() for h in proof.hashes],
    )


OCTETS = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
# A partial tile never changes either, but the full one replaces it: clients should move on.
PARTIAL = "public, max-age=60"
TilePath = Annotated[
    str,
    Path(
        description="N as 3-digit groups, all but the last prefixed `x` (1234067 is "
        "`x001/x234/067`), then `.p/<W>` for a partial tile of W hashes.",
        examples=["000", "x001/x234/067.p/12"],
        max_length=200,
    ),
]


@router.get(
    "/tile/entries/{path:path}",
    response_class=Response,
    responses={200: {"content": {OCTETS: {}}}, **errors(401, 403, 404, 409, 422)},
)
async def get_entry_bundle(
    venue_code: VenueCode, path: TilePath, session: ReadSession, who: StaffRead
) -> Response:
    """An entry bundle (C2SP tlog-tiles): the entries of level-0 tile N, each a big-endian
    uint16 length and the entry's bytes. A bundle holds the trades of many parties, so only
    operators and auditors read bundles; everyone else reads the hash tiles and the entries
    they may see one by one."""
    found = await service.entry_bundle(session, venue_code, path)
    body = await service.bundle_bytes(session, venue_code, found)
    cache = "private, max-age=31536000, immutable" if found.full else "private, max-age=60"
    return Response(body, media_type=OCTETS, headers={"Cache-Control": cache})


@router.get(
    "/tile/{level}/{path:path}",
    response_class=Response,
    responses={200: {"content": {OCTETS: {}}}, **errors(404, 422)},
)
async def get_tile(
    venue_code: VenueCode,
    level: Annotated[str, Path(description="L, from 0 to 63.", max_length=2)],
    path: TilePath,
    session: ReadSession,
) -> Response:
    """A tile of the log's Merkle tree (C2SP tlog-tiles, height 8): the 32-byte hashes of
    the complete subtrees of 256**L leaves starting at leaf (N·256 + i)·256**L, i < W.
    Full tiles never change and may be cached forever. Public."""
    found = await service.tile(session, venue_code, level, path)
    body = await service.tile_hashes(session, venue_code, found)
    cache = IMMUTABLE if found.full else PARTIAL
    return Response(body, media_type=OCTETS, headers={"Cache-Control": cache})
