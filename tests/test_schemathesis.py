"""schemathesis over the whole API: no 5xx, and no response that breaks its own schema.

The cases come from the committed `openapi/openapi.json` (tests/test_openapi.py keeps it
equal to the app's) and go over HTTP to the app served by uvicorn in a background thread.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.pool import NullPool

from app.auth.models import Role
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from tests.factories import make_key

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded so CI stays fast; a release run sets SHUSHANG_FUZZ_EXAMPLES=500 or more.
FUZZ = settings(
    max_examples=int(os.environ.get("SHUSHANG_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_path(str(SPEC))


@pytest.fixture
def operator_token(database_url: str, settings: Settings) -> str:
    async def make() -> str:
        engine = create_engine(settings, database_url, poolclass=NullPool)
        try:
            async with create_sessionmaker(engine)() as session:
                return await make_key(session, Role.operator)
        finally:
            await engine.dispose()

    return asyncio.run(make())


@schema.parametrize()
@FUZZ
def test_api_conforms_to_its_schema(
    case: schemathesis.Case, live_url: str, operator_token: str
) -> None:
    case.call_and_validate(
        base_url=live_url, headers={"Authorization": f"Bearer {operator_token}"}, checks=CHECKS
    )


@schema.parametrize()
@settings(FUZZ, max_examples=5)
def test_anonymous_calls_conform_too(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(base_url=live_url, checks=CHECKS)
