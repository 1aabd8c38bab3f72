"""The self-check web service: an app factory (no module-level state).

Routes: the page (``/``, ``/static/…``, ``/vendor/@noble/…`` from ``web/node_modules``), the lookup API
(``/api/v1/lookup/config`` with the guidance bundled, ``/api/v1/lookup``), the HIBP v3 catalogue
(``/api/v3/…``) and the OpenAPI schema (``/api/openapi.json``). ``app_from_env`` builds the app for
uvicorn workers from ``FUITE_SERVE_*`` variables set by ``fuite serve``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import fuite
from fuite.errors import LookupKeyError
from fuite.lookup import oprf
from fuite.lookup.index import LookupIndex, read_index
from fuite.lookup.keys import ServerKey, load_key
from fuite.server.hibp import hibp_router
from fuite.server.defences import DefenceSettings, Defences
from fuite.server.middleware import BodyLimit, SecurityHeaders, security_headers
from fuite.server.models import (
    BAD_REQUEST,
    ERROR_RESPONSES,
    LookupConfig,
    LookupResponse,
    lookup_request_model,
)

__all__ = ["ServeSettings", "create_app", "app_from_env", "default_web_modules", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"
_IMPORTMAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)
_NOBLE = ("curves", "hashes", "ciphers")
PROTOCOL = 2


@dataclass(frozen=True)
class ServeSettings:
    defences: DefenceSettings = field(default_factory=DefenceSettings)  # budgets and proof of work, per worker
    hsts: bool = False              # send Strict-Transport-Security (only behind TLS)
    web_modules: Path | None = None  # web/node_modules holding @noble/curves, @noble/hashes, @noble/ciphers
    clock: Callable[[], float] = time.monotonic  # budgets (tests inject a fake clock)
    wall: Callable[[], float] = time.time        # proof-of-work challenges


def default_web_modules() -> Path:
    """``FUITE_WEB_MODULES`` or the checkout's ``web/node_modules``."""
    env = os.environ.get("FUITE_WEB_MODULES")
    return Path(env) if env else Path(fuite.__file__).resolve().parents[1] / "web" / "node_modules"


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message}, headers=headers)


def _validation_message(exc: RequestValidationError | PydanticValidationError, prefix: str = "") -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(err.get("loc", ()))) or prefix
        parts.append(f"{where}: {err.get('msg', 'invalid')}")  # 'msg' never echoes the input
    return "invalid request: " + "; ".join(parts)


def _page(web_modules: Path | None) -> tuple[str, list[str], bool]:
    html = (STATIC_DIR / "index.html").read_text()
    hashes = ["sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()
              for m in _IMPORTMAP.findall(html)]
    ready = bool(web_modules and all((web_modules / "@noble" / p / "package.json").exists() for p in _NOBLE))
    return html, hashes, ready


def _config(index: LookupIndex) -> dict:
    header = index.header
    return {"protocol": PROTOCOL, "suite": oprf.SUITE, "mode": oprf.MODE, "bucket_bits": index.bucket_bits,
            "entry_bytes": int(header["entry_bytes"]), "tag_bytes": int(header["tag_bytes"]),
            "entries_per_bucket": index.entries_per_bucket, "kinds": list(header.get("kinds", [])),
            "key_id": index.key_id, "exposure": header["exposure"], "guidance": header.get("breach", {})}


def _proof(body) -> tuple[str, bytes] | None:
    return (body.pow.challenge, bytes.fromhex(body.pow.nonce)) if body.pow else None


def create_app(index: LookupIndex, key: ServerKey, settings: ServeSettings = ServeSettings()) -> FastAPI:
    """Build the service for ``index`` evaluated with ``key`` (their key_ids must match)."""
    if key.key_id != index.key_id:
        raise LookupKeyError(f"the key (key_id {key.key_id}) does not match the index (key_id {index.key_id}): "
                              "rebuild the index with this key, or serve it with its own key")
    app = FastAPI(title="fuite self-check", version=fuite.__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", responses=BAD_REQUEST,
                  description="Private self-check (RFC 9497 OPRF, ristretto255-SHA512) and HIBP v3 breach "
                              "catalogue. Protocol: docs/lookup-protocol.md.")
    defences = Defences(key.sk, index.bucket_bits, settings.defences, settings.clock, settings.wall)
    config_json = json.dumps(_config(index), ensure_ascii=False, separators=(",", ":"))[:-1]
    summary = index.header.get("breach", {})
    entries_json: dict[int, str] = {}
    html, script_hashes, page_ready = _page(settings.web_modules)
    request_model = lookup_request_model(index.bucket_bits)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return _error(400, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    def pow_json(difficulty: int) -> str:
        return f'{{"challenge":"{defences.challenge()}","difficulty":{difficulty}}}'

    @app.get("/api/v1/lookup/config", response_model=LookupConfig, tags=["self-check"])
    async def lookup_config() -> Response:
        """Everything a client needs, the same for everyone: protocol parameters, exposure codes, the
        breach-wide guidance, and the current proof-of-work challenge and difficulty."""
        content = f'{config_json},"pow":{pow_json(defences.load_bits())}}}'
        return Response(content=content.encode(), media_type="application/json")

    async def lookup(request: Request) -> Response:
        """Evaluate a blinded element (RFC 9497 BlindEvaluate) and return the bucket's entries."""
        try:  # parsed and validated by pydantic in one pass: much cheaper than FastAPI's body solving
            body = request_model.model_validate_json(await request.body())
        except PydanticValidationError as exc:
            return _error(400, _validation_message(exc, "body"))
        blinded = bytes.fromhex(body.blinded_element)
        decision = defences.check(request.client.host if request.client else "-", body.bucket, blinded,
                                  _proof(body))
        if not decision.admitted and decision.difficulty:
            content = '{"error":"too many lookups: solve the proof of work and retry","pow":' + \
                f"{pow_json(decision.difficulty)}}}"
            return Response(content=content, status_code=429, media_type="application/json")
        if not decision.admitted:
            return _error(429, "too many lookups: try again later", {"Retry-After": str(decision.retry_after)})
        try:
            evaluated = oprf.blind_evaluate(key.sk, blinded)
        except oprf.InvalidInputError:
            return _error(400, "invalid request: blinded_element is not a valid ristretto255 element")
        bucket = int(body.bucket, 16)
        entries = entries_json.get(bucket)
        if entries is None:
            entries = entries_json.setdefault(bucket, '"' + index.entries_base64(bucket) + '"')
        content = f'{{"evaluated_element":"{evaluated.hex()}","entries":{entries},"key_id":"{index.key_id}"}}'
        return Response(content=content, media_type="application/json")

    request_body = {"required": True, "content": {"application/json": {"schema": request_model.model_json_schema()}}}
    app.post("/api/v1/lookup", response_model=LookupResponse, responses=ERROR_RESPONSES, tags=["self-check"],
             openapi_extra={"requestBody": request_body})(lookup)

    app.include_router(hibp_router(summary))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        if not page_ready:
            return HTMLResponse("<!doctype html><meta charset=utf-8><title>fuite</title><p>Page indisponible : "
                                "dépendances web absentes (npm ci --prefix web). / Page unavailable: web "
                                "dependencies missing (npm ci --prefix web).</p>", status_code=503)
        return HTMLResponse(html)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if page_ready:
        for package in _NOBLE:
            app.mount(f"/vendor/@noble/{package}", StaticFiles(directory=settings.web_modules / "@noble" / package),
                      name=f"noble-{package}")
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, headers=security_headers(script_hashes, settings.hsts),
                       mounts=("/static", "/vendor"))
    return app


def app_from_env() -> FastAPI:
    """The app for uvicorn workers, from ``FUITE_SERVE_INDEX`` and the lookup key variables."""
    index = read_index(Path(os.environ["FUITE_SERVE_INDEX"]))
    defences = json.loads(os.environ.get("FUITE_SERVE_DEFENCES", "{}"))
    settings = ServeSettings(
        defences=DefenceSettings(**defences),
        hsts=os.environ.get("FUITE_SERVE_HSTS") == "1",
        web_modules=default_web_modules(),
    )
    return create_app(index, load_key(), settings)
