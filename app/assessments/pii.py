"""Finding personal information in sample values, with real check digits. Pure.

- ID numbers (居民身份证号码, GB 11643): 18 characters, a valid ISO 7064 MOD 11-2 check
  character and a real birth date. An 18-digit number with a wrong check character is not one.
- Mobile numbers: `^(\\+?86)?1[3-9]\\d{9}$`.
- Bank cards: 16–19 digits passing Luhn, with prefix 62 (UnionPay) or in a column whose
  name says it holds card numbers.
- Email addresses.

Only counts and column names leave this module; never a value.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from stdnum import luhn
from stdnum.iso7064 import mod_11_2


class PiiKind(StrEnum):
    id_number = "id_number"
    mobile = "mobile"
    bank_card = "bank_card"
    email = "email"


# PIPL art. 28: ID numbers and financial accounts are sensitive personal information.
SENSITIVE_KINDS = frozenset({PiiKind.id_number, PiiKind.bank_card})

_ID_SHAPE = re.compile(r"\d{17}[\dXx]")
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")
_CARD_SHAPE = re.compile(r"\d{16,19}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD_COLUMN = re.compile(r"卡号|银行卡|card|account_?no|acct", re.IGNORECASE)


def is_id_number(value: str, today: date | None = None) -> bool:
    if len(value) != 18 or not _ID_SHAPE.fullmatch(value):
        return False
    if not mod_11_2.is_valid(value.upper()):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= (today or date.today())


def is_mobile(value: str) -> bool:
    return bool(_MOBILE.fullmatch(value))


def is_bank_card(value: str, card_column: bool) -> bool:
    if not _CARD_SHAPE.fullmatch(value):
        return False
    if not (value.startswith("62") or card_column):
        return False
    return bool(luhn.is_valid(value))


def is_email(value: str) -> bool:
    return "@" in value and bool(_EMAIL.fullmatch(value))


def card_column(name: str) -> bool:
    return bool(_CARD_COLUMN.search(name))


def classify(value: str, in_card_column: bool = False, today: date | None = None) -> PiiKind | None:
    """The kind of personal information a single value is, if any."""
    first = value[:1]
    if first.isdigit() or first == "+":
        if len(value) == 18 and is_id_number(value, today):
            return PiiKind.id_number
        if is_mobile(value):
            return PiiKind.mobile
        if 16 <= len(value) <= 19 and is_bank_card(value, in_card_column):
            return PiiKind.bank_card
        return None
    if "@" in value and is_email(value):
        return PiiKind.email
    return None


@dataclass
class PiiScan:
    """Counts of personal information found, by kind and column; streaming."""

    columns: list[str]
    today: date = field(default_factory=date.today)
    rows: int = 0
    found: dict[PiiKind, Counter[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._card_columns = [card_column(name) for name in self.columns]

    def add(self, row: list[str | None]) -> None:
        self.rows += 1
        for index, value in enumerate(row):
            if value is None:
                continue
            first = value[:1]
            # Most cells are neither number-like nor addresses: skip them at once.
            if not (first.isdigit() or first == "+" or "@" in value):
                continue
            kind = classify(value, self._card_columns[index], self.today)
            if kind is not None:
                self.found.setdefault(kind, Counter())[self.columns[index]] += 1

    @property
    def kinds(self) -> set[PiiKind]:
        return set(self.found)

    def evidence(self, kinds: set[PiiKind] | frozenset[PiiKind] | None = None) -> dict[str, object]:
        """Columns and counts per kind: what a finding may show (never the values)."""
        chosen = [k for k in PiiKind if k in self.found and (kinds is None or k in kinds)]
        return {
            kind.value: {
                "columns": sorted(self.found[kind]),
                "count": sum(self.found[kind].values()),
            }
            for kind in chosen
        }
