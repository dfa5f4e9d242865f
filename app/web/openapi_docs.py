"""How errors appear in the OpenAPI document: the Problem schema and per-status responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import PROBLEM_JSON


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details. `title` and `detail` follow `Accept-Language`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:shushang:problem:not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Validation errors (422).")
    missing: list[str] | None = Field(default=None, description="Unmet gates (409).")


_DESCRIPTIONS = {
    400: "Malformed request (header, cursor or parameter)",
    401: "No API key, or a key that is unknown or revoked",
    403: "The key's role or merchant may not do this",
    404: "Unknown, or not visible to the caller",
    405: "Method not allowed",
    409: "Conflicts with the current state, or a duplicate",
    412: "Stale `If-Match`",
    413: "Request body too large",
    415: "The body's `Content-Type` is not one this operation reads",
    422: "Validation failed; `errors` lists each field",
    428: "Neither `Idempotency-Key` nor `If-Match`: this step changes money or title, and "
    "a retry must not do it twice",
    429: "Rate limited; see `Retry-After`",
    503: "The database is unavailable; retry after `Retry-After`",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for the given statuses, each a problem+json body."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


COMMON_ERRORS = errors(400, 429, 503)
