"""What the types promise a merchant's engineer: a client script with a misspelt keyword and
a wrong type fails `mypy --strict`; corrected, it passes and runs against the server (the
app `make run` serves). mypy runs in a subprocess on a file outside the repository, against
this checkout's SDK."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import valid_uscc

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from shushang_sdk import Client, PreconditionFailed

with Client(accept_language="zh-CN", headers={{"X-ERP": "sap"}}, timeout=5.0) as client:
    merchant = client.merchants.create(
        name="杭州交通数据科技有限公司",
        uscc="{uscc}",
        region_code="330106",
        categories=["data_product"],
        contact_email="erp@example.cn",
    )
    product = client.products.create(
        merchant_id=merchant.id,
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
    print("updated", client.products.get(product.id).revision)
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


async def test_a_misspelt_keyword_and_a_wrong_type_fail_mypy_strict(
    tmp_path: Path, live_url: str, operator_token: str
) -> None:
    wrong = SCRIPT.format(type_keyword="product_typ", limit='"20"', uscc=valid_uscc())
    checked = await asyncio.to_thread(_mypy, tmp_path, wrong)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    out = checked.stdout
    assert 'Unexpected keyword argument "product_typ"' in out, out
    assert 'Argument "limit" to "iter" of "Products" has incompatible type "str"' in out, out
    assert "Found 2 errors" in out, out

    right = SCRIPT.format(type_keyword="product_type", limit="20", uscc=valid_uscc())
    checked = await asyncio.to_thread(_mypy, tmp_path, right)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    env = {**os.environ, "PYTHONPATH": str(ROOT / "sdk"), "SHUSHANG_URL": live_url,
           "SHUSHANG_API_KEY": operator_token}  # fmt: skip
    ran = await asyncio.to_thread(
        subprocess.run, [sys.executable, str(tmp_path / "client_script.py")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "updated 2" in ran.stdout, ran.stdout
