"""Which network addresses the crawler may talk to (server-side request forgery guard).

Why: URLs come from the outside — a base URL in a deployment parameter, links and redirects
on scraped pages. Followed blindly, ``http://169.254.169.254/`` hands a cloud machine's
credentials to whoever planted the link, and ``http://127.0.0.1:5432/`` probes our own
services. So a target's host is resolved first and refused when any address it resolves to is:

* link-local (``169.254.0.0/16``, ``fe80::/10``: the cloud metadata services) — always;
* loopback, private (RFC 1918, ``fc00::/7``), unspecified, reserved or multicast — unless
  ``allow_private`` (``JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES=1``; the demo board on 127.0.0.1
  and the tests set it).

Known gap: the HTTP client resolves the name again when it connects, so a DNS server that
answers differently the second time (DNS rebinding) is not caught here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_ALLOW_HINT = "set JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES=1 to crawl a server on your own network"


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``ip`` may not be contacted, or ``None``."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return f"{ip} is link-local (cloud metadata services live there); never crawled"
    if allow_private:
        return None
    for kind in ("loopback", "private", "unspecified", "reserved", "multicast"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind} address; {_ALLOW_HINT}"
    return None


class AddressGuard:
    """Resolves hosts (cached per host) and refuses those pointing at forbidden addresses."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._cache: dict[tuple[str, int], str | None] = {}

    async def refusal(self, url: str) -> str | None:
        """A one-line reason when ``url``'s host must not be contacted, else ``None``.

        A host that does not resolve is not refused here: the request then fails with the
        client's own, clearer, connection error.
        """
        parts = urlsplit(url)
        host = (parts.hostname or "").strip()
        if not host:
            return "URL has no host"
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "URL has an invalid port"
        key = (host.lower(), port)
        if key not in self._cache:
            self._cache[key] = await self._check(host, port)
        return self._cache[key]

    async def _check(self, host: str, port: int) -> str | None:
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                return None
            addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        for ip in addresses:
            problem = address_problem(ip, allow_private=self.allow_private)
            if problem is not None:
                return f"{host} -> {problem}" if str(ip) != host else problem
        return None
