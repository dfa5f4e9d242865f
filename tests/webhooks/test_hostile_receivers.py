"""Webhooks are no way to attack the service or its network (issue 16, M7): no address that
is not public, no second DNS answer between the check and the call, one deadline per
delivery, a bounded read of the answer, no transaction held over the POST, and a slow
receiver holds up its own subscription only."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.webhooks.delivery import deliver_forever
from app.webhooks.models import WebhookSubscription
from app.webhooks.sender import ANSWER_PREFIX_BYTES, Sender
from tests.factories import auth, make_key, merchant_body
from tests.webhooks.conftest import Hooks, Receiver, serving


@dataclass
class Names:
    """A resolver that knows these names only, and keeps every lookup asked of it."""

    table: dict[str, list[str]]
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


async def point(session: AsyncSession, webhook_id: str, url: str) -> None:
    """Move a subscription to `url` behind the API's back: as if its name had resolved to
    a public address when it was saved, and resolves elsewhere now."""
    await session.execute(
        text("UPDATE webhook_subscription SET url = :url WHERE id = :id"),
        {"url": url, "id": UUID(webhook_id)},
    )
    await session.commit()


async def new_event(hooks: Hooks, admin: dict[str, str]) -> None:
    made = await hooks.api.post("/v1/merchants", json=merchant_body(), headers=admin)
    assert made.status_code == 201, made.text


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    """Wait for a condition (the bound only keeps a broken run from hanging)."""
    async with asyncio.timeout(seconds):
        while not await condition():
            await asyncio.sleep(0.02)


async def subscription_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(WebhookSubscription)) or 0)


async def test_every_address_that_is_not_public_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    for url, why in (
        ("http://100.64.0.1/h", "100.64.0.1 (shared address space (carrier-grade NAT))"),
        ("http://192.0.0.8/h", "192.0.0.8 (IETF protocol assignment)"),
        ("http://192.0.0.192/h", "192.0.0.192"),  # Oracle Cloud's metadata
        ("http://198.18.0.1/h", "198.18.0.1 (benchmarking)"),
        ("http://224.0.0.1/h", "224.0.0.1 (multicast)"),
        ("http://[ff0e::1]/h", "ff0e::1 (multicast)"),
        ("http://255.255.255.255/h", "255.255.255.255 (reserved)"),
        ("http://0.0.0.0/h", "0.0.0.0 (unspecified"),
        ("http://[::]/h", ":: (unspecified"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 (cloud metadata service)"),
        ("http://100.100.100.200/latest/meta-data", "100.100.100.200 (cloud metadata service)"),
        ("http://[fd00:ec2::254]/latest", "fd00:ec2::254 (cloud metadata service)"),
        ("http://[fe80::1]/h", "fe80::1 (link-local)"),
        ("http://[fd12:3456::1]/h", "fd12:3456::1 (private network)"),
        ("http://[::ffff:10.0.0.1]/h", "::ffff:a00:1 (IPv4-mapped form of 10.0.0.1, private"),
        ("http://[::ffff:127.0.0.1]/h", "IPv4-mapped form of 127.0.0.1, loopback"),
        ("http://[64:ff9b::a9fe:a9fe]/h", "NAT64 form of 169.254.169.254, cloud metadata"),
        ("http://[64:ff9b::a00:1]/h", "NAT64 form of 10.0.0.1, private network"),
        ("http://[2002:a00:1::]/h", "2002:a00:1:: (6to4 form of 10.0.0.1, private network)"),
        ("http://[2002:a9fe:a9fe::]/h", "6to4 form of 169.254.169.254, cloud metadata"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h", "Teredo tunnel to 192.0.2.45"),
        ("http://[::7f00:1]/h", "::7f00:1 (tunnel or translation prefix)"),  # IPv4-compatible
        ("http://[2001:db8::1]/h", "2001:db8::1 (documentation)"),
        ("http://2130706433/h", "127.0.0.1 (loopback)"),  # 127.0.0.1 written as one number
        ("http://xn--/h", "its host xn-- does not resolve"),  # a malformed IDNA label
    ):
        refused = await client.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin
        )
        assert refused.status_code == 422, (url, refused.text)
        assert why in refused.json()["errors"][0]["msg"], (url, refused.text)
    assert await subscription_count(session) == 0
    # The same forms around a public address are fine.
    for url in ("https://[2002:808:808::]/h", "https://[64:ff9b::808:808]/h"):
        made = await client.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin
        )
        assert made.status_code == 201, (url, made.text)


async def test_allowing_private_urls_still_refuses_metadata_and_link_local(
    world: Hooks, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/latest",
        "http://100.100.100.200/latest/meta-data",
        "http://[::ffff:169.254.169.254]/latest",
        "http://169.254.10.10/h",
        "http://[fe80::1]/h",
        "http://224.0.0.1/h",
    ):
        refused = await world.api.post(
            "/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin
        )
        assert refused.status_code == 422, (url, refused.text)
    assert await subscription_count(session) == 0
    for url in ("http://10.1.2.3/h", "http://[fd12::1]/h", "http://100.64.0.1/h"):  # intranets
        await world.subscribe(["*"], admin, url=url)
    assert await subscription_count(session) == 3


async def test_the_connection_goes_to_the_address_that_was_checked(
    world: Hooks, session: AsyncSession
) -> None:
    # The name exists only in this resolver: had the HTTP client resolved it again, through
    # the system's DNS, the delivery would fail.
    admin = auth(await make_key(session, Role.operator))
    names = Names({"receiver.example.test": ["127.0.0.1"]})
    made = await world.subscribe(["merchant.*"], admin)
    await point(session, made["id"], f"http://receiver.example.test:{world.receiver.port}/hook")
    await new_event(world, admin)

    assert await world.deliver(Sender(resolver=names)) == 1
    assert names.asked == ["receiver.example.test"]  # once: the check is the connection
    headers, _ = world.receiver.received[0]
    assert headers["Host"] == f"receiver.example.test:{world.receiver.port}"
    assert [d["status"] for d in await world.log(made["id"], admin)] == ["succeeded"]


async def test_a_name_that_resolves_inside_at_send_time_is_refused(
    world: Hooks, session: AsyncSession
) -> None:
    public_only = world.settings.model_copy(update={"webhooks_allow_private_urls": False})
    admin = auth(await make_key(session, Role.operator))
    names = Names(
        {
            "rebound.example.test": ["93.184.216.34", "127.0.0.1"],
            "metadata.example.test": ["fd00:ec2::254"],
        }
    )
    port = world.receiver.port
    made = {}
    for name in names.table:
        made[name] = await world.subscribe(["merchant.*"], admin)
        await point(session, made[name]["id"], f"http://{name}:{port}/hook")
    await new_event(world, admin)

    assert await world.deliver(Sender(resolver=names), public_only) == 2
    assert world.receiver.received == []  # nothing reached the loopback receiver
    for name, why in (
        ("rebound.example.test", "127.0.0.1 (loopback)"),
        ("metadata.example.test", "fd00:ec2::254 (cloud metadata service)"),
    ):
        [delivery] = await world.log(made[name]["id"], admin)
        assert delivery["status"] == "pending"
        assert delivery["last_error"].startswith("refused: the URL its host " + name)
        assert why in delivery["last_error"]


def _tls(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate authority and a server certificate for `name` it signed: the server's
    TLS context, and a client's that trusts that authority only."""
    now = datetime.now(UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: Any
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        certificate("Shushang test CA", ca_key, "Shushang test CA", ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        certificate(name, key, "Shushang test CA", ca_key)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(chain, key_file)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


async def test_tls_is_checked_for_the_host_name_not_the_address(
    world: Hooks, session: AsyncSession, tmp_path: Path
) -> None:
    server_tls, trusted = _tls(tmp_path, "receiver.example.test")
    admin = auth(await make_key(session, Role.operator))
    names = Names({"receiver.example.test": ["127.0.0.1"], "impostor.example.test": ["127.0.0.1"]})
    async with serving(Receiver(), tls=server_tls) as secure:
        made = {}
        for name in names.table:
            made[name] = await world.subscribe(["merchant.*"], admin, url=secure.url)
            await point(session, made[name]["id"], f"https://{name}:{secure.port}/hook")
        await new_event(world, admin)

        assert await world.deliver(Sender(resolver=names, ssl_context=trusted)) == 2
        assert len(secure.received) == 1  # the certificate names receiver.example.test only
        assert secure.received[0][0]["Host"] == f"receiver.example.test:{secure.port}"
        [good] = await world.log(made["receiver.example.test"]["id"], admin)
        assert good["status"] == "succeeded"
        [bad] = await world.log(made["impostor.example.test"]["id"], admin)
        assert bad["status"] == "pending"
        assert "CERTIFICATE_VERIFY_FAILED" in bad["last_error"]
        assert "impostor.example.test" in bad["last_error"]


@dataclass
class Trickler:
    """A raw HTTP receiver that answers a byte at a time: each byte comes well within any
    read timeout, the whole answer never within the deadline."""

    answer: bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
    pause_seconds: float = 0.05
    sent: int = 0
    finished: bool = False
    handlers: list[asyncio.Task[Any]] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        await reader.readuntil(b"\r\n\r\n")
        try:
            for byte in self.answer:
                writer.write(bytes([byte]))
                await writer.drain()
                self.sent += 1
                await asyncio.sleep(self.pause_seconds)
            self.finished = True
        except ConnectionError:
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def trickling(trickler: Trickler) -> AsyncIterator[int]:
    server = await asyncio.start_server(trickler.handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for handler in trickler.handlers:
            handler.cancel()
        await asyncio.gather(*trickler.handlers, return_exceptions=True)


async def test_a_trickling_receiver_is_cut_off_at_the_deadline(
    world: Hooks, session: AsyncSession
) -> None:
    deadline = world.settings.model_copy(update={"webhook_timeout_seconds": 0.3})
    admin = auth(await make_key(session, Role.operator))
    trickler = Trickler()
    async with trickling(trickler) as port:
        made = await world.subscribe(["merchant.*"], admin, url=f"http://127.0.0.1:{port}/hook")
        await new_event(world, admin)
        assert await world.deliver(settings=deadline) == 1
        assert 0 < trickler.sent < len(trickler.answer) and not trickler.finished
    [delivery] = await world.log(made["id"], admin)
    assert delivery["status"] == "pending" and delivery["last_status_code"] is None
    assert delivery["last_error"] == "no complete answer within the 0.3 s deadline"


class HugeAnswer(Receiver):
    """Answers 500 with a body far larger than anyone should read."""

    size = 64 * 1024 * 1024
    sent = 0
    finished = False

    async def handle(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        await request.read()
        response = web.StreamResponse(status=500)
        response.content_length = self.size
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            while self.sent < self.size:
                await response.write(chunk)
                self.sent += len(chunk)
            self.finished = True
        except ConnectionError:
            pass
        return response


async def test_only_a_prefix_of_a_huge_answer_is_read(world: Hooks, session: AsyncSession) -> None:
    admin = auth(await make_key(session, Role.operator))
    async with serving(HugeAnswer()) as huge:
        made = await world.subscribe(["merchant.*"], admin, url=huge.url)
        await new_event(world, admin)
        assert await world.deliver() == 1
        assert not huge.finished
    [delivery] = await world.log(made["id"], admin)
    assert delivery["last_status_code"] == 500
    assert delivery["last_error"] == "HTTP 500: " + "x" * ANSWER_PREFIX_BYTES
    assert delivery["attempt_log"][0]["error"] == delivery["last_error"]


async def test_a_slow_receiver_holds_up_only_its_own_subscription(
    world: Hooks, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    fast = world.receiver
    async with serving(Receiver(hold=asyncio.Event())) as slow:
        slow_made = await world.subscribe(["merchant.*"], admin, url=slow.url)
        fast_made = await world.subscribe(["merchant.*"], admin)
        for _ in range(3):
            await new_event(world, admin)
        settings = world.settings.model_copy(update={"webhook_poll_seconds": 0.05})
        worker = asyncio.create_task(deliver_forever(world.app.state.sessionmaker, settings))
        try:

            async def fast_done() -> bool:
                log = await world.log(fast_made["id"], admin)
                return [d["status"] for d in log] == ["succeeded"] * 3

            # All three reach the fast receiver while the slow one sits on its first.
            await until(fast_done)
            assert len(slow.received) == 1 and slow.hold is not None and not slow.hold.is_set()
            first, *later = await world.log(slow_made["id"], admin)
            assert first["status"] == "pending" and first["attempts"] == 1
            assert [d["attempts"] for d in later] == [0, 0]  # in order: they wait behind it
            # No transaction holds the delivery while its POST is in flight: it is leased.
            async with world.app.state.sessionmaker() as other:
                locked = await other.execute(
                    text("SELECT id FROM webhook_delivery WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": UUID(first["id"])},
                )
                assert locked.scalar_one() == UUID(first["id"])
                await other.rollback()

            slow.hold.set()

            async def slow_done() -> bool:
                log = await world.log(slow_made["id"], admin)
                return [d["status"] for d in log] == ["succeeded"] * 3

            await until(slow_done)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
    event_ids = [b["id"] for b in fast.bodies()]
    assert [b["id"] for b in slow.bodies()] == event_ids  # each in the same, event order
    assert len(set(event_ids)) == 3


async def test_an_outcome_is_dropped_when_the_lease_was_taken_over(
    world: Hooks, session: AsyncSession
) -> None:
    admin = auth(await make_key(session, Role.operator))
    receiver = world.receiver
    receiver.hold = asyncio.Event()
    made = await world.subscribe(["merchant.*"], admin)
    await new_event(world, admin)
    sending = asyncio.create_task(world.deliver())
    await receiver.arrived.wait()
    [delivery] = await world.log(made["id"], admin)
    again = await world.api.post(  # the owner asks for it again while it is in flight
        f"/v1/webhooks/{made['id']}/deliveries/{delivery['id']}/retry", headers=admin
    )
    assert again.status_code == 202
    receiver.hold.set()
    assert await sending == 1
    [delivery] = await world.log(made["id"], admin)
    # The attempt is logged, but the delivery is the retry's now: still to be sent.
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200]
    assert delivery["status"] == "pending" and delivery["delivered_at"] is None
    assert await world.deliver() == 1
    [delivery] = await world.log(made["id"], admin)
    assert delivery["status"] == "succeeded" and len(receiver.received) == 2
