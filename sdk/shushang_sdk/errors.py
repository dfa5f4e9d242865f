"""Problems the API answered (RFC 9457 problem details), as exceptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ShushangError(Exception):
    """Any error answer: the RFC 9457 problem (`type`, `title`, `detail`, `errors`; `problem`
    is the whole body as sent) and the `request_id` to quote to the exchange. `title` and
    `detail` are in the client's `accept_language` (Chinese for `zh-CN`)."""

    def __init__(
        self,
        status: int,
        problem: dict[str, Any],
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.problem = problem
        self.request_id = request_id
        self.headers: Mapping[str, str] = dict(headers or {})
        self.type: str = problem.get("type", "about:blank")
        self.title: str = problem.get("title", "")
        self.detail: str = problem.get("detail", "")
        said = f"{status} {self.title}: {self.detail}".strip()
        for error in self.errors:
            where = ".".join(str(part) for part in error.get("loc", []))
            said += f"\n  {where}: {error.get('msg', '')}"
        if request_id:
            said += f"\n  (request {request_id})"
        super().__init__(said)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Each invalid field of a 422: `loc` (where) and `msg` (what, in your language)."""
        found = self.problem.get("errors")
        return list(found) if isinstance(found, list) else []


class BadRequest(ShushangError):
    pass


class Unauthorized(ShushangError):
    pass


class Forbidden(ShushangError):
    pass


class NotFound(ShushangError):
    pass


class Conflict(ShushangError):
    """409. `missing` names unmet listing gates, when that is the conflict."""

    @property
    def missing(self) -> list[str]:
        return list(self.problem.get("missing") or [])

    @property
    def current_status(self) -> str | None:
        return self.problem.get("current_status")


class PreconditionFailed(ShushangError):
    """412: the If-Match was stale."""


class PreconditionRequired(ShushangError):
    """428: a step that changes money or title went without `Idempotency-Key` or `If-Match`
    (the SDK sends a key on every such step: only a hand-made request meets this)."""


class PayloadTooLarge(ShushangError):
    pass


class ValidationFailed(ShushangError):
    """422. `errors` lists each field: `loc` and `msg`."""


class RateLimited(ShushangError):
    """429: wait `retry_after` seconds."""

    def __init__(
        self,
        status: int,
        problem: dict[str, Any],
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, problem, request_id, headers)
        self.retry_after = retry_after


class ServerUnavailable(ShushangError):
    """503: the service or its database is away for now."""


class ServerError(ShushangError):
    pass


class VerificationFailed(Exception):
    """A proof, signature or entry did not check out: do not trust what it covers."""


_BY_STATUS: dict[int, type[ShushangError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    422: ValidationFailed,
    428: PreconditionRequired,
    503: ServerUnavailable,
}


def from_response(
    status: int,
    problem: dict[str, Any],
    retry_after: float | None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ShushangError:
    if status == 429:
        return RateLimited(status, problem, request_id, headers, retry_after)
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ShushangError)
    return kind(status, problem, request_id, headers)
