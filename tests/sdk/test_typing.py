"""What the types promise a merchant's engineer: a client script with a misspelt keyword and
a wrong type fails `mypy --strict`; corrected, it passes (and runs, in test_sdk.py's examples).
mypy runs in a subprocess on a file outside the repository, against this checkout's SDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from shushang_sdk import Client, PreconditionFailed

with Client(accept_language="zh-CN", headers={{"X-ERP": "sap"}}, timeout=5.0) as client:
    product = client.products.create(
        name="城市交通流量数据集",
        description="路口车流量, 按小时。",
        {type_keyword}="dataset",
        domains=["transport"],
        data_sources=[{{"kind": "self_collected", "description": "自有采集"}}],
        classification="general",
        delivery_modes=["api"],
    )
    print(product.id, product.meta.etag, product.meta.request_id)
    for found in client.products.iter(q="交通", limit={limit}):
        print(found.name, found.revision)
    try:
        client.products.update(product.id, tags=["交通"], version=product.version)
    except PreconditionFailed as stale:
        print(stale.detail, stale.request_id)
    client.ip_registrations.examine(product.id, decision="accept")
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "client_script.py"
    script.write_text(source, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nplugins = pydantic.mypy\n", encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(ROOT / "sdk")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-incremental",
         "--cache-dir", str(tmp_path / ".mypy_cache"), str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_misspelt_keyword_and_a_wrong_type_fail_mypy_strict(tmp_path: Path) -> None:
    wrong = _mypy(tmp_path, SCRIPT.format(type_keyword="product_typ", limit='"20"'))
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert 'Unexpected keyword argument "product_typ"' in wrong.stdout, wrong.stdout
    assert 'Argument "limit" to "iter" of "Products" has incompatible type "str"' in wrong.stdout
    assert "Found 2 errors" in wrong.stdout, wrong.stdout

    right = _mypy(tmp_path, SCRIPT.format(type_keyword="product_type", limit="20"))
    assert right.returncode == 0, right.stdout + right.stderr
