"""Site crawl and link availability (``availability.links``): see docs/crawl.md.

`Scanner` runs many sites' scans at once; `SiteCrawl` is one site's scan (crawl, link checks,
confirming re-checks); `normalize_url` / `TrapGuard` / `Frontier` are its building blocks.
"""

from scanner.crawl.frontier import Frontier, Scope
from scanner.crawl.parallel import RunResult, scan_in_processes
from scanner.crawl.progress import ScanProgress, SiteRef
from scanner.crawl.run import Scanner, ScanSummary, load_sites, scan_summary
from scanner.crawl.site import SiteCrawl
from scanner.crawl.urls import TrapGuard, join_url, normalize_url, url_key

__all__ = [
    "Frontier",
    "RunResult",
    "ScanProgress",
    "ScanSummary",
    "Scanner",
    "Scope",
    "SiteCrawl",
    "SiteRef",
    "TrapGuard",
    "join_url",
    "load_sites",
    "normalize_url",
    "scan_in_processes",
    "scan_summary",
    "url_key",
]
