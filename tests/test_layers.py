"""The layers of docs/architecture.md hold, and the contract that holds them bites.

`make lint` runs `lint-imports` (import-linter's `layers` contract in pyproject.toml). Here
it runs on the tree as it is, which must keep the contract, and on a copy of `app/` under
`tmp_path` with one upward import planted, which must break it, naming the contract and
the import. The worktree itself is never written to.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACT = "Layers: entry points > wiring > domains (each above those it uses) > web > core"


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(cwd / "pyproject.toml")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_the_layers() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{CONTRACT} KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "importer", "imported"),
    [
        # The kernel imports no domain.
        ("app/core/money.py", "from app.listings import states", "app.core.money", "app.listings"),
        # The HTTP layer imports no domain.
        ("app/web/deps.py", "from app.auth import repository", "app.web.deps", "app.auth"),
        # A lower domain never calls up into a higher one (products -> listings: a cycle).
        ("app/products/service.py", "import app.listings.service", "app.products", "app.listings"),
    ],
    ids=["core-imports-a-domain", "web-imports-a-domain", "domain-imports-upward"],
)
def test_an_upward_import_breaks_the_contract(
    tmp_path: Path, module: str, planted: str, importer: str, imported: str
) -> None:
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}  # planted\n")

    result = _lint(tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"{CONTRACT} BROKEN" in output
    assert importer in output and imported in output
    assert not (ROOT / module).read_text(encoding="utf-8").endswith("# planted\n")


APP = ROOT / "app"


def _imports(path: Path) -> list[str]:
    """Every `app.…` module and name the file imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in found if name.startswith("app.")]


def test_only_wiring_imports_a_domains_audience() -> None:
    """Each noun's rule has one home, its domain's `audience.py`; only app/wiring.py
    hands them to the outbox (whose own `audience.py` is the mechanism they use)."""
    users = set()
    for path_ in sorted(APP.rglob("*.py")):
        home = path_.relative_to(APP).parts[0]
        for name in _imports(path_):
            bits = name.split(".")
            if len(bits) > 2 and bits[2] == "audience" and bits[1] not in ("outbox", home):
                users.add(path_.relative_to(APP).as_posix())
    assert users == {"wiring.py"}
