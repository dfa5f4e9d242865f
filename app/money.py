"""Money as the API carries it: CNY as a decimal string with at most two places, never a
float; and back to text with exactly two."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

Amount = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,13}(\.[0-9]{1,2})?$",
        description="CNY, a decimal string with at most 2 places.",
        examples=["12000.00"],
    ),
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
