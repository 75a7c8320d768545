"""The network seam: every request of the tool goes through a client built here."""

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
