"""Every kind of leaf a domain registers with the ledger is one the auditors' SDK verifies
(`shushang_sdk.leaves.KINDS`): a new kind cannot be logged that `shushang-audit` would
fail on ("a leaf of a kind this SDK does not know"). The SDK imports nothing of app/."""

from __future__ import annotations

import ast
from pathlib import Path

from shushang_sdk import leaves

from app.ledger import kinds
from app.wiring import register


def test_every_registered_leaf_kind_is_known_to_the_sdk() -> None:
    register()
    registered = set(kinds.kind_names())
    assert {"trade", "trade_event", "ip_step", "asset_cost_item", "asset_movement"} <= registered
    known = {kind.ledger_kind for kind in leaves.KINDS.values()}
    assert registered - known == set(), "leaf kinds the SDK cannot verify: add them to KINDS"
    assert known - registered == set(), "kinds the SDK knows that no domain registers"
    assert all(type_ == kind.type for type_, kind in leaves.KINDS.items())


def test_the_sdk_imports_nothing_of_the_service() -> None:
    package = Path(leaves.__file__).resolve().parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n == "app" or n.startswith("app.") for n in names), source.name
