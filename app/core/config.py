"""Settings: one `Settings` object read from the environment (`SHUSHANG_` prefix) and `.env`."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.signed_note import parse_cosigner  # pure: checks a witness key at start-up


class LogFormat(StrEnum):
    json = "json"
    console = "console"


class Settings(BaseSettings):
    """Every knob of the service. The README's configuration table lists each one."""

    model_config = SettingsConfigDict(
        env_prefix="SHUSHANG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SHUSHANG_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL URL; empty means the embedded server under data_dir.",
    )
    read_database_url: str | None = Field(
        default=None,
        description="A streaming replica (hot standby) of the database for read-only routes; "
        "unset means every read goes to the primary.",
    )
    read_max_lag_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Reads go to the primary while the replica is this far behind (or down).",
    )
    read_check_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often the replica's lag and health are measured."
    )
    data_dir: Path = Field(default=Path(".shushang"), description="Embedded database and files.")
    embedded_database: bool = Field(
        default=True, description="Without a database URL, start the embedded PostgreSQL."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_format: LogFormat = LogFormat.json
    log_level: str = "INFO"
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    # 1 000 columns is what samples were always held to: profiling is linear in the cells,
    # so the cap bounds the size of a profile (about 150 bytes a column), not its time.
    sample_max_columns: int = Field(
        default=1000, ge=1, description="Most columns or JSON keys a sample may have (422)."
    )
    # Profiling a 50 MB sample takes under 10 s of CPU on two slow cores; this is a
    # backstop several times that, not the expected cost.
    sample_profile_max_seconds: float = Field(
        default=60.0, gt=0, description="CPU time profiling one upload may take (422 beyond)."
    )
    response_send_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait for a client to take the next part of a streamed download.",
    )
    request_body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for the next part of a request body."
    )
    json_max_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body other than uploads."
    )
    import_max_lines: int = Field(
        default=10_000, ge=1, description="Lines of one bulk import of trades (413 beyond)."
    )
    import_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Body of one bulk import of trades (413 beyond); spooled to a temporary "
        "file past 1 MiB, so memory stays flat.",
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        description="Per API key, shared by all processes on the database, exact; 0 disables.",
    )
    anonymous_rate_limit_per_minute: int = Field(
        default=300,
        ge=0,
        description="Requests without a key, per client address (an IPv6 /64), shared by all "
        "processes through leases (docs/scaling.md); 0 disables.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (comma-separated, exact, e.g. "
        "`https://portal.hzdex.example`); empty: no CORS headers at all.",
    )
    public_max_age_seconds: int = Field(
        default=30, ge=0, description="Cache-Control max-age of reads without a key."
    )
    venues_max_age_seconds: int = Field(
        default=300, ge=0, description="Cache-Control max-age of venue reads without a key."
    )
    metrics_public: bool = Field(
        default=False, description="Serve /metrics without a key (else operator or auditor)."
    )
    ledger_signing_key: str | None = Field(
        default=None, description="PEM Ed25519 private key; default: created under data_dir."
    )
    ledger_verifier_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Ledger public keys a restore trusts besides the signing key's (a key "
        "retired by rotation): comma-separated verifier keys `name+hash+base64(0x01 ‖ key)` "
        "as `/v1/ledgers/{log}/verifier-key` publishes them.",
    )
    log_origin: str = Field(
        default="shushang.local/ledgers",
        description="Checkpoint origin prefix: a log's origin (and key name) is "
        "`<log_origin>/<log>`, e.g. `shushang.local/ledgers/HZDEX`.",
    )
    checkpoint_interval_seconds: float = Field(
        default=60.0,
        ge=1,
        le=86400,
        description="A log signs a fresh checkpoint at least this often, growing or not.",
    )
    witness_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Witnesses whose cosignatures the ledger accepts and serves on its "
        "checkpoints: comma-separated verifier keys `name+hash+base64(0x04 ‖ Ed25519 key)` "
        "(C2SP tlog-cosignature), as `shushang-audit witness` prints them.",
    )
    public_base_url: str | None = Field(
        default=None,
        description="The service's public URL (e.g. `https://shushang.example.cn`), for "
        "links printed on certificates; default: the URL the request came to.",
    )
    large_trade_amount: Decimal = Field(
        default=Decimal("10000000.00"),
        gt=0,
        le=Decimal(10) ** 12,
        decimal_places=2,
        description="CNY. An off-venue trade above this counts in statistics and as a market "
        "comparable only once an operator confirmed it; a counterparty's confirmation is not "
        "enough.",
    )
    statement_close_day: int = Field(
        default=5,
        ge=1,
        le=28,
        description="A month's statement (对账单) closes on this day of the next month at "
        "00:00 Asia/Shanghai and never changes after; later changes are adjustments of the "
        "next open month.",
    )
    ip_notice_working_days: int = Field(
        default=10, ge=0, le=100, description="Public notice of an IP registration (0: none)."
    )
    ip_authority_code: str = Field(
        default="3300", pattern=r"^[0-9]{4}$", description="Registry code in certificate numbers."
    )
    ip_validity_years: int = Field(default=3, ge=1, le=50)
    # At most a year, so that a renewal (at least one year) always moves the next window
    # past today: once per window.
    ip_renewal_window_days: int = Field(
        default=90, ge=1, le=365, description="Renewal opens this many days before valid_until."
    )
    ip_registration_target: int = Field(
        default=6000,
        ge=1,
        le=10_000_000,
        description="The cumulative data-IP registrations the policy dashboard measures "
        "against (数据知识产权登记数累计达 6000 件).",
    )
    webhooks_allow_private_urls: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback and private-network hosts (tests, intranets).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Deadline of a whole delivery: resolving, connecting, sending, the answer.",
    )
    webhook_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="First retry delay; doubles per attempt (jittered)."
    )
    webhook_retry_max_interval_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(
        default=86400.0, gt=0, description="Retry this long, then mark the delivery failed."
    )
    webhook_disable_after_failures: int = Field(
        default=20, ge=1, description="Consecutive failed attempts that disable a subscription."
    )
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    db_pool_size: int = Field(default=20, ge=1)
    # Overflow connections are closed as soon as they are given back: under load that is a
    # new PostgreSQL backend per request. A fixed pool queues instead (db_pool_timeout).
    db_max_overflow: int = Field(default=0, ge=0)
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or "*" in origin:
                raise ValueError(
                    f"{origin!r} is not an exact origin like https://portal.example.cn"
                )
        return origins

    @field_validator("witness_keys", "ledger_verifier_keys", mode="before")
    @classmethod
    def _comma_separated_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("witness_keys", "ledger_verifier_keys")
    @classmethod
    def _witness_verifier_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            parse_cosigner(key)  # its ValueError says which key is wrong
        return keys

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip().rstrip("/")
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not a URL like https://shushang.example.cn")
        return value

    @field_validator("log_origin")
    @classmethod
    def _note_key_name(cls, value: str) -> str:
        """An origin is also the signed-note key name: no spaces, `+` or control characters
        (C2SP signed-note), and a schema-less URL (C2SP tlog-checkpoint)."""
        value = value.strip().rstrip("/")
        if (
            not value
            or "://" in value
            or any(c.isspace() or c == "+" or ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        ):
            raise ValueError(
                f"{value!r} is not a checkpoint origin like shushang.example.cn/ledgers "
                "(no scheme, spaces or '+')"
            )
        return value

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str | None) -> str | None:
        """Accept the plain `postgres://` and `postgresql://` forms a PaaS hands out."""
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
