"""Optimistic concurrency over HTTP: `ETag` from a resource's version, checked by `If-Match`."""

from __future__ import annotations

from fastapi import Response

from app.errors import PreconditionFailed
from app.i18n import Text


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


def check_if_match(if_match: str | None, version: int) -> None:
    """412 unless `If-Match` is absent, `*`, or lists the current ETag (weak or strong)."""
    if if_match is None:
        return
    current = etag_of(version)
    for candidate in if_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == current:
            return
    raise PreconditionFailed(
        Text(
            f"If-Match {if_match} is stale; the current ETag is {current}.",
            f"If-Match {if_match} 已过期;当前 ETag 为 {current}。",
        ),
        current_etag=current,
    )
