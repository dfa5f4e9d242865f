"""What every answer carries besides its body: `Meta` (status, ETag, request id, whether an
Idempotency-Key replayed it), on the generated models (`Model.meta`), on the ledger's JSON
(`Json.meta`) and alone for answers without a body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from pydantic import BaseModel, ConfigDict, PrivateAttr


@dataclass(frozen=True)
class Meta:
    """The metadata of one answer.

    `etag` is what to send back as `version=` to change the resource only if nobody changed
    it meanwhile; `request_id` is what the exchange's support asks for (it is in the server's
    logs and audit trail); `replayed` is true when the server answered from an earlier request
    with the same Idempotency-Key instead of doing it again."""

    status: int = 0
    etag: str | None = None
    request_id: str | None = None
    replayed: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, response: httpx.Response) -> Meta:
        headers = response.headers
        return cls(
            status=response.status_code,
            etag=headers.get("etag"),
            request_id=headers.get("x-request-id"),
            replayed=headers.get("idempotent-replayed", "").lower() == "true",
            headers=dict(headers),
        )


NO_META = Meta()


class Model(BaseModel):
    """The base of every generated model (`shushang_sdk.models`).

    Fields the server sends that this SDK does not know yet are kept (`model_extra`), so an
    older SDK reads a newer server's answers. `meta` is the answer's metadata; a model you
    built yourself has an empty one."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    _meta: Meta = PrivateAttr(default=NO_META)

    @property
    def meta(self) -> Meta:
        return self._meta


class Json(dict[str, Any]):
    """An answer kept as the JSON the server sent, with its `meta`: the ledger's heads,
    entries and proofs, which verification checks byte for byte (a parser's normalisation of
    a timestamp or a number must not stand between the signature and what it signs). The
    typed view is one call away: `models.TreeHeadOut.model_validate(head)`."""

    meta: Meta = NO_META


@dataclass(frozen=True)
class Download:
    """A file the API sent (a sample's content): its bytes, type, name and the `meta`."""

    content: bytes
    content_type: str
    filename: str | None
    meta: Meta

    @classmethod
    def of(cls, response: httpx.Response) -> Download:
        disposition = response.headers.get("content-disposition", "")
        encoded = disposition.partition("filename*=UTF-8''")[2].split(";")[0]
        plain = disposition.partition("filename=")[2].split(";")[0].strip('"')
        name = unquote(encoded) if encoded else plain or None
        return cls(
            content=response.content,
            content_type=response.headers.get("content-type", "application/octet-stream"),
            filename=name,
            meta=Meta.of(response),
        )
