"""Who may use the server: a token on every request, and the Origin of browser requests that act.

Token: with one (`--token`, `--token-file`), every request must carry it, as `Authorization: Bearer TOKEN`
or `?token=TOKEN` (the page's address, and so its WebSocket, which a browser cannot give a header). Listening
beyond loopback without one is refused at start-up (check_exposure): anyone who can reach the port could
use the model otherwise.

Origin: a page of another site can post to this server or open its WebSocket from a visitor's browser (no
CORS preflight stops either). So a WebSocket upgrade or a POST whose Origin header names another site is
refused with 403, unless that origin was allowed (`--allow-origin`). Same origin means the Origin's
host[:port] is the request's Host header, which a reverse proxy must pass on. Requests without an Origin
header come from programs, not browsers, and are let through (the token is what guards them).
"""

import hmac
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from asr.errors import AsrError
from asr.serving.responses import error_response

TOKEN_PARAMETER = "token"  # ?token=... on the page's address and the WebSocket's
# the answer to an allowed origin's preflight: what its page may send (a token header, a form or a file)
PREFLIGHT = {"Access-Control-Allow-Methods": "GET, POST",
             "Access-Control-Allow-Headers": "Authorization, Content-Type", "Access-Control-Max-Age": "600"}


@dataclass(frozen=True)
class Access:
    """token: required on every request when set; allowed_origins: "scheme://host[:port]" besides our own."""

    token: str = None
    allowed_origins: tuple = ()


def is_loopback(host):
    """Whether `host` (a name or an address) reaches this machine only."""
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host.strip("[]"), None)]
    except (socket.gaierror, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_exposure(host, token):
    """AsrError unless the server listens on loopback only or has a token."""
    if not token and not is_loopback(host):
        raise AsrError(f"--host {host} lets other machines connect: give --token TOKEN or --token-file PATH "
                       "(or listen on 127.0.0.1)")


def check_origin(origin):
    """`origin` if it is one (scheme://host[:port], as browsers send it); AsrError otherwise."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or \
            origin != f"{parts.scheme}://{parts.netloc}":
        raise AsrError(f"--allow-origin {origin}: not an origin; write it as a browser sends it, "
                       "https://host or https://host:port")
    return origin


def read_token_file(path):
    """The token in the file at `path` (its first line); AsrError when it cannot be read or is empty."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise AsrError(f"{path}: cannot read the token ({getattr(e, 'strerror', None) or e})") from None
    if not lines or not lines[0].strip():
        raise AsrError(f"{path}: the token file is empty")
    return lines[0].strip()


def request_token(request):
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get(TOKEN_PARAMETER, "")


def origin_allowed(request, allowed):
    origin = request.headers.get("Origin")
    if origin is None or origin in allowed:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == (request.host or "").lower()


def acts(request):
    """A request that does something on the server: an upload (any method but reading) or a WebSocket."""
    return request.method not in ("GET", "HEAD", "OPTIONS") or request.headers.get("Upgrade", "").lower() == \
        "websocket"


def refusal(request, access):
    """The error response for a request without the token or from another site's page; None if it may pass."""
    if access.token and not hmac.compare_digest(request_token(request).encode(), access.token.encode()):
        return error_response(request, 401, "a valid token is required: send 'Authorization: Bearer TOKEN' or "
                              "?token=TOKEN", headers={"WWW-Authenticate": "Bearer"})
    if acts(request) and not origin_allowed(request, access.allowed_origins):
        return error_response(request, 403, "requests from another site's page are refused; the server's owner "
                              "can allow its origin with --allow-origin")
    return None


def access_middleware(access):
    """Token and Origin checks; for an allowed other origin, the CORS headers that let its page read the
    answers, and the answer to its preflight (which carries no token: a browser never sends one there)."""
    @web.middleware
    async def check_access(request, handler):
        origin = request.headers.get("Origin")
        cross = origin in access.allowed_origins
        if cross and request.method == "OPTIONS":
            response = web.Response(status=204, headers=PREFLIGHT)
        else:
            response = refusal(request, access) or await handler(request)
        if cross and not response.prepared:  # a WebSocket's answer went out already: it needs no CORS
            response.headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
        return response
    return check_access
