"""One webhook POST, so that a receiver cannot turn it against the service or the network.

- The host is resolved once (app/webhooks/urls.py judges every address) and the request is
  sent to one of those addresses, the URL's host name kept in `Host` and in TLS (SNI and
  certificate checking): no second resolution between the check and the call.
- One deadline covers it all (resolving, connecting, sending, the answer): a receiver that
  trickles its answer a byte at a time holds the sender no longer than that.
- Only a bounded prefix of the answer is read (kept for `last_error`); the rest is never
  downloaded.
- No proxy from the environment, no redirects, a fresh connection per delivery (a
  connection verified for one host name is never reused for another on the same address).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from dataclasses import dataclass, field

import httpx

from app.webhooks import urls

logger = logging.getLogger(__name__)

ANSWER_PREFIX_BYTES = 4096


@dataclass(frozen=True)
class Answer:
    """What came of a POST: the status code if one arrived, and the error unless a 2xx."""

    status_code: int | None
    error: str | None


@functools.cache
def _trusted() -> ssl.SSLContext:
    """The system's (or certifi's) CAs, loaded once: loading them takes a fifth of a second."""
    return httpx.create_ssl_context()


def _storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")  # PostgreSQL text holds no NUL


async def _prefix(response: httpx.Response) -> str:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk[: ANSWER_PREFIX_BYTES - len(kept)]
        if len(kept) >= ANSWER_PREFIX_BYTES:
            break  # the rest stays unread; closing the response drops the connection
    return kept.decode("utf-8", errors="replace")


def _described(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


@dataclass(frozen=True)
class Sender:
    """How deliveries reach receivers; tests inject a resolver and the certificates they
    trust."""

    resolver: urls.Resolver = urls.system_resolver
    ssl_context: ssl.SSLContext = field(default_factory=_trusted)

    async def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        deadline_seconds: float,
        allow_private: bool,
    ) -> Answer:
        try:
            async with asyncio.timeout(deadline_seconds):
                target = await urls.resolve(url, allow_private, self.resolver)
                answer = await self._post_to(target, body, headers, deadline_seconds)
        except TimeoutError:
            answer = Answer(None, f"no complete answer within the {deadline_seconds:g} s deadline")
        except urls.UnsafeUrl as exc:
            answer = Answer(None, f"refused: the URL {exc}")
        except Exception as exc:  # whatever a receiver provokes is its failure, not ours
            logger.exception("a webhook POST failed unexpectedly")
            answer = Answer(None, _described(exc))
        return Answer(answer.status_code, None if answer.error is None else _storable(answer.error))

    async def _post_to(
        self, target: urls.Target, body: bytes, headers: dict[str, str], timeout: float
    ) -> Answer:
        pinned = {
            **headers,
            "host": target.url.netloc.decode("ascii"),
            "accept-encoding": "identity",  # a prefix of raw bytes, no decompression bomb
        }
        failure: Answer | None = None
        for address in target.addresses:  # in the resolver's order, like a browser
            async with httpx.AsyncClient(
                verify=self.ssl_context, trust_env=False, follow_redirects=False, timeout=timeout
            ) as client:
                request = client.build_request(
                    "POST",
                    target.url.copy_with(host=address),
                    content=body,
                    headers=pinned,
                    extensions={"sni_hostname": target.url.raw_host.decode("ascii")},
                )
                try:
                    response = await client.send(request, stream=True)
                except httpx.ConnectError as exc:  # this address is down: try the next
                    failure = Answer(None, _described(exc))
                    continue
                except httpx.HTTPError as exc:
                    return Answer(None, _described(exc))
                try:
                    if response.is_success:
                        return Answer(response.status_code, None)
                    prefix = await _prefix(response)
                    return Answer(response.status_code, f"HTTP {response.status_code}: {prefix}")
                except httpx.HTTPError as exc:
                    return Answer(response.status_code, _described(exc))
                finally:
                    await response.aclose()
        assert failure is not None  # resolve() returns at least one address
        return failure
