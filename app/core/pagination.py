"""Keyset pagination: opaque cursors over a sort key, and the `{items, next_cursor}` page."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from app.core.errors import BadRequest
from app.core.i18n import Text

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

_BAD_CURSOR = Text(
    "The cursor is not valid: pass `next_cursor` from the previous page unchanged.",
    "cursor 无效:请原样传入上一页返回的 `next_cursor`。",
)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CursorPart = type[int] | type[str] | type[UUID]
_INT64 = range(-(2**63), 2**63)


def decode_cursor(cursor: str, *kinds: CursorPart) -> list[Any]:
    """The sort key a cursor holds, one value of each of `kinds` (int, str or UUID); 400 for
    anything that is not a cursor of this list (whatever was tampered with: types, NaN,
    1e999, null, nesting)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest(_BAD_CURSOR) from exc
    if not isinstance(key, list) or len(key) != len(kinds):
        raise BadRequest(_BAD_CURSOR)
    return [_part(value, kind) for value, kind in zip(key, kinds, strict=True)]


def _part(value: Any, kind: CursorPart) -> Any:
    if kind is int:
        # bool is an int to Python, and floats (1e999 is inf) are no row's key.
        if type(value) is int and value in _INT64:
            return value
    elif isinstance(value, str) and len(value) <= 256:
        if kind is str:
            return value
        try:
            return UUID(value)
        except ValueError:
            pass
    raise BadRequest(_BAD_CURSOR)


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–200.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="`next_cursor` of the previous page."),
    ] = None,
) -> PageParams:
    # `async` though it awaits nothing: FastAPI runs a plain `def` dependency in a worker
    # thread, a hand-off that cost more than the rest of the dependency solving of a list.
    return PageParams(limit=limit, cursor=cursor)


M = TypeVar("M")


def id_after(params: PageParams) -> UUID | None:
    """The id a single-column (`id`) keyset page starts after."""
    if params.cursor is None:
        return None
    (value,) = decode_cursor(params.cursor, UUID)
    assert isinstance(value, UUID)
    return value


def cut(
    rows: Sequence[M], limit: int, key: Callable[[M], Sequence[Any]]
) -> tuple[list[M], str | None]:
    """Split `limit + 1` fetched rows into a page and the cursor of the next (None at the end)."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        return items, encode_cursor(key(items[-1]))
    return items, None
