"""`/v1/data-assets` (数据资产入表: the register, its cost items, movements, schedules and
restatements), `/v1/merchants/{id}/data-asset-disclosure` (the tables of 财会〔2023〕11号,
JSON or XLSX, as reported or restated), `/v1/merchants/{id}/data-asset-periods` (closes)
and `/v1/data-asset-restatements` (an operator's approval or rejection)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel

from app.assets import disclosure, evidence, periods, report, service, workbook
from app.assets.auth import AssetsRead, AssetsWrite
from app.assets.engine import AssetClass, MovementType, Source, Status
from app.assets.models import DataAssetPeriodClose, DataAssetRestatement
from app.assets.schemas import (
    Basis,
    Capitalise,
    CostItemCreate,
    CostItemOut,
    DataAssetChange,
    DataAssetCreate,
    DataAssetDetail,
    DataAssetOut,
    Derecognise,
    Disclosure,
    Dispose,
    Impair,
    MovementOut,
    PeriodCloseCreate,
    PeriodCloseOut,
    Reclassify,
    RestatementCreate,
    RestatementDecision,
    RestatementOut,
    Revise,
    ScheduleOut,
    ScheduleRowOut,
    WriteDown,
)
from app.core.clock import QueryMonth
from app.core.etags import set_etag
from app.core.money import cents
from app.core.pagination import Page, PageParams, cut, id_after, page_params
from app.core.principal import Principal
from app.merchants import repository as merchants
from app.web.deps import AppSettings, PublicReadSession, ReadSession, Session
from app.web.idempotency import RETRY_SAFE
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

router = APIRouter(prefix="/v1/data-assets", tags=["data-assets"], route_class=ReplicaAwareRoute)
disclosures = APIRouter(prefix="/v1/merchants", tags=["data-assets"], route_class=ReplicaAwareRoute)

IfMatch = Annotated[str | None, Header(description="The asset's ETag.")]
MOVEMENT_ERRORS = errors(401, 403, 404, 409, 412, 422, 428)


def asset_out(view: service.View, who: Principal) -> DataAssetOut:
    asset = view.asset
    return DataAssetOut(
        id=asset.id,
        merchant_id=asset.merchant_id,
        product_id=asset.product_id,
        name=asset.name,
        description=asset.description,
        asset_class=view.book.asset_class,  # its class now (reclassify changes it)
        source=Source(asset.source),
        status=Status(asset.status),
        allowed_actions=service.allowed_actions(view, who),
        created_at=asset.created_at,
        updated_at=asset.updated_at,
        version=asset.version,
        **service.amounts(view),
    )


def detail(view: service.View, who: Principal, response: Response) -> DataAssetDetail:
    set_etag(response, view.asset.version)
    capitalisable = {i.id: i.phase != "research" and not i.vat_deductible for i in view.items}
    return DataAssetDetail(
        **asset_out(view, who).model_dump(),
        cost_items=[
            CostItemOut.model_validate(
                {
                    **_columns(i),
                    "capitalisable": capitalisable[i.id],
                    "evidenced": evidence.evidenced(i),
                    "invoice": {
                        "number": i.invoice_number,
                        "issued_on": i.invoice_issued_on,
                        "amount": cents(i.invoice_amount),
                    }
                    if i.invoice_number and i.invoice_amount is not None
                    else None,
                }
            )
            for i in view.items
        ],
        movements=[MovementOut.model_validate(m) for m in view.movements],
    )


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


@router.post(
    "",
    response_model=DataAssetDetail,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 422),
)
async def create_asset(
    data: DataAssetCreate, session: Session, who: AssetsWrite, response: Response
) -> DataAssetDetail:
    """Open a data asset in the register: `intangible` (used by the company, CAS 6) or
    `inventory` (held for sale, CAS 1), with its source. A developed intangible starts
    `in_development` (开发支出), every other asset `open`; both gather cost items until
    `capitalise`. A merchant's key opens its own; an operator names `merchant_id`."""
    asset = await service.create(session, who, data)
    response.headers["Location"] = f"/v1/data-assets/{asset.id}"
    return detail((await service.views(session, [asset]))[0], who, response)


@router.get("", response_model=Page[DataAssetOut], responses=errors(401, 403, 422))
async def list_assets(
    session: PublicReadSession,
    who: AssetsRead,
    page: Annotated[PageParams, Depends(page_params)],
    merchant_id: UUID | None = None,
    asset_class: AssetClass | None = None,
    status: Status | None = None,
    product_id: UUID | None = None,
) -> Page[DataAssetOut]:
    """Data assets, oldest first: a merchant's own; operators and auditors everyone's.
    Amounts are at the end of the current month (Asia/Shanghai)."""
    where = service.AssetFilter(
        merchant_id=merchant_id,
        asset_class=asset_class.value if asset_class else None,
        status=status.value if status else None,
        product_id=product_id,
    )
    rows = await service.list_page(session, who, where, id_after(page), page.limit)
    items, next_cursor = cut(rows, page.limit, lambda r: [str(r.id)])
    return Page[DataAssetOut](
        items=[asset_out(v, who) for v in await service.views(session, items)],
        next_cursor=next_cursor,
    )


@router.get("/{asset_id}", response_model=DataAssetDetail, responses=errors(401, 403, 404, 422))
async def get_asset(
    asset_id: UUID, session: PublicReadSession, who: AssetsRead, response: Response
) -> DataAssetDetail:
    """One asset with its cost items and movements, each with its leaf in the `FIN` log."""
    return detail(await service.get_view(session, who, asset_id), who, response)


@router.patch(
    "/{asset_id}", response_model=DataAssetDetail, responses=errors(401, 403, 404, 409, 412, 422)
)
async def update_asset(
    asset_id: UUID,
    data: DataAssetChange,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """Change the asset's name, description or product (its class and source never change;
    its amounts change only by cost items and movements). Changing no money and setting
    values, it is safe to retry as it is; `If-Match` guards it against another's change."""
    asset = await service.update(session, who, asset_id, data, if_match)
    return detail((await service.views(session, [asset]))[0], who, response)


@router.post(
    "/{asset_id}/costs",
    response_model=DataAssetDetail,
    status_code=status.HTTP_201_CREATED,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def add_cost(
    asset_id: UUID,
    data: CostItemCreate,
    session: Session,
    who: AssetsWrite,
    response: Response,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """Add a cost item (before `capitalise`; after it 409), optionally resting on evidence:
    a trade the merchant bought that counts (confirmed; a large off-venue one by an
    operator) (all items on one trade together at most its
    amount), an independent assessment of the asset's product, or an IP certificate the
    merchant holds; anything else is 422. A developed asset's items are `research`
    (expensed) or `development` (开发支出). The item is a leaf of the `FIN` log."""
    asset = await service.add_cost(
        session, who, asset_id, data, if_match, settings.large_trade_amount
    )
    response.headers["Location"] = f"/v1/data-assets/{asset.id}"
    return detail((await service.views(session, [asset]))[0], who, response)


async def _move(
    session: Any,
    who: Principal,
    asset_id: UUID,
    kind: MovementType,
    body: BaseModel,
    if_match: str | None,
    response: Response,
) -> DataAssetDetail:
    asset = await service.move(session, who, asset_id, kind, body.model_dump(), if_match)
    return detail((await service.views(session, [asset]))[0], who, response)


@router.post(
    "/{asset_id}/capitalise",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def capitalise(
    asset_id: UUID,
    data: Capitalise,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """Recognise the asset at the sum of its capitalisable cost items (research excluded):
    an intangible with `useful_life_months` (straight line, from the month of `date`,
    当月增加当月摊销) or `indefinite: true` (not amortised) and a `residual_value`; inventory
    with neither. 409 with nothing to capitalise; `date` before the latest item is 422."""
    return await _move(session, who, asset_id, MovementType.capitalise, data, if_match, response)


@router.post(
    "/{asset_id}/dispose",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def dispose(
    asset_id: UUID,
    data: Dispose,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """处置 / 出售. An intangible is disposed of whole; its month is not amortised
    (当月减少当月不摊销). Inventory sells `fraction` of what remains, releasing
    round_half_up(remaining cost × fraction) and the same share of its provision (转销)."""
    return await _move(session, who, asset_id, MovementType.dispose, data, if_match, response)


@router.post(
    "/{asset_id}/revise",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def revise(
    asset_id: UUID,
    data: Revise,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """会计估计变更 (CAS 6 第二十条, CAS 28 第八条) of a capitalised intangible: a new
    `useful_life_months` (from capitalisation) or `indefinite: true` (with
    `indefinite_basis`), a new `residual_value` (below the carrying amount), and a
    `reason`. Prospective: from the month after `date`, B = carrying amount at the end of
    that month − residual value, R = the months left. Disclosed under `estimate_changes`."""
    return await _move(session, who, asset_id, MovementType.revise, data, if_match, response)


@router.post(
    "/{asset_id}/reclassify",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def reclassify(
    asset_id: UUID,
    data: Reclassify,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """重分类: a held inventory asset `to: intangible` or a capitalised intangible `to:
    inventory`, at its carrying amount at the end of the month of `date`, provisions with it
    (存货跌价准备 ↔ 无形资产减值准备): 其他减少 in the old class's table, 其他增加 in the new.
    To intangible: `useful_life_months` (from the month after `date`, B = carrying amount −
    `residual_value`) or `indefinite: true` with `indefinite_basis`. To inventory: the month
    of `date` is the last amortised; inventory's cost is cost − accumulated amortisation and
    the impairment becomes its 存货跌价准备. 409 unless capitalised or held, before
    capitalisation, to the class it has, or a second class change the same day."""
    return await _move(session, who, asset_id, MovementType.reclassify, data, if_match, response)


@router.post(
    "/{asset_id}/derecognise",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def derecognise(
    asset_id: UUID,
    data: Derecognise,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """失效且终止确认: the asset leaves the books (its month is not amortised), with a reason."""
    return await _move(session, who, asset_id, MovementType.derecognise, data, if_match, response)


@router.post(
    "/{asset_id}/impair",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def impair(
    asset_id: UUID,
    data: Impair,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """Impair an intangible (CAS 8) to its recoverable amount at the end of the month of
    `date`, after that month's amortisation; from the next month amortisation restarts on
    the new carrying amount over the months left. Never reversed. 409 when the carrying
    amount is not above the recoverable amount."""
    return await _move(session, who, asset_id, MovementType.impair, data, if_match, response)


@router.post(
    "/{asset_id}/write-down",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def write_down(
    asset_id: UUID,
    data: WriteDown,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """Raise inventory's 存货跌价准备 to cost less net realisable value (CAS 1); 409 when it
    already covers that."""
    return await _move(session, who, asset_id, MovementType.write_down, data, if_match, response)


@router.post(
    "/{asset_id}/reverse-write-down",
    response_model=DataAssetDetail,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def reverse_write_down(
    asset_id: UUID,
    data: WriteDown,
    session: Session,
    who: AssetsWrite,
    response: Response,
    if_match: IfMatch = None,
) -> DataAssetDetail:
    """Lower inventory's provision to cost less net realisable value, never below zero
    (转回); 409 when there is nothing to reverse."""
    return await _move(
        session, who, asset_id, MovementType.reverse_write_down, data, if_match, response
    )


@router.get(
    "/{asset_id}/schedule", response_model=ScheduleOut, responses=errors(401, 403, 404, 422)
)
async def get_schedule(
    asset_id: UUID,
    session: PublicReadSession,
    who: AssetsRead,
    through: Annotated[
        QueryMonth | None,
        Query(description="The last month shown (1990-01 to 2100-12); default: the current one."),
    ] = None,
) -> ScheduleOut:
    """The asset's amortisation (and provisions) month by month, from the month it was
    capitalised through `through`, or the month it left the books."""
    last, rows = await service.schedule(session, who, asset_id, through)
    return ScheduleOut(
        asset_id=asset_id,
        through=last,
        rows=[ScheduleRowOut.model_validate(r) for r in rows],
    )


def _wants_workbook(accept: str | None) -> bool:
    """True when `Accept` names the XLSX media type (with a weight above 0)."""
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        if media.strip().lower() == workbook.MEDIA_TYPE:
            weight = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(weight) > 0
            except ValueError:
                return False
    return False


@disclosures.get(
    "/{merchant_id}/data-asset-disclosure",
    response_model=Disclosure,
    responses={
        200: {
            "description": "The disclosure; as XLSX when `Accept` asks for it.",
            "content": {workbook.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(401, 403, 404, 422),
    },
)
async def get_disclosure(
    merchant_id: UUID,
    request: Request,
    session: ReadSession,
    who: AssetsRead,
    from_: Annotated[
        QueryMonth, Query(alias="from", description="First month, `YYYY-MM`, 1990-01 to 2100-12.")
    ],
    to: Annotated[QueryMonth, Query(description="Last month, `YYYY-MM`, 1990-01 to 2100-12.")],
    basis: Annotated[
        Basis | None,
        Query(
            description="`as_reported` (the entries recorded before the close of `to`; the "
            "default when `to` is closed, else 422) or `restated` (all entries; the default "
            "otherwise)."
        ),
    ] = None,
) -> Any:
    """The data-resource disclosure of 财会〔2023〕11号 for the months `from` … `to`: the
    intangible and inventory tables by source (opening + additions − reductions = closing in
    every column), the balance-sheet lines at the period end, research expensed, each
    asset's life and method, significant assets (≥ 10 % of the intangibles' carrying
    amount) and restricted ones (a linked certificate pledged at the period end). The
    merchant itself, operators and auditors. With `Accept:
    application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, the same as an Excel
    workbook, one sheet per table, each headed by 编制单位, 期间, 口径 (按报告数 or 重述后)
    and 单位：元, dates as Excel dates. Statuses, lives and residual values are those at the
    period end.

    Closed periods: `basis`, `closed`, `report_sha256` (SHA-256 of this JSON, RFC 8785
    canonical, without that key: for the fiscal year January … a close's `through` as
    reported, the close's digest), the `restatements` touching the period with their effect
    per line, and each column's `prior_period_corrections` (前期差错更正) included in the
    opening balances."""
    data = await disclosure.disclosure(
        session, who, merchant_id, from_, to, basis.value if basis else None
    )
    body = report.disclosure_out(data)
    if not _wants_workbook(request.headers.get("accept")):
        return body
    merchant = await merchants.get(session, merchant_id)
    assert merchant is not None
    name = f"data-asset-disclosure-{body.from_}-{body.to}.xlsx"
    return Response(
        content=workbook.render(body, merchant.name),
        media_type=workbook.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- Periods and restatements ---------------------------------------------------------------

restatements = APIRouter(
    prefix="/v1/data-asset-restatements", tags=["data-assets"], route_class=ReplicaAwareRoute
)


def close_out(row: DataAssetPeriodClose) -> PeriodCloseOut:
    return PeriodCloseOut(
        id=row.id,
        merchant_id=row.merchant_id,
        through=row.through.isoformat()[:7],
        closed_at=row.closed_at,
        report_sha256=row.report_sha256,
        leaf_index=row.leaf_index,
    )


def restatement_out(row: DataAssetRestatement, response: Response | None = None) -> RestatementOut:
    if response is not None:
        set_etag(response, row.version)
    return RestatementOut(
        id=row.id,
        asset_id=row.asset_id,
        merchant_id=row.merchant_id,
        period=row.period.isoformat()[:7],
        reason=row.reason,
        entry=row.entry,
        state=row.state,
        requested_by_role=row.requested_by_role,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        record_type=row.record_type,
        record_id=row.record_id,
        leaf_index=row.leaf_index,
        created_at=row.created_at,
        version=row.version,
    )


@disclosures.post(
    "/{merchant_id}/data-asset-periods",
    response_model=PeriodCloseOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 403, 404, 409, 412, 422, 428),
    dependencies=[RETRY_SAFE],
)
async def close_periods(
    merchant_id: UUID,
    data: PeriodCloseCreate,
    session: Session,
    who: AssetsWrite,
    if_match: Annotated[
        str | None, Header(description="The ETag of the merchant's list of closes.")
    ] = None,
) -> PeriodCloseOut:
    """Close the merchant's months through `through` (a past month): the first close closes
    every month up to it, later ones the months after the last closed; months never reopen
    (409 for a month closed already). From then on a cost item or movement dated in a closed
    month is 409 `period_closed`: only a restatement records one. The close is a leaf of
    `FIN` carrying the SHA-256 of the as-reported disclosure of the fiscal year of
    `through`, January to `through`. The merchant's own key or an operator; safe to retry
    with `Idempotency-Key`, or `If-Match` naming the list of closes read (its ETag)."""
    return close_out(await periods.close(session, who, merchant_id, data.through, if_match))


@disclosures.get(
    "/{merchant_id}/data-asset-periods",
    response_model=list[PeriodCloseOut],
    responses=errors(401, 403, 404),
)
async def list_closes(
    merchant_id: UUID, session: PublicReadSession, who: AssetsRead, response: Response
) -> list[PeriodCloseOut]:
    """The merchant's closes, oldest first (the merchant itself, operators, auditors); the
    ETag names their number, for a close's `If-Match`."""
    found = await periods.closes(session, who, merchant_id)
    set_etag(response, len(found))
    return [close_out(c) for c in found]


@router.post(
    "/{asset_id}/restatements",
    response_model=RestatementOut,
    status_code=status.HTTP_201_CREATED,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def restate(
    asset_id: UUID,
    data: RestatementCreate,
    session: Session,
    who: AssetsWrite,
    response: Response,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> RestatementOut:
    """Correct a prior-period error (CAS 28 第十二条): an entry dated in the closed month
    `period`, with a `reason`. `entry` is `{type, date, …}`: `cost_item` (an asset still
    gathering costs), `cost_adjustment` (`amount`, signed, not zero: the cost from that
    month, accumulated amortisation recomputed on the new base) or a movement with its
    fields. An operator's applies at once (`applied`); a merchant's is `pending` until an
    operator approves it. Checked when asked and again when applied."""
    row = await periods.request(session, who, asset_id, data, if_match, settings.large_trade_amount)
    response.headers["Location"] = f"/v1/data-asset-restatements/{row.id}"
    return restatement_out(row, response)


@router.get(
    "/{asset_id}/restatements",
    response_model=list[RestatementOut],
    responses=errors(401, 403, 404, 422),
)
async def list_restatements(
    asset_id: UUID, session: PublicReadSession, who: AssetsRead
) -> list[RestatementOut]:
    """The asset's restatements, oldest first, in every state."""
    return [restatement_out(r) for r in await periods.of_asset(session, who, asset_id)]


@restatements.get(
    "/{restatement_id}", response_model=RestatementOut, responses=errors(401, 403, 404, 422)
)
async def get_restatement(
    restatement_id: UUID, session: PublicReadSession, who: AssetsRead, response: Response
) -> RestatementOut:
    """One restatement (its asset's merchant, operators, auditors)."""
    return restatement_out(await periods.get(session, who, restatement_id), response)


@restatements.post(
    "/{restatement_id}/approve",
    response_model=RestatementOut,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def approve_restatement(
    restatement_id: UUID,
    session: Session,
    who: AssetsWrite,
    response: Response,
    settings: AppSettings,
    if_match: IfMatch = None,
) -> RestatementOut:
    """An operator applies a merchant's pending restatement, checked against the books as
    they are now (a merchant never approves, its own or another's: 403)."""
    row = await periods.approve(session, who, restatement_id, if_match, settings.large_trade_amount)
    return restatement_out(row, response)


@restatements.post(
    "/{restatement_id}/reject",
    response_model=RestatementOut,
    responses=MOVEMENT_ERRORS,
    dependencies=[RETRY_SAFE],
)
async def reject_restatement(
    restatement_id: UUID,
    session: Session,
    who: AssetsWrite,
    response: Response,
    data: RestatementDecision | None = None,
    if_match: IfMatch = None,
) -> RestatementOut:
    """An operator rejects a merchant's pending restatement (with an optional `reason`);
    nothing is recorded in the books."""
    row = await periods.reject(
        session, who, restatement_id, data.reason if data else None, if_match
    )
    return restatement_out(row, response)
