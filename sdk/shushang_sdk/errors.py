"""Problems the API answered (RFC 9457 problem details), as exceptions."""

from __future__ import annotations

from typing import Any


class ShushangError(Exception):
    """Any error answer. `problem` is the problem-details body as sent."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.type: str = problem.get("type", "about:blank")
        self.title: str = problem.get("title", "")
        self.detail: str = problem.get("detail", "")
        super().__init__(f"{status} {self.title}: {self.detail}".strip())


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
        return list(self.problem.get("missing", []))

    @property
    def current_status(self) -> str | None:
        return self.problem.get("current_status")


class PreconditionFailed(ShushangError):
    """412: the If-Match was stale."""


class PayloadTooLarge(ShushangError):
    pass


class ValidationFailed(ShushangError):
    """422. `errors` lists each field: `loc` and `msg`."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.problem.get("errors", []))


class RateLimited(ShushangError):
    """429: wait `retry_after` seconds."""

    def __init__(self, status: int, problem: dict[str, Any], retry_after: float | None) -> None:
        super().__init__(status, problem)
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
    503: ServerUnavailable,
}


def from_response(status: int, problem: dict[str, Any], retry_after: float | None) -> ShushangError:
    if status == 429:
        return RateLimited(status, problem, retry_after)
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ShushangError)
    return kind(status, problem)
