"""The trade lane: `POST /v1/transactions` in plain ASGI, for requests that are well formed.

Recording trades is the hot path of an exchange (DESIGN.md: trade recording within half of
raw INSERT throughput). FastAPI's routing, dependency solving and request objects cost
more than everything else a trade needs, so this lane, ahead of FastAPI, takes a request
whose Bearer token, Idempotency-Key and JSON body are well formed and hands it to the group
committer (app/trades/recorder.py), which authenticates the key and checks the trade with
the rest of its batch, in one statement.

Every other request for the path (no key, a body that does not validate, another content
type …) goes on to the documented route in app/trades/router.py, which answers exactly as
it always has. Both end in the same committer, so a trade is recorded the same way
whichever way it came; only the work of refusing malformed requests is left to FastAPI.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.context import current_request_id
from app.core.errors import ShushangError, remember
from app.core.tokens import hash_token, looks_like_token
from app.trades import service
from app.trades.recorder import Answer, GroupCommitter, Submission
from app.trades.schemas import TradeCreate
from app.web.problems import problem_response

PATH = "/v1/transactions"
MAX_KEY_LENGTH = 255  # as the route's Idempotency-Key header declares
_ROUTE = SimpleNamespace(path=PATH)  # what the access log and metrics label requests by


def answered(answer: Answer) -> Response:
    """The HTTP response to a recording request's answer (the lane's and the route's)."""
    headers = {"Location": f"{PATH}/{answer.trade_id}"}
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        answer.content, status_code=answer.status, headers=headers, media_type="application/json"
    )


class TradeLane:
    def __init__(self, app: ASGIApp, committer: GroupCommitter) -> None:
        self.app = app
        self.committer = committer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left (or the body limit refused it, and answered)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        submission = _well_formed(scope, bytes(body))
        if submission is None:
            await self.app(scope, _replaying(bytes(body), receive), send)
            return
        scope["route"] = _ROUTE
        try:
            response = answered(await self.committer.record(submission))
        except ShushangError as refusal:
            remember(scope, refusal)
            response = problem_response(Headers(scope=scope), refusal, PATH)
        finally:  # the key the committer found, for the access log (as the route sets it)
            scope.setdefault("state", {})["principal"] = submission.caller
        await response(scope, receive, send)


def _well_formed(scope: Scope, body: bytes) -> Submission | None:
    """The request as a submission, or None for the documented route to answer."""
    authorization = content_type = key = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is not None:
                return None
            authorization = value.decode("latin-1")
        elif name == b"content-type":
            content_type = value
        elif name == b"idempotency-key":
            if key is not None:
                return None
            key = value.decode("latin-1")
    if not key or len(key) > MAX_KEY_LENGTH or authorization is None:
        return None
    if scope.get("query_string"):  # the route takes none: it answers 422 naming them
        return None
    if content_type is None or content_type.split(b";")[0].strip().lower() != b"application/json":
        return None
    scheme, token = get_authorization_scheme_param(authorization)
    if scheme.lower() != "bearer" or not looks_like_token(token):
        return None
    try:
        data = TradeCreate.model_validate(json.loads(body))  # as FastAPI reads a body
    except (ValueError, RecursionError, ValidationError):
        return None
    return Submission(
        data=data,
        idempotency_key=key,
        request_hash=service.request_hash(data),
        token_hash=hash_token(token),
        request_id=current_request_id(),
    )


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the route: the body already read, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
