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

# JSON Lines bodies (the bulk import of trades) are text: sent as generated.
schemathesis.serializer.alias(["application/x-ndjson", "application/jsonl"], "text/plain")
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


def test_stateful_workflows_conform(live_url: str, operator_token: str) -> None:
    """Sequences of calls chained by the links schemathesis infers (a created resource's id
    feeds the operations on it): no 5xx, no schema violation along the way."""
    base = schema.as_state_machine()
    calls: list[str] = []

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"base_url": live_url, "headers": {"Authorization": f"Bearer {operator_token}"}}

        def after_call(self, response: object, case: schemathesis.Case) -> None:
            calls.append(f"{case.method} {case.path} {getattr(response, 'status_code', '?')}")

        def validate_response(
            self, response: object, case: schemathesis.Case, **kwargs: object
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=int(os.environ.get("SHUSHANG_FUZZ_STATEFUL", "10")),
            stateful_step_count=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(calls) >= 20, calls  # the workflows did run, through many operations
    assert len({c.rsplit(" ", 1)[0] for c in calls}) >= 5
