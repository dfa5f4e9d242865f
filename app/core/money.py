"""Money as the API carries it: CNY as a decimal string with at most two places, never a
float; back to text with exactly two; and the one rounding rule (half-up to the cent)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

Amount = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,13}(\.[0-9]{1,2})?$",
        description="CNY, a decimal string with at most 2 places.",
        examples=["12000.00"],
    ),
]


def _above_zero(value: str) -> str:
    if Decimal(value) <= 0:
        raise ValueError("must be above 0")
    return value


# An amount that must be above 0 where the table says so (a CHECK constraint): refused here,
# with the field's name, rather than by the database as a 500.
PositiveAmount = Annotated[
    Amount,
    AfterValidator(_above_zero),
    Field(description="CNY, above 0, a decimal string with at most 2 places."),
]
SignedAmount = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$",
        description="CNY, a decimal string with at most 2 places; may be negative.",
        examples=["100000.00"],
    ),
]


CENT = Decimal("0.01")
# The context of a computation of many steps rounded once at the end (a valuation): 34
# digits (IEEE decimal128), and half-up wherever an intermediate step rounds.
PRECISE = Context(prec=34, rounding=ROUND_HALF_UP)


def round_half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    """Round half-up to `places` (the cent unless told): fees, costs, scores and valuations
    all round this one way. Uses the current decimal context's precision, so a caller that
    needs more digits wraps the call in its own `localcontext`."""
    return value.quantize(places, rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> str:
    """An amount as text with exactly two places (`108.00`)."""
    return format(amount, ".2f")
