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
- 开发支出 impairment (in development): Dr 6701 / Cr 5301 资本化支出 (the chart has no
  开发支出减值准备: 5301 carries 开发支出 net, as the balance sheet shows it); at `capitalise`
  Dr 1701 cost / Cr 5301 cost less provision / Cr 1703 the provision.
- `derecognise` (失效且终止确认): the carrying amount to 6711 营业外支出 with 1702 / 1703 /
  1471 closed and the cost credited. Before capitalisation: a developed asset's development
  items less their provision Dr 6602 管理费用—研究费用 / Cr 5301 资本化支出 (终止开发项目转出); a
  purchased or other
  intangible's items Dr 6711 / Cr 1701; inventory's Dr 6711 / Cr 5001.
- Dates: a cost item's voucher is dated the day incurred, a movement's its date, amortisation
  and the research transfer the last day of their month. Numbering: 记-1, 记-2, … per
  merchant and calendar month, in date order; on one day cost items come first, then
  capitalisations, then amortisation, then the other movements (an impairment takes effect
  after its month's amortisation), then the research transfer; within each, by leaf index
  in the `FIN` log (amortisation: by the asset's creation, then id). A voucher's number
  depends only on its month's entries, so any `from`/`to` shows the same numbers.
- Lines with a nil amount are left out; a voucher with no line is not written.
- The disclosure follows the same "Work in progress" (engine `carried_from_incurred`): 1701
  is the intangible table's 期末余额 and 1405 + 5001 the inventory table's, 5001 its
  其中：在产品 (`work_in_progress_closing`).
- Closed months (DOMAIN.md "Periods", "Bases"): a month closed by a close is written from the
  records before that close's leaf in `FIN`, as its as-reported disclosure is, so a closed
  month's vouchers never change: a restated cost item or movement, though dated in a closed
  month, never appears there. Open months are written from every record (restated figures).
- A restatement (CAS 28 第十二条, 以前年度损益调整) is one new voucher in the first month that
  was open when it was recorded (the month after the last close before its leaf): dated the
  day it was recorded (Asia/Shanghai) when that day lies in that month, else that month's
  first day, so that from that month on the journal's balances are the restated disclosure's
  at every month end (and a restatement of FY2025 recorded in 2027 still lands in FY2026, the
  year whose opening it corrects). First on its day. Its lines: the voucher its record would
  have had, then the catch-up of the months closed when it was recorded (what the record
  changed in every other voucher through the last closed month, amortisation above all),
  every profit-and-loss account (6xxx) replaced by 6901 以前年度损益调整. DOMAIN.md's example:
  Dr 2202 2000.00 / Cr 1701 2000.00; Dr 1702 333.33 / Cr 6901 333.33.
- `cost_adjustment` (only ever a restatement's record): the signed change of the cost on the
  asset's cost account against 2202 应付账款, as a cost item's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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

    def before(self, leaf: int | None) -> AssetRecord:
        """The asset as recorded before leaf `leaf` of `FIN` (all: None)."""
        if leaf is None:
            return self
        return replace(
            self,
            items=[i for i in self.items if i.leaf_index < leaf],
            movements=[m for m in self.movements if m.leaf_index < leaf],
        )

    def without(self, record_id: UUID) -> AssetRecord:
        return replace(
            self,
            items=[i for i in self.items if i.id != record_id],
            movements=[m for m in self.movements if m.id != record_id],
        )


@dataclass(frozen=True)
class CloseRecord:
    """A close: months through `through` are written from the records before `leaf_index`,
    each asset under the name it had then (`names`, by asset id; else its name)."""

    through: engine.Month
    leaf_index: int
    names: Mapping[UUID, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RestatementRecord:
    """An applied restatement: its leaf, its record (cost item or movement) and the day it
    was recorded (Asia/Shanghai)."""

    id: UUID
    asset_id: UUID
    record_id: UUID
    period: engine.Month
    leaf_index: int
    recorded_on: date


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
    # The asset's class when the movement was taken (a reclassification changes it).
    asset_class: AssetClass

    def amount(self, key: str) -> Decimal:
        return self.effects.get(key, ZERO)

    @property
    def proceeds(self) -> Decimal:
        value = self.details.get("proceeds")
        return Decimal(str(value)) if value is not None else ZERO


def _cost_account(asset_class: AssetClass) -> str:
    return "1405" if asset_class is AssetClass.inventory else "1701"


def _capitalise(m: Moved) -> list[Line]:
    cost = m.amount("cost")
    if m.asset_class is AssetClass.inventory:
        return [dr("1405", cost), cr("5001", cost)]
    if m.asset.source is Source.developed:
        # 开发支出's impairment (on 5301, net) becomes the intangible's 减值准备 (1703).
        provision = m.amount("impairment")
        return [dr("1701", cost), cr("5301", cost - provision, CAPITALISED), cr("1703", provision)]
    return []  # already on 1701 item by item


def _dispose(m: Moved) -> list[Line]:
    cost, carrying, proceeds = m.amount("cost"), m.amount("carrying_amount"), m.proceeds
    if m.asset_class is AssetClass.inventory:
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
        if m.asset.source is Source.developed:  # 终止开发项目转出: costs less provision
            expensed = m.amount("research_expense")
            return [dr("6602", expensed, RESEARCH), cr("5301", expensed, CAPITALISED)]
        if m.asset_class is AssetClass.inventory:
            return [dr("6711", m.gathered), cr("5001", m.gathered)]
        return [dr("6711", m.gathered), cr("1701", m.gathered)]
    return [
        dr("1702", m.amount("amortisation")),
        dr("1703", m.amount("impairment")),
        dr("1471", m.amount("write_down")),
        dr("6711", m.amount("carrying_amount")),
        cr(_cost_account(m.asset_class), m.amount("cost")),
    ]


def _impair(m: Moved) -> list[Line]:
    if not m.was_capitalised:  # 开发支出 impaired: 5301 is shown net of it until capitalise
        return [dr("6701", m.amount("impairment")), cr("5301", m.amount("impairment"), CAPITALISED)]
    return [dr("6701", m.amount("impairment")), cr("1703", m.amount("impairment"))]


def _write_down(m: Moved) -> list[Line]:
    return [dr("6701", m.amount("write_down")), cr("1471", m.amount("write_down"))]


def _reverse_write_down(m: Moved) -> list[Line]:
    return [dr("1471", m.amount("write_down")), cr("6701", m.amount("write_down"))]


def _cost_adjustment(m: Moved) -> list[Line]:
    """The signed change of the cost against 2202, as a cost item's (a decrease: Dr 2202)."""
    cost, account = m.amount("cost"), _cost_account(m.asset_class)
    if cost < 0:
        return [dr("2202", -cost), cr(account, -cost)]
    return [dr(account, cost), cr("2202", cost)]


def _reclassify(m: Moved) -> list[Line]:
    """The old class's balances out, the new class's in, at the same carrying amount:
    to inventory Dr 1405 (cost − amortisation) / Dr 1702 / Dr 1703 / Cr 1701 / Cr 1471;
    to intangible Dr 1701 / Dr 1471 / Cr 1405 / Cr 1703."""
    cost, cost_in, provision_in = m.amount("cost"), m.amount("cost_in"), m.amount("provision_in")
    if m.asset_class is AssetClass.intangible:  # to inventory
        return [
            dr("1405", cost_in),
            dr("1702", m.amount("amortisation")),
            dr("1703", m.amount("impairment")),
            cr("1701", cost),
            cr("1471", provision_in),
        ]
    return [
        dr("1701", cost_in),
        dr("1471", m.amount("write_down")),
        cr("1405", cost),
        cr("1703", provision_in),
    ]


# Movement → (its summary, its lines). A new movement is one row here.
MOVEMENT_VOUCHERS: dict[str, tuple[str, Callable[[Moved], list[Line]]]] = {
    MovementType.capitalise.value: ("确认入表", _capitalise),
    MovementType.dispose.value: ("处置/出售", _dispose),
    MovementType.derecognise.value: ("失效且终止确认", _derecognise),
    MovementType.impair.value: ("计提无形资产减值准备", _impair),
    MovementType.write_down.value: ("计提存货跌价准备", _write_down),
    MovementType.reverse_write_down.value: ("存货跌价准备转回", _reverse_write_down),
    MovementType.cost_adjustment.value: ("调整成本", _cost_adjustment),
    # An estimate change moves nothing itself: the amortisation vouchers after it change.
    MovementType.revise.value: ("会计估计变更", lambda m: []),
    MovementType.reclassify.value: ("重分类", _reclassify),
}
# The order of a day's vouchers (see the module's docstring); movements not named: OTHER.
RANK: dict[str, int] = {
    "restatement": -1,
    "cost_item": 0,
    MovementType.capitalise.value: 1,
    "amortisation": 2,
}
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
        engine.CostItem(i.amount, i.incurred_on, i.phase, i.vat_deductible) for i in asset.items
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
    # In date order, as `engine.replay` takes them (a restatement's is dated back).
    for moved in sorted(asset.movements, key=lambda m: m.movement.on):
        gathered = book.capitalisable_cost
        was_capitalised = book.capitalised_on is not None
        asset_class = book.asset_class
        effects = engine.apply(book, moved.movement)
        kind = moved.movement.type.value
        summary, template = MOVEMENT_VOUCHERS[kind]
        lines = template(
            Moved(asset, gathered, was_capitalised, effects, moved.details, asset_class)
        )
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
        # After an end the charge is nil (engine: not amortised), as after a
        # reclassification to inventory; the month of such a reclassification is charged.
        for month in range(max(start, first), last + 1):
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


def _month_vouchers(
    assets: Sequence[AssetRecord], first: engine.Month, last: engine.Month
) -> list[Voucher]:
    every = [v for a in assets for v in asset_vouchers(a, first, last)]
    return every + research_transfers(assets, first, last)


def _ledger(asset: AssetRecord, through: engine.Month) -> dict[tuple[str, str | None], Decimal]:
    """Debit less credit by (code, sub-ledger) of the asset's vouchers through `through`, its
    research transfers included, every profit-and-loss account as 6901."""
    found: dict[tuple[str, str | None], Decimal] = {}
    for v in _month_vouchers([asset], 0, through):
        for x in v.lines:
            key = ("6901", None) if x.code.startswith("6") else (x.code, x.sub)
            found[key] = found.get(key, ZERO) + x.debit - x.credit
    return found


def _as_prior(lines: Sequence[Line]) -> list[Line]:
    return [replace(x, code="6901", sub=None) if x.code.startswith("6") else x for x in lines]


def restatement_voucher(
    asset: AssetRecord, restatement: RestatementRecord, closes: Sequence[CloseRecord]
) -> Voucher | None:
    """The restatement's voucher (see the module's docstring): `asset` as fully recorded,
    `closes` the merchant's, in order."""
    earlier = [c for c in closes if c.leaf_index < restatement.leaf_index]
    through = earlier[-1].through if earlier else restatement.period
    opened = through + 1  # the first month open when it was recorded
    on = restatement.recorded_on
    if engine.month_of(on) != opened:
        on = engine.month_start(opened)
    with_it = asset.before(restatement.leaf_index)
    own = next(
        (v for v in asset_vouchers(with_it, 0, through) if v.entry.id == restatement.record_id),
        None,
    )
    lines = _as_prior(own.lines) if own is not None else []
    moved = _ledger(with_it, through)
    for key, amount in _ledger(with_it.without(restatement.record_id), through).items():
        moved[key] = moved.get(key, ZERO) - amount
    for x in lines:  # what the record's own voucher does not say is the catch-up
        moved[(x.code, x.sub)] = moved.get((x.code, x.sub), ZERO) - x.debit + x.credit
    catch_up = sorted(moved.items(), key=lambda kv: (kv[1] < 0, kv[0][0], kv[0][1] or ""))
    lines += [dr(c, a, sub) if a > 0 else cr(c, -a, sub) for (c, sub), a in catch_up if a]
    return _voucher(
        on,
        f"{asset.name} 前期差错更正({engine.month_text(restatement.period)})",
        lines,
        Entry("restatement", restatement.id, restatement.leaf_index, asset.id),
        (RANK["restatement"], restatement.leaf_index),
    )


def _segments(
    closes: Sequence[CloseRecord], first: engine.Month, last: engine.Month
) -> list[tuple[CloseRecord | None, engine.Month, engine.Month]]:
    """The months `first` … `last` cut by the closes: (the close that closed them, or None
    for open months; first month; last month)."""
    found: list[tuple[CloseRecord | None, engine.Month, engine.Month]] = []
    low = first
    for close in closes:
        if low > last:
            break
        if close.through >= low:
            found.append((close, low, min(close.through, last)))
            low = close.through + 1
    if low <= last:
        found.append((None, low, last))
    return found


def journal(
    assets: Sequence[AssetRecord],
    first: engine.Month,
    last: engine.Month,
    closes: Sequence[CloseRecord] = (),
    restatements: Sequence[RestatementRecord] = (),
) -> list[Voucher]:
    """The merchant's vouchers dated in the months `first` … `last`, numbered per month:
    a closed month's from the records before its close, an open month's from all, and one
    per restatement. `closes` in order of their months."""
    # A voucher's number depends only on its own month's vouchers: earlier months are not
    # needed to number these.
    every: list[Voucher] = []
    for close, low, high in _segments(closes, first, last):
        # A closed month as closed: its records then, its assets' names then.
        names = close.names if close is not None else {}
        shown = {a.id: replace(a, name=names.get(a.id, a.name)) for a in assets}
        cutoff = close.leaf_index if close is not None else None
        every += _month_vouchers([a.before(cutoff) for a in shown.values()], low, high)
        for r in restatements:
            if cutoff is not None and r.leaf_index >= cutoff:
                continue  # recorded after this close: not in its months
            v = restatement_voucher(shown[r.asset_id], r, closes)
            if v is not None and low <= engine.month_of(v.date) <= high:
                every.append(v)
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
