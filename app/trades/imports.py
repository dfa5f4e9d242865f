"""Bulk import of trades (`POST /v1/transactions/imports`): JSON Lines in, one result a line out.

An exchange adopting Shushang brings years of trades, and brokers report off-venue trades in
batches. Each line is a trade as `POST /v1/transactions` takes it plus its own
`idempotency_key`, and is decided as that request would be, in file order:

1. The body is spooled to a temporary file as it arrives (in memory up to 1 MiB, on disk
   beyond), its lines counted: past `import_max_lines` the import is refused 413 before any
   line is applied. A cap must refuse the whole import or nothing, so the lines are counted
   before the first is applied; the spool keeps memory flat however many lines come.
2. The file is read back `BATCH_LINES` lines at a time. A batch is one transaction on the
   driver connection, built on the group committer's set-based statements: one statement
   reads the facts of a venue's lines (`repository.recording_facts`), the rules of the
   per-request path decide each line (`service.replay`, `service.new_trade`), and the trades
   accepted are appended to their venues' logs in file order and stored with their
   idempotency records, audit events and outbox events (`recorder.append`,
   `recorder.persist`), one statement each.
3. A batch's results are written to the answer only after it has committed: a `created`
   line that reached the client is durable.

A refused line refuses nothing else. A batch that fails as a whole (another request took one
of its keys meanwhile) is applied again line by line, so the line at fault fails alone. If
the database goes away, the lines not yet applied are refused 503: importing the same file
again replays what was applied and applies the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import IO, Any
from uuid import UUID

import asyncpg
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import service as audit
from app.core.db import (
    UNSTORABLE_TEXT,  # the 422 of text PostgreSQL cannot store, as the handlers answer it
    Driver,
    driver_of,
    is_database_unavailable,
    new_id,
    sqlstate,
)
from app.core.errors import PayloadTooLarge, ServiceUnavailable, ShushangError, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.ledger import sequencer
from app.trades import recorder, repository, service, waivers
from app.trades.recorder import Accepted
from app.trades.repository import Asked, FirstResponse, RecordingFacts
from app.trades.schemas import ImportLine, ImportStatus
from app.web.problems import validation_errors

logger = logging.getLogger("shushang.trades")

PATH = "/v1/transactions/imports"
MEDIA_TYPES = frozenset({"application/x-ndjson", "application/jsonl"})
# A transaction's worth: large enough that the statements of a batch cost little per line,
# small enough that a venue's log is not held for long by one import (per-request trades
# of the venue wait for its head while a batch is stored).
BATCH_LINES = 1000
# A trade's line is well under 2 KiB; a longer line is refused without being held whole.
MAX_LINE_BYTES = 16 * 1024
SPOOLED_IN_MEMORY = 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class UnsupportedMediaType(ShushangError):
    status = 415
    slug = "unsupported-media-type"
    title = Text("Unsupported media type", "不支持的媒体类型")
    default_detail = Text(
        "Send the trades as JSON Lines: `Content-Type: application/x-ndjson`.",
        "请以 JSON Lines 格式发送交易:`Content-Type: application/x-ndjson`。",
    )


def check_media_type(content_type: str | None) -> None:
    """415 unless the body is declared JSON Lines."""
    if (content_type or "").split(";")[0].strip().lower() not in MEDIA_TYPES:
        raise UnsupportedMediaType()


async def spool(chunks: AsyncIterator[bytes], max_lines: int) -> IO[bytes]:
    """The body in a temporary file, read back from its start; 413 past `max_lines` lines
    (at once: the rest is not read), 422 for a body without any."""
    file = tempfile.SpooledTemporaryFile(max_size=SPOOLED_IN_MEMORY)  # noqa: SIM115 - returned
    lines = 0
    try:
        newlines, open_line = 0, False
        async for chunk in chunks:
            if not chunk:
                continue
            # Blocking, but a write to memory or the page cache: cheaper than a thread hop.
            file.write(chunk)
            newlines += chunk.count(b"\n")
            open_line = not chunk.endswith(b"\n")
            lines = newlines + open_line
            if lines > max_lines:
                raise PayloadTooLarge(
                    Text(
                        f"An import holds at most {max_lines} lines; this one has more. "
                        "Split it: nothing of it was applied.",
                        f"一次导入最多 {max_lines} 行,本次超过该数;"
                        "请拆分后再导入,本次未导入任何行。",
                    ),
                    max_lines=max_lines,
                )
    except BaseException:
        file.close()
        raise
    if lines == 0:
        file.close()
        raise ValidationFailed.field(
            ["body"], Text("holds no lines: one trade a line", "没有任何行:每行一笔交易")
        )
    file.seek(0)
    return file


@dataclass(slots=True)
class Line:
    """A line read back: its trade, or the problem that refuses it already."""

    number: int
    data: ImportLine | None = None
    request_hash: bytes = b""
    problem: ShushangError | None = None


@dataclass(frozen=True, slots=True)
class Result:
    line: int
    status: ImportStatus
    trade_id: str | None = None
    leaf_index: int | None = None
    problem: ShushangError | None = None

    @classmethod
    def refused(cls, line: int, problem: ShushangError) -> Result:
        return cls(line, ImportStatus.refused, problem=problem)

    def render(self, chinese: bool) -> bytes:
        if self.problem is not None:
            problem = self.problem.to_problem(chinese)
            return _json({"line": self.line, "status": self.status.value, "problem": problem})
        # Most lines: our own ids and numbers only, nothing to escape.
        return b'{"line":%d,"status":"%s","trade_id":"%s","leaf_index":%d}' % (
            self.line,
            self.status.value.encode(),
            str(self.trade_id).encode(),
            self.leaf_index or 0,
        )


def _refused_line(text: Text) -> ShushangError:
    return ValidationFailed.field(["body"], text)


_TOO_LONG = Text(
    f"the line is longer than {MAX_LINE_BYTES} bytes", f"该行超过 {MAX_LINE_BYTES} 字节"
)
_EMPTY = Text("the line is empty: one JSON object a line", "该行为空:每行一个 JSON 对象")


def parse(number: int, raw: bytes | None) -> Line:
    """A line of the body (`None`: longer than MAX_LINE_BYTES) as a trade, or its problem:
    the 422 its body alone would get, each field named as `["body", field]`."""
    if raw is None:
        return Line(number, problem=_refused_line(_TOO_LONG))
    if number == 1:
        raw = raw.removeprefix(_BOM)  # as a Windows editor saves UTF-8
    if not raw.strip():
        return Line(number, problem=_refused_line(_EMPTY))
    try:
        data = ImportLine.model_validate_json(raw)
    except ValidationError as invalid:
        located = [{**e, "loc": ("body", *e["loc"])} for e in invalid.errors()]
        # The per-request path's 422, by the same function (one wording of a bad field).
        return Line(number, problem=validation_errors(RequestValidationError(located)))
    return Line(number, data, service.request_hash(data))


def read_lines(file: IO[bytes]) -> Iterator[Line]:
    """The spooled body's lines, parsed, one at a time: no line is held whole if it is
    longer than MAX_LINE_BYTES."""
    number = 0
    while line := file.readline(MAX_LINE_BYTES + 1):
        number += 1
        raw: bytes | None = line.rstrip(b"\r\n")
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := file.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass  # the rest of an overlong line, skipped
            raw = None
        yield parse(number, raw)


async def _read_soon(lines: Iterator[Line]) -> list[Line]:
    """The next batch of lines, handing the event loop back every few lines: parsing runs
    in the time the batch before waits for the database, and delays it little."""
    batch: list[Line] = []
    for line in lines:
        batch.append(line)
        if len(batch) == BATCH_LINES:
            break
        if len(batch) % 32 == 0:
            await asyncio.sleep(0)
    return batch


class Import:
    """One import request: its caller (an operator), whether it is historical, and the
    answer it streams."""

    def __init__(
        self,
        engine: AsyncEngine,
        who: Principal,
        *,
        historical: bool,
        request_id: str | None,
        chinese: bool,
        large_amount: Decimal,
    ) -> None:
        self.id: UUID = new_id()
        self._engine = engine
        self._who = who
        self._large_amount = large_amount  # SHUSHANG_LARGE_TRADE_AMOUNT
        self._historical = historical
        self._request_id = request_id
        self._chinese = chinese
        self._frontiers = sequencer.Frontiers()  # saves reading a log's edge per batch
        self._database_away = False
        self.counts = dict.fromkeys(ImportStatus, 0)

    async def answer(self, file: IO[bytes]) -> AsyncIterator[bytes]:
        """The JSON answer, a batch's results at a time, each once the batch has committed;
        one result a line of text, so the answer reads as it comes."""
        lines = read_lines(file)
        upcoming: asyncio.Task[list[Line]] | None = None
        try:
            yield b'{"import_id":"%s","results":[\n' % str(self.id).encode()
            batch, separator = list(islice(lines, BATCH_LINES)), b""
            while batch:
                # The next batch is read and parsed while this one is in the database.
                upcoming = asyncio.create_task(_read_soon(lines))
                results = await self._apply(batch)
                for result in results:
                    self.counts[result.status] += 1
                yield separator + b",\n".join(r.render(self._chinese) for r in results)
                separator = b",\n"
                batch = await upcoming
            await self._audit()
            yield b"\n],%s}\n" % _json({s.value: n for s, n in self.counts.items()})[1:-1]
        finally:
            if upcoming is not None:
                upcoming.cancel()
            file.close()

    async def _apply(self, lines: list[Line]) -> list[Result]:
        ready = [line for line in lines if line.problem is None]
        decided: dict[int, Result] = {}
        if ready and not self._database_away:
            try:
                decided = await self._write(ready)
            except Exception as failure:
                if is_database_unavailable(failure):
                    self._database_away = True
                else:
                    logger.info("an import batch failed; applying it line by line")
                    decided = await self._one_by_one(ready)
        results = []
        for line in lines:
            if line.problem is not None:
                results.append(Result.refused(line.number, line.problem))
            elif line.number in decided:
                results.append(decided[line.number])
            else:  # the database went away before the line could be applied
                results.append(Result.refused(line.number, ServiceUnavailable()))
        return results

    async def _one_by_one(self, lines: list[Line]) -> dict[int, Result]:
        decided: dict[int, Result] = {}
        for line in lines:
            try:
                decided.update(await self._write([line]))
            except Exception as failure:
                if is_database_unavailable(failure):
                    self._database_away = True
                    break
                decided[line.number] = Result.refused(line.number, _failure(failure))
        return decided

    async def _write(self, lines: list[Line]) -> dict[int, Result]:
        """One transaction: the lines' facts, their decisions, the trades accepted appended
        to their logs in line order and stored. The results, once committed."""
        results: dict[int, Result] = {}
        created: list[tuple[int, Accepted]] = []
        echoes: list[tuple[int, Accepted]] = []  # a key again, after its line of this batch
        frontiers: dict[str, sequencer.Frontier] = {}
        async with self._engine.connect() as connection:
            raw = await driver_of(connection)
            async with raw.transaction():
                facts = await self._facts(raw, lines)
                firsts: dict[str, Accepted] = {}  # keys whose trade this batch creates
                for line in lines:
                    assert line.data is not None
                    number, key = line.number, line.data.idempotency_key
                    try:
                        first = firsts.get(key)
                        if first is not None:
                            # The facts were read before this batch stored its trades: the
                            # key's first line is here, and decides as a stored record would.
                            service.replay(
                                FirstResponse(first.request_hash, 201, {}), line.request_hash
                            )
                            echoes.append((number, first))
                            continue
                        stored = service.replay(facts[number].first_response, line.request_hash)
                        if stored is not None:
                            results[number] = Result(
                                number,
                                ImportStatus.replayed,
                                stored.body["id"],
                                stored.body["leaf_index"],
                            )
                            continue
                        trade = service.new_trade(
                            self._who,
                            line.data,
                            facts[number],
                            large_amount=self._large_amount,
                            historical=self._historical,
                        )
                    except ShushangError as refusal:
                        results[number] = Result.refused(number, refusal)
                        continue
                    firsts[key] = accepted = Accepted(
                        self._who,
                        trade,
                        key,
                        line.request_hash,
                        self._request_id,
                        {"import_id": str(self.id), "line": number},
                    )
                    created.append((number, accepted))
                if not self._historical:  # before any log's head is locked
                    await waivers.waive(raw, [a.trade for _, a in created])
                # Venue by venue in one order (two imports lock the same heads in the same
                # order); within a venue, in line order: the log's order is the file's.
                for venue in sorted({a.trade.venue_code for _, a in created}):
                    ours = [a for _, a in created if a.trade.venue_code == venue]
                    frontiers[venue] = await recorder.append(raw, venue, ours, self._frontiers)
                if created:
                    await recorder.persist(raw, [a for _, a in created])
        for venue, frontier in frontiers.items():  # committed
            self._frontiers.keep(venue, frontier)
        for number, one in created:
            results[number] = Result(
                number, ImportStatus.created, str(one.trade.id), one.trade.leaf_index
            )
        for number, one in echoes:
            results[number] = Result(
                number, ImportStatus.replayed, str(one.trade.id), one.trade.leaf_index
            )
        return results

    async def _facts(self, raw: Driver, lines: list[Line]) -> dict[int, RecordingFacts]:
        """What the rules check, one statement per venue named in the lines."""
        venues: dict[str, list[Line]] = {}
        for line in lines:
            assert line.data is not None
            venues.setdefault(line.data.venue_code, []).append(line)
        facts: dict[int, RecordingFacts] = {}
        for venue, group in venues.items():
            asked = [self._asked(line) for line in group]
            rows = await repository.recording_facts(raw, venue, asked)
            facts.update(zip((line.number for line in group), rows, strict=True))
        return facts

    def _asked(self, line: Line) -> Asked:
        data = line.data
        assert data is not None
        return Asked(
            token_hash=b"",  # the caller is known: its key id scopes the idempotency keys
            key_id=self._who.key_id,
            key=data.idempotency_key,
            seller_id=data.seller_merchant_id,
            buyer_id=data.buyer_merchant_id,
            listing_id=data.listing_id,
            product_id=data.product_id,
        )

    async def _audit(self) -> None:
        """The import itself in the audit trail (each trade has its own event too)."""
        if self._database_away:
            return
        entry = audit.Entry(
            self._who,
            "trade.import",
            "trade_import",
            self.id,
            {
                "historical": self._historical,
                **{status.value: n for status, n in self.counts.items()},
            },
            self._request_id,
        )
        try:
            async with self._engine.connect() as connection:
                raw = await driver_of(connection)
                async with raw.transaction():
                    await audit.add_on_driver(raw, [entry])
        except Exception:
            logger.warning("could not record an import in the audit trail", exc_info=True)


def _failure(failure: Exception) -> ShushangError:
    """The problem of a line whose transaction failed on its own."""
    if isinstance(failure, ShushangError):
        return failure
    if isinstance(failure, asyncpg.UniqueViolationError):  # another request took its key
        return service.in_flight()
    if sqlstate(failure) in UNSTORABLE_TEXT:
        return _refused_line(
            Text(
                "holds characters that cannot be stored, such as NUL (\\u0000)",
                "包含无法保存的字符,例如 NUL(\\u0000)",
            )
        )
    logger.exception("an import line failed", exc_info=failure)
    return ShushangError()


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()
