"""The `shushang` command: serve, migrate, keys, demo, ledger, ip, backup, restore, openapi."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from app.core.config import Settings, get_settings
from app.core.roles import Role

if TYPE_CHECKING:
    from app.ledger.verify import Verification

cli = typer.Typer(
    name="shushang",
    help="Shushang (数商): the back end of a data exchange.",
    no_args_is_help=True,
    add_completion=False,
)


@cli.callback()
def _wired() -> None:
    # Every command runs with the ledger's kinds and the cross-domain reactions registered.
    from app.wiring import register

    register()


keys_cli = typer.Typer(help="API keys.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
ledger_cli = typer.Typer(
    help="The ledgers: one per venue, and IPR for IP registrations.", no_args_is_help=True
)
cli.add_typer(ledger_cli, name="ledger")
ip_cli = typer.Typer(help="Data IP registrations.", no_args_is_help=True)
cli.add_typer(ip_cli, name="ip")


def database_url(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise start (or join) the embedded server."""
    if settings.database_url:
        return settings.database_url
    if not settings.embedded_database:
        typer.echo(
            "error: DATABASE_URL is not set and the embedded database is off "
            "(SHUSHANG_EMBEDDED_DATABASE=false)",
            err=True,
        )
        raise typer.Exit(2)
    from app.core import embedded

    return embedded.start(settings.data_dir)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Migrate the database and serve the API (embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from app.core import migrate
    from app.core.logging import configure_logging
    from app.web.server import ProblemHttpToolsProtocol

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    url = database_url(settings)
    migrate.upgrade(url)
    workers = workers or settings.workers
    # Worker processes read the resolved URL from the environment.
    os.environ["SHUSHANG_DATABASE_URL"] = url
    if workers > 1:
        metrics_dir = settings.data_dir.resolve() / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    get_settings.cache_clear()
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; exit normally
    # then, so that atexit stops the embedded PostgreSQL.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    uvicorn.run(
        "app.main:create_app_from_env",
        factory=True,
        http=ProblemHttpToolsProtocol,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


@cli.command()
def migrate() -> None:
    """Apply every pending migration."""
    from app.core import migrate as migrations

    migrations.upgrade(database_url(get_settings()))
    typer.echo("database is at the latest revision")


@keys_cli.command("create")
def create_key(
    role: Annotated[str, typer.Option(help="operator, merchant, assessor or auditor.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    merchant_id: Annotated[str | None, typer.Option(help="The merchant of a merchant key.")] = None,
) -> None:
    """Create an API key; the token is printed alone on the last line."""
    try:
        parsed_role = Role(role)
        parsed_merchant = UUID(merchant_id) if merchant_id else None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if (parsed_role is Role.merchant) != (parsed_merchant is not None):
        typer.echo("error: --merchant-id is required for, and only for, --role merchant", err=True)
        raise typer.Exit(2)
    from app.core import migrate as migrations

    settings = get_settings()
    url = database_url(settings)
    migrations.upgrade(url)  # a fresh data directory works before the first `serve`
    token = asyncio.run(_create_key(settings, url, parsed_role, name, parsed_merchant))
    typer.echo(f"created {parsed_role.value} key {name!r}; store the token now, it is shown once:")
    typer.echo(token)


async def _create_key(
    settings: Settings, url: str, role: Role, name: str, merchant_id: UUID | None
) -> str:
    from app.auth import service
    from app.core.db import create_engine, create_sessionmaker, unit_of_work
    from app.core.errors import ShushangError

    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            try:
                _, token = await service.create(session, None, role, name, merchant_id)
            except ShushangError as exc:
                typer.echo(f"error: {exc.detail.en}", err=True)
                raise typer.Exit(1) from exc
        return token
    finally:
        await engine.dispose()


@cli.command()
def demo() -> None:
    """Load demo data: merchants in the 11 cities of Zhejiang, 600 products, samples, and
    listings of the sampled products on the venues (assessed first, as the gates require),
    data IP registrations, two merchants' books and trades on every venue's log.

    Safe to run again: what is already there is left as it is."""
    from app.core import migrate as migrations
    from app.demo import loader
    from app.products import search

    settings = get_settings()
    url = database_url(settings)
    migrations.upgrade(url)

    async def run() -> loader.Loaded:
        from app.core.db import create_engine, create_sessionmaker

        engine = create_engine(settings, url, pool_size=1, max_overflow=0)
        try:
            return await loader.load(create_sessionmaker(engine), settings)
        finally:
            await engine.dispose()

    search.warm_up()
    loaded = asyncio.run(run())
    typer.echo(
        f"demo data loaded: {loaded.merchants} new merchants, {loaded.products} new products, "
        f"{loaded.samples} new samples, {loaded.listings} new listings, "
        f"{loaded.ip_registrations} new IP registrations, {loaded.data_assets} new data assets, "
        f"{loaded.trades} new on-venue trades, {loaded.fee_waivers} new fee waivers, "
        f"{loaded.programme_claims} new programme claims"
    )


@ledger_cli.command("verify")
def verify_ledger(
    venue: Annotated[
        str | None, typer.Argument(help="Venue code, e.g. HZDEX, or IPR or FIN.")
    ] = None,
    all_logs: Annotated[
        bool, typer.Option("--all", help="Every log that has had a leaf or a checkpoint.")
    ] = False,
) -> None:
    """Recompute every leaf from the stored trades and events (or, for IPR, the registration
    steps; for FIN, the data-asset movements), and check the signed head and checkpoint.

    Exits 1 naming the first index that does not match (or, for one log, if it is empty)."""
    from app.core.db import create_engine, create_sessionmaker
    from app.ledger.verify import verify_logs, verify_venue
    from app.wiring import register

    if (venue is None) == (not all_logs):
        typer.echo("error: name one log, or pass --all", err=True)
        raise typer.Exit(2)
    register()
    settings = get_settings()
    url = database_url(settings)

    async def run() -> list[Verification]:
        engine = create_engine(settings, url, pool_size=1, max_overflow=0)
        try:
            async with create_sessionmaker(engine)() as session:
                if venue is None:
                    return await verify_logs(session)
                return [await verify_venue(session, venue)]
        finally:
            await engine.dispose()

    results = asyncio.run(run())
    if venue is not None and not results[0].problems and not results[0].checked:
        # An empty log proves nothing: asked about it by name, that is a failure.
        typer.echo(f"{venue}: the log is empty: nothing to verify", err=True)
        raise typer.Exit(1)
    _report(results)
    if any(result.problems for result in results):
        raise typer.Exit(1)


@cli.command()
def backup(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The dump to write (never overwritten); default shushang-<UTC time>.dump.",
        ),
    ] = None,
) -> None:
    """Dump the whole database (pg_dump, custom format) and write its metadata beside it as
    <dump>.json: the schema revision and each log's size, signed head and checkpoint.

    The metadata is also printed (JSON) on stdout, for comparing after a restore."""
    from app.ops.backup import BackupError
    from app.ops.backup import backup as dump_database

    settings = get_settings()
    url = _libpq_url(settings)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = output or Path(f"shushang-{stamp}.dump")
    try:
        metadata = asyncio.run(
            dump_database(settings, url, output, embedded=not settings.database_url)
        )
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if exc.refused else 1) from exc
    json.dump(metadata.to_json(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    logs = ", ".join(f"{log} {entry['size']}" for log, entry in metadata.logs.items())
    typer.echo(
        f"backup written to {output} ({metadata.bytes} bytes) and {output}.json; "
        f"revision {metadata.alembic_revision}; logs: {logs or 'none'}",
        err=True,
    )


@cli.command()
def restore(
    dump: Annotated[Path, typer.Argument(help="A dump written by `shushang backup`.")],
    clean: Annotated[
        bool,
        typer.Option(
            "--clean",
            help="Replace the tables the database already holds (everything in them is lost).",
        ),
    ] = False,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Verify every log after restoring.")
    ] = True,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="A ledger key to trust (repeatable): the verifier key that "
            "/v1/ledgers/{log}/verifier-key publishes, or a PEM file. The configured signing "
            "key and SHUSHANG_LEDGER_VERIFIER_KEYS are trusted too; keys the dump brings never.",
        ),
    ] = None,
) -> None:
    """Restore a backup (pg_restore, in one transaction) into DATABASE_URL or the embedded
    database, then verify every log and compare the restored heads and checkpoints with the
    backup's metadata (<dump>.json, when it is there).

    Refuses (exit 2, nothing changed) a dump whose signed heads and checkpoints do not
    verify against a key you trust (--public-key, or the configured keys), and a database
    that holds any of the backup's tables unless --clean; exits 1 if the restore failed or
    any log does not verify."""
    from app.ops.backup import BackupError
    from app.ops.backup import restore as restore_database

    settings = get_settings()
    url = _libpq_url(settings)
    try:
        result = asyncio.run(
            restore_database(
                settings,
                url,
                dump,
                clean=clean,
                verify=verify,
                embedded=not settings.database_url,
                public_keys=public_key or (),
            )
        )
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if exc.refused else 1) from exc
    typer.echo(f"restored {dump} (schema revision {result.revision})")
    if result.metadata is None:
        typer.echo(f"no {dump}.json beside the dump: the heads were not compared", err=True)
    for change in result.rolled_back:
        typer.echo(
            f"warning: log {change}: auditors holding later heads will see a rollback", err=True
        )
    for mismatch in result.mismatches:
        typer.echo(f"mismatch: {mismatch}", err=True)
    if result.metadata is not None and not result.mismatches:
        typer.echo(f"every log's size, signed head and checkpoint match {dump}.json")
    _report(result.verifications)
    if not result.ok:
        raise typer.Exit(1)


def _libpq_url(settings: Settings) -> str:
    """The database's URL, warning of what pg_dump and pg_restore cannot be told."""
    from app.ops.backup import libpq

    url = database_url(settings)
    ignored = libpq(url).ignored
    if ignored:
        typer.echo(
            f"warning: the database URL's {', '.join(ignored)} mean nothing to libpq: "
            "pg_dump and pg_restore connect without them",
            err=True,
        )
    return url


def _report(verifications: list[Verification]) -> None:
    for result in verifications:
        for index, problem in result.problems:
            where = f"index {index}" if index is not None else "tree head"
            typer.echo(f"{result.venue_code} {where}: {problem}", err=True)
        if not result.problems:
            head = (
                f"signed head of size {result.head_size} verified"
                if result.head_size is not None
                else "no signed head yet"
            )
            typer.echo(
                f"{result.venue_code}: {result.checked} entries rebuilt from their stored rows; "
                + head
                if result.checked
                else f"{result.venue_code}: empty: nothing to verify"
            )


@ip_cli.command("expire")
def expire_certificates() -> None:
    """Record the expiry of every certificate whose validity has passed (`serve` does it
    hourly)."""
    from app.core.db import create_engine, create_sessionmaker
    from app.ip.expiry import expire_once

    settings = get_settings()
    url = database_url(settings)

    async def run() -> int:
        engine = create_engine(settings, url, pool_size=1, max_overflow=0)
        try:
            return await expire_once(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    typer.echo(f"{asyncio.run(run())} certificates expired")


@cli.command()
def openapi() -> None:
    """Print the OpenAPI document (what openapi/openapi.json holds)."""
    from app.main import create_app

    # The spec needs no database; the URL is never connected to.
    app = create_app(get_settings(), database_url="postgresql+asyncpg://openapi@localhost/none")
    json.dump(app.openapi(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def main() -> None:
    cli()
