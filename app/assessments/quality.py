"""Data quality of a sample (GB/T 36344-2018): six indicators, the overall score, a grade. Pure.

Each indicator is a percentage with two decimals, computed on the sample's cells:

- completeness 完整性: non-empty cells / cells of the columns that must be filled;
- conformity 规范性: values passing their column's format rule / non-empty values of columns
  with a rule (declared in the product's schema, or recognised: USCC, ID number, mobile,
  email, date, region code, number);
- accuracy 准确性: distinct rows / rows, and distinct declared keys / rows;
- consistency 一致性: per column, the share of values of its dominant type; and the share of
  rows keeping each declared cross-field rule; averaged;
- timeliness 时效性: 100 × 0.02^(age_days / 365), from the newest date in the sample's date
  columns, else the declared `data_as_of`;
- accessibility 可访问性: 25 points each for a delivery mode, a documented schema, a sample
  and a declared service level.

Rows are read one at a time; memory grows only with the 8-byte fingerprint kept per row
for counting duplicates.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import islice
from typing import Any

from app.assessments import pii
from app.core.money import CENT, round_half_up
from app.core.regions import region_problem
from app.merchants import uscc
from app.samples.profile import ValueType, classify

RULES_VERSION = "quality/GB-T-36344-2018/1"

WEIGHTS: dict[str, Decimal] = {
    "completeness": Decimal("0.20"),
    "conformity": Decimal("0.20"),
    "accuracy": Decimal("0.20"),
    "consistency": Decimal("0.15"),
    "timeliness": Decimal("0.15"),
    "accessibility": Decimal("0.10"),
}
GRADES = ((Decimal(90), "A"), (Decimal(75), "B"), (Decimal(60), "C"))
TIMELINESS_BASE = Decimal("0.02")  # a year-old dataset keeps 2 % of its value
RECOGNITION_SHARE = Decimal("0.8")  # a column is recognised when 80 % of its values look so
_RECOGNITION_ROWS = 1000
_HUNDRED = Decimal(100)


class FormatRule(StrEnum):
    uscc = "uscc"
    id_number = "id_number"
    mobile = "mobile"
    email = "email"
    date = "date"
    region_code = "region_code"
    number = "number"


_NAME_HINTS: list[tuple[re.Pattern[str], FormatRule]] = [
    (re.compile(r"统一社会信用代码|信用代码|uscc|credit_?code", re.I), FormatRule.uscc),
    (re.compile(r"身份证|证件号|id_?card|id_?number|identity", re.I), FormatRule.id_number),
    (re.compile(r"手机|mobile|cell_?phone", re.I), FormatRule.mobile),
    (re.compile(r"邮箱|电子邮件|e-?mail", re.I), FormatRule.email),
    (re.compile(r"行政区划|区划代码|region_?code|adcode", re.I), FormatRule.region_code),
    (re.compile(r"日期|date$|_date|_at$|_on$", re.I), FormatRule.date),
]
_LOOKS: dict[FormatRule, re.Pattern[str]] = {
    FormatRule.uscc: re.compile(r"[1-9ANY][0-9A-Z]{17}"),
    FormatRule.id_number: re.compile(r"\d{17}[\dXx]"),
    FormatRule.mobile: re.compile(r"(?:\+?86)?1\d{10}"),
    FormatRule.email: re.compile(r"[^@\s]+@[^@\s]+"),
    FormatRule.date: re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:[T ].*)?"),
}
_DATE_PARTS = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def parse_date(value: str) -> date | None:
    match = _DATE_PARTS.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


def _is_number(value: str) -> bool:
    return bool(_NUMBER.fullmatch(value))


def _is_date(value: str) -> bool:
    return parse_date(value) is not None


def _is_region_code(value: str) -> bool:
    return region_problem(value) is None


_CHECKS: dict[FormatRule, Callable[[str], bool]] = {
    FormatRule.uscc: uscc.is_valid,
    FormatRule.id_number: pii.is_id_number,
    FormatRule.mobile: pii.is_mobile,
    FormatRule.email: pii.is_email,
    FormatRule.date: _is_date,
    FormatRule.region_code: _is_region_code,
    FormatRule.number: _is_number,
}


def passes(rule: FormatRule, value: str) -> bool:
    return _CHECKS[rule](value)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """part / whole as a percentage with two decimals (100 when there is nothing to judge)."""
    if not whole:
        return Decimal("100.00")
    return round_half_up(Decimal(part) * _HUNDRED / Decimal(whole))


def grade_of(overall: Decimal) -> str:
    return next((grade for floor, grade in GRADES if overall >= floor), "D")


@dataclass(frozen=True)
class CrossFieldRule:
    left: str
    op: str
    right: str


@dataclass(frozen=True)
class ProductFacts:
    """What the assessment needs to know of the product besides its sample."""

    delivery_modes: Sequence[str] = ()
    schema: Mapping[str, Any] | None = None
    service_level: str | None = None
    data_as_of: date | None = None
    has_sample: bool = True


@dataclass
class _Column:
    name: str
    required: bool
    rule: FormatRule | None
    rule_source: str | None
    nulls: int = 0
    non_null: int = 0
    checked: int = 0
    failed: int = 0
    types: Counter[str] = field(default_factory=Counter)
    newest: date | None = None


@dataclass(frozen=True)
class QualityResult:
    indicators: dict[str, Decimal]
    overall: Decimal
    grade: str
    quality_coefficient: Decimal
    rows: int
    columns: list[dict[str, Any]]
    details: dict[str, Any]
    weights: dict[str, Decimal]
    rules_version: str = RULES_VERSION


def _declared_columns(schema: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    columns = (schema or {}).get("columns") or []
    return {
        str(c["name"]): c
        for c in columns
        if isinstance(c, Mapping) and isinstance(c.get("name"), str)
    }


def _recognise(name: str, values: Iterable[str]) -> FormatRule | None:
    for pattern, rule in _NAME_HINTS:
        if pattern.search(name):
            return rule
    seen = [v for v in values if v is not None][:_RECOGNITION_ROWS]
    if not seen:
        return None
    for rule, looks in _LOOKS.items():
        if Decimal(sum(1 for v in seen if looks.fullmatch(v))) >= RECOGNITION_SHARE * len(seen):
            return rule
    if all(classify(v) in (ValueType.integer, ValueType.decimal) for v in seen):
        return FormatRule.number
    return None


def _cross_field_rules(schema: Mapping[str, Any] | None) -> list[CrossFieldRule]:
    rules = (schema or {}).get("rules") or []
    found = []
    for rule in rules:
        if isinstance(rule, Mapping) and rule.get("op") in ("<", "<=", "=", "!=", ">", ">="):
            found.append(
                CrossFieldRule(str(rule.get("left")), str(rule["op"]), str(rule.get("right")))
            )
    return found


def _comparable(value: str) -> Decimal | date | str:
    try:
        return Decimal(value)
    except InvalidOperation:
        pass
    return parse_date(value) or value


def _holds(rule: CrossFieldRule, left: str, right: str) -> bool:
    a, b = _comparable(left), _comparable(right)
    if type(a) is not type(b):
        a, b = left, right
    ops = {"<": a < b, "<=": a <= b, "=": a == b, "!=": a != b, ">": a > b, ">=": a >= b}  # type: ignore[operator]
    return ops[rule.op]


def assess(
    names: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    product: ProductFacts,
    today: date,
) -> QualityResult:
    declared = _declared_columns(product.schema)
    schema = product.schema or {}
    required_names = set(schema.get("required") or []) or set(names)
    key_names = [k for k in (schema.get("primary_key") or []) if k in names]
    key_index = [names.index(k) for k in key_names]
    cross_rules = [
        r for r in _cross_field_rules(product.schema) if r.left in names and r.right in names
    ]
    rule_kept = Counter[int]()
    rule_checked = Counter[int]()

    iterator: Iterator[Sequence[str | None]] = iter(rows)
    head = [list(r) for r in islice(iterator, _RECOGNITION_ROWS)]
    columns: list[_Column] = []
    for index, name in enumerate(names):
        spec = declared.get(name, {})
        rule: FormatRule | None = None
        source = None
        if spec.get("format") in FormatRule.__members__:
            rule, source = FormatRule(spec["format"]), "declared"
        else:
            rule = _recognise(name, (r[index] for r in head if index < len(r)))  # type: ignore[misc]
            source = "recognised" if rule else None
        columns.append(
            _Column(name, name in required_names or bool(spec.get("required")), rule, source)
        )

    fingerprints = _Fingerprints()
    key_fingerprints = _Fingerprints()
    total = 0
    checkers = [_checker(c.rule) for c in columns]
    rule_columns = [(names.index(r.left), names.index(r.right)) for r in cross_rules]

    # Column by column over chunks of rows: the loops run in C (map, Counter, count).
    for chunk in _chunks(head, iterator):
        total += len(chunk)
        fingerprints.extend(map(_fingerprint, chunk))
        if key_index:
            key_fingerprints.extend(_fingerprint([row[i] for i in key_index]) for row in chunk)
        for index, column in enumerate(columns):
            values = [row[index] if index < len(row) else None for row in chunk]
            present = [v for v in values if v is not None]
            column.nulls += len(values) - len(present)
            column.non_null += len(present)
            kinds = Counter(map(classify, present))
            column.types.update(kinds)
            dated = (
                column.rule is FormatRule.date or kinds[ValueType.date] or kinds[ValueType.datetime]
            )
            parsed = list(map(parse_date, present)) if dated else []
            checker = checkers[index]
            if column.rule is FormatRule.date:
                column.checked += len(present)
                column.failed += parsed.count(None)
            elif checker is not None:
                column.checked += len(present)
                column.failed += len(present) - sum(map(checker, present))
            newest = max((d for d in parsed if d is not None and d <= today), default=None)
            if newest is not None and (column.newest is None or newest > column.newest):
                column.newest = newest
        for n, (left_index, right_index) in enumerate(rule_columns):
            cross_rule = cross_rules[n]
            for row in chunk:
                left, right = row[left_index], row[right_index]
                if left is not None and right is not None:
                    rule_checked[n] += 1
                    rule_kept[n] += _holds(cross_rule, left, right)

    # Completeness
    required = [c for c in columns if c.required]
    filled = sum(c.non_null for c in required)
    completeness = percent(filled, total * len(required))
    # Conformity
    checked = sum(c.checked for c in columns)
    conformity = percent(checked - sum(c.failed for c in columns), checked)
    # Accuracy
    distinct_rows = fingerprints.distinct()
    accuracy_parts = [percent(distinct_rows, total)]
    distinct_keys = None
    if key_index:
        distinct_keys = key_fingerprints.distinct()
        accuracy_parts.append(percent(distinct_keys, total))
    accuracy = _mean(accuracy_parts)
    # Consistency
    shares = [percent(max(c.types.values()), c.non_null) for c in columns if c.non_null]
    shares += [percent(rule_kept[n], rule_checked[n]) for n in range(len(cross_rules))]
    consistency = _mean(shares) if shares else Decimal("100.00")
    # Timeliness
    newest_seen = max((c.newest for c in columns if c.newest), default=None)
    as_of = newest_seen or product.data_as_of
    age_days = max(0, (today - as_of).days) if as_of else None
    timeliness = (
        round_half_up(_HUNDRED * TIMELINESS_BASE ** (Decimal(age_days) / Decimal(365)))
        if age_days is not None
        else Decimal("0.00")
    )
    # Accessibility
    points = {
        "delivery_mode": bool(product.delivery_modes),
        "documented_schema": bool(product.schema),
        "sample": product.has_sample,
        "service_level": bool(product.service_level and product.service_level.strip()),
    }
    accessibility = Decimal(25 * sum(points.values())).quantize(CENT)

    indicators = {
        "completeness": completeness,
        "conformity": conformity,
        "accuracy": accuracy,
        "consistency": consistency,
        "timeliness": timeliness,
        "accessibility": accessibility,
    }
    overall = round_half_up(sum((indicators[k] * w for k, w in WEIGHTS.items()), Decimal(0)))
    return QualityResult(
        indicators=indicators,
        overall=overall,
        grade=grade_of(overall),
        quality_coefficient=round_half_up(overall / _HUNDRED, Decimal("0.0001")),
        rows=total,
        columns=[
            {
                "name": c.name,
                "required": c.required,
                "nulls": c.nulls,
                "non_null": c.non_null,
                "format_rule": c.rule.value if c.rule else None,
                "format_rule_source": c.rule_source,
                "format_checked": c.checked,
                "format_failed": c.failed,
                "dominant_type": c.types.most_common(1)[0][0] if c.types else None,
                "type_counts": dict(c.types),
            }
            for c in columns
        ],
        details={
            "completeness": {"filled_cells": filled, "required_cells": total * len(required)},
            "conformity": {
                "checked_values": checked,
                "failed_values": sum(c.failed for c in columns),
            },
            "accuracy": {
                "rows": total,
                "distinct_rows": distinct_rows,
                "key_columns": key_names,
                "distinct_keys": distinct_keys,
            },
            "consistency": {
                "cross_field_rules": [r.__dict__ for r in cross_rules],
                "rules_kept": [rule_kept[n] for n in range(len(cross_rules))],
                "rules_checked": [rule_checked[n] for n in range(len(cross_rules))],
            },
            "timeliness": {
                "newest_date_in_sample": newest_seen.isoformat() if newest_seen else None,
                "data_as_of": product.data_as_of.isoformat() if product.data_as_of else None,
                "age_days": age_days,
                "formula": "100 × 0.02^(age_days/365)",
            },
            "accessibility": points,
        },
        weights=dict(WEIGHTS),
    )


_CHUNK_ROWS = 4096


class _Fingerprints:
    """8-byte fingerprints of rows, in 256 buckets by their first byte: 8 bytes a row while
    reading, and counting the distinct ones never holds more than one bucket in a set."""

    def __init__(self) -> None:
        self._buckets = [array("Q") for _ in range(256)]

    def extend(self, values: Iterable[int]) -> None:
        buckets = self._buckets
        for value in values:
            buckets[value >> 56].append(value)

    def distinct(self) -> int:
        return sum(len(set(bucket)) for bucket in self._buckets)


def _chunks(
    head: list[list[str | None]], rest: Iterator[Sequence[str | None]]
) -> Iterator[list[Sequence[str | None]]]:
    if head:
        yield list(head)
    while chunk := list(islice(rest, _CHUNK_ROWS)):
        yield chunk


def _checker(rule: FormatRule | None) -> Callable[[str], bool] | None:
    return _CHECKS[rule] if rule is not None else None


def _mean(values: Sequence[Decimal]) -> Decimal:
    return round_half_up(sum(values, Decimal(0)) / len(values))


def _fingerprint(values: Sequence[str | None]) -> int:
    digest = hashlib.blake2b(
        "\x1f".join("\x00" if v is None else v for v in values).encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big")
