"""HTTP as browsers and caches expect it: CORS, HEAD, Allow on 405, unknown query
parameters, validation messages in the caller's language, offline API docs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from tests.factories import auth, make_key, merchant_body, product_body

PORTAL = "https://portal.hzdex.example"


@pytest.fixture(scope="module")
async def cors_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"cors_origins": [PORTAL]}))
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def browser(cors_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


def preflight(method: str, headers: str = "authorization,content-type") -> dict[str, str]:
    return {
        "Origin": PORTAL,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/listings", "POST"),
        ("/v1/listings/01a20000-0000-7000-8000-000000000000/approve", "POST"),
        ("/v1/transactions", "POST"),
        ("/v1/merchants/01a20000-0000-7000-8000-000000000000", "PATCH"),
        ("/v1/api-keys/01a20000-0000-7000-8000-000000000000", "DELETE"),
        ("/v1/venues", "GET"),
    ],
)
async def test_preflight_on_every_path_answers_204(
    browser: httpx.AsyncClient, path: str, method: str
) -> None:
    answer = await browser.options(
        path, headers=preflight(method, "authorization,content-type,idempotency-key,if-match")
    )
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    assert answer.headers["access-control-allow-origin"] == PORTAL
    allowed = answer.headers["access-control-allow-methods"]
    assert all(m in allowed for m in ("GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"))
    assert "idempotency-key" in answer.headers["access-control-allow-headers"].lower()


async def test_cors_responses_expose_what_a_page_needs(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    made = await browser.post(
        "/v1/merchants", json=merchant_body(), headers={**admin, "Origin": PORTAL}
    )
    assert made.status_code == 201
    assert made.headers["access-control-allow-origin"] == PORTAL
    exposed = made.headers["access-control-expose-headers"].lower()
    for header in (
        "etag",
        "location",
        "retry-after",
        "x-request-id",
        "idempotent-replayed",
        "content-language",
    ):
        assert header in exposed
    # A problem is readable by the page too.
    refused = await browser.post("/v1/merchants", json={}, headers={"Origin": PORTAL})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == PORTAL


async def test_other_origins_get_no_cors_headers(browser: httpx.AsyncClient) -> None:
    evil = {**preflight("POST"), "Origin": "https://evil.example"}
    answer = await browser.options("/v1/listings", headers=evil)
    assert answer.status_code == 405
    assert not any(h.startswith("access-control-") for h in answer.headers)
    read = await browser.get("/v1/venues", headers={"Origin": "https://evil.example"})
    assert read.status_code == 200
    assert not any(h.startswith("access-control-") for h in read.headers), read.headers
    assert "Origin" in read.headers["vary"]  # no cache serves it to the portal
    asked = await browser.options("/v1/listings", headers=preflight("POST", "authorization,x-evil"))
    assert asked.status_code == 400
    assert asked.headers["content-type"].startswith("application/problem+json")


async def test_without_origins_configured_there_is_no_cors(client: httpx.AsyncClient) -> None:
    answer = await client.options("/v1/listings", headers=preflight("POST"))
    assert answer.status_code == 405
    assert not any(h.startswith("access-control-") for h in answer.headers)
    read = await client.get("/v1/venues", headers={"Origin": PORTAL})
    assert not any(h.startswith("access-control-") for h in read.headers)


async def test_head_works_wherever_get_does(client: httpx.AsyncClient) -> None:
    for path in ("/v1/venues", "/v1/venues/HZDEX", "/healthz", "/openapi.json", "/docs"):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers.get("content-length") == got.headers.get("content-length"), path
        assert head.headers.get("etag") == got.headers.get("etag"), path
    assert (await client.head("/v1/venues/NOPE")).status_code == 404
    # HEAD of a path that takes no GET is a 405 like any other method.
    only_delete = await client.head("/v1/api-keys/01a20000-0000-7000-8000-000000000000")
    assert only_delete.status_code == 405
    assert only_delete.headers["allow"] == "DELETE"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/listings", "GET, HEAD, POST"),
        ("PUT", "/v1/venues", "GET, HEAD, POST"),
        ("DELETE", "/v1/venues/HZDEX", "GET, HEAD"),
        ("PUT", "/v1/transactions", "GET, HEAD, POST"),
        ("POST", "/healthz", "GET, HEAD"),
    ],
)
async def test_405_names_every_allowed_method(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    answer = await client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_unknown_query_parameters_are_422_naming_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    answer = await client.get("/v1/listings", params={"venu_code": "HZDEX", "colour": "red"})
    assert answer.status_code == 422
    locs = [e["loc"] for e in answer.json()["errors"]]
    assert locs == [["query", "colour"], ["query", "venu_code"]]
    assert "colour" in answer.json()["detail"] and "venu_code" in answer.json()["detail"]
    assert (await client.get("/v1/listings", params={"venue_code": "HZDEX"})).status_code == 200
    auditor = auth(await make_key(session, Role.auditor))
    paged = await client.get("/v1/merchants", params={"limit": 5, "offset": 5}, headers=auditor)
    assert paged.status_code == 422
    assert paged.json()["errors"][0]["loc"] == ["query", "offset"]


async def test_validation_messages_follow_accept_language(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    body = merchant_body(region_code="33010", tier="giant")
    del body["name"]
    zh = await client.post(
        "/v1/merchants", json=body, headers={**admin, "Accept-Language": "zh-CN"}
    )
    en = await client.post("/v1/merchants", json=body, headers=admin)
    assert zh.status_code == en.status_code == 422
    zh_errors = {tuple(e["loc"]): e["msg"] for e in zh.json()["errors"]}
    en_errors = {tuple(e["loc"]): e["msg"] for e in en.json()["errors"]}
    assert zh_errors.keys() == en_errors.keys()
    assert zh_errors[("body", "name")] == "必填"
    assert en_errors[("body", "name")] == "Field required"
    assert "应为以下之一" in zh_errors[("body", "tier")]
    assert zh.headers["content-language"] == "zh-CN"
    # A rule of ours (not pydantic's) is in Chinese too.
    wrong = merchant_body()
    wrong["uscc"] = wrong["uscc"][:-1] + ("0" if wrong["uscc"][-1] != "0" else "1")
    refused = await client.post(
        "/v1/merchants", json=wrong, headers={**admin, "Accept-Language": "zh"}
    )
    assert refused.status_code == 422
    assert "校验码" in refused.json()["errors"][0]["msg"]
    unknown = await client.get(
        "/v1/venues", params={"sort": "x"}, headers={"Accept-Language": "zh-CN"}
    )
    assert unknown.json()["errors"][0]["msg"] == "未知的查询参数"


async def test_api_docs_need_no_internet(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        assert "cdn." not in html and "fonts.googleapis" not in html, page
        for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/redoc.standalone.js"):
            if asset.split("/")[-1] in html:
                fetched = await client.get(asset)
                assert fetched.status_code == 200 and len(fetched.content) > 100_000
    css = await client.get("/docs-assets/swagger-ui.css")
    assert css.status_code == 200


async def test_venue_code_filters_every_list_and_venue_is_its_alias(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    auditor = auth(await make_key(session, Role.auditor))
    for path in ("/v1/listings", "/v1/products", "/v1/transactions", "/v1/transactions/export"):
        for params in ({"venue_code": "HZDEX"}, {"venue": "HZDEX"}):
            answer = await client.get(path, params=params, headers=auditor)
            assert answer.status_code == 200, (path, params, answer.text)
        both = await client.get(
            path, params={"venue_code": "HZDEX", "venue": "WZDEX"}, headers=auditor
        )
        assert both.status_code == 422, path
        typo = await client.get(path, params={"venues": "HZDEX"}, headers=auditor)
        assert typo.status_code == 422, path
    spec = (await client.get("/openapi.json")).json()
    params = spec["paths"]["/v1/transactions"]["get"]["parameters"]
    assert next(p for p in params if p["name"] == "venue").get("deprecated") is True


async def test_conditional_gets_answer_304_and_caching_is_per_audience(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    made = await client.post("/v1/merchants", json=merchant_body(), headers=admin)
    merchant_id = made.json()["id"]
    product = await client.post(
        "/v1/products",
        json={**product_body(), "merchant_id": merchant_id},
        headers=admin,
    )
    for path, headers in (
        (f"/v1/products/{product.json()['id']}", admin),
        (f"/v1/merchants/{merchant_id}", admin),
        ("/v1/venues/HZDEX", {}),
        ("/v1/venues", {}),
        ("/v1/listings", {}),
    ):
        first = await client.get(path, headers=headers)
        assert first.status_code == 200, path
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/"), path  # strong
        again = await client.get(path, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "content-type" not in again.headers
        other = await client.get(path, headers={**headers, "If-None-Match": '"other", ' + etag})
        assert other.status_code == 304
        assert (
            await client.get(path, headers={**headers, "If-None-Match": '"x"'})
        ).status_code == 200
        assert "Authorization" in first.headers["vary"]
        if headers:
            assert first.headers["cache-control"] == "private, no-cache"
        elif path.startswith("/v1/venues"):
            assert first.headers["cache-control"] == "public, max-age=300"
        else:
            assert first.headers["cache-control"] == "public, max-age=30"
    # HEAD is conditional too.
    venue = await client.get("/v1/venues/HZDEX")
    head = await client.head("/v1/venues/HZDEX", headers={"If-None-Match": venue.headers["etag"]})
    assert head.status_code == 304


async def test_the_etag_changes_with_what_the_caller_reads_and_if_match_takes_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    made = await client.post("/v1/merchants", json=merchant_body(), headers=admin)
    url = f"/v1/merchants/{made.json()['id']}"
    read = await client.get(url, headers=admin)
    etag = read.headers["etag"]
    # The ETag of a GET is accepted by If-Match (it names the version read) …
    changed = await client.patch(
        url, json={"description": "杭州数商"}, headers={**admin, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    # … and a GET after the change is no longer "not modified".
    after = await client.get(url, headers={**admin, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    stale = await client.patch(url, json={"description": "x"}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412
