"""Who is asking: the client's address, as every limiter and counter sees it.

Behind the front cache (``DJANGO_BEHIND_PROXY=1``) the address is the last entry
of X-Forwarded-For, the one the trusted proxy appended; entries before it were
written by the client and prove nothing. Without a proxy it is REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address in canonical form, or None when there is no valid one."""
    raw = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            raw = forwarded.rsplit(",", 1)[-1]
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:  # no address, or a proxy that passes something else: count nothing on it
        return None


def client_bucket(ip: str) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64 (one household or host
    gets a whole /64 and can pick any address in it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
