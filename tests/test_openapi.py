"""The committed OpenAPI document is the app's, and it describes every operation."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_spec_is_current(app: FastAPI) -> None:
    committed = json.loads(SPEC.read_text(encoding="utf-8"))
    assert committed == app.openapi(), "openapi/openapi.json is stale: run `make openapi`"


def test_every_operation_is_described(app: FastAPI) -> None:
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer shs_…`. Operators create keys.",
    }
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("description") or operation.get("summary"), where
            if path.startswith("/v1/"):
                responses = operation["responses"]
                assert {"400", "429", "503"} <= set(responses), where
                for status, response in responses.items():
                    if status.startswith(("4", "5")):
                        assert "application/problem+json" in response["content"], where
                if method != "get" or operation.get("security"):
                    assert "401" in responses, where
