"""The order in which a trade's events may come. Pure.

delivered, settled, disputed and cancelled happen at most once; a dispute follows a
delivery or a settlement; a refund follows a settlement; a settled trade is refunded, not
cancelled; after a cancellation or a refund nothing more happens.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.i18n import Text

_ONCE = {"delivered", "settled", "disputed", "cancelled"}


def event_problem(so_far: Sequence[str], new: str) -> Text | None:
    """Why `new` may not follow the events `so_far`, or None when it may."""
    closed = [e for e in so_far if e in ("cancelled", "refunded")]
    if closed:
        return Text(
            f"the trade was {closed[0]}: nothing follows", f"交易已{closed[0]},不能再追加事件"
        )
    if new in _ONCE and new in so_far:
        return Text(f"the trade is already {new}", f"交易已是 {new} 状态")
    if new == "refunded" and "settled" not in so_far:
        return Text("a refund follows a settlement", "退款须在结算之后")
    if new == "cancelled" and "settled" in so_far:
        return Text("a settled trade is refunded, not cancelled", "已结算的交易应退款而非取消")
    if new == "disputed" and not {"delivered", "settled"} & set(so_far):
        return Text("a dispute follows a delivery or a settlement", "争议须在交付或结算之后")
    return None
