"""Merchant rules: USCC check character and uniqueness, who may change which field."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.clock import shanghai_today
from app.core.db import utcnow
from app.core.errors import Duplicate, Forbidden, NotFound, ValidationFailed
from app.core.etags import check_if_match, validator
from app.core.i18n import Text
from app.core.jsonable import jsonable
from app.core.principal import Principal
from app.core.roles import Role
from app.merchants import repository, uscc
from app.merchants.models import Certification, Merchant
from app.merchants.repository import MerchantFilter
from app.merchants.schemas import (
    NULLABLE_FIELDS,
    SELF_SERVICE_FIELDS,
    CertificationIn,
    MerchantCreate,
    MerchantOut,
    MerchantPublic,
    MerchantUpdate,
)
from app.outbox import service as outbox

MERCHANT = Text("merchant", "数商")

_USCC_MESSAGES = {
    uscc.UsccProblem.length: Text("a USCC has 18 characters", "统一社会信用代码应为 18 位"),
    uscc.UsccProblem.malformed: Text(
        "not a USCC: position 1 is 1-9, A, N or Y, positions 2-8 are digits, "
        "the rest from 0-9 and A-Y without I, O, S, V, Z",
        "格式不符合统一社会信用代码:第 1 位为 1-9、A、N 或 Y,第 2-8 位为数字,"
        "其余为数字或除 I、O、S、V、Z 外的大写字母",
    ),
    uscc.UsccProblem.check_character: Text(
        "the check character (position 18) is wrong",
        "校验码(第 18 位)错误",
    ),
}


def _check_uscc(code: str, override_reason: str | None, who: Principal) -> str | None:
    """422 for an invalid USCC, unless an operator overrides a bad check character.

    Returns the override reason to keep, or None when the code is valid as it is.
    """
    found = uscc.problem(code)
    if found is None:
        return None
    if found is uscc.UsccProblem.check_character and override_reason and who.is_operator:
        return override_reason
    message = _USCC_MESSAGES[found]
    if found is uscc.UsccProblem.check_character:
        message = Text(
            message.en + "; an operator may register it with `uscc_override_reason`",
            message.zh + ";运营方可填写 `uscc_override_reason` 登记",
        )
    raise ValidationFailed.field(["body", "uscc"], message)


async def _ensure_uscc_free(session: AsyncSession, code: str, other_than: UUID | None) -> None:
    if await repository.uscc_taken(session, code, other_than):
        raise Duplicate(
            Text(
                f"A merchant with USCC {code} is already registered.",
                f"统一社会信用代码 {code} 已登记。",
            ),
            field="uscc",
        )


def _certification(data: CertificationIn) -> Certification:
    return Certification(
        scheme=data.scheme.value,
        level=data.level,
        valid_until=data.valid_until,
        issued_on=data.issued_on,
        certificate_number=data.certificate_number,
    )


async def owner_of_new(
    session: AsyncSession, who: Principal, requested: UUID | None, kind: Text
) -> UUID:
    """Whose new `kind` (a product, a data asset …) this is: a merchant key's own merchant
    (naming another is 403), or the existing merchant an operator names (422 otherwise)."""
    if who.role is Role.merchant:
        if requested is not None and requested != who.merchant_id:
            raise Forbidden(
                Text(
                    f"A merchant key acts for its own merchant only: no {kind.en} for another.",
                    f"数商密钥只能为本数商操作,不能为其他数商创建{kind.zh}。",
                ),
                fields=["merchant_id"],
            )
        assert who.merchant_id is not None
        return who.merchant_id
    if requested is None or await repository.get(session, requested) is None:
        raise ValidationFailed.field(
            ["body", "merchant_id"],
            Text(
                f"names no merchant; operators say whose {kind.en} it is",
                f"未指定有效的数商;运营方须指明{kind.zh}所属数商",
            ),
        )
    return requested


def sees_private(who: Principal | None, merchant_id: UUID) -> bool:
    """The directory's one rule: operators, auditors and the merchant itself read the whole
    record (contact e-mail, USCC override reason, website, description, version); anyone
    else, anonymous callers and assessors included, the public profile."""
    if who is None:
        return False
    return who.role in (Role.operator, Role.auditor) or who.owns_merchant(merchant_id)


def private_search_scope(who: Principal | None) -> UUID | Literal["all"] | None:
    """Whose private fields a directory search (`q`) may match, by `sees_private`: every
    merchant's for operators and auditors, a merchant key's own merchant's, nobody's for
    anyone else. Otherwise a search would answer, one guess at a time, what a private
    description says."""
    if who is None:
        return None
    if who.role in (Role.operator, Role.auditor):
        return repository.ALL
    return who.merchant_id if who.role is Role.merchant else None


async def views(
    session: AsyncSession, who: Principal | None, found: list[Merchant]
) -> list[MerchantOut | MerchantPublic]:
    """Each merchant in the shape `who` may read, with its listed product count (one query
    for all of them)."""
    counts = await repository.listed_product_counts(session, [m.id for m in found])
    return [view(who, m, counts.get(m.id, 0)) for m in found]


def view(who: Principal | None, merchant: Merchant, listed: int) -> MerchantOut | MerchantPublic:
    shape: type[MerchantOut] | type[MerchantPublic] = (
        MerchantOut if sees_private(who, merchant.id) else MerchantPublic
    )
    fields = {
        name: getattr(merchant, name) for name in shape.model_fields if hasattr(merchant, name)
    }
    return shape.model_validate({**fields, "listed_product_count": listed})


@dataclass(frozen=True)
class Shown:
    """One merchant as a read shows it to `who`: what the body and its ETag are made of."""

    who: Principal | None
    merchant: Merchant
    listed: int

    def etag(self) -> str:
        """The body's ETag, without building it: the body shows the merchant's columns in
        the shape the caller may read, its certifications (their validity as of today) and
        its listed product count. The whole record's is derived from its version (any
        change of a column is a new version; `If-Match` compares it). The public profile's
        is derived from the public fields alone, never the version: a change of a private
        field (the contact e-mail, the override reason) would otherwise show anyone that
        something private changed, and when."""
        if sees_private(self.who, self.merchant.id):
            version = self.merchant.version
            return validator(version, MerchantOut, version, *self._shown_too())
        public = tuple(
            getattr(self.merchant, name)
            for name in MerchantPublic.model_fields
            if hasattr(self.merchant, name)
        )
        return validator(None, MerchantPublic, public, *self._shown_too())

    def _shown_too(self) -> tuple[object, ...]:
        return self.listed, self.merchant.certifications, shanghai_today()

    def view(self) -> MerchantOut | MerchantPublic:
        return view(self.who, self.merchant, self.listed)


async def shown(session: AsyncSession, who: Principal | None, merchant_id: UUID) -> Shown:
    """One merchant for `who`; 404 when unknown. One statement (`repository.shown`): the
    read of the directory's hottest page."""
    row = await repository.shown(session, merchant_id)
    if row is None:
        raise NotFound.of(MERCHANT, merchant_id)
    return Shown(who, cast(Merchant, row), row.listed_product_count)


async def get_visible(session: AsyncSession, merchant_id: UUID) -> Merchant:
    """The merchant (every merchant is in the public directory); 404 when unknown."""
    merchant = await repository.get(session, merchant_id)
    if merchant is None:
        raise NotFound.of(MERCHANT, merchant_id)
    return merchant


async def many(session: AsyncSession, merchant_ids: Collection[UUID]) -> dict[UUID, Merchant]:
    """Several merchants by id (their columns: name, region, tier), for a domain above that
    lists merchants beside its own rows (programmes)."""
    return await repository.many(session, merchant_ids)


async def list_page(
    session: AsyncSession,
    who: Principal | None,
    where: MerchantFilter,
    after: UUID | None,
    limit: int,
) -> list[Merchant]:
    """A page of the directory; `q` matches the fields `who` may read of each merchant."""
    scoped = replace(where, today=shanghai_today(), descriptions_of=private_search_scope(who))
    return await repository.list_page(session, scoped, after, limit)


async def create(session: AsyncSession, who: Principal, data: MerchantCreate) -> Merchant:
    override = _check_uscc(data.uscc, data.uscc_override_reason, who)
    await _ensure_uscc_free(session, data.uscc, None)
    merchant = Merchant(
        name=data.name,
        uscc=data.uscc,
        uscc_override_reason=override,
        region_code=data.region_code,
        categories=[c.value for c in data.categories],
        third_party_roles=[r.value for r in data.third_party_roles],
        tier=data.tier.value if data.tier else None,
        contact_email=str(data.contact_email),
        website=str(data.website) if data.website else None,
        description=data.description,
        certifications=[_certification(c) for c in data.certifications],
    )
    await repository.add(session, merchant)
    details: dict[str, Any] = {"name": merchant.name, "uscc": merchant.uscc}
    if override:
        details["uscc_override_reason"] = override
    await audit.record(session, who, "merchant.create", "merchant", merchant.id, details)
    await outbox.emit(
        session,
        "merchant.created",
        "merchant",
        merchant.id,
        [merchant.id],
        {"merchant_id": str(merchant.id), "name": merchant.name, "uscc": merchant.uscc},
    )
    return merchant


def _stored(field: str, value: Any) -> Any:
    """A validated PATCH value as the column stores it."""
    if value is None:
        return None
    if field in ("categories", "third_party_roles"):
        return [v.value for v in value]
    if field in ("tier",):
        return value.value
    if field in ("contact_email", "website"):
        return str(value)
    return value


async def update(
    session: AsyncSession,
    who: Principal,
    merchant_id: UUID,
    data: MerchantUpdate,
    if_match: str | None,
) -> Merchant:
    merchant = await repository.get(session, merchant_id)
    if merchant is None:
        raise NotFound.of(MERCHANT, merchant_id)
    sent = data.model_fields_set
    if not who.is_operator:
        if not who.owns_merchant(merchant.id):
            raise Forbidden(
                Text("You may change only your own merchant.", "您只能修改本数商的信息。")
            )
        refused = sorted(sent - SELF_SERVICE_FIELDS)
        if refused:
            raise Forbidden(
                Text(
                    f"Only an operator may change: {', '.join(refused)}.",
                    f"以下字段仅运营方可修改:{', '.join(refused)}。",
                ),
                fields=refused,
            )
    check_if_match(if_match, merchant.version)

    for field in sorted(sent):
        if getattr(data, field) is None and field not in NULLABLE_FIELDS:
            raise ValidationFailed.field(["body", field], Text("may not be null", "不能为 null"))

    if "uscc_override_reason" in sent and "uscc" not in sent:
        raise ValidationFailed.field(
            ["body", "uscc_override_reason"],
            Text("is sent together with a new uscc", "需与新的 uscc 一同提交"),
        )

    changes: dict[str, Any] = {}
    if "uscc" in sent and data.uscc is not None and data.uscc != merchant.uscc:
        reason = data.uscc_override_reason if "uscc_override_reason" in sent else None
        override = _check_uscc(data.uscc, reason, who)
        await _ensure_uscc_free(session, data.uscc, merchant.id)
        changes["uscc"] = [merchant.uscc, data.uscc]
        merchant.uscc = data.uscc
        merchant.uscc_override_reason = override
    for field in sorted(sent - {"uscc", "uscc_override_reason", "certifications"}):
        new = _stored(field, getattr(data, field))
        old = getattr(merchant, field)
        if new != old:
            changes[field] = [jsonable(old), jsonable(new)]
            setattr(merchant, field, new)
    if "certifications" in sent and data.certifications is not None:
        before = [jsonable(_cert_dict(c)) for c in merchant.certifications]
        merchant.certifications = _kept(merchant.certifications, data.certifications)
        after = [jsonable(_cert_dict(c)) for c in merchant.certifications]
        if before != after:
            changes["certifications"] = [before, after]

    if changes:
        merchant.updated_at = utcnow()
        await session.flush()
        await audit.record(
            session, who, "merchant.update", "merchant", merchant.id, {"changes": changes}
        )
        await outbox.emit(
            session,
            "merchant.updated",
            "merchant",
            merchant.id,
            [merchant.id],
            {
                "merchant_id": str(merchant.id),
                "changed": sorted(changes),
                "version": merchant.version,
            },
        )
    return merchant


def _kept(stored: list[Certification], given: list[CertificationIn]) -> list[Certification]:
    """The new list of certifications: a stored one that is given again unchanged is kept
    (its row, so when it was added), the rest are new. The merchant's 首认证 is the first
    certification added (app/firsts), which re-sending the list must not move."""
    left = list(stored)
    kept: list[Certification] = []
    for data in given:
        new = _certification(data)
        same = next((c for c in left if _cert_dict(c) == _cert_dict(new)), None)
        if same is not None:
            left.remove(same)
        kept.append(same or new)
    return kept


def _cert_dict(c: Certification) -> dict[str, Any]:
    return {
        "scheme": c.scheme,
        "level": c.level,
        "valid_until": c.valid_until,
        "issued_on": c.issued_on,
        "certificate_number": c.certificate_number,
    }
