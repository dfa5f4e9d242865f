"""The `shushang` command line, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each command reads the environment the test set."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_openapi_prints_the_committed_spec() -> None:
    result = runner.invoke(cli, ["openapi"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(SPEC.read_text(encoding="utf-8"))


def test_keys_create_prints_the_token_last(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUSHANG_DATABASE_URL", database_url)
    result = runner.invoke(cli, ["keys", "create", "--role", "auditor", "--name", "年度审计"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("shs_aud_")


def test_keys_create_refuses_bad_arguments(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUSHANG_DATABASE_URL", database_url)
    bad_role = runner.invoke(cli, ["keys", "create", "--role", "root", "--name", "x"])
    assert bad_role.exit_code == 2
    no_merchant = runner.invoke(cli, ["keys", "create", "--role", "merchant", "--name", "x"])
    assert no_merchant.exit_code == 2
    ghost = runner.invoke(
        cli,
        [
            "keys",
            "create",
            "--role",
            "merchant",
            "--name",
            "x",
            "--merchant-id",
            "01a20000-0000-7000-8000-000000000000",
        ],
    )
    assert ghost.exit_code == 1
    assert "no merchant" in ghost.stderr


def test_without_url_and_without_embedded_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SHUSHANG_DATABASE_URL", raising=False)
    monkeypatch.setenv("SHUSHANG_EMBEDDED_DATABASE", "false")
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 2
    assert "DATABASE_URL" in result.stderr


def test_ip_expire_records_what_is_due(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUSHANG_DATABASE_URL", database_url)
    result = runner.invoke(cli, ["ip", "expire"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "0 certificates expired"
