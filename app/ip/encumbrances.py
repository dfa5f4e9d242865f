"""Encumbrances a holder puts on a certificate: licences (许可) and pledges (质押登记: apply,
confirm, withdraw, the pledgee's consents to a step, release), and the consents a step
spends while a pledge is in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import new_id, utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.money import cents
from app.core.principal import Principal
from app.ip import repository
from app.ip.encumbered import consented, pledge_in_force, pledge_open, speaks_for_pledgee
from app.ip.models import IpLicence, IpPledge, IpPledgeConsent, IpRegistration
from app.ip.schemas import ConsentCreate, LicenceCreate, PledgeCreate
from app.ip.states import Action, PledgeStatus, who_may
from app.ip.steps import done, locked
from app.ip.validity import within_validity
from app.merchants import repository as merchants

PLEDGE = Text("pledge", "质押")


async def consents_while_pledged(
    session: AsyncSession, registration: IpRegistration, today: date, action: Action, now: datetime
) -> dict[str, Any]:
    """While a pledge is in force, `action` (transfer, cancel, licence) needs the pledgee's
    consent to that very step, recorded by the operator (民法典 第四百四十四条): 409 without
    one. The consents it uses are spent (one consent, one step); what the step's details say
    of them."""
    found = (await repository.open_pledges(session, [registration.id]))[registration.id]
    used: list[IpPledgeConsent] = []
    for pledge in found.pledges:
        if not pledge_in_force(pledge, today):
            continue
        consent = next(
            (c for c in found.consents if c.pledge_id == pledge.id and c.step == action.value),
            None,
        )
        if consent is None:
            raise Conflict(
                Text(
                    f"The IP is pledged to {pledge.pledgee_name} until {pledge.ends_on}: "
                    f"to {action.value} it, the operator must first record the pledgee's "
                    "consent to that step, or the pledge be released.",
                    f"该数据知识产权已质押给 {pledge.pledgee_name},至 {pledge.ends_on}:"
                    f"须由运营方登记质权人对 {action.value} 的同意,或先解除质押。",
                ),
                pledge_id=str(pledge.id),
            )
        used.append(consent)
    for consent in used:
        consent.used_at = now
    return {"consent_ids": [str(c.id) for c in used]} if used else {}


async def _open_pledge_where(
    session: AsyncSession, registration: IpRegistration, matches: Callable[[IpPledge], bool]
) -> IpPledge | None:
    """The registration's first open pledge (applied for or in force) that `matches`."""
    found = (await repository.open_pledges(session, [registration.id]))[registration.id]
    return next((pledge for pledge in found.pledges if matches(pledge)), None)


async def _refuse_open_pledge(
    session: AsyncSession, registration: IpRegistration, today: date
) -> None:
    """One pledge at a time: 409 while another is applied for or in force."""
    pledge = await _open_pledge_where(session, registration, lambda p: pledge_open(p, today))
    if pledge is not None:
        raise Conflict(
            Text(
                f"A pledge to {pledge.pledgee_name} is {pledge.status} until "
                f"{pledge.ends_on}: one pledge at a time (withdraw or release it first).",
                f"已有质押给 {pledge.pledgee_name} 的质押({pledge.status},至 "
                f"{pledge.ends_on}):同一时间只能有一项质押。",
            ),
            pledge_id=str(pledge.id),
            pledge_status=pledge.status,
        )


async def license(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: LicenceCreate,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """许可: an exclusive licence admits no other licence whose term overlaps it; while a
    pledge is in force, only with the pledgee's consent to this licence."""
    registration, before, today = await locked(
        session, who, registration_id, Action.license, if_match, settings
    )
    within_validity(registration, data.starts_on, data.ends_on)
    name = data.licensee_name
    if data.licensee_merchant_id is not None:
        licensee = await merchants.get(session, data.licensee_merchant_id)
        if licensee is None:
            raise ValidationFailed.field(
                ["body", "licensee_merchant_id"], Text("names no merchant", "数商不存在")
            )
        name = name or licensee.name
    if not name:
        raise ValidationFailed.field(
            ["body", "licensee_name"],
            Text("is required without licensee_merchant_id", "未提供被许可数商时必填"),
        )
    for other in await repository.licences(session, registration.id):
        overlaps = other.starts_on <= data.ends_on and data.starts_on <= other.ends_on
        if overlaps and (data.exclusive or other.exclusive):
            raise Conflict(
                Text(
                    f"An {'exclusive ' if other.exclusive else ''}licence to {other.licensee_name} "
                    f"runs {other.starts_on} to {other.ends_on}: an exclusive licence admits "
                    "no overlapping one.",
                    f"已有许可({other.licensee_name},{other.starts_on} 至 {other.ends_on})"
                    "与之重叠:独占许可不得与其他许可期限重叠。",
                ),
                licence_id=str(other.id),
            )
    now = utcnow()
    consents = await consents_while_pledged(session, registration, today, Action.license, now)
    licence = IpLicence(
        id=new_id(),
        registration_id=registration.id,
        licensee_merchant_id=data.licensee_merchant_id,
        licensee_name=name,
        scope=data.scope,
        exclusive=data.exclusive,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        created_at=now,
    )
    await repository.add(session, licence)
    details = {
        "licence_id": str(licence.id),
        "licensee_name": name,
        "licensee_merchant_id": str(data.licensee_merchant_id)
        if data.licensee_merchant_id
        else None,
        "scope": data.scope,
        "exclusive": data.exclusive,
        "starts_on": data.starts_on.isoformat(),
        "ends_on": data.ends_on.isoformat(),
        **consents,
    }
    return await done(session, who, registration, Action.license, before, details, now)


async def _pledgee_name(
    session: AsyncSession, registration: IpRegistration, data: PledgeCreate
) -> tuple[str, str | None]:
    """The pledgee's name and USCC. A pledgee that is a merchant of the exchange is named as
    registered: another `pledgee_name` beside its id is 422 (a bank's name on an
    accomplice's key), an omitted one is filled in. Without an id the name is required."""
    if data.pledgee_merchant_id is None:
        if not data.pledgee_name:
            raise ValidationFailed.field(
                ["body", "pledgee_name"],
                Text("is required without pledgee_merchant_id", "未提供质权人数商时必填"),
            )
        return data.pledgee_name, data.pledgee_uscc
    pledgee = await merchants.get(session, data.pledgee_merchant_id)
    if pledgee is None:
        raise ValidationFailed.field(
            ["body", "pledgee_merchant_id"], Text("names no merchant", "数商不存在")
        )
    if pledgee.id == registration.holder_merchant_id:
        raise ValidationFailed.field(
            ["body", "pledgee_merchant_id"],
            Text(
                "is the holder: a holder cannot be its own pledgee", "是权利人本身:不能向自己质押"
            ),
        )
    if data.pledgee_uscc is not None and data.pledgee_uscc != pledgee.uscc:
        # One pledgee: a USCC of another entity would leave it unclear who confirms.
        raise ValidationFailed.field(
            ["body", "pledgee_uscc"],
            Text(
                "is not the USCC of pledgee_merchant_id",
                "与 pledgee_merchant_id 的统一社会信用代码不符",
            ),
        )
    if data.pledgee_name is not None and data.pledgee_name != pledgee.name:
        raise ValidationFailed.field(
            ["body", "pledgee_name"],
            Text(
                f"is not the registered name of pledgee_merchant_id ({pledgee.name})",
                f"与 pledgee_merchant_id 的登记名称({pledgee.name})不符",
            ),
        )
    return pledgee.name, pledgee.uscc


def _pledge_details(entry: IpPledge) -> dict[str, Any]:
    return {
        "pledge_id": str(entry.id),
        "pledge_status": entry.status,
        "pledgee_name": entry.pledgee_name,
        "pledgee_uscc": entry.pledgee_uscc,
        "pledgee_merchant_id": str(entry.pledgee_merchant_id)
        if entry.pledgee_merchant_id
        else None,
        "secured_amount": cents(entry.secured_amount),
        "starts_on": entry.starts_on.isoformat(),
        "ends_on": entry.ends_on.isoformat(),
    }


async def pledge(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    data: PledgeCreate,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """质押登记, the holder's side: the pledge is `applied` and restricts nothing until the
    pledgee's key (`pledgee_merchant_id`) or the operator confirms it. One pledge at a time."""
    registration, before, today = await locked(
        session, who, registration_id, Action.pledge, if_match, settings
    )
    within_validity(registration, data.starts_on, data.ends_on)
    name, pledgee_uscc = await _pledgee_name(session, registration, data)
    await _refuse_open_pledge(session, registration, today)
    now = utcnow()
    entry = IpPledge(
        id=new_id(),
        registration_id=registration.id,
        pledgee_name=name,
        pledgee_uscc=pledgee_uscc,
        pledgee_merchant_id=data.pledgee_merchant_id,
        pledgor_merchant_id=registration.holder_merchant_id,
        secured_amount=Decimal(data.secured_amount),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=PledgeStatus.applied.value,
        created_at=now,
    )
    await repository.add(session, entry)
    details = _pledge_details(entry)
    return await done(session, who, registration, Action.pledge, before, details, now)


async def _pledge_of(
    session: AsyncSession, registration: IpRegistration, pledge_id: UUID
) -> IpPledge:
    found = next(
        (p for p in await repository.pledges(session, registration.id) if p.id == pledge_id), None
    )
    if found is None:
        raise NotFound.of(PLEDGE, pledge_id)
    return found


def _not_the_pledgee(action: Action) -> Forbidden:
    en, zh = who_may(action)
    return Forbidden(
        Text(
            f"Only {en} may {action.value} this pledge; it names another pledgee.",
            f"仅{zh}可对该质押执行 {action.value};该质押的质权人不是您。",
        )
    )


def _pledge_is(found: IpPledge, action: Action) -> Conflict:
    return Conflict(
        Text(
            f"The pledge is {found.status}: it cannot {action.value}.",
            f"该质押状态为 {found.status},不能执行 {action.value}。",
        ),
        pledge_status=found.status,
    )


async def confirm(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The pledgee's side of 质押登记: the key of the merchant the pledge names as pledgee,
    or the operator (the registry, having seen the contract; the only one for a pledgee
    that is no merchant) puts an applied pledge `in_force`. 409 once the certificate has
    changed holder since the application, after the pledge's term, or while another pledge
    is in force."""
    registration, before, today = await locked(
        session, who, registration_id, Action.confirm, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if not speaks_for_pledgee(who, found):
        raise _not_the_pledgee(Action.confirm)
    if found.status != PledgeStatus.applied:
        raise _pledge_is(found, Action.confirm)
    if found.pledgor_merchant_id != registration.holder_merchant_id:
        raise Conflict(
            Text(
                "The certificate changed holder after this pledge was applied for: the new "
                "holder must apply itself.",
                "该质押申请后证书已转移:须由新的权利人重新申请。",
            ),
            pledge_id=str(found.id),
        )
    if found.ends_on < today:
        raise Conflict(
            Text(
                f"The pledge's term ended on {found.ends_on}.",
                f"该质押期限已于 {found.ends_on} 届满。",
            ),
            pledge_id=str(found.id),
        )
    await _refuse_another_in_force(session, registration, today)
    now = utcnow()
    found.status = PledgeStatus.in_force.value
    found.confirmed_at = now
    details = _pledge_details(found)
    return await done(session, who, registration, Action.confirm, before, details, now)


async def _refuse_another_in_force(
    session: AsyncSession, registration: IpRegistration, today: date
) -> None:
    other = await _open_pledge_where(session, registration, lambda p: pledge_in_force(p, today))
    if other is not None:
        raise Conflict(
            Text(
                f"A pledge to {other.pledgee_name} is in force until {other.ends_on}.",
                f"已有质押给 {other.pledgee_name} 的质押生效中,至 {other.ends_on}。",
            ),
            pledge_id=str(other.id),
        )


async def withdraw(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The holder (or an operator) withdraws a pledge still `applied`; one in force is
    released by the pledgee's side only (409)."""
    registration, before, _ = await locked(
        session, who, registration_id, Action.withdraw, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if found.status != PledgeStatus.applied:
        raise _pledge_is(found, Action.withdraw)
    now = utcnow()
    found.status = PledgeStatus.withdrawn.value
    found.withdrawn_at = now
    details = {"pledge_id": str(found.id), "pledge_status": found.status}
    return await done(session, who, registration, Action.withdraw, before, details, now)


async def consent(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    data: ConsentCreate,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """The operator records the pledgee's consent to one step (`transfer`, `cancel` or
    `license`) on a pledge in force (民法典 第四百四十四条). It admits that step once: the
    step spends it. 409 on a pledge not in force, or while a consent to the same step is
    still unspent."""
    registration, before, today = await locked(
        session, who, registration_id, Action.consent, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if not pledge_in_force(found, today):
        raise _pledge_is(found, Action.consent)
    found_open = (await repository.open_pledges(session, [registration.id]))[registration.id]
    if consented(found_open, found, Action(data.step.value)):
        raise Conflict(
            Text(
                f"The pledgee's consent to {data.step.value} is recorded and not yet used.",
                f"质权人对 {data.step.value} 的同意已登记且尚未使用。",
            ),
            pledge_id=str(found.id),
        )
    now = utcnow()
    entry = IpPledgeConsent(
        id=new_id(),
        pledge_id=found.id,
        step=data.step.value,
        reference=data.reference,
        recorded_by_key_id=who.key_id,
        created_at=now,
    )
    await repository.add(session, entry)
    details = {
        "pledge_id": str(found.id),
        "consent_id": str(entry.id),
        "step": entry.step,
        "reference": entry.reference,
    }
    return await done(session, who, registration, Action.consent, before, details, now)


async def release(
    session: AsyncSession,
    who: Principal,
    registration_id: UUID,
    pledge_id: UUID,
    if_match: str | None,
    settings: Settings,
) -> IpRegistration:
    """解除质押 of a pledge in force, as the registry records the pledgee's release: the
    operator, or the key of the merchant the pledge names as pledgee. Never the holder alone
    (403): it could free the certificate for a transfer behind the pledgee's back."""
    registration, before, _ = await locked(
        session, who, registration_id, Action.release, if_match, settings
    )
    found = await _pledge_of(session, registration, pledge_id)
    if not speaks_for_pledgee(who, found):
        raise _not_the_pledgee(Action.release)
    if found.released_at is not None:
        raise Conflict(
            Text(
                f"The pledge was released at {found.released_at.isoformat()}.",
                f"该质押已于 {found.released_at.isoformat()} 解除。",
            ),
            pledge_status=found.status,
        )
    if found.status != PledgeStatus.in_force:
        raise _pledge_is(found, Action.release)
    now = utcnow()
    found.released_at = now
    found.status = PledgeStatus.released.value
    return await done(
        session, who, registration, Action.release, before, {"pledge_id": str(found.id)}, now
    )
