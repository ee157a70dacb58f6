"""Refusing requests that other web pages make: the ``Host`` and ``Origin`` checks.

A server on the user's machine is in reach of every web page the user opens. A page can post a
multipart form (an upload) to ``http://127.0.0.1:8000`` without asking first (no CORS
preflight), and a page whose domain is made to resolve to 127.0.0.1 (DNS rebinding) can even
read the answers. :class:`RequestGuard` refuses both before the app sees the request:

- a ``Host`` header that names none of the allowed hosts (nor the address the request reached
  the server on): 400 (as Django and Starlette's ``TrustedHostMiddleware`` answer);
- an ``Origin`` header that is neither this server's (the page at ``/`` calling the API) nor an
  allowed origin: 403; without ``Origin``, a request that the browser marks ``Sec-Fetch-Site:
  cross-site``: 403, unless it is a link followed (a ``GET`` or ``HEAD`` navigation).

Requests without these headers (scripts, ``curl``, notebooks) are not browsers' and pass, and so
do ASGI events other than HTTP requests (the app has no WebSocket). The answer is JSON with a
``detail`` saying what to configure, and the connection is closed. Checking costs under a
microsecond per request.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ANY", "RequestGuard"]

ANY = "*"
"""The entry of ``allowed_hosts`` or ``allowed_origins`` that allows everything."""

_NAVIGATION_METHODS = ("GET", "HEAD")


class RequestGuard:
    """ASGI middleware that answers requests from unknown hosts (400) and other sites (403).

    Parameters
    ----------
    app
        The application behind the guard.
    allowed_hosts
        Host names, lower case and without port (any port passes); IPv6 addresses in brackets;
        ``"*"`` for any (see :class:`~astrolens.web.WebConfig`).
    allowed_origins
        Origins (``"https://portal.example.org"``) allowed besides the server's own; ``"*"``
        for any.

    Examples
    --------
    >>> guard = RequestGuard(None, allowed_hosts=("localhost",), allowed_origins=())
    >>> def request(**headers):
    ...     encoded = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    ...     return {"type": "http", "method": "POST", "server": ("127.0.0.1", 8000),
    ...             "headers": encoded}
    >>> guard.refusal(request(host="localhost:8000", origin="http://localhost:8000")) is None
    True
    >>> guard.refusal(request(host="127.0.0.1:8000")) is None  # the address it was reached on
    True
    >>> guard.refusal(request(host="rebound.example:8000"))[0]
    400
    >>> guard.refusal(request(host="localhost:8000", origin="https://elsewhere.example"))[0]
    403
    >>> guard.refusal(request(host="localhost:8000", sec_fetch_site="cross-site"))[0]
    403
    """

    def __init__(
        self, app: ASGIApp, allowed_hosts: Iterable[str], allowed_origins: Iterable[str]
    ) -> None:
        self.app = app
        hosts, origins = set(allowed_hosts), set(allowed_origins)
        self.any_host = ANY in hosts
        self.any_origin = ANY in origins
        self.hosts = frozenset(host.encode("ascii") for host in hosts)
        self.origins = frozenset(origin.encode("ascii") for origin in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = self.refusal(scope) if scope["type"] == "http" else None
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, detail = refused
        body = json.dumps({"detail": detail}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """The status and message for a request refused, or None for one allowed."""
        host = origin = fetch_site = fetch_mode = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.lower()
            elif name == b"origin":
                origin = value.lower()
            elif name == b"sec-fetch-site":
                fetch_site = value
            elif name == b"sec-fetch-mode":
                fetch_mode = value
        if host is not None and not self.any_host and not self._known_host(host, scope):
            return 400, (
                f"invalid Host header {_shown(host)}: this server answers only requests for its "
                "allowed hosts (add the name to its allowed_hosts to use it)"
            )
        if origin is not None:
            if self.any_origin or origin in self.origins or _authority(origin) == host:
                return None
            return 403, (
                f"cross-site request refused: the page at {_shown(origin)} is not an allowed "
                "origin of this server (add it to its allowed_origins to let that page search)"
            )
        if fetch_site == b"cross-site" and not self.any_origin:
            if fetch_mode == b"navigate" and scope["method"] in _NAVIGATION_METHODS:
                return None
            return 403, (
                "cross-site request refused: another web site's page sent it (without an Origin "
                "header); this server answers its own page, and the origins in its "
                "allowed_origins"
            )
        return None

    def _known_host(self, host: bytes, scope: Scope) -> bool:
        name = host[: host.find(b"]") + 1] if host.startswith(b"[") else host.partition(b":")[0]
        return name in self.hosts or name == _local_address(scope)


def _authority(origin: bytes) -> bytes:
    """``b"localhost:8000"`` of ``b"http://localhost:8000"``: what its ``Host`` header says."""
    return origin.partition(b"://")[2]


def _local_address(scope: Scope) -> bytes | None:
    """The address the request reached the server on, as a ``Host`` header writes it."""
    server: Any = scope.get("server")
    return _host_of_address(server[0]) if server and isinstance(server[0], str) else None


@functools.lru_cache(maxsize=64)
def _host_of_address(address: str) -> bytes | None:
    """``b"[::1]"`` of ``"::1"``; None for what is not an IP address (a Unix socket's path)."""
    address = address.removeprefix("::ffff:")  # an IPv4 client of a dual-stack socket
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    shown = f"[{parsed}]" if parsed.version == 6 else str(parsed)
    return shown.encode("ascii")


def _shown(value: bytes, limit: int = 100) -> str:
    text = value.decode("latin-1")
    return repr(text if len(text) <= limit else text[:limit] + "...")
