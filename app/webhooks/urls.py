"""Where webhooks may go: not to this network's insides (SSRF), not to the cloud's metadata
service, not to addresses that are no one's in particular. A URL's host is resolved once and
every address it resolves to is judged; the sender then connects to one of exactly those
addresses (app/webhooks/sender.py), so a name cannot resolve to one address when checked and
to another when called (DNS rebinding). Checked when a subscription is saved and again
before each send.

The judgement is `ipaddress`'s `is_global` made explicit, so that it does not change with
the Python version (3.11 still calls 192.0.0.8 and multicast global), plus the forms of
IPv6 address that carry an IPv4 one (mapped, NAT64, 6to4), judged by the address they
carry; Teredo addresses (a tunnel through a relay) are refused. `allow_private` (tests,
intranets) admits loopback and private networks, never link-local (where the cloud
metadata services live), metadata, multicast or reserved ones.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

RESOLVE_TIMEOUT_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# A host name in, its addresses out (as getaddrinfo gives them). Tests inject their own.
Resolver = Callable[[str], Awaitable[Sequence[str]]]


class UnsafeUrl(ValueError):
    pass


@dataclass(frozen=True)
class _Kind:
    name: str
    private: bool  # admitted when private URLs are allowed


_LOOPBACK = _Kind("loopback", private=True)
_PRIVATE = _Kind("private network", private=True)
_SHARED = _Kind("shared address space (carrier-grade NAT)", private=True)
_METADATA = _Kind("cloud metadata service", private=False)
_LINK_LOCAL = _Kind("link-local", private=False)
_UNSPECIFIED = _Kind("unspecified or 'this network'", private=False)
_PROTOCOL = _Kind("IETF protocol assignment", private=False)
_DOCUMENTATION = _Kind("documentation", private=False)
_BENCHMARK = _Kind("benchmarking", private=False)
_MULTICAST = _Kind("multicast", private=False)
_RESERVED = _Kind("reserved", private=False)
_TUNNEL = _Kind("tunnel or translation prefix", private=False)

# First match wins: the specific (metadata) before the block it sits in.
_SPECIAL: tuple[tuple[Network, _Kind], ...] = tuple(
    (ipaddress.ip_network(network), kind)
    for network, kind in (
        ("169.254.169.254/32", _METADATA),  # AWS, Azure, GCP, Huawei Cloud, OpenStack
        ("169.254.0.23/32", _METADATA),  # Tencent Cloud
        ("100.100.100.200/32", _METADATA),  # Alibaba Cloud
        ("fd00:ec2::254/128", _METADATA),  # AWS over IPv6
        ("0.0.0.0/8", _UNSPECIFIED),
        ("10.0.0.0/8", _PRIVATE),
        ("100.64.0.0/10", _SHARED),
        ("127.0.0.0/8", _LOOPBACK),
        ("169.254.0.0/16", _LINK_LOCAL),
        ("172.16.0.0/12", _PRIVATE),
        ("192.0.0.0/24", _PROTOCOL),  # Oracle Cloud's metadata (192.0.0.192) sits here too
        ("192.0.2.0/24", _DOCUMENTATION),
        ("192.88.99.0/24", _TUNNEL),  # 6to4 relay anycast, deprecated
        ("192.168.0.0/16", _PRIVATE),
        ("198.18.0.0/15", _BENCHMARK),
        ("198.51.100.0/24", _DOCUMENTATION),
        ("203.0.113.0/24", _DOCUMENTATION),
        ("224.0.0.0/4", _MULTICAST),
        ("240.0.0.0/4", _RESERVED),  # and 255.255.255.255, broadcast
        ("::/128", _UNSPECIFIED),
        ("::1/128", _LOOPBACK),
        ("::/96", _TUNNEL),  # IPv4-compatible, deprecated
        ("64:ff9b:1::/48", _TUNNEL),  # local-use NAT64
        ("100::/64", _RESERVED),  # discard-only
        ("2001:db8::/32", _DOCUMENTATION),
        ("2001::/23", _PROTOCOL),
        ("3fff::/20", _DOCUMENTATION),
        ("5f00::/16", _RESERVED),  # segment routing
        ("fc00::/7", _PRIVATE),  # unique local
        ("fe80::/10", _LINK_LOCAL),
        ("fec0::/10", _LINK_LOCAL),  # site-local, deprecated
        ("ff00::/8", _MULTICAST),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 one stands for, when it reaches that host: mapped,
    NAT64 (RFC 6052, the well-known prefix) or 6to4 (RFC 3056)."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    return None


def refusal(address: str, allow_private: bool) -> str | None:
    """Why `address` may not be called (its kind), or None when it may."""
    ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
    prefix = ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:  # a tunnel through a relay: not a host of its own
            return f"Teredo tunnel to {ip.teredo[1]}"
        if (embedded := _embedded(ip)) is not None:
            form, ip = embedded
            prefix = f"{form} form of {ip}, "
    for network, kind in _SPECIAL:
        if ip.version == network.version and ip in network:
            return None if allow_private and kind.private else prefix + kind.name
    if not ip.is_global or ip.is_reserved:  # anything the table above forgot
        return prefix + _RESERVED.name
    return None


@dataclass(frozen=True)
class Target:
    """A URL and the checked addresses its host resolved to: connect to one of these."""

    url: httpx.URL
    addresses: tuple[str, ...]


async def system_resolver(host: str) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    found = await asyncio.wait_for(
        loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
    )
    return [str(info[4][0]) for info in found]


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


async def resolve(url: str, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """Resolve the URL's host once and judge every address; raise UnsafeUrl naming the
    problem (and the address), or return the addresses to connect to."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeUrl("is not a valid URL") from exc
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise UnsafeUrl("must be an http or https URL with a host")
    if parsed.userinfo:
        raise UnsafeUrl("must not carry credentials")
    host = parsed.raw_host.decode("ascii")  # IDNA-encoded, as DNS knows it
    literal = _literal(host)
    if literal is not None:
        found: Sequence[str] = [literal]
    else:
        try:
            found = await resolver(host)
        except (OSError, TimeoutError, ValueError) as exc:  # UnicodeError too: bad labels
            raise UnsafeUrl(f"its host {host} does not resolve") from exc
    addresses = tuple(dict.fromkeys(found))  # in the resolver's order, once each
    if not addresses:
        raise UnsafeUrl(f"its host {host} does not resolve")
    refused = [f"{a} ({why})" for a in addresses if (why := refusal(a, allow_private))]
    if refused:
        raise UnsafeUrl(
            f"its host {host} resolves to an address that is not public: {', '.join(refused)}"
        )
    return Target(parsed, addresses)


async def check(url: str, allow_private: bool, resolver: Resolver = system_resolver) -> None:
    """Raise UnsafeUrl naming the problem; return when the URL may be called."""
    await resolve(url, allow_private, resolver)
