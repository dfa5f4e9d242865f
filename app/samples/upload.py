"""Receiving a multipart upload as a stream: to a temporary file, hashed, within the size cap.

The body is never held in memory: each chunk the client sends is parsed, counted, hashed
and written to disk as it arrives, and the upload stops with 413 at the first byte of the
file past the cap. The body as a whole (other parts, headers, boundaries) is capped before
it gets here, by `app.web.middleware.BodyLimitMiddleware` (given both by `create_app`): at the
cap plus `ENVELOPE_BYTES`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from app.core.errors import BadRequest, PayloadTooLarge, ValidationFailed
from app.core.i18n import Text

# Room for everything in an upload's body besides the file: part headers, boundaries and
# small fields. A body larger than the cap plus this is refused (413).
ENVELOPE_BYTES = 64 * 1024
# The one route that takes multipart uploads (app/samples/router.py): only its bodies get
# the upload cap; any other body, multipart or not, is held to the JSON cap.
UPLOAD_PATH = re.compile(r"/v1/products/[^/]+/samples")


@dataclass
class ReceivedFile:
    path: Path
    filename: str | None
    media_type: str | None
    size: int
    sha256: str


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str | None = None
    filename: str | None = None


@dataclass
class _Progress:
    size: int = 0
    found: _Part | None = None
    in_file: bool = False


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        Text(
            f"The sample is larger than {limit} bytes.",
            f"样本超过 {limit} 字节的上限。",
        ),
        limit_bytes=limit,
    )


async def receive_file(
    content_type: str | None, body: AsyncIterator[bytes], limit: int, field_name: str = "file"
) -> ReceivedFile:
    """Stream the multipart field `field_name` to a temporary file; the caller deletes it."""
    media, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise BadRequest(
            Text(
                "Send the sample as multipart/form-data with a `file` field.",
                "请以 multipart/form-data 上传,文件字段名为 `file`。",
            )
        )

    handle, name = tempfile.mkstemp(prefix="shushang-sample-")
    path = Path(name)
    out = os.fdopen(handle, "wb")
    digest = hashlib.sha256()
    state = _Progress()
    part = _Part()
    header_field = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part.headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = disposition.get(b"filename")
        part.filename = raw_filename.decode("utf-8", "replace") if raw_filename else None
        if part.name == field_name and state.found is None:
            state.found = part
            state.in_file = True

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not state.in_file:
            return
        chunk = data[start:end]
        state.size += len(chunk)
        if state.size > limit:
            raise _too_large(limit)
        digest.update(chunk)
        out.write(chunk)

    def on_part_end() -> None:
        state.in_file = False

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        out.close()
        path.unlink(missing_ok=True)
        raise BadRequest(
            Text("The multipart body is malformed.", "multipart 请求体格式错误。")
        ) from exc
    except ClientDisconnect as exc:
        # The client left, or the body limit cut it off and has answered 413 already: this
        # answer goes nowhere, but it ends the request as an error of the client's.
        out.close()
        path.unlink(missing_ok=True)
        raise BadRequest(
            Text("The upload ended before its body did.", "上传在请求体结束前中断。")
        ) from exc
    except BaseException:
        out.close()
        path.unlink(missing_ok=True)
        raise
    out.close()
    found = state.found
    if found is None:
        path.unlink(missing_ok=True)
        raise ValidationFailed.field(
            ["body", field_name],
            Text("is missing: send the sample as this field", "缺失:请以该字段上传样本"),
        )
    return ReceivedFile(
        path=path,
        filename=found.filename,
        media_type=found.headers.get(b"content-type", b"").decode("latin-1") or None,
        size=state.size,
        sha256=digest.hexdigest(),
    )
