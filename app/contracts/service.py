"""Contract negotiations (DSP states) and their agreements (DOMAIN.md "Contracts and
delivery").

A buyer merchant (the consumer) requests a negotiation on a listed listing with an offer;
the listing's merchant (the provider) offers, agrees and finalizes; the consumer accepts and
verifies; either party terminates before FINALIZED (app/contracts/states.py). Each step
locks the negotiation's row and checks its state under the lock, so that of two concurrent
steps one wins and the other meets the new state (409); each is a leaf of the listing's
venue log, appended in the step's transaction. At `agree` the agreement document is built
as RFC 8785 canonical JSON, its SHA-256 kept and signed by the venue as a signed note."""

from __future__ import annotations

import hashlib
from uuid import UUID

import rfc8785
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.contracts import odrl, repository
from app.contracts.entries import NEGOTIATION_STEP, step_entry
from app.contracts.models import Agreement, Negotiation, NegotiationStep
from app.contracts.schemas import OfferChange, OfferIn
from app.contracts.states import RULES, Party, State, Step
from app.core import signed_note
from app.core.db import driver, new_id, utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.principal import Principal
from app.ledger import sequencer
from app.ledger.signing import Signer
from app.listings import service as listings
from app.listings.states import ListingStatus
from app.merchants import service as merchants
from app.trades import service as trades

NEGOTIATION = Text("negotiation", "合约协商")
AGREEMENT = Text("agreement", "合约")
_ZH = {Party.consumer: "买方", Party.provider: "卖方"}


def _urn(value: UUID) -> str:
    return f"urn:uuid:{value}"


def _offer(negotiation_id: UUID, uscc: str, listing_id: UUID, data: OfferIn) -> dict[str, object]:
    return odrl.offer(
        f"{_urn(negotiation_id)}#offer-{new_id()}",
        uscc,
        _urn(listing_id),
        [right.value for right in data.rights],
        data.purpose,
        data.term_end,
    )


async def _step(
    session: AsyncSession,
    who: Principal,
    negotiation: Negotiation,
    action: Step,
    to_state: State,
    offer: dict[str, object] | None = None,
    agreement_sha256: str | None = None,
) -> NegotiationStep:
    now = utcnow()
    step = NegotiationStep(
        id=new_id(),
        negotiation_id=negotiation.id,
        action=action.value,
        from_state=None if action is Step.request else negotiation.state,
        to_state=to_state.value,
        offer=offer,
        agreement_sha256=agreement_sha256,
        recorded_by_key_id=who.key_id,
        recorded_by_role=who.role.value,
        created_at=now,
    )
    step.leaf_index = await sequencer.append(
        await driver(session),
        negotiation.venue_code,
        NEGOTIATION_STEP,
        step.id,
        step_entry(negotiation, step),
    )
    session.add(step)
    negotiation.state = to_state.value
    negotiation.updated_at = now
    await session.flush()
    await audit.record(
        session,
        who,
        f"negotiation.{action.value}",
        "negotiation",
        negotiation.id,
        {"step_id": str(step.id), "leaf_index": step.leaf_index, "state": to_state.value},
    )
    return step


async def request(
    session: AsyncSession, who: Principal, listing_id: UUID, data: OfferIn
) -> Negotiation:
    """A buyer's request on a listed listing of another merchant (REQUESTED)."""
    listing = await listings.get_visible(session, who, listing_id)
    if listing.status != ListingStatus.listed.value:
        raise Conflict(
            Text("Only a listed listing can be negotiated.", "只有已挂牌的产品可以协商合约。")
        )
    assert who.merchant_id is not None
    if listing.merchant_id == who.merchant_id:
        raise Forbidden(Text("A merchant cannot buy its own listing.", "商户不能购买自己的挂牌。"))
    provider = await merchants.get_visible(session, listing.merchant_id)
    now = utcnow()
    negotiation = Negotiation(
        id=new_id(),
        listing_id=listing.id,
        venue_code=listing.venue_code,
        consumer_merchant_id=who.merchant_id,
        provider_merchant_id=listing.merchant_id,
        state=State.REQUESTED.value,
        version=1,
        created_at=now,
        updated_at=now,
    )
    negotiation.offer = _offer(negotiation.id, provider.uscc, listing.id, data)
    session.add(negotiation)
    await session.flush()
    await _step(session, who, negotiation, Step.request, State.REQUESTED, negotiation.offer)
    return negotiation


async def get(session: AsyncSession, who: Principal, negotiation_id: UUID) -> Negotiation:
    found = await repository.get_visible(session, who, negotiation_id)
    if found is None:
        raise NotFound.of(NEGOTIATION, negotiation_id)
    return found


async def steps(session: AsyncSession, negotiation_id: UUID) -> list[NegotiationStep]:
    return await repository.steps(session, negotiation_id)


async def list_page(
    session: AsyncSession, who: Principal, after: UUID | None, limit: int
) -> list[Negotiation]:
    return await repository.list_page(session, who, after, limit)


def _terms(change: OfferChange | None) -> OfferIn | None:
    """New terms (all three fields), or None to keep those in force (none given)."""
    if change is None:
        return None
    given = change.model_dump(exclude_none=True)
    if not given:
        return None
    missing = [name for name in ("rights", "purpose", "term_end") if name not in given]
    if missing:
        raise ValidationFailed.field(
            ["body", missing[0]],
            Text("is required with the other terms", "与其他条款一并必填"),
        )
    return OfferIn.model_validate(given)


def _party(who: Principal, negotiation: Negotiation) -> Party | None:
    if who.owns_merchant(negotiation.consumer_merchant_id):
        return Party.consumer
    if who.owns_merchant(negotiation.provider_merchant_id):
        return Party.provider
    return None


async def take(
    session: AsyncSession,
    who: Principal,
    negotiation_id: UUID,
    action: Step,
    if_match: str | None,
    offer: OfferChange | None = None,
    signer: Signer | None = None,
    origin_prefix: str = "",
) -> Negotiation:
    """Take `action` on the negotiation: 404 unless the caller may read it, 403 unless its
    party may take it, 412 on a stale `If-Match`, 409 from any other state."""
    negotiation = await repository.get_visible(session, who, negotiation_id, lock=True)
    if negotiation is None:
        raise NotFound.of(NEGOTIATION, negotiation_id)
    parties, sources, to_state = RULES[action]
    party = _party(who, negotiation)
    if party not in parties:
        raise Forbidden(
            Text(
                f"Only the {' or '.join(sorted(parties))} may {action.value} a negotiation.",
                f"只有{'或'.join(_ZH[p] for p in sorted(parties))}可以执行 {action.value}。",
            )
        )
    check_if_match(if_match, negotiation.version)
    if State(negotiation.state) not in sources:
        raise Conflict(
            Text(
                f"A negotiation in state {negotiation.state} cannot {action.value}.",
                f"处于 {negotiation.state} 状态的协商不能执行 {action.value}。",
            ),
            state=negotiation.state,
        )
    terms = _terms(offer)
    new_offer = None
    digest = None
    if action is Step.offer and terms is not None:
        provider = await merchants.get_visible(session, negotiation.provider_merchant_id)
        new_offer = _offer(negotiation.id, provider.uscc, negotiation.listing_id, terms)
        negotiation.offer = new_offer
    if action is Step.agree:
        assert signer is not None
        digest = await _agree(session, negotiation, signer, origin_prefix)
    negotiation.version += 1
    await _step(session, who, negotiation, action, to_state, new_offer, digest)
    return negotiation


async def _agree(
    session: AsyncSession, negotiation: Negotiation, signer: Signer, origin_prefix: str
) -> str:
    """The agreement on the offer in force: canonical, hashed, signed; its digest."""
    consumer = await merchants.get_visible(session, negotiation.consumer_merchant_id)
    agreement_id = new_id()
    document = odrl.agreement(
        _urn(agreement_id),
        negotiation.offer,
        consumer.uscc,
        sequencer.utc_text(utcnow()),
    )
    canonical = rfc8785.dumps(document)
    digest = hashlib.sha256(canonical).hexdigest()
    name = signed_note.origin_of(origin_prefix, negotiation.venue_code)
    signature = signed_note.sign_text(signer.sign, signer.public_key, name, f"sha256:{digest}\n")
    session.add(
        Agreement(
            id=agreement_id,
            negotiation_id=negotiation.id,
            listing_id=negotiation.listing_id,
            consumer_merchant_id=negotiation.consumer_merchant_id,
            provider_merchant_id=negotiation.provider_merchant_id,
            canonical=canonical.decode(),
            sha256=digest,
            signature=signature,
            created_at=utcnow(),
        )
    )
    negotiation.agreement_id = agreement_id
    return digest


async def agreement(
    session: AsyncSession, who: Principal, agreement_id: UUID
) -> tuple[Agreement, UUID | None]:
    """The agreement, and the trade that records it: once its negotiation is FINALIZED, the
    first trade on its listing between its parties whose `contract_digest` is its
    `sha256` (found when read; a trade recorded earlier cannot know the digest)."""
    found = await repository.agreement_visible(session, who, agreement_id)
    if found is None:
        raise NotFound.of(AGREEMENT, agreement_id)
    if found.trade_id is not None:
        return found, found.trade_id
    negotiation = await repository.get_visible(session, who, found.negotiation_id)
    if negotiation is None or negotiation.state != State.FINALIZED.value:
        return found, None
    trade_id = await trades.recorded_with_digest(
        session,
        found.sha256,
        found.listing_id,
        found.provider_merchant_id,
        found.consumer_merchant_id,
    )
    return found, trade_id
