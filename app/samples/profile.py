"""Profiling a sample file: encoding, format, rows, columns, types and nulls. Pure and streaming.

A sample is CSV (UTF-8, UTF-8 with BOM, or GB18030/GBK, detected) with a header row, or
JSON Lines (one object a line). The file is read row by row, so memory stays flat however
large it is. A malformed line raises `MalformedSample` naming it.

The work is bounded (`ProfileLimits`): at most `max_columns` columns; the work is
proportional to the cells present (a JSON Lines row costs its own keys, not every key seen
so far); a JSON Lines table may not have more cells (rows × columns, what the assessments
read) than the file has bytes, as no CSV does; and the CPU time of one profile is capped
(`ProfileTooCostly`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, TextIO

csv.field_size_limit(16 * 1024 * 1024)

# A JSON Lines record is parsed in one call that holds the GIL (the event loop waits while
# it runs: about 15 ms a MiB); a sample's record has no need to be larger.
MAX_LINE_CHARS = 1 << 20
# A column name is a label, not data: one this long is an attack on every profile read.
MAX_NAME_CHARS = 255
# A sparse JSON Lines table may always have this many cells, however small the file.
DENSE_CELLS_FLOOR = 1_000_000
# Units of work (rows and cells) between two looks at the CPU clock.
_CHECK_EVERY = 1 << 16
# CSV cells counted at a time, column by column.
_BATCH_CELLS = 1 << 14


@dataclass(frozen=True)
class ProfileLimits:
    """What profiling one sample may cost (the `sample_*` settings)."""

    max_columns: int = 1000
    max_cpu_seconds: float = 60.0


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


class ProfileTooCostly(ValueError):
    """Profiling used more CPU time than one upload may."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"profiling took more than {seconds:g} s of CPU")
        self.seconds = seconds


class _Budget:
    """The CPU time this thread may still spend on one profile (every encoding tried).

    Thread time, not wall time: waiting for the GIL or the disk costs nothing. The clock is
    read every `_CHECK_EVERY` units of work (a row, a cell), and once more at the end.
    """

    __slots__ = ("deadline", "seconds", "until_check")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds
        self.until_check = _CHECK_EVERY

    def spend(self, units: int) -> None:
        self.until_check -= units
        if self.until_check <= 0:
            self.until_check = _CHECK_EVERY
            self.check()

    def check(self) -> None:
        if time.thread_time() > self.deadline:
            raise ProfileTooCostly(self.seconds)


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


# Samples repeat their values (cities, categories, flags): remember the types of short ones.
# Only short ones: a cache entry keeps its key alive for the life of the process, and a
# cell may be megabytes long. Full, the cache holds at most 16 384 × 64 characters.
_CACHED_CHARS = 64


def classify(text: str) -> ValueType:
    """The type of one non-empty text value."""
    if len(text) <= _CACHED_CHARS:
        return _classify_short(text)
    return _classify(text)


def _classify(text: str) -> ValueType:
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


_classify_short = lru_cache(maxsize=16_384)(_classify)


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
    path: Path,
    filename: str | None = None,
    media_type: str | None = None,
    limits: ProfileLimits | None = None,
) -> SampleProfile:
    """Profile a stored sample; the encoding is UTF-8 (with or without BOM) or GB18030."""
    limits = limits or ProfileLimits()
    budget = _Budget(limits.max_cpu_seconds)
    size = path.stat().st_size
    with path.open("rb") as raw:
        head = raw.read(4096)
    sample_format = detect_format(filename, media_type, head)
    candidates = _encodings(head)
    for encoding in candidates:
        with path.open("rb") as raw:
            try:
                profile = _profile(raw, encoding, sample_format, limits, budget, size)
            except UnicodeDecodeError:
                continue
        budget.check()
        return profile
    raise MalformedSample(
        1,
        "the file is neither UTF-8 nor GB18030 (GBK) text",
        "文件既不是 UTF-8 也不是 GB18030(GBK)文本",
    )


def _profile(
    raw: BinaryIO,
    encoding: str,
    sample_format: SampleFormat,
    limits: ProfileLimits,
    budget: _Budget,
    size: int,
) -> SampleProfile:
    text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
    if sample_format is SampleFormat.csv:
        rows, columns = _profile_csv(text, limits, budget)
    else:
        rows, columns = _profile_jsonl(text, limits, budget, size)
    return SampleProfile(format=sample_format, encoding=encoding, rows=rows, columns=columns)


def _too_many_columns(line: int, limits: ProfileLimits, what: str, what_zh: str) -> MalformedSample:
    return MalformedSample(
        line,
        f"more than {limits.max_columns} {what}, the most a sample may have",
        f"{what_zh}超过样本上限 {limits.max_columns} 个",
    )


def _name_too_long(line: int, name: str) -> MalformedSample:
    return MalformedSample(
        line,
        f"a column name of {len(name)} characters; at most {MAX_NAME_CHARS} are allowed",
        f"列名长 {len(name)} 个字符,最多 {MAX_NAME_CHARS} 个",
    )


def _profile_csv(
    text: io.TextIOWrapper, limits: ProfileLimits, budget: _Budget
) -> tuple[int, list[ColumnProfile]]:
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
    if len(names) > limits.max_columns:
        raise _too_many_columns(1, limits, "columns", "列数")
    if "" in names:
        raise MalformedSample(1, "a header cell is empty", "表头有空列名")
    long_name = next((n for n in names if len(n) > MAX_NAME_CHARS), None)
    if long_name is not None:
        raise _name_too_long(1, long_name)
    counts = Counter(names)
    duplicates = sorted(n for n, k in counts.items() if k > 1)
    if duplicates:
        raise MalformedSample(
            1,
            f"duplicate column names: {', '.join(duplicates)}",
            f"列名重复:{', '.join(duplicates)}",
        )
    columns = [ColumnProfile(name) for name in names]
    width = len(columns)
    batch_rows = max(1, _BATCH_CELLS // width)
    rows = 0
    batch: list[list[str]] = []
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
            batch.append(record)
            if len(batch) == batch_rows:
                _count_csv_cells(columns, batch)
                budget.spend(len(batch) * (width + 1))
                rows += len(batch)
                batch.clear()
    except csv.Error as exc:
        raise MalformedSample(reader.line_num, f"not CSV: {exc}", f"不是合法的 CSV:{exc}") from None
    _count_csv_cells(columns, batch)
    return rows + len(batch), columns


def _count_csv_cells(columns: list[ColumnProfile], batch: list[list[str]]) -> None:
    """Count a batch of rows column by column, so the loops over cells run in C."""
    if not batch:
        return
    for column, cells in zip(columns, zip(*batch, strict=True), strict=True):
        values = list(filter(None, map(str.strip, cells)))
        column.nulls += len(cells) - len(values)
        if values and max(map(len, values)) <= _CACHED_CHARS:
            column.type_counts.update(map(_classify_short, values))
        else:
            column.type_counts.update(map(classify, values))


def _profile_jsonl(
    text: TextIO, limits: ProfileLimits, budget: _Budget, size: int
) -> tuple[int, list[ColumnProfile]]:
    """Each row costs the keys it has: a missing key is counted once, at the end (a column's
    nulls are the rows without a value in it)."""
    columns: dict[str, ColumnProfile] = {}
    # Assessments read a JSON Lines sample as a table, every row as wide as all its keys: a
    # table of more cells than the file has bytes (no CSV is one) would cost them far more
    # than the file did to send.
    most_cells = max(size, DENSE_CELLS_FLOOR)
    most_rows = most_cells  # while there are no columns
    rows = 0
    # Lines are read no longer than the cap, so no one line is decoded whole.
    lines = iter(lambda: text.readline(MAX_LINE_CHARS + 1), "")
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise MalformedSample(
                number,
                f"a line longer than {MAX_LINE_CHARS} characters",
                f"行长超过 {MAX_LINE_CHARS} 个字符",
            )
        if not line.strip():
            budget.spend(1)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedSample(
                number, f"not JSON: {exc.msg}", f"不是合法的 JSON:{exc.msg}"
            ) from None
        except RecursionError:
            raise MalformedSample(number, "JSON nested too deeply", "JSON 嵌套过深") from None
        except ValueError:  # Python's own limit on the digits of an integer (4300)
            raise MalformedSample(
                number,
                f"a number with more than {sys.get_int_max_str_digits()} digits",
                f"数字超过 {sys.get_int_max_str_digits()} 位",
            ) from None
        if not isinstance(record, dict):
            raise MalformedSample(number, "not a JSON object", "不是 JSON 对象")
        if "\\u" in line and not _is_text(record):
            raise MalformedSample(
                number,
                "a lone surrogate (such as \\ud800): not text",
                "含有孤立的代理项(如 \\ud800):不是文本",
            )
        budget.spend(len(record) + 1)
        for key, value in record.items():
            column = columns.get(key)
            if column is None:
                if len(columns) >= limits.max_columns:
                    raise _too_many_columns(number, limits, "keys", "键的个数")
                if len(key) > MAX_NAME_CHARS:
                    raise _name_too_long(number, key)
                column = columns[key] = ColumnProfile(key)
                most_rows = most_cells // len(columns)
            if value is None:
                continue
            if type(value) is str:
                value = value.strip()
                if not value:
                    continue
                kind = _classify_short(value) if len(value) <= _CACHED_CHARS else _classify(value)
            else:
                kind = classify_json(value)
            column.type_counts[kind] += 1
        rows += 1
        if rows > most_rows:
            cells = rows * len(columns)
            raise MalformedSample(
                number,
                f"{rows} rows × {len(columns)} keys = {cells} cells, more than the "
                f"{most_cells} allowed (one per byte of the file, at least "
                f"{DENSE_CELLS_FLOOR}): the keys are too sparse; use fewer keys, or put more "
                "of them on each line",
                f"{rows} 行 × {len(columns)} 个键 = {cells} 个单元格,超过上限 {most_cells}"
                f"(文件每字节一个,至少 {DENSE_CELLS_FLOOR}):键过于稀疏;请减少键的种类,"
                "或让每行包含更多的键",
            )
    if rows == 0:
        raise MalformedSample(1, "the file has no records", "文件没有记录")
    for column in columns.values():
        column.nulls = rows - column.non_null
    return rows, list(columns.values())


def _is_text(record: dict[str, Any]) -> bool:
    """False when a JSON escape made a lone surrogate somewhere in `record` (keys included):
    no encoding can write it, so neither the database nor a report could hold it."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _without_lone_surrogates(text: str) -> str:
    """`text` with each lone surrogate as U+FFFD (a pair that JSON escaped stays its
    character)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


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
        columns = _jsonl_keys(path, encoding)
    return columns, _jsonl_rows(path, encoding, columns)


def _jsonl_keys(path: Path, encoding: str) -> list[str]:
    keys: dict[str, None] = {}
    with _text(path, encoding) as text:
        for line in text:
            if line.strip():
                keys.update(dict.fromkeys(json.loads(line)))
    return list(keys)


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
            cells = [_as_text(record.get(name)) for name in columns]
            if "\\u" in line:  # a sample stored before uploads refused lone surrogates
                cells = [None if c is None else _without_lone_surrogates(c) for c in cells]
            yield cells


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return json.dumps(value, ensure_ascii=False)
