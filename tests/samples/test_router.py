"""Sample uploads: profiles, encodings, malformed lines, limits, storage and who may do what."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.roles import Role
from app.main import create_app
from tests.factories import auth, make_key, make_merchant, make_product

CSV_TEXT = (
    "企业名称,统一社会信用代码,注册资本,成立日期,所在城市,备注\n"
    "杭州数智科技有限公司,91330106MA2GL1RQ51,1000.50,2019-03-01,杭州,\n"
    "宁波港航数据有限公司,91330203MA2H0XYZ12,2000,2020-07-15,宁波,重点企业\n"
    "温州安全数据有限公司,,300,2021/1/9,温州,\n"
)


def multipart(
    content: bytes, filename: str = "sample.csv", media_type: str = "text/csv"
) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (filename, content, media_type)}


async def setup(session: AsyncSession) -> tuple[str, dict[str, str]]:
    merchant = await make_merchant(session)
    product = await make_product(session, merchant)
    return str(product.id), auth(await make_key(session, Role.merchant, merchant.id))


async def test_upload_profiles_the_csv(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, token = await setup(session)
    content = CSV_TEXT.encode("utf-8")
    response = await client.post(
        f"/v1/products/{product_id}/samples", files=multipart(content), headers=token
    )
    assert response.status_code == 201, response.text
    sample = response.json()
    assert sample["sha256"] == hashlib.sha256(content).hexdigest()
    assert sample["rows"] == 3
    assert sample["size_bytes"] == len(content)
    assert sample["encoding"] == "utf-8" and sample["format"] == "csv"
    assert sample["product_revision"] == 1
    columns = {c["name"]: c for c in sample["columns"]}
    assert list(columns) == [
        "企业名称",
        "统一社会信用代码",
        "注册资本",
        "成立日期",
        "所在城市",
        "备注",
    ]
    assert columns["注册资本"]["type"] == "decimal"
    assert columns["成立日期"]["type"] == "date"
    assert columns["企业名称"]["type"] == "string"
    assert columns["统一社会信用代码"]["nulls"] == 1
    assert columns["备注"]["nulls"] == 2 and columns["备注"]["non_null"] == 1

    url = f"/v1/products/{product_id}/samples/{sample['id']}"
    assert (await client.get(url, headers=token)).json() == sample
    listed = (await client.get(f"/v1/products/{product_id}/samples", headers=token)).json()
    assert [s["id"] for s in listed["items"]] == [sample["id"]]
    download = await client.get(url + "/content", headers=token)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["ETag"] == f'"{sample["sha256"]}"'


async def test_gbk_and_bom_files_give_the_same_profile(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    product_id, token = await setup(session)
    url = f"/v1/products/{product_id}/samples"
    gbk = await client.post(url, files=multipart(CSV_TEXT.encode("gbk")), headers=token)
    bom = await client.post(url, files=multipart(CSV_TEXT.encode("utf-8-sig")), headers=token)
    assert gbk.status_code == bom.status_code == 201, (gbk.text, bom.text)
    assert gbk.json()["encoding"] == "gb18030"
    assert bom.json()["encoding"] == "utf-8-sig"
    assert gbk.json()["columns"] == bom.json()["columns"]
    assert gbk.json()["rows"] == bom.json()["rows"] == 3
    assert gbk.json()["sha256"] == hashlib.sha256(CSV_TEXT.encode("gbk")).hexdigest()


async def test_json_lines(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, token = await setup(session)
    content = (
        '{"city": "杭州", "count": 12, "rate": 0.5, "ok": true}\n'
        '{"city": "宁波", "count": 7, "tags": ["港口"]}\n'
        "\n"
        '{"city": null, "count": 3, "rate": 1}\n'
    ).encode()
    response = await client.post(
        f"/v1/products/{product_id}/samples",
        files=multipart(content, "sample.jsonl", "application/x-ndjson"),
        headers=token,
    )
    assert response.status_code == 201, response.text
    sample = response.json()
    assert sample["format"] == "jsonl" and sample["rows"] == 3
    columns = {c["name"]: c for c in sample["columns"]}
    assert columns["city"]["nulls"] == 1
    assert columns["count"]["type"] == "integer"
    assert columns["rate"]["type"] == "decimal"
    assert columns["tags"]["type"] == "array" and columns["tags"]["nulls"] == 2
    assert columns["ok"]["type"] == "boolean"


@pytest.mark.parametrize(
    ("content", "filename", "line"),
    [
        (b"a,b\n1,2\n3\n4,5\n", "x.csv", 3),
        (b"a,b\n1,2\n1,2,3\n", "x.csv", 3),
        (b'{"a": 1}\n{"a": 2}\n{"a": \n', "x.jsonl", 3),
        (b'{"a": 1}\n[1, 2]\n', "x.jsonl", 2),
        (b"a,a\n1,2\n", "x.csv", 1),
        (b"", "x.csv", 1),
        ("名称\n".encode("utf-16"), "x.csv", 1),
    ],
)
async def test_malformed_input_names_the_line(
    client: httpx.AsyncClient, session: AsyncSession, content: bytes, filename: str, line: int
) -> None:
    product_id, token = await setup(session)
    response = await client.post(
        f"/v1/products/{product_id}/samples",
        files=multipart(content, filename),
        headers=token,
    )
    assert response.status_code == 422, response.text
    assert f"line {line}" in response.json()["detail"].lower()
    zh = await client.post(
        f"/v1/products/{product_id}/samples",
        files=multipart(content, filename),
        headers={**token, "Accept-Language": "zh"},
    )
    assert f"第 {line} 行" in zh.json()["detail"]
    assert (await session.execute(text("SELECT count(*) FROM product_sample"))).scalar_one() == 0


@pytest.fixture
async def small_limit_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings.model_copy(update={"upload_max_bytes": 1000}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
    await app.state.engine.dispose()


async def test_oversized_uploads_are_413(
    small_limit_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    product_id, token = await setup(session)
    url = f"/v1/products/{product_id}/samples"
    exact = b"a\n" + b"1\n" * 499  # exactly 1000 bytes is allowed
    assert (
        await small_limit_client.post(url, files=multipart(exact), headers=token)
    ).status_code == 201
    too_big = b"a\n" + b"1\n" * 500
    response = await small_limit_client.post(url, files=multipart(too_big), headers=token)
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 1000

    # Without Content-Length (chunked), the stream is cut at the cap all the same.
    body = b"".join(
        [
            b"--B\r\n",
            b'Content-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n',
            b"a\n" + b"1\n" * 10_000,
            b"\r\n--B--\r\n",
        ]
    )

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 512):
            yield body[i : i + 512]

    streamed = await small_limit_client.post(
        url, content=chunks(), headers={**token, "Content-Type": "multipart/form-data; boundary=B"}
    )
    assert streamed.status_code == 413
    assert (await session.execute(text("SELECT count(*) FROM product_sample"))).scalar_one() == 1


async def test_bad_requests(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, token = await setup(session)
    url = f"/v1/products/{product_id}/samples"
    wrong_field = await client.post(
        url, files={"upload": ("x.csv", b"a\n1\n", "text/csv")}, headers=token
    )
    assert wrong_field.status_code == 422
    not_multipart = await client.post(url, json={"file": "a,b"}, headers=token)
    assert not_multipart.status_code == 400
    broken = await client.post(
        url,
        content=b"--B\r\nnonsense",
        headers={**token, "Content-Type": "multipart/form-data; boundary=B"},
    )
    assert broken.status_code in (400, 422)


async def test_who_may_upload_and_read(client: httpx.AsyncClient, session: AsyncSession) -> None:
    product_id, owner = await setup(session)
    stranger_merchant = await make_merchant(session)
    stranger = auth(await make_key(session, Role.merchant, stranger_merchant.id))
    url = f"/v1/products/{product_id}/samples"
    uploaded = await client.post(url, files=multipart(CSV_TEXT.encode()), headers=owner)
    sample_url = f"{url}/{uploaded.json()['id']}"

    assert (await client.post(url, files=multipart(b"a\n1\n"), headers=stranger)).status_code == 403
    assert (await client.get(sample_url, headers=stranger)).status_code == 404
    assert (await client.get(sample_url + "/content", headers=stranger)).status_code == 404
    assert (await client.get(url, headers=stranger)).status_code == 404
    for role in (Role.auditor, Role.assessor):
        reader = auth(await make_key(session, role))
        assert (await client.get(sample_url, headers=reader)).status_code == 200
        assert (
            await client.post(url, files=multipart(b"a\n1\n"), headers=reader)
        ).status_code == 403
    admin = auth(await make_key(session, Role.operator))
    assert (await client.post(url, files=multipart(b"a\n1\n"), headers=admin)).status_code == 201
    missing = "/v1/products/01a20000-0000-7000-8000-000000000000/samples"
    assert (
        await client.post(missing, files=multipart(b"a\n1\n"), headers=admin)
    ).status_code == 404
    assert (await client.get(sample_url)).status_code == 401


async def test_a_multi_chunk_sample_comes_back_byte_for_byte(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    product_id, token = await setup(session)
    lines = ["编号,城市,金额,日期"] + [
        f"{i},杭州,{i}.25,2025-06-{i % 28 + 1:02d}" for i in range(120_000)
    ]
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > 3 * 1024 * 1024
    response = await client.post(
        f"/v1/products/{product_id}/samples", files=multipart(content), headers=token
    )
    assert response.status_code == 201, response.text
    sample = response.json()
    assert sample["rows"] == 120_000
    chunks = (
        await session.execute(
            text("SELECT count(*) FROM sample_chunk WHERE sample_id = :id"), {"id": sample["id"]}
        )
    ).scalar_one()
    assert chunks == -(-len(content) // (1024 * 1024))
    download = await client.get(
        f"/v1/products/{product_id}/samples/{sample['id']}/content", headers=token
    )
    assert hashlib.sha256(download.content).hexdigest() == sample["sha256"]


async def test_a_number_longer_than_python_reads_is_a_malformed_line(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Issue 27: a JSON Lines sample holding a 5 000-digit integer was a 500 (Python refuses
    to read integers of more than 4 300 digits); now the line is named, nothing stored."""
    product_id, token = await setup(session)
    content = b'{"n": 1}\n{"n": ' + b"9" * 5000 + b"}\n"
    response = await client.post(
        f"/v1/products/{product_id}/samples",
        files=multipart(content, "x.jsonl", "application/x-ndjson"),
        headers=token,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "line 2" in response.json()["detail"].lower()
    assert "digits" in response.json()["detail"]
    assert (await session.execute(text("SELECT count(*) FROM product_sample"))).scalar_one() == 0
