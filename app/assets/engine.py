"""The data-asset engine (数据资产入表, DOMAIN.md "Data assets"): plain data in, Decimals out.

An asset's record is its cost items and its movements in the order they were taken. `replay`
turns them into a `Book`; `apply` takes one more movement on a book, refusing what the rules
forbid, so the service checks a new movement with the very code that later replays it.

A book keeps its history as postings (month, account, flow, signed amount) plus the
amortisation formula, from which come a balance at any month end, the flows of any period,
the monthly schedule; the regulation's disclosure tables are read from books in
app/assets/tables.py.

Decisions where DOMAIN.md and 财会〔2023〕11号 are silent (CAS 6 / CAS 1 / CAS 8 followed):
- Work in progress (DOMAIN.md "Books a CPA signs → Work in progress"): inventory's cost
  items are 存货 from the month incurred (在产品 until `capitalise`, then 库存商品, both in the
  inventory table: capitalisation moves nothing between tables), a purchased or other
  intangible's are 无形资产 from the month incurred (amortised from `capitalise`), each an
  addition of the asset's source (外购, 自行加工, 其他) in the month incurred; a developed
  asset's development items are 开发支出 from the month they are incurred until the month of
  capitalisation (or derecognition), entering the intangible table at capitalisation.
- Movements are taken in date order: one dated before the asset's latest is 409 (a
  correction is a new movement, never a back-dated one), and so is one dated before
  capitalisation.
- Indefinite life (CAS 6 第十九条): never amortised, no residual value; impairment still applies.
- An impairment whose recoverable amount is below the residual value lowers the residual
  value to it (CAS 6 第十八条: the residual value never exceeds the carrying amount), so the
  restarted base is never negative.
- Intangibles are disposed of whole (`fraction` must be 1). Inventory sells a fraction of what
  remains; the provision on the released share (转销) is the same fraction of the provision,
  never leaving more provision than remaining cost.
- Derecognising inventory writes off its provision with it, shown as 转销 (the table has no
  other reduction); derecognising an open asset takes its gathered cost out as 失效且终止确认
  that month (the journal: to 营业外支出), an in-development one ends with nothing in the
  tables (its 开发支出 leaves the balance sheet that month; it is expensed). An asset still
  gathering costs is not derecognised before its latest cost item (nor capitalised).
- An intangible disposed of or derecognised in the month of an impairment: that month is not
  amortised (the month rule wins); the impairment keeps the amount it was recorded with.
- Reclassify (DOMAIN.md "Reclassify", CAS 1 / CAS 6): a held inventory asset becomes an
  intangible, or a capitalised intangible inventory, at its carrying amount, its provision
  moving with it. See `_reclassify`; the book's class is then its class from that day, every
  posting keeps the class it was made in, and each disclosure table reads its own class's
  postings (`Book.in_class`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from app.core.i18n import Text
from app.core.money import CENT, round_half_up

ZERO = Decimal("0.00")
ONE = Decimal(1)
# The largest amount a stored column (NUMERIC(15, 2)) holds.
MAX_AMOUNT = Decimal("9999999999999.99")
# Useful lives run from one month to a hundred years.
MAX_LIFE_MONTHS = 1200


class AssetClass(StrEnum):
    intangible = "intangible"  # 企业使用的数据资源 (CAS 6)
    inventory = "inventory"  # 日常持有以备出售的数据资源 (CAS 1)


class Source(StrEnum):
    purchased = "purchased"  # 外购
    developed = "developed"  # 自行开发 (intangible)
    processed = "processed"  # 自行加工 (inventory)
    other = "other"  # 其他方式取得


SOURCES: dict[AssetClass, tuple[Source, ...]] = {
    AssetClass.intangible: (Source.purchased, Source.developed, Source.other),
    AssetClass.inventory: (Source.purchased, Source.processed, Source.other),
}


class Phase(StrEnum):
    research = "research"  # 研究阶段: expensed
    development = "development"  # 开发阶段: 开发支出, capitalised


class Status(StrEnum):
    open = "open"
    in_development = "in_development"
    capitalised = "capitalised"
    held = "held"
    disposed = "disposed"
    derecognised = "derecognised"


ENDS = frozenset({Status.disposed, Status.derecognised})
GATHERING = frozenset({Status.open, Status.in_development})


class MovementType(StrEnum):
    capitalise = "capitalise"
    dispose = "dispose"
    derecognise = "derecognise"
    impair = "impair"
    write_down = "write_down"
    reverse_write_down = "reverse_write_down"
    cost_adjustment = "cost_adjustment"  # a restatement's correction of the cost (CAS 28)
    revise = "revise"  # a change of useful life or residual value (CAS 28 会计估计变更)
    reclassify = "reclassify"  # inventory ↔ intangible at the carrying amount


class Account(StrEnum):
    cost = "cost"  # 账面原值
    amortisation = "amortisation"  # 累计摊销
    impairment = "impairment"  # 减值准备
    write_down = "write_down"  # 存货跌价准备


class Flow(StrEnum):
    purchase = "purchase"  # 购入
    internal_development = "internal_development"  # 内部研发
    processing = "processing"  # 采集加工
    other = "other"  # 其他增加 / 其他
    other_reduction = "other_reduction"  # 其他减少 (a restatement lowering the cost later)
    disposal = "disposal"  # 处置
    sale = "sale"  # 出售
    derecognition = "derecognition"  # 失效且终止确认
    charge = "charge"  # 计提 (amortisation)
    addition = "addition"  # 本期增加 (impairment, write-down)
    reduction = "reduction"  # 本期减少 (impairment)
    reversal = "reversal"  # 转回
    release = "release"  # 转销


_ADDITION_FLOW = {
    Source.purchased: Flow.purchase,
    Source.developed: Flow.internal_development,
    Source.processed: Flow.processing,
    Source.other: Flow.other,
}


class Refused(Exception):
    """A movement the rules do not admit. `field` names the input at fault (422); without
    one, the asset's state is (409)."""

    def __init__(self, message: Text, field: str | None = None) -> None:
        super().__init__(message.en)
        self.message = message
        self.field = field


# --- Months and money ----------------------------------------------------------------------

Month = int  # year × 12 + (month − 1): consecutive calendar months are consecutive integers


def month_of(day: date) -> Month:
    return day.year * 12 + day.month - 1


def month_text(month: Month) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def parse_month(text: str) -> Month:
    """`YYYY-MM` as a month; ValueError for anything else."""
    year, sep, number = text.partition("-")
    if not (sep and len(year) == 4 and len(number) == 2 and year.isascii() and number.isascii()):
        raise ValueError(f"{text!r} is not YYYY-MM")
    if not (year.isdigit() and number.isdigit() and 1 <= int(number) <= 12 and int(year) >= 1):
        raise ValueError(f"{text!r} is not YYYY-MM")
    return int(year) * 12 + int(number) - 1


def month_start(month: Month) -> date:
    return date(month // 12, month % 12 + 1, 1)


def month_end(month: Month) -> date:
    year, number = divmod(month, 12)
    return date(year, number + 1, calendar.monthrange(year, number + 1)[1])


def _cents(value: Decimal) -> int:
    return int(round_half_up(value) * 100)


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _share(total_cents: int, numerator: int, denominator: int) -> int:
    """round_half_up(total × numerator / denominator) in cents, exactly (integers only)."""
    quotient, remainder = divmod(total_cents * numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


# --- The record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostItem:
    amount: Decimal
    incurred_on: date
    phase: Phase | None = None
    vat_deductible: bool = False  # deductible input VAT (进项税额): recorded, not capitalised

    @property
    def capitalisable(self) -> bool:
        """Research (研究阶段) is expensed and deductible VAT is 进项税额; everything else is
        part of the cost."""
        return self.phase is not Phase.research and not self.vat_deductible

    @property
    def research(self) -> bool:
        """Expensed as research (研究费用): deductible VAT is 进项税额 in any phase."""
        return self.phase is Phase.research and not self.vat_deductible


@dataclass(frozen=True)
class Movement:
    """A movement as asked: `amount` is the recoverable amount (impair) or the net
    realisable value (write-downs)."""

    type: MovementType
    on: date
    useful_life_months: int | None = None
    indefinite: bool = False
    residual_value: Decimal = ZERO
    fraction: Decimal = ONE
    amount: Decimal | None = None
    proceeds: Decimal = ZERO  # dispose: what the buyer owes (none given: nothing)
    reason: str | None = None  # revise: why
    # capitalise (inventory): `units` (with quantity and unit) or `fraction` (with a basis);
    # dispose: the quantity sold under `units`
    costing: str | None = None
    quantity: int | None = None
    unit: str | None = None
    basis: str | None = None
    to: AssetClass | None = None  # reclassify: the new class


@dataclass(frozen=True)
class Estimates:
    """An intangible's useful life (months, None: indefinite) and residual value."""

    useful_life_months: int | None
    indefinite: bool
    residual_value: Decimal


@dataclass(frozen=True)
class EstimateChange:
    """A `revise` (会计估计变更, CAS 28 第八条): prospective from the month after `on`."""

    on: date
    old: Estimates
    new: Estimates
    reason: str
    carrying_amount: Decimal  # at the end of the month of `on`
    remaining_months: int | None  # R from the next month (None: indefinite)


class Result(StrEnum):
    """What a disposal puts in the income statement."""

    revenue = "revenue"  # 主营业务收入 (inventory sold)
    cost_of_sales = "cost_of_sales"  # 主营业务成本 (inventory sold)
    disposal_gain = "disposal_gain"  # 资产处置收益 (an intangible disposed of; a loss < 0)


@dataclass(frozen=True)
class Posting:
    month: Month
    account: Account
    flow: Flow
    amount: Decimal  # signed: what it adds to the account's balance
    # The class the asset had when the posting was made (None: stamped by `apply`).
    asset_class: AssetClass | None = None


@dataclass
class _Segment:
    """Straight-line amortisation from `start`: accumulated = base + B × k / R, in cents."""

    start: Month
    base: int
    amount: int
    months: int
    # Cost adjustments (restatements): from a month on, B is `amount` plus these deltas, in
    # cents, with k and R unchanged, so the accumulated amortisation is recomputed on the
    # new base from that month.
    changes: list[tuple[Month, int]] = field(default_factory=list)

    def amount_at(self, month: Month) -> int:
        return self.amount + sum(delta for start, delta in self.changes if start <= month)


@dataclass
class Book:
    asset_class: AssetClass
    source: Source
    items: tuple[CostItem, ...]
    status: Status
    capitalised_on: date | None = None
    original_cost: Decimal = ZERO
    useful_life_months: int | None = None
    indefinite: bool = False
    residual_value: Decimal = ZERO
    ended_on: date | None = None
    last_on: date | None = None
    postings: list[Posting] = field(default_factory=list)
    segments: list[_Segment] = field(default_factory=list)
    results: list[tuple[Month, Result, Decimal]] = field(default_factory=list)
    estimate_changes: list[EstimateChange] = field(default_factory=list)
    # The months of its impairment tests (`impair`, with a charge or none).
    impairment_tests: list[Month] = field(default_factory=list)
    # Inventory costing chosen at capitalise (None: fraction, as before costing was asked).
    costing: str | None = None
    quantity: int | None = None  # units: the quantity capitalised
    remaining_quantity: int | None = None  # units: what is left after sales
    unit: str | None = None
    costing_basis: str | None = None
    # 开发支出 impairment (CAS 8): (month, provision) while in development; moves to the
    # intangible's 减值准备 at capitalisation.
    development_provisions: list[tuple[Month, Decimal]] = field(default_factory=list)
    # A development project derecognised: (month, costs less provision) expensed as research
    # (其中：终止开发项目转出).
    terminated: tuple[Month, Decimal] | None = None
    # The first month of the useful life now in force: capitalisation's, or the month after
    # a reclassification to intangible.
    life_start: Month | None = None
    # Reclassifications: (date, the class before, the class after), in date order.
    reclassifications: list[tuple[date, AssetClass, AssetClass]] = field(default_factory=list)
    # The source it was created with (`in_class` may show another in a column).
    source_as_created: Source | None = None

    @property
    def capitalised_month(self) -> Month | None:
        return month_of(self.capitalised_on) if self.capitalised_on else None

    @property
    def end_month(self) -> Month | None:
        return month_of(self.ended_on) if self.ended_on else None

    @property
    def capitalisable_cost(self) -> Decimal:
        return sum((i.amount for i in self.items if i.capitalisable), ZERO)

    @property
    def research_expense(self) -> Decimal:
        return sum((i.amount for i in self.items if i.research), ZERO)

    # Balances and flows ------------------------------------------------------------------

    def _gross_cents(self, month: Month) -> int:
        """Accumulated amortisation through `month` by the formula, ignoring any end."""
        found = [s for s in self.segments if s.start <= month]
        if not found:
            return 0
        segment = found[-1]
        if segment.months == 0:
            return segment.base
        k = min(month - segment.start + 1, segment.months)
        return segment.base + _share(segment.amount_at(month), k, segment.months)

    def amortised(self, month: Month) -> Decimal:
        """Amortisation charged through the end of `month`: the month of disposal or
        derecognition and every one after it are not amortised (an asset that ended as
        inventory stopped being amortised at its reclassification)."""
        end = self.end_month
        final = self.reclassifications[-1][2] if self.reclassifications else self.asset_class
        if end is None or final is AssetClass.inventory:
            return _money(self._gross_cents(month))
        return _money(self._gross_cents(min(month, end - 1)))

    def balance(self, account: Account, month: Month) -> Decimal:
        """The account's balance at the end of `month`."""
        posted = sum(
            (p.amount for p in self.postings if p.account is account and p.month <= month), ZERO
        )
        if account is Account.amortisation:
            posted += self.amortised(month)
        return posted

    def carrying(self, month: Month) -> Decimal:
        """账面价值 at the end of `month`."""
        return (
            self.balance(Account.cost, month)
            - self.balance(Account.amortisation, month)
            - self.balance(Account.impairment, month)
            - self.balance(Account.write_down, month)
        )

    def charge(self, first: Month, last: Month) -> Decimal:
        """Amortisation charged in the months `first` … `last`."""
        return self.amortised(last) - self.amortised(first - 1)

    def flows(self, first: Month, last: Month) -> dict[tuple[Account, Flow], Decimal]:
        """What each flow moved in the months `first` … `last`, as positive amounts."""
        moved: dict[tuple[Account, Flow], Decimal] = {}
        for p in self.postings:
            if first <= p.month <= last:
                key = (p.account, p.flow)
                moved[key] = moved.get(key, ZERO) + p.amount
        moved = {key: abs(amount) for key, amount in moved.items()}
        moved[(Account.amortisation, Flow.charge)] = self.charge(first, last)
        return moved

    def remaining_months(self, month: Month) -> int | None:
        """Months of useful life left after `month` (None: indefinite or not amortised)."""
        start = self.life_start
        if self.useful_life_months is None or start is None:
            return None
        used = min(max(month - start + 1, 0), self.useful_life_months)
        return self.useful_life_months - used

    def development_expenditure(self, month: Month) -> Decimal:
        """开发支出 at the end of `month`: development items incurred by then of a developed
        asset not yet capitalised nor ended by then."""
        if self.source is not Source.developed:
            return ZERO
        capitalised, end = self.capitalised_month, self.end_month
        if (capitalised is not None and capitalised <= month) or (end is not None and end <= month):
            return ZERO
        return self._development_cost(month) - self.development_provision(month)

    def development_provision(self, month: Month) -> Decimal:
        """The impairment of 开发支出 recorded through `month` (while in development)."""
        return sum((a for m, a in self.development_provisions if m <= month), ZERO)

    def _development_cost(self, month: Month) -> Decimal:
        return sum(
            (
                i.amount
                for i in self.items
                if i.phase is Phase.development
                and i.capitalisable
                and month_of(i.incurred_on) <= month
            ),
            ZERO,
        )

    def result(self, name: Result, first: Month, last: Month) -> Decimal:
        """What disposals put on the income-statement line `name` in `first` … `last`."""
        return sum((a for m, r, a in self.results if r is name and first <= m <= last), ZERO)

    def terminated_in(self, first: Month, last: Month) -> Decimal:
        """Development expensed by a derecognition in `first` … `last` (终止开发项目转出)."""
        if self.terminated is None or not first <= self.terminated[0] <= last:
            return ZERO
        return self.terminated[1]

    def research_in(self, first: Month, last: Month) -> Decimal:
        return sum(
            (
                i.amount
                for i in self.items
                if i.research and first <= month_of(i.incurred_on) <= last
            ),
            ZERO,
        )

    def class_at(self, month: Month) -> AssetClass:
        """The asset's class at the end of `month`."""
        found = self.asset_class
        for on, old, _new in reversed(self.reclassifications):
            if month_of(on) > month:
                found = old
        return found

    def classes(self) -> list[AssetClass]:
        """Every class the asset has had, the first first."""
        if not self.reclassifications:
            return [self.asset_class]
        return [self.reclassifications[0][1], *(new for _, _, new in self.reclassifications)]

    def in_class(self, asset_class: AssetClass) -> Book:
        """The book as one class's table sees it: the postings made while the asset was of
        `asset_class`, amortisation only for an intangible, and the column's source (a
        source the class does not know, `processed` as an intangible or `developed` as
        inventory, counts as `other`)."""
        if not self.reclassifications:
            return self
        source = self.source if self.source in SOURCES[asset_class] else Source.other
        return replace(
            self,
            asset_class=asset_class,
            source=source,
            postings=[p for p in self.postings if p.asset_class is asset_class],
            segments=self.segments if asset_class is AssetClass.intangible else [],
        )

    @property
    def incurred_on_lines(self) -> bool:
        """Its cost items are on the data-resource lines from the month incurred (DOMAIN.md
        "Work in progress"): inventory's and a purchased or other intangible's."""
        return carried_from_incurred(self.classes()[0], self.source_as_created or self.source)

    @property
    def on_lines_from(self) -> Month | None:
        """The first month the asset is on the data-resource lines (the tables)."""
        if self.incurred_on_lines:
            months = [month_of(i.incurred_on) for i in self.items if i.capitalisable]
            if months:
                return min(months)
        return self.capitalised_month

    def work_in_progress(self, month: Month) -> Decimal:
        """在产品 at the end of `month`: inventory's cost gathered by then and not yet
        capitalised (nil once ended)."""
        if self.class_at(month) is not AssetClass.inventory:
            return ZERO
        capitalised = self.capitalised_month
        if capitalised is not None and capitalised <= month:
            return ZERO
        return self.balance(Account.cost, month)

    def on_books(self, first: Month, last: Month) -> bool:
        """On the data-resource lines at some point of the months `first` … `last`:
        capitalised, or gathering costs that are on them from the month incurred."""
        start, end = self.on_lines_from, self.end_month
        return start is not None and start <= last and (end is None or end >= first)


def carried_from_incurred(asset_class: AssetClass, source: Source) -> bool:
    """DOMAIN.md "Work in progress": inventory's cost items are 存货 (在产品) and a purchased
    or other intangible's 无形资产 from the day incurred; a developed intangible's are
    研发支出 (开发支出) until capitalised."""
    return asset_class is AssetClass.inventory or source is not Source.developed


def initial_status(asset_class: AssetClass, source: Source) -> Status:
    if asset_class is AssetClass.intangible and source is Source.developed:
        return Status.in_development
    return Status.open


def new_book(asset_class: AssetClass, source: Source, items: Iterable[CostItem] = ()) -> Book:
    """A book before any movement: cost items carried from the day incurred (see
    `carried_from_incurred`) are posted to the cost as additions of the source in the month
    incurred."""
    book = Book(asset_class, source, tuple(items), initial_status(asset_class, source))
    book.source_as_created = source
    if carried_from_incurred(asset_class, source):
        by_month: dict[Month, Decimal] = {}
        for item in book.items:
            if item.capitalisable:
                month = month_of(item.incurred_on)
                by_month[month] = by_month.get(month, ZERO) + item.amount
        book.postings.extend(
            Posting(month, Account.cost, _ADDITION_FLOW[source], amount, asset_class)
            for month, amount in sorted(by_month.items())
            if amount
        )
    return book


def replay(
    asset_class: AssetClass,
    source: Source,
    items: Iterable[CostItem],
    movements: Iterable[Movement],
    through: date | None = None,
) -> Book:
    """The book of an asset from its record (every movement was admitted when taken), the
    movements in date order (a restatement's is dated back; `sorted` keeps the order of those
    of one day). With `through`, only the movements dated on or before it: the book as it
    stood that day (its status, life and residual value as a disclosure ending then shows
    them; balances up to that month are the same as the whole record's)."""
    book = new_book(asset_class, source, items)
    for movement in sorted(movements, key=lambda m: m.on):
        if through is not None and movement.on > through:
            break
        apply(book, movement)
    return book


# --- Movements -------------------------------------------------------------------------------


def admits_cost(book: Book) -> None:
    """409 unless the asset still gathers costs (before capitalisation)."""
    if book.status not in GATHERING:
        raise Refused(
            Text(
                f"A {book.status.value} asset takes no more cost items: they are part of the "
                "cost only before capitalisation.",
                f"处于 {book.status.value} 状态的资产不再接受成本项目:成本只在确认(资本化)前归集。",
            )
        )


def apply(book: Book, movement: Movement) -> dict[str, Decimal]:
    """Take `movement` on `book` (changing it) and say what it did, or raise `Refused`."""
    if book.status in ENDS:
        raise Refused(
            Text(
                f"The asset is {book.status.value}: nothing leaves an end.",
                f"资产已{'处置' if book.status is Status.disposed else '终止确认'},不能再变动。",
            )
        )
    if book.last_on is not None and movement.on < book.last_on:
        raise Refused(
            Text(
                f"The asset's latest movement is dated {book.last_on}; a movement may not be "
                "dated before it (a correction is a new movement).",
                f"该资产最近一笔变动日期为 {book.last_on},"
                "新变动不得早于该日期(更正须另记一笔变动)。",
            ),
            field="date",
        )
    posted = len(book.postings)
    asset_class = book.asset_class
    effects = _TAKE[movement.type](book, movement)
    book.postings[posted:] = [
        p if p.asset_class is not None else replace(p, asset_class=asset_class)
        for p in book.postings[posted:]
    ]
    book.last_on = movement.on
    return effects


def _capitalise(book: Book, movement: Movement) -> dict[str, Decimal]:
    if book.status not in GATHERING:
        raise Refused(
            Text(
                f"A {book.status.value} asset is already capitalised.",
                f"处于 {book.status.value} 状态的资产已确认。",
            )
        )
    cost = book.capitalisable_cost
    if cost <= 0:
        raise Refused(
            Text(
                "Nothing to capitalise: the asset has no capitalisable cost items "
                "(research is expensed).",
                "没有可资本化的成本:该资产没有可计入成本的项目(研究阶段支出费用化)。",
            )
        )
    latest = max(i.incurred_on for i in book.items)
    if movement.on < latest:
        raise Refused(
            Text(
                f"is before the latest cost item ({latest})",
                f"早于最近一笔成本项目的日期({latest})",
            ),
            field="date",
        )
    if book.asset_class is AssetClass.inventory:
        if movement.useful_life_months is not None or movement.indefinite:
            raise Refused(
                Text("inventory is not amortised: it has no useful life", "存货不摊销,无使用寿命"),
                field="useful_life_months",
            )
        if movement.residual_value:
            raise Refused(
                Text("inventory has no residual value", "存货无残值"), field="residual_value"
            )
        _check_costing(movement)
        book.costing = movement.costing
        book.quantity = book.remaining_quantity = movement.quantity
        book.unit = movement.unit
        book.costing_basis = movement.basis
        book.status = Status.held
    else:
        for name in ("costing", "quantity", "unit", "basis"):
            if getattr(movement, name) is not None:
                raise Refused(
                    Text(
                        "an intangible has no inventory costing",
                        "无形资产不适用存货计价方法",
                    ),
                    field=name,
                )
        if movement.indefinite == (movement.useful_life_months is not None):
            raise Refused(
                Text(
                    "give either useful_life_months or indefinite: true",
                    "须给出 useful_life_months 或 indefinite: true 之一",
                ),
                field="useful_life_months",
            )
        if movement.indefinite and movement.residual_value:
            raise Refused(
                Text(
                    "an intangible of indefinite life is not amortised and has no residual value",
                    "使用寿命不确定的无形资产不摊销,无残值",
                ),
                field="residual_value",
            )
        provision = book.development_provision(month_of(movement.on))
        if movement.residual_value >= cost - provision and not movement.indefinite:
            raise Refused(
                Text(
                    f"must be below the cost less impairment {cost - provision}",
                    f"须小于成本减减值准备后的金额 {cost - provision}",
                ),
                field="residual_value",
            )
        book.status = Status.capitalised
        book.indefinite = movement.indefinite
        book.useful_life_months = movement.useful_life_months
        book.residual_value = movement.residual_value
    book.capitalised_on = movement.on
    book.original_cost = cost
    start = month_of(movement.on)
    book.life_start = start
    if not book.incurred_on_lines:  # else on the books item by item since incurred
        book.postings.append(Posting(start, Account.cost, _ADDITION_FLOW[book.source], cost))
    # 开发支出's provision becomes the intangible's 减值准备: B = cost − provision − residual.
    provision = book.development_provision(start)
    if provision:
        book.postings.append(Posting(start, Account.impairment, Flow.addition, provision))
    if book.useful_life_months is not None:
        book.segments.append(
            _Segment(
                start, 0, _cents(cost - provision - book.residual_value), book.useful_life_months
            )
        )
    return {"cost": cost, "impairment": provision} if provision else {"cost": cost}


def _check_costing(movement: Movement) -> None:
    """`units` needs quantity and unit; `fraction` a basis; none of them without costing."""
    needed: dict[str | None, tuple[str, ...]] = {
        "units": ("quantity", "unit"),
        "fraction": ("basis",),
        None: (),
    }
    if movement.costing not in needed:
        raise Refused(Text("must be units or fraction", "须为 units 或 fraction"), "costing")
    wanted = needed[movement.costing]
    for name in ("quantity", "unit", "basis"):
        given = getattr(movement, name) is not None
        if given != (name in wanted):
            raise Refused(
                Text(
                    f"{'is required' if not given else 'does not apply'} with costing "
                    f"{movement.costing or '(none)'}",
                    f"计价方法 {movement.costing or '(未指定)'} {'须' if not given else '不适用'}"
                    f"此字段",
                ),
                field=name,
            )


def _not_before_capitalisation(book: Book, movement: Movement) -> None:
    if book.capitalised_on is not None and movement.on < book.capitalised_on:
        raise Refused(
            Text(
                f"is before the asset was capitalised ({book.capitalised_on})",
                f"早于资产确认日期({book.capitalised_on})",
            ),
            field="date",
        )


def _needs(book: Book, status: Status, action: str) -> None:
    if book.status is not status:
        raise Refused(
            Text(
                f"A {book.status.value} {book.asset_class.value} asset cannot {action}; "
                f"only a {status.value} one.",
                f"处于 {book.status.value} 状态的资产不能执行 {action},"
                f"仅 {status.value} 状态的可以。",
            )
        )


def _end(book: Book, movement: Movement, flow: Flow, status: Status) -> dict[str, Decimal]:
    """Take the whole asset off the books in the movement's month (not amortised)."""
    month = month_of(movement.on)
    book.ended_on = movement.on
    book.status = status
    if book.capitalised_on is None:  # ended while gathering costs
        if not book.incurred_on_lines:  # its 开发支出 (less provision) is expensed
            expensed = book._development_cost(month) - book.development_provision(month)
            book.terminated = (month, expensed)
            return {"research_expense": expensed} if expensed else {}
        # 在产品 or 无形资产 since incurred: 失效且终止确认 in the month (营业外支出)
        gathered = book.balance(Account.cost, month)
        if gathered:
            book.postings.append(Posting(month, Account.cost, flow, -gathered))
            return {"cost": gathered, "carrying_amount": gathered}
        return {}
    effects: dict[str, Decimal] = {}
    balances = {account: book.balance(account, month) for account in Account}
    for account, amount in balances.items():
        if amount:
            row = flow
            if account is Account.impairment:
                row = Flow.reduction
            elif account is Account.write_down:
                row = Flow.release
            book.postings.append(Posting(month, account, row, -amount))
            effects[account.value] = amount
    effects["carrying_amount"] = (
        balances[Account.cost]
        - balances[Account.amortisation]
        - balances[Account.impairment]
        - balances[Account.write_down]
    )
    return effects


def _dispose(book: Book, movement: Movement) -> dict[str, Decimal]:
    """处置 / 出售 for `movement.proceeds`: inventory's revenue is the proceeds and its cost of
    sales the released cost less the released provision; an intangible's 资产处置收益 is the
    proceeds less the carrying amount (a loss when negative)."""
    effects = _release(book, movement)
    month = month_of(movement.on)
    carrying = effects["carrying_amount"]
    if book.asset_class is AssetClass.intangible:
        gain = movement.proceeds - carrying
        book.results.append((month, Result.disposal_gain, gain))
        return {**effects, "proceeds": movement.proceeds, "disposal_gain": gain}
    book.results.append((month, Result.revenue, movement.proceeds))
    book.results.append((month, Result.cost_of_sales, carrying))
    return {**effects, "revenue": movement.proceeds, "cost_of_sales": carrying}


def _release(book: Book, movement: Movement) -> dict[str, Decimal]:
    """Take the disposed share off the books: what it moved, its carrying amount."""
    _not_before_capitalisation(book, movement)
    if book.asset_class is AssetClass.intangible:
        _needs(book, Status.capitalised, "be disposed of")
        if movement.quantity is not None:
            raise Refused(
                Text("an intangible is disposed of whole", "无形资产须整体处置"),
                field="quantity",
            )
        if movement.fraction != ONE:
            raise Refused(
                Text(
                    "an intangible is disposed of whole: fraction must be 1",
                    "无形资产须整体处置:fraction 须为 1",
                ),
                field="fraction",
            )
        return _end(book, movement, Flow.disposal, Status.disposed)
    _needs(book, Status.held, "be sold")
    month = month_of(movement.on)
    remaining = book.balance(Account.cost, month)
    provision = book.balance(Account.write_down, month)
    if book.costing == "units":
        return _sell_units(book, movement, remaining, provision)
    if movement.quantity is not None:
        raise Refused(
            Text(
                "the asset is not costed in units: sell a fraction",
                "该存货未按数量计价:请按比例(fraction)出售",
            ),
            field="quantity",
        )
    if movement.fraction == ONE:
        return _end(book, movement, Flow.sale, Status.disposed)
    released = round_half_up(remaining * movement.fraction)
    if released <= 0:
        raise Refused(
            Text(
                f"releases nothing of the remaining cost {remaining}",
                f"按此比例剩余成本 {remaining} 无可结转金额",
            ),
            field="fraction",
        )
    if released == remaining:
        return _end(book, movement, Flow.sale, Status.disposed)
    left = remaining - released
    # The provision on the released share goes with it (转销); never more left than cost.
    provision_left = min(provision - round_half_up(provision * movement.fraction), left)
    book.postings.append(Posting(month, Account.cost, Flow.sale, -released))
    effects = {"cost": released}
    if provision != provision_left:
        book.postings.append(
            Posting(month, Account.write_down, Flow.release, provision_left - provision)
        )
        effects["write_down"] = provision - provision_left
    effects["carrying_amount"] = released - (provision - provision_left)
    return effects


def _sell_units(
    book: Book, movement: Movement, remaining: Decimal, provision: Decimal
) -> dict[str, Decimal]:
    """Units costing: released cost = round_half_up(remaining cost × q / remaining quantity),
    and the same share of the provision (转销); all that is left: the whole."""
    left_quantity = book.remaining_quantity
    assert left_quantity is not None
    q = movement.quantity
    if q is None or movement.fraction != ONE:
        raise Refused(
            Text(
                "the asset is costed in units: give the quantity sold, not a fraction",
                "该存货按数量计价:请给出出售数量(quantity),而非比例",
            ),
            field="quantity",
        )
    if not 0 < q <= left_quantity:
        raise Refused(
            Text(
                f"must be between 1 and the remaining quantity {left_quantity}",
                f"须在 1 与剩余数量 {left_quantity} 之间",
            ),
            field="quantity",
        )
    month = month_of(movement.on)
    book.remaining_quantity = left_quantity - q
    if q == left_quantity:
        return _end(book, movement, Flow.sale, Status.disposed)
    released = _money(_share(_cents(remaining), q, left_quantity))
    left = remaining - released
    provision_left = min(provision - _money(_share(_cents(provision), q, left_quantity)), left)
    book.postings.append(Posting(month, Account.cost, Flow.sale, -released))
    effects = {"cost": released}
    if provision != provision_left:
        book.postings.append(
            Posting(month, Account.write_down, Flow.release, provision_left - provision)
        )
        effects["write_down"] = provision - provision_left
    effects["carrying_amount"] = released - (provision - provision_left)
    return effects


def _derecognise(book: Book, movement: Movement) -> dict[str, Decimal]:
    _not_before_capitalisation(book, movement)
    if book.status in GATHERING and book.items:
        latest = max(i.incurred_on for i in book.items)
        if movement.on < latest:  # what it gathered leaves with it, none of it later
            raise Refused(
                Text(
                    f"is before the latest cost item ({latest})",
                    f"早于最近一笔成本项目的日期({latest})",
                ),
                field="date",
            )
    return _end(book, movement, Flow.derecognition, Status.derecognised)


def _impair(book: Book, movement: Movement) -> dict[str, Decimal]:
    if book.asset_class is AssetClass.inventory:
        raise Refused(
            Text(
                "Inventory is not impaired: write it down to its net realisable value.",
                "存货不计提减值准备,请按可变现净值计提存货跌价准备(write-down)。",
            )
        )
    if book.status is Status.in_development:
        return _impair_development(book, movement)
    _needs(book, Status.capitalised, "be impaired")
    _not_before_capitalisation(book, movement)
    assert movement.amount is not None and book.life_start is not None
    recoverable = movement.amount
    month = month_of(movement.on)
    carrying = book.carrying(month)  # at the month's end, after its amortisation
    impairment = carrying - recoverable
    if impairment <= 0 and book.indefinite:  # its yearly test (CAS 8 第六条), no charge
        book.impairment_tests.append(month)
        return {"impairment": ZERO, "carrying_amount": carrying}
    if impairment <= 0:
        raise Refused(
            Text(
                f"Nothing to impair: the carrying amount at the end of {month_text(month)} is "
                f"{carrying}, not above the recoverable amount {recoverable}.",
                f"无需计提减值:{month_text(month)} 月末账面价值 {carrying}"
                f" 不高于可收回金额 {recoverable}。",
            )
        )
    book.impairment_tests.append(month)
    book.postings.append(Posting(month, Account.impairment, Flow.addition, impairment))
    book.residual_value = min(book.residual_value, recoverable)
    if book.useful_life_months is not None:
        used = min(max(month - book.life_start + 1, 0), book.useful_life_months)
        # From the next month the formula restarts on the new carrying amount and the months
        # left; an earlier restart planned for the same month is replaced.
        book.segments = [s for s in book.segments if s.start <= month]
        book.segments.append(
            _Segment(
                month + 1,
                book._gross_cents(month),
                _cents(recoverable - book.residual_value),
                book.useful_life_months - used,
            )
        )
    return {"impairment": impairment, "carrying_amount": recoverable}


def _impair_development(book: Book, movement: Movement) -> dict[str, Decimal]:
    """开发支出 impairment (CAS 8 第六条): the development costs incurred by the end of the
    month less the provision so far, down to the recoverable amount."""
    assert movement.amount is not None
    recoverable = movement.amount
    month = month_of(movement.on)
    carrying = book.development_expenditure(month)
    impairment = carrying - recoverable
    if carrying <= 0:
        raise Refused(
            Text(
                f"Nothing to test: no 开发支出 at the end of {month_text(month)}.",
                f"无可测试项目:{month_text(month)} 月末无开发支出。",
            )
        )
    book.impairment_tests.append(month)
    if impairment <= 0:  # a yearly test (CAS 8 第六条) that finds no impairment
        return {"impairment": ZERO, "carrying_amount": carrying}
    book.development_provisions.append((month, impairment))
    return {"impairment": impairment, "carrying_amount": recoverable}


def _required_provision(book: Book, month: Month, net_realisable_value: Decimal) -> Decimal:
    return max(book.balance(Account.cost, month) - net_realisable_value, ZERO)


def _write_down(book: Book, movement: Movement) -> dict[str, Decimal]:
    _inventory_only(book, "written down")
    _needs(book, Status.held, "be written down")
    _not_before_capitalisation(book, movement)
    assert movement.amount is not None
    month = month_of(movement.on)
    provision = book.balance(Account.write_down, month)
    required = _required_provision(book, month, movement.amount)
    if required <= provision:
        raise Refused(
            Text(
                f"Nothing to write down: the provision {provision} already covers cost less "
                f"net realisable value ({required}).",
                f"无需计提:存货跌价准备 {provision} 已覆盖成本与可变现净值之差({required})。",
            )
        )
    book.postings.append(Posting(month, Account.write_down, Flow.addition, required - provision))
    return {"write_down": required - provision, "carrying_amount": book.carrying(month)}


def _reverse_write_down(book: Book, movement: Movement) -> dict[str, Decimal]:
    _inventory_only(book, "written back")
    _needs(book, Status.held, "reverse a write-down")
    _not_before_capitalisation(book, movement)
    assert movement.amount is not None
    month = month_of(movement.on)
    provision = book.balance(Account.write_down, month)
    required = _required_provision(book, month, movement.amount)
    if required >= provision:
        raise Refused(
            Text(
                f"Nothing to reverse: the provision {provision} is not above cost less net "
                f"realisable value ({required}).",
                f"无可转回:存货跌价准备 {provision} 不高于成本与可变现净值之差({required})。",
            )
        )
    book.postings.append(Posting(month, Account.write_down, Flow.reversal, required - provision))
    return {"write_down": provision - required, "carrying_amount": book.carrying(month)}


def _inventory_only(book: Book, action: str) -> None:
    if book.asset_class is AssetClass.intangible:
        raise Refused(
            Text(
                f"An intangible is not {action}: impairment applies (and is never reversed).",
                "无形资产不计提或转回存货跌价准备:适用减值(且不得转回)。",
            )
        )


def _cost_adjustment(book: Book, movement: Movement) -> dict[str, Decimal]:
    """A restatement's correction of the cost of a capitalised asset (CAS 28 第十二条), from
    the month of `movement.on`: in the month of capitalisation it corrects the addition
    itself (购入, 内部研发, …); later it is 其他增加 or 其他减少. Accumulated amortisation is
    recomputed by the same formula on the new base, k and R unchanged."""
    if book.status not in (Status.capitalised, Status.held):
        raise Refused(
            Text(
                f"A {book.status.value} asset has no cost on the books to adjust.",
                f"处于 {book.status.value} 状态的资产没有可调整的账面成本。",
            )
        )
    _not_before_capitalisation(book, movement)
    assert movement.amount is not None and book.capitalised_month is not None
    month = month_of(movement.on)
    delta = movement.amount
    cost = book.balance(Account.cost, month) + delta
    floor = book.residual_value if book.asset_class is AssetClass.intangible else ZERO
    if delta == 0 or cost <= floor:
        raise Refused(
            Text(
                f"must be non-zero and leave a cost above {floor} (the cost is {cost - delta})",
                f"须不为零,且调整后成本须高于 {floor}(当前成本 {cost - delta})",
            ),
            field="amount",
        )
    active = [s for s in book.segments if s.start <= month] or book.segments[:1]
    if active and active[-1].months and active[-1].amount_at(month) + _cents(delta) <= 0:
        raise Refused(
            Text(
                "would leave nothing to amortise after the impairment: the cost cannot be "
                "lowered below what the impairment left",
                "调整后减值后剩余可摊销金额将不为正:成本不能低于减值后的余额",
            ),
            field="amount",
        )
    if month == book.capitalised_month:
        flow = _ADDITION_FLOW[book.source]
        book.original_cost += delta
    else:
        flow = Flow.other if delta > 0 else Flow.other_reduction
    book.postings.append(Posting(month, Account.cost, flow, delta))
    if active:
        before = book._gross_cents(month)
        active[-1].changes.append((month, _cents(delta)))
        caught_up = book._gross_cents(month) - before
        # A restart planned from the next month (an impairment, estimate change or
        # reclassification earlier in this month) was computed on the carrying amount before
        # this correction: it starts from the corrected accumulated amortisation and
        # amortises what the correction left (delta less this month's catch-up), so the
        # asset is still amortised down to exactly its residual value.
        for later in (s for s in book.segments if s.start > month):
            later.base += caught_up
            later.changes.append((later.start, _cents(delta) - caught_up))
    return {"cost": delta, "carrying_amount": book.carrying(month)}


def _revise(book: Book, movement: Movement) -> dict[str, Decimal]:
    """会计估计变更 (CAS 6 第二十条, CAS 28 第八条): from the month after `movement.on`,
    B = carrying at the end of that month − the new residual value and R = the new useful
    life (months from capitalisation, as `capitalise` takes it) less the months used through
    that month; an indefinite life is not amortised from then on. Prospective: nothing
    before is changed."""
    if book.asset_class is AssetClass.inventory:
        raise Refused(
            Text(
                "Inventory is not amortised: it has no useful life or residual value to revise.",
                "存货不摊销,没有可变更的使用寿命或残值。",
            )
        )
    _needs(book, Status.capitalised, "revise its estimates")
    _not_before_capitalisation(book, movement)
    assert book.life_start is not None
    if movement.indefinite == (movement.useful_life_months is not None):
        raise Refused(
            Text(
                "give either useful_life_months or indefinite: true",
                "须给出 useful_life_months 或 indefinite: true 之一",
            ),
            field="useful_life_months",
        )
    month = month_of(movement.on)
    carrying = book.carrying(month)  # after the month's amortisation, as an impairment
    residual = movement.residual_value
    used = max(month - book.life_start + 1, 0)  # months elapsed, even past the old life
    remaining: int | None = None
    if movement.indefinite:
        if residual:
            raise Refused(
                Text(
                    "an intangible of indefinite life is not amortised and has no residual value",
                    "使用寿命不确定的无形资产不摊销,无残值",
                ),
                field="residual_value",
            )
    else:
        assert movement.useful_life_months is not None
        remaining = movement.useful_life_months - used
        if remaining < 1:
            raise Refused(
                Text(
                    f"must exceed the {used} months already used through {month_text(month)}",
                    f"须大于截至 {month_text(month)} 已使用的 {used} 个月",
                ),
                field="useful_life_months",
            )
        if residual >= carrying:
            raise Refused(
                Text(
                    f"must be below the carrying amount {carrying} at the end of "
                    f"{month_text(month)}",
                    f"须小于 {month_text(month)} 月末账面价值 {carrying}",
                ),
                field="residual_value",
            )
    old = Estimates(book.useful_life_months, book.indefinite, book.residual_value)
    new = Estimates(movement.useful_life_months, movement.indefinite, residual)
    if old == new:
        raise Refused(
            Text(
                "changes nothing: the useful life and residual value are those in force",
                "未作任何变更:使用寿命和残值与现行估计相同",
            ),
            field="useful_life_months",
        )
    # From the next month the formula restarts on what is left; a restart planned for a
    # later month (none is: movements are in date order) would be replaced.
    book.segments = [s for s in book.segments if s.start <= month]
    book.segments.append(
        _Segment(month + 1, book._gross_cents(month), _cents(carrying - residual), remaining or 0)
    )
    book.useful_life_months = movement.useful_life_months
    book.indefinite = movement.indefinite
    book.residual_value = residual
    book.estimate_changes.append(
        EstimateChange(movement.on, old, new, movement.reason or "", carrying, remaining)
    )
    return {"carrying_amount": carrying, "amortisation_base": carrying - residual}


def _reclassify(book: Book, movement: Movement) -> dict[str, Decimal]:
    """重分类 (DOMAIN.md "Reclassify"): a held inventory asset becomes an intangible, or a
    capitalised intangible becomes inventory, on `movement.on`, at its carrying amount at
    the end of that month, its provision moving with it. The old class's table shows the
    balances leaving as 其他减少 (cost, 累计摊销; 减值准备 / 存货跌价准备 in their 本期减少),
    the new class's table the same carrying amount arriving as 其他增加.

    - Intangible → inventory: the month of `date` is amortised, none after it. Cost out
      (其他减少), 累计摊销 out (其他减少), 无形资产减值准备 out (本期减少); inventory's cost
      comes in at cost − accumulated amortisation (其他增加) and 存货跌价准备 at the
      impairment (本期增加, as 其他), so the carrying amount is unchanged and the provision
      keeps being released on sale (CAS 1 第十五条-第二十条; CAS 8: an impairment is never
      reversed, so it is carried on as the inventory's provision rather than netted away).
      Inventory costing is then `fraction` (sold by fraction, no basis recorded).
    - Inventory → intangible: cost in at the inventory's cost (其他增加), 存货跌价准备 in
      as 无形资产减值准备 (本期增加); amortised from the month after `date` on
      B = carrying − residual value over `useful_life_months` (counted from that month),
      or not at all with `indefinite: true` (no residual value).
    - Only a capitalised intangible or held inventory, on or after capitalisation, one class
      change per date; the same class again is 409.
    """
    target = movement.to
    if target is None:
        raise Refused(Text("inventory or intangible", "须为 inventory 或 intangible"), "to")
    if book.status not in (Status.capitalised, Status.held):
        raise Refused(
            Text(
                f"A {book.status.value} asset cannot be reclassified; only a capitalised "
                "intangible or held inventory.",
                f"处于 {book.status.value} 状态的资产不能重分类,"
                "仅已确认的无形资产或持有的存货可以。",
            )
        )
    if target is book.asset_class:
        raise Refused(
            Text(
                f"The asset is already {target.value}.",
                f"该资产已是 {target.value} 类。",
            )
        )
    _not_before_capitalisation(book, movement)
    if book.reclassifications and book.reclassifications[-1][0] == movement.on:
        raise Refused(
            Text(
                f"The asset was already reclassified on {movement.on}: one class change a day.",
                f"该资产已于 {movement.on} 重分类,同一日只能变更一次类别。",
            )
        )
    month = month_of(movement.on)
    old = book.asset_class
    cost = book.balance(Account.cost, month)
    amortisation = book.balance(Account.amortisation, month)
    impairment = book.balance(Account.impairment, month)
    write_down = book.balance(Account.write_down, month)
    carrying = cost - amortisation - impairment - write_down
    if target is AssetClass.inventory:
        for name in ("useful_life_months", "indefinite"):
            if getattr(movement, name):
                raise Refused(
                    Text(
                        "inventory is not amortised: it has no useful life",
                        "存货不摊销,无使用寿命",
                    ),
                    field=name,
                )
        if movement.residual_value:
            raise Refused(
                Text("inventory has no residual value", "存货无残值"), field="residual_value"
            )
        # Amortised through this month, not after: the formula stops at its value now.
        book.segments = [s for s in book.segments if s.start <= month]
        book.segments.append(_Segment(month + 1, book._gross_cents(month), 0, 0))
        cost_in, provision_in = cost - amortisation, impairment
        out = [
            Posting(month, Account.cost, Flow.other_reduction, -cost, old),
            Posting(month, Account.amortisation, Flow.other_reduction, -amortisation, old),
            Posting(month, Account.impairment, Flow.reduction, -impairment, old),
        ]
        into = [
            Posting(month, Account.cost, Flow.other, cost_in, target),
            Posting(month, Account.write_down, Flow.other, provision_in, target),
        ]
        book.status = Status.held
        book.useful_life_months, book.indefinite, book.residual_value = None, False, ZERO
        book.life_start = None
        book.costing, book.quantity, book.remaining_quantity = None, None, None
        book.unit = book.costing_basis = None
        effects = {"cost": cost, "amortisation": amortisation, "impairment": impairment}
    else:
        if movement.indefinite == (movement.useful_life_months is not None):
            raise Refused(
                Text(
                    "give either useful_life_months or indefinite: true",
                    "须给出 useful_life_months 或 indefinite: true 之一",
                ),
                field="useful_life_months",
            )
        residual = movement.residual_value
        if movement.indefinite and residual:
            raise Refused(
                Text(
                    "an intangible of indefinite life is not amortised and has no residual value",
                    "使用寿命不确定的无形资产不摊销,无残值",
                ),
                field="residual_value",
            )
        if residual and residual >= carrying:
            raise Refused(
                Text(
                    f"must be below the carrying amount {carrying} at the end of "
                    f"{month_text(month)}",
                    f"须小于 {month_text(month)} 月末账面价值 {carrying}",
                ),
                field="residual_value",
            )
        book.segments = [s for s in book.segments if s.start <= month]
        book.segments.append(
            _Segment(
                month + 1,
                book._gross_cents(month),
                _cents(carrying - residual),
                movement.useful_life_months or 0,
            )
        )
        cost_in, provision_in = cost, write_down
        out = [
            Posting(month, Account.cost, Flow.other_reduction, -cost, old),
            Posting(month, Account.write_down, Flow.other_reduction, -write_down, old),
        ]
        into = [
            Posting(month, Account.cost, Flow.other, cost_in, target),
            Posting(month, Account.impairment, Flow.addition, provision_in, target),
        ]
        book.status = Status.capitalised
        book.useful_life_months = movement.useful_life_months
        book.indefinite = movement.indefinite
        book.residual_value = residual
        book.life_start = month + 1
        book.costing, book.quantity, book.remaining_quantity = None, None, None
        book.unit = book.costing_basis = None
        effects = {"cost": cost, "write_down": write_down}
    book.postings.extend(p for p in (*out, *into) if p.amount)
    book.asset_class = target
    book.reclassifications.append((movement.on, old, target))
    return {
        **effects,
        "carrying_amount": carrying,
        "cost_in": cost_in,
        "provision_in": provision_in,
    }


_TAKE = {
    MovementType.capitalise: _capitalise,
    MovementType.dispose: _dispose,
    MovementType.derecognise: _derecognise,
    MovementType.impair: _impair,
    MovementType.write_down: _write_down,
    MovementType.reverse_write_down: _reverse_write_down,
    MovementType.cost_adjustment: _cost_adjustment,
    MovementType.revise: _revise,
    MovementType.reclassify: _reclassify,
}


# --- The schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    month: str
    cost: Decimal
    amortisation: Decimal
    accumulated_amortisation: Decimal
    impairment: Decimal
    write_down: Decimal
    carrying_amount: Decimal


def schedule(book: Book, through: Month) -> list[ScheduleRow]:
    """Month by month from capitalisation through `through` (or the month it ended)."""
    start = book.capitalised_month
    if start is None:
        return []
    last = through if book.end_month is None else min(through, book.end_month)
    rows = []
    for month in range(start, last + 1):
        rows.append(
            ScheduleRow(
                month=month_text(month),
                cost=book.balance(Account.cost, month),
                amortisation=book.charge(month, month),
                accumulated_amortisation=book.balance(Account.amortisation, month),
                impairment=book.balance(Account.impairment, month),
                write_down=book.balance(Account.write_down, month),
                carrying_amount=book.carrying(month),
            )
        )
    return rows
