"""A database's rows kept aside and put back: the seeds every test starts from (tests/conftest.py)
and the demo world some tests share."""

from __future__ import annotations

import asyncpg


async def table_names(connection: asyncpg.Connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version' ORDER BY tablename"
    )
    return [row["tablename"] for row in rows]


class Snapshot:
    """Rows kept in a schema of their own (the seeds, the demo world), and how to put the
    database back to exactly them without dropping it, so the app's and the live server's
    connections stay valid.

    As a superuser (the embedded server), only the tables that hold rows are emptied, with
    DELETE under the replica role (no row of the immutable tables' triggers or the foreign
    keys is checked: every table ends empty or as kept), which costs a few milliseconds
    where a TRUNCATE of every table costs over a hundred. Otherwise, every table is
    truncated, as before."""

    def __init__(
        self,
        schema: str,
        tables: list[str],
        kept: list[str],
        columns: dict[str, str],
        owned: dict[str, list[str]],
        sequences: dict[str, int],
        superuser: bool,
    ) -> None:
        self.schema, self.tables, self.kept, self.superuser = schema, tables, kept, superuser
        self.owned = owned
        self.probe = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT FROM public.\"{t}\")" for t in tables
        )
        self.refill = [
            f'INSERT INTO public."{t}" ({columns[t]}) OVERRIDING SYSTEM VALUE'
            f' SELECT {columns[t]} FROM {schema}."{t}"'
            for t in kept
        ]
        # A sequence of its own (a certificate serial) is never set back: only forward to
        # where it stood, so no number is given twice.
        self.forward = [
            f"SELECT setval('{name}', greatest({value}, (SELECT last_value FROM {name})))"
            for name, value in sequences.items()
        ]

    @classmethod
    async def take(cls, connection: asyncpg.Connection, schema: str, copy: bool) -> Snapshot:
        """The rows of every table now (copied into `schema` if `copy`, else already there)."""
        tables = await table_names(connection)
        if copy:
            await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            await connection.execute(f"CREATE SCHEMA {schema}")
            for table in tables:
                await connection.execute(
                    f'CREATE TABLE {schema}."{table}" AS SELECT * FROM public."{table}"'
                )
        kept = [
            t
            for t in tables
            if await connection.fetchval(f'SELECT EXISTS (SELECT FROM {schema}."{t}")')
        ]
        columns = {
            t: ", ".join(
                f'"{row["attname"]}"'
                for row in await connection.fetch(
                    "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass"
                    " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                    f'public."{t}"',
                )
            )
            for t in kept
        }
        owned: dict[str, list[str]] = {}
        for row in await connection.fetch(
            "SELECT t.relname AS table_name, s.oid::regclass::text AS sequence_name"
            " FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
            " JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'"
        ):
            owned.setdefault(row["table_name"], []).append(row["sequence_name"])
        sequences = {
            f'public."{row["sequencename"]}"': row["last_value"]
            for row in await connection.fetch(
                "SELECT s.sequencename, s.last_value FROM pg_sequences s"
                " JOIN pg_class c ON c.relname = s.sequencename AND c.relkind = 'S'"
                " WHERE s.schemaname = 'public' AND s.last_value IS NOT NULL"
                " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid"
                " AND d.deptype IN ('a', 'i'))"
            )
        }
        superuser = await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = user")
        return cls(schema, tables, kept, columns, owned, sequences, bool(superuser))

    async def restore(self, connection: asyncpg.Connection) -> None:
        if self.superuser:
            holding = {row[0] for row in await connection.fetch(self.probe)} | set(self.kept)
            emptied = [t for t in self.tables if t in holding]
            statements = ["SET LOCAL session_replication_role = replica"]
            statements += [f'DELETE FROM public."{t}"' for t in emptied]
            statements += [
                f"ALTER SEQUENCE {s} RESTART" for t in emptied for s in self.owned.get(t, [])
            ]
        else:
            statements = [
                "TRUNCATE "
                + ", ".join(f'public."{t}"' for t in self.tables)
                + " RESTART IDENTITY CASCADE"
            ]
        async with connection.transaction():
            await connection.execute(";\n".join(statements + self.refill + self.forward))
