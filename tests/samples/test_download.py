"""Downloading a sample from the real server: a client that stops reading holds no database
connection while it dawdles, and is cut off after the send timeout."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.main import create_app
from tests.e2e.threads import served
from tests.samples.test_router import multipart, setup

POOL = 3


async def _large_sample(
    client: httpx.AsyncClient, session: AsyncSession
) -> tuple[str, str, dict[str, str], int]:
    """A product and a sample of six 1 MiB chunks; the product's id, the content's path, the
    owner's headers and the sample's size."""
    product_id, token = await setup(session)
    row = "12345678,杭州市西湖区文三路,2025-06-01,1234.56\n"
    content = ("编号,地址,日期,金额\n" + row * (6 * 1024 * 1024 // len(row.encode()))).encode()
    uploaded = await client.post(
        f"/v1/products/{product_id}/samples", files=multipart(content), headers=token
    )
    assert uploaded.status_code == 201, uploaded.text
    path = f"/v1/products/{product_id}/samples/{uploaded.json()['id']}/content"
    return product_id, path, token, len(content)


def _stalled_download(url: str, path: str, headers: dict[str, str]) -> tuple[socket.socket, int]:
    """Ask for `path` on a socket with a tiny receive buffer, read the response's head and
    its first body bytes (so the server is streaming), then read no more. The socket, and
    how many body bytes were read."""
    address = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect((address.hostname, address.port))
    lines = [f"GET {path} HTTP/1.1", f"Host: {address.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    received = b""
    while b"\r\n\r\n" not in received or received.endswith(b"\r\n\r\n"):
        piece = sock.recv(1024)
        if not piece:
            break
        received += piece
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    return sock, len(received.partition(b"\r\n\r\n")[2])


def _read_on(sock: socket.socket, wanted: int) -> tuple[int, bool]:
    """Read until the server closes the connection, `wanted` bytes are in, or nothing comes
    for 10 s; how many bytes came, and whether the server closed the connection."""
    received = 0
    while received < wanted:
        try:
            piece = sock.recv(1 << 16)
        except ConnectionResetError:
            return received, True
        except TimeoutError:
            return received, False
        if not piece:
            return received, True
        received += len(piece)
    return received, False


async def test_clients_that_do_not_read_hold_no_connection(
    settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Twice as many stalled downloads as the pool has connections: every other request
    still gets a connection (it got 503s, anonymous routes included, until they left)."""
    product_id, path, token, _ = await _large_sample(client, session)
    small_pool = settings.model_copy(
        update={
            "db_pool_size": POOL,
            "db_pool_timeout_seconds": 1.0,
            "response_send_timeout_seconds": 300.0,  # not what frees the connections
        }
    )
    with served(create_app(small_pool)) as url:
        stalled = [_stalled_download(url, path, token)[0] for _ in range(2 * POOL)]
        try:
            venues = httpx.get(f"{url}/v1/venues", timeout=10)
            assert venues.status_code == 200, venues.text
            product = httpx.get(f"{url}/v1/products/{product_id}", headers=token, timeout=10)
            assert product.status_code == 200, product.text
            again = httpx.get(f"{url}/v1/venues", timeout=10)
            assert again.status_code == 200, again.text
        finally:
            for sock in stalled:
                sock.close()


async def test_a_client_that_stops_reading_is_cut_off(
    settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, path, token, size = await _large_sample(client, session)
    impatient = settings.model_copy(update={"response_send_timeout_seconds": 0.5})
    with served(create_app(impatient)) as url:
        sock, received = _stalled_download(url, path, token)
        try:
            time.sleep(2)  # four times the send timeout, reading nothing
            more, closed = _read_on(sock, size - received)
        finally:
            sock.close()
        # What the server had already buffered arrives, then the connection ends: the body
        # is shorter than its Content-Length, so the client knows it was cut.
        assert received + more < size
        assert closed
        fine = httpx.get(f"{url}{path}", headers=token, timeout=30)
        assert fine.status_code == 200 and len(fine.content) == size
