"""The blocking client is the async one, run on a private event loop in a thread: each
resource method is declared once more, in one typed line (`get = blocking(Merchants.get)`),
and calls through that loop; async iterators become iterators."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from anyio.from_thread import BlockingPortal, start_blocking_portal

A = TypeVar("A")
P = ParamSpec("P")
T = TypeVar("T")


class Loop:
    """A private event loop in a thread, for the blocking client's calls."""

    def __init__(self) -> None:
        self._context: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self.portal = self._context.__enter__()

    def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        return self.portal.call(fn)

    def close(self) -> None:
        self._context.__exit__(None, None, None)


class Blocking(Generic[A]):
    """A resource of the blocking client: the async resource and the loop to run it on."""

    def __init__(self, inner: A, loop: Loop) -> None:
        self._inner = inner
        self._loop = loop


class blocking(Generic[A, P, T]):
    def __init__(self, fn: Callable[Concatenate[A, P], Awaitable[T]]) -> None:
        self._fn = fn
        self.__doc__ = fn.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> blocking[A, P, T]: ...
    @overload
    def __get__(self, obj: Blocking[A], owner: type[Any]) -> Callable[P, T]: ...
    def __get__(
        self, obj: Blocking[A] | None, owner: type[Any]
    ) -> blocking[A, P, T] | Callable[P, T]:
        if obj is None:
            return self
        fn, inner, loop = self._fn, obj._inner, obj._loop

        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return loop.call(functools.partial(fn, inner, *args, **kwargs))

        return call


class blocking_iter(Generic[A, P, T]):
    def __init__(self, fn: Callable[Concatenate[A, P], AsyncIterator[T]]) -> None:
        self._fn = fn
        self.__doc__ = fn.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> blocking_iter[A, P, T]: ...
    @overload
    def __get__(self, obj: Blocking[A], owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    def __get__(
        self, obj: Blocking[A] | None, owner: type[Any]
    ) -> blocking_iter[A, P, T] | Callable[P, Iterator[T]]:
        if obj is None:
            return self
        fn, inner, loop = self._fn, obj._inner, obj._loop

        def iterate(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
            items = fn(inner, *args, **kwargs)
            while True:
                try:
                    yield loop.call(items.__anext__)
                except StopAsyncIteration:
                    return

        return iterate
