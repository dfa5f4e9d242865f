"""Programme rules (DOMAIN.md "Firsts, programmes and fees → Programmes").

- **Eligible**: a merchant's first of a kind the programme rewards, the merchant's
  `region_code` starting with one of the programme's prefixes (3301 covers 330106), the
  first's date within [`from`, `to`], and the merchant's tier among `tiers` when set. Firsts
  are read as the records stand now (app/firsts/service.py), never stored.
- **Claims**: one per programme, merchant and first (409 on a second, also when two arrive
  at once: one INSERT … ON CONFLICT); 422 unless eligible when claimed. The evidence (the
  first's record, log and leaf) is kept with the claim; when the merchant's first of that
  kind later differs, the claim reads `evidence_changed`, and stays.
- **States**: applied → approved | rejected; approved → paid (operators). Approved and paid
  never exceed the budget nor the cap per merchant: an approval locks the programme's row
  first, so approvals take turns and each sees the ones before it (409 `budget_exhausted`,
  `cap_exceeded`).

Every step is retry-safe by its state: a second claim or decision is a 409, never a second
payment. Each writes an audit event and an outbox event (`programme.created`,
`programme_claim.applied|approved|rejected|paid`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, get_args
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.db import new_id, utcnow
from app.core.errors import Conflict, Duplicate, Forbidden, NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.money import cents
from app.core.principal import Principal
from app.core.roles import Role
from app.core.steps import YOU_MAY, check_step
from app.firsts import service as firsts
from app.firsts.service import First
from app.merchants import service as merchants
from app.merchants.models import Merchant
from app.outbox import service as outbox
from app.programmes import repository
from app.programmes.models import Programme, ProgrammeClaim
from app.programmes.schemas import ClaimCreate, ClaimState, Decision, FirstKind, ProgrammeCreate

PROGRAMME = Text("programme", "激励计划")
CLAIM = Text("programme claim", "激励申报")
assert set(get_args(FirstKind)) == set(firsts.KINDS), "FirstKind must name every kind of first"


class BudgetExhausted(Conflict):
    slug = "budget-exhausted"
    title = Text("Budget exhausted", "预算不足")


class CapExceeded(Conflict):
    slug = "cap-exceeded"
    title = Text("Cap per merchant exceeded", "超出单个数商上限")


# Each decision: the state it leaves from and the state it reaches.
STEPS: dict[Decision, tuple[ClaimState, ClaimState]] = {
    "approve": (ClaimState.applied, ClaimState.approved),
    "reject": (ClaimState.applied, ClaimState.rejected),
    "pay": (ClaimState.approved, ClaimState.paid),
}


def allowed(state: ClaimState) -> list[str]:
    return [name for name, (source, _) in STEPS.items() if source is state]


# --- Programmes ---------------------------------------------------------------------------


async def get(session: AsyncSession, code: str) -> Programme:
    programme = await repository.get(session, code)
    if programme is None:
        raise NotFound.of(PROGRAMME, code)
    return programme


async def create(session: AsyncSession, who: Principal, data: ProgrammeCreate) -> Programme:
    if await repository.get(session, data.code) is not None:
        raise Duplicate(
            Text(f"Programme {data.code} already exists.", f"激励计划 {data.code} 已存在。")
        )
    programme = await repository.add(
        session,
        Programme(
            code=data.code,
            name=data.name,
            issuer=data.issuer,
            region_codes=sorted(set(data.region_codes)),
            firsts={kind: cents(Decimal(amount)) for kind, amount in data.firsts.items()},
            starts_on=data.from_,
            ends_on=data.to,
            tiers=sorted(set(data.tiers)) if data.tiers else None,
            cap_per_merchant=Decimal(data.cap_per_merchant),
            budget=Decimal(data.budget),
            created_by_key_id=who.key_id,
        ),
    )
    summary = programme_summary(programme)
    await audit.record(session, who, "programme.create", "programme", programme.code, summary)
    await outbox.emit(session, "programme.created", "programme", programme.code, [], summary)
    return programme


def programme_summary(programme: Programme) -> dict[str, Any]:
    return {
        "code": programme.code,
        "name": programme.name,
        "issuer": programme.issuer,
        "region_codes": programme.region_codes,
        "firsts": programme.firsts,
        "from": programme.starts_on.isoformat(),
        "to": programme.ends_on.isoformat(),
        "tiers": programme.tiers,
        "cap_per_merchant": cents(programme.cap_per_merchant),
        "budget": cents(programme.budget),
    }


async def page(
    session: AsyncSession, after: str | None, limit: int
) -> tuple[list[Programme], dict[UUID, Decimal]]:
    rows = await repository.page(session, after, limit)
    return rows, await repository.used(session, [p.id for p in rows])


async def used(session: AsyncSession, programme: Programme) -> Decimal:
    return (await repository.used(session, [programme.id])).get(programme.id, Decimal(0))


# --- Eligibility --------------------------------------------------------------------------


def _in_regions(programme: Programme, region_code: str) -> bool:
    return any(region_code.startswith(prefix) for prefix in programme.region_codes)


def why_not(
    programme: Programme, merchant: Merchant, first: First | None, kind: str
) -> Text | None:
    """Why the merchant's first of `kind` is not eligible under the programme (None: it is)."""
    if kind not in programme.firsts:
        return Text(
            f"the programme does not reward the first `{kind}`",
            f"该激励计划不奖励首次类型 `{kind}`",
        )
    if not _in_regions(programme, merchant.region_code):
        return Text(
            f"the merchant's region {merchant.region_code} is not covered by "
            f"{', '.join(programme.region_codes)}",
            f"数商所在地区 {merchant.region_code} 不在 {'、'.join(programme.region_codes)} 内",
        )
    if programme.tiers and merchant.tier not in programme.tiers:
        return Text(
            f"the merchant's tier ({merchant.tier or 'none'}) is not among "
            f"{', '.join(programme.tiers)}",
            f"数商梯队({merchant.tier or '无'})不在 {'、'.join(programme.tiers)} 内",
        )
    if first is None:
        return Text(
            f"the merchant has no first `{kind}` in its records",
            f"该数商的记录中没有首次类型 `{kind}`",
        )
    if not programme.starts_on <= first.date <= programme.ends_on:
        return Text(
            f"the first's date {first.date} lies outside {programme.starts_on} … "
            f"{programme.ends_on}",
            f"首次日期 {first.date} 不在 {programme.starts_on} 至 {programme.ends_on} 内",
        )
    return None


def evidence_of(first: First) -> dict[str, Any]:
    return {
        "record": {"type": first.record_type, "id": str(first.record_id)},
        "log": first.log,
        "leaf_index": first.leaf_index,
    }


@dataclass(frozen=True)
class Eligible:
    merchant: Merchant
    first: First
    amount: Decimal


async def eligible(session: AsyncSession, who: Principal, code: str) -> list[Eligible]:
    """The eligible (merchant, first) pairs, by merchant name then the order of the kinds.
    Operators and auditors see every merchant; a merchant only itself."""
    programme = await get(session, code)
    kinds = list(programme.firsts)
    if who.role is Role.merchant:
        assert who.merchant_id is not None
        found = [
            f for f in await firsts.merchant_firsts(session, who.merchant_id) if f.kind in kinds
        ]
    else:
        found = await firsts.all_firsts(
            session, kinds=kinds, region_prefixes=programme.region_codes
        )
    by_id = await merchants.many(session, {f.merchant_id for f in found})
    order = {kind: n for n, kind in enumerate(firsts.KINDS)}
    items = [
        Eligible(by_id[f.merchant_id], f, Decimal(programme.firsts[f.kind]))
        for f in found
        if f.merchant_id in by_id and why_not(programme, by_id[f.merchant_id], f, f.kind) is None
    ]
    items.sort(key=lambda e: (e.merchant.name, str(e.merchant.id), order[e.first.kind]))
    return items


# --- Claims -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    claim: ProgrammeClaim
    programme_code: str
    evidence_changed: bool


def _changed(claim: ProgrammeClaim, current: First | None) -> bool:
    if current is None:
        return True
    record: dict[str, Any] = evidence_of(current)["record"]
    return record != claim.evidence.get("record")


async def _views(
    session: AsyncSession, programme: Programme, rows: list[ProgrammeClaim]
) -> list[ClaimView]:
    """The claims with `evidence_changed` read now: one query per kind for the programme's
    regions, then one merchant at a time for any merchant that has moved out of them."""
    if not rows:
        return []
    kinds = sorted({c.first_kind for c in rows})
    merchant_ids = sorted({c.merchant_id for c in rows})
    current: dict[tuple[UUID, str], First] = {}
    if len(merchant_ids) > 1:
        regional = await firsts.all_firsts(
            session, kinds=kinds, region_prefixes=programme.region_codes
        )
        current = {(f.merchant_id, f.kind): f for f in regional}
    seen = {merchant_id for merchant_id, _ in current}
    for merchant_id in merchant_ids:
        if merchant_id not in seen:
            for f in await firsts.merchant_firsts(session, merchant_id):
                current[(f.merchant_id, f.kind)] = f
    return [
        ClaimView(c, programme.code, _changed(c, current.get((c.merchant_id, c.first_kind))))
        for c in rows
    ]


async def _view(session: AsyncSession, programme_code: str, claim: ProgrammeClaim) -> ClaimView:
    mine = await firsts.merchant_firsts(session, claim.merchant_id)
    current = next((f for f in mine if f.kind == claim.first_kind), None)
    return ClaimView(claim, programme_code, _changed(claim, current))


async def claim(session: AsyncSession, who: Principal, code: str, data: ClaimCreate) -> ClaimView:
    """A merchant's claim on its first under the programme, `applied`."""
    programme = await get(session, code)
    merchant_id = _claimant(who, data.merchant_id)
    found = await merchants.many(session, [merchant_id])
    if merchant_id not in found:
        raise ValidationFailed.field(
            ["body", "merchant_id"],
            Text(f"no merchant {merchant_id}", f"数商 {merchant_id} 不存在"),
        )
    merchant = found[merchant_id]
    mine = await firsts.merchant_firsts(session, merchant_id)
    first = next((f for f in mine if f.kind == data.first), None)
    reason = why_not(programme, merchant, first, data.first)
    if reason is not None:
        raise ValidationFailed.field(
            ["body", "first"], Text(f"not eligible: {reason.en}", f"不符合条件:{reason.zh}")
        )
    assert first is not None
    now = utcnow()
    claim_id = await repository.insert_claim(
        session,
        {
            "id": new_id(),
            "programme_id": programme.id,
            "merchant_id": merchant_id,
            "first_kind": first.kind,
            "first_date": first.date,
            "amount": Decimal(programme.firsts[first.kind]),
            "state": ClaimState.applied.value,
            "evidence": evidence_of(first),
            "created_by_key_id": who.key_id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    )
    if claim_id is None:
        raise Duplicate(
            Text(
                f"Merchant {merchant_id} has claimed the first `{first.kind}` under programme "
                f"{code} already.",
                f"数商 {merchant_id} 已就首次类型 `{first.kind}` 申报激励计划 {code}。",
            )
        )
    row = await repository.claim(session, claim_id)
    assert row is not None
    await _announce(session, who, programme.code, row, "applied")
    return ClaimView(row, programme.code, False)


def _claimant(who: Principal, named: UUID | None) -> UUID:
    if who.role is Role.merchant:
        if named is not None and named != who.merchant_id:
            raise Forbidden(Text("A merchant claims for itself only.", "数商仅可为自身申报。"))
        assert who.merchant_id is not None
        return who.merchant_id
    if named is None:
        raise ValidationFailed.field(
            ["body", "merchant_id"],
            Text("is required when an operator claims", "运营方代为申报时必填"),
        )
    return named


async def _announce(
    session: AsyncSession, who: Principal, code: str, claim: ProgrammeClaim, name: str
) -> None:
    summary = {
        "claim_id": str(claim.id),
        "programme_code": code,
        "merchant_id": str(claim.merchant_id),
        "first": claim.first_kind,
        "amount": cents(claim.amount),
        "state": claim.state,
    }
    await audit.record(
        session, who, f"programme_claim.{name}", "programme_claim", claim.id, summary
    )
    await outbox.emit(
        session,
        f"programme_claim.{name}",
        "programme_claim",
        claim.id,
        [claim.merchant_id],
        summary,
    )


def _visible(who: Principal, claim: ProgrammeClaim | None) -> bool:
    if claim is None:
        return False
    return who.role in (Role.operator, Role.auditor) or who.owns_merchant(claim.merchant_id)


async def get_claim(session: AsyncSession, who: Principal, claim_id: UUID) -> ClaimView:
    row = await repository.claim(session, claim_id)
    if row is None or not _visible(who, row):
        raise NotFound.of(CLAIM, claim_id)
    code = (await repository.codes(session, [row.programme_id]))[row.programme_id]
    return await _view(session, code, row)


async def claims(
    session: AsyncSession, who: Principal, code: str, after: UUID | None, limit: int
) -> list[ClaimView]:
    """A page of the programme's claims (`limit + 1` for the cut): a merchant's own, or all."""
    programme = await get(session, code)
    mine = who.merchant_id if who.role is Role.merchant else None
    rows = await repository.claims(
        session, programme.id, merchant_id=mine, after=after, limit=limit
    )
    return await _views(session, programme, rows)


async def decide(
    session: AsyncSession,
    who: Principal,
    claim_id: UUID,
    decision: Decision,
    if_match: str | None,
) -> ClaimView:
    """approve | reject an applied claim, pay an approved one (operators)."""
    found = await repository.claim(session, claim_id)
    if found is None or not _visible(who, found):
        raise NotFound.of(CLAIM, claim_id)
    # The programme first, then the claim: every approval takes the same order of locks.
    programme = await repository.lock(session, found.programme_id)
    row = await repository.claim(session, claim_id, for_update=True)
    assert row is not None
    source, target = STEPS[decision]
    current = ClaimState(row.state)
    check_step(
        may=who.is_operator,
        refused=Text("Only an operator decides a claim.", "仅运营方可审核激励申报。"),
        if_match=if_match,
        version=row.version,
        current=current,
        leaves={source},
        action=decision,
        thing=CLAIM,
        allowed=lambda: allowed(current),
        you_may=YOU_MAY,
    )
    if decision == "approve":
        await _within_limits(session, programme, row)
    now = utcnow()
    row.state = target.value
    row.updated_at = now
    row.version += 1
    if decision == "pay":
        row.paid_at = now
    else:
        row.decided_at = now
    await session.flush()
    await _announce(session, who, programme.code, row, target.value)
    return await _view(session, programme.code, row)


async def _within_limits(session: AsyncSession, programme: Programme, row: ProgrammeClaim) -> None:
    spent = await used(session, programme)
    if spent + row.amount > programme.budget:
        left = programme.budget - spent
        raise BudgetExhausted(
            Text(
                f"Approving {cents(row.amount)} would pass the budget of programme "
                f"{programme.code}: {cents(left)} of {cents(programme.budget)} left.",
                f"批准 {cents(row.amount)} 将超出激励计划 {programme.code} 的预算:"
                f"预算 {cents(programme.budget)},剩余 {cents(left)}。",
            ),
            code="budget_exhausted",
            budget=cents(programme.budget),
            used=cents(spent),
        )
    merchant_spent = await repository.used_by(session, programme.id, row.merchant_id)
    if merchant_spent + row.amount > programme.cap_per_merchant:
        raise CapExceeded(
            Text(
                f"Approving {cents(row.amount)} would pass the cap per merchant of "
                f"{cents(programme.cap_per_merchant)} ({cents(merchant_spent)} approved "
                "already).",
                f"批准 {cents(row.amount)} 将超出单个数商上限 "
                f"{cents(programme.cap_per_merchant)}(已批准 {cents(merchant_spent)})。",
            ),
            code="cap_exceeded",
            cap_per_merchant=cents(programme.cap_per_merchant),
            used=cents(merchant_spent),
        )


# --- Summary (申报汇总表) -------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryData:
    programme: Programme
    views: list[ClaimView]
    merchants: dict[UUID, Merchant]
    used: Decimal


async def summary(session: AsyncSession, code: str) -> SummaryData:
    programme = await get(session, code)
    views = await _views(session, programme, await repository.claims(session, programme.id))
    by_id = await merchants.many(session, {v.claim.merchant_id for v in views})
    order = {kind: n for n, kind in enumerate(firsts.KINDS)}
    views.sort(
        key=lambda v: (
            by_id[v.claim.merchant_id].name,
            str(v.claim.merchant_id),
            order.get(v.claim.first_kind, 99),
        )
    )
    return SummaryData(programme, views, by_id, await used(session, programme))


def totals(views: Iterable[ClaimView]) -> dict[ClaimState, tuple[int, Decimal]]:
    out = {state: (0, Decimal(0)) for state in ClaimState}
    for v in views:
        count, amount = out[ClaimState(v.claim.state)]
        out[ClaimState(v.claim.state)] = (count + 1, amount + v.claim.amount)
    return out
