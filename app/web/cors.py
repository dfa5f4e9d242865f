"""CORS for exchange front ends on other origins (DESIGN.md, "Front ends").

`SHUSHANG_CORS_ORIGINS` names the exact origins allowed; without any, no CORS header is
ever sent. Starlette's CORSMiddleware does the work, with three changes of contract: a
preflight from an allowed origin is answered 204 (no body); a preflight from any other
origin gets no CORS header at all (it goes on to the app, which answers 405 with `Allow`),
nor does any other request from an origin not allowed;
and a preflight asking for a method or header we do not allow is a problem+json 400.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BadRequest
from app.core.i18n import Text
from app.web.problems import problem_response

METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]
REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
]
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Content-Language",
]


class Cors(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=METHODS,
            allow_headers=REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if scope["method"] != "OPTIONS":
            if origin is not None and self.is_allowed_origin(origin):
                await super().__call__(scope, receive, send)
            else:  # Starlette would still add Expose-Headers to every answer
                await self.app(scope, receive, _varying_by_origin(send))
            return
        if (
            origin is None
            or "access-control-request-method" not in headers
            or not self.is_allowed_origin(origin)
        ):
            await self.app(scope, receive, send)  # not a preflight we answer: no CORS headers
            return
        answer = self.preflight_response(request_headers=headers)
        if answer.status_code == 200:
            kept = {
                name: value
                for name, value in answer.headers.items()
                if name not in ("content-length", "content-type")
            }
            answer = Response(status_code=204, headers=kept)
        else:
            why = bytes(answer.body).decode(errors="replace")
            answer = problem_response(
                headers,
                BadRequest(Text(f"{why}.", f"跨域预检未通过:{why}。")),
                scope.get("path"),
            )
        await answer(scope, receive, send)


def _varying_by_origin(send: Send) -> Send:
    """`Vary: Origin` on answers without CORS headers too, so that no cache hands one to a
    page on an allowed origin (which would then be blocked)."""

    async def varying(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).add_vary_header("Origin")
        await send(message)

    return varying
