"""Streamed responses that hold nothing while the client reads.

A streamed body is produced as fast as the client takes it, so a client that reads slowly
(or never) decides how long whatever the producer holds stays held. Two rules keep that
cheap:

- `in_short_transactions` reads the body a piece at a time, each piece in a session (and
  transaction) of its own that is closed before the piece is handed on: between reads no
  database connection is held, however long the client takes.
- `PacedStreamingResponse` gives each send `send_timeout_seconds`: a client that takes
  nothing for that long is cut off (the stream stops; the connection is closed once what
  the server has already buffered is out). It sends in pieces of `PIECE_BYTES`, so "took
  nothing" means no progress at all, not a slow but steady reader.

Together (sample downloads, `app/samples/router.py`):

    PacedStreamingResponse(
        in_short_transactions(sessionmaker, read_chunk, 0),
        send_timeout_seconds=settings.response_send_timeout_seconds,
        media_type="text/csv",
    )

where `read_chunk(session, cursor)` returns `(piece, next_cursor)`, or None at the end. An
export reads a page of rows after a keyset cursor and returns their text and the last key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse
from starlette.types import Message, Send

log = logging.getLogger("shushang.streaming")

PIECE_BYTES = 64 * 1024

Cursor = TypeVar("Cursor")
Piece = TypeVar("Piece")


async def in_short_transactions(
    factory: async_sessionmaker[AsyncSession],
    read: Callable[[AsyncSession, Cursor], Awaitable[tuple[Piece, Cursor] | None]],
    start: Cursor,
) -> AsyncIterator[Piece]:
    """What `read` returns, piece after piece from `start`, each read in a session of its
    own, closed (its connection back in the pool) before the piece is yielded.

    Reads in separate transactions see separate snapshots: this suits what does not change
    once written (a sample's bytes, a ledger's leaves); a reader of rows that may still be
    added bounds its cursor when it starts (e.g. at the newest key it sees first).
    """
    cursor = start
    while True:
        async with factory() as session:
            page = await read(session, cursor)
        if page is None:
            return
        piece, cursor = page
        yield piece


class _ClientStalled(Exception):
    pass


class PacedStreamingResponse(StreamingResponse):
    """A streamed response whose client must keep taking it: each send may wait at most
    `send_timeout_seconds`, or the stream stops and the connection is closed."""

    def __init__(
        self,
        content: AsyncIterable[bytes],
        *,
        send_timeout_seconds: float,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(_in_pieces(content), status_code, headers, media_type, background)
        self.send_timeout_seconds = send_timeout_seconds

    async def stream_response(self, send: Send) -> None:
        async def paced(message: Message) -> None:
            try:
                async with asyncio.timeout(self.send_timeout_seconds):
                    await send(message)
            except TimeoutError:
                raise _ClientStalled from None

        try:
            await super().stream_response(paced)
        except _ClientStalled:
            # Returning before the body is complete makes the server close the connection;
            # the client sees fewer bytes than the Content-Length announced.
            log.warning(
                "streamed response cut off: the client took nothing for %g s",
                self.send_timeout_seconds,
            )


async def _in_pieces(content: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    async for chunk in content:
        for start in range(0, len(chunk), PIECE_BYTES):
            yield chunk[start : start + PIECE_BYTES]
