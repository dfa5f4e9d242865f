"""Profiling a sample file: encoding, format, rows, columns, types and nulls. Pure and streaming.

A sample is CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK, detected) with a header row, or
JSON Lines (one object a line). The file is read row by row, so memory stays flat however
large it is. A malformed line raises `MalformedSample` naming it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

MAX_COLUMNS = 1000
csv.field_size_limit(16 * 1024 * 1024)


class SampleFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


class ValueType(StrEnum):
    """What a column holds; `empty` when it has no value at all."""

    integer = "integer"
    decimal = "decimal"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    string = "string"
    object = "object"
    array = "array"
    empty = "empty"


class MalformedSample(ValueError):
    def __init__(self, line: int, reason: str, reason_zh: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason
        self.reason_zh = reason_zh


@dataclass
class ColumnProfile:
    name: str
    nulls: int = 0
    type_counts: Counter[str] = field(default_factory=Counter)

    @property
    def non_null(self) -> int:
        return sum(self.type_counts.values())

    @property
    def type(self) -> ValueType:
        return unify(self.type_counts)


@dataclass
class SampleProfile:
    format: SampleFormat
    encoding: str
    rows: int
    columns: list[ColumnProfile]


_INTEGER = re.compile(r"[+-]?(?:0|[1-9]\d{0,14})")  # longer digit runs are codes, not numbers
_DECIMAL = re.compile(r"[+-]?(?:0|[1-9]\d{0,14})?\.\d+|[+-]?(?:0|[1-9]\d{0,14})\.\d*")
_DATE = re.compile(
    r"\d{4}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])|\d{4}年\d{1,2}月\d{1,2}日"
)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_BOOLEAN = frozenset({"true", "false"})


@lru_cache(maxsize=65_536)  # samples repeat their values (cities, categories, flags)
def classify(text: str) -> ValueType:
    """The type of one non-empty text value."""
    if _INTEGER.fullmatch(text):
        return ValueType.integer
    if _DECIMAL.fullmatch(text):
        return ValueType.decimal
    if _DATE.fullmatch(text):
        return ValueType.date
    if _DATETIME.fullmatch(text):
        return ValueType.datetime
    if text.lower() in _BOOLEAN:
        return ValueType.boolean
    return ValueType.string


def classify_json(value: Any) -> ValueType:
    if isinstance(value, bool):
        return ValueType.boolean
    if isinstance(value, int):
        return ValueType.integer
    if isinstance(value, float):
        return ValueType.decimal
    if isinstance(value, dict):
        return ValueType.object
    if isinstance(value, list):
        return ValueType.array
    return classify(str(value).strip())


def unify(counts: Counter[str]) -> ValueType:
    """One type for a column: the type every value fits (integers widen to decimals,
    dates to datetimes), or `string` for a mixture."""
    kinds = {ValueType(k) for k, n in counts.items() if n}
    if not kinds:
        return ValueType.empty
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {ValueType.integer, ValueType.decimal}:
        return ValueType.decimal
    if kinds <= {ValueType.date, ValueType.datetime}:
        return ValueType.datetime
    return ValueType.string


def detect_format(filename: str | None, media_type: str | None, head: bytes) -> SampleFormat:
    name = (filename or "").lower()
    if name.endswith((".jsonl", ".ndjson", ".jsonlines")):
        return SampleFormat.jsonl
    if name.endswith((".csv", ".txt", ".tsv")):
        return SampleFormat.csv
    if media_type and ("ndjson" in media_type or "jsonl" in media_type or "json-seq" in media_type):
        return SampleFormat.jsonl
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    return SampleFormat.jsonl if stripped.startswith(b"{") else SampleFormat.csv


def _encodings(head: bytes) -> list[str]:
    if head.startswith(codecs.BOM_UTF8):
        return ["utf-8-sig"]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise MalformedSample(
            1,
            "UTF-16 is not supported; use UTF-8 or GB18030",
            "不支持 UTF-16 编码,请使用 UTF-8 或 GB18030",
        )
    return ["utf-8", "gb18030"]


def profile_file(
    path: Path, filename: str | None = None, media_type: str | None = None
) -> SampleProfile:
    """Profile a stored sample; the encoding is UTF-8 (with or without BOM) or GB18030."""
    with path.open("rb") as raw:
        head = raw.read(4096)
    sample_format = detect_format(filename, media_type, head)
    candidates = _encodings(head)
    for encoding in candidates:
        with path.open("rb") as raw:
            try:
                return _profile(raw, encoding, sample_format)
            except UnicodeDecodeError:
                continue
    raise MalformedSample(
        1,
        "the file is neither UTF-8 nor GB18030 (GBK) text",
        "文件既不是 UTF-8 也不是 GB18030(GBK)文本",
    )


def _profile(raw: BinaryIO, encoding: str, sample_format: SampleFormat) -> SampleProfile:
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    if sample_format is SampleFormat.csv:
        rows, columns = _profile_csv(text)
    else:
        rows, columns = _profile_jsonl(text)
    return SampleProfile(format=sample_format, encoding=encoding, rows=rows, columns=columns)


def _profile_csv(text: io.TextIOWrapper) -> tuple[int, list[ColumnProfile]]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise MalformedSample(1, "the file is empty", "文件为空") from None
    except csv.Error as exc:
        raise MalformedSample(
            reader.line_num or 1, f"not CSV: {exc}", f"不是合法的 CSV:{exc}"
        ) from None
    names = [h.strip() for h in header]
    if not any(names):
        raise MalformedSample(1, "the header row is empty", "表头为空")
    if len(names) > MAX_COLUMNS:
        raise MalformedSample(1, f"more than {MAX_COLUMNS} columns", f"列数超过 {MAX_COLUMNS}")
    if "" in names:
        raise MalformedSample(1, "a header cell is empty", "表头有空列名")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise MalformedSample(
            1,
            f"duplicate column names: {', '.join(duplicates)}",
            f"列名重复:{', '.join(duplicates)}",
        )
    columns = [ColumnProfile(name) for name in names]
    width = len(columns)
    rows = 0
    try:
        for record in reader:
            if not record:  # a blank line
                continue
            if len(record) != width:
                raise MalformedSample(
                    reader.line_num,
                    f"{len(record)} fields where the header has {width}",
                    f"有 {len(record)} 个字段,而表头有 {width} 个",
                )
            rows += 1
            for column, cell in zip(columns, record, strict=True):
                value = cell.strip()
                if value:
                    column.type_counts[classify(value)] += 1
                else:
                    column.nulls += 1
    except csv.Error as exc:
        raise MalformedSample(reader.line_num, f"not CSV: {exc}", f"不是合法的 CSV:{exc}") from None
    return rows, columns


def _profile_jsonl(text: io.TextIOWrapper) -> tuple[int, list[ColumnProfile]]:
    columns: dict[str, ColumnProfile] = {}
    rows = 0
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedSample(
                number, f"not JSON: {exc.msg}", f"不是合法的 JSON:{exc.msg}"
            ) from None
        if not isinstance(record, dict):
            raise MalformedSample(number, "not a JSON object", "不是 JSON 对象")
        for key in record:
            if key not in columns:
                if len(columns) >= MAX_COLUMNS:
                    raise MalformedSample(
                        number, f"more than {MAX_COLUMNS} keys", f"键超过 {MAX_COLUMNS} 个"
                    )
                # A key first seen late was missing (null) in every earlier row.
                columns[key] = ColumnProfile(str(key), nulls=rows)
        for key, column in columns.items():
            value = record.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                column.nulls += 1
            else:
                column.type_counts[classify_json(value)] += 1
        rows += 1
    if rows == 0:
        raise MalformedSample(1, "the file has no records", "文件没有记录")
    return rows, list(columns.values())


def read_rows(
    path: Path, sample_format: SampleFormat, encoding: str, columns: list[str] | None = None
) -> tuple[list[str], Iterator[list[str | None]]]:
    """The column names and a stream of rows of a sample already profiled (so well formed).

    Each row has one text value per column; None for an empty CSV cell, or for a JSON null
    or missing key. JSON numbers and booleans are given as JSON writes them.
    """
    if sample_format is SampleFormat.csv:
        return _csv_rows(path, encoding)
    if columns is None:  # the profile knows them; without it, read the file once for them
        columns = [c.name for c in _profile_jsonl(_text(path, encoding))[1]]
    return columns, _jsonl_rows(path, encoding, columns)


def _text(path: Path, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="strict", newline="")


def _csv_rows(path: Path, encoding: str) -> tuple[list[str], Iterator[list[str | None]]]:
    text = _text(path, encoding)
    reader = csv.reader(text)
    header = [h.strip() for h in next(reader)]

    def rows() -> Iterator[list[str | None]]:
        with text:
            for record in reader:
                if record:
                    yield [cell.strip() or None for cell in record]

    return header, rows()


def _jsonl_rows(path: Path, encoding: str, columns: list[str]) -> Iterator[list[str | None]]:
    with _text(path, encoding) as text:
        for line in text:
            if not line.strip():
                continue
            record = json.loads(line)
            yield [_as_text(record.get(name)) for name in columns]


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return json.dumps(value, ensure_ascii=False)
