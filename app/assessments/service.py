"""Running assessments: who may, on which sample, off the event loop; results kept as records.

Assessors (所商分离) and operators assess any product; a merchant may run them on its own
products as self-checks, marked so. The engines are pure (quality.py, compliance.py,
valuation.py); this module feeds them and keeps what they return.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments import compliance, pii, quality, repository, valuation
from app.assessments.models import Assessment
from app.assessments.reactions import ComplianceFailed
from app.assessments.schemas import (
    ComplianceRequest,
    CostValuation,
    IncomeValuation,
    MarketValuation,
    QualityRequest,
)
from app.audit import service as audit
from app.core.clock import shanghai_today
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.jsonable import jsonable
from app.core.principal import Principal
from app.core.reactions import emit
from app.core.roles import Role
from app.outbox import service as outbox
from app.products import repository as products_repository
from app.products import service as products
from app.products.models import Product
from app.samples import repository as samples
from app.samples.models import Sample
from app.samples.profile import SampleFormat, read_rows
from app.venues import repository as venues

T = TypeVar("T")
ASSESSMENT = Text("assessment", "评估")


async def _assessable(
    session: AsyncSession, who: Principal, product_id: UUID
) -> tuple[Product, bool]:
    """The product and whether this is a self-check; 404 unseen, 403 another's product."""
    product = await products.get_visible(session, who, product_id)
    if who.role in (Role.operator, Role.assessor):
        return product, False
    if who.owns_merchant(product.merchant_id):
        return product, True
    raise Forbidden(
        Text(
            "A merchant assesses only its own products; assessors assess any.",
            "数商只能自评本数商的产品;第三方评估机构可评估任何产品。",
        )
    )


async def _sample(session: AsyncSession, product_id: UUID, sample_id: UUID | None) -> Sample:
    if sample_id is not None:
        sample = await samples.get(session, product_id, sample_id)
        if sample is None:
            raise NotFound(
                Text(f"The product has no sample {sample_id}.", f"该产品没有样本 {sample_id}。")
            )
        return sample
    sample = await samples.latest(session, product_id)
    if sample is None:
        raise Conflict(
            Text(
                "The product has no sample to assess: upload one to "
                f"/v1/products/{product_id}/samples first.",
                f"该产品还没有可评估的样本:请先上传到 /v1/products/{product_id}/samples。",
            ),
            missing=["sample"],
        )
    return sample


async def _export(session: AsyncSession, sample: Sample, folder: Path) -> Path:
    path = folder / f"sample.{sample.format}"
    with path.open("wb") as out:
        async for chunk in samples.content(session, sample.id):
            out.write(chunk)
    return path


async def _off_loop(work: Callable[[], T]) -> tuple[T, int]:
    """Run CPU-bound work in a worker thread; the result and how long it took (ms)."""
    started = time.perf_counter()
    result = await anyio.to_thread.run_sync(work)
    return result, round((time.perf_counter() - started) * 1000)


def _record(
    who: Principal,
    product: Product,
    kind: str,
    self_check: bool,
    inputs: dict[str, Any],
    result: dict[str, Any],
    duration_ms: int,
    rules_version: str,
    sample: Sample | None = None,
    **summary: Any,
) -> Assessment:
    return Assessment(
        kind=kind,
        product_id=product.id,
        product_revision=product.revision,
        sample_id=sample.id if sample else None,
        sample_sha256=sample.sha256 if sample else None,
        rules_version=rules_version,
        self_check=self_check,
        actor_key_id=who.key_id,
        actor_role=who.role.value,
        actor_merchant_id=who.merchant_id,
        inputs=inputs,
        result=result,
        duration_ms=duration_ms,
        **summary,
    )


async def _keep(
    session: AsyncSession, who: Principal, assessment: Assessment, summary: dict[str, Any]
) -> Assessment:
    await repository.add(session, assessment)
    await audit.record(
        session,
        who,
        f"assessment.{assessment.kind}",
        "assessment",
        assessment.id,
        {"product_id": str(assessment.product_id), "self_check": assessment.self_check, **summary},
    )
    product = await products_repository.get(session, assessment.product_id)
    assert product is not None
    await outbox.emit(
        session,
        "assessment.completed",
        "assessment",
        assessment.id,
        [product.merchant_id],
        {
            "assessment_id": str(assessment.id),
            "kind": assessment.kind,
            "product_id": str(assessment.product_id),
            "self_check": assessment.self_check,
            **jsonable(summary),
        },
    )
    return assessment


async def run_quality(
    session: AsyncSession, who: Principal, product_id: UUID, data: QualityRequest
) -> Assessment:
    product, self_check = await _assessable(session, who, product_id)
    sample = await _sample(session, product_id, data.sample_id)
    facts = quality.ProductFacts(
        delivery_modes=product.delivery_modes,
        schema=product.data_schema,
        service_level=product.service_level,
        data_as_of=product.data_as_of,
        has_sample=True,
    )
    today = shanghai_today()
    with tempfile.TemporaryDirectory(prefix="shushang-assess-") as folder:
        path = await _export(session, sample, Path(folder))
        columns = [c["name"] for c in sample.columns]

        def work() -> quality.QualityResult:
            names, rows = read_rows(path, SampleFormat(sample.format), sample.encoding, columns)
            return quality.assess(names, rows, facts, today)

        result, duration = await _off_loop(work)
    body = jsonable(asdict(result))
    assessment = _record(
        who,
        product,
        "quality",
        self_check,
        {"sample_id": str(sample.id), "as_of": today.isoformat()},
        body,
        duration,
        result.rules_version,
        sample,
        overall=result.overall,
        grade=result.grade,
        quality_coefficient=result.quality_coefficient,
    )
    return await _keep(
        session, who, assessment, {"overall": str(result.overall), "grade": result.grade}
    )


async def run_compliance(
    session: AsyncSession, who: Principal, product_id: UUID, data: ComplianceRequest
) -> Assessment:
    product, self_check = await _assessable(session, who, product_id)
    sample = await _sample(session, product_id, data.sample_id)
    all_venues = await venues.all_venues(session)
    if data.venue_codes is not None:
        unknown = sorted(set(data.venue_codes) - {v.code for v in all_venues})
        if unknown:
            raise ValidationFailed.field(
                ["body", "venue_codes"],
                Text(
                    f"unknown venues: {', '.join(unknown)}", f"交易场所不存在:{', '.join(unknown)}"
                ),
            )
        chosen = [v for v in all_venues if v.code in set(data.venue_codes)]
    else:
        chosen = all_venues
    rules = [
        compliance.VenueRules(v.code, v.negative_list, v.negative_list_version) for v in chosen
    ]
    facts = compliance.ProductFacts(
        name=product.name,
        description=product.description,
        tags=product.tags,
        classification=product.classification,
        data_sources=product.data_sources,
        contains_personal_info=product.contains_personal_info,
        sensitive_personal_info=product.sensitive_personal_info,
        personal_info_basis=product.personal_info_basis,
        persons_count=product.persons_count,
        cross_border=product.cross_border,
        cross_border_assessment_ref=product.cross_border_assessment_ref,
    )
    today = shanghai_today()
    with tempfile.TemporaryDirectory(prefix="shushang-assess-") as folder:
        path = await _export(session, sample, Path(folder))
        columns = [c["name"] for c in sample.columns]

        def work() -> compliance.ComplianceResult:
            return compliance.assess(facts, _scan(path, sample, columns, today), rules, today)

        result, duration = await _off_loop(work)
    body = {
        "result": result.result.value,
        "findings": [f.as_dict() for f in result.findings],
        "venues": result.venues,
        "personal_info_found": result.personal_info_found,
        "rows_scanned": result.rows_scanned,
    }
    assessment = _record(
        who,
        product,
        "compliance",
        self_check,
        {
            "sample_id": str(sample.id),
            "venue_codes": [v.code for v in chosen],
            "as_of": today.isoformat(),
        },
        body,
        duration,
        result.rules_version,
        sample,
        compliance_result=result.result.value,
        venue_results={code: v["result"] for code, v in result.venues.items()},
    )
    await _keep(session, who, assessment, {"result": result.result.value})
    failing = [code for code, v in result.venues.items() if v["result"] == "fail"]
    if failing and not self_check:
        await emit(session, who, ComplianceFailed(product.id, assessment.id, tuple(failing)))
    return assessment


def _scan(path: Path, sample: Sample, columns: list[str], today: date) -> pii.PiiScan:
    if sample.format == SampleFormat.csv.value:
        return pii.scan_csv(path, sample.encoding, today)
    names, rows = read_rows(path, SampleFormat(sample.format), sample.encoding, columns)
    scan = pii.PiiScan(names, today=today)
    for row in rows:
        scan.add(row)
    return scan


async def _quality_coefficient(
    session: AsyncSession, product_id: UUID, given: str | None
) -> tuple[Decimal, dict[str, Any]]:
    if given is not None:
        return Decimal(given), {"source": "given"}
    latest = await repository.latest_quality(session, product_id)
    if latest is None or latest.quality_coefficient is None:
        raise Conflict(
            Text(
                "No quality coefficient: give quality_coefficient, "
                "or run a quality assessment first.",
                "缺少质量系数:请提供 quality_coefficient,或先进行质量评估。",
            ),
            missing=["quality_assessment"],
        )
    return latest.quality_coefficient, {
        "source": "quality_assessment",
        "assessment_id": str(latest.id),
    }


class TooFewComparables(ValidationFailed):
    """A market valuation from recorded trades that found too few trusted comparables, or
    kept too few of them (outliers out) from distinct sellers and buyers; `comparables` says
    which were used and why the other candidates were left out, `excluded` names them."""

    def __init__(self, reason: Text, selection: dict[str, Any], excluded: list[Any]) -> None:
        super().__init__(
            Text(
                f"comparables: {reason.en}. Give comparables in the request, or use another "
                "method.",
                f"comparables:{reason.zh}。请在请求中提供可比案例,或改用其他评估方法。",
            ),
            errors=[{"loc": ["body", "comparables"], "msg": reason.en}],
        )
        self.extensions["comparables"] = selection
        self.extensions["excluded"] = excluded

    @classmethod
    def untrusted(cls, found: repository.Comparables) -> TooFewComparables:
        needed, n = valuation.MIN_COMPARABLES, len(found.used)
        reasons = ", ".join(f"{r.value} {g.count}" for r, g in found.left_out.items()) or "none"
        trusted = f"{n} trusted comparable{'' if n == 1 else 's'}"
        selection = _selection(found, [])
        return cls(
            Text(
                f"only {trusted} found among {found.candidates} candidate trades of products "
                f"of the same type and domain; at least {needed} are needed (left out: "
                f"{reasons})",
                f"在同类型、同领域产品的 {found.candidates} 笔候选交易中仅找到 {n} 个可信可比"
                f"案例,至少需要 {needed} 个(排除:{reasons})",
            ),
            selection,
            _excluded(selection),
        )

    @classmethod
    def too_few_kept(
        cls, found: repository.Comparables, short: valuation.TooFewKept
    ) -> TooFewComparables:
        outliers = [
            trade
            for trade, entry in zip(found.used, short.breakdown, strict=True)
            if entry["excluded"] is not None
        ]
        selection = _selection(found, outliers)
        return cls(Text(short.message, short.message_zh), selection, _excluded(selection))


def _selection(
    found: repository.Comparables, outliers: list[repository.TrustedTrade]
) -> dict[str, Any]:
    """Which trades a market valuation used (the trusted ones that are no outliers) and why
    it left out the other candidates: per reason, how many and the newest ids."""
    out = {t.trade_id for t in outliers}
    left_out = dict(found.left_out)
    if outliers:  # at most MAX_COMPARABLES: all shown
        left_out[repository.Exclusion.outlier] = repository.LeftOut(
            len(outliers), [t.trade_id for t in outliers]
        )
    selection: dict[str, Any] = jsonable(
        {
            "source": "trusted_trades",
            "candidates": found.candidates,
            "used": [t.trade_id for t in found.used if t.trade_id not in out],
            "left_out": {
                reason: {"count": group.count, "trade_ids": group.trade_ids}
                for reason, group in left_out.items()
            },
        }
    )
    return selection


def _excluded(selection: dict[str, Any]) -> list[dict[str, Any]]:
    """Each excluded candidate named with its reason, in the order the rule checks (for
    reasons with more than LEFT_OUT_IDS_SHOWN candidates, the newest; `left_out` counts)."""
    return [
        {"trade_id": trade_id, "reason": reason, "comparable": None, "reference": None}
        for reason, group in selection["left_out"].items()
        for trade_id in group["trade_ids"]
    ]


async def _market(
    session: AsyncSession, product: Product, data: MarketValuation, q: Decimal, large: Decimal
) -> tuple[valuation.ValuationResult, dict[str, Any] | None, list[dict[str, Any]]]:
    """The market approach on the comparables given, or else on the trusted trades recorded
    (with which were used and why the others were not); and every excluded comparable with
    its reason.

    Comparables given in the request are the assessor's own signed evidence, not recorded
    trades: they name no merchants, so each counts as a seller and a buyer of its own (the
    rule of distinct parties is about recorded trades, where two colluding merchants could
    be most of the evidence). The median and its outliers apply to them all the same, and
    so does the need for 3 kept; an excluded one is named by its position in the request
    (`comparable`) and its `reference`."""
    if data.comparables is not None:
        given = [
            valuation.Comparable(
                price=Decimal(c.price),
                quality_coefficient=Decimal(c.quality_coefficient),
                date_adjustment=Decimal(c.date_adjustment),
                volume_adjustment=Decimal(c.volume_adjustment),
                other_adjustment=Decimal(c.other_adjustment),
                reference=c.reference,
            )
            for c in data.comparables
        ]
        result = valuation.market(given, q)
        excluded = [
            {
                "trade_id": None,
                "comparable": index,
                "reference": entry["reference"],
                "reason": entry["excluded"],
            }
            for index, entry in enumerate(result.breakdown)
            if entry["excluded"] is not None
        ]
        return result, None, excluded
    found = await repository.MARKET.get(
        session, product.merchant_id, product.product_type, product.domains, large
    )
    if len(found.used) < valuation.MIN_COMPARABLES:
        raise TooFewComparables.untrusted(found)
    try:
        result = valuation.market(
            [
                valuation.Comparable(
                    price=t.amount,
                    quality_coefficient=t.quality_coefficient,
                    reference=f"trade:{t.trade_id}",
                    seller=str(t.seller_merchant_id),
                    buyer=str(t.buyer_merchant_id),
                )
                for t in found.used
            ],
            q,
        )
    except valuation.TooFewKept as short:
        raise TooFewComparables.too_few_kept(found, short) from short
    # The engine keeps each comparable's factors; where each comes from is the trade's record.
    sourced = [
        {
            **entry,
            "trade_id": trade.trade_id,
            "seller_merchant_id": trade.seller_merchant_id,
            "buyer_merchant_id": trade.buyer_merchant_id,
            "occurred_at": trade.occurred_at,
            "quality_assessment_id": trade.quality_assessment_id,
        }
        for entry, trade in zip(result.breakdown, found.used, strict=True)
    ]
    outliers = [t for t, e in zip(found.used, result.breakdown, strict=True) if e["excluded"]]
    selection = _selection(found, outliers)
    return replace(result, breakdown=sourced), selection, _excluded(selection)


async def run_valuation(
    session: AsyncSession,
    who: Principal,
    product_id: UUID,
    data: CostValuation | IncomeValuation | MarketValuation,
    large_amount: Decimal,
) -> Assessment:
    """`large_amount`: `SHUSHANG_LARGE_TRADE_AMOUNT`, for a market valuation on recorded
    trades."""
    product, self_check = await _assessable(session, who, product_id)
    inputs: dict[str, Any] = data.model_dump(mode="json")
    selection: dict[str, Any] | None = None
    excluded: list[dict[str, Any]] | None = None
    started = time.perf_counter()
    try:
        if isinstance(data, CostValuation):
            q, source = await _quality_coefficient(session, product_id, data.quality_coefficient)
            inputs["quality_coefficient_used"] = {"value": format(q, "f"), **source}
            result = valuation.cost(
                [valuation.CostItem(i.kind.value, Decimal(i.amount)) for i in data.cost_items],
                Decimal(data.return_rate),
                q,
            )
        elif isinstance(data, IncomeValuation):
            result = valuation.income(
                [Decimal(f) for f in data.cash_flows],
                Decimal(data.discount_rate),
                Decimal(data.share_rate),
            )
        else:
            q, source = await _quality_coefficient(session, product_id, data.quality_coefficient)
            inputs["quality_coefficient_used"] = {"value": format(q, "f"), **source}
            result, selection, excluded = await _market(session, product, data, q, large_amount)
            if selection is not None:
                inputs["comparables_source"] = "trusted trades"
    except valuation.ValuationInputError as exc:
        raise ValidationFailed.field(
            ["body", *exc.field.split(".")], Text(exc.message, exc.message_zh)
        ) from exc
    duration = round((time.perf_counter() - started) * 1000)
    body = jsonable(
        {
            "method": result.method.value,
            "value": result.value,
            "formula": result.formula,
            "factors": result.factors,
            "breakdown": result.breakdown,
        }
    )
    if selection is not None:
        body["comparables"] = selection
    if excluded is not None:
        body["excluded"] = jsonable(excluded)
    assessment = _record(
        who,
        product,
        "valuation",
        self_check,
        inputs,
        body,
        duration,
        result.rules_version,
        method=result.method.value,
        value=result.value,
    )
    return await _keep(
        session,
        who,
        assessment,
        {"method": result.method.value, "value": format(result.value, "f")},
    )


async def readable(session: AsyncSession, who: Principal, product_id: UUID) -> None:
    """Assessments are for the product's merchant and the roles that read everything."""
    product = await products_repository.get_visible(session, product_id, who)
    if product is None or not (who.reads_everything() or who.owns_merchant(product.merchant_id)):
        raise NotFound.of(products.PRODUCT, product_id)


async def get(
    session: AsyncSession, who: Principal, product_id: UUID, kind: str, assessment_id: UUID
) -> Assessment:
    await readable(session, who, product_id)
    found = await repository.get(session, product_id, kind, assessment_id)
    if found is None:
        raise NotFound.of(ASSESSMENT, assessment_id)
    return found
