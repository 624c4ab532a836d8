"""Which IP addresses are public: the one rule the outbound guard and the endpoint checks share."""

from __future__ import annotations

import ipaddress

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIXTOFOUR = ipaddress.ip_network("2002::/16")


def is_public(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An ordinary public unicast address. Not: private, loopback, link-local, CGNAT
    (100.64/10), unspecified, reserved, multicast, documentation, benchmarking, site-local;
    IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64 64:ff9b::/96 and
    64:ff9b:1::/48, 6to4 2002::/16, Teredo) are judged by the address they embed."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            return all(is_public(v4) for v4 in embedded)
        if ip.is_site_local:
            return False
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or ip.is_loopback:
        return False
    if ip.is_link_local or ip.is_private or not ip.is_global:
        return False
    return not (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    for network in _NAT64:
        if ip in network:
            return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip in _SIXTOFOUR:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return [ipaddress.IPv4Address(int(ip))]
    return None
