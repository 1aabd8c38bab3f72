"""Commands of fuite.server (registered by fuite.cli): ``fuite serve``."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import typer

from fuite.errors import UsageError


def log_config(level: str) -> dict:
    """uvicorn logging: our route-template access log only; uvicorn's own access log stays off."""
    fmt = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": fmt}, "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "fuite.server.access": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


def defence_settings(rate_limit: str = "30/min", burst: int = 10, bucket_limit: str = "120/hour",
                     bucket_burst: int = 20, global_limit: str = "2500/s"):
    """``DefenceSettings`` from the command-line forms (``N/s``, ``N/min``, ``N/hour``, ``0``)."""
    from fuite.server.defences import DefenceSettings
    from fuite.server.ratelimit import parse_rate

    if burst < 1 or bucket_burst < 1:
        raise UsageError("--burst and --bucket-burst must be at least 1")
    return DefenceSettings(client_per_minute=parse_rate(rate_limit), client_burst=burst,
                           bucket_per_hour=parse_rate(bucket_limit) * 60, bucket_burst=bucket_burst,
                           global_per_second=parse_rate(global_limit) / 60,
                           global_burst=max(1, int(parse_rate(global_limit) / 30)))


def serve(index: Path, host: str = "127.0.0.1", port: int = 8000, key_file: Path | None = None, workers: int = 1,
          defences=None, hsts: bool = False, forwarded_allow_ips: str | None = None,
          web_modules: Path | None = None, log_level: str = "info") -> None:
    """Check the index and key, then run uvicorn with ``workers`` processes building the app from the env."""
    import uvicorn

    from fuite.lookup.index import read_index
    from fuite.lookup.keys import ENV_KEY_FILE, load_key
    from fuite.server.app import ServeSettings, create_app, default_web_modules

    if workers < 1:
        raise UsageError("--workers must be at least 1")
    defences = defences or defence_settings()
    key = load_key(key_file)
    settings = ServeSettings(defences=defences, hsts=hsts, web_modules=web_modules or default_web_modules())
    create_app(read_index(index), key, settings)  # fail here, once, with a one-line error
    os.environ.update({"FUITE_SERVE_INDEX": str(Path(index).resolve()),
                       "FUITE_SERVE_DEFENCES": json.dumps(dataclasses.asdict(defences)),
                       "FUITE_SERVE_HSTS": "1" if hsts else "0", "FUITE_WEB_MODULES": str(settings.web_modules)})
    if key_file:
        os.environ[ENV_KEY_FILE] = str(Path(key_file).resolve())
    if not settings.web_modules.joinpath("@noble", "ciphers").exists():
        typer.echo("warning: web dependencies missing (npm ci --prefix web): the page is disabled, the API works",
                   err=True)
    uvicorn.run("fuite.server.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                access_log=False, server_header=False, proxy_headers=forwarded_allow_ips is not None,
                forwarded_allow_ips=forwarded_allow_ips, log_config=log_config(log_level),
                timeout_worker_healthcheck=60)  # a loaded machine starts workers slowly: do not kill them


def register(app: typer.Typer) -> None:
    """Add this area's commands to the fuite app."""

    @app.command("serve")
    def serve_command(
        index: Path = typer.Option(..., "--index", help="Index file built by `fuite lookup build`."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", help="Port to listen on."),
        key_file: Path = typer.Option(None, "--key-file", help="Lookup key file (else FUITE_LOOKUP_KEY[_FILE])."),
        workers: int = typer.Option(1, "--workers", help="uvicorn worker processes."),
        rate_limit: str = typer.Option("30/min", "--rate-limit",
                                       help="Lookups per client address (IPv6: per /64) and worker: N/s, N/min, "
                                            "N/hour; 0 disables."),
        burst: int = typer.Option(10, "--burst", help="Lookups a client may make at once before the rate applies."),
        bucket_limit: str = typer.Option("120/hour", "--bucket-limit",
                                         help="Lookups per index bucket and worker before proofs of work grow "
                                              "harder; 0 disables."),
        bucket_burst: int = typer.Option(20, "--bucket-burst", help="Lookups a bucket takes at once."),
        global_limit: str = typer.Option("2500/s", "--global-limit",
                                         help="Lookups per worker before every lookup needs a proof of work; "
                                              "0 disables."),
        hsts: bool = typer.Option(False, "--hsts", help="Send Strict-Transport-Security (only behind TLS)."),
        forwarded_allow_ips: str = typer.Option(
            None, "--forwarded-allow-ips",
            help="Trust X-Forwarded-For/Proto from these proxy addresses (comma-separated) for rate limiting."),
        web_modules: Path = typer.Option(None, "--web-modules", help="web/node_modules (default: the checkout's)."),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    ) -> None:
        """Run the private self-check service: page, lookup API, HIBP v3 catalogue."""
        defences = defence_settings(rate_limit, burst, bucket_limit, bucket_burst, global_limit)
        serve(index, host, port, key_file, workers, defences, hsts, forwarded_allow_ips, web_modules, log_level)
