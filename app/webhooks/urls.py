"""Where webhooks may go: not to this network's insides (SSRF). A URL's host is resolved and
every address it resolves to must be public, unless private URLs are allowed (tests,
on-premises receivers). Checked when a subscription is saved and again before each send,
so a name that later resolves inside is refused then too."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

RESOLVE_TIMEOUT_SECONDS = 5.0


class UnsafeUrl(ValueError):
    pass


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def check(url: str, allow_private: bool) -> None:
    """Raise UnsafeUrl naming the problem; return when the URL may be called."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry credentials")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    lookup = asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    try:
        found = await asyncio.wait_for(lookup, RESOLVE_TIMEOUT_SECONDS)
    except (socket.gaierror, TimeoutError) as exc:
        raise UnsafeUrl(f"its host {parts.hostname} does not resolve") from exc
    addresses = {str(info[4][0]) for info in found}
    inside = sorted(a for a in addresses if not _is_public(a))
    if inside:
        raise UnsafeUrl(
            f"its host {parts.hostname} resolves to a private, loopback or link-local"
            f" address ({', '.join(inside)})"
        )
