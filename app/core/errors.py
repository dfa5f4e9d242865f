"""The error hierarchy, each error able to say itself as RFC 9457 `application/problem+json`.

    ShushangError                    500  any failure of ours, never shown in detail
    ├── BadRequest                   400  malformed header, cursor or parameter
    ├── ValidationFailed             422  a body or query that breaks a rule, with `errors[]`
    ├── IdempotencyMismatch          422  an Idempotency-Key used for another request
    ├── Unauthorized                 401  no key, unknown key, revoked key
    ├── Forbidden                    403  the caller's role or merchant may not do this
    ├── NotFound                     404  unknown, or not visible to the caller
    ├── MethodNotAllowed             405
    ├── Conflict                     409  state conflict or duplicate
    │   └── IdempotencyInFlight      409  the first request with this key still runs
    ├── PreconditionFailed           412  stale `If-Match`
    ├── PreconditionRequired         428  a step that changes money or title, with neither
    │                                     `If-Match` nor `Idempotency-Key`
    ├── PayloadTooLarge              413
    ├── RateLimited                  429  with `Retry-After`
    └── ServiceUnavailable           503  the database cannot be reached

`title` and `detail` follow `Accept-Language` (Chinese for `zh*`, English otherwise);
`type` and the extension members never change with the language. The tree only: whether a
database failure means "the database is away" is app/core/db.py's (`is_database_unavailable`,
`sqlstate`); the HTTP handlers that answer with these are app/web/problems.py.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any, ClassVar

from starlette.responses import Response

from app.core.i18n import Text

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:shushang:problem:"


class ShushangError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[Text] = Text("Internal server error", "服务器内部错误")
    default_detail: ClassVar[Text] = Text(
        "The server could not complete the request.", "服务器无法完成该请求。"
    )

    def __init__(
        self,
        detail: Text | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = dict(headers or {})
        self.extensions = extensions
        super().__init__(self.detail.en)

    @classmethod
    def type_uri(cls) -> str:
        return PROBLEM_TYPE_PREFIX + cls.slug

    def to_problem(self, chinese: bool, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri(),
            "title": self.title.pick(chinese),
            "status": self.status,
            "detail": self.detail.pick(chinese),
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class BadRequest(ShushangError):
    status = 400
    slug = "bad-request"
    title = Text("Bad request", "请求有误")
    default_detail = Text("The request is malformed.", "请求格式有误。")


class ValidationFailed(ShushangError):
    status = 422
    slug = "validation-failed"
    title = Text("Validation failed", "校验未通过")
    default_detail = Text("Some fields are not valid.", "部分字段未通过校验。")

    def __init__(self, detail: Text | None = None, *, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(detail, errors=[dict(e) for e in errors])

    def to_problem(self, chinese: bool, instance: str | None = None) -> dict[str, Any]:
        """As every problem, with each `errors[].msg` given as `Text` in the caller's language."""
        body = super().to_problem(chinese, instance)
        body["errors"] = [
            {**e, "msg": e["msg"].pick(chinese)} if isinstance(e.get("msg"), Text) else e
            for e in body["errors"]
        ]
        return body

    @classmethod
    def field(cls, loc: Sequence[str | int], message: Text) -> ValidationFailed:
        """One bad field: the detail names it in the caller's language, `errors[]` in English."""
        where = ".".join(str(part) for part in loc)
        return cls(
            Text(f"{where}: {message.en}", f"{where}:{message.zh}"),
            errors=[{"loc": list(loc), "msg": message}],
        )


class Unauthorized(ShushangError):
    status = 401
    slug = "unauthorized"
    title = Text("Unauthorized", "未认证")
    default_detail = Text(
        "A valid API key is required: send `Authorization: Bearer <key>`.",
        "需要有效的 API 密钥:请发送 `Authorization: Bearer <密钥>`。",
    )

    def __init__(self, detail: Text | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="shushang"'})


class Forbidden(ShushangError):
    status = 403
    slug = "forbidden"
    title = Text("Forbidden", "无权操作")
    default_detail = Text(
        "Your API key's role may not do this.", "您的 API 密钥所属角色无权执行此操作。"
    )


class NotFound(ShushangError):
    status = 404
    slug = "not-found"
    title = Text("Not found", "未找到")
    default_detail = Text("No such resource.", "资源不存在。")

    @classmethod
    def of(cls, kind: Text, key: object) -> NotFound:
        return cls(Text(f"No {kind.en} {key}.", f"{kind.zh} {key} 不存在。"))


class MethodNotAllowed(ShushangError):
    status = 405
    slug = "method-not-allowed"
    title = Text("Method not allowed", "不支持该方法")
    default_detail = Text(
        "This resource does not support that method.", "该资源不支持此 HTTP 方法。"
    )


class Conflict(ShushangError):
    status = 409
    slug = "conflict"
    title = Text("Conflict", "状态冲突")
    default_detail = Text(
        "The request conflicts with the resource's state.", "请求与资源的当前状态冲突。"
    )


class Duplicate(Conflict):
    slug = "duplicate"
    title = Text("Already exists", "已存在")


class PreconditionFailed(ShushangError):
    status = 412
    slug = "precondition-failed"
    title = Text("Precondition failed", "前置条件不满足")
    default_detail = Text(
        "The resource changed since you read it: fetch it again and retry with its new ETag.",
        "资源在您读取后已被修改:请重新获取并使用新的 ETag 重试。",
    )


class PreconditionRequired(ShushangError):
    """A step that changes money or title (app/web/idempotency.py) sent without a way to tell its
    retry from a second request."""

    status = 428
    slug = "precondition-required"
    title = Text("Precondition required", "缺少前置条件")
    default_detail = Text(
        "This step changes money or title: send `Idempotency-Key` (a fresh value per step, "
        "the same on its retries) or `If-Match` with the ETag you read, so that a retry "
        "cannot do it twice.",
        "该操作涉及资金或权属变动:请发送 `Idempotency-Key`(每次操作一个新值,重试时保持不变)"
        "或携带所读取 ETag 的 `If-Match`,以免重试导致重复执行。",
    )


class IdempotencyInFlight(Conflict):
    slug = "idempotency-in-flight"
    title = Text("Request in progress", "请求处理中")
    default_detail = Text(
        "A request with this Idempotency-Key is still in progress; retry shortly.",
        "使用该幂等键的请求仍在处理中,请稍后重试。",
    )

    def __init__(self, detail: Text | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "1"})


class IdempotencyMismatch(ShushangError):
    status = 422
    slug = "idempotency-key-reused"
    title = Text("Idempotency-Key reused", "幂等键被复用")
    default_detail = Text(
        "This Idempotency-Key was used for a different request.",
        "该幂等键已用于另一个不同的请求。",
    )


class PayloadTooLarge(ShushangError):
    status = 413
    slug = "payload-too-large"
    title = Text("Payload too large", "请求体过大")


class RequestTimeout(ShushangError):
    status = 408
    slug = "request-timeout"
    title = Text("Request timeout", "请求超时")


class RateLimited(ShushangError):
    status = 429
    slug = "rate-limited"
    title = Text("Too many requests", "请求过于频繁")

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            Text(
                f"Rate limit reached; retry after {retry_after_seconds} s.",
                f"已达到频率限制,请在 {retry_after_seconds} 秒后重试。",
            ),
            headers={"Retry-After": str(retry_after_seconds)},
        )


class ServiceUnavailable(ShushangError):
    status = 503
    slug = "service-unavailable"
    title = Text("Service unavailable", "服务暂不可用")
    default_detail = Text(
        "The database cannot be reached; retry shortly.", "暂时无法连接数据库,请稍后重试。"
    )

    def __init__(self, detail: Text | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "2"})


class Answered(Exception):
    """Not a failure: a dependency that holds the request's answer already (the first answer
    to a step's Idempotency-Key, app/web/idempotency.py) raises it, and app/web/problems.py
    `handle_answered` sends it. The endpoint does not run and nothing the request began is
    committed."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


_ANSWERED = "problem"


def remember(scope: MutableMapping[str, Any], error: ShushangError) -> None:
    """Note on the request's scope the problem it is answered with (the audit trail of
    refused writes reads it: app/audit/refusals.py)."""
    scope.setdefault("state", {})[_ANSWERED] = error


def answered_problem(scope: Mapping[str, Any]) -> ShushangError | None:
    found = scope.get("state", {}).get(_ANSWERED)
    return found if isinstance(found, ShushangError) else None
