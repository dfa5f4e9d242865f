"""Validators and caching over HTTP: strong `ETag`s, `If-None-Match` → 304, `If-Match` → 412,
and `Cache-Control`.

- Every successful GET whose body is sent whole carries a strong ETag derived from the
  body's bytes, so it changes exactly when what the caller reads changes (a merchant's
  listed-product count, a card's grade, `allowed_actions` …), whoever asked. A resource
  with a version (merchants, products, listings, …) carries `"<version>.<digest>"`: routes
  set `"<version>"` (`set_etag`) and `ConditionalRequests` appends the digest of the body.
- A read whose body is a function of a few values known before the body is built (the
  version, the caller's view of it, a count, today's date) takes its ETag from those
  (`validator`): `"<version>.<digest of the values>"`, final as the route sets it, and the
  route answers a matching `If-None-Match` 304 itself (`not_modified`) without building or
  serializing the body. The values include the response model's schema, so a release that
  changes what the body holds changes the ETag too. Lists whose rows carry a version do
  the same with each row's id and version (and the caller's view of it), the cursor and
  any counts: products (also the search), listings and venues.
- `If-None-Match` matching that ETag (or `*`) is answered 304 with no body.
- `If-Match` on a change names the version the caller read: `"<version>.<digest>"` from a
  GET, or the bare `"<version>"`; only the version is compared (`check_if_match`), so a
  change is refused exactly when someone else changed the resource in between.
- `Cache-Control`: `private, no-cache` for reads with a key; reads without one are the same
  for everyone, `public, max-age=` a setting (venues their own, longer); a route that says
  otherwise (immutable ledger tiles) keeps its own. `Vary: Authorization` on every read.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PreconditionFailed
from app.core.i18n import Text


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


def _version_of(tag: str) -> str:
    """The version an ETag of ours names: `"3.Ab…"` and `"3"` both name 3."""
    return tag.strip().removeprefix("W/").strip('"').split(".", 1)[0]


def check_if_match(if_match: str | None, version: int) -> None:
    """412 unless `If-Match` is absent, `*`, or names the current version."""
    if if_match is None:
        return
    for candidate in if_match.split(","):
        if candidate.strip() == "*" or _version_of(candidate) == str(version):
            return
    current = etag_of(version)
    raise PreconditionFailed(
        Text(
            f"If-Match {if_match} is stale; the current version is {current}.",
            f"If-Match {if_match} 已过期;当前版本为 {current}。",
        ),
        current_etag=current,
    )


def validator(version: int | None, shape: type[BaseModel], *values: object) -> str:
    """The strong ETag of a body that is a function of `version`, the response model
    `shape` and `values` (whatever else the body shows: the caller's view of it, counts,
    dates); without a version, `"<digest>"` alone. `values` are compared by their `repr`."""
    digest = _digest(repr((_schema_of(shape), values)).encode())
    return f'"{version}.{digest}"' if version is not None else f'"{digest}"'


@cache
def _schema_of(shape: type[BaseModel]) -> str:
    schema = json.dumps(shape.model_json_schema(mode="serialization"), sort_keys=True)
    return _digest(schema.encode())


def not_modified(request: Request, response: Response, etag: str) -> Response | None:
    """Set `etag` (final, see `validator`); a 304 to answer instead of the body when the
    request's `If-None-Match` holds it. ConditionalRequests adds the caching headers."""
    response.headers["ETag"] = etag
    if request.method in ("GET", "HEAD") and _matches(
        request.headers.get("if-none-match", ""), etag
    ):
        return Response(status_code=304, headers={"ETag": etag})
    return None


def _digest(body: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:15]).decode()


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks of If-None-Match."""
    mine = etag.removeprefix("W/")
    return any(
        c.strip() == "*" or c.strip().removeprefix("W/") == mine for c in if_none_match.split(",")
    )


class ConditionalRequests:
    """ETags from bodies, 304s, and Cache-Control (see the module's docstring)."""

    def __init__(self, app: ASGIApp, public_max_age: int, venues_max_age: int) -> None:
        self.app = app
        self.public_max_age = public_max_age
        self.venues_max_age = venues_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        is_get = scope["method"] == "GET"
        keyed = "authorization" in request
        start: Message | None = None

        async def conditional(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 304 and is_get:  # a route's own (`not_modified`)
                    self._cache_headers(MutableHeaders(scope=message), keyed, scope["path"])
                if message["status"] not in (200, 201):
                    await send(message)
                    return
                start = message  # held until the body tells whether it is whole
                return
            if start is None:
                await send(message)
                return
            held, start = start, None
            headers = MutableHeaders(scope=held)
            body = message.get("body", b"")
            whole = not message.get("more_body", False)
            if whole and (is_get or "etag" in headers):
                etag = headers.get("etag")
                if etag is None:
                    etag = headers["ETag"] = f'"{_digest(body)}"'
                elif (version := etag.strip('"')).isdigit():  # the digest of the body completes it
                    etag = headers["ETag"] = f'"{version}.{_digest(body)}"'
                # else final: the route's `validator`
                if is_get and _matches(request.get("if-none-match", ""), etag):
                    await send(self._not_modified(held, etag, keyed, scope["path"]))
                    await send({"type": "http.response.body", "body": b""})
                    return
            if is_get:
                self._cache_headers(headers, keyed, scope["path"])
            await send(held)
            await send(message)

        await self.app(scope, receive, conditional)

    def _cache_headers(self, headers: MutableHeaders, keyed: bool, path: str) -> None:
        headers.add_vary_header("Authorization")
        if "cache-control" in headers:
            return
        if keyed:
            headers["Cache-Control"] = "private, no-cache"
        else:
            age = self.venues_max_age if path.startswith("/v1/venues") else self.public_max_age
            headers["Cache-Control"] = f"public, max-age={age}"

    def _not_modified(self, held: Message, etag: str, keyed: bool, path: str) -> Message:
        kept = MutableHeaders(scope=held)
        headers = MutableHeaders()
        for name in ("x-request-id", "vary", "content-location", "cache-control"):
            if name in kept:
                headers[name] = kept[name]
        headers["ETag"] = etag
        self._cache_headers(headers, keyed, path)
        return {"type": "http.response.start", "status": 304, "headers": headers.raw}
