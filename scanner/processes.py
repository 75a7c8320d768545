"""Worker processes that die with their parent.

``census score --all --workers N`` forks N workers; if the parent is killed outright
(kill -9, the OOM killer) nothing tells them, and they would score on — or wait forever for
work — as orphans still holding database connections. Each worker asks the kernel to kill it
when its parent dies (Linux ``PR_SET_PDEATHSIG``), falls back to a thread watching its parent
id elsewhere, and leaves Ctrl-C to the parent (which stops the pool) instead of printing its
own traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def _watch(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            os._exit(1)


def die_with_parent(parent_pid: int) -> None:
    """Initializer of a worker process (``ProcessPoolExecutor(initializer=...)``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:  # the parent died before the request was made
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch, args=(parent_pid,), daemon=True).start()
