"""Market comparables: the trusted trades a valuation compares with (assessments/valuation.py).

Market comparables are trusted trades only (DOMAIN.md, "Who may do what, under hostile
use"). A candidate is a recorded trade of a product of the same `product_type` sharing a
domain with the product valued; it is a comparable unless, checked in this order:

- `valued_merchant`: the valued product's merchant is its seller or its buyer;
- `unconfirmed`: an off-venue trade a merchant reported that nobody confirmed;
- `large_unconfirmed`: confirmed, but a large off-venue trade (above
  `SHUSHANG_LARGE_TRADE_AMOUNT`) that no operator confirmed: it does not count yet
  (`app/trades/confirmation.py`, the one home of "this trade counts", which the statistics
  use too);
- `cancelled`, `refunded`, `disputed`: see below;
- `not_settled`: it has no `settled` event;
- `no_assessed_quality`: the traded product has no quality assessment by an assessor or an
  operator with a coefficient above 0 (a merchant's self-check never counts);
- `older_trade_of_seller`: its seller has a more recent trusted trade (one per seller);
- `beyond_limit`: more than `MAX_COMPARABLES` sellers qualify and it is not among the most
  recent of them.

The trades left are the trusted ones; the valuation engine then leaves out its `outlier`s
(app/assessments/valuation.py), the last reason of `Exclusion`.

A settled trade that was later refunded, or that has a `disputed` event, is no trusted
price: a refund undoes the payment, and a dispute says a party contests the deal. The event
rules (`app/trades/rules.py`) know no event that resolves a dispute (a dispute is closed only
by a refund, which excludes the trade anyway), so any `disputed` event, before or after the
settlement, leaves the trade out. A cancelled trade was never settled (a settled trade is
refunded, not cancelled); it is named `cancelled` rather than `not_settled` because that
says more.

The comparable's quality coefficient Qⱼ is that of the newest such assessment of the traded
product; "most recent" means the latest `occurred_at` (then the highest id).

The vocabulary (`Exclusion`, `Comparables`, …) is the valuation's (app/assessments/
repository.py); this query is provided to it by app/wiring.py, as `trades` sits above
`assessments`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, case, exists, func, not_, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.functions import FunctionElement

from app.assessments.models import Assessment
from app.assessments.repository import (
    LEFT_OUT_IDS_SHOWN,
    MAX_COMPARABLES,
    Comparables,
    Exclusion,
    LeftOut,
    TrustedTrade,
)
from app.products.models import Product
from app.trades.confirmation import confirmed_clause, counts_clause
from app.trades.models import Trade, TradeEvent


def _has(event: str) -> ColumnElement[bool]:
    return exists().where(TradeEvent.trade_id == Trade.id, TradeEvent.type == event)


async def market_comparables(
    session: AsyncSession,
    merchant_id: UUID,
    product_type: str,
    domains: list[str],
    large_amount: Decimal,
    limit: int = MAX_COMPARABLES,
    shown: int = LEFT_OUT_IDS_SHOWN,
) -> Comparables:
    """The comparables for a product of `merchant_id` of this type and these domains, and
    why every other candidate was left out (the rule is the module's docstring). One query:
    each candidate gets its first reason, then one row per reason comes back."""
    quality = (
        select(Assessment.id.label("assessment_id"), Assessment.quality_coefficient)
        .where(
            Assessment.product_id == Trade.product_id,
            Assessment.kind == "quality",
            Assessment.self_check.is_(False),
        )
        .order_by(Assessment.id.desc())
        .limit(1)
        .lateral("trusted_quality")
    )
    first_reason = case(
        (
            or_(Trade.seller_merchant_id == merchant_id, Trade.buyer_merchant_id == merchant_id),
            Exclusion.valued_merchant.value,
        ),
        (not_(confirmed_clause()), Exclusion.unconfirmed.value),
        (not_(counts_clause(large_amount)), Exclusion.large_unconfirmed.value),
        (_has("cancelled"), Exclusion.cancelled.value),
        (_has("refunded"), Exclusion.refunded.value),
        (_has("disputed"), Exclusion.disputed.value),
        (not_(_has("settled")), Exclusion.not_settled.value),
        (
            func.coalesce(quality.c.quality_coefficient, 0) <= 0,
            Exclusion.no_assessed_quality.value,
        ),
        else_=None,
    )
    candidate = (
        select(
            Trade.id,
            Trade.seller_merchant_id,
            Trade.buyer_merchant_id,
            Trade.occurred_at,
            Trade.amount,
            quality.c.assessment_id,
            quality.c.quality_coefficient,
            first_reason.label("excluded"),
        )
        .join(Product, Product.id == Trade.product_id)
        .outerjoin(quality, true())
        .where(Product.product_type == product_type, Product.domains.overlap(domains))
        .cte("candidate")
    )
    c = candidate.c
    by_seller = select(
        candidate,
        func.row_number()
        .over(
            partition_by=(c.seller_merchant_id, c.excluded.is_(None)),
            order_by=(c.occurred_at.desc(), c.id.desc()),
        )
        .label("seller_rank"),
    ).cte("by_seller")
    s = by_seller.c
    ranked = select(
        by_seller,
        func.row_number()
        .over(
            # The kept rows (trusted, their seller's newest) are one partition: ranked by date.
            partition_by=(s.excluded.is_(None), s.seller_rank == 1),
            order_by=(s.occurred_at.desc(), s.id.desc()),
        )
        .label("rank"),
    ).cte("ranked")
    r = ranked.c
    decided = select(
        ranked,
        case(
            (r.excluded.is_not(None), r.excluded),
            (r.seller_rank > 1, Exclusion.older_trade_of_seller.value),
            (r.rank > limit, Exclusion.beyond_limit.value),
            else_=None,
        ).label("reason"),
    ).subquery("decided")
    d = decided.c
    used = d.reason.is_(None)

    def newest_first(column: ColumnElement[Any]) -> FunctionElement[Any]:
        return func.array_agg(aggregate_order_by(column, d.occurred_at.desc(), d.id.desc()))

    query = select(
        d.reason,
        func.count(),
        newest_first(d.id)[1:shown],
        *(
            newest_first(column).filter(used)
            for column in (
                d.id,
                d.seller_merchant_id,
                d.buyer_merchant_id,
                d.occurred_at,
                d.amount,
                d.quality_coefficient,
                d.assessment_id,
            )
        ),
    ).group_by(d.reason)
    found: list[TrustedTrade] = []
    left_out: dict[Exclusion, LeftOut] = {}
    for reason, count, ids, *columns in (await session.execute(query)).all():
        if reason is None:
            found = [TrustedTrade(*values) for values in zip(*columns, strict=True)]
        else:
            left_out[Exclusion(reason)] = LeftOut(count, list(ids))
    # In the order the rule checks, so that every valuation lists its reasons alike.
    return Comparables(found, {e: left_out[e] for e in Exclusion if e in left_out})
