"""schemathesis over the whole API: no 5xx, and no response that breaks its own schema.

The cases come from the committed `openapi/openapi.json` (tests/test_openapi.py keeps it
equal to the app's) and go over HTTP to the app served by uvicorn in a background thread.
"""

from __future__ import annotations

import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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
