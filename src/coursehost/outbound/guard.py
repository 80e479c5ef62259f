"""Where the server may connect (issue 13, server-side request forgery): the host of every URL is
resolved here, refused when any of its addresses is not a public one, and the connection is then
made to the very address that was checked (PinnedTransport), so a name that resolves differently a
moment later (DNS rebinding) cannot turn the request towards the inside.

Refusals and failures are worded so they tell nothing of the far side: one message for every
connection failure, whatever the socket said, and never a byte of what the far side sent."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import httpx

from coursehost.outbound.errors import OutboundError

REFUSED = "the URL's host resolves to a private or local address; such targets are not allowed"
UNRESOLVED = "the URL's host name could not be resolved"
INVALID_URL = "the URL is not a valid http or https URL"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: (host, port) -> the addresses to connect to, as text; socket.getaddrinfo in production.
Resolver = Callable[[str, int], Sequence[str]]

#: RFC 6598 shared address space (carrier-grade NAT): not "private" to ipaddress, not public either.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
#: RFC 6052 NAT64: the gateway connects to the IPv4 address in the low 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TargetRefused(OutboundError):
    """The URL's host is (or resolves to) an address the server must not connect to."""

    def __init__(self) -> None:
        super().__init__(REFUSED, kind="Refused")


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses as the operating system resolves them (every IP literal form it accepts)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Is ADDRESS a public unicast address: not loopback, private (RFC 1918, fc00::/7), link-local,
    multicast, unspecified, reserved or shared (100.64/10), nor an IPv6 form of one of those?"""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public(embedded):
            return False
        if address.is_site_local:
            return False
    if (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_unspecified or address.is_reserved):
        return False
    return address.is_global and address not in _CGNAT


def _host_and_port(url: httpx.URL) -> tuple[str, int]:
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise OutboundError(INVALID_URL, kind="InvalidURL")
    return url.host, url.port or _DEFAULT_PORTS[url.scheme]


def parse_url(url: str) -> httpx.URL:
    """URL parsed as the client will request it; OutboundError when it is not an http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise OutboundError(INVALID_URL, kind="InvalidURL") from None
    _host_and_port(parsed)
    return parsed


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses requests may go to. ALLOW_PRIVATE (COURSEHOST_ALLOW_PRIVATE_URLS) turns the
    check off; RESOLVER replaces getaddrinfo and EXEMPT lets (ip, port) pairs through, for tests only."""

    allow_private: bool = False
    resolver: Resolver | None = None
    exempt: Collection[tuple[str, int]] = ()

    def address_for(self, host: str, port: int) -> str:
        """The checked address to connect to for HOST:PORT; TargetRefused or OutboundError."""
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = list((self.resolver or system_resolver)(host, port))
            except (OSError, UnicodeError):
                raise OutboundError(UNRESOLVED, kind="NameResolutionError") from None
            if not found:
                raise OutboundError(UNRESOLVED, kind="NameResolutionError")
        if not self.allow_private:
            for text in found:
                if (text, port) not in self.exempt and not is_public(ipaddress.ip_address(text)):
                    raise TargetRefused()
        return found[0]

    def check_url(self, url: str) -> None:
        """Refuse URL now (when it is given): OutboundError with words fit for the caller's 400.
        With private addresses allowed nothing is resolved now (the fetch resolves it when it runs)."""
        host_and_port = _host_and_port(parse_url(url))
        if not self.allow_private:
            self.address_for(*host_and_port)


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport that connects to the address POLICY checked for the URL's host, while
    the request keeps the host name in its Host header and in TLS (SNI and the certificate check).
    One connection pool per host name, so a kept-alive TLS connection verified for one name never
    carries a request for another that happens to share its address."""

    def __init__(self, policy: AddressPolicy, *, verify: object = True):
        self._policy = policy
        self._verify = verify
        self._pools: dict[str, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Resolve, check and pin, then send REQUEST through the host's pool."""
        host, port = _host_and_port(request.url)
        address = self._policy.address_for(host, port)
        extensions = dict(request.extensions)
        if address != host:
            extensions["sni_hostname"] = host
        pinned = httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                               stream=request.stream, extensions=extensions)
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = httpx.HTTPTransport(verify=self._verify, trust_env=False)
        return pool.handle_request(pinned)

    def close(self) -> None:
        """Close every pool."""
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
