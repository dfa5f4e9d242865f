"""The HTTP handlers: every failure answered as RFC 9457 `application/problem+json`.

`install` registers them on the app (`create_app`): our own errors (app/core/errors.py),
FastAPI's validation errors (422 with `errors[]`), Starlette's HTTP exceptions (404 and 405
of routing, 413, 400), and the database's: away (503, app/core/db.py
`is_database_unavailable`), text it cannot store (422), a unique constraint a concurrent
request won first (409), a row changed under us (412). Anything else is our bug: 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.db import UNSTORABLE_TEXT, is_database_unavailable, sqlstate
from app.core.errors import (
    PROBLEM_JSON,
    Answered,
    BadRequest,
    Duplicate,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceUnavailable,
    ShushangError,
    ValidationFailed,
    remember,
)
from app.core.i18n import Text, prefers_chinese, validation_message

logger = logging.getLogger("shushang.errors")


def install(app: FastAPI) -> None:
    """Every handler of this module, on `app`."""
    app.add_exception_handler(ShushangError, handle_shushang_error)
    app.add_exception_handler(Answered, handle_answered)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(IntegrityError, handle_integrity_error)
    app.add_exception_handler(StaleDataError, handle_stale_data)
    app.add_exception_handler(SQLAlchemyError, handle_database_error)


async def handle_answered(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Answered)
    return exc.response


def problem_response(
    request_headers: Mapping[str, str], error: ShushangError, instance: str | None = None
) -> JSONResponse:
    chinese = prefers_chinese(request_headers.get("accept-language"))
    headers = dict(error.headers)
    headers["Content-Language"] = "zh-CN" if chinese else "en"
    return JSONResponse(
        error.to_problem(chinese, instance),
        status_code=error.status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _loc(raw: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in raw]


def validation_errors(exc: RequestValidationError) -> ValidationFailed:
    errors = [{"loc": _loc(e.get("loc", ())), "msg": validation_message(e)} for e in exc.errors()]
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
    return ValidationFailed(
        Text(f"Invalid fields: {fields}.", f"以下字段未通过校验:{fields}。"), errors=errors
    )


async def handle_shushang_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ShushangError)
    remember(request.scope, exc)
    return problem_response(request.headers, exc, request.url.path)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(request.headers, validation_errors(exc), request.url.path)


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette names only the first route's,
    and GET and POST of one path are two routes here), HEAD wherever GET."""
    methods: set[str] = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error: ShushangError
    if exc.status_code == 404:
        error = NotFound(Text("No such route.", "没有该路径。"))
    elif exc.status_code == 405:
        error = MethodNotAllowed(headers={"Allow": allowed_methods(request)})
    elif exc.status_code == 413:
        error = PayloadTooLarge(Text("The request body is too large.", "请求体过大。"))
    elif exc.status_code == 400 and "parsing the body" in str(exc.detail):
        error = BadRequest(Text("The request body cannot be parsed.", "无法解析请求体。"))
    elif exc.status_code < 500:
        error = BadRequest(Text(str(exc.detail), str(exc.detail)), headers=exc.headers)
    else:
        error = ShushangError()
    return problem_response(request.headers, error, request.url.path)


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    """SQLAlchemy errors: the database being away is a 503; text it cannot store is the
    client's 422; anything else is our bug (500)."""
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(request.headers, ServiceUnavailable(), request.url.path)
    if sqlstate(exc) in UNSTORABLE_TEXT:
        error = ValidationFailed(
            Text(
                "The request holds characters that cannot be stored, such as NUL (\\u0000).",
                "请求中包含无法保存的字符,例如 NUL(\\u0000)。",
            ),
            errors=[{"loc": ["body"], "msg": "contains a NUL character or invalid text"}],
        )
        return problem_response(request.headers, error, request.url.path)
    raise exc


async def handle_integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A unique constraint that a concurrent request won first: the same 409 as a duplicate."""
    if sqlstate(exc) == "23505":
        duplicate = Duplicate(Text("That already exists.", "该资源已存在。"))
        remember(request.scope, duplicate)
        return problem_response(request.headers, duplicate, request.url.path)
    raise exc


async def handle_stale_data(request: Request, exc: Exception) -> JSONResponse:
    """Another request changed the row between our read and our write."""
    return problem_response(request.headers, PreconditionFailed(), request.url.path)
