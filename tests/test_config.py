"""Settings: the environment names a PaaS uses, the SHUSHANG_ prefix and `.env`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.core.config import LogFormat, Settings


def test_database_url_from_paas_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal:5432/shushang")
    assert Settings().database_url == "postgresql+asyncpg://u:p@db.internal:5432/shushang"


def test_prefixed_variable_wins_and_drivers_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://paas/one")
    monkeypatch.setenv("SHUSHANG_DATABASE_URL", "postgresql://mine/two")
    assert Settings().database_url == "postgresql+asyncpg://mine/two"


def test_no_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SHUSHANG_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url is None
    assert settings.data_dir == Path(".shushang")
    assert settings.upload_max_bytes == 50 * 1024 * 1024


def test_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SHUSHANG_DATABASE_URL", "SHUSHANG_PORT", "SHUSHANG_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    env.write_text(
        "SHUSHANG_PORT=9000\nSHUSHANG_LOG_FORMAT=console\nSHUSHANG_RATE_LIMIT_PER_MINUTE=5\n"
    )
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.port == 9000
    assert settings.log_format is LogFormat.console
    assert settings.rate_limit_per_minute == 5


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUSHANG_PORT", "70000")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_the_large_trade_amount_is_money_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().large_trade_amount == Decimal("10000000.00")
    monkeypatch.setenv("SHUSHANG_LARGE_TRADE_AMOUNT", "500000.50")
    assert Settings().large_trade_amount == Decimal("500000.50")
    for bad in ("0", "-1", "1000000000000.01", "1.001", "NaN", "a lot"):
        monkeypatch.setenv("SHUSHANG_LARGE_TRADE_AMOUNT", bad)
        with pytest.raises(ValueError, match="large_trade_amount"):
            Settings()


def test_the_ip_registration_target_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ip_registration_target == 6000
    monkeypatch.setenv("SHUSHANG_IP_REGISTRATION_TARGET", "8000")
    assert Settings().ip_registration_target == 8000
    for bad in ("0", "-5", "10000001", "6000.5", "many"):
        monkeypatch.setenv("SHUSHANG_IP_REGISTRATION_TARGET", bad)
        with pytest.raises(ValueError, match="ip_registration_target"):
            Settings()
