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

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from operator import mul
from pathlib import Path


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


# ISO 7064 MOD 11-2 over 17 digits: weights 2^(18-i) mod 11, check "10X98765432"[Σ mod 11].
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"
_ZERO_WEIGHT = 48 * sum(_ID_WEIGHTS)  # ord("0") times every weight


def id_check_character(first17: str) -> str:
    """GB 11643's check character; the same as python-stdnum's `mod_11_2`, without its
    per-call clean-up, which the PII scan of a million rows cannot afford."""
    total = sum(map(mul, first17.encode("ascii"), _ID_WEIGHTS)) - _ZERO_WEIGHT
    return _ID_CHECK[total % 11]


def is_id_number(value: str, today: date | None = None) -> bool:
    if len(value) != 18 or not _ID_SHAPE.fullmatch(value):
        return False
    if id_check_character(value[:17]) != value[17].upper():
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
    return luhn_valid(value)


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

    def scan_block(self, block: str) -> None:
        """Whole lines of unquoted CSV, each ending in a newline."""
        if not block:
            return
        self.rows += _count_rows(block)
        cards, last_column, today = self._card_columns, len(self.columns) - 1, self.today
        counts: dict[tuple[PiiKind, int], int] = {}
        line_start, last = 0, 0
        for match in _CANDIDATE_FIELD.finditer(block):
            start = match.start(1)
            newline = block.rfind("\n", last, start)
            if newline >= 0:
                line_start = newline + 1
            last = start
            column = block.count(",", line_start, start)
            if column > last_column:
                column = last_column
            kind = _classify_field(match.group(1), cards[column], today)
            if kind is not None:
                counts[kind, column] = counts.get((kind, column), 0) + 1
        for (kind, column), n in counts.items():
            self.found.setdefault(kind, Counter())[self.columns[column]] += n

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
                counter = self.found.get(kind)
                if counter is None:
                    counter = self.found[kind] = Counter()
                counter[self.columns[index]] += 1

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


# A whole CSV field that may hold personal information: a long digit run (with + or X), or
# an e-mail address. Most fields fail at their first character.
_CANDIDATE_FIELD = re.compile(
    r"(?<![^,\n])[ \t]*"
    r"(\+?\d{11,19}[\dXx]?|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"[ \t]*(?=[,\r\n]|\Z)"
)
_BLOCK_CHARS = 1 << 22


def _has_quotes(path: Path) -> bool:
    with path.open("rb") as raw:
        while block := raw.read(1 << 22):
            if b'"' in block:
                return True
    return False


def scan_csv(path: Path, encoding: str, today: date | None = None) -> PiiScan:
    """Scan a CSV sample (header first). Without quoted fields, one regular expression walks
    whole blocks of text and only candidate fields reach Python; with quotes, rows are read
    with the csv module, which knows where a quoted field ends."""
    with path.open(encoding=encoding, newline="") as text:
        header = next(csv.reader([text.readline()]), [])
        scan = PiiScan([h.strip() for h in header], today=today or date.today())
        if _has_quotes(path):
            for row in csv.reader(text):
                if row:
                    scan.add([cell.strip() or None for cell in row])
            return scan
        carry = ""
        while True:
            block = text.read(_BLOCK_CHARS)
            if not block:
                scan.scan_block(carry + "\n" if carry.strip() else "")
                return scan
            block = carry + block
            cut = block.rfind("\n") + 1
            scan.scan_block(block[:cut])
            carry = block[cut:]


# Keyed by the 8 digits of a birth date (never a whole cell), so it keeps no sample alive:
# full, it holds 65 536 short strings, about 9 MB, whatever the samples were.
@lru_cache(maxsize=65_536)
def _birth_date_valid(yyyymmdd: str, today: date) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def _classify_field(value: str, in_card_column: bool, today: date) -> PiiKind | None:
    """`classify` for a field `_CANDIDATE_FIELD` matched: its shape is already known (a digit
    run, or an address), so only the checks that decide remain."""
    if "@" in value:
        return PiiKind.email
    size = len(value)
    if size == 18 and value[0] != "+":
        if id_check_character(value[:17]) == value[17].upper() and _birth_date_valid(
            value[6:14], today
        ):
            return PiiKind.id_number
        return None if value[17] in "Xx" else _card(value, in_card_column)
    if size == 11 or value.startswith(("86", "+86")):
        return PiiKind.mobile if _MOBILE.fullmatch(value) else None
    return _card(value, in_card_column)


def _card(value: str, in_card_column: bool) -> PiiKind | None:
    if 16 <= len(value) <= 19 and value.isdigit() and (value.startswith("62") or in_card_column):
        return PiiKind.bank_card if luhn_valid(value) else None
    return None


_DOUBLED = tuple((2 * d) - 9 if 2 * d > 9 else 2 * d for d in range(10))


def luhn_valid(digits: str) -> bool:
    """The Luhn check (as python-stdnum's `luhn.is_valid`, without its per-call clean-up)."""
    reverse = digits[::-1].encode("ascii")
    total = sum(reverse[0::2]) - 48 * len(reverse[0::2])
    total += sum(_DOUBLED[c - 48] for c in reverse[1::2])
    return total % 10 == 0


def _count_rows(block: str) -> int:
    if "\n\n" in block or "\n\r\n" in block:  # blank lines are not rows
        return sum(1 for line in block.splitlines() if line.strip())
    return block.count("\n")
