"""What may run between a route's answer and the request's commit.

The request's one commit point is `app.web.deps.get_session`, whose function-scoped exit
commits once the endpoint has returned, before a byte goes out. A dependency that must
write something about the answer itself in the same transaction (a step's first answer,
kept for its retries: app/web/idempotency.py) registers a hook with `before_commit`;
`BeforeCommitRoute` calls the hooks with the finished response, inside the route's
function-scoped exit stack, so what they flush commits with the route's work, or not at
all. A route that raised runs no hook: a failure keeps nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

Hook = Callable[[Response], Awaitable[None]]
_HOOKS = "before_commit"


def before_commit(request: Request, hook: Hook) -> None:
    """Run `hook` with this request's response before its transaction commits."""
    hooks: list[Hook] | None = getattr(request.state, _HOOKS, None)
    if hooks is None:
        raise RuntimeError(f"{request.scope.get('route')} is not a BeforeCommitRoute")
    hooks.append(hook)


class BeforeCommitRoute(APIRoute):
    """A route whose dependencies may see its response before the request commits."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            hooks: list[Hook] = []
            # Afresh on every try (app/web/replica.py runs a failed read once more).
            setattr(request.state, _HOOKS, hooks)
            response = await handler(request)
            for hook in hooks:
                await hook(response)
            return response

        return handle
