"""`shushang-audit`: an auditor's command line.

    shushang-audit verify --venue HZDEX [--since 2026-11-01] [--public-key HEX]
    shushang-audit watch --venue HZDEX --state heads.json [--once] [--interval 60]

`verify` proves every trade of a venue (since a date) is in the venue's signed log, as
recorded. `watch` is a log monitor, as Certificate Transparency monitors are: it keeps the
last signed head it saw in a state file and proves each new head consistent with it, so a
log that is rewritten, forked or rolled back is caught. Both read SHUSHANG_URL and
SHUSHANG_API_KEY. The only thing they trust is the ledger's public key: `--public-key` (or
SHUSHANG_LEDGER_PUBLIC_KEY, comma-separated); without one, `verify` trusts the key the
server shows now and says so, and `watch` pins the key of its first head in the state file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shushang_sdk.client import Client
from shushang_sdk.errors import ShushangError, VerificationFailed
from shushang_sdk.verify import key_id, trust, verify_tree_head

console = Console(stderr=True)


def _keys(given: Sequence[str]) -> dict[str, str]:
    from_env = [k for k in os.environ.get("SHUSHANG_LEDGER_PUBLIC_KEY", "").split(",") if k]
    return trust(*given, *from_env)


def _trust_on_first_use(client: Client, venue: str, trusted: dict[str, str]) -> dict[str, str]:
    if trusted:
        return trusted
    head = client.ledger.tree_head(venue)
    console.print(
        f"[yellow]no --public-key given: trusting the key the server shows now, "
        f"{head['key_id']} ({head['public_key']}); pin it with --public-key[/]"
    )
    return trust(head["public_key"])


def verify_command(args: argparse.Namespace) -> int:
    with Client() as client:
        client.ledger.trusted_keys = _trust_on_first_use(client, args.venue, _keys(args.public_key))
        head = client.ledger.verified_head(args.venue)
        console.print(
            f"{args.venue}: signed head of size {head['tree_size']}, root {head['root_hash'][:16]}…"
        )
        filters: dict[str, Any] = {"venue": args.venue}
        if args.since:
            filters["occurred_from"] = f"{args.since}T00:00:00+08:00"
        trades = list(client.transactions.iter(**filters))
        failures: list[tuple[str, str]] = []
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=args.quiet,
        ) as progress:
            task = progress.add_task("trades", total=len(trades))
            for trade in trades:
                try:
                    if trade.leaf_index >= head["tree_size"]:
                        head = client.ledger.verified_head(args.venue)
                    client.ledger.verify_transaction(trade.id, head)
                except (VerificationFailed, ShushangError) as exc:
                    failures.append((str(trade.id), str(exc)))
                progress.advance(task)
    for trade_id, why in failures:
        console.print(f"[red]FAILED[/] {trade_id}: {why}")
    verdict = "[green]all verified[/]" if not failures else f"[red]{len(failures)} failed[/]"
    console.print(f"{args.venue}: {len(trades) - len(failures)} of {len(trades)} trades: {verdict}")
    print(json.dumps({"venue": args.venue, "trades": len(trades), "failed": len(failures)}))
    return 1 if failures else 0


def _load(state: Path) -> dict[str, Any] | None:
    if not state.exists():
        return None
    loaded: dict[str, Any] = json.loads(state.read_text(encoding="utf-8"))
    return loaded


def _save(state: Path, saved: dict[str, Any]) -> None:
    partial = state.with_suffix(state.suffix + ".partial")
    partial.write_text(json.dumps(saved, indent=2, ensure_ascii=False), encoding="utf-8")
    partial.replace(state)  # atomic: a crash never leaves half a state file


def watch_once(client: Client, venue: str, state: Path, given: dict[str, str]) -> int:
    saved = _load(state)
    if saved is not None and saved["venue"] != venue:
        console.print(f"[red]{state} watches {saved['venue']}, not {venue}[/]")
        return 2
    trusted = {**(saved or {}).get("trusted_keys", {}), **given}
    new = client.ledger.tree_head(venue)
    if not trusted:
        trusted = trust(new["public_key"])
        console.print(f"pinned ledger key {key_id(new['public_key'])} ({new['public_key']})")
    try:
        verify_tree_head(new, trusted)
        if saved is not None:
            old = saved["head"]
            if new["tree_size"] < old["tree_size"]:
                raise VerificationFailed(
                    f"the log shrank from {old['tree_size']} to {new['tree_size']} entries"
                )
            client.ledger.verify_consistency(venue, old, new)
    except VerificationFailed as exc:
        console.print(f"[bold red]ALERT[/] {venue}: {exc}")
        return 2
    before = saved["head"]["tree_size"] if saved else None
    _save(state, {"venue": venue, "trusted_keys": trusted, "head": new})
    if before is None:
        console.print(f"{venue}: first head, size {new['tree_size']}, signature verified")
    else:
        console.print(f"{venue}: size {before} → {new['tree_size']}, consistent and signed")
    return 0


def watch_command(args: argparse.Namespace) -> int:
    given = _keys(args.public_key)
    with Client() as client:
        while True:
            code = watch_once(client, args.venue, Path(args.state), given)
            if args.once or code:
                return code
            time.sleep(args.interval)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shushang-audit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="prove every trade of a venue is in its log")
    check.add_argument("--venue", required=True)
    check.add_argument("--since", type=date.fromisoformat, help="trades on or after this date")
    check.add_argument("--public-key", action="append", default=[], help="trusted key (hex)")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.set_defaults(run=verify_command)
    monitor = commands.add_parser("watch", help="prove each new head consistent with the last")
    monitor.add_argument("--venue", required=True)
    monitor.add_argument("--state", required=True, help="file keeping the last head seen")
    monitor.add_argument("--once", action="store_true", help="check once and exit")
    monitor.add_argument("--interval", type=float, default=60.0, help="seconds between checks")
    monitor.add_argument("--public-key", action="append", default=[], help="trusted key (hex)")
    monitor.set_defaults(run=watch_command)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except ShushangError as exc:
        console.print(f"[red]{exc}[/]")
        return 1
    except VerificationFailed as exc:
        console.print(f"[bold red]ALERT[/] {exc}")
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
