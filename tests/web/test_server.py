"""What the server answers a request that never reaches the app."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def _raw_get(url: str, target: str) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as raw:
        request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        raw.sendall(request.encode("ascii"))
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    return answer


def test_a_target_too_long_to_parse_is_a_problem(live_url: str) -> None:
    """A request-target of 64 KiB or more (curl or a browser sends one; the fuzzer did, as
    many query values) is beyond httptools' URL parser: a problem, not uvicorn's text."""
    answer = _raw_get(live_url, "/v1/api-keys?cursor=" + "a" * 65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"content-type: application/problem+json" in head.lower()
    assert b'"urn:shushang:problem:bad-request"' in body
    # Just under the limit, the app answers (401: no key).
    assert _raw_get(live_url, "/v1/api-keys?cursor=" + "a" * 60000).startswith(b"HTTP/1.1 401")
