"""HTTP with the API's conventions, once for `AsyncClient` (httpx.AsyncClient) and once for
the blocking `Client` (httpx.Client): a bearer key, `Accept-Language`, problem details as
exceptions, answers parsed into models with their `Meta`, cursors followed, and retries.

Both share everything but the await: how a request is built (`_Base.request_args`), which
failure is retried (`_Base.retry_after_failure`) and how an answer is read (`_read`). Retries
back off exponentially (honouring Retry-After) on a connection never made and on 429, for any
request (the server did nothing); and on 503, timeouts, broken connections and a 409 "still in
progress" only for what is safe to repeat: reads, and requests with an Idempotency-Key (every
step that changes money or title has one: `step_headers`), which is set once and kept across
the retries so the server does the work once."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import anyio
import httpx
from pydantic_core import to_jsonable_python

from shushang_sdk import errors
from shushang_sdk._model import Json, Meta, Model

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRIED_STATUSES = frozenset({429, 503})
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAYBE_DONE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
VERSION = "0.2.0"
IN_FLIGHT = "urn:shushang:problem:idempotency-in-flight"

M = TypeVar("M", bound=Model)
T = TypeVar("T", covariant=True)


class Paged(Protocol[T]):
    """A page of a list: the generated `Page…` models and `ProductPage`."""

    @property
    def items(self) -> Sequence[T]: ...

    @property
    def next_cursor(self) -> str | None: ...


def path(template: str, *args: object) -> str:
    """`template` with each `{}` an escaped path segment: an id can never add a segment."""
    return template.format(*(quote(str(a), safe="") for a in args))


def if_match(version: int | str | None) -> dict[str, str]:
    """`version=` as If-Match: a version number (`product.version`) or an ETag as read
    (`product.meta.etag`)."""
    if version is None:
        return {}
    if isinstance(version, int):
        return {"If-Match": f'"{version}"'}
    return {"If-Match": version}


def step_headers(version: int | str | None, idempotency_key: str | None) -> dict[str, str]:
    """The headers of a step that changes money or title: `version=` as If-Match, and an
    Idempotency-Key, yours or a fresh one, which `send` keeps across its retries, so that a
    retried step is done once (a retry gets the first answer again, `meta.replayed`)."""
    return {**if_match(version), "Idempotency-Key": idempotency_key or str(uuid.uuid4())}


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _param(value.value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_param(v) for v in value]
    return value if isinstance(value, int | float | str) else str(value)


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


def _in_flight(response: httpx.Response | None) -> bool:
    """409 because the first request with this Idempotency-Key still runs (an earlier try
    that timed out on the client's side): its answer comes to a retry once it is done."""
    if response is None or response.status_code != 409:
        return False
    try:
        problem = response.json()
    except ValueError:
        return False
    return isinstance(problem, dict) and problem.get("type") == IN_FLIGHT


def problem_of(response: httpx.Response) -> errors.ShushangError:
    """The exception for an error answer (its body must have been read)."""
    try:
        body = response.json()
    except ValueError:
        body = {"title": response.reason_phrase, "detail": response.text[:500]}
    problem = body if isinstance(body, dict) else {"detail": str(body)}
    return errors.from_response(
        response.status_code,
        problem,
        _retry_after(response),
        response.headers.get("x-request-id"),
        response.headers,
    )


def _unreachable(exc: Exception) -> errors.ServerUnavailable:
    return errors.ServerUnavailable(
        503, {"title": "Unreachable", "detail": f"{type(exc).__name__}: {exc}"}
    )


def _model(into: type[M], response: httpx.Response) -> M:
    made = into.model_validate_json(response.content)
    made._meta = Meta.of(response)
    return made


def _json(response: httpx.Response) -> Json:
    made = Json(response.json())
    made.meta = Meta.of(response)
    return made


class _Base:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float | httpx.Timeout,
        max_retries: int,
        backoff: float,
        accept_language: str | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.headers = {
            "User-Agent": f"shushang-sdk/{VERSION}",
            **({"Authorization": f"Bearer {api_key}"} if api_key else {}),
            **({"Accept-Language": accept_language} if accept_language else {}),
            **(headers or {}),
        }

    @staticmethod
    def request_args(
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        files: Any,
        content: bytes | None = None,
    ) -> dict[str, Any]:
        args: dict[str, Any] = {
            "params": {k: _param(v) for k, v in (params or {}).items() if v is not None},
            "headers": dict(headers or {}),
        }
        if json is not None:
            args["json"] = to_jsonable_python(json)
        if files is not None:
            args["files"] = files
        if content is not None:
            args["content"] = content
        return args

    @staticmethod
    def repeatable(method: str, headers: Mapping[str, str] | None) -> bool:
        return method in SAFE_METHODS or "Idempotency-Key" in (headers or {})

    def retry_after_failure(
        self,
        attempt: int,
        repeatable: bool,
        response: httpx.Response | None,
        failure: Exception | None,
    ) -> float | None:
        """Seconds to wait before trying again, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if failure is not None:
            retry = isinstance(failure, NOT_SENT) or repeatable
        else:
            status = response.status_code if response is not None else 0
            retry = status == 429 or (repeatable and (status == 503 or _in_flight(response)))
        if not retry:
            return None
        hinted = _retry_after(response) if response is not None else None
        if hinted is not None:
            return hinted
        jitter: float = random.uniform(0.5, 1.5)
        return float(self.backoff * 2**attempt * jitter)


class AsyncTransport(_Base):
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, api_key, **options)
        self.http = httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=self.timeout, transport=transport
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """The response of a 2xx, or the problem raised."""
        args = self.request_args(params, json, headers, files, content)
        repeatable = self.repeatable(method, headers)
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: Exception | None = None
            try:
                response = await self.http.request(method, url, **args)
            except MAYBE_DONE as exc:
                failure = exc
            else:
                if response.is_success:
                    return response
            delay = self.retry_after_failure(attempt, repeatable, response, failure)
            if delay is None:
                if failure is not None:
                    raise _unreachable(failure) from failure
                assert response is not None
                raise problem_of(response)
            await anyio.sleep(delay)
            attempt += 1

    async def model(self, into: type[M], method: str, url: str, **kwargs: Any) -> M:
        return _model(into, await self.send(method, url, **kwargs))

    async def json(self, method: str, url: str, **kwargs: Any) -> Json:
        return _json(await self.send(method, url, **kwargs))

    async def empty(self, method: str, url: str, **kwargs: Any) -> Meta:
        return Meta.of(await self.send(method, url, **kwargs))

    async def bytes(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await self.send(method, url, **kwargs)

    async def iterate(
        self, page: type[Paged[T]], url: str, params: Mapping[str, Any]
    ) -> AsyncIterator[T]:
        """Every item of a keyset-paged list, following `next_cursor`."""
        query = dict(params)
        while True:
            into: Any = page
            found: Paged[T] = await self.model(into, "GET", url, params=query)
            for item in found.items:
                yield item
            if not found.next_cursor:
                return
            query["cursor"] = found.next_cursor

    async def stream_to(self, target: str | Path, url: str, params: Mapping[str, Any]) -> int:
        """Stream a GET's body into the file `target`; the number of bytes written. Nothing
        is written (no file made) when the answer is an error."""
        written = 0
        args = self.request_args(params, None, None, None)
        async with self.http.stream("GET", url, **args) as response:
            if not response.is_success:
                await response.aread()
                raise problem_of(response)
            async with await anyio.open_file(target, "wb") as out:
                async for chunk in response.aiter_bytes():
                    await out.write(chunk)
                    written += len(chunk)
        return written


class SyncTransport(_Base):
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, api_key, **options)
        self.http = httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=self.timeout, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """The response of a 2xx, or the problem raised."""
        args = self.request_args(params, json, headers, files, content)
        repeatable = self.repeatable(method, headers)
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: Exception | None = None
            try:
                response = self.http.request(method, url, **args)
            except MAYBE_DONE as exc:
                failure = exc
            else:
                if response.is_success:
                    return response
            delay = self.retry_after_failure(attempt, repeatable, response, failure)
            if delay is None:
                if failure is not None:
                    raise _unreachable(failure) from failure
                assert response is not None
                raise problem_of(response)
            time.sleep(delay)
            attempt += 1

    def model(self, into: type[M], method: str, url: str, **kwargs: Any) -> M:
        return _model(into, self.send(method, url, **kwargs))

    def json(self, method: str, url: str, **kwargs: Any) -> Json:
        return _json(self.send(method, url, **kwargs))

    def empty(self, method: str, url: str, **kwargs: Any) -> Meta:
        return Meta.of(self.send(method, url, **kwargs))

    def bytes(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.send(method, url, **kwargs)

    def iterate(self, page: type[Paged[T]], url: str, params: Mapping[str, Any]) -> Iterator[T]:
        """Every item of a keyset-paged list, following `next_cursor`."""
        query = dict(params)
        while True:
            into: Any = page
            found: Paged[T] = self.model(into, "GET", url, params=query)
            yield from found.items
            if not found.next_cursor:
                return
            query["cursor"] = found.next_cursor

    def stream_to(self, target: str | Path, url: str, params: Mapping[str, Any]) -> int:
        """Stream a GET's body into the file `target`; the number of bytes written. Nothing
        is written (no file made) when the answer is an error."""
        written = 0
        args = self.request_args(params, None, None, None)
        with self.http.stream("GET", url, **args) as response:
            if not response.is_success:
                response.read()
                raise problem_of(response)
            with Path(target).open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    written += len(chunk)
        return written
