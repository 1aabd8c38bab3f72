"""Run an ASGI app with a real uvicorn server in a background thread (tests, demos).

>>> # with serving(app) as url: httpx.get(url + "/api/v1/lookup/config")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

__all__ = ["serving"]


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on ``host`` (port 0: a free port) until the block ends; yields the base URL."""
    config = uvicorn.Config(app, host=host, port=port, access_log=False, server_header=False, log_config=None,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuite-serving", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{host}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout)
