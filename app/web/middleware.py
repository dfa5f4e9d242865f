"""The outermost layer of every HTTP request: request id, access log, metrics, last-resort errors.

A plain ASGI middleware (not `BaseHTTPMiddleware`), so it adds no task or copy per request.
What a middleware needs of a domain it is given by `create_app` (app/main.py): the refused
writes' recorder (app/audit/refusals.py), the key lookup (app/auth/repository.py), the upload
route and its envelope (app/samples/upload.py); this layer imports no domain.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.context import request_id_var
from app.core.db import driver_of, is_database_unavailable
from app.core.errors import (
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    ServiceUnavailable,
    ShushangError,
    Unauthorized,
    remember,
)
from app.core.i18n import Text
from app.core.metrics import LATENCY, REQUESTS
from app.core.principal import Principal, PrincipalLookup
from app.core.ratelimit import AddressLimits, Rate, client_address
from app.core.tokens import BEARER_ONLY, UNKNOWN_KEY, bearer_token, hash_token
from app.web.problems import problem_response

access_log = logging.getLogger("shushang.access")
error_log = logging.getLogger("shushang.errors")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = "X-Request-ID"


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


# Called once a request's answer has gone out, with its final status (the audit trail of
# refused writes, app/audit/refusals.py `record`); it must never raise.
Finished = Callable[[Scope, int], Awaitable[None]]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, finished: Finished) -> None:
        self.app = app
        self.finished = finished

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as exc:
            if response_started:
                error_log.exception("failed after the response started")
                raise
            error: ShushangError
            if is_database_unavailable(exc):
                error = ServiceUnavailable()
                error_log.warning("database unavailable: %s", type(exc).__name__)
            else:
                error = ShushangError()
                error_log.exception("unhandled error")
            response = problem_response(headers, error, scope.get("path"))
            await response(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            principal = scope.get("state", {}).get("principal")
            access_log.info(
                "%s %s %s",
                method,
                scope.get("path"),
                status,
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "key_id": str(principal.key_id) if principal else None,
                    "role": principal.role.value if principal else None,
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            await self.finished(scope, status)
            request_id_var.reset(token)


class HeadMiddleware:
    """HEAD wherever GET (RFC 9110): the request is routed as a GET, and of its answer only
    the status and headers are sent (Content-Length and ETag as a GET's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the GET's scope: principal, problem
        as_get = {**scope, "method": "GET"}

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(as_get, receive, headers_only)
        finally:
            if "route" in as_get:  # for the access log and the metrics
                scope["route"] = as_get["route"]


PROBES = frozenset({"/healthz", "/readyz", "/metrics"})  # never limited


class AddressRateLimitMiddleware:
    """Who is anonymous, and the limit of those who are (DOMAIN.md "Keys").

    A request without `Authorization` is anonymous: limited per client address
    (app/core/ratelimit.py, AddressLimits: shared by all processes through leases, so most
    requests cost no statement here). A request with it is never anonymous: it must
    authenticate a live key on every route, public ones included, or it is 401, and each
    401 takes from the address's budget of refused keys. An empty header, another scheme
    or a string of no key's shape is refused here, before the app. A key of the right shape
    is looked up, and limited per key, in the statement of the route's dependency
    (app/web/auth.py) or the trade committer; for a route that looks no key up
    (venues, certificates, ledger proofs, the docs, a 404), it is looked up here once the
    app answers and before a byte of that answer goes out, which is then a 401 (or 429) if
    the key does not work. Probes answer whatever is sent, and are never limited."""

    def __init__(
        self,
        app: ASGIApp,
        limits: AddressLimits,
        engine: AsyncEngine,
        key_rate: Rate | None,
        lookup: PrincipalLookup,
    ) -> None:
        self.app = app
        self.limits = limits
        self.engine = engine
        self.key_rate = key_rate
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBES:
            await self.app(scope, receive, send)
            return
        address = client_address((scope.get("client") or (None, 0))[0])
        authorization = [value for name, value in scope["headers"] if name == b"authorization"]
        if authorization:
            wait = self.limits.failed_keys.exhausted(address)  # no statement: as known here
        else:
            wait = await self.limits.anonymous.acquire(address)
        if wait is not None:
            await self._answer(scope, receive, send, RateLimited(wait))
            return
        if not authorization:
            await self.app(scope, receive, send)
            return
        try:
            if len(authorization) > 1:
                raise Unauthorized(BEARER_ONLY)  # which key would it be?
            token = bearer_token(authorization[0].decode("latin-1"))
        except Unauthorized as refusal:
            await self.limits.failed_keys.acquire(address)
            await self._answer(scope, receive, send, refusal)
            return
        refused = False

        async def checked(message: Message) -> None:
            nonlocal refused
            if refused:
                return  # the app's answer, replaced by the refusal
            if message["type"] == "http.response.start":
                status = message["status"]
                if status != 429 and status != 401 and _admitted(scope) is None:
                    refusal = await self._admit(scope, token)
                    if refusal is not None:
                        refused = True
                        status = refusal.status
                        await self._answer(scope, receive, send, refusal)
                if status == 401:
                    await self.limits.failed_keys.acquire(address)
                if refused:
                    return
            await send(message)

        await self.app(scope, receive, checked)

    async def _admit(self, scope: Scope, token: str) -> ShushangError | None:
        """Look up the key of a request whose route did not: None if it works (and the
        request is counted against its limit), else the refusal to answer instead."""
        async with self.engine.connect() as connection:
            admitted = await self.lookup(
                await driver_of(connection), hash_token(token), self.key_rate
            )
        if admitted.principal is None:
            return Unauthorized(UNKNOWN_KEY)
        scope.setdefault("state", {})["principal"] = admitted.principal
        if admitted.retry_after is not None:
            return RateLimited(admitted.retry_after)
        return None

    @staticmethod
    async def _answer(scope: Scope, receive: Receive, send: Send, error: ShushangError) -> None:
        remember(scope, error)  # a refused write is audited (app/audit/refusals.py)
        await problem_response(Headers(scope=scope), error, scope["path"])(scope, receive, send)


def _admitted(scope: Scope) -> Principal | None:
    """The principal a route (or the trade lane) admitted for this request, if any."""
    found = scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else None


class BodyLimitMiddleware:
    """Request bodies may not dawdle or sprawl.

    Every body, uploads included, must keep arriving: a wait of more than
    `body_timeout_seconds` for its next part is answered 408 (a slow client holds no worker
    and no connection for long). Every body is capped as a whole: an upload (multipart, to
    the `upload_path` route) at `upload_max_bytes` plus `upload_envelope` for its other parts and
    boundaries (the file part alone is capped at `upload_max_bytes` as it streams), a path
    that `larger` names at its own cap (a bulk import streams more than a JSON body may
    hold), any other body at `max_bytes`: 413 from the Content-Length, or at the first byte
    past the limit of a body sent without one, counted as it passes (nothing is buffered). Either
    way the app then sees the client leave, and what it answers goes nowhere.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        body_timeout_seconds: float,
        upload_max_bytes: int,
        upload_path: re.Pattern[str],
        upload_envelope: int,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.upload_max_bytes = upload_max_bytes
        self.upload_path = upload_path  # app/samples/upload.py
        self.upload_envelope = upload_envelope
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = (
            scope["method"] == "POST"
            and self.upload_path.fullmatch(scope["path"]) is not None
            and headers.get("content-type", "").startswith("multipart/form-data")
        )
        if upload:
            limit = self.upload_max_bytes + self.upload_envelope
        else:
            limit = self.larger.get(scope["path"], self.max_bytes)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(headers, scope, receive, send, self._too_large(upload, limit))
            return
        seen = 0
        started = refused = body_done = False

        async def guarded_receive() -> Message:
            nonlocal seen, body_done
            if refused:
                return {"type": "http.disconnect"}
            if body_done:  # e.g. a streaming response listening for the client to leave
                return await receive()
            try:
                async with asyncio.timeout(self.body_timeout_seconds):  # no task per part
                    message = await receive()
            except TimeoutError:
                return await refuse(
                    RequestTimeout(
                        Text(
                            f"The request body stalled for {self.body_timeout_seconds:g} s.",
                            f"请求体停顿超过 {self.body_timeout_seconds:g} 秒。",
                        )
                    )
                )
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    return await refuse(self._too_large(upload, limit))
                body_done = not message.get("more_body", False)
            return message

        async def refuse(error: ShushangError) -> Message:
            nonlocal refused
            refused = True
            if not started:
                await self._refuse(headers, scope, receive, send, error)
            return {"type": "http.disconnect"}

        async def watched_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the problem has been answered; what the app says now goes nowhere
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, guarded_receive, watched_send)

    def _too_large(self, upload: bool, limit: int) -> PayloadTooLarge:
        if upload:
            return PayloadTooLarge(
                Text(
                    f"The upload is larger than {self.upload_max_bytes} bytes for the file "
                    f"and {self.upload_envelope} for the rest of the form.",
                    f"上传超过上限:文件 {self.upload_max_bytes} 字节,表单其余部分 "
                    f"{self.upload_envelope} 字节。",
                ),
                limit_bytes=self.upload_max_bytes,
            )
        return PayloadTooLarge(
            Text(
                f"The request body is larger than {limit} bytes.",
                f"请求体超过 {limit} 字节。",
            )
        )

    async def _refuse(
        self, headers: Headers, scope: Scope, receive: Receive, send: Send, error: ShushangError
    ) -> None:
        await problem_response(headers, error, scope.get("path"))(scope, receive, send)
