"""The garbage collector while crawls run: a young collection every 10,000 allocations.

A crawl makes millions of short-lived containers (each page's links, each memo's decoded
lists, each answer's parts) and keeps few of them. At Python's default threshold (700) the
collector runs a young collection every few hundred of them: on a quiet night of the peers site
0.05–0.08 CPU s of ≈ 0.9 (docs/crawl.md, "Ninth round"). `census scan` raised the threshold for
its own run; this is the one place it is done now, around every crawl of every process — the
command, `census monitor`'s nightly pass and the Celery workers — so a night costs the same
however it is run.

The thresholds are the interpreter's, and a monitor or a worker runs several sites' crawls at
once (in one event loop or in threads): raised when the process's first crawl starts, put back
when its last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["CRAWL_THRESHOLDS", "crawl_collector"]

CRAWL_THRESHOLDS = (10_000, 20, 10)

_lock = threading.Lock()
_running = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def crawl_collector() -> Iterator[None]:
    """Raise the collector's thresholds for the time any crawl of this process runs."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*CRAWL_THRESHOLDS)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
