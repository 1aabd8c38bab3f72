"""ASGI middleware: a body limit, security headers on every response, and an access log without identifiers.

``BodyLimit`` reads at most ``limit`` bytes of a request body (4 kB by default, far above a lookup's 200):
a larger ``Content-Length`` gets a 413 before a byte of the body is read, and a chunked body is cut off with a
413 as soon as it passes the limit. The app never holds more than ``limit`` bytes of any body.

The access log line is ``METHOD ROUTE STATUS DURATIONms`` where ROUTE is the route *template*
(``/api/v3/breachedaccount/{account}``), never the requested path, query string, body, client
address or headers: nothing typed by a person, no bucket and no blinded element can reach a log.
"""

from __future__ import annotations

import logging
import time

__all__ = ["SecurityHeaders", "BodyLimit", "ACCESS_LOGGER", "BODY_LIMIT", "security_headers"]

ACCESS_LOGGER = "fuite.server.access"
BODY_LIMIT = 4096
_TOO_LARGE = b'{"error":"request body too large (at most 4 kB)"}'


async def _send_413(send) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_TOO_LARGE)),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _TOO_LARGE})


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with a 413, reading no more than ``limit`` + one chunk."""

    def __init__(self, app, limit: int = BODY_LIMIT):
        self.app, self.limit = app, limit

    def _declared(self, scope) -> int | None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                return int(value) if value.isdigit() else self.limit + 1
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        declared = self._declared(scope)
        if declared is not None and declared > self.limit:
            return await _send_413(send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await _send_413(send)
        replayed = [False]

        async def replay():
            if replayed[0]:
                return await receive()
            replayed[0] = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def security_headers(script_hashes: list[str], hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers added to every response. ``script_hashes``: CSP hashes of the page's inline import map."""
    scripts = " ".join(["'self'"] + [f"'{h}'" for h in script_hashes])
    csp = (f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self'; connect-src 'self'; "
           "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    headers = [
        ("content-security-policy", csp),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if hsts:
        headers.append(("strict-transport-security", "max-age=63072000; includeSubDomains"))
    return [(k.encode(), v.encode()) for k, v in headers]


class SecurityHeaders:
    """Add ``headers`` to every HTTP response, ``Cache-Control: no-store`` to API answers; log by route template."""

    def __init__(self, app, headers: list[tuple[bytes, bytes]], mounts: tuple[str, ...] = ()):
        self.app = app
        self.headers = headers
        self.mounts = mounts
        self.log = logging.getLogger(ACCESS_LOGGER)

    def _mount(self, path: str) -> str:
        return next((f"{m}/{{file}}" for m in self.mounts if path.startswith(m + "/")), "<unmatched>")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [0]
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in self.headers if h[0] not in names]
                if api and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if self.log.isEnabledFor(logging.INFO):
                route = getattr(scope.get("route"), "path", None) or self._mount(scope["path"])
                self.log.info("%s %s %d %.1fms", scope["method"], route, status[0],
                              (time.perf_counter() - start) * 1000)
