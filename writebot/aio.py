"""Running coroutines from synchronous code, in a script or inside Jupyter (whose kernel already runs a loop)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_sync(coroutine) -> Any:
    """asyncio.run, or, when this thread already runs an event loop (a notebook), asyncio.run in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="writebot-async") as pool:
        return pool.submit(asyncio.run, coroutine).result()
