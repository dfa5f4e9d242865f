"""`shushang-audit`: an auditor's command line.

    shushang-audit verify --log HZDEX [--since 2026-11-01] [--until 2026-11-30]
                          [--public-key KEY] [--max-age SECONDS]
    shushang-audit verify --all [the same options]
    shushang-audit watch --log HZDEX --state heads.json [--once] [--interval 60]
    shushang-audit witness --log HZDEX --name witness.example/w1 --key w1.pem
                           --state w1.json --public-key KEY [--once] [--no-post]

`verify` checks a whole log (a venue's, `IPR` or `FIN`) against its checkpoint: every leaf
hash makes the signed root, and every leaf your key may read — trades, trade events, IP
registration steps, data-asset cost items and movements (`shushang_sdk.leaves.KINDS`) — is
its record as the API shows it today, field by field, and every restatement holds together
with the log (the cost item or movement it names is an earlier leaf of its asset, dated in
its period, which an earlier close leaf closed: `leaves.cross_check`; `--since` and
`--until` choose the records by date). An empty or unknown log is never "verified".
`verify --all` does so for every log the server lists (`GET /v1/ledgers`), and passes only
if each non-empty one does (an auditor's key reads every leaf). `watch`
is a log monitor, as Certificate Transparency monitors are: it keeps the last checkpoint it
saw in a state file and proves each new one consistent with it, so a log that is rewritten,
forked or rolled back is caught. Both read SHUSHANG_URL and SHUSHANG_API_KEY. The only
thing they trust is the ledger's key: `--public-key` (hex, or the verifier key
`name+hash+base64` the exchange publishes; or SHUSHANG_LEDGER_PUBLIC_KEY, comma-separated);
without one, `verify` trusts the key the server shows now and says so, and `watch` pins the
key of its first checkpoint in the state file. `witness` runs a witness (C2SP tlog-witness
semantics, `shushang_sdk.witness`): it proves each new checkpoint consistent with the last
one it verified before cosigning it with its own key (made on first use; `--print-key`
prints its verifier key for SHUSHANG_WITNESS_KEYS), posts the cosignature (an operator key),
and refuses a fork. `verify --witness-key K --require-witnesses N` fails unless N of the
given witnesses cosigned the checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shushang_sdk.client import Client
from shushang_sdk.errors import ShushangError, VerificationFailed
from shushang_sdk.verify import open_checkpoint, trust
from shushang_sdk.witness import (
    Fork,
    Round,
    Witness,
    cosignatures,
    parse_witness_key,
    witness_round,
)

console = Console(stderr=True)


def _keys(given: Sequence[str]) -> dict[str, str]:
    from_env = [k for k in os.environ.get("SHUSHANG_LEDGER_PUBLIC_KEY", "").split(",") if k]
    return trust(*given, *from_env)


def _trust_on_first_use(client: Client, log: str, trusted: dict[str, str]) -> dict[str, str]:
    if trusted:
        return trusted
    shown = client.ledger.verifier_key(log)
    console.print(
        f"[yellow]no --public-key given: trusting the key the server shows now, {shown}; "
        "pin the one the exchange publishes with --public-key[/]"
    )
    return trust(shown)


def verify_command(args: argparse.Namespace) -> int:
    with Client() as client:
        if not args.all:
            client.ledger.trusted_keys = _trust_on_first_use(
                client, args.log, _keys(args.public_key)
            )
            code, summary = verify_log(client, args.log, args)
            print(json.dumps(summary))
            return code
        logs = [item["log"] for item in client.ledger.logs()]
        if not logs:
            console.print("[yellow]the server lists no log: nothing to verify[/]")
            print(json.dumps({"logs": [], "verified": 0, "failed": 0}))
            return 1
        client.ledger.trusted_keys = _trust_on_first_use(client, logs[0], _keys(args.public_key))
        code, summaries = 0, []
        for log in logs:
            try:
                found, summary = verify_log(client, log, args, all_logs=True)
            except VerificationFailed as exc:
                console.print(f"[bold red]ALERT[/] {log}: {exc}")
                found, summary = 2, {"log": log, "alert": str(exc)}
            except ShushangError as exc:  # the server refused something: not verified
                console.print(f"[red]{log}: {exc}[/]")
                found, summary = 1, {"log": log, "error": str(exc)}
            code = max(code, found)
            summaries.append(summary)
    verified = sum(int(s.get("verified", 0)) for s in summaries)
    failed = sum(int(s.get("failed", 0)) for s in summaries)
    alerts = [s["log"] for s in summaries if "alert" in s]
    if not verified:
        code = max(code, 1)
    shown = ", ".join(f"{s['log']} {s.get('verified', 0)}" for s in summaries)
    if code == 0:
        console.print(f"all {len(logs)} logs [green]verified[/]: records compared: {shown}")
    else:
        bad = [s["log"] for s in summaries if s.get("failed") or "alert" in s or "error" in s]
        console.print(
            f"[red]not verified[/]: {len(logs)} logs, {failed} leaves failed"
            + (f" (in {', '.join(bad)})" if bad else "")
            + (f", alerts in {', '.join(alerts)}" if alerts else "")
        )
    print(json.dumps({"logs": summaries, "verified": verified, "failed": failed, "ok": code == 0}))
    return code


def prove_command(args: argparse.Namespace) -> int:
    """One leaf proven in the log's latest signed checkpoint: what a first (GET
    /v1/merchants/{id}/firsts), a trade or an IP step names by log and leaf index."""
    with Client() as client:
        client.ledger.trusted_keys = _trust_on_first_use(client, args.log, _keys(args.public_key))
        head = client.ledger.verified_head(args.log)
        if args.size is not None and head["tree_size"] < args.size:
            raise VerificationFailed(
                f"{args.log}: the signed checkpoint has {head['tree_size']} leaves, fewer than "
                f"the {args.size} the record was named with"
            )
        if not 0 <= args.index < head["tree_size"]:
            raise VerificationFailed(
                f"{args.log}: leaf {args.index} is not in the signed checkpoint of "
                f"{head['tree_size']} leaves"
            )
        entry = client.ledger.verify_leaf(args.log, args.index, head)
    console.print(
        f"{args.log} leaf {args.index} [green]proven[/] in the checkpoint of "
        f"{head['tree_size']} leaves"
    )
    print(
        json.dumps(
            {
                "log": args.log,
                "leaf_index": args.index,
                "tree_size": head["tree_size"],
                "root_hash": head["root_hash"],
                "entry": entry.get("entry"),
                "ok": True,
            },
            ensure_ascii=False,
        )
    )
    return 0


def verify_log(
    client: Client, log: str, args: argparse.Namespace, all_logs: bool = False
) -> tuple[int, dict[str, Any]]:
    """Verify one log: its checkpoint, every leaf hash, every record the key may read. The
    exit code (0 verified, 1 not) and a summary. An empty log fails when asked for by name,
    and is only noted among `--all`: a log the server lists but has no leaf yet."""
    signed = client.ledger.verified_checkpoint(log)
    age = ""
    if signed.timestamp is not None:
        seconds = (datetime.now(UTC) - signed.timestamp).total_seconds()
        age = f", signed {seconds:.0f} s ago"
        if args.max_age is not None and seconds > args.max_age:
            raise VerificationFailed(
                f"the checkpoint of {log} is {seconds:.0f} s old, more than "
                f"--max-age {args.max_age:g}: the log is not showing its current state"
            )
    elif args.max_age is not None:
        raise VerificationFailed(f"the checkpoint of {log} carries no signed time")
    console.print(
        f"{log}: checkpoint of size {signed.tree_size}, root "
        f"{signed.root_hash.hex()[:16]}…{age}, signature verified"
    )
    _witnessed(args, log, signed.note)
    if signed.tree_size == 0:
        console.print(f"[yellow]{log}: the log is empty: nothing to verify[/]")
        return (0 if all_logs else 1), {"log": log, "size": 0, "verified": 0, "failed": 0}
    with Progress(
        TextColumn(f"verifying {log}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task("leaves", total=signed.tree_size)
        found = client.ledger.audit(
            log,
            since=args.since,
            until=args.until,
            progress=lambda done, _: progress.update(task, completed=done),
        )
    for index, why in found.failures:
        named = why if why.startswith(f"{log} leaf {index}:") else f"{log} leaf {index}: {why}"
        console.print(f"[red]FAILED[/] {named}")
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(found.verified.items())) or "none"
    console.print(
        f"{log}: all {signed.tree_size} leaf hashes make the signed root; records "
        f"compared: {counts}; {found.hidden} hidden from this key, {found.skipped} outside "
        f"the dates, {len(found.failures)} failed"
    )
    if found.ok:
        console.print(f"{log}: [green]verified[/]")
    elif not found.failures:
        console.print(f"[yellow]{log}: no record compared: nothing verified[/]")
    summary = {
        "log": log,
        "size": signed.tree_size,
        "verified": sum(found.verified.values()),
        "by_kind": found.verified,
        "hidden": found.hidden,
        "skipped": found.skipped,
        "failed": len(found.failures),
        "failures": [{"leaf": index, "why": why} for index, why in found.failures],
    }
    return (0 if found.ok else 1), summary


def _witnessed(args: argparse.Namespace, log: str, signed: str) -> None:
    """VerificationFailed unless `--require-witnesses` of the `--witness-key`s cosigned."""
    witnesses = [parse_witness_key(k) for k in args.witness_key]
    if args.require_witnesses > len(witnesses):
        raise VerificationFailed(
            f"--require-witnesses {args.require_witnesses} needs as many --witness-key"
        )
    found = cosignatures(signed, witnesses)
    for name, when in sorted(found.items()):
        console.print(f"{log}: cosigned by witness {name} at {when.isoformat()}")
    if len(found) < args.require_witnesses:
        raise VerificationFailed(
            f"the checkpoint of {log} is cosigned by {len(found)} of the given "
            f"witnesses, fewer than --require-witnesses {args.require_witnesses}"
        )


def _load(state: Path) -> dict[str, Any] | None:
    if not state.exists():
        return None
    loaded: dict[str, Any] = json.loads(state.read_text(encoding="utf-8"))
    return loaded


def _save(state: Path, saved: dict[str, Any]) -> None:
    partial = state.with_suffix(state.suffix + ".partial")
    partial.write_text(json.dumps(saved, indent=2, ensure_ascii=False), encoding="utf-8")
    partial.replace(state)  # atomic: a crash never leaves half a state file


def watch_once(client: Client, log: str, state: Path, given: dict[str, str]) -> int:
    saved = _load(state)
    if saved is not None and saved.get("log", saved.get("venue")) != log:
        console.print(f"[red]{state} watches {saved.get('log', saved.get('venue'))}, not {log}[/]")
        return 2
    trusted = {**(saved or {}).get("trusted_keys", {}), **given}
    signed_note = client.ledger.checkpoint(log)
    if not trusted:
        shown = client.ledger.verifier_key(log)
        trusted = trust(shown)
        console.print(f"pinned ledger key {next(iter(trusted))} ({shown})")
    try:
        new = open_checkpoint(signed_note, trusted, log).head()
        if saved is not None:
            old = saved["head"]
            if new["tree_size"] < old["tree_size"]:
                raise VerificationFailed(
                    f"the log shrank from {old['tree_size']} to {new['tree_size']} entries"
                )
            client.ledger.verify_consistency(log, old, new)
    except VerificationFailed as exc:
        console.print(f"[bold red]ALERT[/] {log}: {exc}")
        return 2
    before = saved["head"]["tree_size"] if saved else None
    _save(state, {"log": log, "trusted_keys": trusted, "head": new})
    if before is None:
        console.print(f"{log}: first checkpoint, size {new['tree_size']}, signature verified")
    else:
        console.print(f"{log}: size {before} → {new['tree_size']}, consistent and signed")
    return 0


def watch_command(args: argparse.Namespace) -> int:
    given = _keys(args.public_key)
    with Client() as client:
        while True:
            code = watch_once(client, args.log, Path(args.state), given)
            if args.once or code:
                return code
            time.sleep(args.interval)


def witness_command(args: argparse.Namespace) -> int:
    witness, created = Witness.load_or_create(args.name, Path(args.key))
    if created:
        console.print(f"created the witness key {args.key}")
    if args.print_key:
        print(witness.key.vkey)
        return 0
    console.print(f"witness {witness.name}, verifier key {witness.key.vkey}")
    if not args.log:
        console.print("[red]--log is required[/]")
        return 1
    trusted = _keys(args.public_key)
    if not trusted:
        console.print(
            "[red]a witness needs the log's key: --public-key (or SHUSHANG_LEDGER_PUBLIC_KEY), "
            "the verifier key the exchange publishes[/]"
        )
        return 1
    url = os.environ.get("SHUSHANG_URL", "http://127.0.0.1:8000").rstrip("/")
    api_key = os.environ.get("SHUSHANG_API_KEY")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    while True:
        try:
            done = asyncio.run(_round(url, headers, args, trusted, witness))
        except Fork as exc:
            console.print(f"[bold red]FORK[/] {args.log}: {exc}; evidence kept in {args.state}")
            return 2
        if done.served is None:
            print(done.line, end="")
        grew = f"{done.old_size} → {done.tree_size}" if done.old_size else f"{done.tree_size}"
        posted = "posted" if done.served is not None else "not posted"
        console.print(f"{args.log}: size {grew}, consistent; cosigned ({posted})")
        if args.once:
            return 0
        time.sleep(args.interval)


async def _round(
    url: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    trusted: dict[str, str],
    witness: Witness,
) -> Round:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        return await witness_round(
            http, args.log, trusted, witness, Path(args.state), post=not args.no_post
        )


KEY_HELP = "trusted key: hex, or the verifier key name+hash+base64 the exchange publishes"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shushang-audit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="verify every leaf of a log, or of every log")
    which = check.add_mutually_exclusive_group(required=True)
    which.add_argument("--log", "--venue", dest="log", help="HZDEX, OTC, IPR, FIN…")
    which.add_argument(
        "--all", action="store_true", help="every log the server lists (GET /v1/ledgers)"
    )
    check.add_argument("--since", type=date.fromisoformat, help="records on or after this date")
    check.add_argument("--until", type=date.fromisoformat, help="records on or before it")
    check.add_argument("--public-key", action="append", default=[], help=KEY_HELP)
    check.add_argument("--max-age", type=float, help="fail if the checkpoint is older (seconds)")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.add_argument(
        "--witness-key",
        action="append",
        default=[],
        help="a witness's verifier key name+hash+base64 (repeatable)",
    )
    check.add_argument(
        "--require-witnesses",
        type=int,
        default=0,
        metavar="N",
        help="fail unless N of the --witness-key witnesses cosigned the checkpoint",
    )
    check.set_defaults(run=verify_command)
    prove = commands.add_parser(
        "prove", help="prove one leaf (a first, a trade, an IP step) in the signed checkpoint"
    )
    prove.add_argument("--log", "--venue", dest="log", required=True, help="HZDEX, IPR, FIN…")
    prove.add_argument("--index", type=int, required=True, help="the leaf index")
    prove.add_argument(
        "--size", type=int, help="the checkpoint size the record was named with (at least)"
    )
    prove.add_argument("--public-key", action="append", default=[], help=KEY_HELP)
    prove.set_defaults(run=prove_command)
    monitor = commands.add_parser("watch", help="prove each new head consistent with the last")
    monitor.add_argument("--log", "--venue", dest="log", required=True)
    monitor.add_argument("--state", required=True, help="file keeping the last head seen")
    monitor.add_argument("--once", action="store_true", help="check once and exit")
    monitor.add_argument("--interval", type=float, default=60.0, help="seconds between checks")
    monitor.add_argument("--public-key", action="append", default=[], help=KEY_HELP)
    monitor.set_defaults(run=watch_command)
    cosign = commands.add_parser(
        "witness", help="cosign each new checkpoint consistent with the last one seen"
    )
    cosign.add_argument("--log", "--venue", dest="log", help="HZDEX, OTC, IPR…")
    cosign.add_argument("--name", required=True, help="the witness's key name, e.g. example.org/w1")
    cosign.add_argument("--key", required=True, help="its Ed25519 key (PEM), made if missing")
    cosign.add_argument("--state", default="witness-state.json", help="sizes and roots seen")
    cosign.add_argument("--public-key", action="append", default=[], help=KEY_HELP)
    cosign.add_argument("--print-key", action="store_true", help="print the verifier key")
    cosign.add_argument("--no-post", action="store_true", help="print the line, post nothing")
    cosign.add_argument("--once", action="store_true", help="one round and exit")
    cosign.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    cosign.set_defaults(run=witness_command)
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
