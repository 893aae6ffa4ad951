"""What keeps a local web server safe on a shared machine.

The server listens on a port any local user (and any web page the user opens)
can reach, so every request must prove it comes from whoever ran ``serve``:

- the access token, carried in the path of every URL (``/t/<token>/...``) and
  never in a cookie: a browser sends a host's cookies to *every* port of that
  host, so a link to ``http://127.0.0.1:9999/`` in an issue body, or a typed
  one, would hand a cookie to whatever listens there.  A path goes only where
  its URL points, and the Referrer-Policy keeps the URL from other origins
  (another port is another origin);
- a Host header naming the address served, so a DNS-rebinding page (evil.example
  resolving to 127.0.0.1) is refused even though its requests reach the port;
- a CSRF token in every form, checked on every POST; nothing writes on GET;
- headers that forbid inline script, framing, sniffing and leaking the URL.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket

LOOPBACK_NAMES = ("localhost",)
CAPABILITY = "/t/"  # the access token's place in every path: /t/<token>/...
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # with no-referrer, Chrome sends Origin: null
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost': addresses only this machine reaches."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """0.0.0.0 or ::, every address of the machine."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def public_name(host: str) -> str:
    """The name to print in the URL: the machine's name for a wildcard address."""
    if is_wildcard(host):
        return socket.gethostname()
    return host


def url_host(host: str) -> str:
    """The host as it appears in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Guard:
    """The secrets of one server run and the checks made on each request.

    Made per ``serve`` run, never at module level: two servers in one process
    (the tests start several) must not share a token.
    """

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self.port = port
        self.prefix = f"{CAPABILITY}{self.token}"  # every URL of the app starts with it
        names = {url_host(host), url_host(public_name(host)).lower()}
        if is_loopback(host) or is_wildcard(host):
            names |= {"localhost", "127.0.0.1", "[::1]"}
        self.hosts = {f"{name}:{port}" for name in names}

    def host_ok(self, header: str | None) -> bool:
        return (header or "").lower() in self.hosts

    def token_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.token.encode())

    def strip(self, path: str) -> str | None:
        """The path after a right ``/t/<token>`` prefix ('/' at least); None without one."""
        if not path.startswith(CAPABILITY):
            return None
        token, _, rest = path[len(CAPABILITY):].partition("/")
        return "/" + rest if self.token_ok(token) else None

    def csrf_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.csrf.encode())

    def origin_ok(self, origin: str | None) -> bool:
        """A browser names the page a POST came from; it must be this server."""
        if not origin or origin == "null":
            return True  # not sent by every client (or hidden): the CSRF token still decides
        scheme, _, rest = origin.partition("://")
        return scheme == "http" and rest.lower() in self.hosts
