"""Where a webhook may be sent (SSRF rules): https to public addresses only, unless
WEBHOOK_ALLOW_PRIVATE_ADDRESSES (which allows http and any address too). The name is resolved
by WEBHOOK_RESOLVER, checked, and the delivery connects to the address that was checked."""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

# Cloud metadata services answer on these, whatever range they fall in.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
DEFAULT_PORTS = {"https": 443, "http": 80}

Resolver = Callable[[str, int], list[str]]


class AddressRefused(ValueError):
    """The URL may not be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str  # the checked address to connect to


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for the name."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT) or
    metadata; an IPv6 address mapping or embedding an IPv4 one is judged by that one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


def check_url(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path of a URL webhooks may be sent to; AddressRefused if not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused("The URL is malformed.") from error
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES else ("https",)
    if parts.scheme not in allowed:
        raise AddressRefused(f"Only {' or '.join(allowed)} URLs are accepted.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused("The URL may not carry credentials.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme], path


def resolve_target(url: str) -> Target:
    """The URL's parts and the one address to connect to: the first the name resolves to, every
    one of which must be public (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES). AddressRefused if the
    name does not resolve or any address is refused."""
    scheme, host, port, path = check_url(url)
    resolver: Resolver = import_string(settings.WEBHOOK_RESOLVER)
    try:
        found = resolver(host, port)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name; UnicodeError too
        raise AddressRefused(f"The host {host} does not resolve.") from error
    if not found:
        raise AddressRefused(f"The host {host} does not resolve.")
    addresses = [ipaddress.ip_address(address) for address in found]
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        refused = [str(address) for address in addresses if not is_public(address)]
        if refused:
            raise AddressRefused(
                f"The host {host} resolves to a non-public address ({', '.join(refused)})."
            )
    return Target(scheme, host, port, path, str(addresses[0]))
