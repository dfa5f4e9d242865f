"""The checked-in generated modules are what `make sdk-models` makes of the committed
openapi/openapi.json and resources.py now: a change of the API (or of the async client)
without regenerating fails here, with the command that fixes it."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sdk" / "shushang_sdk"


def _codegen() -> object:
    spec = importlib.util.spec_from_file_location("sdk_codegen", ROOT / "sdk" / "codegen.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_modules_are_fresh(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "datamodel-codegen").exists():
        pytest.fail("datamodel-codegen is missing: install the dev extra (requirements.lock)")
    codegen = _codegen()
    written = codegen.generate(ROOT / "openapi" / "openapi.json", tmp_path)  # type: ignore[attr-defined]
    stale = []
    for fresh in written:
        committed = PACKAGE / fresh.name
        old = committed.read_text(encoding="utf-8") if committed.exists() else ""
        new = fresh.read_text(encoding="utf-8")
        if old != new:
            diff = difflib.unified_diff(
                old.splitlines(), new.splitlines(), str(committed), "regenerated", lineterm=""
            )
            stale.append("\n".join(list(diff)[:40]))
    assert not stale, "stale generated SDK modules: run `make sdk-models`\n" + "\n".join(stale)
