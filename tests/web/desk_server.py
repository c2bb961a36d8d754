"""The desk served for real, for the tests that need a socket (browsers, streams, raw
requests): uvicorn on a free loopback port, in a thread of the test's process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serving(app: Any, **config: Any) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 until the block ends; yields the port uvicorn bound.

    Port 0 lets the kernel choose, so no other process can take the port between asking
    for a free one and binding it. `config` goes to `uvicorn.Config`.
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the desk did not start"
        time.sleep(0.05)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
