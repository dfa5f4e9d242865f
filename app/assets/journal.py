"""The data-asset journal (记账凭证): the register's entries as balanced vouchers, pure.

In: each asset's cost items and movements (as recorded) and its class and source. Out: one
voucher per cost item, per movement, per month of amortisation of each asset, and per month
of research expensed, each with its debit and credit lines on the default chart of accounts
of DOMAIN.md ("Books a CPA signs → Journal"); `resolve` puts them on a merchant's own chart.
The amounts come from the engine (`engine.apply` replays each movement and says what it
moved; `Book.charge` gives a month's amortisation), so the journal and the disclosure are
two views of one computation, and reconcile by construction: tests check they do.

A new movement is one row of `MOVEMENT_VOUCHERS` (its template: the lines from what the
movement moved) and, when it needs an order other than "after amortisation", one of `RANK`.

Decisions where DOMAIN.md is silent (财会〔2023〕11号, CAS 6 / CAS 1 / CAS 8 practice):
- Counterpart of every cost item: 2202 应付账款 (settlement is not recorded here).
- Debit side of a cost item: a developed intangible's research item 5301 研发支出—费用化支出,
  its development item 5301 研发支出—资本化支出; a purchased or other intangible's item 1701
  无形资产—数据资源 from the day incurred (DOMAIN.md "Work in progress"); any inventory item
  5001 生产成本—数据资源 (在产品) until `capitalise`, which moves the gathered cost to 1405
  库存商品—数据资源 (purchased inventory too: until `capitalise` it is not ready for sale).
  A `taxes` item marked `vat_deductible` is 2221 应交税费—应交增值税（进项税额）.
- `capitalise` of a developed intangible: Dr 1701 / Cr 5301 资本化支出 (the development
  items); of inventory: Dr 1405 / Cr 5001; of a purchased or other intangible: no voucher,
  its items are on 1701 already.
- Research (费用化支出) is transferred to 6602 管理费用—研究费用 at each month end, one voucher
  for all the merchant's research items of the month (CAS practice: 期末结转), so 5301's
  费用化支出 is nil at every month end and 5301's balance is 开发支出.
- Amortisation: one voucher per asset and month, dated the month's last day, Dr 6602
  管理费用—无形资产摊销 / Cr 1702 累计摊销, the engine's charge of that month; none when nil.
- Impairment (intangible): Dr 6701 资产减值损失 / Cr 1703. Write-down (inventory): Dr 6701 /
  Cr 1471; its reversal (转回): Dr 1471 / Cr 6701.
- Intangible `dispose`: Dr 1702, Dr 1703, Dr 1122 应收账款 (proceeds, when given), Cr 1701
  cost; the difference (proceeds − carrying) to 6115 资产处置收益 (credit a gain, debit a loss).
  Inventory `dispose` (出售): Dr 1122 / Cr 6001 主营业务收入 (proceeds, when given); Dr 6401
  主营业务成本 (released cost − released provision), Dr 1471 (转销), Cr 1405 released cost.
- `derecognise` (失效且终止确认): the carrying amount to 6711 营业外支出 with 1702 / 1703 /
  1471 closed and the cost credited. Before capitalisation: a developed asset's development
  items Dr 6602 管理费用—研究费用 / Cr 5301 资本化支出 (终止开发项目转出); a purchased or other
  intangible's items Dr 6711 / Cr 1701; inventory's Dr 6711 / Cr 5001.
- Dates: a cost item's voucher is dated the day incurred, a movement's its date, amortisation
  and the research transfer the last day of their month. Numbering: 记-1, 记-2, … per
  merchant and calendar month, in date order; on one day cost items come first, then
  capitalisations, then amortisation, then the other movements (an impairment takes effect
  after its month's amortisation), then the research transfer; within each, by leaf index
  in the `FIN` log (amortisation: by the asset's creation, then id). A voucher's number
  depends only on its month's entries, so any `from`/`to` shows the same numbers.
- Lines with a nil amount are left out; a voucher with no line is not written.
- A purchased intangible's cost items are on 1701 before `capitalise`, while the disclosure
  of today's engine counts cost from `capitalise`: until both follow DOMAIN.md's "Work in
  progress", 1701 exceeds the table's 期末余额 by such items (and 5001 is 在产品, a line the
  table does not have yet); the tests reconcile with that difference named.
- Restatements (not yet in the register): `restatement_lines` writes their voucher. A month
  closed before a restatement must keep its vouchers as reported, the restatement carrying
  the difference of the closed months (6901): the amortisation vouchers are then to come
  from the as-reported book for closed months, not from the restated one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from app.assets import engine
from app.assets.engine import AssetClass, MovementType, Phase, Source

ZERO = engine.ZERO
WORD = "记"

# The default chart (DOMAIN.md): code → name. The keys are what a merchant may map.
DEFAULT_CHART: dict[str, str] = {
    "1002": "银行存款",
    "1122": "应收账款",
    "1405": "库存商品—数据资源",
    "1471": "存货跌价准备",
    "1701": "无形资产—数据资源",
    "1702": "累计摊销",
    "1703": "无形资产减值准备",
    "2202": "应付账款",
    "2221": "应交税费—应交增值税（进项税额）",
    "5001": "生产成本—数据资源",
    "5301": "研发支出",
    "6001": "主营业务收入",
    "6115": "资产处置收益",
    "6401": "主营业务成本",
    "6602": "管理费用",
    "6701": "资产减值损失",
    "6711": "营业外支出",
    "6901": "以前年度损益调整",
}
# Sub-ledgers (明细科目) the journal writes under a code, appended to the account's name.
CAPITALISED = "资本化支出"
EXPENSED = "费用化支出"
AMORTISATION = "无形资产摊销"
RESEARCH = "研究费用"

KIND_NAMES = {
    "purchase_price": "购买价款",
    "taxes": "相关税费",
    "processing": "数据加工费",
    "rights_verification": "数据权属鉴证费",
    "quality_assessment": "质量评估费",
    "registration_settlement": "登记结算费",
    "security": "安全管理费",
    "labour": "人工费用",
    "compute": "算力费用",
    "other": "其他费用",
}


@dataclass(frozen=True)
class Line:
    """One line on the default chart: `code`, an optional sub-ledger, debit or credit."""

    code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    sub: str | None = None


def dr(code: str, amount: Decimal, sub: str | None = None) -> Line:
    return Line(code, debit=amount, sub=sub)


def cr(code: str, amount: Decimal, sub: str | None = None) -> Line:
    return Line(code, credit=amount, sub=sub)


@dataclass(frozen=True)
class Entry:
    """Where a voucher comes from: its type (`cost_item`, a movement's name,
    `amortisation`, `research_transfer`), the record's id and FIN leaf, its asset."""

    type: str
    id: UUID | None
    leaf_index: int | None
    asset_id: UUID | None


@dataclass(frozen=True)
class Voucher:
    date: date
    summary: str
    lines: tuple[Line, ...]
    entry: Entry
    order: tuple[Any, ...]  # the tie-break within (date, rank)
    number: int = 0

    @property
    def balanced(self) -> bool:
        return sum((x.debit for x in self.lines), ZERO) == sum((x.credit for x in self.lines), ZERO)


# --- The record as the journal reads it -------------------------------------------------------


@dataclass(frozen=True)
class ItemRecord:
    id: UUID
    kind: str
    amount: Decimal
    incurred_on: date
    phase: Phase | None
    leaf_index: int
    vat_deductible: bool = False


@dataclass(frozen=True)
class MovementRecord:
    id: UUID
    movement: engine.Movement
    details: Mapping[str, Any]
    leaf_index: int


@dataclass(frozen=True)
class AssetRecord:
    id: UUID
    name: str
    asset_class: AssetClass
    source: Source
    created_at: datetime
    items: Sequence[ItemRecord]
    movements: Sequence[MovementRecord]


# --- Templates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """What a movement's template reads: the asset, its book just before the movement was
    taken (`gathered`: capitalisable cost then), what the engine says it moved, its inputs."""

    asset: AssetRecord
    gathered: Decimal
    was_capitalised: bool
    effects: Mapping[str, Decimal]
    details: Mapping[str, Any]

    def amount(self, key: str) -> Decimal:
        return self.effects.get(key, ZERO)

    @property
    def proceeds(self) -> Decimal:
        value = self.details.get("proceeds")
        return Decimal(str(value)) if value is not None else ZERO


def _cost_account(asset: AssetRecord) -> str:
    return "1405" if asset.asset_class is AssetClass.inventory else "1701"


def _capitalise(m: Moved) -> list[Line]:
    cost = m.amount("cost")
    if m.asset.asset_class is AssetClass.inventory:
        return [dr("1405", cost), cr("5001", cost)]
    if m.asset.source is Source.developed:
        return [dr("1701", cost), cr("5301", cost, CAPITALISED)]
    return []  # already on 1701 item by item


def _dispose(m: Moved) -> list[Line]:
    cost, carrying, proceeds = m.amount("cost"), m.amount("carrying_amount"), m.proceeds
    if m.asset.asset_class is AssetClass.inventory:
        provision = m.amount("write_down")
        return [
            dr("1122", proceeds),
            cr("6001", proceeds),
            dr("6401", cost - provision),
            dr("1471", provision),
            cr("1405", cost),
        ]
    gain = proceeds - carrying
    return [
        dr("1702", m.amount("amortisation")),
        dr("1703", m.amount("impairment")),
        dr("1122", proceeds),
        dr("6115", -gain) if gain < 0 else cr("6115", gain),
        cr("1701", cost),
    ]


def _derecognise(m: Moved) -> list[Line]:
    if not m.was_capitalised:  # gathering costs: they leave the books with it
        if m.asset.source is Source.developed:
            return [dr("6602", m.gathered, RESEARCH), cr("5301", m.gathered, CAPITALISED)]
        if m.asset.asset_class is AssetClass.inventory:
            return [dr("6711", m.gathered), cr("5001", m.gathered)]
        return [dr("6711", m.gathered), cr("1701", m.gathered)]
    return [
        dr("1702", m.amount("amortisation")),
        dr("1703", m.amount("impairment")),
        dr("1471", m.amount("write_down")),
        dr("6711", m.amount("carrying_amount")),
        cr(_cost_account(m.asset), m.amount("cost")),
    ]


def _impair(m: Moved) -> list[Line]:
    return [dr("6701", m.amount("impairment")), cr("1703", m.amount("impairment"))]


def _write_down(m: Moved) -> list[Line]:
    return [dr("6701", m.amount("write_down")), cr("1471", m.amount("write_down"))]


def _reverse_write_down(m: Moved) -> list[Line]:
    return [dr("1471", m.amount("write_down")), cr("6701", m.amount("write_down"))]


def restatement_lines(cost_account: str, cost: Decimal, amortisation: Decimal) -> list[Line]:
    """A restatement of a closed period (DOMAIN.md "Journal", CAS 28 第十二条): `cost` the
    signed change of the asset's cost (its counterpart 2202, as a cost item's), `amortisation`
    the signed change of the amortisation of the closed months, whose profit side is 6901
    以前年度损益调整. DOMAIN.md's example: cost −2000.00 and amortisation −333.33 give Dr 2202
    2000.00 / Cr 1701 2000.00 and Dr 1702 333.33 / Cr 6901 333.33. For the restatements'
    row of `MOVEMENT_VOUCHERS` once the register records them."""
    lines: list[Line] = []
    if cost < 0:
        lines += [dr("2202", -cost), cr(cost_account, -cost)]
    elif cost > 0:
        lines += [dr(cost_account, cost), cr("2202", cost)]
    if amortisation < 0:
        lines += [dr("1702", -amortisation), cr("6901", -amortisation)]
    elif amortisation > 0:
        lines += [dr("6901", amortisation), cr("1702", amortisation)]
    return lines


# Movement → (its summary, its lines). A new movement is one row here.
MOVEMENT_VOUCHERS: dict[str, tuple[str, Callable[[Moved], list[Line]]]] = {
    MovementType.capitalise.value: ("确认入表", _capitalise),
    MovementType.dispose.value: ("处置/出售", _dispose),
    MovementType.derecognise.value: ("失效且终止确认", _derecognise),
    MovementType.impair.value: ("计提无形资产减值准备", _impair),
    MovementType.write_down.value: ("计提存货跌价准备", _write_down),
    MovementType.reverse_write_down.value: ("存货跌价准备转回", _reverse_write_down),
}
# The order of a day's vouchers (see the module's docstring); movements not named: OTHER.
RANK: dict[str, int] = {"cost_item": 0, MovementType.capitalise.value: 1, "amortisation": 2}
OTHER = 3
LAST = 9  # the month-end research transfer


def _item_lines(asset: AssetRecord, item: ItemRecord) -> list[Line]:
    if item.vat_deductible:
        return [dr("2221", item.amount), cr("2202", item.amount)]
    if asset.asset_class is AssetClass.inventory:
        debit = dr("5001", item.amount)
    elif item.phase is Phase.research:
        debit = dr("5301", item.amount, EXPENSED)
    elif asset.source is Source.developed:
        debit = dr("5301", item.amount, CAPITALISED)
    else:
        debit = dr("1701", item.amount)
    return [debit, cr("2202", item.amount)]


def _voucher(
    on: date, summary: str, lines: list[Line], entry: Entry, order: tuple[Any, ...]
) -> Voucher | None:
    kept = tuple(x for x in lines if x.debit or x.credit)
    if not kept:
        return None
    voucher = Voucher(on, summary, kept, entry, order)
    assert voucher.balanced, voucher  # every template balances by construction
    return voucher


def asset_vouchers(asset: AssetRecord, first: engine.Month, last: engine.Month) -> list[Voucher]:
    """The vouchers of one asset dated in the months `first` … `last`, unnumbered."""
    found: list[Voucher] = []
    engine_items = [
        engine.CostItem(i.amount, i.incurred_on, i.phase)
        for i in asset.items
        if not i.vat_deductible
    ]
    for item in asset.items:
        v = _voucher(
            item.incurred_on,
            f"{asset.name} {KIND_NAMES.get(item.kind, item.kind)}"
            + ("(研究阶段)" if item.phase is Phase.research else ""),
            _item_lines(asset, item),
            Entry("cost_item", item.id, item.leaf_index, asset.id),
            (RANK["cost_item"], item.leaf_index),
        )
        if v is not None:
            found.append(v)
    book = engine.new_book(asset.asset_class, asset.source, engine_items)
    for moved in asset.movements:
        gathered = book.capitalisable_cost
        was_capitalised = book.capitalised_on is not None
        effects = engine.apply(book, moved.movement)
        kind = moved.movement.type.value
        summary, template = MOVEMENT_VOUCHERS[kind]
        lines = template(Moved(asset, gathered, was_capitalised, effects, moved.details))
        v = _voucher(
            moved.movement.on,
            f"{asset.name} {summary}",
            lines,
            Entry(kind, moved.id, moved.leaf_index, asset.id),
            (RANK.get(kind, OTHER), moved.leaf_index),
        )
        if v is not None:
            found.append(v)
    start = book.capitalised_month
    if start is not None:
        end = last if book.end_month is None else min(last, book.end_month - 1)
        for month in range(max(start, first), end + 1):
            charge = book.charge(month, month)
            v = _voucher(
                engine.month_end(month),
                f"{asset.name} 计提{engine.month_text(month)}无形资产摊销",
                [dr("6602", charge, AMORTISATION), cr("1702", charge)],
                Entry("amortisation", None, None, asset.id),
                (RANK["amortisation"], asset.created_at, str(asset.id)),
            )
            if v is not None:
                found.append(v)
    return [v for v in found if first <= engine.month_of(v.date) <= last]


def research_transfers(
    assets: Sequence[AssetRecord], first: engine.Month, last: engine.Month
) -> list[Voucher]:
    """One voucher per month with research items: 费用化支出 to 管理费用—研究费用."""
    by_month: dict[engine.Month, Decimal] = {}
    for asset in assets:
        for item in asset.items:
            if item.phase is Phase.research and not item.vat_deductible:
                month = engine.month_of(item.incurred_on)
                by_month[month] = by_month.get(month, ZERO) + item.amount
    found = []
    for month, amount in sorted(by_month.items()):
        if not first <= month <= last:
            continue
        v = _voucher(
            engine.month_end(month),
            f"结转{engine.month_text(month)}研究阶段支出",
            [dr("6602", amount, RESEARCH), cr("5301", amount, EXPENSED)],
            Entry("research_transfer", None, None, None),
            (LAST,),
        )
        if v is not None:
            found.append(v)
    return found


def journal(
    assets: Sequence[AssetRecord], first: engine.Month, last: engine.Month
) -> list[Voucher]:
    """The merchant's vouchers dated in the months `first` … `last`, numbered per month."""
    # A voucher's number depends only on its own month's vouchers: earlier months are not
    # needed to number these.
    every = [v for a in assets for v in asset_vouchers(a, first, last)]
    every += research_transfers(assets, first, last)
    every.sort(key=lambda v: (v.date, v.order))
    numbered: list[Voucher] = []
    counts: dict[engine.Month, int] = {}
    for v in every:
        month = engine.month_of(v.date)
        counts[month] = counts.get(month, 0) + 1
        numbered.append(Voucher(v.date, v.summary, v.lines, v.entry, v.order, counts[month]))
    return numbered


# --- The merchant's chart -------------------------------------------------------------------


@dataclass(frozen=True)
class ChartAccount:
    code: str
    name: str


Chart = Mapping[str, ChartAccount]


def resolve(line: Line, chart: Chart) -> ChartAccount:
    """The line's account on the merchant's chart (default where not mapped), with its
    sub-ledger: 研发支出—资本化支出."""
    mapped = chart.get(line.code) or ChartAccount(line.code, DEFAULT_CHART[line.code])
    return ChartAccount(mapped.code, f"{mapped.name}—{line.sub}" if line.sub else mapped.name)


def balances(vouchers: Sequence[Voucher]) -> dict[str, Decimal]:
    """Debit less credit by default code: what a ledger of these vouchers holds."""
    found: dict[str, Decimal] = {}
    for v in vouchers:
        for x in v.lines:
            found[x.code] = found.get(x.code, ZERO) + x.debit - x.credit
    return found
