"""Certificates people hold: `GET /v1/certificates/{number}.pdf`, the printable
数据知识产权登记证书 with a QR code, and `GET /verify/certificates/{number}`, the page that
QR code opens, which verifies the certificate's registry history in the browser."""

from __future__ import annotations

import html
import json
import secrets
from importlib.resources import files
from string import Template
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from app.certificates import pdf, service
from app.core import signed_note as note
from app.core.config import Settings
from app.core.errors import NotFound
from app.ip import service as ip
from app.ledger.models import REGISTRY_LOG
from app.ledger.signing import signer_of
from app.web.deps import AppSettings, PublicReadSession
from app.web.openapi_docs import errors
from app.web.replica import ReplicaAwareRoute

documents = APIRouter(
    prefix="/v1/certificates", tags=["ip-registrations"], route_class=ReplicaAwareRoute
)
pages = APIRouter(tags=["ip-registrations"], route_class=ReplicaAwareRoute)

Number = Annotated[str, Path(pattern=r"^[0-9]{17}$", examples=["20261133000000001"])]
PDF = "application/pdf"
HTML = "text/html; charset=utf-8"
PAGE = Template(files("app.certificates").joinpath("verify.html").read_text(encoding="utf-8"))


def verify_url(request: Request, settings: Settings, number: str) -> str:
    """The verification page's absolute URL: on the public base URL if one is set, else on
    the URL this request came to."""
    base = settings.public_base_url or str(request.base_url).rstrip("/")
    return f"{base}/verify/certificates/{number}"


@documents.get(
    "/{number}.pdf",
    response_class=Response,
    responses={200: {"content": {PDF: {}}}, **errors(404, 422)},
)
async def certificate_pdf(
    number: Number, session: PublicReadSession, request: Request, settings: AppSettings
) -> Response:
    """The certificate (数据知识产权登记证书) as a one-page PDF, anyone: holder, data and
    product, number, validity, status as of today, the evidence digest, and a QR code to
    `/verify/certificates/{number}` (on `SHUSHANG_PUBLIC_BASE_URL` when set)."""
    found = await service.certificate(session, number)
    body = pdf.render(found, verify_url(request, settings, number))
    return Response(
        body,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="certificate-{number}.pdf"'},
    )


def _csp(nonce: str) -> str:
    """Only this page's own script and style; it talks to this origin only."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


@pages.get(
    "/verify/certificates/{number}",
    response_class=HTMLResponse,
    responses={
        200: {"content": {HTML: {}}},
        404: {
            "description": "No certificate has this number: a page saying so.",
            "content": {HTML: {}},
        },
        **errors(422),
    },
)
async def verify_page(
    number: Number, session: PublicReadSession, request: Request, settings: AppSettings
) -> HTMLResponse:
    """A page anyone can open (the certificate's QR code points here) that checks the
    certificate in the browser: it fetches `/v1/certificates/{number}`, the `IPR` entries of
    its steps, their inclusion proofs and the `IPR` checkpoint; verifies the checkpoint's
    Ed25519 signature (WebCrypto) with the log's verifier key embedded in the page,
    recomputes each step's leaf hash (SHA-256 of its RFC 8785 JSON) and proves it into the
    signed root; then says whether the certificate is valid today, and why not."""
    try:
        await ip.certificate(session, number)
    except NotFound:
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>404</title>"
            f"<p>没有编号为 {number} 的证书。No certificate has the number {number}.</p>",
            status_code=404,
        )
    vkey = note.verifier_key(
        note.origin_of(settings.log_origin, REGISTRY_LOG), signer_of(request.app.state).public_key
    )
    nonce = secrets.token_urlsafe(16)
    config = json.dumps({"number": number, "vkey": vkey, "log": REGISTRY_LOG})
    page = PAGE.substitute(
        number=number,
        nonce=nonce,
        vkey_html=html.escape(vkey),
        config=config.replace("<", "\\u003c"),
    )
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": _csp(nonce),
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
