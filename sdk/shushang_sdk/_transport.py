"""HTTP with the API's conventions: a bearer key, problem details as exceptions, cursors,
and retries with exponential backoff on connection errors, 429 (honouring Retry-After) and
503, for requests that are safe to repeat: reads, and trade recording, whose
Idempotency-Key the SDK sets once and keeps across its retries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from shushang_sdk import errors

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRIED_STATUSES = frozenset({429, 503})


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"title": response.reason_phrase, "detail": response.text[:500]}
    return body if isinstance(body, dict) else {"detail": str(body)}


def problem_of(response: httpx.Response) -> errors.ShushangError:
    """The exception for an error answer (its body must have been read)."""
    return errors.from_response(response.status_code, _problem(response), _retry_after(response))


class Transport:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        max_retries: int,
        backoff: float,
        transport: httpx.AsyncBaseTransport | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": "shushang-sdk/0.1", **auth, **(headers or {})},
            timeout=timeout,
            transport=transport,
        )
        self.max_retries = max_retries
        self.backoff = backoff

    async def close(self) -> None:
        await self.http.aclose()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        hinted = _retry_after(response) if response is not None else None
        if hinted is not None:
            return hinted
        jitter: float = random.uniform(0.5, 1.5)
        return float(self.backoff * 2**attempt * jitter)

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        repeatable: bool | None = None,
    ) -> httpx.Response:
        """The response of a 2xx, or the problem raised. Retries what may be repeated."""
        retry = method in SAFE_METHODS if repeatable is None else repeatable
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            response: httpx.Response | None = None
            try:
                response = await self.http.request(
                    method, path, params=query, json=json, headers=headers, files=files
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                if not retry or attempt >= self.max_retries:
                    raise errors.ServerUnavailable(
                        503, {"title": "Unreachable", "detail": str(exc)}
                    ) from exc
            else:
                if response.is_success:
                    return response
                if not (retry and response.status_code in RETRIED_STATUSES) or (
                    attempt >= self.max_retries
                ):
                    raise problem_of(response)
            await asyncio.sleep(self._delay(attempt, response))
            attempt += 1

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.send(method, path, **kwargs)
        return response.json() if response.content else None

    async def pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a keyset-paged list, following `next_cursor`."""
        query = dict(params or {})
        while True:
            page = await self.json("GET", path, params=query)
            for item in page["items"]:
                yield item
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, int | float | str) else str(value)
