"""Hot reads: statements compiled once, run on the session's own asyncpg connection.

Profiling the public reads (docs/performance.md, "Where a read's time goes") showed a
third of their CPU in SQLAlchemy around the database's work: building the statement, its
cache key, the ORM's compile state, the result and the identity map. The hottest reads
(the catalog search, the listings, the venues, one merchant) are written as SQLAlchemy
statements with named bind parameters, compiled once per shape by `Compiled`, and run on
the session's connection with asyncpg, which keeps them prepared; nothing else of
SQLAlchemy runs.

- The statement is the same text SQLAlchemy sends (the asyncpg dialect, with its casts).
- It runs on the session's connection, inside its transaction if it has one: a read in a
  request that has written sees what the request wrote. It starts none itself, so a read
  alone costs no BEGIN/COMMIT round trips (SQLAlchemy's asyncpg adapter begins lazily).
- Rows come back as `Row`s: the record's columns as attributes, named after the model's
  attributes (`columns_of`), so the routers' `model_validate(..., from_attributes)` and
  the views read them as they read an ORM object. They carry no relationships and are
  never written back; a route that changes something loads the ORM object as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Label
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ColumnProperty, DeclarativeBase
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


class Row:
    """An asyncpg record whose columns read as attributes (`row.name`).

    The columns are copied into the instance's `__dict__`: pydantic's `from_attributes`
    reads each field with `getattr`, and a plain attribute costs a tenth of a
    `__getattr__` fallback (a page of 20 products: 0.15 ms to validate against 0.7 ms).
    """

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.__dict__.update(record.items())

    def __getattr__(self, name: str) -> Any:  # reached only for a column the row lacks
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r})"


class Compiled:
    """A statement compiled once: its SQL text and the order of its named parameters."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        self.sql: str = compiled.string
        self.names: Sequence[str] = tuple(compiled.positiontup or ())
        # Values written into the statement (`status == "listed"`) are anonymous parameters
        # with their value; named ones (`bindparam("limit")`) must be given by each call.
        params = compiled.params
        self.fixed: dict[str, Any] = {
            name: params[name] for bind, name in compiled.bind_names.items() if bind.unique
        }

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [self.fixed[n] if n in self.fixed else params[n] for n in self.names]

    async def fetch(self, session: AsyncSession, **params: Any) -> list[Row]:
        connection = await _driver(session)
        return [Row(r) for r in await connection.fetch(self.sql, *self.arguments(params))]

    async def fetch_one(self, session: AsyncSession, **params: Any) -> Row | None:
        connection = await _driver(session)
        record = await connection.fetchrow(self.sql, *self.arguments(params))
        return Row(record) if record is not None else None


async def _driver(session: AsyncSession) -> asyncpg.Connection:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


def columns_of(model: type[DeclarativeBase], *, without: Sequence[str] = ()) -> list[Label[Any]]:
    """The model's loaded (not deferred) columns, each labelled with its attribute's name."""
    shown: list[Label[Any]] = []
    for prop in model.__mapper__.column_attrs:
        if isinstance(prop, ColumnProperty) and not prop.deferred and prop.key not in without:
            shown.append(getattr(model, prop.key).label(prop.key))
    return shown
