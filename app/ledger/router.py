"""`/v1/ledgers/{venue}`: signed tree heads, entries and proofs, for anyone to verify."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from app.auth.dependencies import OptionalPrincipal
from app.deps import Session
from app.ledger import service
from app.ledger.signing import LOG_NAME, Signer, load_or_create, tree_head_message
from app.openapi_docs import errors

router = APIRouter(prefix="/v1/ledgers/{venue_code}", tags=["ledger"])

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


def _signer(request: Request) -> Signer:
    """The process's signing key, loaded on first use (so `shushang openapi` writes nothing)."""
    state = request.app.state
    if state.signer is None:
        settings = state.settings
        state.signer = load_or_create(settings.data_dir, settings.ledger_signing_key)
    signer: Signer = state.signer
    return signer


@router.get("/tree-head", response_model=TreeHeadOut, responses=errors(404, 422))
async def get_tree_head(venue_code: VenueCode, session: Session, request: Request) -> TreeHeadOut:
    """The venue log's latest signed tree head. Public."""
    head, public_key = await service.tree_head(session, _signer(request), venue_code)
    return TreeHeadOut(
        venue_code=venue_code,
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        signature=head.signature.hex(),
        key_id=head.key_id,
        public_key=public_key.hex(),
        signed_message=tree_head_message(
            venue_code, head.tree_size, head.root_hash, head.timestamp
        ).decode(),
    )


@router.get("/entries/{index}", response_model=EntryOut | LeafHashOut, responses=errors(404, 422))
async def get_entry(
    venue_code: VenueCode,
    index: Annotated[int, Path(ge=0, le=2**62)],
    session: Session,
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
    session: Session,
) -> LeafHashesOut:
    """The leaf hashes of entries [start, end) of the log. Public."""
    found = await service.leaf_hashes(session, venue_code, start, end)
    return LeafHashesOut(items=[LeafHashOut(index=i, leaf_hash=h.hex()) for i, h in found])


@router.get("/proofs/inclusion", response_model=InclusionProofOut, responses=errors(400, 404, 422))
async def get_inclusion_proof(
    venue_code: VenueCode, index: Index, tree_size: Index, session: Session
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
    venue_code: VenueCode, first: Index, second: Index, session: Session
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
