"""The network seam: every request of the tool goes through a client built here."""

import sys
from types import ModuleType

if "httpx" not in sys.modules:
    # httpx imports its own command line (httpx._main) at import time, and with it click,
    # pygments and rich.syntax: 2.7 MB of a scan's peak memory for a CLI the census never
    # runs. An empty stand-in makes httpx skip it (its import is optional in httpx); it is
    # removed again at once, so an explicit ``import httpx._main`` later still works.
    _stand_in = sys.modules.setdefault("httpx._main", ModuleType("httpx._main"))
    import httpx  # noqa: F401

    if sys.modules.get("httpx._main") is _stand_in:
        del sys.modules["httpx._main"]

from scanner.http.charset import decode_html
from scanner.http.client import build_client
from scanner.http.failures import FailureKind, classify_exception
from scanner.http.fetch import Fetched, FetchFailed, fetch
from scanner.http.hostmap import HostMap
from scanner.http.limits import HostLimiter, retry_after_seconds

__all__ = [
    "FailureKind",
    "FetchFailed",
    "Fetched",
    "HostLimiter",
    "HostMap",
    "build_client",
    "classify_exception",
    "decode_html",
    "fetch",
    "retry_after_seconds",
]
