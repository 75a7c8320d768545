"""The network seam: every request of the tool goes through a client built here."""

import sys

# httpx imports its command-line client — click, rich.progress, pygments: ≈ 40 ms of CPU, a
# twentieth of a quiet night's scan — whenever click and rich are installed, as they are here.
# The census never runs it; a None in sys.modules makes that import fail, and httpx then
# defines a stub ``httpx.main`` instead (its own fallback for a missing extra).
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

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
