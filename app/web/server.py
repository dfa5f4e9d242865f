"""The HTTP/1.1 protocol the app is served with: uvicorn's httptools one, except that a
request it cannot parse is refused as `application/problem+json` too, not as uvicorn's
`text/plain` "Invalid HTTP request received.".

Such a request never reaches the app. One a real client sends: a request-target of 64 KiB
or more (curl, a browser; httptools' URL parser counts in 16 bits). The request's headers
are not read yet, so the texts are in English."""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.errors import PROBLEM_TYPE_PREFIX, BadRequest


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_TYPE_PREFIX + BadRequest.slug,
                "title": BadRequest.title.en,
                "status": BadRequest.status,
                "detail": "The request is not valid HTTP/1.1, or its target is too long.",
            }
        ).encode()
        head = (
            "HTTP/1.1 400 Bad Request\r\n"
            "content-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()
