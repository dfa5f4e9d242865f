"""`shushang backup` and `shushang restore`: a logical copy of the whole database with
PostgreSQL's own `pg_dump` and `pg_restore` (custom format), and the checks that make a
restore something to trust rather than hope for.

A backup is two files: the dump, and beside it `<dump>.json`, its metadata (size and
SHA-256 of the dump, the schema's Alembic revision, and each log's size, latest signed
head and latest checkpoint). The metadata is read in the very snapshot `pg_dump` copies
(`pg_export_snapshot`), so it describes the dump exactly even while trades are recorded.

A restore trusts no key the dump brings: a forged dump would bring its forger's key. The
latest signed head and checkpoint of every log in the dump must verify against a key the
operator trusts (passed as `--public-key`, configured as `SHUSHANG_LEDGER_VERIFIER_KEYS`,
or the configured signing key's), checked before anything is restored; without one such
key the restore is refused. A restore refuses a database that already holds any of the
dump's tables unless told to replace them (`clean`): the operator who points it at
production by mistake loses nothing. It restores in one transaction (a failure leaves the
database as it was), then rebuilds every log from its rows (`ledger verify`, with the trusted
keys only) and compares the restored heads and checkpoints with the metadata: the same
bytes, or the restore is reported as failed.

Connection details go to the tools as libpq environment variables (`PGHOST`, `PGPASSWORD`,
…): nothing secret is ever on a command line, where `ps` would show it to every user.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.pool import NullPool

from app.core import signed_note as note
from app.core.config import Settings
from app.core.db import create_engine
from app.core.embedded import binaries as pgserver_binaries
from app.ledger import repository
from app.ledger.signing import KEY_FILE, key_id_of, tree_head_message
from app.ledger.signing import verify as signature_valid
from app.ledger.verify import Verification, verify_logs

FORMAT = "shushang-backup/1"

# asyncpg's query parameters and the libpq environment variables that mean the same.
_LIBPQ_PARAMETERS = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "database": "PGDATABASE",
    "dbname": "PGDATABASE",
    "ssl": "PGSSLMODE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
# asyncpg also takes `ssl=true|false`; libpq says it with an sslmode.
_SSL_BOOLEANS = {"true": "require", "1": "require", "false": "disable", "0": "disable"}
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")


class BackupError(Exception):
    """Something the operator must fix; `refused` when nothing was touched yet."""

    def __init__(self, message: str, *, refused: bool = True) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class Libpq:
    """How a libpq tool reaches the database: its environment, and the name to show."""

    env: dict[str, str]
    ignored: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """Host and database, never the user's password."""
        host = self.env.get("PGHOST", "localhost")
        port = self.env.get("PGPORT")
        database = self.env.get("PGDATABASE", "")
        return f"{host}{':' + port if port else ''}/{database}"


def libpq(url: str) -> Libpq:
    """The libpq environment of a SQLAlchemy URL (`postgresql+asyncpg://…`).

    Parameters libpq has no word for (asyncpg's statement cache size, say) are left out
    and named in `ignored`, so the caller can say so."""
    parsed = make_url(url)
    values: dict[str, str | None] = {
        "host": parsed.host,
        "port": str(parsed.port) if parsed.port else None,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    ignored = []
    for name, value in parsed.query.items():
        joined = ",".join(value) if isinstance(value, tuple) else value
        if name not in _LIBPQ_PARAMETERS:
            ignored.append(name)
            continue
        if name == "ssl":
            joined = _SSL_BOOLEANS.get(joined.lower(), joined)
        values[name] = joined
    env = {_LIBPQ_PARAMETERS[k]: v for k, v in values.items() if v}
    return Libpq(env, tuple(sorted(ignored)))


def _major(tool: Path) -> int | None:
    try:
        shown = subprocess.run(
            [str(tool), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION.search(shown)
    return int(found.group(1)) if found else None


def pg_tool(name: str, at_least: int, *, embedded: bool) -> Path:
    """`pg_dump` or `pg_restore` of PostgreSQL `at_least` or newer (an older one refuses a
    newer server or archive). The embedded server's own first for the embedded database;
    otherwise the one on PATH, then the `pgserver` wheel's."""
    bundled = pgserver_binaries()
    candidates = [bundled / name] if bundled else []
    on_path = shutil.which(name)
    if not embedded and on_path:
        candidates.insert(0, Path(on_path))
    seen = []
    for tool in candidates:
        if not tool.is_file():
            continue
        major = _major(tool)
        seen.append(f"{tool} ({major or 'unknown version'})")
        if major is not None and major >= at_least:
            return tool
    found = ", ".join(seen) or "none"
    raise BackupError(f"no {name} of PostgreSQL {at_least} or newer; found: {found}")


@dataclass
class Metadata:
    """What a backup holds, as its sidecar file says and a restore checks."""

    alembic_revision: str | None
    server_version: str
    logs: dict[str, dict[str, Any]]
    created_at: str = ""
    file: str = ""
    bytes: int = 0
    sha256: str = ""
    pg_dump: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "file": self.file,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "pg_dump": self.pg_dump,
            "server_version": self.server_version,
            "alembic_revision": self.alembic_revision,
            "logs": self.logs,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Metadata:
        if data.get("format") != FORMAT:
            raise BackupError(f"the metadata is not {FORMAT}")
        return cls(
            alembic_revision=data["alembic_revision"],
            server_version=data["server_version"],
            logs=data["logs"],
            created_at=data["created_at"],
            file=data["file"],
            bytes=data["bytes"],
            sha256=data["sha256"],
            pg_dump=data["pg_dump"],
        )


def sidecar(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


async def _server_major(connection: AsyncConnection) -> tuple[int, str]:
    number = int((await connection.execute(text("SHOW server_version_num"))).scalar_one())
    shown = str((await connection.execute(text("SHOW server_version"))).scalar_one())
    return number // 10000, shown.split()[0]


async def _has_table(connection: AsyncConnection, name: str) -> bool:
    found = await connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name})
    return bool(found.scalar_one())


async def read_metadata(connection: AsyncConnection, server_version: str) -> Metadata:
    """The schema revision and every log's size, latest head and latest checkpoint, as the
    connection's transaction sees them."""
    revision = None
    if await _has_table(connection, "public.alembic_version"):
        revision = (
            await connection.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar_one_or_none()
    logs: dict[str, dict[str, Any]] = {}
    if await _has_table(connection, "public.ledger_checkpoint"):
        session = AsyncSession(bind=connection)
        for log in await repository.logs(session):
            head = await repository.latest_head(session, log)
            signed = await repository.checkpoint(session, log)
            logs[log] = {
                "size": await repository.size(session, log) or 0,
                "head": None
                if head is None
                else {
                    "tree_size": head.tree_size,
                    "root_hash": head.root_hash.hex(),
                    "timestamp": head.timestamp.isoformat(),
                    "key_id": head.key_id,
                    "signature": head.signature.hex(),
                },
                "checkpoint": None
                if signed is None
                else {
                    "tree_size": signed.tree_size,
                    "root_hash": signed.root_hash.hex(),
                    "key_id": signed.key_id,
                    "note": signed.note,
                },
            }
        session.expunge_all()
    return Metadata(revision, server_version, logs)


async def _run(tool: Path, args: list[str], env: Mapping[str, str], stdout: Any = None) -> str:
    """Run a PostgreSQL tool; its stderr (the tools never print a password) on failure."""
    process = await asyncio.create_subprocess_exec(
        str(tool),
        *args,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        message = err.decode(errors="replace").strip()
        raise BackupError(f"{tool.name} failed: {message}", refused=False)
    return out.decode(errors="replace") if out else ""


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """A database that is away or refuses us is the operator's to fix: say so in a line,
    naming the host and database (never the password), not in a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise BackupError(f"{libpq(url).where}: {cause}", refused=False) from exc
    except OSError as exc:
        raise BackupError(f"{libpq(url).where}: {exc}", refused=False) from exc


async def backup(settings: Settings, url: str, output: Path, *, embedded: bool) -> Metadata:
    """Dump the database to `output` (custom format, mode 0600: it holds every secret the
    database does) and its metadata beside it. An existing file is never overwritten, and a
    failed dump leaves no file under the name."""
    if output.exists() or sidecar(output).exists():
        raise BackupError(f"{output} or {sidecar(output)} already exists: choose another name")
    try:  # `--output backups/2026-12-07.dump` makes `backups/` (private: dumps hold secrets)
        output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"{output.parent} is not a directory we can make: {exc}") from exc
    with _database_errors(url):
        return await _backup(settings, url, output, embedded=embedded)


async def _backup(settings: Settings, url: str, output: Path, *, embedded: bool) -> Metadata:
    target = libpq(url)
    engine = create_engine(settings, url, poolclass=NullPool)
    partial = output.with_name(f".{output.name}.partial")
    try:
        async with engine.connect() as plain:
            connection = await plain.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                major, server_version = await _server_major(connection)
                tool = pg_tool("pg_dump", major, embedded=embedded)
                # pg_dump copies exactly what this transaction sees, and the metadata is
                # read from it too: they agree however busy the database is.
                snapshot = (
                    await connection.execute(text("SELECT pg_export_snapshot()"))
                ).scalar_one()
                metadata = await read_metadata(connection, server_version)
                handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    await _run(
                        tool,
                        ["--format=custom", f"--snapshot={snapshot}", "--no-password"],
                        target.env,
                        stdout=handle,
                    )
                    os.fsync(handle)
                finally:
                    os.close(handle)
        metadata.pg_dump = (await _run(tool, ["--version"], {})).strip()
        metadata.created_at = datetime.now(UTC).isoformat(timespec="seconds")
        metadata.file = output.name
        metadata.bytes = partial.stat().st_size
        metadata.sha256 = _digest(partial)
        os.link(partial, output)  # fails rather than overwrite a file made meanwhile
        sidecar(output).write_text(
            json.dumps(metadata.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return metadata
    finally:
        partial.unlink(missing_ok=True)
        await engine.dispose()


@dataclass
class Restored:
    """What a restore did and found."""

    metadata: Metadata | None  # the sidecar's, when there was one
    revision: str | None = None
    verifications: list[Verification] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)  # logs now shorter than before

    @property
    def ok(self) -> bool:
        return not self.mismatches and all(v.exists and not v.problems for v in self.verifications)


def _dump_tables(listing: str) -> set[str]:
    return {
        f"{found.group(1)}.{found.group(2)}"
        for line in listing.splitlines()
        if (found := _TOC_TABLE.match(line))
    }


def _read_sidecar(dump: Path) -> Metadata | None:
    path = sidecar(dump)
    if not path.exists():
        return None
    try:
        metadata = Metadata.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is not a backup's metadata: {exc}") from exc
    if metadata.sha256 != _digest(dump):
        raise BackupError(
            f"{dump} is not the dump {path} describes (its SHA-256 differs): "
            "a damaged or swapped file"
        )
    return metadata


def _public_key_of(given: str) -> bytes:
    """A `--public-key`: a signed-note verifier key (`name+hash+base64(0x01 ‖ key)`, as
    `/v1/ledgers/{log}/verifier-key` publishes it) or the path of a PEM file holding the
    Ed25519 key (public, or the private signing key itself)."""
    path = Path(given)
    if "+" in given and not path.is_file():
        try:
            return note.parse_cosigner(given).public_key
        except ValueError as exc:
            raise BackupError(f"--public-key {exc}") from exc
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise BackupError(
            f"--public-key {given!r} is neither a verifier key nor a readable PEM file: {exc}"
        ) from exc
    try:
        key: object = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(pem, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise BackupError(f"--public-key {given}: not a PEM Ed25519 key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BackupError(f"--public-key {given}: not an Ed25519 key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def trusted_keys(settings: Settings, given: Sequence[str] = ()) -> dict[str, bytes]:
    """The ledger keys a restore trusts, by key id: those passed, those configured
    (`SHUSHANG_LEDGER_VERIFIER_KEYS`), and the configured signing key's public key
    (`SHUSHANG_LEDGER_SIGNING_KEY`, or the key file under the data directory when there is
    one: a restore never creates a key). Never a key read from the dump."""
    public_keys = [_public_key_of(key) for key in given]
    public_keys += [note.parse_cosigner(key).public_key for key in settings.ledger_verifier_keys]
    pem = settings.ledger_signing_key
    path = settings.data_dir / KEY_FILE
    if not pem and path.is_file():
        pem = path.read_text(encoding="utf-8")
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            public_keys.append(
                key.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
            )
    return {key_id_of(key): key for key in public_keys}


_COPY = re.compile(r"^COPY public\.(ledger_tree_head|ledger_checkpoint) \(([^)]*)\) FROM stdin;$")
_COPY_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _copy_field(raw: str) -> str | None:
    """A field of COPY's text format, unescaped (`\\N` is NULL)."""
    if raw == "\\N":
        return None
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            following = raw[i + 1]
            out.append(_COPY_ESCAPES.get(following, following))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _copy_rows(script: str) -> dict[str, list[dict[str, str | None]]]:
    """The rows of the signed tables in a data-only restore script, by table."""
    rows: dict[str, list[dict[str, str | None]]] = {}
    lines = iter(script.split("\n"))
    for line in lines:
        found = _COPY.match(line)
        if not found:
            continue
        columns = [c.strip().strip('"') for c in found.group(2).split(",")]
        table = rows.setdefault(found.group(1), [])
        for row in lines:
            if row == "\\.":
                break
            table.append(dict(zip(columns, map(_copy_field, row.split("\t")), strict=True)))
    return rows


def _bytea(value: str | None) -> bytes:
    if not value or not value.startswith("\\x"):
        raise ValueError("not a bytea in hex")
    return bytes.fromhex(value[2:])


def check_signatures(
    rows: Mapping[str, list[dict[str, str | None]]], trusted: Mapping[str, bytes]
) -> list[str]:
    """What in the dump is not signed by a trusted key: each log's latest head and its
    checkpoint must verify (nothing listed: the dump's logs are the operator's own)."""
    problems: list[str] = []
    latest: dict[str, dict[str, str | None]] = {}
    for head in rows.get("ledger_tree_head", []):
        log = head["venue_code"] or ""
        if log not in latest or int(head["tree_size"] or 0) > int(latest[log]["tree_size"] or 0):
            latest[log] = head
    for log, head in sorted(latest.items()):
        key = trusted.get(head["key_id"] or "")
        try:
            message = tree_head_message(
                log,
                int(head["tree_size"] or 0),
                _bytea(head["root_hash"]),
                datetime.fromisoformat(head["timestamp"] or "").astimezone(UTC),
            )
            valid = key is not None and signature_valid(key, _bytea(head["signature"]), message)
        except ValueError:
            valid = False
        if not valid:
            problems.append(
                f"{log}: its head of size {head['tree_size']} is not signed by a trusted key "
                f"(key id {head['key_id']})"
            )
    for signed in rows.get("ledger_checkpoint", []):
        log = signed["venue_code"] or ""
        key = trusted.get(signed["key_id"] or "")
        try:
            if key is None:
                raise note.BadNote(f"key id {signed['key_id']} is not a trusted key")
            note.open_checkpoint(signed["note"] or "", key)
        except note.BadNote as exc:
            problems.append(f"{log}: its checkpoint is not signed by a trusted key ({exc})")
    return problems


async def _untrusted(tool: Path, dump: Path, trusted: Mapping[str, bytes]) -> list[str]:
    """Read the signed heads and checkpoints out of the dump (pg_restore to a script, no
    database touched) and check them against the trusted keys."""
    script = await _run(
        tool,
        [
            "--data-only",
            "--table=ledger_tree_head",
            "--table=ledger_checkpoint",
            "--file=-",
            str(dump),
        ],
        {},
    )
    return check_signatures(_copy_rows(script), trusted)


async def _existing(connection: AsyncConnection, tables: set[str]) -> list[str]:
    rows = await connection.execute(
        text(
            "SELECT schemaname || '.' || tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    )
    return sorted(tables & set(rows.scalars()))


def _compare(expected: Metadata, found: Metadata) -> list[str]:
    """How the restored logs differ from the backup's metadata (nothing, if the restore
    is the backup)."""
    mismatches = []
    if expected.alembic_revision != found.alembic_revision:
        mismatches.append(
            f"schema revision {found.alembic_revision}, the backup's is {expected.alembic_revision}"
        )
    for log in sorted(set(expected.logs) | set(found.logs)):
        was, now = expected.logs.get(log), found.logs.get(log)
        if was is None or now is None:
            mismatches.append(f"{log}: in the {'restore' if was is None else 'backup'} only")
            continue
        for part in ("size", "head", "checkpoint"):
            if was[part] != now[part]:
                mismatches.append(f"{log}: its {part} differs from the backup's")
    return mismatches


async def restore(
    settings: Settings,
    url: str,
    dump: Path,
    *,
    clean: bool,
    verify: bool,
    embedded: bool,
    public_keys: Sequence[str] = (),
) -> Restored:
    """Restore `dump` into the database of `url`, then verify and compare (see the module).
    `public_keys`: the `--public-key`s the operator passed."""
    if not dump.is_file():
        raise BackupError(f"{dump} is not a file")
    trusted = trusted_keys(settings, public_keys)
    if not trusted:
        raise BackupError(
            "no ledger key to trust: pass --public-key (the verifier key that "
            "/v1/ledgers/{log}/verifier-key publishes, or a PEM file), or configure "
            "SHUSHANG_LEDGER_VERIFIER_KEYS or SHUSHANG_LEDGER_SIGNING_KEY. "
            "A restore never trusts the keys a dump brings"
        )
    metadata = _read_sidecar(dump)
    with _database_errors(url):
        return await _restore(
            settings,
            url,
            dump,
            metadata,
            trusted,
            clean=clean,
            verify=verify,
            embedded=embedded,
        )


async def _restore(
    settings: Settings,
    url: str,
    dump: Path,
    metadata: Metadata | None,
    trusted: Mapping[str, bytes],
    *,
    clean: bool,
    verify: bool,
    embedded: bool,
) -> Restored:
    target = libpq(url)
    engine = create_engine(settings, url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            major, server_version = await _server_major(connection)
            dumped_by = _VERSION.search(metadata.pg_dump) if metadata else None
            at_least = max(major, int(dumped_by.group(1)) if dumped_by else 0)
            tool = pg_tool("pg_restore", at_least, embedded=embedded)
            try:
                tables = _dump_tables(await _run(tool, ["--list", str(dump)], {}))
            except BackupError as exc:
                raise BackupError(f"{dump} is not a pg_dump custom-format archive: {exc}") from exc
            if "public.alembic_version" not in tables:
                raise BackupError(f"{dump} is not a Shushang backup: it has no alembic_version")
            untrusted = await _untrusted(tool, dump, trusted)
            if untrusted:
                raise BackupError(
                    f"{dump} holds logs not signed by a key you trust: "
                    + "; ".join(untrusted)
                    + ". Pass the right --public-key, or do not restore this dump"
                )
            existing = await _existing(connection, tables)
            if existing and not clean:
                shown = ", ".join(existing[:5]) + (", …" if len(existing) > 5 else "")
                raise BackupError(
                    f"{target.where} already holds {len(existing)} of the backup's tables "
                    f"({shown}). Restore into an empty database, or pass --clean to replace "
                    "what it holds (all of it is lost)"
                )
            before = await read_metadata(connection, server_version) if existing else None
            await connection.rollback()
        # One transaction: a restore that fails part-way leaves the database as it was.
        # --clean drops the dump's objects before creating them (DROP, not DELETE, so the
        # ledger tables' triggers, which refuse UPDATE and DELETE, do not stand in the way).
        args = ["--single-transaction", "--no-owner", "--no-privileges", "--no-password"]
        if clean:
            args += ["--clean", "--if-exists"]
        await _run(tool, [*args, f"--dbname={_conninfo_dbname(target)}", str(dump)], target.env)
        result = Restored(metadata)
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))  # a restore brings no planner statistics
            await connection.commit()
            found = await read_metadata(connection, server_version)
            result.revision = found.alembic_revision
            if metadata is not None:
                result.mismatches = _compare(metadata, found)
            if before is not None:
                result.rolled_back = [
                    f"{log} from {was['size']} to {found.logs.get(log, {}).get('size', 0)} entries"
                    for log, was in sorted(before.logs.items())
                    if was["size"] > found.logs.get(log, {}).get("size", 0)
                ]
            if verify:  # the ledger's kinds: registered by the caller (app/wiring.py)
                session = AsyncSession(bind=connection)
                result.verifications = await verify_logs(session, trusted)
                await session.close()
        return result
    finally:
        await engine.dispose()


def _conninfo_dbname(target: Libpq) -> str:
    """The `--dbname` conninfo: only the database's name (the rest is in the environment),
    quoted as libpq reads it, so a name with spaces or `=` is still a name."""
    name = target.env.get("PGDATABASE", "")
    quoted = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{quoted}'" if name else ""
