"""Money as the API carries it: CNY as a decimal string with at most two places, never a
float; and back to text with exactly two."""

from __future__ import annotations

from decimal import Decimal
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


def cents(amount: Decimal) -> str:
    """An amount as text with exactly two places (`108.00`)."""
    return format(amount, ".2f")
